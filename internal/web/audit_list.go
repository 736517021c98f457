package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/httpx"
	"strongroom.dev/strongroom/internal/service/governance"
	"strongroom.dev/strongroom/internal/service/records"
)

// auditFilters are the audit page's filters as its address carries them:
// ids, an action, an outcome, days and an order; never an email or a
// name (those are posted to /audit/find and come back as ids).
type auditFilters struct {
	Actor    string // a user id
	ObjectID string // one record (the links of a row)
	Subject  string // record ids, comma separated (what /audit/find found)
	Action   string
	Outcome  string
	From, To string // YYYY-MM-DD or YYYY-MM-DDTHH:MM, UTC
	Oldest   bool   // oldest first (default newest first)
}

var auditFilterParams = []string{"actor", "object_id", "subject", "action", "outcome", "from", "to", "order"}

func auditFiltersOf(v url.Values) auditFilters {
	g := func(k string) string { return strings.TrimSpace(v.Get(k)) }
	return auditFilters{Actor: g("actor"), ObjectID: g("object_id"), Subject: g("subject"), Action: g("action"),
		Outcome: g("outcome"), From: g("from"), To: g("to"), Oldest: g("order") == "oldest"}
}

// values are the filters as query parameters (empty ones left out).
func (f auditFilters) values() url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"actor": f.Actor, "object_id": f.ObjectID, "subject": f.Subject, "action": f.Action,
		"outcome": f.Outcome, "from": f.From, "to": f.To} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if f.Oldest {
		v.Set("order", "oldest")
	}
	return v
}

// URL is path with the filters and extra parameters (name, value pairs).
func (f auditFilters) URL(path string, extra ...string) string {
	v := f.values()
	for i := 0; i+1 < len(extra); i += 2 {
		v.Set(extra[i], extra[i+1])
	}
	if len(v) == 0 {
		return path
	}
	return path + "?" + v.Encode()
}

// Any tells whether a filter is set.
func (f auditFilters) Any() bool { return len(f.values()) > 0 }

// auditTime reads a day or a minute (UTC) of a filter; end makes a day
// inclusive (its end: the next day's start).
func auditTime(name, v string, end bool) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse("2006-01-02", v); err == nil {
		if end {
			t = t.AddDate(0, 0, 1)
		}
		return t, nil
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", time.RFC3339} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, errs.InvalidField(name, name+" must be a day (2026-11-24) or a time (2026-11-24T09:00), in UTC")
}

// query turns the filters into the service's query.
func (f auditFilters) query() (governance.AuditQuery, error) {
	q := governance.AuditQuery{ActorID: f.Actor, ObjectID: f.ObjectID, Action: f.Action, Outcome: f.Outcome, Newest: !f.Oldest}
	for _, id := range strings.Split(f.Subject, ",") {
		if id = strings.TrimSpace(id); id != "" {
			q.SubjectIDs = append(q.SubjectIDs, id)
		}
	}
	var err error
	if q.Since, err = auditTime("from", f.From, false); err != nil {
		return q, err
	}
	if q.Until, err = auditTime("to", f.To, true); err != nil {
		return q, err
	}
	return q, nil
}

// auditRow is one event as a row shows it.
type auditRow struct {
	audit.Event
	Words   string // the action in words, in the page's language
	Actor   string // the actor's email where the viewer may see it, else the id
	Outcome string // the outcome, translated
	Object  string // the object type in words
	Link    string // its details, carrying the list's filters back
}

func newAuditRow(lang string, e audit.Event) auditRow {
	obj := e.ObjectType
	if w, ok := catalog[lang]["actobj."+obj]; ok {
		obj = w
	}
	return auditRow{Event: e, Words: actionWords(lang, e.Action), Actor: e.ActorID, Outcome: outcomeWords(lang, e.Outcome), Object: obj}
}

type auditOption struct{ Value, Words string }

type auditView struct {
	F            auditFilters
	Rows         []auditRow
	Actions      []auditOption
	Outcomes     []auditOption
	Older, Newer string // addresses of the pages on either side ("" none)
	Newest       string // the first page, when this one is not it
	CSV, JSONL   string // exports of this view
	Error        string
	FindActor    string // what was typed in the lookup, shown again after an error
	FindSubject  string
	Sealed       string // the reason of an event whose reason is kept sealed beside it
}

// actionWords says an action in lang: "Customer: read" for customer.read;
// parts without a translation are shown as recorded.
func actionWords(lang, action string) string {
	obj, verb, ok := strings.Cut(action, ".")
	if !ok {
		return action
	}
	o, okO := catalog[lang]["actobj."+obj]
	v, okV := catalog[lang]["actverb."+verb]
	if !okO {
		o = obj
	}
	if !okV {
		v = strings.NewReplacer("_", " ", ".", " ").Replace(verb)
	}
	if lang == langZH {
		return o + "：" + v
	}
	return o + ": " + v
}

func outcomeWords(lang, outcome string) string {
	if v, ok := catalog[lang]["audit_outcome_"+outcome]; ok {
		return v
	}
	return outcome
}

func (h *auditPages) listAudit(q *request) error {
	q.rememberFilters()
	qs := q.r.URL.Query()
	v := auditView{F: auditFiltersOf(qs)}
	aq, err := v.F.query()
	if err == nil {
		aq.ActorEmails = true
		if aq.AfterSeq, err = cursor(qs, "after"); err == nil {
			aq.BeforeSeq, err = cursor(qs, "before")
		}
	}
	return h.auditPage(q, v, aq, err)
}

func cursor(qs url.Values, name string) (int64, error) {
	s := qs.Get(name)
	if s == "" {
		return 0, nil
	}
	return httpx.WholeNumber(name, s)
}

// auditPage shows one page of the log for aq, or the filters' error.
func (h *auditPages) auditPage(q *request, v auditView, aq governance.AuditQuery, err error) error {
	v.Sealed = records.SealedReason
	ctx := q.r.Context()
	actions, aerr := h.auditSvc.AuditActions(ctx, q.actor)
	if aerr != nil {
		return aerr
	}
	for _, a := range actions {
		v.Actions = append(v.Actions, auditOption{a, actionWords(q.lang, a)})
	}
	for _, o := range []string{audit.Success, audit.Failure, audit.Denied} {
		v.Outcomes = append(v.Outcomes, auditOption{o, outcomeWords(q.lang, o)})
	}
	var page governance.AuditPage
	if err == nil {
		page, err = h.auditSvc.Events(ctx, q.actor, aq)
	}
	if errs.Is(err, errs.Invalid) {
		v.Error = auditError(q.lang, err)
		h.render(q, http.StatusBadRequest, "audit", "audit", v)
		return nil
	} else if err != nil {
		return err
	}
	for _, e := range page.Events {
		r := newAuditRow(q.lang, e)
		r.Link = v.F.URL("/audit/" + strconv.FormatInt(e.Seq, 10))
		if m := page.Emails[e.ActorID]; m != "" {
			r.Actor = m
		}
		v.Rows = append(v.Rows, r)
	}
	if page.Older > 0 {
		v.Older = v.F.URL("/audit", "before", strconv.FormatInt(page.Older, 10))
	}
	if page.Newer > 0 {
		v.Newer = v.F.URL("/audit", "after", strconv.FormatInt(page.Newer, 10))
	}
	if aq.AfterSeq > 0 || aq.BeforeSeq > 0 {
		v.Newest = v.F.URL("/audit")
	}
	v.CSV, v.JSONL = v.F.URL("/audit/export", "format", "csv"), v.F.URL("/audit/export", "format", "jsonl")
	h.render(q, http.StatusOK, "audit", "audit", v)
	return nil
}

// findAudit turns a posted email or name into the ids the filters carry
// and sends the browser to the filtered page; the typed text never enters
// an address.
func (h *auditPages) findAudit(q *request) error {
	v := auditView{FindActor: strings.TrimSpace(q.r.PostFormValue("find_actor")), FindSubject: strings.TrimSpace(q.r.PostFormValue("find_subject"))}
	v.F = auditFiltersOf(q.r.PostForm)
	q.back = "/audit"
	found, err := h.auditSvc.FindAuditParties(q.r.Context(), q.actor, v.FindActor, v.FindSubject)
	if err != nil {
		aq, _ := v.F.query()
		return h.auditPage(q, v, aq, err)
	}
	if found.ActorID != "" {
		v.F.Actor = found.ActorID
	}
	if len(found.SubjectIDs) > 0 {
		v.F.Subject, v.F.ObjectID = strings.Join(found.SubjectIDs, ","), ""
	}
	http.Redirect(q.w, q.r, v.F.URL("/audit"), http.StatusSeeOther)
	return nil
}

// exportAudit downloads every event of the filtered view, as CSV or JSON
// lines, in the view's order; the export is audited as one.
func (h *auditPages) exportAudit(q *request) error {
	qs := q.r.URL.Query()
	format := qs.Get("format")
	if format != "csv" && format != "jsonl" {
		return errs.InvalidField("format", "format is csv or jsonl")
	}
	aq, err := auditFiltersOf(qs).query()
	if err != nil {
		return err
	}
	events, err := h.auditSvc.ExportEvents(q.r.Context(), q.actor, aq, format)
	if err != nil {
		return err
	}
	name := "audit-" + time.Now().UTC().Format("20060102-150405")
	if format == "csv" {
		q.w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		q.w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.csv"`)
		return audit.WriteCSV(q.w, events)
	}
	q.w.Header().Set("Content-Type", "application/jsonl; charset=utf-8")
	q.w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.jsonl"`)
	return audit.WriteJSONLines(q.w, events)
}

// auditEventView is one event's details page.
type auditEventView struct {
	governance.AuditEventDetail
	Row        auditRow
	PrevHash   string
	Hash       string
	Checkpoint string // the checkpoint sentence, translated
	Sealed     string
	Back       string // the list it was opened from, with its filters
}

// showAuditEvent opens one event: every field, what it came through, and
// its place in the chain.
func (h *auditPages) showAuditEvent(q *request) error {
	seq, err := strconv.ParseInt(q.r.PathValue("seq"), 10, 64)
	if err != nil || seq < 1 {
		return errs.E(errs.NotExist, "no such audit event")
	}
	d, err := h.auditSvc.AuditEvent(q.r.Context(), q.actor, seq, true)
	if err != nil {
		return err
	}
	e := d.Event
	v := auditEventView{AuditEventDetail: d, Sealed: records.SealedReason,
		Row:      newAuditRow(q.lang, e),
		PrevHash: fmt.Sprintf("%x", e.PrevHash), Hash: fmt.Sprintf("%x", e.Hash),
		Back: auditFiltersOf(q.r.URL.Query()).URL("/audit") + "#event-" + strconv.FormatInt(seq, 10)}
	if d.ActorEmail != "" {
		v.Row.Actor = d.ActorEmail
	}
	switch {
	case d.Checkpoint.Size == 0:
		v.Checkpoint = tr(q.lang, "audit_no_checkpoint")
	case d.Checkpointed:
		v.Checkpoint = fmt.Sprintf(tr(q.lang, "audit_checkpointed"), d.Checkpoint.Size, formatTime(q.lang, d.Checkpoint.At))
	default:
		v.Checkpoint = fmt.Sprintf(tr(q.lang, "audit_not_checkpointed"), d.Checkpoint.Size)
	}
	h.render(q, http.StatusOK, "audit_event", "audit_event", v)
	return nil
}

// showAuditReason opens the reason kept sealed beside one audit event.
func (h *auditPages) showAuditReason(q *request) error {
	seq, err := strconv.ParseInt(q.r.PathValue("seq"), 10, 64)
	if err != nil || seq < 1 {
		return errs.E(errs.NotExist, "no such audit event")
	}
	v, err := h.customersSvc.AuditReason(q.r.Context(), q.actor, seq)
	if err != nil {
		return err
	}
	h.render(q, http.StatusOK, "audit_reason", "audit_reason", v)
	return nil
}

// Hidden are the filters the lookup form carries along, so that a
// lookup narrows the view in hand.
func (f auditFilters) Hidden() url.Values { return f.values() }

// auditErrors are the translation keys of the audit filters' messages.
var auditErrors = map[string]string{
	"no user has this email": "audit_err_no_user",
	"no customer matches":    "audit_err_no_customer",
	"you may not find customers by email: give the record's id":            "audit_err_may_not_find",
	"you may not find customers by name: give the record's id":             "audit_err_may_not_find",
	"give the user's email, or their id":                                   "audit_err_actor_email",
	"that is not an email address":                                         "audit_err_not_email",
	"until must be after since":                                            "audit_err_range",
	"outcome is one of: success, failure, denied":                          "audit_err_outcome",
	"give after or before, not both":                                       "audit_err_cursor",
	"give object_id or subject, not both":                                  "audit_err_object_and_subject",
	"search by name needs a word of two letters or two Chinese characters": "audit_err_name_short",
}

// auditError is a filter's error in lang: translated where the page
// knows the message, else as the service put it.
func auditError(lang string, err error) string {
	msg, field := errs.Public(err)
	if k, ok := auditErrors[msg]; ok {
		return tr(lang, k)
	}
	if field == "from" || field == "to" {
		return tr(lang, "audit_err_time")
	}
	if strings.HasPrefix(msg, "more than ") && field == "subject" {
		return tr(lang, "audit_err_too_many")
	}
	return msg
}
