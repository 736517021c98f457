package api

import (
	"bytes"
	"net/http"
	"strconv"

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

// pseudonymisedExport writes a zip for analysis or sharing: keyed tokens
// for one recipient, generalised quasi-identifiers, k-anonymous for the k
// asked (at least the server's --min-k), with report.json; the k reached
// is also in the Strongroom-K-Anonymity header.
func (h *customersAPI) pseudonymisedExport(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in struct {
		Recipient string `json:"recipient"`
		K         int    `json:"k"`
	}
	if err := httpx.DecodeJSON(w, r, &in, "recipient"); err != nil {
		return err
	}
	var zip bytes.Buffer
	rep, err := h.customers.PseudonymisedExport(r.Context(), a, records.PseudonymInput{Recipient: in.Recipient, K: in.K}, &zip)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", `attachment; filename="pseudonymised.zip"`)
	w.Header().Set("Strongroom-K-Anonymity", strconv.Itoa(rep.K))
	w.Write(zip.Bytes())
	return nil
}
