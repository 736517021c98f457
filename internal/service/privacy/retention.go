package privacy

import (
	"context"
	"fmt"
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

// Retention is a domain service: how long each kind of record is kept
// (GDPR Art. 5(1)(e), PIPL Art. 19), the dry run that shows what a rule
// would remove before it is switched on, and the daily job that applies
// the rules as the system, through the same store and audit log as any
// change. Records under a legal hold, a restriction or an open request
// stay, and the report says so.
type Retention struct{ c *core.Core }

// AuditArchive is how long audit events stay in the database before
// serve archives them (--audit-retention; 0: never), shown beside the
// rules.
func (s *Retention) AuditArchive() time.Duration { return s.c.AuditOnline }

// NewRetention returns the retention service over c.
func NewRetention(c *core.Core) *Retention { return &Retention{c: c} }

// A RetentionTarget is a kind of record a rule keeps for a time: what the
// rule does when the time is up, and the shortest time it accepts (a
// guard against a typing slip that would remove everything).
type RetentionTarget struct {
	Key     string
	Action  string // erase (crypto-shred the person) or delete
	MinDays int
}

// RetentionTargets are the kinds of record rules can cover.
var RetentionTargets = []RetentionTarget{
	{Key: "inactive_customers", Action: "erase", MinDays: 90},
	{Key: "activities", Action: "delete", MinDays: 30},
	{Key: "visit_photos", Action: "delete", MinDays: 7},
}

func retentionTarget(key string) (RetentionTarget, bool) {
	i := slices.IndexFunc(RetentionTargets, func(t RetentionTarget) bool { return t.Key == key })
	if i < 0 {
		return RetentionTarget{}, false
	}
	return RetentionTargets[i], true
}

// RetentionRule is one rule as the page shows it: Set is false for a
// target with no rule yet.
type RetentionRule struct {
	Target      string    `json:"target"`
	Action      string    `json:"action"`
	MinDays     int       `json:"min_days"`
	Set         bool      `json:"set"`
	AfterDays   int       `json:"after_days,omitempty"`
	Enabled     bool      `json:"enabled"`
	Note        string    `json:"note,omitempty"`
	UpdatedBy   string    `json:"updated_by,omitempty"`
	UpdatedAt   time.Time `json:"updated_at,omitzero"`
	PreviewedAt time.Time `json:"previewed_at,omitzero"`
	LastRunAt   time.Time `json:"last_run_at,omitzero"`
}

// Previewed reports whether the rule as it stands has had a dry run.
func (r RetentionRule) Previewed() bool {
	return !r.PreviewedAt.IsZero() && !r.PreviewedAt.Before(r.UpdatedAt)
}

// RetentionRuleInput sets a rule.
type RetentionRuleInput struct {
	Target    string `json:"target"`
	AfterDays int    `json:"after_days"`
	Enabled   bool   `json:"enabled"`
	Note      string `json:"note"`
}

// RetentionRun is the report of one run: what it matched, removed and
// kept (and why), with a sample of what it reached for a dry run. It holds
// record ids and dates, never personal data.
type RetentionRun struct {
	ID      string         `json:"id"`
	Target  string         `json:"target"`
	At      time.Time      `json:"at"`
	DryRun  bool           `json:"dry_run"`
	ActorID string         `json:"actor_id"`
	Cutoff  time.Time      `json:"cutoff"`
	Matched int            `json:"matched"`
	Removed int            `json:"removed"`
	Kept    int            `json:"kept"`
	KeptBy  map[string]int `json:"kept_by,omitempty"`
	Summary string         `json:"summary"`
	Sample  []RetentionHit `json:"sample,omitempty"`
}

// Goes is how many records the run removed, or for a dry run would remove.
func (r RetentionRun) Goes() int {
	if r.DryRun {
		return r.Matched - r.Kept
	}
	return r.Removed
}

// RetentionHit is one record a run reached.
type RetentionHit struct {
	ID         string    `json:"id"`
	CustomerID string    `json:"customer_id,omitempty"`
	LastActive time.Time `json:"last_active"`
	KeptBy     string    `json:"kept_by,omitempty"`
}

const (
	retentionBatch = 200    // records removed per transaction
	retentionMax   = 10_000 // records a run reaches; the next day's run goes on
	retentionEvery = 24 * time.Hour
)

// retentionStore is what the methods in retention.go read and write.
type retentionStore interface {
	audit.Appender
	RetentionRules(ctx context.Context) ([]store.RetentionRuleRow, error)
	PutRetentionRule(ctx context.Context, r store.RetentionRuleRow) error
	InsertRetentionRun(ctx context.Context, r store.RetentionRunRow) error
	RetentionRuns(ctx context.Context, limit int) ([]store.RetentionRunRow, error)
	InactiveCustomers(ctx context.Context, cutoff, now time.Time, limit int) ([]store.RetentionCandidate, error)
	OldVisitPhotos(ctx context.Context, cutoff time.Time, limit int) ([]store.RetentionCandidate, error)
	OldActivities(ctx context.Context, cutoff, now time.Time, limit int) ([]store.RetentionCandidate, error)
	DeleteVisitPhoto(ctx context.Context, id string) error
	DeleteActivity(ctx context.Context, id string) error
	DeleteCustomer(ctx context.Context, id string) error
	ShredSubject(ctx context.Context, subject, kind string, at time.Time) error
}

func retentionStoreOf(tx *store.Tx) retentionStore { return tx }

// Rules lists a rule for every target (unset ones too) and the latest
// runs, for those who may read the privacy centre. Rules and run reports
// hold no personal data.
func (s *Retention) Rules(ctx context.Context, a authz.Actor) ([]RetentionRule, []RetentionRun, error) {
	if err := core.May(a, authz.ActionRead, authz.ObjectPrivacy, "you may not read the retention rules"); err != nil {
		return nil, nil, err
	}
	var rules []RetentionRule
	var runs []RetentionRun
	err := core.Look(ctx, s.c, retentionStoreOf, func(tx retentionStore) error {
		var err error
		if rules, err = s.rules(ctx, tx); err != nil {
			return err
		}
		rows, err := tx.RetentionRuns(ctx, 50)
		for _, r := range rows {
			runs = append(runs, runOf(r))
		}
		return err
	})
	return rules, runs, err
}

func (s *Retention) rules(ctx context.Context, tx retentionStore) ([]RetentionRule, error) {
	rows, err := tx.RetentionRules(ctx)
	if err != nil {
		return nil, err
	}
	return rulesOf(rows), nil
}

// rulesOf is a rule for every target, from the rules set (rows).
func rulesOf(rows []store.RetentionRuleRow) []RetentionRule {
	out := make([]RetentionRule, 0, len(RetentionTargets))
	for _, t := range RetentionTargets {
		r := RetentionRule{Target: t.Key, Action: t.Action, MinDays: t.MinDays}
		if i := slices.IndexFunc(rows, func(row store.RetentionRuleRow) bool { return row.Target == t.Key }); i >= 0 {
			row := rows[i]
			r.Set, r.AfterDays, r.Enabled, r.Note, r.UpdatedBy = true, row.AfterDays, row.Enabled, row.Note, row.UpdatedBy
			r.UpdatedAt, r.PreviewedAt, r.LastRunAt = row.UpdatedAt, row.PreviewedAt, row.LastRunAt
		}
		out = append(out, r)
	}
	return out
}

func runOf(r store.RetentionRunRow) RetentionRun {
	return RetentionRun{ID: r.ID, Target: r.Target, At: r.At, DryRun: r.DryRun, ActorID: r.ActorID, Cutoff: r.Cutoff,
		Matched: r.Matched, Removed: r.Removed, Kept: r.Kept, Summary: r.Summary}
}

// SetRule sets how long a target is kept and whether the daily job
// applies it. A rule is switched on only once a dry run of it as it
// stands has been seen: changing its period takes back the dry run (and
// refuses to switch it on in the same step). Audited (retention.rule).
func (s *Retention) SetRule(ctx context.Context, a authz.Actor, in RetentionRuleInput) (RetentionRule, error) {
	if err := core.MayHandleRequests(a); err != nil {
		return RetentionRule{}, err
	}
	t, ok := retentionTarget(in.Target)
	if !ok {
		return RetentionRule{}, errs.InvalidField("target", "target is one of inactive_customers, activities or visit_photos")
	}
	if in.AfterDays < t.MinDays || in.AfterDays > 36500 {
		return RetentionRule{}, errs.InvalidField("after_days", fmt.Sprintf("after_days is between %d and 36500 for %s", t.MinDays, t.Key))
	}
	note, err := crm.FreeText("note", in.Note, 500)
	if err != nil {
		return RetentionRule{}, err
	}
	in.Note = note
	if in.Enabled {
		// One person switches on a rule that erases people: they prove it is them.
		if err := s.c.RequireStepUp(a); err != nil {
			return RetentionRule{}, err
		}
	}
	now := s.c.Now()
	var out RetentionRule
	err = core.Change(ctx, s.c, retentionStoreOf, func(tx retentionStore) error {
		rules, err := s.rules(ctx, tx)
		if err != nil {
			return err
		}
		old := rules[slices.IndexFunc(rules, func(r RetentionRule) bool { return r.Target == t.Key })]
		row := store.RetentionRuleRow{Target: t.Key, AfterDays: in.AfterDays, Enabled: in.Enabled, Note: in.Note, UpdatedBy: a.UserID,
			UpdatedAt: now, LastRunAt: old.LastRunAt}
		if old.Set && old.AfterDays == in.AfterDays && old.Previewed() {
			row.PreviewedAt = now // the dry run seen is still of this rule
		}
		if in.Enabled && row.PreviewedAt.IsZero() {
			return errs.E(errs.Conflict, "run a dry run of this rule as it stands before switching it on")
		}
		if err := tx.PutRetentionRule(ctx, row); err != nil {
			return err
		}
		state := "off"
		if in.Enabled {
			state = "on"
		}
		out = RetentionRule{Target: t.Key, Action: t.Action, MinDays: t.MinDays, Set: true, AfterDays: row.AfterDays, Enabled: row.Enabled,
			Note: row.Note, UpdatedBy: a.UserID, UpdatedAt: now, PreviewedAt: row.PreviewedAt, LastRunAt: row.LastRunAt}
		return s.c.Record(ctx, tx, a, "retention.rule", "retention", t.Key, nil, audit.Success,
			fmt.Sprintf("%s after %d days, %s", t.Action, in.AfterDays, state))
	})
	return out, err
}

// DryRun shows what a rule would remove now, without removing anything:
// how many records it reaches, how many stay and why, and the first of
// them. It marks the rule as previewed. Audited (retention.preview).
func (s *Retention) DryRun(ctx context.Context, a authz.Actor, target string) (RetentionRun, error) {
	if err := core.MayHandleRequests(a); err != nil {
		return RetentionRun{}, err
	}
	var out RetentionRun
	err := core.Change(ctx, s.c, retentionStoreOf, func(tx retentionStore) error {
		rule, err := s.rule(ctx, tx, target)
		if err != nil {
			return err
		}
		now := s.c.Now()
		out = RetentionRun{ID: crm.NewID("ret"), Target: target, At: now, DryRun: true, ActorID: a.UserID, Cutoff: cutoff(now, rule.AfterDays), KeptBy: map[string]int{}}
		hits, err := candidates(ctx, tx, target, out.Cutoff, now, retentionMax)
		if err != nil {
			return err
		}
		for _, h := range hits {
			out.Matched++
			if h.KeptBy != "" {
				out.Kept++
				out.KeptBy[h.KeptBy]++
			}
			if len(out.Sample) < 20 {
				out.Sample = append(out.Sample, RetentionHit(h))
			}
		}
		out.Summary = runSummary(out, rule.Action)
		if err := s.report(ctx, tx, out); err != nil {
			return err
		}
		row := ruleRow(rule)
		row.PreviewedAt = now
		if err := tx.PutRetentionRule(ctx, row); err != nil {
			return err
		}
		return s.c.Record(ctx, tx, a, "retention.preview", "retention", target, nil, audit.Success, out.Summary)
	})
	return out, err
}

// Apply runs a rule that is switched on now: for each record it reaches
// that nothing keeps, it erases the person (crypto-shredding their data
// key, deleting their records and writing the erasure ledger, as an
// erasure request does) or deletes the record, with an audit event each,
// a batch a transaction; it stops after retentionMax records and the next
// run goes on. Audited (retention.run, and customer.erase,
// activity.delete or visit.photo_delete for each record).
func (s *Retention) Apply(ctx context.Context, a authz.Actor, target string) (RetentionRun, error) {
	if err := core.MayHandleRequests(a); err != nil {
		return RetentionRun{}, err
	}
	if err := s.c.RequireStepUp(a); err != nil { // the daily job, as the system, needs none
		return RetentionRun{}, err
	}
	var rule RetentionRule
	if err := core.Look(ctx, s.c, retentionStoreOf, func(tx retentionStore) error {
		var err error
		rule, err = s.rule(ctx, tx, target)
		return err
	}); err != nil {
		return RetentionRun{}, err
	}
	if !rule.Enabled {
		return RetentionRun{}, errs.E(errs.Conflict, "this rule is off: run a dry run, then switch it on")
	}
	now := s.c.Now()
	out := RetentionRun{ID: crm.NewID("ret"), Target: target, At: now, ActorID: a.UserID, Cutoff: cutoff(now, rule.AfterDays), KeptBy: map[string]int{}}
	kept := map[string]bool{}
	for out.Removed+len(kept) < retentionMax {
		n, exhausted := 0, false
		err := core.Change(ctx, s.c, retentionStoreOf, func(tx retentionStore) error {
			// Kept records stay candidates: ask past those seen so far for a batch.
			limit := retentionBatch + len(kept)
			hits, err := candidates(ctx, tx, target, out.Cutoff, now, limit)
			if err != nil {
				return err
			}
			exhausted = len(hits) < limit
			var events []audit.Event
			for _, h := range hits {
				if h.KeptBy != "" {
					if !kept[h.ID] {
						kept[h.ID] = true
						out.KeptBy[h.KeptBy]++
					}
					continue
				}
				if n == retentionBatch {
					break
				}
				e, err := s.remove(ctx, tx, a, target, h)
				if err != nil {
					return err
				}
				events = append(events, e)
				n++
			}
			return s.c.Append(ctx, tx, events...)
		})
		if err != nil {
			return out, err
		}
		out.Removed += n
		if exhausted {
			break
		}
	}
	out.Kept = len(kept)
	out.Matched = out.Removed + out.Kept
	out.Summary = runSummary(out, rule.Action)
	err := core.Change(ctx, s.c, retentionStoreOf, func(tx retentionStore) error {
		if err := s.report(ctx, tx, out); err != nil {
			return err
		}
		row := ruleRow(rule)
		row.LastRunAt = now
		if err := tx.PutRetentionRule(ctx, row); err != nil {
			return err
		}
		return s.c.Record(ctx, tx, a, "retention.run", "retention", target, nil, audit.Success, out.Summary)
	})
	return out, err
}

// remove erases or deletes one record a rule reached, returning its event.
func (s *Retention) remove(ctx context.Context, tx retentionStore, a authz.Actor, target string, h store.RetentionCandidate) (audit.Event, error) {
	why := "retention: unchanged since " + h.LastActive.Format(time.DateOnly)
	switch target {
	case "inactive_customers":
		if err := tx.DeleteCustomer(ctx, h.ID); err != nil {
			return audit.Event{}, err
		}
		s.c.Keys.Forget(h.ID) // no unwrapped copy left in the cache
		if err := tx.ShredSubject(ctx, h.ID, "customer", s.c.Now()); err != nil {
			return audit.Event{}, err
		}
		return core.Event(a, "customer.erase", "customer", h.ID, nil, audit.Success, why+"; data key destroyed"), nil
	case "activities":
		if err := tx.DeleteActivity(ctx, h.ID); err != nil {
			return audit.Event{}, err
		}
		if h.CustomerID != "" { // found among the person's own events
			return core.Event(a, "activity.delete", "customer", h.CustomerID, nil, audit.Success, why+"; activity "+h.ID), nil
		}
		return core.Event(a, "activity.delete", "activity", h.ID, nil, audit.Success, why), nil
	default:
		if err := tx.DeleteVisitPhoto(ctx, h.ID); err != nil {
			return audit.Event{}, err
		}
		return core.Event(a, "visit.photo_delete", "attachment", h.ID, nil, audit.Success, why), nil
	}
}

// RunDue applies, as the system, every rule that is on and has not run
// in the last day. The daily job calls it (serve, hourly).
func (s *Retention) RunDue(ctx context.Context) ([]RetentionRun, error) {
	var rules []RetentionRule
	if err := core.Look(ctx, s.c, retentionStoreOf, func(tx retentionStore) error {
		var err error
		rules, err = s.rules(ctx, tx)
		return err
	}); err != nil {
		return nil, err
	}
	var out []RetentionRun
	now := s.c.Now()
	for _, r := range rules {
		if !r.Enabled || now.Sub(r.LastRunAt) < retentionEvery {
			continue
		}
		run, err := s.Apply(ctx, authz.System(), r.Target)
		if err != nil {
			return out, fmt.Errorf("retention %s: %w", r.Target, err)
		}
		out = append(out, run)
	}
	return out, nil
}

func (s *Retention) rule(ctx context.Context, tx retentionStore, target string) (RetentionRule, error) {
	rules, err := s.rules(ctx, tx)
	if err != nil {
		return RetentionRule{}, err
	}
	i := slices.IndexFunc(rules, func(r RetentionRule) bool { return r.Target == target })
	if i < 0 {
		return RetentionRule{}, errs.E(errs.NotExist, "no such retention target")
	}
	if !rules[i].Set {
		return RetentionRule{}, errs.E(errs.Conflict, "set a period for this rule first")
	}
	return rules[i], nil
}

func (s *Retention) report(ctx context.Context, tx retentionStore, r RetentionRun) error {
	return tx.InsertRetentionRun(ctx, store.RetentionRunRow{ID: r.ID, Target: r.Target, At: r.At, DryRun: r.DryRun, ActorID: r.ActorID,
		Cutoff: r.Cutoff, Matched: r.Matched, Removed: r.Removed, Kept: r.Kept, Summary: r.Summary})
}

func ruleRow(r RetentionRule) store.RetentionRuleRow {
	return store.RetentionRuleRow{Target: r.Target, AfterDays: r.AfterDays, Enabled: r.Enabled, Note: r.Note, UpdatedBy: r.UpdatedBy,
		UpdatedAt: r.UpdatedAt, PreviewedAt: r.PreviewedAt, LastRunAt: r.LastRunAt}
}

func cutoff(now time.Time, days int) time.Time { return now.AddDate(0, 0, -days) }

func candidates(ctx context.Context, tx retentionStore, target string, cutoff, now time.Time, limit int) ([]store.RetentionCandidate, error) {
	switch target {
	case "inactive_customers":
		return tx.InactiveCustomers(ctx, cutoff, now, limit)
	case "activities":
		return tx.OldActivities(ctx, cutoff, now, limit)
	default:
		return tx.OldVisitPhotos(ctx, cutoff, limit)
	}
}

// runSummary says what a run did, in a line without personal data.
func runSummary(r RetentionRun, action string) string {
	verb := action + "d"
	if r.DryRun {
		verb = "would be " + verb
	}
	var kept []string
	for _, why := range []string{"legal_hold", "restricted", "open_request"} {
		if n := r.KeptBy[why]; n > 0 {
			kept = append(kept, fmt.Sprintf("%d by %s", n, strings.ReplaceAll(why, "_", " ")))
		}
	}
	line := fmt.Sprintf("%s older than %s: %d %s", r.Target, r.Cutoff.Format(time.DateOnly), r.Matched-r.Kept, verb)
	if len(kept) > 0 {
		line += ", kept " + strings.Join(kept, ", ")
	}
	return line
}
