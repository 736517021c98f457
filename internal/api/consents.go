package api

import (
	"net/http"
	"strconv"
	"time"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/httpx"
	"strongroom.dev/strongroom/internal/service/privacy"
)

// consentsAPI serves privacy notices and consent ledgers.
type consentsAPI struct{ svc *privacy.Consents }

type noticeJSON struct {
	Version     int       `json:"version"`
	TextEN      string    `json:"text_en"`
	TextZH      string    `json:"text_zh"`
	PublishedAt time.Time `json:"published_at"`
}

func toNoticeJSON(n crm.Notice) noticeJSON {
	return noticeJSON{Version: n.Version, TextEN: n.TextEN, TextZH: n.TextZH, PublishedAt: n.PublishedAt}
}

type consentJSON struct {
	ID            string     `json:"id"`
	Purpose       string     `json:"purpose"`
	Basis         string     `json:"basis"`
	NoticeVersion int        `json:"notice_version"`
	Channel       string     `json:"channel"`
	Source        string     `json:"source"`
	Guardian      bool       `json:"guardian"`
	GuardianName  string     `json:"guardian_name,omitempty"`
	Note          string     `json:"note,omitempty"`
	GivenAt       time.Time  `json:"given_at"`
	WithdrawnAt   *time.Time `json:"withdrawn_at,omitempty"`
	Active        bool       `json:"active"`
	RecordedBy    string     `json:"recorded_by"`
}

func toConsentJSON(c crm.Consent) consentJSON {
	out := consentJSON{ID: c.ID, Purpose: c.Purpose, Basis: c.Basis, NoticeVersion: c.NoticeVersion, Channel: c.Channel, Source: c.Source,
		Guardian: c.Guardian, GuardianName: c.GuardianName, Note: c.Note, GivenAt: c.GivenAt, Active: c.Active(), RecordedBy: c.RecordedBy}
	if !c.WithdrawnAt.IsZero() {
		out.WithdrawnAt = &c.WithdrawnAt
	}
	return out
}

// showNotice answers the current privacy notice, or ?version=N (public).
func (h *consentsAPI) showNotice(w http.ResponseWriter, r *http.Request) error {
	q, err := httpx.Query(r, "version")
	if err != nil {
		return err
	}
	v, err := httpx.Int(q, "version")
	if err != nil {
		return err
	}
	n, err := h.svc.Notice(r.Context(), int(v))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, toNoticeJSON(n))
	return nil
}

// publishNotice publishes a new version (admin).
func (h *consentsAPI) publishNotice(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in struct {
		TextEN string `json:"text_en"`
		TextZH string `json:"text_zh"`
	}
	if err := httpx.DecodeJSON(w, r, &in, "text_en", "text_zh"); err != nil {
		return err
	}
	n, err := h.svc.PublishNotice(r.Context(), a, crm.NoticeInput{TextEN: in.TextEN, TextZH: in.TextZH})
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/privacy/notice?version="+strconv.Itoa(n.Version))
	httpx.WriteJSON(w, http.StatusCreated, toNoticeJSON(n))
	return nil
}

// listConsents answers a customer's consent ledger.
func (h *consentsAPI) listConsents(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	if _, err := httpx.Query(r); err != nil {
		return err
	}
	cs, err := h.svc.ConsentsOf(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	out := struct {
		Items []consentJSON `json:"items"`
	}{Items: make([]consentJSON, 0, len(cs))}
	for _, c := range cs {
		out.Items = append(out.Items, toConsentJSON(c))
	}
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

// giveConsent records a consent.
func (h *consentsAPI) giveConsent(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in consentInput
	if err := httpx.DecodeJSON(w, r, &in, "purpose", "channel"); err != nil {
		return err
	}
	c, err := h.svc.GiveConsent(r.Context(), a, r.PathValue("id"), in.toCRM())
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusCreated, toConsentJSON(c))
	return nil
}

// withdrawConsent withdraws the standing consents for a purpose.
func (h *consentsAPI) withdrawConsent(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	purpose := r.PathValue("purpose")
	if len(purpose) > 64 {
		return errs.InvalidField("purpose", "no such purpose")
	}
	if err := h.svc.WithdrawConsent(r.Context(), a, r.PathValue("id"), purpose); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
