package api

import (
	"net/http"

	"strongroom.dev/strongroom/internal/authz"
)

func (h *customersAPI) deleteCustomer(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	if err := h.customers.DeleteCustomer(r.Context(), a, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
