package backup

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"strongroom.dev/strongroom/internal/store"
	"strongroom.dev/strongroom/internal/testkit"
)

func TestKeptByRetention(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	id := func(t time.Time) string { return t.Format("20060102T150405Z") + "-00000000" }
	// Four backups a day for 100 days, oldest first.
	var ids []string
	for d := 99; d >= 0; d-- {
		for h := 0; h < 24; h += 6 {
			ids = append(ids, id(now.AddDate(0, 0, -d).Add(time.Duration(h-12)*time.Hour)))
		}
	}
	cases := []struct {
		name string
		keep Keep
		want int
	}{
		{"the newest of 7 days", Keep{Daily: 7}, 7},
		// Monday 30 November: this week's and last week's newest are among
		// the days' already; the weeks before add 2.
		{"7 days and 4 weeks", Keep{Daily: 7, Weekly: 4}, 7 + 2},
		// 100 days reach back to 22 August: October, September and August add 3.
		{"7 days, 4 weeks, 12 months", Keep{Daily: 7, Weekly: 4, Monthly: 12}, 7 + 2 + 3},
		{"nothing asked still keeps the newest", Keep{}, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			kept := Kept(ids, c.keep, now)
			if len(kept) != c.want {
				t.Fatalf("kept %d backups, want %d", len(kept), c.want)
			}
			if !kept[ids[len(ids)-1]] {
				t.Fatal("the newest backup was not kept")
			}
		})
	}
}

func TestPruneDeletesWhatRetentionDoesNotKeep(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, testkit.NewSQLite(t))
	dir := Dir{Path: t.TempDir()}
	clock := time.Date(2026, 11, 1, 3, 0, 0, 0, time.UTC)
	f.maker.Now = func() time.Time { return clock }
	for range 5 { // five nightly backups
		if _, err := f.maker.Make(ctx, dir, time.Time{}); err != nil {
			t.Fatal(err)
		}
		clock = clock.AddDate(0, 0, 1)
	}
	pruned, err := Prune(ctx, Spec{Target: dir, Keep: Keep{Daily: 2}}, clock)
	if err != nil || len(pruned) != 3 {
		t.Fatalf("pruned %v (%v); want the 3 oldest", pruned, err)
	}
	ids, _ := List(ctx, dir)
	if len(ids) != 2 || !strings.HasPrefix(ids[0], "20261104") || !strings.HasPrefix(ids[1], "20261105") {
		t.Fatalf("left %v", ids)
	}
	files, _ := filepath.Glob(filepath.Join(dir.Path, "backups", "*"))
	if len(files) != 2 {
		t.Fatalf("pruning left files of pruned backups: %v", files)
	}
}

func TestDrillsRecordRTOAndRPOAndAlertOnFailure(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		dir := Dir{Path: t.TempDir()}
		spec := Spec{Target: dir, Every: 24 * time.Hour}
		sampled := 0
		r := &Runner{Maker: f.maker, Targets: []Spec{spec}, DrillEvery: 7 * 24 * time.Hour,
			Ledger: &Ledger{DB: f.env.Store, Signer: f.signer, Targets: []Spec{spec}},
			Drill: Drill{Identities: []age.Identity{f.identity}, VerifierKey: f.signer.VerifierKey(), Scratch: t.TempDir(),
				Sample: func(ctx context.Context, db *store.DB) (string, error) { sampled++; return "a sample", nil }}}

		// A first step backs up (nothing was) and drills it.
		if err := r.Step(ctx); err != nil {
			t.Fatal(err)
		}
		runs := backupRuns(t, f)
		if len(runs) != 2 || runs[1].Kind != "backup" || !runs[1].OK || runs[0].Kind != "drill" || !runs[0].OK {
			t.Fatalf("after the first step: %+v", runs)
		}
		if sampled != 1 || runs[0].BackupID != runs[1].BackupID || runs[0].Rows != runs[1].Rows || !strings.Contains(runs[0].Detail, "audit log verified") {
			t.Fatalf("the drill did not restore and check the backup: %+v", runs[0])
		}
		due, err := r.Schedule(ctx)
		if err != nil || due[0].NextBackup.Sub(runs[1].StartedAt) != 24*time.Hour || due[0].NextDrill.Sub(runs[0].StartedAt) != 7*24*time.Hour {
			t.Fatalf("next runs: %+v (%v)", due, err)
		}
		// Nothing is due now: a second step does nothing.
		if err := r.Step(ctx); err != nil || len(backupRuns(t, f)) != 2 {
			t.Fatalf("a step with nothing due ran something (%v)", err)
		}

		// Damage the backup: the next drill fails, is recorded, and alerts.
		p := filepath.Join(dir.Path, "backups", runs[1].BackupID, "data.zst.age")
		b, _ := os.ReadFile(p)
		b[len(b)-10] ^= 0xff
		os.WriteFile(p, b, 0o600)
		run, err := r.DrillNow(ctx, spec)
		if err == nil || run.OK || !strings.Contains(run.Detail, "checksum does not match") {
			t.Fatalf("a drill of a damaged backup: %v %+v", err, run)
		}
		var alerts []store.AlertRow
		f.env.Store.ReadTx(ctx, func(tx *store.Tx) error {
			alerts, err = tx.ListAlerts(ctx, "open", 10)
			return err
		})
		if !slices.ContainsFunc(alerts, func(a store.AlertRow) bool {
			return a.Rule == "drill_failed" && strings.Contains(a.Summary, "checksum")
		}) {
			t.Fatalf("no drill_failed alert: %+v", alerts)
		}
		events := auditActions(t, db)
		for _, want := range []string{"backup.run:success", "backup.drill:success", "backup.drill:failure", "alert.raise:success"} {
			if !slices.Contains(events, want) {
				t.Errorf("the audit log lacks %s: %v", want, events)
			}
		}
	})
}

func backupRuns(t *testing.T, f *fixture) []store.BackupRun {
	t.Helper()
	var runs []store.BackupRun
	err := f.env.Store.ReadTx(context.Background(), func(tx *store.Tx) error {
		var err error
		runs, err = tx.BackupRuns(context.Background(), "", "", 100)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return runs
}

func auditActions(t *testing.T, db testkit.DB) []string {
	t.Helper()
	rows, err := db.Raw(t).Query("SELECT action, outcome FROM audit_events ORDER BY seq")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var a, o string
		rows.Scan(&a, &o)
		out = append(out, a+":"+o)
	}
	return out
}
