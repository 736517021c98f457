package web

import (
	"net/http"
	"strconv"

	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
)

type consentsView struct {
	CustomerID   string
	Consents     []crm.Consent
	Purposes     []string
	Channels     []string
	Bases        []string
	RequestKinds []string
	Posted       postedForm // the refused consent form
}

// consentFieldIDs are the ids of the consent form's fields an error can name.
var consentFieldIDs = map[string]string{"purpose": "c-purpose", "basis": "c-basis", "channel": "c-channel", "minor": "c-minor",
	"guardian_name": "c-guardian", "note": "c-note"}

// showConsents shows a person's consent ledger and the form to record one.
func (h *consentsPages) showConsents(q *request) error {
	return h.renderConsents(q, http.StatusOK, postedForm{})
}

func (h *consentsPages) renderConsents(q *request, code int, posted postedForm) error {
	id := q.r.PathValue("id")
	cs, err := h.consentsSvc.ConsentsOf(q.r.Context(), q.actor, id)
	if err != nil {
		return err
	}
	v := consentsView{CustomerID: id, Consents: cs, Purposes: crm.Purposes, Channels: crm.ConsentChannels, Bases: crm.Bases, RequestKinds: crm.RequestKinds}
	v.Posted = posted
	h.render(q, code, "consents", "consents", v)
	return nil
}

// giveConsent records a consent from the form.
func (h *consentsPages) giveConsent(q *request) error {
	version, err := strconv.Atoi(q.r.PostFormValue("notice_version"))
	if err != nil {
		version = 0 // the current notice
	}
	in := crm.ConsentInput{Purpose: q.r.PostFormValue("purpose"), Basis: q.r.PostFormValue("basis"), Channel: q.r.PostFormValue("channel"),
		NoticeVersion: version, Minor: q.r.PostFormValue("minor") == "1", GuardianName: q.r.PostFormValue("guardian_name"), Note: q.r.PostFormValue("note")}
	_, err = h.consentsSvc.GiveConsent(q.r.Context(), q.actor, q.r.PathValue("id"), in)
	if errs.Is(err, errs.Invalid) {
		return h.renderConsents(q, http.StatusBadRequest, q.refused("consent", err, consentFieldIDs))
	}
	if err != nil {
		return err
	}
	q.redirect("/customers/"+q.r.PathValue("id")+"/consents", "consent_recorded")
	return nil
}

// withdrawConsent withdraws a purpose's standing consent.
func (h *consentsPages) withdrawConsent(q *request) error {
	if err := h.consentsSvc.WithdrawConsent(q.r.Context(), q.actor, q.r.PathValue("id"), q.r.PostFormValue("purpose")); err != nil {
		return err
	}
	q.redirect("/customers/"+q.r.PathValue("id")+"/consents", "consent_withdrawn")
	return nil
}

// showNotice is the public privacy notice, in the reader's language.
func (h *consentsPages) showNotice(q *request) error {
	n, err := h.consentsSvc.Notice(q.r.Context(), 0)
	if err != nil {
		return err
	}
	h.render(q, http.StatusOK, "privacy", "privacy_notice", n)
	return nil
}
