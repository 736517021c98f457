package web

import (
	"net/http"
)

// showReport is the compliance report for a law (?law=gdpr|ccpa|pipl);
// ?download=1 sends the same page as an HTML file to keep.
func (h *requestsPages) showReport(q *request) error {
	rep, err := h.requestsSvc.ComplianceReport(q.r.Context(), q.actor, q.r.URL.Query().Get("law"))
	if err != nil {
		return err
	}
	if q.r.URL.Query().Get("download") == "1" {
		q.w.Header().Set("Content-Disposition", `attachment; filename="compliance-`+rep.Law+`-`+rep.At.UTC().Format("20060102")+`.html"`)
	}
	h.render(q, http.StatusOK, "report", "compliance_report", rep)
	return nil
}

// showProcessingRecord is the record of processing activities (GDPR Art.
// 30); ?download=1 sends the page as an HTML file to keep or print to PDF.
func (h *requestsPages) showProcessingRecord(q *request) error {
	rec, err := h.requestsSvc.ProcessingRecord(q.r.Context(), q.actor)
	if err != nil {
		return err
	}
	if q.r.URL.Query().Get("download") == "1" {
		q.w.Header().Set("Content-Disposition", `attachment; filename="record-of-processing-`+rec.At.UTC().Format("20060102")+`.html"`)
	}
	h.render(q, http.StatusOK, "ropa", "ropa", rec)
	return nil
}
