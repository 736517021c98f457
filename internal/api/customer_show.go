package api

import (
	"net/http"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/httpx"
)

func (h *customersAPI) showCustomer(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	c, err := h.customers.Customer(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, toCustomerJSON(c))
	return nil
}
