package governance

import (
	"context"
	"errors"
	"sync"
	"time"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service/core"
	"strongroom.dev/strongroom/internal/store"
)

// Backups is a domain service: what the backups page and API show (each
// target's schedule, last success and next run, and the history of
// backups and restore drills) and starting a backup or a drill now. The
// work itself is internal/backup's, which serve attaches as the Driver.
type Backups struct {
	base
	mu     sync.Mutex
	driver BackupDriver
}

// NewBackups returns the backups service over c.
func NewBackups(c *core.Core) *Backups { return &Backups{base: base{c: c}} }

// BackupDriver runs backups: serve's backup.Runner.
type BackupDriver interface {
	// Plan is each target's schedule.
	Plan(ctx context.Context) ([]BackupTarget, error)
	// Start begins a backup ("backup") or a drill ("drill") of every
	// target in the background; each run records itself. The channel
	// gets the runs when all are done.
	Start(kind string) (<-chan []BackupRun, error)
}

// Attach sets the driver (serve does, once the backups are configured).
func (s *Backups) Attach(d BackupDriver) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.driver = d
}

func (s *Backups) attached() BackupDriver {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.driver
}

// BackupTarget is a target's schedule and state.
type BackupTarget struct {
	Name       string        `json:"name"`
	Every      time.Duration `json:"-"`
	EveryText  string        `json:"every"`          // "" on demand only
	Keep       *BackupKeep   `json:"keep,omitempty"` // nil: nothing is pruned
	Locked     bool          `json:"object_lock"`
	NextBackup time.Time     `json:"next_backup,omitzero"`
	NextDrill  time.Time     `json:"next_drill,omitzero"`
	LastBackup *BackupRun    `json:"last_backup,omitempty"`
	LastDrill  *BackupRun    `json:"last_drill,omitempty"`
}

// BackupKeep is a retention: the newest backup of each of the last Daily
// days, Weekly weeks and Monthly months.
type BackupKeep struct {
	Daily   int `json:"daily"`
	Weekly  int `json:"weekly"`
	Monthly int `json:"monthly"`
}

// BackupRun is one backup made or one restore drill.
type BackupRun struct {
	ID         string    `json:"id"`
	Kind       string    `json:"kind"` // backup | drill
	Target     string    `json:"target"`
	BackupID   string    `json:"backup_id,omitempty"`
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`
	OK         bool      `json:"ok"`
	Bytes      int64     `json:"bytes"`
	Rows       int64     `json:"rows"`
	// RTO is how long a drill's restore and checks took; RPO how old the
	// backup it drilled was.
	RTOSeconds float64 `json:"rto_seconds,omitempty"`
	RPOSeconds float64 `json:"rpo_seconds,omitempty"`
	Detail     string  `json:"detail"`
}

// RunOf converts a stored run.
func RunOf(r store.BackupRun) BackupRun {
	out := BackupRun{ID: r.ID, Kind: r.Kind, Target: r.Target, BackupID: r.BackupID, StartedAt: r.StartedAt, FinishedAt: r.FinishedAt,
		OK: r.OK, Bytes: r.Size, Rows: r.Rows, Detail: r.Detail}
	if r.Kind == "drill" && r.OK {
		out.RTOSeconds = r.FinishedAt.Sub(r.StartedAt).Seconds()
		out.RPOSeconds = r.Age.Seconds()
	}
	return out
}

// BackupOverview is the backups page.
type BackupOverview struct {
	Targets []BackupTarget `json:"targets"`
	Runs    []BackupRun    `json:"runs"`
	// Attached says whether this server runs backups (serve does;
	// commands that only open the database do not).
	Attached bool `json:"-"`
}

// Overview shows the targets and the latest runs, newest first, to those
// who may read the audit log. Audited (backup.list).
func (s *Backups) Overview(ctx context.Context, a authz.Actor, limit int) (BackupOverview, error) {
	if err := core.May(a, authz.ActionRead, authz.ObjectAudit, "you may not read the backups"); err != nil {
		return BackupOverview{}, err
	}
	switch {
	case limit == 0:
		limit = 100
	case limit < 0 || limit > 1000:
		return BackupOverview{}, errs.InvalidField("limit", "limit must be between 1 and 1000")
	}
	var out BackupOverview
	if d := s.attached(); d != nil {
		plan, err := d.Plan(ctx)
		if err != nil {
			return out, errs.Wrap(errs.Unavailable, "governance.Backups", "the backup targets cannot be read", err)
		}
		out.Targets, out.Attached = plan, true
	}
	err := core.Change(ctx, s.c, backupStoreOf, func(tx backupStore) error {
		rows, err := tx.BackupRuns(ctx, "", "", limit)
		if err != nil {
			return err
		}
		out.Runs = make([]BackupRun, 0, len(rows))
		for _, r := range rows {
			out.Runs = append(out.Runs, RunOf(r))
		}
		return s.c.Record(ctx, tx, a, "backup.list", "backup", "", nil, audit.Success, "")
	})
	return out, err
}

// ErrNoBackups is a request to run backups on a server that does not run
// them.
var ErrNoBackups = errors.New("this server does not run backups")

// startWait is how long Start waits for the runs before answering that
// they go on in the background.
const startWait = 20 * time.Second

// Start runs a backup or a drill of every target now, and returns the
// runs if they end within 20 seconds (done); otherwise they go on in the
// background and record themselves. It takes an administrator who may
// also read the audit log; the request is audited (backup.request).
func (s *Backups) Start(ctx context.Context, a authz.Actor, kind string) (runs []BackupRun, done bool, err error) {
	if err := core.May(a, authz.ActionRead, authz.ObjectAudit, "you may not run backups"); err != nil {
		return nil, false, err
	}
	if err := core.May(a, authz.ActionUpdate, authz.ObjectUser, "you may not run backups"); err != nil {
		return nil, false, err
	}
	if kind != "backup" && kind != "drill" {
		return nil, false, errs.InvalidField("kind", "kind must be backup or drill")
	}
	d := s.attached()
	if d == nil {
		return nil, false, errs.Wrap(errs.Conflict, "governance.Backups", "this server does not run backups (only serve does)", ErrNoBackups)
	}
	err = core.Change(ctx, s.c, backupStoreOf, func(tx backupStore) error {
		return s.c.Record(ctx, tx, a, "backup.request", "backup", "", nil, audit.Success, kind)
	})
	if err != nil {
		return nil, false, err
	}
	ch, err := d.Start(kind)
	if err != nil {
		return nil, false, errs.Wrap(errs.Conflict, "governance.Backups", err.Error(), err)
	}
	t := time.NewTimer(startWait)
	defer t.Stop()
	select {
	case runs := <-ch:
		return runs, true, nil
	case <-t.C:
	case <-ctx.Done():
	}
	return nil, false, nil
}

// backupStore is what the methods in backups.go read and write.
type backupStore interface {
	audit.Appender
	BackupRuns(ctx context.Context, kind, target string, limit int) ([]store.BackupRun, error)
}

// backupStoreOf is the compiler's check that the store has every method of backupStore.
func backupStoreOf(tx *store.Tx) backupStore { return tx }
