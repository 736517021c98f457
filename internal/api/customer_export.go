package api

import (
	"net/http"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/httpx"
	"strongroom.dev/strongroom/internal/service/records"
)

// customerExportRoute takes the filters GET /api/v1/customers/export refuses.
const customerExportRoute = "POST /api/v1/customers/export"

// exportFilter is the body of POST /api/v1/customers/export.
type exportFilter struct {
	Name       string `json:"name"`
	Tag        string `json:"tag"`
	Email      string `json:"email"`
	Phone      string `json:"phone"`
	NationalID string `json:"national_id"`
	// Consented is a channel: a marketing export holds only the customers
	// whose consent to it stands.
	Consented string `json:"consented"`
}

// exportCustomers exports every customer the caller may export.
func (h *customersAPI) exportCustomers(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	if err := personalInURL(r, customerExportRoute, httpx.PersonalParams...); err != nil {
		return err
	}
	if _, err := httpx.Query(r); err != nil {
		return err
	}
	return h.writeExport(w, r, a, records.CustomerQuery{})
}

// exportSearch exports the customers matching the filters of the body.
func (h *customersAPI) exportSearch(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	if err := personalInURL(r, customerExportRoute, httpx.PersonalParams...); err != nil {
		return err
	}
	var in exportFilter
	if err := httpx.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	return h.writeExport(w, r, a, records.CustomerQuery{Name: in.Name, Tag: in.Tag, Email: in.Email, Phone: in.Phone, NationalID: in.NationalID, Consented: in.Consented})
}

func (h *customersAPI) writeExport(w http.ResponseWriter, r *http.Request, a authz.Actor, q records.CustomerQuery) error {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="customers.csv"`)
	// The service writes nothing until the export is audited; an error
	// before that still reaches the client as problem+json.
	_, err := h.customers.ExportCustomers(r.Context(), a, q, w)
	if err != nil {
		w.Header().Del("Content-Disposition")
	}
	return err
}
