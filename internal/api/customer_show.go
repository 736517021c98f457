package api

import (
	"net/http"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/httpx"
	"strongroom.dev/strongroom/internal/service/records"
)

func (h *customersAPI) showCustomer(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	c, err := h.customers.Customer(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, toCustomerJSON(c))
	return nil
}

// customerHistory lists the changes to a customer's fields, as the caller
// may see the fields (audited as a read).
func (h *customersAPI) customerHistory(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	changes, err := h.customers.CustomerHistory(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	if changes == nil {
		changes = []records.FieldChange{}
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": changes})
	return nil
}
