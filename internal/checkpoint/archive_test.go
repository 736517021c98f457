package checkpoint_test

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/checkpoint"
	"strongroom.dev/strongroom/internal/store"
	"strongroom.dev/strongroom/internal/testkit"
)

// TestArchive moves checkpointed events out of the database into a file,
// and checks that the log still verifies, still grows and is checkpointed,
// that the archive holds the events and their checkpoint, and that the
// database refuses to delete what is not archived or to move the anchor
// back.
func TestArchive(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		ctx := context.Background()
		f := newLogFixture(t, db)
		f.appendEvents(t, 20)
		f.checkpoint(t, 20)
		f.appendEvents(t, 10)
		f.checkpoint(t, 30)
		f.appendEvents(t, 5)
		dir := t.TempDir()
		got, err := checkpoint.Archive(ctx, f.st, time.Now().Add(time.Hour), dir, f.key)
		if err != nil || got.From != 1 || got.To != 30 {
			t.Fatalf("archive: %+v %v; want events 1–30", got, err)
		}
		raw := db.Raw(t)
		var left int
		if err := raw.QueryRow("SELECT count(*) FROM audit_events").Scan(&left); err != nil || left != 6 {
			t.Fatalf("%d events left (%v); want the 5 newer and the archive's own", left, err)
		}
		rep, problem := f.verify(t, "", f.witness)
		if problem != nil || rep.Events != 36 || rep.Archived != 30 {
			t.Fatalf("after archiving: %+v %v", rep, problem)
		}
		f.checkpoint(t, 36)
		if rep, problem := f.verify(t, "", f.witness); problem != nil || rep.Signed != 36 {
			t.Fatalf("after the next checkpoint: %+v %v", rep, problem)
		}
		if again, err := checkpoint.Archive(ctx, f.st, time.Now().Add(-time.Hour), dir, f.key); err != nil || again.To != 0 {
			t.Fatalf("nothing is old enough now: %+v %v", again, err)
		}
		if _, err := checkpoint.Prove(ctx, f.st, 5); err == nil || !strings.Contains(err.Error(), "archived") {
			t.Errorf("a proof of an archived event: %v", err)
		}

		file, err := os.Open(got.File)
		if err != nil {
			t.Fatal(err)
		}
		defer file.Close()
		sc := bufio.NewScanner(file)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		sc.Scan()
		var h checkpoint.ArchiveHeader
		if err := json.Unmarshal(sc.Bytes(), &h); err != nil || h.From != 1 || h.To != 30 {
			t.Fatalf("header %+v %v", h, err)
		}
		if c, err := checkpoint.Open(h.Checkpoint, f.key); err != nil || c.Size != 30 {
			t.Errorf("the archive's checkpoint: %+v %v", c, err)
		}
		var prev []byte
		n := 0
		for sc.Scan() {
			var e audit.Event
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil || e.Seq != int64(n+1) || string(e.PrevHash) != string(prev) || string(e.Sum()) != string(e.Hash) {
				t.Fatalf("archived event %d: %v", n+1, err)
			}
			prev, n = e.Hash, n+1
		}
		if n != 30 {
			t.Fatalf("%d archived events, want 30", n)
		}
		if fi, _ := os.Stat(got.File); fi.Mode().Perm()&0o077 != 0 {
			t.Errorf("archive file mode %v", fi.Mode().Perm())
		}

		// A second archive continues the first; the two verify together
		// against the database's anchor, and a changed or missing file is
		// found.
		second, err := checkpoint.Archive(ctx, f.st, time.Now().Add(time.Hour), dir, f.key)
		if err != nil || second.From != 31 || second.To != 36 {
			t.Fatalf("second archive: %+v %v", second, err)
		}
		if n, problem, err := checkpoint.VerifyArchive(ctx, f.st, dir, f.key); err != nil || problem != nil || n != 36 {
			t.Fatalf("the archive: %d %v %v", n, problem, err)
		}
		if rep, problem := f.verify(t, "", f.witness); problem != nil || rep.Archived != 36 {
			t.Fatalf("after the second archive: %+v %v", rep, problem)
		}
		first, _ := os.ReadFile(got.File)
		os.WriteFile(got.File, []byte(strings.Replace(string(first), `"customer.read"`, `"customer.list"`, 1)), 0o600)
		if _, problem, _ := checkpoint.VerifyArchive(ctx, f.st, dir, f.key); problem == nil || !strings.Contains(problem.Error(), "altered") {
			t.Errorf("a changed archive file: %v", problem)
		}
		os.Remove(got.File)
		if _, problem, _ := checkpoint.VerifyArchive(ctx, f.st, dir, f.key); problem == nil || !strings.Contains(problem.Error(), "missing") {
			t.Errorf("a missing archive file: %v", problem)
		}
		f.appendEvents(t, 3)

		// The guards: nothing newer than the anchor goes; the anchor never
		// moves back.
		guards := []string{
			"DELETE FROM audit_events WHERE seq = 38",
			"UPDATE audit_anchor SET size = 10 WHERE id = 1",
			"UPDATE audit_anchor SET size = 38 WHERE id = 1", // forward, but to no checkpoint
			"DELETE FROM audit_anchor",
		}
		if db.Engine == store.SQLite {
			guards = append(guards, "INSERT OR REPLACE INTO audit_anchor (id, size, hash, stack, note, at) VALUES (1, 20, x'00', '', '', 0)")
		}
		for _, q := range guards {
			if _, err := raw.Exec(q); err == nil {
				t.Errorf("%s: allowed", q)
			}
		}
		// Tampering with what is left is still found.
		dropGuards(t, db, raw)
		exec(t, raw, "UPDATE audit_events SET reason = 'nothing happened' WHERE seq = 38")
		if _, problem := f.verify(t, "", f.witness); problem == nil || !strings.Contains(problem.Error(), "event 38") {
			t.Errorf("tampering after the archive: %v", problem)
		}
		entries, _ := os.ReadDir(dir)
		if len(entries) != 1 || !strings.HasPrefix(entries[0].Name(), "audit-000000000031-000000000036") {
			t.Errorf("archive directory: %v", entries)
		}
	})
}
