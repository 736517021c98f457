package backup

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/checkpoint"
	"strongroom.dev/strongroom/internal/demo"
	"strongroom.dev/strongroom/internal/service"
	"strongroom.dev/strongroom/internal/service/records"
	"strongroom.dev/strongroom/internal/store"
	"strongroom.dev/strongroom/internal/testkit"
)

// fixture is a seeded database with a signed checkpoint, an audit key and
// an age identity to back up to.
type fixture struct {
	env      *testkit.Env
	signer   *checkpoint.Signer
	identity *age.X25519Identity
	maker    *Maker
}

func newFixture(t *testing.T, db testkit.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	env := testkit.NewEnv(t, db, service.Options{})
	if _, err := demo.Seed(ctx, env.Service); err != nil {
		t.Fatal(err)
	}
	signer, _, err := checkpoint.LoadOrCreateKey(filepath.Join(t.TempDir(), "audit.key"), "test/strongroom/audit")
	if err != nil {
		t.Fatal(err)
	}
	cp := &checkpoint.Checkpointer{DB: env.Store, Signer: signer}
	if _, err := cp.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{env: env, signer: signer, identity: id,
		maker: &Maker{DB: env.Store, Signer: signer, Recipients: []string{id.Recipient().String()}, Host: "test"}}
}

func (f *fixture) restorer(t Target) *Restorer {
	return &Restorer{Target: t, Identities: []age.Identity{f.identity}, VerifierKey: f.signer.VerifierKey()}
}

// dump reads every table of db as sorted lines, for comparing databases.
func dump(t *testing.T, db *store.DB, skip ...string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	err := db.Snapshot(context.Background(), func(s *store.Snapshot) error {
		for _, tb := range s.Tables() {
			if slices.Contains(skip, tb.Name) {
				continue
			}
			var lines []string
			order := make([]int, len(tb.Columns)) // by column name: the engines may order them differently
			for i := range order {
				order[i] = i
			}
			slices.SortFunc(order, func(a, b int) int { return strings.Compare(tb.Columns[a].Name, tb.Columns[b].Name) })
			if err := s.Rows(context.Background(), tb, func(vals []any) error {
				var line strings.Builder
				for _, i := range order {
					fmt.Fprintf(&line, "%s=%q ", tb.Columns[i].Name, vals[i])
				}
				lines = append(lines, line.String())
				return nil
			}); err != nil {
				return err
			}
			slices.Sort(lines)
			out[tb.Name] = lines
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// The audit tables gain the restore's own event, and the load moves the
// sessions' epoch on (as any change to the tables it guards does);
// everything else must come back exactly, across engines.
var auditTables = []string{"audit_events", "audit_head", "audit_subjects", "audit_reasons", "auth_epoch"}

func TestBackupRestoresIntoEitherEngine(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, src testkit.DB) {
		ctx := context.Background()
		f := newFixture(t, src)
		target := Dir{Path: t.TempDir()}
		man, err := f.maker.Make(ctx, target, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if man.Rows() == 0 || man.SchemaVersion == 0 || man.Audit.Checkpoint == "" || len(man.KeyTerms) == 0 {
			t.Fatalf("manifest lacks what it must state: %+v", man)
		}
		// The stored object is encrypted: no table name nor sealed value in clear.
		raw, err := os.ReadFile(filepath.Join(target.Path, filepath.FromSlash(man.Data.Key)))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(raw, []byte("age-encryption.org/v1")) || bytes.Contains(raw, []byte("customers")) {
			t.Fatal("the data object is not an age file, or shows table names in clear")
		}
		want := dump(t, f.env.Store, auditTables...)
		dests := []testkit.DB{testkit.NewSQLite(t)}
		if base := os.Getenv(testkit.PostgresEnv); base != "" {
			dests = append(dests, testkit.NewPostgres(t, base))
		}
		for _, dst := range dests {
			t.Run("to_"+string(dst.Engine), func(t *testing.T) {
				got, err := f.restorer(target).Restore(ctx, man.ID, dst.DSN)
				if err != nil {
					t.Fatal(err)
				}
				if got.Rows != man.Rows() {
					t.Fatalf("restored %d rows, the manifest has %d", got.Rows, man.Rows())
				}
				restored := dst.Open(t)
				have := dump(t, restored, auditTables...)
				for name, rows := range want {
					if !slices.Equal(have[name], rows) {
						t.Errorf("table %s differs after the restore: %d rows, want %d", name, len(have[name]), len(rows))
					}
				}
				// The personal data opens with the same master key, through the service.
				svc, err := service.New(ctx, restored, f.env.Keys, service.Options{Hasher: testkit.FastHasher()})
				if err != nil {
					t.Fatal(err)
				}
				defer svc.Close()
				page, err := svc.Customers.ListCustomers(ctx, authz.System(), serviceQuery())
				if err != nil || len(page.Customers) == 0 || page.Customers[0].Fields["name"] == "" {
					t.Fatalf("customers after the restore: %v, %+v", err, page)
				}
				// The chain goes on from the backup's and verifies up to its checkpoint.
				rep, prob, err := checkpoint.Verify(ctx, restored, f.signer.VerifierKey(), nil)
				if err != nil || prob != nil {
					t.Fatalf("audit verify after the restore: %v %v", err, prob)
				}
				if rep.Events <= man.Audit.Events {
					t.Fatalf("the restore recorded no event: %d events, the backup had %d", rep.Events, man.Audit.Events)
				}
			})
		}
	})
}

func TestRestoreRefusesTamperedBackups(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, testkit.NewSQLite(t))
	other, _, err := checkpoint.LoadOrCreateKey(filepath.Join(t.TempDir(), "other.key"), "test/strongroom/audit")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		tamper func(t *testing.T, dir Dir, man Manifest)
		make   func(m *Maker)
		want   string
	}{
		{"one byte of the data changed", func(t *testing.T, dir Dir, man Manifest) {
			p := filepath.Join(dir.Path, filepath.FromSlash(man.Data.Key))
			b, _ := os.ReadFile(p)
			b[len(b)/2] ^= 0x01
			os.WriteFile(p, b, 0o600)
		}, nil, "checksum does not match"},
		{"the data truncated", func(t *testing.T, dir Dir, man Manifest) {
			p := filepath.Join(dir.Path, filepath.FromSlash(man.Data.Key))
			b, _ := os.ReadFile(p)
			os.WriteFile(p, b[:len(b)-100], 0o600)
		}, nil, "checksum does not match"},
		{"manifest re-signed with another key", func(t *testing.T, dir Dir, man Manifest) {
			man.Tables[0].Rows++
			b, err := man.sign(other)
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(dir.Path, filepath.FromSlash(manifestKey(man.ID))), b, 0o600)
		}, nil, "signature fails"},
		{"manifest edited, signature kept", func(t *testing.T, dir Dir, man Manifest) {
			p := filepath.Join(dir.Path, filepath.FromSlash(manifestKey(man.ID)))
			b, _ := os.ReadFile(p)
			os.WriteFile(p, bytes.Replace(b, []byte(`"rows": `), []byte(`"rows": 1`), 1), 0o600)
		}, nil, "signature fails"},
		{"a table dropped from the data (and the manifest)", nil, func(m *Maker) { m.skip = "customers" }, "the manifest lacks table customers"},
		{"a table dropped from the data only", func(t *testing.T, dir Dir, man Manifest) {
			man.Tables = slices.Insert(man.Tables, 0, TableSum{Name: "customers", Rows: 0, SHA256: "00"})
			resign(t, f, dir, man)
		}, func(m *Maker) { m.skip = "customers" }, "where the manifest has customers"},
		{"row count misstated", func(t *testing.T, dir Dir, man Manifest) {
			for i := range man.Tables {
				if man.Tables[i].Name == "customers" {
					man.Tables[i].Rows--
				}
			}
			resign(t, f, dir, man)
		}, nil, "table customers has"},
		{"checksum misstated", func(t *testing.T, dir Dir, man Manifest) {
			for i := range man.Tables {
				if man.Tables[i].Name == "users" {
					man.Tables[i].SHA256 = strings.Repeat("0", 64)
				}
			}
			resign(t, f, dir, man)
		}, nil, "table users's checksum does not match"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := Dir{Path: t.TempDir()}
			m := *f.maker
			if c.make != nil {
				c.make(&m)
			}
			man, err := m.Make(ctx, dir, time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			if c.tamper != nil {
				c.tamper(t, dir, man)
			}
			dst := testkit.NewSQLite(t)
			_, err = f.restorer(dir).Restore(ctx, man.ID, dst.DSN)
			var re *RefusedError
			if !errors.As(err, &re) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("restore: %v; want a refusal saying %q", err, c.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("the refusal is not one line: %q", err)
			}
			if _, err := os.Stat(dst.Path); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("a refused restore left a database behind: %v", err)
			}
		})
	}
	t.Run("an identity the backup is not encrypted to", func(t *testing.T) {
		dir := Dir{Path: t.TempDir()}
		man, err := f.maker.Make(ctx, dir, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		stranger, _ := age.GenerateX25519Identity()
		r := f.restorer(dir)
		r.Identities = []age.Identity{stranger}
		if _, err := r.Restore(ctx, man.ID, testkit.NewSQLite(t).DSN); err == nil || !strings.Contains(err.Error(), "none of the identities") {
			t.Fatalf("restore with a stranger's identity: %v", err)
		}
	})
}

// resign writes man signed with the right key, as a bug (not a thief)
// would: the checks after the signature must catch it.
func resign(t *testing.T, f *fixture, dir Dir, man Manifest) {
	t.Helper()
	b, err := man.sign(f.signer)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir.Path, filepath.FromSlash(manifestKey(man.ID))), b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// failingTarget fails a Put of the data after some bytes, as a full disk
// or a dropped connection would.
type failingTarget struct {
	Dir
	after int64
}

func (f failingTarget) Put(ctx context.Context, key string, r io.Reader, retain time.Time) error {
	if strings.HasSuffix(key, "/manifest") {
		return f.Dir.Put(ctx, key, r, retain)
	}
	return f.Dir.Put(ctx, key, io.MultiReader(io.LimitReader(r, f.after), errReader{}), retain)
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("the connection dropped") }

func TestFailedUploadIsNotABackup(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, testkit.NewSQLite(t))
	dir := t.TempDir()
	target := failingTarget{Dir: Dir{Path: dir}, after: 1000}
	if _, err := f.maker.Make(ctx, target, time.Time{}); err == nil {
		t.Fatal("a backup whose upload failed reported success")
	}
	ids, err := List(ctx, Dir{Path: dir})
	if err != nil || len(ids) != 0 {
		t.Fatalf("after a failed upload the target lists %v (%v)", ids, err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "backups", "*", "*"))
	if len(files) != 0 {
		t.Fatalf("a failed upload left %v", files)
	}
}

func TestErasedPeopleStayErased(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		target := Dir{Path: t.TempDir()}
		spec := Spec{Target: target}
		man, err := f.maker.Make(ctx, target, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		page, err := f.env.Service.Customers.ListCustomers(ctx, authz.System(), serviceQuery())
		if err != nil || len(page.Customers) < 2 {
			t.Fatalf("%v %d", err, len(page.Customers))
		}
		gone, kept := page.Customers[0], page.Customers[1]
		if err := f.env.Service.Customers.DeleteCustomer(ctx, authz.System(), gone.ID); err != nil {
			t.Fatal(err)
		}
		ledger := &Ledger{DB: f.env.Store, Signer: f.signer, Targets: []Spec{spec}}
		if n, err := ledger.Ship(ctx); err != nil || n != 1 {
			t.Fatalf("ship: %d %v", n, err)
		}
		// A forged entry (not signed by the audit key) erases nothing.
		forged := Dir{Path: target.Path}
		forged.Put(ctx, ledgerKey(kept.ID), strings.NewReader("subject "+kept.ID+"\nkind customer\nerased 1\n"), time.Time{})

		// The live server is gone: restore onto a new machine from the target alone.
		dst := testkit.NewLike(t, db)
		got, err := f.restorer(target).Restore(ctx, man.ID, dst.DSN)
		if err != nil {
			t.Fatal(err)
		}
		if got.ErasedAgain != 1 || got.LedgerRefused != 1 {
			t.Fatalf("erased again %d, refused %d; want 1 and 1", got.ErasedAgain, got.LedgerRefused)
		}
		restored := dst.Open(t)
		svc, err := service.New(ctx, restored, f.env.Keys, service.Options{Hasher: testkit.FastHasher()})
		if err != nil {
			t.Fatal(err)
		}
		defer svc.Close()
		if _, err := svc.Customers.Customer(ctx, authz.System(), gone.ID); err == nil {
			t.Fatal("a customer erased after the backup came back with its restore")
		}
		if c, err := svc.Customers.Customer(ctx, authz.System(), kept.ID); err != nil || c.Fields["name"] != kept.Fields["name"] {
			t.Fatalf("a customer not erased is missing after the restore: %v", err)
		}
		raw := dst.Raw(t)
		var keys int
		raw.QueryRow("SELECT COUNT(*) FROM subject_keys WHERE subject_id = '" + gone.ID + "'").Scan(&keys)
		if keys != 0 {
			t.Fatal("the erased customer's data key is back")
		}

		// A restore by other means (here: a backup kept where the ledger
		// never went) brings the customer back; reapplying the target's
		// ledger erases them again.
		pitr := testkit.NewLike(t, db)
		if _, err := f.restorer(Dir{Path: target.Path + "-none"}).Restore(ctx, man.ID, pitr.DSN); err == nil {
			t.Fatal("a restore from an empty target succeeded")
		}
		copyBackup(t, target, Dir{Path: target.Path + "-none"}, man.ID)
		if got, err := f.restorer(Dir{Path: target.Path + "-none"}).Restore(ctx, man.ID, pitr.DSN); err != nil || got.ErasedAgain != 0 {
			t.Fatalf("restore without a ledger: %v, %d erased", err, got.ErasedAgain)
		}
		back := pitr.Open(t)
		again, err := ReapplyLedger(ctx, back, target, f.signer.VerifierKey(), time.Now())
		if err != nil || again.Erased != 1 || again.Entries != 1 || again.Refused != 1 {
			t.Fatalf("reapply: %+v %v", again, err)
		}
		var n int
		pitr.Raw(t).QueryRow("SELECT COUNT(*) FROM customers WHERE id = '" + gone.ID + "'").Scan(&n)
		if n != 0 {
			t.Fatal("reapplying the ledger left the erased customer")
		}
	})
}

func serviceQuery() records.CustomerQuery { return records.CustomerQuery{Limit: 50} }

// copyBackup copies backup id's objects from one target to another.
func copyBackup(t *testing.T, from, to Dir, id string) {
	t.Helper()
	for _, key := range []string{dataKey(id), manifestKey(id)} {
		r, err := from.Get(context.Background(), key)
		if err != nil {
			t.Fatal(err)
		}
		if err := to.Put(context.Background(), key, r, time.Time{}); err != nil {
			t.Fatal(err)
		}
		r.Close()
	}
}
