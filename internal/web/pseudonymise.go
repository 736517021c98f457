package web

import (
	"bytes"
	"net/http"
	"strconv"

	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service/core"
	"strongroom.dev/strongroom/internal/service/records"
)

type pseudonymView struct {
	Recipient string
	K         string
	Error     string
}

// showPseudonymise is the form of a pseudonymised export.
func (h *customersPages) showPseudonymise(q *request) error {
	h.render(q, http.StatusOK, "pseudonymise", "pseudonymised_export", pseudonymView{})
	return nil
}

// pseudonymise sends the zip of a pseudonymised export, or the form again
// with why it cannot be made.
func (h *customersPages) pseudonymise(q *request) error {
	v := pseudonymView{Recipient: q.r.PostFormValue("recipient"), K: q.r.PostFormValue("k")}
	k := 0
	if v.K != "" {
		n, err := strconv.Atoi(v.K)
		if err != nil {
			v.Error = tr(q.lang, "k_number")
			h.render(q, http.StatusBadRequest, "pseudonymise", "pseudonymised_export", v)
			return nil
		}
		k = n
	}
	q.back = "/customers/pseudonymised"
	var zip bytes.Buffer
	rep, err := h.customersSvc.PseudonymisedExport(q.r.Context(), q.actor, records.PseudonymInput{Recipient: v.Recipient, K: k}, &zip)
	switch {
	case errs.Is(err, errs.ApprovalNeeded):
		return h.renderAccessForm(q, http.StatusForbidden, accessFormView{Kind: core.KindBulkExport})
	case errs.Is(err, errs.Invalid) || errs.Is(err, errs.Conflict):
		v.Error, _ = q.public(err)
		h.render(q, http.StatusBadRequest, "pseudonymise", "pseudonymised_export", v)
		return nil
	case err != nil:
		return err
	}
	q.w.Header().Set("Content-Type", "application/zip")
	q.w.Header().Set("Content-Disposition", `attachment; filename="pseudonymised-k`+strconv.Itoa(rep.K)+`.zip"`)
	q.w.Write(zip.Bytes())
	return nil
}
