package api

import (
	"net/http"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/httpx"
)

func (h *customersAPI) updateCustomer(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in customerInput
	if err := httpx.DecodePatch(w, r, &in); err != nil {
		return err
	}
	c, err := h.customers.UpdateCustomer(r.Context(), a, r.PathValue("id"), in.toCRM())
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, toCustomerJSON(c))
	return nil
}
