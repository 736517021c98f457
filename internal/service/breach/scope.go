package breach

import (
	"context"
	"fmt"
	"slices"
	"time"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service/core"
	"strongroom.dev/strongroom/internal/store"
)

// maxTouches bounds the audit events one scope reads; a wider breach is
// scoped in narrower windows.
const maxTouches = 200_000

// Scope draws the incident's scope from the audit log: every customer
// that a successful event of the compromised account, session or address
// (each one the incident names) touched in its window, with the first and
// last touch, how many events and which actions and fields. It replaces
// the scope drawn before, keeping customers by id only (erased ones drop
// out). It reads no personal data, only the log. Audited (incident.scope).
func (s *Incidents) Scope(ctx context.Context, a authz.Actor, id string) (Incident, error) {
	if err := core.MayHandleRequests(a); err != nil {
		return Incident{}, err
	}
	var out Incident
	err := core.Change(ctx, s.c, scopeStoreOf, func(tx scopeStore) error {
		r, err := loadIncident(ctx, tx, id)
		if err != nil {
			return err
		}
		if r.Status == "closed" {
			return errs.E(errs.Conflict, "the incident is closed")
		}
		if r.ActorID == "" && r.SessionID == "" && r.IP == "" {
			return errs.E(errs.Conflict, "the incident names no account, session or address, so the audit log cannot scope it")
		}
		touches, err := tx.CustomerTouches(ctx, store.TouchFilter{ActorID: r.ActorID, SessionID: r.SessionID, IP: r.IP, From: r.WindowFrom, To: r.WindowTo, Limit: maxTouches + 1})
		if err != nil {
			return err
		}
		if len(touches) > maxTouches {
			return errs.E(errs.Conflict, fmt.Sprintf("more than %d events in the window: scope it in narrower windows", maxTouches))
		}
		// A bulk export is one event naming no one: the scope would leave
		// out everyone it carried. Refuse rather than under-report.
		if i := slices.IndexFunc(touches, func(t store.Touch) bool { return t.CustomerID == "" }); i >= 0 {
			return errs.E(errs.Conflict, fmt.Sprintf("the account made a bulk export (%s) at %s in the window, and the audit log does not list its rows: "+
				"treat every customer it could export as affected; a window that ends before %s scopes the rest", touches[i].Action,
				touches[i].At.UTC().Format(time.RFC3339), touches[i].At.UTC().Format(time.RFC3339)))
		}
		subjects, events := aggregate(touches)
		ids := make([]string, len(subjects))
		for i, x := range subjects {
			ids[i] = x.CustomerID
		}
		there, err := tx.ExistingCustomers(ctx, ids)
		if err != nil {
			return err
		}
		subjects = slices.DeleteFunc(subjects, func(x store.IncidentSubjectRow) bool { return !there[x.CustomerID] })
		if err := tx.SetIncidentSubjects(ctx, id, subjects); err != nil {
			return err
		}
		r.ScopedAt, r.ScopeEvents, r.Affected = s.c.Now(), events, len(subjects)
		if err := tx.UpdateIncident(ctx, r); err != nil {
			return err
		}
		out = incidentOf(r)
		for _, x := range subjects {
			out.Subjects = append(out.Subjects, subjectOf(x))
		}
		gone := len(ids) - len(subjects)
		return s.c.Record(ctx, tx, a, "incident.scope", "incident", id, nil, audit.Success,
			fmt.Sprintf("%d customers from %d events (%d no longer held)", len(subjects), events, gone))
	})
	return out, err
}

// aggregate turns the touches (in seq order) into one row per customer,
// ordered by first touch, and counts the distinct events.
func aggregate(touches []store.Touch) ([]store.IncidentSubjectRow, int) {
	var out []store.IncidentSubjectRow
	at := map[string]int{}
	events := 0
	var last int64 = -1
	for _, t := range touches {
		if t.Seq != last {
			events, last = events+1, t.Seq
		}
		i, ok := at[t.CustomerID]
		if !ok {
			i = len(out)
			at[t.CustomerID] = i
			out = append(out, store.IncidentSubjectRow{CustomerID: t.CustomerID, FirstAt: t.At})
		}
		x := &out[i]
		x.LastAt = t.At
		x.Events++
		if !slices.Contains(x.Actions, t.Action) {
			x.Actions = append(x.Actions, t.Action)
		}
		for _, f := range t.Fields {
			if !slices.Contains(x.Fields, f) {
				x.Fields = append(x.Fields, f)
			}
		}
	}
	for i := range out {
		slices.Sort(out[i].Actions)
		slices.Sort(out[i].Fields)
	}
	return out, events
}

// scopeStore is what the methods in scope.go read and write.
type scopeStore interface {
	audit.Appender
	IncidentByID(ctx context.Context, id string) (store.IncidentRow, error)
	UpdateIncident(ctx context.Context, r store.IncidentRow) error
	CustomerTouches(ctx context.Context, f store.TouchFilter) ([]store.Touch, error)
	ExistingCustomers(ctx context.Context, ids []string) (map[string]bool, error)
	SetIncidentSubjects(ctx context.Context, incidentID string, subjects []store.IncidentSubjectRow) error
}

// scopeStoreOf is the compiler's check that the store has every method of scopeStore.
func scopeStoreOf(tx *store.Tx) scopeStore { return tx }
