package api

import (
	"net/http"
	"time"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/httpx"
	"strongroom.dev/strongroom/internal/service/breach"
)

// incidentsAPI serves the breach response: incidents and drills.
type incidentsAPI struct{ incidents *breach.Incidents }

type incidentJSON struct {
	ID           string                `json:"id"`
	Title        string                `json:"title"`
	Description  string                `json:"description"`
	Kind         string                `json:"kind"`
	Drill        bool                  `json:"drill"`
	Status       string                `json:"status"`
	DiscoveredAt time.Time             `json:"discovered_at"`
	DueAt        time.Time             `json:"due_at"`
	Overdue      bool                  `json:"overdue"`
	WindowFrom   time.Time             `json:"window_from"`
	WindowTo     time.Time             `json:"window_to"`
	ActorID      string                `json:"actor_id,omitempty"`
	SessionID    string                `json:"session_id,omitempty"`
	IP           string                `json:"ip,omitempty"`
	CreatedBy    string                `json:"created_by"`
	CreatedAt    time.Time             `json:"created_at"`
	ScopedAt     *time.Time            `json:"scoped_at,omitempty"`
	ScopeEvents  int                   `json:"scope_events"`
	Affected     int                   `json:"affected"`
	Decision     *decisionJSON         `json:"decision,omitempty"`
	ContainedAt  *time.Time            `json:"contained_at,omitempty"`
	NotifiedAt   *time.Time            `json:"notified_at,omitempty"`
	ClosedAt     *time.Time            `json:"closed_at,omitempty"`
	Duties       []incidentDutyJSON    `json:"duties"`
	Subjects     []incidentSubjectJSON `json:"subjects,omitempty"`
	Tasks        []incidentTaskJSON    `json:"tasks,omitempty"`
	Timeline     []incidentStepJSON    `json:"timeline,omitempty"`
	Drafts       *incidentDraftsJSON   `json:"drafts,omitempty"`
}

type decisionJSON struct {
	NotifyAuthority bool      `json:"notify_authority"`
	AuthorityReason string    `json:"authority_reason,omitempty"`
	NotifyPeople    bool      `json:"notify_people"`
	PeopleReason    string    `json:"people_reason"`
	Note            string    `json:"note,omitempty"`
	DecidedBy       string    `json:"decided_by"`
	DecidedAt       time.Time `json:"decided_at"`
}

type incidentDutyJSON struct {
	Law   string     `json:"law"`
	Basis string     `json:"basis"`
	Duty  string     `json:"duty"`
	DueAt *time.Time `json:"due_at,omitempty"`
}

type incidentSubjectJSON struct {
	CustomerID string    `json:"customer_id"`
	FirstAt    time.Time `json:"first_at"`
	LastAt     time.Time `json:"last_at"`
	Events     int       `json:"events"`
	Actions    []string  `json:"actions"`
	Fields     []string  `json:"fields"`
}

type incidentTaskJSON struct {
	ID        string     `json:"id"`
	Title     string     `json:"title"`
	OwnerID   string     `json:"owner_id"`
	CreatedBy string     `json:"created_by"`
	CreatedAt time.Time  `json:"created_at"`
	DoneAt    *time.Time `json:"done_at,omitempty"`
	DoneBy    string     `json:"done_by,omitempty"`
}

type incidentStepJSON struct {
	At      time.Time `json:"at"`
	ActorID string    `json:"actor_id"`
	Action  string    `json:"action"`
	Outcome string    `json:"outcome"`
	Note    string    `json:"note,omitempty"`
}

type incidentDraftJSON struct {
	EN string `json:"en"`
	ZH string `json:"zh"`
}

type incidentDraftsJSON struct {
	Authority incidentDraftJSON `json:"authority"`
	Person    incidentDraftJSON `json:"person"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func toIncidentJSON(i breach.Incident, full bool) incidentJSON {
	out := incidentJSON{ID: i.ID, Title: i.Title, Description: i.Description, Kind: i.Kind, Drill: i.Drill, Status: i.Status, DiscoveredAt: i.DiscoveredAt,
		DueAt: i.DueAt, Overdue: i.Overdue(time.Now()), WindowFrom: i.WindowFrom, WindowTo: i.WindowTo, ActorID: i.ActorID, SessionID: i.SessionID, IP: i.IP,
		CreatedBy: i.CreatedBy, CreatedAt: i.CreatedAt, ScopedAt: timePtr(i.ScopedAt), ScopeEvents: i.ScopeEvents, Affected: i.Affected,
		ContainedAt: timePtr(i.ContainedAt), NotifiedAt: timePtr(i.NotifiedAt), ClosedAt: timePtr(i.ClosedAt),
		Duties: []incidentDutyJSON{
			{Law: "gdpr", Basis: "Art. 33(1)", Duty: "notify the supervisory authority without undue delay and within 72 hours of discovery, unless the breach is unlikely to result in a risk to people", DueAt: &i.DueAt},
			{Law: "gdpr", Basis: "Art. 34", Duty: "tell the people without undue delay when the risk to them is high, unless Art. 34(3) applies"},
			{Law: "pipl", Basis: "Art. 57", Duty: "immediately take remedial measures and notify the authority and the individuals (what, why, harm, measures, contact)"},
			{Law: "ccpa", Basis: "Cal. Civ. Code §1798.82", Duty: "notify affected California residents in the most expedient time possible and without unreasonable delay (the Attorney General when more than 500)"},
		}}
	if d := i.Decision; d != nil {
		out.Decision = &decisionJSON{NotifyAuthority: d.NotifyAuthority, AuthorityReason: d.AuthorityReason, NotifyPeople: d.NotifyPeople, PeopleReason: d.PeopleReason,
			Note: d.Note, DecidedBy: d.DecidedBy, DecidedAt: d.DecidedAt}
	}
	if !full {
		return out
	}
	for _, s := range i.Subjects {
		out.Subjects = append(out.Subjects, incidentSubjectJSON{CustomerID: s.CustomerID, FirstAt: s.FirstAt, LastAt: s.LastAt, Events: s.Events, Actions: s.Actions, Fields: s.Fields})
	}
	for _, t := range i.Tasks {
		out.Tasks = append(out.Tasks, incidentTaskJSON{ID: t.ID, Title: t.Title, OwnerID: t.OwnerID, CreatedBy: t.CreatedBy, CreatedAt: t.CreatedAt, DoneAt: timePtr(t.DoneAt), DoneBy: t.DoneBy})
	}
	for _, s := range i.Timeline {
		out.Timeline = append(out.Timeline, incidentStepJSON{At: s.At, ActorID: s.ActorID, Action: s.Action, Outcome: s.Outcome, Note: s.Note})
	}
	out.Drafts = &incidentDraftsJSON{Authority: incidentDraftJSON{i.Authority.EN, i.Authority.ZH}, Person: incidentDraftJSON{i.Person.EN, i.Person.ZH}}
	return out
}

// parseTime reads an RFC 3339 time of a request body's member.
func parseTime(field, v string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return t, errs.InvalidField(field, field+" is a time (RFC 3339, e.g. 2026-11-30T09:00:00Z)")
	}
	return t, nil
}

// openIncident records an incident or a drill.
func (h *incidentsAPI) openIncident(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in struct {
		Title        string `json:"title"`
		Description  string `json:"description"`
		Kind         string `json:"kind"`
		Drill        bool   `json:"drill"`
		DiscoveredAt string `json:"discovered_at"`
		WindowFrom   string `json:"window_from"`
		WindowTo     string `json:"window_to"`
		ActorID      string `json:"actor_id"`
		SessionID    string `json:"session_id"`
		IP           string `json:"ip"`
	}
	if err := httpx.DecodeJSON(w, r, &in, "title", "description", "kind", "discovered_at", "window_from", "window_to"); err != nil {
		return err
	}
	bi := breach.Input{Title: in.Title, Description: in.Description, Kind: in.Kind, Drill: in.Drill, ActorID: in.ActorID, SessionID: in.SessionID, IP: in.IP}
	var err error
	if bi.DiscoveredAt, err = parseTime("discovered_at", in.DiscoveredAt); err != nil {
		return err
	}
	if bi.WindowFrom, err = parseTime("window_from", in.WindowFrom); err != nil {
		return err
	}
	if bi.WindowTo, err = parseTime("window_to", in.WindowTo); err != nil {
		return err
	}
	inc, err := h.incidents.Open(r.Context(), a, bi)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/privacy/incidents/"+inc.ID)
	httpx.WriteJSON(w, http.StatusCreated, toIncidentJSON(inc, false))
	return nil
}

// listIncidents lists the incidents newest first (?drills=true: drills too).
func (h *incidentsAPI) listIncidents(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	q, err := httpx.Query(r, "drills")
	if err != nil {
		return err
	}
	if v := q["drills"]; v != "" && v != "true" && v != "false" {
		return errs.InvalidField("drills", "drills is true or false")
	}
	list, err := h.incidents.Incidents(r.Context(), a, q["drills"] == "true")
	if err != nil {
		return err
	}
	out := struct {
		Items []incidentJSON `json:"items"`
	}{Items: make([]incidentJSON, 0, len(list))}
	for _, x := range list {
		out.Items = append(out.Items, toIncidentJSON(x, false))
	}
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

// showIncident answers one incident with its scope, tasks, timeline and
// the notices' drafts.
func (h *incidentsAPI) showIncident(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	if _, err := httpx.Query(r); err != nil {
		return err
	}
	inc, err := h.incidents.Incident(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, toIncidentJSON(inc, true))
	return nil
}

// scopeIncident draws the scope from the audit log.
func (h *incidentsAPI) scopeIncident(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	if _, err := httpx.Query(r); err != nil {
		return err
	}
	inc, err := h.incidents.Scope(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, toIncidentJSON(inc, true))
	return nil
}

// decideIncident records the decision on notifying.
func (h *incidentsAPI) decideIncident(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in struct {
		NotifyAuthority bool   `json:"notify_authority"`
		AuthorityReason string `json:"authority_reason"`
		NotifyPeople    bool   `json:"notify_people"`
		PeopleReason    string `json:"people_reason"`
		Note            string `json:"note"`
	}
	if err := httpx.DecodeJSON(w, r, &in, "notify_authority", "notify_people", "people_reason"); err != nil {
		return err
	}
	inc, err := h.incidents.Decide(r.Context(), a, r.PathValue("id"), breach.DecisionInput{NotifyAuthority: in.NotifyAuthority, AuthorityReason: in.AuthorityReason,
		NotifyPeople: in.NotifyPeople, PeopleReason: in.PeopleReason, Note: in.Note})
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, toIncidentJSON(inc, false))
	return nil
}

// advanceIncident moves an incident to contained, notified or closed.
func (h *incidentsAPI) advanceIncident(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in struct {
		Status string `json:"status"`
		Note   string `json:"note"`
	}
	if err := httpx.DecodeJSON(w, r, &in, "status"); err != nil {
		return err
	}
	inc, err := h.incidents.Advance(r.Context(), a, r.PathValue("id"), in.Status, in.Note)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, toIncidentJSON(inc, false))
	return nil
}

// addTask adds a task with an owner.
func (h *incidentsAPI) addTask(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in struct {
		Title   string `json:"title"`
		OwnerID string `json:"owner_id"`
	}
	if err := httpx.DecodeJSON(w, r, &in, "title", "owner_id"); err != nil {
		return err
	}
	t, err := h.incidents.AddTask(r.Context(), a, r.PathValue("id"), in.Title, in.OwnerID)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusCreated, incidentTaskJSON{ID: t.ID, Title: t.Title, OwnerID: t.OwnerID, CreatedBy: t.CreatedBy, CreatedAt: t.CreatedAt})
	return nil
}

// finishTask marks a task done.
func (h *incidentsAPI) finishTask(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	if _, err := httpx.Query(r); err != nil {
		return err
	}
	if err := h.incidents.FinishTask(r.Context(), a, r.PathValue("id"), r.PathValue("task")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// openDraft answers the notice to one person of the scope, in English and
// Chinese, with their name (a read of it, audited).
func (h *incidentsAPI) openDraft(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	if _, err := httpx.Query(r); err != nil {
		return err
	}
	d, err := h.incidents.OpenDraft(r.Context(), a, r.PathValue("id"), r.PathValue("customer"))
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, http.StatusOK, incidentDraftJSON{EN: d.EN, ZH: d.ZH})
	return nil
}
