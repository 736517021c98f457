package web

import (
	"net/http"
	"strings"

	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service/vendors"
)

type vendorsView struct {
	Vendors  []vendors.Vendor
	Table    tableView
	Unlinked []string // parts of this server that send data out, named by no vendor
}

type vendorView struct {
	Detail    vendors.Detail
	Form      vendorForm
	New       bool
	Posted    postedForm // a refused form: what was typed, its message and field
	Roles     []string
	Statuses  []string
	Transfers []string
	Outcomes  []string
	Severity  []string
}

// The ids of the vendor page's fields an error can name.
var (
	vendorFieldIDs = map[string]string{"name": "v-name", "role": "v-role", "purpose": "v-purpose", "data_categories": "v-cats", "locations": "v-locs",
		"transfer": "v-transfer", "agreement_ref": "v-ref", "agreement_signed": "v-signed", "certifications": "v-certs", "links": "v-links",
		"next_review": "v-next", "status": "v-status"}
	reviewFieldIDs  = map[string]string{"date": "r-date", "reviewer": "r-reviewer", "outcome": "r-outcome", "notes": "r-notes", "next_review": "r-next"}
	findingFieldIDs = map[string]string{"text": "f-text", "severity": "f-severity", "owner": "f-owner", "due": "f-due"}
)

// vendorForm is a vendor as the form shows it: lists one line or comma
// list, certifications one per line as "name YYYY-MM-DD".
type vendorForm struct {
	vendors.Input
	Categories, Locations, Links, Certifications string
}

func formOf(in vendors.Input) vendorForm {
	f := vendorForm{Input: in, Categories: strings.Join(in.DataCategories, ", "), Locations: strings.Join(in.Locations, ", "), Links: strings.Join(in.Links, ", ")}
	var certs []string
	for _, c := range in.Certifications {
		certs = append(certs, c.Name+" "+c.Expires)
	}
	f.Certifications = strings.Join(certs, "\n")
	return f
}

func splitList(s string) []string {
	out := []string{}
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// vendorInput reads the vendor form.
func (q *request) vendorInput() vendors.Input {
	f := q.r.PostFormValue
	in := vendors.Input{Name: f("name"), Role: f("role"), Purpose: f("purpose"), DataCategories: splitList(f("data_categories")), Locations: splitList(f("locations")),
		Transfer: f("transfer"), AgreementRef: f("agreement_ref"), AgreementSigned: f("agreement_signed"), DPA: f("dpa") == "1", Links: splitList(f("links")),
		NextReview: f("next_review"), Status: f("status"), Certifications: []vendors.Certification{}}
	for _, line := range strings.Split(f("certifications"), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		c := vendors.Certification{Name: line}
		if i := strings.LastIndexAny(line, " \t"); i > 0 {
			c = vendors.Certification{Name: strings.TrimSpace(line[:i]), Expires: line[i+1:]}
		}
		in.Certifications = append(in.Certifications, c)
	}
	return in
}

// vendorColumns are the register's columns, in the table's order.
var vendorColumns = []column[vendors.Vendor]{
	{"name", "vendor_name", byText(func(v vendors.Vendor) string { return v.Name })},
	{"role", "vendor_role", byText(func(v vendors.Vendor) string { return v.Role })},
	{"locations", "vendor_locations", nil},
	{"next_review", "vendor_next_review", byText(func(v vendors.Vendor) string { return v.NextReview })},
	{"due", "vendor_due", byInt(func(v vendors.Vendor) int { return len(v.Due) })},
	{"findings", "vendor_open_findings", byInt(func(v vendors.Vendor) int { return v.OpenFindings })},
	{"status", "vendor_status", byText(func(v vendors.Vendor) string { return v.Status })},
}

// showVendors lists the register.
func (h *vendorsPages) showVendors(q *request) error {
	q.rememberFilters()
	list, err := h.vendorsSvc.List(q.r.Context(), q.actor)
	if err != nil {
		return err
	}
	v := vendorsView{Unlinked: h.vendorsSvc.Unlinked(list)}
	v.Vendors, v.Table = sortTable(q, "/vendors", list, vendorColumns, "name", false)
	h.render(q, http.StatusOK, "vendors", "vendors", v)
	return nil
}

func (h *vendorsPages) renderVendor(q *request, code int, v vendorView, posted postedForm) {
	v.Roles, v.Statuses, v.Transfers, v.Outcomes, v.Severity = vendors.Roles, vendors.Statuses, vendors.Transfers, vendors.Outcomes, vendors.Severities
	v.Posted = posted
	title := "vendor_new"
	if !v.New {
		title = "vendors"
	}
	h.render(q, code, "vendor", title, v)
}

// showNewVendor shows the form for a new vendor.
func (h *vendorsPages) showNewVendor(q *request) error {
	h.renderVendor(q, http.StatusOK, vendorView{New: true, Form: formOf(vendors.Input{Role: "processor", Status: "active"})}, postedForm{})
	return nil
}

// createVendor adds a vendor from the form.
func (h *vendorsPages) createVendor(q *request) error {
	in := q.vendorInput()
	v, err := h.vendorsSvc.Create(q.r.Context(), q.actor, in)
	if errs.Is(err, errs.Invalid) {
		h.renderVendor(q, http.StatusBadRequest, vendorView{New: true, Form: formOf(in)}, q.refused("vendor", err, vendorFieldIDs))
		return nil
	}
	if err != nil {
		return err
	}
	q.redirect("/vendors/"+v.ID, "vendor_saved")
	return nil
}

// showVendor shows a vendor, its reviews and findings, and (to
// administrators) the forms that change them.
func (h *vendorsPages) showVendor(q *request) error {
	return h.vendorPage(q, http.StatusOK, nil, postedForm{})
}

// vendorPage renders the vendor page; a refused form shows its error and,
// for the record's own form, what was typed.
func (h *vendorsPages) vendorPage(q *request, code int, typed *vendors.Input, posted postedForm) error {
	d, err := h.vendorsSvc.Vendor(q.r.Context(), q.actor, q.r.PathValue("id"))
	if err != nil {
		return err
	}
	v := vendorView{Detail: d, Form: formOf(d.Vendor.Input)}
	if typed != nil {
		v.Form = formOf(*typed)
	}
	h.renderVendor(q, code, v, posted)
	return nil
}

// updateVendor saves the vendor form.
func (h *vendorsPages) updateVendor(q *request) error {
	in := q.vendorInput()
	id := q.r.PathValue("id")
	_, err := h.vendorsSvc.Update(q.r.Context(), q.actor, id, in)
	if errs.Is(err, errs.Invalid) {
		return h.vendorPage(q, http.StatusBadRequest, &in, q.refused("vendor", err, vendorFieldIDs))
	}
	if err != nil {
		return err
	}
	q.redirect("/vendors/"+id, "vendor_saved")
	return nil
}

// recordReview records a review from the vendor page.
func (h *vendorsPages) recordReview(q *request) error {
	f := q.r.PostFormValue
	id := q.r.PathValue("id")
	_, err := h.vendorsSvc.RecordReview(q.r.Context(), q.actor, id, vendors.ReviewInput{Date: f("date"), Reviewer: f("reviewer"), Outcome: f("outcome"), Notes: f("notes"), NextReview: f("next_review")})
	if errs.Is(err, errs.Invalid) {
		return h.vendorPage(q, http.StatusBadRequest, nil, q.refused("review", err, reviewFieldIDs))
	}
	if err != nil {
		return err
	}
	q.redirect("/vendors/"+id, "vendor_reviewed")
	return nil
}

// raiseFinding records a finding from the vendor page.
func (h *vendorsPages) raiseFinding(q *request) error {
	f := q.r.PostFormValue
	id := q.r.PathValue("id")
	_, err := h.vendorsSvc.RaiseFinding(q.r.Context(), q.actor, id, vendors.FindingInput{ReviewID: f("review_id"), Text: f("text"), Severity: f("severity"), Owner: f("owner"), Due: f("due")})
	if errs.Is(err, errs.Invalid) {
		return h.vendorPage(q, http.StatusBadRequest, nil, q.refused("finding", err, findingFieldIDs))
	}
	if err != nil {
		return err
	}
	q.redirect("/vendors/"+id, "finding_raised")
	return nil
}

// fixFinding closes a finding from the vendor page.
func (h *vendorsPages) fixFinding(q *request) error {
	id := q.r.PathValue("id")
	err := h.vendorsSvc.FixFinding(q.r.Context(), q.actor, id, q.r.PathValue("finding"), q.r.PostFormValue("fix"))
	if errs.Is(err, errs.Invalid) || errs.Is(err, errs.Conflict) {
		return h.vendorPage(q, http.StatusBadRequest, nil, q.refused("vendor", err, nil))
	}
	if err != nil {
		return err
	}
	q.redirect("/vendors/"+id, "finding_closed")
	return nil
}
