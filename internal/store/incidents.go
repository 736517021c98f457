package store

import (
	"context"
	"database/sql"
	"strings"
	"time"
)

// IncidentRow is one personal-data breach (or a drill of one).
type IncidentRow struct {
	ID           string
	Title        string
	Description  string
	Kind         string
	Drill        bool
	Status       string
	DiscoveredAt time.Time
	DueAt        time.Time
	WindowFrom   time.Time
	WindowTo     time.Time
	ActorID      string // the compromised account ("" if not known)
	SessionID    string // the compromised session
	IP           string // the attacker's address
	CreatedBy    string
	CreatedAt    time.Time
	ScopedAt     time.Time // zero: never scoped
	ScopeEvents  int
	Affected     int
	DecidedAt    time.Time // zero: undecided
	DecidedBy    string
	NotifyAuth   bool
	AuthReason   string
	NotifyPeople bool
	PeopleReason string
	DecisionNote string
	ContainedAt  time.Time
	NotifiedAt   time.Time
	ClosedAt     time.Time
}

// IncidentSubjectRow is one customer whose data an incident's compromised
// actor touched, with when and how.
type IncidentSubjectRow struct {
	CustomerID      string
	FirstAt, LastAt time.Time
	Events          int
	Actions         []string
	Fields          []string
}

// IncidentTaskRow is a task in responding to an incident.
type IncidentTaskRow struct {
	ID         string
	IncidentID string
	Title      string
	OwnerID    string
	CreatedBy  string
	CreatedAt  time.Time
	DoneAt     time.Time
	DoneBy     string
}

// TouchFilter selects the audit events that an incident's scope reads:
// successful events on customers by ActorID, SessionID and IP (each one
// that is set) in [From, To).
type TouchFilter struct {
	ActorID, SessionID, IP string
	From, To               time.Time
	Limit                  int
}

// Touch is one customer touched by one audit event.
type Touch struct {
	Seq        int64
	At         time.Time
	Action     string
	Fields     []string
	CustomerID string
}

// IncidentCounts are what the compliance report reads about incidents:
// real ones still open and those past their 72 hours with the authority's
// notice still owed; drills in the year before now and the last one.
type IncidentCounts struct {
	Open, Overdue int64
	DrillsLast365 int64
	LastDrill     time.Time // zero: no drill yet
}

// incidentRows are the breach incidents, their scope and tasks, one part of a Tx.
type incidentRows struct{ *conn }

const incidentColumns = "id, title, description, kind, drill, status, discovered_at, due_at, window_from, window_to, actor_id, session_id, ip, created_by, created_at, " +
	"scoped_at, scope_events, affected, decided_at, decided_by, notify_authority, authority_reason, notify_people, people_reason, decision_note, contained_at, notified_at, closed_at"

// orZero reads a time stored by micro (0: none).
func orZero(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return fromMicro(us)
}

// InsertIncident records a new incident.
func (tx *incidentRows) InsertIncident(ctx context.Context, r IncidentRow) error {
	_, err := tx.exec(ctx, "INSERT INTO incidents (id, title, description, kind, drill, status, discovered_at, due_at, window_from, window_to, actor_id, session_id, ip, created_by, created_at) "+
		"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		r.ID, r.Title, r.Description, r.Kind, boolInt(r.Drill), r.Status, r.DiscoveredAt.UnixMicro(), r.DueAt.UnixMicro(), r.WindowFrom.UnixMicro(), r.WindowTo.UnixMicro(),
		r.ActorID, r.SessionID, r.IP, r.CreatedBy, r.CreatedAt.UnixMicro())
	return classify("store.InsertIncident", err)
}

func scanIncident(row interface{ Scan(...any) error }) (IncidentRow, error) {
	var r IncidentRow
	var drill, notifyAuth, notifyPeople int
	var discovered, due, from, to, created, scoped, decided, contained, notified, closed int64
	err := row.Scan(&r.ID, &r.Title, &r.Description, &r.Kind, &drill, &r.Status, &discovered, &due, &from, &to, &r.ActorID, &r.SessionID, &r.IP, &r.CreatedBy, &created,
		&scoped, &r.ScopeEvents, &r.Affected, &decided, &r.DecidedBy, &notifyAuth, &r.AuthReason, &notifyPeople, &r.PeopleReason, &r.DecisionNote, &contained, &notified, &closed)
	r.Drill, r.NotifyAuth, r.NotifyPeople = drill != 0, notifyAuth != 0, notifyPeople != 0
	r.DiscoveredAt, r.DueAt, r.WindowFrom, r.WindowTo, r.CreatedAt = fromMicro(discovered), fromMicro(due), fromMicro(from), fromMicro(to), fromMicro(created)
	r.ScopedAt, r.DecidedAt, r.ContainedAt, r.NotifiedAt, r.ClosedAt = orZero(scoped), orZero(decided), orZero(contained), orZero(notified), orZero(closed)
	return r, err
}

// IncidentByID returns one incident.
func (tx *incidentRows) IncidentByID(ctx context.Context, id string) (IncidentRow, error) {
	r, err := scanIncident(tx.queryRow(ctx, "SELECT "+incidentColumns+" FROM incidents WHERE id = ?", id))
	return r, classify("store.IncidentByID", err)
}

// Incidents lists incidents newest first (drills too when drills is set),
// at most limit.
func (tx *incidentRows) Incidents(ctx context.Context, drills bool, limit int) ([]IncidentRow, error) {
	q := "SELECT " + incidentColumns + " FROM incidents WHERE drill = 0 ORDER BY discovered_at DESC, id DESC LIMIT ?"
	if drills {
		q = "SELECT " + incidentColumns + " FROM incidents ORDER BY discovered_at DESC, id DESC LIMIT ?"
	}
	rows, err := tx.query(ctx, q, limit)
	if err != nil {
		return nil, classify("store.Incidents", err)
	}
	defer rows.Close()
	var out []IncidentRow
	for rows.Next() {
		r, err := scanIncident(rows)
		if err != nil {
			return nil, classify("store.Incidents", err)
		}
		out = append(out, r)
	}
	return out, classify("store.Incidents", rows.Err())
}

// UpdateIncident writes an incident's status, scope summary and decision.
func (tx *incidentRows) UpdateIncident(ctx context.Context, r IncidentRow) error {
	return tx.updateOne(ctx, "store.UpdateIncident", "UPDATE incidents SET status = ?, scoped_at = ?, scope_events = ?, affected = ?, decided_at = ?, decided_by = ?, "+
		"notify_authority = ?, authority_reason = ?, notify_people = ?, people_reason = ?, decision_note = ?, contained_at = ?, notified_at = ?, closed_at = ? WHERE id = ?",
		r.Status, micro(r.ScopedAt), r.ScopeEvents, r.Affected, micro(r.DecidedAt), r.DecidedBy, boolInt(r.NotifyAuth), r.AuthReason, boolInt(r.NotifyPeople), r.PeopleReason,
		r.DecisionNote, micro(r.ContainedAt), micro(r.NotifiedAt), micro(r.ClosedAt), r.ID)
}

// CustomerTouches reads the audit log for an incident's scope: each
// customer that a successful event matching f named, as its object or one
// of its subjects, in seq order. Events on other objects are left out.
func (tx *incidentRows) CustomerTouches(ctx context.Context, f TouchFilter) ([]Touch, error) {
	where := []string{"e.object_type = 'customer'", "e.outcome = 'success'", "e.at >= ?", "e.at < ?"}
	args := []any{f.From.UnixMicro(), f.To.UnixMicro()}
	for _, c := range []struct{ col, v string }{{"e.actor_id", f.ActorID}, {"e.session_id", f.SessionID}, {"e.ip", f.IP}} {
		if c.v != "" {
			where, args = append(where, c.col+" = ?"), append(args, c.v)
		}
	}
	args = append(args, f.Limit)
	// Each event names its subjects itself; the index of subjects, which
	// is filled behind the log, is not needed here.
	rows, err := tx.query(ctx, "SELECT e.seq, e.at, e.action, e.fields, e.object_id, e.subjects FROM audit_events e WHERE "+
		strings.Join(where, " AND ")+" ORDER BY e.seq LIMIT ?", args...)
	if err != nil {
		return nil, classify("store.CustomerTouches", err)
	}
	defer rows.Close()
	var out []Touch
	n := 0 // touches read, kept or not, up to f.Limit
	for rows.Next() && n < f.Limit {
		var t Touch
		var at int64
		var fields, objectID, subjects string
		if err := rows.Scan(&t.Seq, &at, &t.Action, &fields, &objectID, &subjects); err != nil {
			return nil, classify("store.CustomerTouches", err)
		}
		t.At = fromMicro(at)
		if fields != "" {
			t.Fields = strings.Split(fields, ",")
		}
		named := []string{objectID}
		if subjects != "" {
			named = strings.Split(subjects, ",")
		}
		for _, id := range named[:min(len(named), f.Limit-n)] {
			n++
			t.CustomerID = id
			if id != "" || strings.HasSuffix(t.Action, "export") { // a bulk export names no one: the caller must see it
				out = append(out, t)
			}
		}
	}
	return out, classify("store.CustomerTouches", rows.Err())
}

// ExistingCustomers returns those of ids that are still customers (not
// erased or deleted).
func (tx *incidentRows) ExistingCustomers(ctx context.Context, ids []string) (map[string]bool, error) {
	out := map[string]bool{}
	for start := 0; start < len(ids); start += 500 {
		part := ids[start:min(start+500, len(ids))]
		args := make([]any, len(part))
		for i, id := range part {
			args[i] = id
		}
		rows, err := tx.query(ctx, "SELECT id FROM customers WHERE id IN (?"+strings.Repeat(", ?", len(part)-1)+")", args...)
		if err != nil {
			return nil, classify("store.ExistingCustomers", err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, classify("store.ExistingCustomers", err)
			}
			out[id] = true
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, classify("store.ExistingCustomers", err)
		}
	}
	return out, nil
}

// SetIncidentSubjects replaces an incident's scope.
func (tx *incidentRows) SetIncidentSubjects(ctx context.Context, incidentID string, subjects []IncidentSubjectRow) error {
	if _, err := tx.exec(ctx, "DELETE FROM incident_subjects WHERE incident_id = ?", incidentID); err != nil {
		return classify("store.SetIncidentSubjects", err)
	}
	for _, s := range subjects {
		if _, err := tx.exec(ctx, "INSERT INTO incident_subjects (incident_id, customer_id, first_at, last_at, events, actions, fields) VALUES (?, ?, ?, ?, ?, ?, ?)",
			incidentID, s.CustomerID, s.FirstAt.UnixMicro(), s.LastAt.UnixMicro(), s.Events, strings.Join(s.Actions, ","), strings.Join(s.Fields, ",")); err != nil {
			return classify("store.SetIncidentSubjects", err)
		}
	}
	return nil
}

// IncidentSubjects lists an incident's scope by first touch.
func (tx *incidentRows) IncidentSubjects(ctx context.Context, incidentID string) ([]IncidentSubjectRow, error) {
	rows, err := tx.query(ctx, "SELECT customer_id, first_at, last_at, events, actions, fields FROM incident_subjects WHERE incident_id = ? ORDER BY first_at, customer_id", incidentID)
	if err != nil {
		return nil, classify("store.IncidentSubjects", err)
	}
	defer rows.Close()
	var out []IncidentSubjectRow
	for rows.Next() {
		var s IncidentSubjectRow
		var first, last int64
		var actions, fields string
		if err := rows.Scan(&s.CustomerID, &first, &last, &s.Events, &actions, &fields); err != nil {
			return nil, classify("store.IncidentSubjects", err)
		}
		s.FirstAt, s.LastAt = fromMicro(first), fromMicro(last)
		if actions != "" {
			s.Actions = strings.Split(actions, ",")
		}
		if fields != "" {
			s.Fields = strings.Split(fields, ",")
		}
		out = append(out, s)
	}
	return out, classify("store.IncidentSubjects", rows.Err())
}

// IncidentSubject returns one customer of an incident's scope.
func (tx *incidentRows) IncidentSubject(ctx context.Context, incidentID, customerID string) (IncidentSubjectRow, error) {
	s := IncidentSubjectRow{CustomerID: customerID}
	var first, last int64
	var actions, fields string
	err := tx.queryRow(ctx, "SELECT first_at, last_at, events, actions, fields FROM incident_subjects WHERE incident_id = ? AND customer_id = ?", incidentID, customerID).
		Scan(&first, &last, &s.Events, &actions, &fields)
	s.FirstAt, s.LastAt = fromMicro(first), fromMicro(last)
	if actions != "" {
		s.Actions = strings.Split(actions, ",")
	}
	if fields != "" {
		s.Fields = strings.Split(fields, ",")
	}
	return s, classify("store.IncidentSubject", err)
}

// InsertIncidentTask adds a task to an incident.
func (tx *incidentRows) InsertIncidentTask(ctx context.Context, t IncidentTaskRow) error {
	_, err := tx.exec(ctx, "INSERT INTO incident_tasks (id, incident_id, title, owner_id, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)",
		t.ID, t.IncidentID, t.Title, t.OwnerID, t.CreatedBy, t.CreatedAt.UnixMicro())
	return classify("store.InsertIncidentTask", err)
}

// IncidentTasks lists an incident's tasks in the order they were added.
func (tx *incidentRows) IncidentTasks(ctx context.Context, incidentID string) ([]IncidentTaskRow, error) {
	rows, err := tx.query(ctx, "SELECT id, incident_id, title, owner_id, created_by, created_at, done_at, done_by FROM incident_tasks WHERE incident_id = ? ORDER BY created_at, id", incidentID)
	if err != nil {
		return nil, classify("store.IncidentTasks", err)
	}
	defer rows.Close()
	var out []IncidentTaskRow
	for rows.Next() {
		var t IncidentTaskRow
		var created, done int64
		if err := rows.Scan(&t.ID, &t.IncidentID, &t.Title, &t.OwnerID, &t.CreatedBy, &created, &done, &t.DoneBy); err != nil {
			return nil, classify("store.IncidentTasks", err)
		}
		t.CreatedAt, t.DoneAt = fromMicro(created), orZero(done)
		out = append(out, t)
	}
	return out, classify("store.IncidentTasks", rows.Err())
}

// FinishIncidentTask marks a task of an incident done; one already done,
// or of another incident, fails with NotExist.
func (tx *incidentRows) FinishIncidentTask(ctx context.Context, incidentID, taskID, by string, at time.Time) error {
	return tx.updateOne(ctx, "store.FinishIncidentTask", "UPDATE incident_tasks SET done_at = ?, done_by = ? WHERE id = ? AND incident_id = ? AND done_at = 0",
		at.UnixMicro(), by, taskID, incidentID)
}

// IncidentCounts counts, at now, the real incidents still open (not
// closed) and those of them whose authority notice is overdue (past
// due_at, not notified, and not decided against notifying), and the drills
// of the last 365 days with the time of the last one.
func (tx *incidentRows) IncidentCounts(ctx context.Context, now time.Time) (IncidentCounts, error) {
	var c IncidentCounts
	var last sql.NullInt64
	err := tx.queryRow(ctx, `SELECT
		(SELECT count(*) FROM incidents WHERE drill = 0 AND status <> 'closed'),
		(SELECT count(*) FROM incidents WHERE drill = 0 AND status <> 'closed' AND notified_at = 0 AND due_at < ?
			AND NOT (decided_at <> 0 AND notify_authority = 0)),
		(SELECT count(*) FROM incidents WHERE drill = 1 AND discovered_at >= ?),
		(SELECT MAX(discovered_at) FROM incidents WHERE drill = 1)`, now.UnixMicro(), now.AddDate(0, 0, -365).UnixMicro()).
		Scan(&c.Open, &c.Overdue, &c.DrillsLast365, &last)
	if last.Valid {
		c.LastDrill = fromMicro(last.Int64)
	}
	return c, classify("store.IncidentCounts", err)
}
