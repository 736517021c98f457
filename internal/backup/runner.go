package backup

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"filippo.io/age"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/checkpoint"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/mail"
	"strongroom.dev/strongroom/internal/store"
)

// Runner backs up to each target on its schedule, prunes by its
// retention, drills the latest backup of each target on the drill
// schedule, ships the erasure ledger, and records every run (backup_runs,
// the audit log); a failed backup or drill raises an alert.
type Runner struct {
	Maker   *Maker
	Targets []Spec
	Ledger  *Ledger
	Drill   Drill
	// DrillEvery is how often each target's latest backup is drilled
	// (0: only on demand).
	DrillEvery time.Duration
	Log        *slog.Logger
	Now        func() time.Time
	// Mail, Contacts and Link: a failure is emailed to the security
	// contacts with a link to the backups page. No mail without all three.
	Mail     Mailer
	Contacts []string
	Link     string

	mu sync.Mutex // one backup or drill at a time
}

// Mailer queues email (mail.Queue).
type Mailer interface {
	Enqueue(mail.Message) bool
}

// Drill restores a backup into a scratch database and checks it.
type Drill struct {
	Identities  []age.Identity
	VerifierKey string
	Scratch     string // a directory for the scratch SQLite database
	// Sample, if set, opens the restored database with the master key and
	// decrypts a sample of each kind of personal data; it says what it
	// opened.
	Sample func(ctx context.Context, db *store.DB) (string, error)
}

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// runStore is what recording a run writes.
type runStore interface {
	audit.Appender
	InsertBackupRun(ctx context.Context, run store.BackupRun) error
	InsertAlert(ctx context.Context, a store.AlertRow) error
}

func runStoreOf(tx *store.Tx) runStore { return tx }

// scheduleStore is what working out the schedule reads.
type scheduleStore interface {
	BackupRuns(ctx context.Context, kind, target string, limit int) ([]store.BackupRun, error)
}

func scheduleStoreOf(tx *store.Tx) scheduleStore { return tx }

// Backup makes a backup on s now, prunes s by its retention, and records
// the run; a failure raises an alert.
func (r *Runner) Backup(ctx context.Context, s Spec) (store.BackupRun, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	start := r.now()
	run := store.BackupRun{ID: crm.NewID("bkr"), Kind: "backup", Target: s.Target.Name(), StartedAt: start}
	var retain time.Time
	if s.Lock > 0 {
		retain = start.Add(s.Lock)
	}
	man, err := r.Maker.Make(ctx, s.Target, retain)
	if err == nil && r.Ledger != nil {
		_, err = r.Ledger.Ship(ctx) // the ledger is on the target before the backup counts
	}
	run.FinishedAt = r.now()
	if err != nil {
		run.Detail = oneLine(err.Error())
	} else {
		run.OK, run.BackupID, run.Size, run.Rows = true, man.ID, man.Data.Size, man.Rows()
		run.Detail = fmt.Sprintf("%d tables, %d rows, %d bytes in %s", len(man.Tables), man.Rows(), man.Data.Size, time.Duration(man.Duration).Round(time.Millisecond))
		if pruned, perr := Prune(ctx, s, r.now()); perr != nil {
			run.Detail += "; pruning failed: " + oneLine(perr.Error())
		} else if len(pruned) > 0 {
			run.Detail += fmt.Sprintf("; %d older backups pruned", len(pruned))
		}
	}
	if rerr := r.record(ctx, run); rerr != nil {
		return run, rerr
	}
	if err != nil {
		return run, err
	}
	return run, nil
}

// DrillNow restores the latest backup on s into a scratch database and
// verifies it: the manifest's signature, every checksum and count, the
// audit chain up to the checkpoint the backup names, and a decryption
// sample. Its duration is the measured recovery time (RTO); the backup's
// age when drilled the recovery point (RPO).
func (r *Runner) DrillNow(ctx context.Context, s Spec) (store.BackupRun, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	start := r.now()
	run := store.BackupRun{ID: crm.NewID("bkr"), Kind: "drill", Target: s.Target.Name(), StartedAt: start}
	detail, err := r.drill(ctx, s, &run)
	run.FinishedAt = r.now()
	run.OK, run.Detail = err == nil, detail
	if err != nil {
		run.Detail = oneLine(err.Error())
	}
	if rerr := r.record(ctx, run); rerr != nil {
		return run, rerr
	}
	return run, err
}

func (r *Runner) drill(ctx context.Context, s Spec, run *store.BackupRun) (string, error) {
	id, err := Pick(ctx, s.Target, "", time.Time{})
	if err != nil {
		return "", err
	}
	run.BackupID = id
	if err := os.MkdirAll(r.Drill.Scratch, 0o700); err != nil {
		return "", fmt.Errorf("drill: %w", err)
	}
	dir, err := os.MkdirTemp(r.Drill.Scratch, "drill-")
	if err != nil {
		return "", fmt.Errorf("drill: %w", err)
	}
	defer os.RemoveAll(dir)
	rs := &Restorer{Target: s.Target, Identities: r.Drill.Identities, VerifierKey: r.Drill.VerifierKey, Now: r.Now}
	got, err := rs.Restore(ctx, id, filepath.Join(dir, "drill.db"))
	if err != nil {
		return "", err
	}
	run.Size, run.Rows = got.Manifest.Data.Size, got.Rows
	run.Age = run.StartedAt.Sub(got.Manifest.Created)
	db, err := store.Open(ctx, filepath.Join(dir, "drill.db"))
	if err != nil {
		return "", err
	}
	defer db.Close()
	rep, prob, err := checkpoint.Verify(ctx, db, r.Drill.VerifierKey, nil)
	if err != nil {
		return "", fmt.Errorf("drill: verifying the audit log: %w", err)
	}
	if prob != nil {
		return "", fmt.Errorf("drill: the restored audit log fails verification: %s", prob.Error())
	}
	if got.Manifest.Audit.Checkpoint != "" && rep.Checkpoints == 0 {
		return "", fmt.Errorf("drill: the backup names a checkpoint but the restored log has none")
	}
	detail := fmt.Sprintf("restored %d rows of backup %s in %s; audit log verified (%d events, %d checkpoints)",
		got.Rows, id, got.Duration.Round(time.Millisecond), rep.Events, rep.Checkpoints)
	if r.Drill.Sample != nil {
		sample, err := r.Drill.Sample(ctx, db)
		if err != nil {
			return "", fmt.Errorf("drill: decrypting a sample: %w", err)
		}
		detail += "; decrypted " + sample
	}
	if got.ErasedAgain > 0 {
		detail += fmt.Sprintf("; %d erased again from the ledger", got.ErasedAgain)
	}
	return detail, nil
}

// record writes the run and its event (and, for a failure, an alert) in
// one transaction, and emails a failure.
func (r *Runner) record(ctx context.Context, run store.BackupRun) error {
	ctx = context.WithoutCancel(ctx)
	outcome, action := audit.Success, "backup.run"
	if run.Kind == "drill" {
		action = "backup.drill"
	}
	if !run.OK {
		outcome = audit.Failure
	}
	reason := fmt.Sprintf("%s on %s: %s", run.Kind, run.Target, run.Detail)
	if run.Kind == "drill" && run.OK {
		reason += fmt.Sprintf("; RTO %s, RPO %s", run.FinishedAt.Sub(run.StartedAt).Round(time.Millisecond), run.Age.Round(time.Second))
	}
	var alert *store.AlertRow
	if !run.OK {
		alert = &store.AlertRow{ID: crm.NewID("alr"), Rule: run.Kind + "_failed", Severity: "high",
			Summary: fmt.Sprintf("The %s on %s failed: %s", run.Kind, run.Target, run.Detail),
			Status:  "open", CreatedAt: run.FinishedAt, UpdatedAt: run.FinishedAt}
	}
	err := r.Maker.DB.WithTx(ctx, func(tx *store.Tx) error {
		rs := runStoreOf(tx)
		if err := rs.InsertBackupRun(ctx, run); err != nil {
			return err
		}
		events := []audit.Event{event(action, "backup", run.BackupID, outcome, reason)}
		if alert != nil {
			if err := rs.InsertAlert(ctx, *alert); err != nil {
				return err
			}
			events = append(events, event("alert.raise", "alert", alert.ID, audit.Success, alert.Rule+" (high): "+alert.Summary))
		}
		return audit.Append(ctx, rs, r.now(), events...)
	})
	if err != nil {
		return fmt.Errorf("backup: recording the %s: %w", run.Kind, err)
	}
	if r.Log != nil {
		level := slog.LevelInfo
		if !run.OK {
			level = slog.LevelError
		}
		r.Log.Log(ctx, level, action, slog.String("target", run.Target), slog.String("backup", run.BackupID),
			slog.Bool("ok", run.OK), slog.String("detail", run.Detail))
	}
	if alert != nil {
		r.notify(*alert)
	}
	return nil
}

func (r *Runner) notify(a store.AlertRow) {
	if r.Mail == nil || len(r.Contacts) == 0 || r.Link == "" {
		return
	}
	body := fmt.Sprintf("%s\n\nSee the backups page:\n\n%s/backups\n", a.Summary, strings.TrimSuffix(r.Link, "/"))
	for _, to := range r.Contacts {
		if !r.Mail.Enqueue(mail.Message{To: to, Subject: "Strongroom: " + strings.ReplaceAll(a.Rule, "_", " "), Body: body}) && r.Log != nil {
			r.Log.Error("backup: the alert email could not be queued", slog.String("to", to))
		}
	}
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// Due reports, from the runs recorded, when each target's next backup and
// drill are due.
type Due struct {
	Target     string
	NextBackup time.Time // zero: on demand only
	NextDrill  time.Time
	LastBackup *store.BackupRun // the last successful one
	LastDrill  *store.BackupRun
}

// Schedule works out what is due from the runs recorded.
func (r *Runner) Schedule(ctx context.Context) ([]Due, error) {
	var out []Due
	for _, s := range r.Targets {
		d := Due{Target: s.Target.Name()}
		var runs []store.BackupRun
		err := r.Maker.DB.ReadTx(ctx, func(tx *store.Tx) error {
			var err error
			runs, err = scheduleStoreOf(tx).BackupRuns(ctx, "", d.Target, 200)
			return err
		})
		if err != nil {
			return nil, err
		}
		var lastTry, lastDrillTry time.Time
		for i := range runs {
			run := &runs[i]
			if run.Target != d.Target {
				continue
			}
			switch run.Kind {
			case "backup":
				if lastTry.IsZero() {
					lastTry = run.StartedAt
				}
				if run.OK && d.LastBackup == nil {
					d.LastBackup = run
				}
			case "drill":
				if lastDrillTry.IsZero() {
					lastDrillTry = run.StartedAt
				}
				if run.OK && d.LastDrill == nil {
					d.LastDrill = run
				}
			}
		}
		if s.Every > 0 {
			switch {
			case lastTry.IsZero():
				d.NextBackup = r.now()
			case d.LastBackup != nil && !lastTry.After(d.LastBackup.StartedAt):
				d.NextBackup = d.LastBackup.StartedAt.Add(s.Every)
			default: // the last try failed: again after a tenth of the period, at least 5 minutes
				d.NextBackup = lastTry.Add(max(s.Every/10, 5*time.Minute))
			}
		}
		if r.DrillEvery > 0 {
			d.NextDrill = r.now()
			if !lastDrillTry.IsZero() {
				d.NextDrill = lastDrillTry.Add(r.DrillEvery)
			}
		}
		out = append(out, d)
	}
	return out, nil
}

// Step runs what is due: backups, then drills, then the ledger.
func (r *Runner) Step(ctx context.Context) error {
	due, err := r.Schedule(ctx)
	if err != nil {
		return err
	}
	now := r.now()
	for i, d := range due {
		s := r.Targets[i]
		if !d.NextBackup.IsZero() && !d.NextBackup.After(now) {
			r.Backup(ctx, s) // recorded, alerted and logged by itself
		}
		if !d.NextDrill.IsZero() && !d.NextDrill.After(now) && (d.LastBackup != nil || !d.NextBackup.IsZero()) {
			r.DrillNow(ctx, s)
		}
	}
	if r.Ledger != nil {
		if _, err := r.Ledger.Ship(ctx); err != nil {
			return err
		}
	}
	return nil
}

// Run steps every interval until ctx ends. On PostgreSQL one server at a
// time runs it (lock), so several servers back up once.
func (r *Runner) Run(ctx context.Context, every time.Duration, lock func(ctx context.Context) (func(), bool)) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		release, ok := func() {}, true
		if lock != nil {
			release, ok = lock(ctx)
		}
		if ok {
			if err := r.Step(ctx); err != nil && r.Log != nil && ctx.Err() == nil {
				r.Log.Error("backup: step failed", slog.String("error", oneLine(err.Error())))
			}
			release()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Prune deletes the backups on s that its retention does not keep: the
// newest of each of the last Daily days, Weekly weeks and Monthly months,
// and always the newest. A target with Object Lock is not pruned (the
// bucket's lifecycle rule expires locked versions; the server's credential
// needs no delete right).
func Prune(ctx context.Context, s Spec, now time.Time) ([]string, error) {
	if s.Keep.zero() || s.Lock > 0 {
		return nil, nil
	}
	ids, err := List(ctx, s.Target)
	if err != nil {
		return nil, err
	}
	keep := Kept(ids, s.Keep, now)
	var pruned []string
	for _, id := range ids {
		if keep[id] {
			continue
		}
		// The manifest first: from then on it is no longer a backup.
		if err := s.Target.Delete(ctx, manifestKey(id)); err != nil {
			return pruned, err
		}
		if err := s.Target.Delete(ctx, dataKey(id)); err != nil {
			return pruned, err
		}
		pruned = append(pruned, id)
	}
	return pruned, nil
}

// Kept says which of ids (backup ids, oldest first) a retention keeps.
func Kept(ids []string, k Keep, now time.Time) map[string]bool {
	keep := map[string]bool{}
	if len(ids) == 0 {
		return keep
	}
	keep[ids[len(ids)-1]] = true
	type bucket struct {
		n   int
		key func(time.Time) string
	}
	buckets := []bucket{
		{k.Daily, func(t time.Time) string { return t.Format("2006-01-02") }},
		{k.Weekly, func(t time.Time) string { y, w := t.ISOWeek(); return fmt.Sprintf("%d-W%02d", y, w) }},
		{k.Monthly, func(t time.Time) string { return t.Format("2006-01") }},
	}
	newest := slices.Clone(ids)
	slices.Reverse(newest)
	for _, b := range buckets {
		seen := map[string]bool{}
		for _, id := range newest {
			t, err := time.Parse("20060102T150405Z", strings.SplitN(id, "-", 2)[0])
			if err != nil {
				keep[id] = true // not ours to judge
				continue
			}
			key := b.key(t.UTC())
			if seen[key] {
				continue
			}
			if len(seen) >= b.n {
				break
			}
			seen[key] = true
			keep[id] = true
		}
	}
	return keep
}
