// Package breach holds the breach response: the incident record with its
// 72-hour clock (GDPR Art. 33) beside the PIPL and CCPA duties, its scope
// drawn from the audit log, the notification drafts to the people and the
// authority, the decision on notifying, tasks and a timeline — and drills,
// which run the same workflow on a simulated incident. It is a domain
// service over service/core like privacy; administrators who handle
// data-subject requests (core.MayHandleRequests) handle incidents.
package breach

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service/core"
	"strongroom.dev/strongroom/internal/store"
)

// Incidents is a domain service: personal-data breaches and their drills.
type Incidents struct{ c *core.Core }

// NewIncidents returns the incidents service over c.
func NewIncidents(c *core.Core) *Incidents { return &Incidents{c: c} }

// NoticeWindow is how long after discovering a breach the supervisory
// authority must be told (GDPR Art. 33(1)).
const NoticeWindow = 72 * time.Hour

// Kinds are what was compromised.
var Kinds = []string{"account", "session", "device", "key", "other"}

// Statuses an incident moves through, in order.
var Statuses = []string{"open", "contained", "notified", "closed"}

// PeopleReasons are the decision's reason codes about telling the people:
// high_risk (notify them, GDPR Art. 34(1)); or not, because the risk to
// them is not high (Art. 34(1)), the data was unintelligible to the
// attacker — encrypted and the key not taken (Art. 34(3)(a)) —, measures
// taken since remove the high risk (Art. 34(3)(b)), or telling each would
// take disproportionate effort, so a public communication is made instead
// (Art. 34(3)(c)).
var PeopleReasons = []string{"high_risk", "no_high_risk", "art34_3a", "art34_3b", "art34_3c"}

// Incident is a breach (or a drill of one) with what was found and
// decided.
type Incident struct {
	ID           string
	Title        string
	Description  string
	Kind         string
	Drill        bool
	Status       string
	DiscoveredAt time.Time
	DueAt        time.Time // the authority's notice: DiscoveredAt + 72 h
	WindowFrom   time.Time
	WindowTo     time.Time
	ActorID      string
	SessionID    string
	IP           string
	CreatedBy    string
	CreatedAt    time.Time
	ScopedAt     time.Time // zero: not scoped yet
	ScopeEvents  int
	Affected     int
	Decision     *Decision // nil: undecided
	ContainedAt  time.Time
	NotifiedAt   time.Time
	ClosedAt     time.Time

	// Filled by Incident (one incident), not by the list.
	Subjects  []Subject
	Tasks     []Task
	Timeline  []Step
	Authority Drafts // the notice to the supervisory authority
	Person    Drafts // the notice to each person, with [name] where the name goes
}

// Decision is whether the authority and the people are told, and why.
type Decision struct {
	NotifyAuthority bool
	AuthorityReason string
	NotifyPeople    bool
	PeopleReason    string // one of PeopleReasons
	Note            string
	DecidedBy       string
	DecidedAt       time.Time
}

// Subject is one customer in an incident's scope.
type Subject struct {
	CustomerID      string
	FirstAt, LastAt time.Time
	Events          int
	Actions         []string
	Fields          []string
}

// Task is a step of the response with an owner.
type Task struct {
	ID        string
	Title     string
	OwnerID   string
	CreatedBy string
	CreatedAt time.Time
	DoneAt    time.Time
	DoneBy    string
}

// Step is one entry of an incident's timeline, from the audit log.
type Step struct {
	At      time.Time
	ActorID string
	Action  string
	Outcome string
	Note    string
}

// Drafts are a notice in English and Simplified Chinese.
type Drafts struct{ EN, ZH string }

// AuthorityOwed reports whether the authority's notice is still owed: not
// given, and not decided against.
func (i Incident) AuthorityOwed() bool {
	return i.Status != "closed" && i.NotifiedAt.IsZero() && (i.Decision == nil || i.Decision.NotifyAuthority)
}

// Overdue reports whether the 72 hours have passed with the authority's
// notice still owed.
func (i Incident) Overdue(now time.Time) bool { return i.AuthorityOwed() && now.After(i.DueAt) }

// HoursLeft is the whole hours until the authority's notice is due
// (negative when overdue).
func (i Incident) HoursLeft(now time.Time) int { return int(i.DueAt.Sub(now).Hours()) }

// Input opens an incident.
type Input struct {
	Title        string
	Description  string // what happened; no personal data
	Kind         string
	Drill        bool
	DiscoveredAt time.Time
	WindowFrom   time.Time
	WindowTo     time.Time
	ActorID      string // the compromised account
	SessionID    string // the compromised session (or a device's)
	IP           string // the attacker's address
}

func (in *Input) normalise(now time.Time) error {
	var err error
	if in.Title, err = crm.Label("title", in.Title, 200); err != nil {
		return err
	}
	if in.Title == "" {
		return errs.InvalidField("title", "give the incident a title")
	}
	if in.Description, err = crm.FreeText("description", in.Description, 4000); err != nil {
		return err
	}
	if in.Description == "" {
		return errs.InvalidField("description", "say what happened (without personal data)")
	}
	in.Kind = strings.TrimSpace(in.Kind)
	if !slices.Contains(Kinds, in.Kind) {
		return errs.InvalidField("kind", "kind is one of: "+strings.Join(Kinds, ", "))
	}
	for _, f := range []struct {
		name string
		v    *string
	}{{"actor_id", &in.ActorID}, {"session_id", &in.SessionID}, {"ip", &in.IP}} {
		if *f.v, err = crm.Label(f.name, *f.v, 100); err != nil {
			return err
		}
	}
	switch {
	case in.Kind == "account" && in.ActorID == "":
		return errs.InvalidField("actor_id", "name the compromised account (a user id)")
	case in.Kind == "session" && in.SessionID == "":
		return errs.InvalidField("session_id", "name the compromised session")
	case in.Kind == "device" && in.SessionID == "" && in.ActorID == "":
		return errs.InvalidField("actor_id", "name the account or session of the lost device")
	case in.ActorID != "" && !crm.ValidID(in.ActorID):
		return errs.InvalidField("actor_id", "actor_id is a user id")
	case in.SessionID != "" && !crm.ValidID(in.SessionID):
		return errs.InvalidField("session_id", "session_id is a session id")
	case in.IP != "" && !validIP(in.IP):
		return errs.InvalidField("ip", "ip is an address, e.g. 203.0.113.7 or 2001:db8::7")
	case in.DiscoveredAt.IsZero():
		return errs.InvalidField("discovered_at", "say when the breach was discovered: the 72 hours run from then")
	case in.DiscoveredAt.After(now.Add(5 * time.Minute)):
		return errs.InvalidField("discovered_at", "discovered_at is not in the future")
	case in.WindowFrom.IsZero() || in.WindowTo.IsZero() || !in.WindowFrom.Before(in.WindowTo):
		return errs.InvalidField("window_from", "the window runs from a time to a later one")
	case in.WindowTo.Sub(in.WindowFrom) > 366*24*time.Hour:
		return errs.InvalidField("window_to", "the window is at most a year")
	}
	return nil
}

// Open records an incident (a drill when in.Drill). Its clock starts at
// the time of discovery. Audited (incident.create, or incident.drill).
func (s *Incidents) Open(ctx context.Context, a authz.Actor, in Input) (Incident, error) {
	if err := core.MayHandleRequests(a); err != nil {
		return Incident{}, err
	}
	now := s.c.Now()
	if err := in.normalise(now); err != nil {
		return Incident{}, err
	}
	r := store.IncidentRow{ID: crm.NewID("inc"), Title: in.Title, Description: in.Description, Kind: in.Kind, Drill: in.Drill, Status: "open",
		DiscoveredAt: in.DiscoveredAt, DueAt: in.DiscoveredAt.Add(NoticeWindow), WindowFrom: in.WindowFrom, WindowTo: in.WindowTo,
		ActorID: in.ActorID, SessionID: in.SessionID, IP: in.IP, CreatedBy: a.UserID, CreatedAt: now}
	err := core.Change(ctx, s.c, incidentStoreOf, func(tx incidentStore) error {
		if r.ActorID != "" {
			if _, err := tx.UserByID(ctx, r.ActorID); err != nil {
				return notFoundAs(err, "actor_id", "no user has this id")
			}
		}
		if err := tx.InsertIncident(ctx, r); err != nil {
			return err
		}
		action := "incident.create"
		if r.Drill {
			action = "incident.drill"
		}
		return s.c.Record(ctx, tx, a, action, "incident", r.ID, nil, audit.Success,
			fmt.Sprintf("%s, discovered %s, authority due %s", r.Kind, r.DiscoveredAt.UTC().Format(time.RFC3339), r.DueAt.UTC().Format(time.RFC3339)))
	})
	return incidentOf(r), err
}

// validIP reports whether s is an IP address as the audit log records it.
func validIP(s string) bool {
	_, err := netip.ParseAddr(s)
	return err == nil
}

func notFoundAs(err error, field, msg string) error {
	if errs.Is(err, errs.NotExist) {
		return errs.InvalidField(field, msg)
	}
	return err
}

func incidentOf(r store.IncidentRow) Incident {
	i := Incident{ID: r.ID, Title: r.Title, Description: r.Description, Kind: r.Kind, Drill: r.Drill, Status: r.Status, DiscoveredAt: r.DiscoveredAt,
		DueAt: r.DueAt, WindowFrom: r.WindowFrom, WindowTo: r.WindowTo, ActorID: r.ActorID, SessionID: r.SessionID, IP: r.IP, CreatedBy: r.CreatedBy,
		CreatedAt: r.CreatedAt, ScopedAt: r.ScopedAt, ScopeEvents: r.ScopeEvents, Affected: r.Affected, ContainedAt: r.ContainedAt,
		NotifiedAt: r.NotifiedAt, ClosedAt: r.ClosedAt}
	if !r.DecidedAt.IsZero() {
		i.Decision = &Decision{NotifyAuthority: r.NotifyAuth, AuthorityReason: r.AuthReason, NotifyPeople: r.NotifyPeople, PeopleReason: r.PeopleReason,
			Note: r.DecisionNote, DecidedBy: r.DecidedBy, DecidedAt: r.DecidedAt}
	}
	return i
}

// Incidents lists incidents newest first; drills only when drills is set.
// Audited (incident.list).
func (s *Incidents) Incidents(ctx context.Context, a authz.Actor, drills bool) ([]Incident, error) {
	if err := core.MayHandleRequests(a); err != nil {
		return nil, err
	}
	var out []Incident
	err := core.Change(ctx, s.c, incidentStoreOf, func(tx incidentStore) error {
		rows, err := tx.Incidents(ctx, drills, 500)
		if err != nil {
			return err
		}
		for _, r := range rows {
			out = append(out, incidentOf(r))
		}
		return s.c.Record(ctx, tx, a, "incident.list", "incident", "", nil, audit.Success, fmt.Sprintf("%d incidents", len(out)))
	})
	return out, err
}

// Incident returns one incident with its scope, tasks, timeline (its own
// events in the audit log but its reads) and the notices' drafts, the person's with a
// placeholder for the name (OpenDraft fills it in). Audited
// (incident.read).
func (s *Incidents) Incident(ctx context.Context, a authz.Actor, id string) (Incident, error) {
	if err := core.MayHandleRequests(a); err != nil {
		return Incident{}, err
	}
	var out Incident
	err := core.Change(ctx, s.c, incidentStoreOf, func(tx incidentStore) error {
		r, err := loadIncident(ctx, tx, id)
		if err != nil {
			return err
		}
		out = incidentOf(r)
		subjects, err := tx.IncidentSubjects(ctx, id)
		if err != nil {
			return err
		}
		for _, x := range subjects {
			out.Subjects = append(out.Subjects, subjectOf(x))
		}
		tasks, err := tx.IncidentTasks(ctx, id)
		if err != nil {
			return err
		}
		for _, t := range tasks {
			out.Tasks = append(out.Tasks, taskOf(t))
		}
		events, err := tx.ListAudit(ctx, store.AuditFilter{ObjectType: "incident", ObjectID: id, Limit: 1000})
		if err != nil {
			return err
		}
		for _, e := range events {
			if e.Action == "incident.read" { // a look, not a step
				continue
			}
			out.Timeline = append(out.Timeline, Step{At: e.At, ActorID: e.ActorID, Action: e.Action, Outcome: e.Outcome, Note: e.Reason})
		}
		out.Authority = s.fill(authorityDrafts(out, s.c.Now()))
		out.Person = s.fill(personDrafts(out, Subject{Fields: allFields(out.Subjects)}, ""))
		return s.c.Record(ctx, tx, a, "incident.read", "incident", id, nil, audit.Success, "")
	})
	return out, err
}

func loadIncident(ctx context.Context, tx interface {
	IncidentByID(context.Context, string) (store.IncidentRow, error)
}, id string) (store.IncidentRow, error) {
	if !crm.ValidID(id) {
		return store.IncidentRow{}, errs.E(errs.NotExist, "no such incident")
	}
	r, err := tx.IncidentByID(ctx, id)
	if errs.Is(err, errs.NotExist) {
		return r, errs.E(errs.NotExist, "no such incident")
	}
	return r, err
}

// openIncident loads an incident that may still change.
func openIncident(ctx context.Context, tx incidentStore, id string) (store.IncidentRow, error) {
	r, err := loadIncident(ctx, tx, id)
	if err == nil && r.Status == "closed" {
		return r, errs.E(errs.Conflict, "the incident is closed")
	}
	return r, err
}

func subjectOf(x store.IncidentSubjectRow) Subject {
	return Subject{CustomerID: x.CustomerID, FirstAt: x.FirstAt, LastAt: x.LastAt, Events: x.Events, Actions: x.Actions, Fields: x.Fields}
}

func taskOf(t store.IncidentTaskRow) Task {
	return Task{ID: t.ID, Title: t.Title, OwnerID: t.OwnerID, CreatedBy: t.CreatedBy, CreatedAt: t.CreatedAt, DoneAt: t.DoneAt, DoneBy: t.DoneBy}
}

func allFields(subjects []Subject) []string {
	var out []string
	for _, s := range subjects {
		for _, f := range s.Fields {
			if !slices.Contains(out, f) {
				out = append(out, f)
			}
		}
	}
	slices.Sort(out)
	return out
}

// DecisionInput records whether the authority and the people are told.
type DecisionInput struct {
	NotifyAuthority bool
	AuthorityReason string // required when the authority is not told
	NotifyPeople    bool
	PeopleReason    string // one of PeopleReasons: high_risk when they are told
	Note            string
}

// Decide records the decision on notifying, with who decided and when; a
// later decision replaces it (each is in the timeline). Audited
// (incident.decide).
func (s *Incidents) Decide(ctx context.Context, a authz.Actor, id string, in DecisionInput) (Incident, error) {
	if err := core.MayHandleRequests(a); err != nil {
		return Incident{}, err
	}
	var err error
	if in.AuthorityReason, err = crm.FreeText("authority_reason", in.AuthorityReason, 1000); err != nil {
		return Incident{}, err
	}
	if in.Note, err = crm.FreeText("note", in.Note, 2000); err != nil {
		return Incident{}, err
	}
	in.PeopleReason = strings.TrimSpace(in.PeopleReason)
	switch {
	case !in.NotifyAuthority && in.AuthorityReason == "":
		return Incident{}, errs.InvalidField("authority_reason", "say why the breach is unlikely to result in a risk to people (GDPR Art. 33(1)), or notify the authority")
	case !slices.Contains(PeopleReasons, in.PeopleReason):
		return Incident{}, errs.InvalidField("people_reason", "people_reason is one of: "+strings.Join(PeopleReasons, ", "))
	case in.NotifyPeople != (in.PeopleReason == "high_risk"):
		return Incident{}, errs.InvalidField("people_reason", "notify the people when the risk to them is high (high_risk); otherwise give the reason they are not told")
	case in.PeopleReason == "art34_3c" && in.Note == "":
		return Incident{}, errs.InvalidField("note", "say how the public communication is made (GDPR Art. 34(3)(c))")
	}
	var out Incident
	err = core.Change(ctx, s.c, incidentStoreOf, func(tx incidentStore) error {
		r, err := openIncident(ctx, tx, id)
		if err != nil {
			return err
		}
		r.DecidedAt, r.DecidedBy = s.c.Now(), a.UserID
		r.NotifyAuth, r.AuthReason, r.NotifyPeople, r.PeopleReason, r.DecisionNote = in.NotifyAuthority, in.AuthorityReason, in.NotifyPeople, in.PeopleReason, in.Note
		if err := tx.UpdateIncident(ctx, r); err != nil {
			return err
		}
		out = incidentOf(r)
		return s.c.Record(ctx, tx, a, "incident.decide", "incident", id, nil, audit.Success,
			fmt.Sprintf("authority: %v; people: %v (%s)", in.NotifyAuthority, in.NotifyPeople, in.PeopleReason))
	})
	return out, err
}

// Advance moves an incident on: contained (the breach is stopped),
// notified (the notices the decision calls for are given; it takes a
// decision to notify someone) or closed (it takes a decision and every
// task done). note says what was done; no personal data. Audited
// (incident.<status>, incident.close for closed).
func (s *Incidents) Advance(ctx context.Context, a authz.Actor, id, status, note string) (Incident, error) {
	if err := core.MayHandleRequests(a); err != nil {
		return Incident{}, err
	}
	note, err := crm.FreeText("note", note, 2000)
	if err != nil {
		return Incident{}, err
	}
	if status != "contained" && status != "notified" && status != "closed" {
		return Incident{}, errs.InvalidField("status", "status is contained, notified or closed")
	}
	var out Incident
	err = core.Change(ctx, s.c, incidentStoreOf, func(tx incidentStore) error {
		r, err := openIncident(ctx, tx, id)
		if err != nil {
			return err
		}
		if slices.Index(Statuses, status) <= slices.Index(Statuses, r.Status) {
			return errs.E(errs.Conflict, "the incident is "+r.Status+" already")
		}
		now := s.c.Now()
		action := "incident." + status
		switch status {
		case "contained":
			r.ContainedAt = now
		case "notified":
			if r.DecidedAt.IsZero() || !r.NotifyAuth && !r.NotifyPeople {
				return errs.E(errs.Conflict, "record a decision to notify the authority or the people first")
			}
			r.NotifiedAt = now
		case "closed":
			if r.DecidedAt.IsZero() {
				return errs.E(errs.Conflict, "record the decision on notifying before closing the incident")
			}
			if (r.NotifyAuth || r.NotifyPeople) && r.NotifiedAt.IsZero() {
				return errs.E(errs.Conflict, "the decision calls for notices: mark them given (notified) before closing")
			}
			tasks, err := tx.IncidentTasks(ctx, id)
			if err != nil {
				return err
			}
			for _, t := range tasks {
				if t.DoneAt.IsZero() {
					return errs.E(errs.Conflict, "a task is still open: "+t.Title)
				}
			}
			r.ClosedAt, action = now, "incident.close"
		}
		if r.ContainedAt.IsZero() {
			r.ContainedAt = now
		}
		r.Status = status
		if err := tx.UpdateIncident(ctx, r); err != nil {
			return err
		}
		out = incidentOf(r)
		return s.c.Record(ctx, tx, a, action, "incident", id, nil, audit.Success, note)
	})
	return out, err
}

// AddTask adds a task with an owner (a user id). Audited (incident.task).
func (s *Incidents) AddTask(ctx context.Context, a authz.Actor, id, title, ownerID string) (Task, error) {
	if err := core.MayHandleRequests(a); err != nil {
		return Task{}, err
	}
	title, err := crm.Label("title", title, 300)
	if err != nil {
		return Task{}, err
	}
	switch {
	case title == "":
		return Task{}, errs.InvalidField("title", "say what is to be done")
	case !crm.ValidID(ownerID):
		return Task{}, errs.InvalidField("owner_id", "owner_id is a user id")
	}
	t := store.IncidentTaskRow{ID: crm.NewID("itk"), IncidentID: id, Title: title, OwnerID: ownerID, CreatedBy: a.UserID, CreatedAt: s.c.Now()}
	err = core.Change(ctx, s.c, incidentStoreOf, func(tx incidentStore) error {
		if _, err := openIncident(ctx, tx, id); err != nil {
			return err
		}
		if _, err := tx.UserByID(ctx, ownerID); err != nil {
			return notFoundAs(err, "owner_id", "no user has this id")
		}
		if err := tx.InsertIncidentTask(ctx, t); err != nil {
			return err
		}
		return s.c.Record(ctx, tx, a, "incident.task", "incident", id, nil, audit.Success, fmt.Sprintf("added %s for %s: %s", t.ID, ownerID, title))
	})
	return taskOf(t), err
}

// FinishTask marks a task done. Audited (incident.task).
func (s *Incidents) FinishTask(ctx context.Context, a authz.Actor, id, taskID string) error {
	if err := core.MayHandleRequests(a); err != nil {
		return err
	}
	return core.Change(ctx, s.c, incidentStoreOf, func(tx incidentStore) error {
		if _, err := openIncident(ctx, tx, id); err != nil {
			return err
		}
		if err := tx.FinishIncidentTask(ctx, id, taskID, a.UserID, s.c.Now()); errs.Is(err, errs.NotExist) {
			return errs.E(errs.NotExist, "no such open task on this incident")
		} else if err != nil {
			return err
		}
		return s.c.Record(ctx, tx, a, "incident.task", "incident", id, nil, audit.Success, "done "+taskID)
	})
}

// incidentStore is what the methods in incidents.go read and write.
type incidentStore interface {
	audit.Appender
	UserByID(ctx context.Context, id string) (store.UserRow, error)
	InsertIncident(ctx context.Context, r store.IncidentRow) error
	IncidentByID(ctx context.Context, id string) (store.IncidentRow, error)
	Incidents(ctx context.Context, drills bool, limit int) ([]store.IncidentRow, error)
	UpdateIncident(ctx context.Context, r store.IncidentRow) error
	IncidentSubjects(ctx context.Context, incidentID string) ([]store.IncidentSubjectRow, error)
	InsertIncidentTask(ctx context.Context, t store.IncidentTaskRow) error
	IncidentTasks(ctx context.Context, incidentID string) ([]store.IncidentTaskRow, error)
	FinishIncidentTask(ctx context.Context, incidentID, taskID, by string, at time.Time) error
	ListAudit(ctx context.Context, f store.AuditFilter) ([]audit.Event, error)
}

// incidentStoreOf is the compiler's check that the store has every method of incidentStore.
func incidentStoreOf(tx *store.Tx) incidentStore { return tx }
