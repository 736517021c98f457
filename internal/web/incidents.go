package web

import (
	"net/http"
	"time"

	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service/breach"
)

// The breach response pages: the incidents (and drills), and one incident
// with its clock, scope, drafts, decision, tasks and timeline.

type incidentsView struct {
	Incidents []breach.Incident
	Table     tableView
	Drills    bool
	Now       time.Time
	Kinds     []string
	Form      incidentForm
	Posted    postedForm // the refused open form: its message and field
}

// The ids of the incident forms' fields an error can name.
var (
	incidentFieldIDs = map[string]string{"title": "i-title", "description": "i-description", "kind": "i-kind", "discovered_at": "i-discovered",
		"window_from": "i-from", "window_to": "i-to", "actor_id": "i-actor", "session_id": "i-session", "ip": "i-ip"}
	decisionFieldIDs = map[string]string{"authority_reason": "d-authority-reason", "people_reason": "d-people", "note": "d-note"}
	taskFieldIDs     = map[string]string{"title": "t-title", "owner_id": "t-owner"}
	statusFieldIDs   = map[string]string{"note": "s-note"}
)

// incidentForm is the open form's input, shown again when it is refused.
type incidentForm struct {
	Title, Description, Kind, DiscoveredAt, WindowFrom, WindowTo, ActorID, SessionID, IP string
	Drill                                                                                bool
}

type incidentView struct {
	Incident breach.Incident
	Now      time.Time
	Reasons  []string
	Draft    *breach.Drafts // one person's notice, opened
	DraftFor string
	Posted   postedForm // a refused form: what was typed, its message and field
	UserID   string     // the handler's own id: the default owner of a new task
}

// incidentColumns are the incidents table's columns, in its order.
var incidentColumns = []column[breach.Incident]{
	{"title", "incident_title", byText(func(i breach.Incident) string { return i.Title })},
	{"kind", "incident_kind", byText(func(i breach.Incident) string { return i.Kind })},
	{"discovered", "incident_discovered", byTime(func(i breach.Incident) time.Time { return i.DiscoveredAt })},
	{"due", "incident_due", byTime(func(i breach.Incident) time.Time { return i.DueAt })},
	{"affected", "incident_affected", byInt(func(i breach.Incident) int { return i.Affected })},
	{"status", "incident_status", byText(func(i breach.Incident) string { return i.Status })},
}

// formTime is the form's time format (datetime-local), read in the
// reader's own zone (the labels name it).
const formTime = "2006-01-02T15:04"

func (h *incidentsPages) showIncidents(q *request) error {
	q.rememberFilters()
	now := time.Now().In(q.clock().Location())
	return h.renderIncidents(q, http.StatusOK, incidentForm{Kind: "account", DiscoveredAt: now.Format(formTime),
		WindowFrom: now.AddDate(0, 0, -7).Format(formTime), WindowTo: now.Format(formTime)}, nil)
}

func (h *incidentsPages) renderIncidents(q *request, code int, f incidentForm, formErr error) error {
	drills := q.r.URL.Query().Get("drills") == "true"
	list, err := h.incidentsSvc.Incidents(q.r.Context(), q.actor, drills)
	if err != nil {
		return err
	}
	v := incidentsView{Drills: drills, Now: time.Now(), Kinds: breach.Kinds, Form: f}
	v.Incidents, v.Table = sortTable(q, "/privacy/incidents", list, incidentColumns, "discovered", true)
	if formErr != nil {
		v.Posted = q.refused("incident", formErr, incidentFieldIDs)
	}
	h.render(q, code, "incidents", "incidents", v)
	return nil
}

// openIncident opens an incident or a drill from the list page's form.
func (h *incidentsPages) openIncident(q *request) error {
	p := q.r.PostFormValue
	f := incidentForm{Title: p("title"), Description: p("description"), Kind: p("kind"), DiscoveredAt: p("discovered_at"), WindowFrom: p("window_from"),
		WindowTo: p("window_to"), ActorID: p("actor_id"), SessionID: p("session_id"), IP: p("ip"), Drill: p("drill") == "1"}
	in := breach.Input{Title: f.Title, Description: f.Description, Kind: f.Kind, Drill: f.Drill, ActorID: f.ActorID, SessionID: f.SessionID, IP: f.IP}
	for _, t := range []struct {
		field, v string
		dst      *time.Time
	}{{"discovered_at", f.DiscoveredAt, &in.DiscoveredAt}, {"window_from", f.WindowFrom, &in.WindowFrom}, {"window_to", f.WindowTo, &in.WindowTo}} {
		at, err := time.ParseInLocation(formTime, t.v, q.clock().Location())
		if err != nil {
			return h.renderIncidents(q, http.StatusBadRequest, f, errs.InvalidField(t.field, tr(q.lang, "incident_time_needed")))
		}
		*t.dst = at
	}
	inc, err := h.incidentsSvc.Open(q.r.Context(), q.actor, in)
	if errs.Is(err, errs.Invalid) {
		return h.renderIncidents(q, http.StatusBadRequest, f, err)
	}
	if err != nil {
		return err
	}
	q.redirect("/privacy/incidents/"+inc.ID, "incident_opened")
	return nil
}

func (h *incidentsPages) showIncident(q *request) error {
	return h.renderIncident(q, http.StatusOK, postedForm{}, nil, "")
}

func (h *incidentsPages) renderIncident(q *request, code int, posted postedForm, draft *breach.Drafts, draftFor string) error {
	inc, err := h.incidentsSvc.Incident(q.r.Context(), q.actor, q.r.PathValue("id"))
	if err != nil {
		return err
	}
	v := incidentView{Incident: inc, Now: time.Now(), Reasons: breach.PeopleReasons, Draft: draft, DraftFor: draftFor, UserID: q.actor.UserID}
	v.Posted = posted
	h.render(q, code, "incident", "incident", v)
	return nil
}

// showDraft shows the incident with one person's notice opened (their
// name read from their record, audited).
func (h *incidentsPages) showDraft(q *request) error {
	customer := q.r.PathValue("customer")
	d, err := h.incidentsSvc.OpenDraft(q.r.Context(), q.actor, q.r.PathValue("id"), customer)
	if err != nil {
		return err
	}
	return h.renderIncident(q, http.StatusOK, postedForm{}, &d, customer)
}

// after answers a change on the incident page: a refused input or a
// conflict shows the page again with the reason; success goes back to it.
// form names the form sent and ids its fields, to show it again.
func (h *incidentsPages) after(q *request, err error, flash, form string, ids map[string]string) error {
	switch {
	case errs.Is(err, errs.Invalid):
		return h.renderIncident(q, http.StatusBadRequest, q.refused(form, err, ids), nil, "")
	case errs.Is(err, errs.Conflict):
		return h.renderIncident(q, http.StatusConflict, q.refused(form, err, ids), nil, "")
	case err != nil:
		return err
	}
	q.redirect("/privacy/incidents/"+q.r.PathValue("id"), flash)
	return nil
}

func (h *incidentsPages) scopeIncident(q *request) error {
	_, err := h.incidentsSvc.Scope(q.r.Context(), q.actor, q.r.PathValue("id"))
	return h.after(q, err, "incident_scoped", "incident", nil)
}

func (h *incidentsPages) decideIncident(q *request) error {
	p := q.r.PostFormValue
	in := breach.DecisionInput{NotifyAuthority: p("notify_authority") == "1", AuthorityReason: p("authority_reason"),
		NotifyPeople: p("people_reason") == "high_risk", PeopleReason: p("people_reason"), Note: p("note")}
	_, err := h.incidentsSvc.Decide(q.r.Context(), q.actor, q.r.PathValue("id"), in)
	return h.after(q, err, "incident_decision_saved", "decision", decisionFieldIDs)
}

func (h *incidentsPages) advanceIncident(q *request) error {
	_, err := h.incidentsSvc.Advance(q.r.Context(), q.actor, q.r.PathValue("id"), q.r.PostFormValue("status"), q.r.PostFormValue("note"))
	return h.after(q, err, "incident_updated", "status", statusFieldIDs)
}

func (h *incidentsPages) addTask(q *request) error {
	_, err := h.incidentsSvc.AddTask(q.r.Context(), q.actor, q.r.PathValue("id"), q.r.PostFormValue("title"), q.r.PostFormValue("owner_id"))
	return h.after(q, err, "incident_task_added", "task", taskFieldIDs)
}

func (h *incidentsPages) finishTask(q *request) error {
	err := h.incidentsSvc.FinishTask(q.r.Context(), q.actor, q.r.PathValue("id"), q.r.PathValue("task"))
	return h.after(q, err, "incident_task_finished", "incident", nil)
}
