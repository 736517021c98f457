package api

import (
	"net/http"
	"time"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/httpx"
	"strongroom.dev/strongroom/internal/service/records"
)

// heldAPI serves the held records: what erasures kept under a legal hold.
type heldAPI struct{ customers *records.Customers }

type heldJSON struct {
	ID        string    `json:"id"`
	RequestID string    `json:"request_id"`
	Scope     string    `json:"scope"`
	Reason    string    `json:"reason"`
	Until     time.Time `json:"until"`
	Items     int       `json:"items"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
}

func toHeldJSON(r crm.HeldRecord) heldJSON {
	return heldJSON{ID: r.ID, RequestID: r.RequestID, Scope: r.Scope, Reason: r.Reason, Until: r.Until, Items: r.Items, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt}
}

type heldTransactionJSON struct {
	ID          string `json:"id"`
	Kind        string `json:"kind"`
	Status      string `json:"status"`
	Currency    string `json:"currency"`
	OccurredOn  string `json:"occurred_on"`
	Reference   string `json:"reference,omitempty"`
	Description string `json:"description,omitempty"`
	Amount      int64  `json:"amount"`
	Premium     int64  `json:"premium,omitempty"`
}

type heldConsentJSON struct {
	ID            string     `json:"id"`
	Purpose       string     `json:"purpose"`
	Basis         string     `json:"basis"`
	NoticeVersion int        `json:"notice_version"`
	Channel       string     `json:"channel"`
	GivenAt       time.Time  `json:"given_at"`
	WithdrawnAt   *time.Time `json:"withdrawn_at,omitempty"`
}

// listHeld lists the held records: what each keeps, why, until when.
func (h *heldAPI) listHeld(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	if _, err := httpx.Query(r); err != nil {
		return err
	}
	recs, err := h.customers.HeldRecords(r.Context(), a)
	if err != nil {
		return err
	}
	out := make([]heldJSON, 0, len(recs))
	for _, rec := range recs {
		out = append(out, toHeldJSON(rec))
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"held_records": out})
	return nil
}

// readHeld opens a held record for its legal purpose, with a reason in
// the body (never the URL, which proxies log).
func (h *heldAPI) readHeld(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in struct {
		Reason string `json:"reason"`
	}
	if err := httpx.DecodeJSON(w, r, &in, "reason"); err != nil {
		return err
	}
	rec, d, err := h.customers.ReadHeld(r.Context(), a, r.PathValue("id"), in.Reason)
	if err != nil {
		return err
	}
	out := struct {
		heldJSON
		FormerCustomerID string                `json:"former_customer_id"`
		Name             string                `json:"name,omitempty"`
		NationalID       string                `json:"national_id,omitempty"`
		Transactions     []heldTransactionJSON `json:"transactions,omitempty"`
		Consents         []heldConsentJSON     `json:"consents,omitempty"`
	}{heldJSON: toHeldJSON(rec), FormerCustomerID: d.FormerCustomerID, Name: d.Name, NationalID: d.NationalID}
	for _, t := range d.Transactions {
		out.Transactions = append(out.Transactions, heldTransactionJSON{ID: t.ID, Kind: t.Kind, Status: t.Status, Currency: t.Currency, OccurredOn: t.OccurredOn,
			Reference: t.Reference, Description: t.Description, Amount: t.Amount, Premium: t.Premium})
	}
	for _, c := range d.Consents {
		cj := heldConsentJSON{ID: c.ID, Purpose: c.Purpose, Basis: c.Basis, NoticeVersion: c.NoticeVersion, Channel: c.Channel, GivenAt: c.GivenAt}
		if !c.WithdrawnAt.IsZero() {
			cj.WithdrawnAt = &c.WithdrawnAt
		}
		out.Consents = append(out.Consents, cj)
	}
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}
