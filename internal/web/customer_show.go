package web

import (
	"net/http"
	"slices"
	"time"

	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service/core"
	"strongroom.dev/strongroom/internal/service/records"
)

// fieldView is one field as the page shows it.
type fieldView struct {
	Name, Label, Value string
	Masked, Multiline  bool
	Revealable         bool     // masked, and the actor may reveal it with a reason
	Revealed           bool     // shown in full just now, after a reveal
	Tags               []string // for the tags field: each links to the list filtered by it
}

type customerView struct {
	Customer    crm.Customer
	Fields      []fieldView
	CanEdit     bool
	CanDelete   bool
	RevealError string
	Activities  []crm.Activity
	CanLog      bool
	Kinds       []string
	LogError    string
	LogInput    crm.ActivityInput
	Deals       []crm.Deal
	Stages      []crm.Stage
	CanDeal     bool
	DealError   string
	DealInput   dealForm // what was typed, when the deal was refused
	Currencies  []string
	History     *records.PurchaseHistory // nil when the role may not read it
	CanRecord   bool
	TxError     string
	TxInput     postedForm // what was typed, when the transaction was refused
	TxKinds     []string
	Today       string
	Marketing   *records.Marketing // nil when the role may not read preferences
	Channels    []string
	PrefError   string
	Sealed      bool // the sealed notes' section (sealed.js): the actor's role has sealed notes
}

// problem is a refused form's message for the summary at the top of the
// page, and the element (a field, else the form) its link leads to.
type problem struct{ Msg, Target string }

// txFieldIDs and dealFieldIDs are the ids of the form fields an error can name.
var (
	txFieldIDs   = map[string]string{"kind": "tx-kind", "occurred_on": "tx-date", "reference": "tx-ref", "description": "tx-desc", "amount": "tx-amount", "premium": "tx-premium", "currency": "tx-currency"}
	dealFieldIDs = map[string]string{"title": "deal-title", "amount": "deal-amount", "currency": "deal-currency", "expected_close": "deal-close"}
)

// Problems are the page's refused forms, for the summary first on the page.
func (v customerView) Problems() []problem {
	var out []problem
	if v.DealError != "" {
		p := problem{v.DealError, "deal-form"}
		if id, ok := dealFieldIDs[v.DealInput.Field]; ok {
			p.Target = id
		}
		out = append(out, p)
	}
	if v.TxError != "" {
		p := problem{v.TxError, "tx-form"}
		if id, ok := txFieldIDs[v.TxInput.Field]; ok {
			p.Target = id
		}
		out = append(out, p)
	}
	if v.LogError != "" {
		out = append(out, problem{v.LogError, "log-form"})
	}
	if v.PrefError != "" {
		out = append(out, problem{v.PrefError, "preferences"})
	}
	return out
}

// optedIn reports whether channel is among m's opt-ins, for the form.
func (v customerView) OptedIn(channel string) bool {
	return v.Marketing != nil && slices.Contains(v.Marketing.Preferences.OptIn, channel)
}

func (h *customersPages) showCustomer(q *request) error {
	return h.renderCustomer(q, "", "", "")
}

// renderCustomer shows the customer page; revealed names a field whose
// full value is shown in place of its masked form, once.
func (h *Handler) renderCustomer(q *request, revealed, value, revealErr string) error {
	o, err := h.svc.Customers.CustomerOverview(q.r.Context(), q.actor, q.r.PathValue("id"))
	if err != nil {
		return err
	}
	c, can := o.Customer, o.Can
	v := customerView{
		Customer:  c,
		CanEdit:   len(can.Write) > 0, // the edit form would have a field to change
		CanDelete: can.Delete,
	}
	for _, f := range crm.CustomerFields {
		val, ok := c.Fields[f.Name]
		if !ok {
			continue
		}
		fv := fieldView{Name: f.Name, Label: tr(q.lang, f.Name), Value: val,
			Masked: can.Masks(f.Name), Multiline: f.Name == crm.FieldNotes || f.Name == crm.FieldAssessment}
		fv.Revealable = fv.Masked && can.Reveals(f.Name)
		if f.Name == crm.FieldTags && !fv.Masked {
			fv.Tags = crm.Tags(val)
		}
		if f.Name == revealed {
			fv.Value, fv.Masked, fv.Revealable, fv.Revealed = value, false, false, true
		}
		v.Fields = append(v.Fields, fv)
	}
	v.RevealError = revealErr
	v.Activities, v.CanLog, v.Kinds = o.Activities, can.LogActivity, crm.ActivityKinds
	v.Deals, v.Stages, v.CanDeal = o.Deals, o.Stages, can.CreateDeal
	v.DealError, v.DealInput, v.Currencies = q.dealErr, q.deal, currencies
	v.History, v.CanRecord = o.History, can.RecordTransaction
	v.TxError, v.TxInput, v.TxKinds, v.Today = q.txErr, q.tx, crm.TransactionKinds, time.Now().In(q.clock().Location()).Format(time.DateOnly)
	v.Marketing = o.Marketing
	v.Channels, v.PrefError = crm.Channels, q.prefErr
	if h.abilities(q).SealedNotes {
		v.Sealed, q.scripts, q.api = true, true, true
	}
	if q.logErr != "" {
		v.LogError, v.LogInput = q.logErr, q.logInput
	}
	status := http.StatusOK
	if revealErr != "" || v.LogError != "" || v.DealError != "" || v.TxError != "" || v.PrefError != "" {
		status = http.StatusBadRequest
	}
	h.render(q, status, "customer", "customers", v)
	return nil
}

// revealField shows one masked field in full after the actor gives a
// reason; the value is shown on this page only, never stored in the page's
// URL or a cookie.
func (h *customersPages) revealField(q *request) error {
	field := q.r.PostFormValue("field")
	v, err := h.customersSvc.RevealCustomerField(q.r.Context(), q.actor, q.r.PathValue("id"), field, q.r.PostFormValue("reason"))
	if errs.Is(err, errs.Invalid) {
		msg, _ := q.public(err)
		return h.renderCustomer(q, "", "", msg)
	}
	if errs.Is(err, errs.ApprovalNeeded) { // ask for approval, keeping the reason typed
		return h.renderAccessForm(q, http.StatusForbidden, accessFormView{Kind: core.KindRevealSpecial, ObjectID: q.r.PathValue("id"), Field: field, Reason: q.r.PostFormValue("reason")})
	}
	if err != nil {
		return err
	}
	return h.renderCustomer(q, field, v, "")
}
