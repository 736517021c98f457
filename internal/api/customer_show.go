package api

import (
	"net/http"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/httpx"
)

func (h *Handler) showCustomer(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	c, err := h.svc.Customers.Customer(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, toCustomerJSON(c))
	return nil
}
