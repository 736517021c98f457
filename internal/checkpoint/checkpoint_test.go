package checkpoint_test

import (
	"context"
	"database/sql"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/checkpoint"
	"strongroom.dev/strongroom/internal/store"
	"strongroom.dev/strongroom/internal/testkit"
)

// logFixture is a database with events, an audit key and a witness.
type logFixture struct {
	db      testkit.DB
	st      *store.DB
	cp      *checkpoint.Checkpointer
	witness checkpoint.Dir
	key     string
}

func newLogFixture(t *testing.T, db testkit.DB) *logFixture {
	t.Helper()
	signer, created, err := checkpoint.LoadOrCreateKey(filepath.Join(t.TempDir(), "audit.key"), "strongroom.test/audit")
	if err != nil || !created {
		t.Fatalf("audit key: %v (created %v)", err, created)
	}
	st := db.Open(t)
	w := checkpoint.Dir(filepath.Join(t.TempDir(), "witness"))
	return &logFixture{db: db, st: st, cp: &checkpoint.Checkpointer{DB: st, Signer: signer, Witnesses: []checkpoint.Witness{w}}, witness: w, key: signer.VerifierKey()}
}

func (f *logFixture) appendEvents(t *testing.T, n int) {
	t.Helper()
	for i := range n {
		err := f.st.WithTx(context.Background(), func(tx *store.Tx) error {
			return audit.Append(context.Background(), tx, time.Now(), audit.Event{ActorID: "usr_1", Action: "customer.read", ObjectType: "customer", ObjectID: "cus_" + strings.Repeat("a", i%7+1), Outcome: audit.Success})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func (f *logFixture) checkpoint(t *testing.T, want int64) {
	t.Helper()
	cp, err := f.cp.Checkpoint(context.Background())
	if err != nil || cp.Size != want {
		t.Fatalf("checkpoint: size %d, err %v; want %d", cp.Size, err, want)
	}
}

func (f *logFixture) verify(t *testing.T, key string, witnesses ...checkpoint.Dir) (checkpoint.Report, *audit.Problem) {
	t.Helper()
	rep, problem, err := checkpoint.Verify(context.Background(), f.st, key, witnesses)
	if err != nil {
		t.Fatal(err)
	}
	return rep, problem
}

func TestCheckpointsWitnessesAndProofs(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		ctx := context.Background()
		f := newLogFixture(t, db)
		f.appendEvents(t, 20)
		f.checkpoint(t, 20)
		f.appendEvents(t, 13)
		f.checkpoint(t, 33)
		f.checkpoint(t, 33) // nothing new: the same checkpoint
		if history, err := f.witness.History(); err != nil || len(history) != 2 {
			t.Fatalf("witness history: %d checkpoints, %v; want 2", len(history), err)
		}
		rep, problem := f.verify(t, "", f.witness)
		if problem != nil || rep.Events != 33 || rep.Signed != 33 || rep.Checkpoints != 2 || rep.Key != f.key {
			t.Fatalf("intact log: %+v, problem %v", rep, problem)
		}

		for _, seq := range []int64{1, 7, 20, 21, 33} {
			p, err := checkpoint.Prove(ctx, f.st, seq)
			if err != nil {
				t.Fatalf("prove %d: %v", seq, err)
			}
			if err := checkpoint.CheckProof(p, f.key); err != nil {
				t.Errorf("proof of event %d: %v", seq, err)
			}
			altered := p
			altered.Event.Reason = "nothing happened"
			if checkpoint.CheckProof(altered, f.key) == nil {
				t.Errorf("a proof of an altered event %d checked", seq)
			}
			if len(p.Path) > 0 {
				bent := p
				bent.Path = append(bent.Path[:0:0], p.Path...)
				bent.Path[0][0] ^= 1
				if checkpoint.CheckProof(bent, f.key) == nil {
					t.Errorf("a proof with a changed path for event %d checked", seq)
				}
			}
			other, _, _ := checkpoint.LoadOrCreateKey(filepath.Join(t.TempDir(), "other.key"), "strongroom.test/audit")
			if checkpoint.CheckProof(p, other.VerifierKey()) == nil {
				t.Errorf("a proof checked with another key")
			}
		}
		f.appendEvents(t, 1)
		if _, err := checkpoint.Prove(ctx, f.st, 34); err == nil {
			t.Error("a proof of an event no checkpoint covers yet")
		}
	})
}

// dropGuards removes the append-only triggers, as someone with the
// database owner's rights would before tampering.
func dropGuards(t *testing.T, db testkit.DB, raw *sql.DB) {
	t.Helper()
	stmts := []string{"DROP TRIGGER audit_events_no_update", "DROP TRIGGER audit_events_no_delete", "DROP TRIGGER audit_tree_no_delete", "DROP TRIGGER audit_checkpoints_no_delete"}
	if db.Engine == store.Postgres {
		stmts = []string{"DROP TRIGGER audit_events_append_only ON audit_events", "DROP TRIGGER audit_tree_append_only ON audit_tree", "DROP TRIGGER audit_checkpoints_append_only ON audit_checkpoints"}
	}
	for _, s := range stmts {
		if _, err := raw.Exec(s); err != nil {
			t.Fatal(err)
		}
	}
}

// rewrite changes event seq's reason and chains every later event again,
// as an attacker who knows the hash construction would; it moves the head.
func rewrite(t *testing.T, st *store.DB, raw *sql.DB, seq int64) {
	t.Helper()
	events, _, err := st.AuditLog(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var prev []byte
	var last audit.Event
	for e, err := range events {
		if err != nil {
			t.Fatal(err)
		}
		if e.Seq == seq {
			e.Reason = "rewritten"
		}
		if e.Seq >= seq {
			e.PrevHash = prev
			e.Hash = e.Sum()
			if _, err := raw.Exec(q(st, "UPDATE audit_events SET reason = ?, prev_hash = ?, hash = ? WHERE seq = ?"), e.Reason, orEmpty(e.PrevHash), e.Hash, e.Seq); err != nil {
				t.Fatal(err)
			}
		}
		prev, last = e.Hash, e
	}
	if _, err := raw.Exec(q(st, "UPDATE audit_head SET hash = ? WHERE id = 1"), last.Hash); err != nil {
		t.Fatal(err)
	}
}

func orEmpty(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// q turns ? placeholders into PostgreSQL's $n.
func q(st *store.DB, query string) string {
	if st.Engine() != store.Postgres {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + string(rune('0'+n)))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// TestTamperingDetected tampers with a checkpointed log in each way an
// attacker with the database (and, in some cases, the audit key) could,
// and checks that verification with the witness names the damage.
func TestTamperingDetected(t *testing.T) {
	tests := []struct {
		name   string
		tamper func(t *testing.T, f *logFixture, raw *sql.DB)
		want   string
	}{
		{"altered", func(t *testing.T, f *logFixture, raw *sql.DB) {
			exec(t, raw, "UPDATE audit_events SET object_id = 'cus_other' WHERE seq = 6")
		}, "event 6:"},
		{"deleted", func(t *testing.T, f *logFixture, raw *sql.DB) {
			exec(t, raw, "DELETE FROM audit_events WHERE seq = 4")
		}, "event 4:"},
		{"inserted", func(t *testing.T, f *logFixture, raw *sql.DB) {
			exec(t, raw, "INSERT INTO audit_events (seq, at, actor_id, session_id, ip, action, object_type, object_id, fields, outcome, reason, subjects, prev_hash, hash) SELECT 36, at, actor_id, session_id, ip, action, object_type, object_id, fields, outcome, reason, subjects, hash, hash FROM audit_events WHERE seq = 35")
		}, "event 36:"},
		{"reordered", func(t *testing.T, f *logFixture, raw *sql.DB) {
			exec(t, raw, "UPDATE audit_events SET seq = -1 WHERE seq = 5")
			exec(t, raw, "UPDATE audit_events SET seq = 5 WHERE seq = 7")
			exec(t, raw, "UPDATE audit_events SET seq = 7 WHERE seq = -1")
		}, "event 5:"},
		{"tail truncated, head moved back", func(t *testing.T, f *logFixture, raw *sql.DB) {
			exec(t, raw, "DELETE FROM audit_events WHERE seq > 25")
			exec(t, raw, "UPDATE audit_head SET seq = 25, hash = (SELECT hash FROM audit_events WHERE seq = 25) WHERE id = 1")
		}, "truncated"},
		{"tail and its checkpoints removed", func(t *testing.T, f *logFixture, raw *sql.DB) {
			exec(t, raw, "DELETE FROM audit_events WHERE seq > 25")
			exec(t, raw, "DELETE FROM audit_checkpoints WHERE size > 25")
			exec(t, raw, "UPDATE audit_head SET seq = 25, hash = (SELECT hash FROM audit_events WHERE seq = 25) WHERE id = 1")
		}, "truncated"},
		{"rewritten with the audit key", func(t *testing.T, f *logFixture, raw *sql.DB) {
			rewrite(t, f.st, raw, 12)
			exec(t, raw, "DELETE FROM audit_tree")
			exec(t, raw, "DELETE FROM audit_checkpoints")
			f.checkpoint(t, 35) // re-signed; the witness refuses it
		}, "among 1–20"},
		{"rewritten with a new key", func(t *testing.T, f *logFixture, raw *sql.DB) {
			rewrite(t, f.st, raw, 24)
			exec(t, raw, "DELETE FROM audit_tree")
			exec(t, raw, "DELETE FROM audit_checkpoints")
			signer, _, err := checkpoint.LoadOrCreateKey(filepath.Join(t.TempDir(), "forged.key"), "strongroom.test/audit")
			if err != nil {
				t.Fatal(err)
			}
			f.cp.Signer = signer
			f.checkpoint(t, 35)
		}, "not signed by the key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
				f := newLogFixture(t, db)
				f.appendEvents(t, 20)
				f.checkpoint(t, 20)
				f.appendEvents(t, 10)
				f.checkpoint(t, 30)
				f.appendEvents(t, 5)
				if _, problem := f.verify(t, "", f.witness); problem != nil {
					t.Fatalf("before tampering: %v", problem)
				}
				raw := db.Raw(t)
				dropGuards(t, db, raw)
				tt.tamper(t, f, raw)
				_, problem := f.verify(t, "", f.witness)
				if problem == nil {
					t.Fatal("tampering not detected with the witness")
				}
				if !strings.Contains(problem.Error(), tt.want) {
					t.Fatalf("problem %q does not say %q", problem, tt.want)
				}
			})
		})
	}
}

func exec(t *testing.T, raw *sql.DB, s string) {
	t.Helper()
	if _, err := raw.Exec(s); err != nil {
		t.Fatalf("%s: %v", s, err)
	}
}

// TestWitnessRefusesAndNotices: a witness refuses a checkpoint signed by
// another key or not extending its own, and a witness rolled back to an
// older checkpoint is noticed and audited at the next delivery.
func TestWitnessRefusesAndNotices(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		ctx := context.Background()
		f := newLogFixture(t, db)
		f.appendEvents(t, 10)
		f.checkpoint(t, 10)
		old, err := os.ReadFile(filepath.Join(string(f.witness), "checkpoint"))
		if err != nil {
			t.Fatal(err)
		}
		f.appendEvents(t, 5)
		f.checkpoint(t, 15)
		// Someone puts the older checkpoint back.
		if err := os.WriteFile(filepath.Join(string(f.witness), "checkpoint"), old, 0o600); err != nil {
			t.Fatal(err)
		}
		f.appendEvents(t, 5)
		f.checkpoint(t, 20)
		if a := alarms(t, f.st); !strings.Contains(a, "rolled back") {
			t.Errorf("the rolled-back witness was not audited; alarms: %q", a)
		}

		forged, _, _ := checkpoint.LoadOrCreateKey(filepath.Join(t.TempDir(), "forged.key"), "strongroom.test/audit")
		f.cp.Signer = forged
		f.appendEvents(t, 1)
		if _, err := f.cp.Checkpoint(ctx); err != nil {
			t.Fatal(err)
		}
		if a := alarms(t, f.st); !strings.Contains(a, "refused") && !strings.Contains(a, "did not sign") {
			t.Errorf("a checkpoint under another key was not refused and audited; alarms: %q", a)
		}
		if held, _ := f.witness.Held(); !strings.Contains(held, "\n20\n") {
			t.Errorf("the witness gave up its checkpoint of 20 events: %q", held)
		}
	})
}

func alarms(t *testing.T, st *store.DB) string {
	t.Helper()
	var out []string
	err := st.ReadTx(context.Background(), func(tx *store.Tx) error {
		events, err := tx.ListAudit(context.Background(), store.AuditFilter{ObjectType: "audit", Limit: 100})
		for _, e := range events {
			out = append(out, e.Action+": "+e.Reason)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(out, "\n")
}

// TestLogWitnessGetsEveryCheckpoint: a log witness holds nothing, so it is
// given each checkpoint and never taken for a rolled-back witness.
func TestLogWitnessGetsEveryCheckpoint(t *testing.T) {
	f := newLogFixture(t, testkit.NewSQLite(t))
	var out strings.Builder
	f.cp.Witnesses = append(f.cp.Witnesses, checkpoint.Log{Logger: slog.New(slog.NewJSONHandler(&out, nil))})
	for i, size := range []int64{3, 5, 9} {
		f.appendEvents(t, int(size)-[]int{0, 3, 5}[i])
		f.checkpoint(t, size)
	}
	if n := strings.Count(out.String(), `"audit checkpoint"`); n != 3 {
		t.Errorf("the log got %d checkpoints, want 3:\n%s", n, out.String())
	}
	if a := alarms(t, f.st); a != "" {
		t.Errorf("alarms: %s", a)
	}
}

// Verifying a live log: a server keeps appending (events with subjects,
// so the index grows too) while verify walks; every walk passes, and an
// event slipped in past the head that no head covers is still caught.
func TestVerifyWhileTheLogGrows(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		f := newLogFixture(t, db)
		f.appendEvents(t, 3000)
		f.checkpoint(t, 3000)
		ctx, stop := context.WithCancel(context.Background())
		appended := make(chan int)
		go func() {
			n := 0
			defer func() { appended <- n }()
			for ctx.Err() == nil {
				err := f.st.WithTx(context.Background(), func(tx *store.Tx) error {
					return audit.Append(context.Background(), tx, time.Now(), audit.Event{ActorID: "usr_1", Action: "customer.list", ObjectType: "customer",
						Subjects: []string{"cus_a", "cus_b"}, Outcome: audit.Success})
				})
				if err != nil {
					return
				}
				n++
			}
		}()
		for range 5 {
			if _, problem := f.verify(t, f.key); problem != nil {
				stop()
				<-appended
				t.Fatalf("verify while the log grows: %v", problem)
			}
		}
		stop()
		if n := <-appended; n == 0 {
			t.Fatal("nothing was appended during the walks")
		}
	})
}
