package api

import (
	"net/http"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/httpx"
)

func (h *customersAPI) createCustomer(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in customerInput
	if err := httpx.DecodeJSON(w, r, &in, "name"); err != nil {
		return err
	}
	c, err := h.customers.CreateCustomer(r.Context(), a, in.toCRM())
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/customers/"+c.ID)
	httpx.WriteJSON(w, http.StatusCreated, toCustomerJSON(c))
	return nil
}
