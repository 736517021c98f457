package web

import (
	"net/http"

	"strongroom.dev/strongroom/internal/service/records"
)

type changesView struct {
	CustomerID string
	Changes    []records.FieldChange
}

// showChanges lists the changes to a customer's fields, as the reader may
// see the fields.
func (h *customersPages) showChanges(q *request) error {
	id := q.r.PathValue("id")
	changes, err := h.customersSvc.CustomerHistory(q.r.Context(), q.actor, id)
	if err != nil {
		return err
	}
	h.render(q, http.StatusOK, "changes", "change_history", changesView{CustomerID: id, Changes: changes})
	return nil
}
