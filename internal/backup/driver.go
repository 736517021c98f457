package backup

import (
	"context"
	"errors"
	"sync/atomic"

	"strongroom.dev/strongroom/internal/service/governance"
)

// Driver lets the service show the schedule and start runs: the backups
// page and API reach the Runner through governance.Backups.
type Driver struct {
	Ctx    context.Context // serve's: runs stop when it stops
	Runner *Runner
	busy   atomic.Bool
}

// Plan is each target's schedule and last runs.
func (d *Driver) Plan(ctx context.Context) ([]governance.BackupTarget, error) {
	due, err := d.Runner.Schedule(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]governance.BackupTarget, 0, len(due))
	for i, x := range due {
		s := d.Runner.Targets[i]
		t := governance.BackupTarget{Name: x.Target, Every: s.Every, NextBackup: x.NextBackup, NextDrill: x.NextDrill, Locked: s.Lock > 0}
		if s.Every > 0 {
			t.EveryText = Short(s.Every)
		}
		if !s.Keep.zero() {
			t.Keep = &governance.BackupKeep{Daily: s.Keep.Daily, Weekly: s.Keep.Weekly, Monthly: s.Keep.Monthly}
		}
		if x.LastBackup != nil {
			run := governance.RunOf(*x.LastBackup)
			t.LastBackup = &run
		}
		if x.LastDrill != nil {
			run := governance.RunOf(*x.LastDrill)
			t.LastDrill = &run
		}
		out = append(out, t)
	}
	return out, nil
}

// Start runs a backup or a drill of every target in the background, one
// request at a time.
func (d *Driver) Start(kind string) (<-chan []governance.BackupRun, error) {
	if !d.busy.CompareAndSwap(false, true) {
		return nil, errors.New("a backup or drill started from the web or API is still running")
	}
	ch := make(chan []governance.BackupRun, 1)
	go func() {
		defer d.busy.Store(false)
		var runs []governance.BackupRun
		for _, s := range d.Runner.Targets {
			if kind == "drill" {
				run, _ := d.Runner.DrillNow(d.Ctx, s) // recorded (and alerted on failure) by the runner
				runs = append(runs, governance.RunOf(run))
			} else {
				run, _ := d.Runner.Backup(d.Ctx, s)
				runs = append(runs, governance.RunOf(run))
			}
		}
		ch <- runs
	}()
	return ch, nil
}
