package api

import (
	"net/http"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/httpx"
	"strongroom.dev/strongroom/internal/service"
)

func (h *Handler) exportCustomers(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	q, err := httpx.Query(r, "email", "phone", "national_id")
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="customers.csv"`)
	// The service writes nothing until the export is audited; an error
	// before that still reaches the client as problem+json.
	_, err = h.svc.ExportCustomers(r.Context(), a, service.CustomerQuery{Email: q["email"], Phone: q["phone"], NationalID: q["national_id"]}, w)
	if err != nil {
		w.Header().Del("Content-Disposition")
	}
	return err
}
