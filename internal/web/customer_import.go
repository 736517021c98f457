package web

import (
	"net/http"
	"strings"

	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service/core"
	"strongroom.dev/strongroom/internal/service/records"
)

// maxUpload bounds an uploaded import file.
const maxUpload = 64 << 20

type importView struct {
	Report *records.ImportReport
	Error  string
}

func (h *customersPages) showImport(q *request) error {
	h.render(q, http.StatusOK, "import", "import", importView{})
	return nil
}

// importCustomers streams the uploaded file into the import.
func (h *customersPages) importCustomers(q *request) error {
	fields, file, err := q.upload("file", maxUpload)
	if err != nil {
		return err
	}
	opt := records.ImportOptions{DryRun: fields["dry_run"] != "", Partial: fields["partial"] != ""}
	rep, err := h.customersSvc.ImportCustomers(q.r.Context(), q.actor, file, opt)
	if err != nil {
		if errs.Is(err, errs.Invalid) || errs.Is(err, errs.TooLarge) {
			msg, _ := q.public(err)
			h.render(q, errs.KindOf(err).Status(), "import", "import", importView{Error: msg})
			return nil
		}
		return err
	}
	h.render(q, http.StatusOK, "import", "import", importView{Report: &rep})
	return nil
}

// exportCustomers downloads every customer the actor may export. A search
// in the address is refused like on the list (searchInURL): a filtered
// export is posted (exportSearch).
func (h *customersPages) exportCustomers(q *request) error {
	if q.searchInURL() {
		return h.refuseCustomerSearch(q)
	}
	return h.export(q, records.CustomerQuery{})
}

// exportSearch downloads the customers matching the posted search.
func (h *customersPages) exportSearch(q *request) error {
	cq := searchQuery(strings.TrimSpace(q.r.PostFormValue("q")))
	cq.Tag = strings.TrimSpace(q.r.PostFormValue("tag"))
	q.back = "/customers"
	return h.export(q, cq)
}

func (h *customersPages) export(q *request, cq records.CustomerQuery) error {
	q.w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	q.w.Header().Set("Content-Disposition", `attachment; filename="customers.csv"`)
	if _, err := h.customersSvc.ExportCustomers(q.r.Context(), q.actor, cq, q.w); err != nil {
		q.w.Header().Del("Content-Disposition")
		if errs.Is(err, errs.ApprovalNeeded) {
			return h.renderAccessForm(q, http.StatusForbidden, accessFormView{Kind: core.KindBulkExport})
		}
		return err
	}
	return nil
}
