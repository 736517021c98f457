package web

import (
	"net/http"
	"strconv"

	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service/privacy"
)

// showMinimisation shows the minimisation report (?days=N, default 90).
func (h *minimisationPages) showMinimisation(q *request) error {
	days := 0
	if v := q.r.URL.Query().Get("days"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return errs.InvalidField("days", "days is 1 to 3650")
		}
		days = n
	}
	rep, err := h.minimisationSvc.Report(q.r.Context(), q.actor, days)
	if err != nil {
		return err
	}
	h.render(q, http.StatusOK, "minimisation", "minimisation", struct{ Report privacy.MinimisationReport }{rep})
	return nil
}
