package service_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/keyring"
	"strongroom.dev/strongroom/internal/rewrap"
	"strongroom.dev/strongroom/internal/service"
	"strongroom.dev/strongroom/internal/service/hooks"
	"strongroom.dev/strongroom/internal/service/keys"
	"strongroom.dev/strongroom/internal/service/records"
	"strongroom.dev/strongroom/internal/testkit"
)

// TestKeyRotationUnderLoad rotates the master key and re-wraps every data
// key in small batches while customers are read, created and updated at
// the same time; then retires the old term. Every value written reads
// back, nothing is left under the old term, a new server opens the
// database with the rotated key, and the audit chain verifies.
func TestKeyRotationUnderLoad(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		f := newFixture(t, db)
		if os.Getenv(testkit.CustodyEnv) == "pkcs11" && f.Keys.Custody() != "pkcs11" {
			t.Fatalf("custody %s, want pkcs11", f.Keys.Custody())
		}
		ctx := context.Background()
		sys := authz.System()
		want := sync.Map{} // customer id -> notes
		for i := range 40 {
			notes := fmt.Sprintf("first notes %d", i)
			c, err := f.Service.Customers.CreateCustomer(ctx, f.admin, input("name", fmt.Sprintf("Customer %d", i), "notes", notes))
			if err != nil {
				t.Fatal(err)
			}
			want.Store(c.ID, notes)
		}

		hook, err := f.Service.Hooks.Create(ctx, sys, hooks.Input{Name: "Partner", URL: "https://partner.example.com/hooks", Role: "marketing", Events: []string{hooks.CustomerCreated}})
		if err != nil {
			t.Fatal(err)
		}

		t.Run("who may manage keys", func(t *testing.T) {
			if _, err := f.Service.Keys.Rotate(ctx, f.sales1); !errs.Is(err, errs.Permission) {
				t.Fatalf("sales rotated: %v", err)
			}
			if _, err := f.Service.Keys.Status(ctx, f.sales1); !errs.Is(err, errs.Permission) {
				t.Fatalf("sales read the key status: %v", err)
			}
			if _, err := f.Service.Keys.Status(ctx, f.auditor); err != nil {
				t.Fatalf("auditor: %v", err)
			}
			stale := f.admin
			stale.VerifiedAt = time.Time{}
			if _, err := f.Service.Keys.Rotate(ctx, stale); !errs.Is(err, errs.StepUp) {
				t.Fatalf("admin without a step-up rotated: %v", err)
			}
		})

		// Never rotated: the runner's minute finds nothing, records nothing.
		if p, err := f.Service.Keys.RewrapStep(ctx, sys, 10); err != nil || !p.Finished() {
			t.Fatalf("rewrap before any rotation: %+v %v", p, err)
		}
		if st, err := f.Service.Keys.Status(ctx, sys); err != nil || st.Rewrap != nil {
			t.Fatalf("a rewrap was recorded before any rotation: %+v %v", st.Rewrap, err)
		}

		term, err := f.Service.Keys.Rotate(ctx, sys)
		if err != nil || term != 2 {
			t.Fatalf("rotate: %d %v", term, err)
		}
		if err := f.Service.Keys.Retire(ctx, sys, 1); !errs.Is(err, errs.Conflict) {
			t.Fatalf("retired term 1 while it wraps keys: %v", err)
		}
		if err := f.Service.Keys.Retire(ctx, sys, 2); !errs.Is(err, errs.Invalid) {
			t.Fatalf("retired the active term: %v", err)
		}

		// Traffic while the runner re-wraps in batches of 7.
		stop := make(chan struct{})
		var wg sync.WaitGroup
		var reads, writes atomic.Int64
		errc := make(chan error, 8)
		for w := range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					case <-time.After(time.Millisecond):
					}
					if w == 0 { // creates
						notes := fmt.Sprintf("made during rotation %d", i)
						c, err := f.Service.Customers.CreateCustomer(ctx, f.admin, input("name", fmt.Sprintf("New %d", i), "notes", notes))
						if err != nil {
							errc <- fmt.Errorf("create: %w", err)
							return
						}
						want.Store(c.ID, notes)
						writes.Add(1)
						continue
					}
					var id string
					want.Range(func(k, v any) bool { id = k.(string); return i%5 != 0 })
					if w == 1 { // updates
						notes := fmt.Sprintf("updated during rotation %d", i)
						if _, err := f.Service.Customers.UpdateCustomer(ctx, f.admin, id, input("notes", notes)); err != nil {
							errc <- fmt.Errorf("update: %w", err)
							return
						}
						want.Store(id, notes)
						writes.Add(1)
						continue
					}
					if _, err := f.Service.Customers.Customer(ctx, f.admin, id); err != nil {
						errc <- fmt.Errorf("read: %w", err)
						return
					}
					reads.Add(1)
				}
			}()
		}
		for reads.Load() == 0 || writes.Load() < 2 { // traffic first
			time.Sleep(time.Millisecond)
		}
		// Throttled (the --rewrap-rate flag): 7 keys per 10 ms at most.
		r := &rewrap.Runner{Keys: f.Service.Keys, Batch: 7, Rate: 700, Lock: func(ctx context.Context) (func(), bool) { return f.Store.TryLock(ctx, rewrap.LockKey) }}
		var steps int
		limited, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		if held, err := r.Once(limited, func(keys.Progress) { steps++ }); err != nil || !held {
			t.Fatalf("rewrap: held %v, %v", held, err)
		}
		close(stop)
		wg.Wait()
		close(errc)
		for err := range errc {
			t.Fatal(err)
		}
		if steps < 3 || reads.Load() == 0 || writes.Load() == 0 {
			t.Fatalf("the rewrap ran %d steps beside %d reads and %d writes; the test did not overlap them", steps, reads.Load(), writes.Load())
		}
		// Once more, as the next run of serve's runner would: nothing left.
		if _, err := r.Once(ctx, nil); err != nil {
			t.Fatal(err)
		}
		st, err := f.Service.Keys.Status(ctx, sys)
		if err != nil {
			t.Fatal(err)
		}
		if st.Active != 2 || st.Rewrap == nil || !st.Rewrap.Finished() {
			t.Fatalf("status after rewrap: %+v", st)
		}
		for _, tm := range st.Terms {
			if tm.Term == 1 && tm.Keys != 0 {
				t.Fatalf("%d keys still under term 1", tm.Keys)
			}
		}
		if err := f.Service.Keys.Retire(ctx, sys, 1); err != nil {
			t.Fatalf("retire term 1 after rewrap: %v", err)
		}
		if got := f.Keys.Terms(); len(got) != 1 || got[0] != 2 {
			t.Fatalf("terms after retiring = %v", got)
		}
		// The webhook's key (kept outside subject_keys) was re-wrapped too.
		var hookKey []byte
		if err := f.DB.Raw(t).QueryRow("SELECT key_wrapped FROM webhooks").Scan(&hookKey); err != nil {
			t.Fatal(err)
		}
		if keyring.WrappedTerm(hookKey) != 2 {
			t.Fatalf("the webhook's key is under term %d", keyring.WrappedTerm(hookKey))
		}
		if _, err := f.Keys.OpenDataKey("webhook:"+hook.ID, hookKey); err != nil {
			t.Fatalf("the webhook's key after retiring term 1: %v", err)
		}
		n := 0
		want.Range(func(k, v any) bool {
			c, err := f.Service.Customers.Customer(ctx, f.admin, k.(string))
			if err != nil {
				t.Errorf("customer %s after retiring term 1: %v", k, err)
				return false
			}
			if c.Fields["notes"] != v.(string) {
				t.Errorf("customer %s notes = %q, want %q", k, c.Fields["notes"], v)
			}
			n++
			return true
		})
		if _, problem, err := f.Service.AuditLog.Verify(ctx); err != nil || problem != nil {
			t.Fatalf("audit chain after rotation: %v %+v", err, problem)
		}
		// A server started with the rotated key opens the database (the
		// key check was re-wrapped too).
		svc2, err := service.New(ctx, f.Store, f.Keys, service.Options{Hasher: testkit.FastHasher()})
		if err != nil {
			t.Fatalf("a new server with the rotated key: %v", err)
		}
		svc2.Close()
		t.Logf("%d customers read back after %d rewrap steps beside %d reads and %d writes", n, steps, reads.Load(), writes.Load())
	})
}

// TestRetireChecksTheBytes: a key whose row claims the new term but is
// wrapped under the old one still stops retirement.
func TestRetireChecksTheBytes(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		sys := authz.System()
		if _, err := f.Service.Customers.CreateCustomer(ctx, f.admin, input("name", "Old")); err != nil {
			t.Fatal(err)
		}
		if _, err := f.Service.Keys.Rotate(ctx, sys); err != nil {
			t.Fatal(err)
		}
		raw := f.DB.Raw(t)
		if _, err := raw.Exec("UPDATE subject_keys SET kek_term = 2"); err != nil {
			t.Fatal(err)
		}
		if err := f.Service.Keys.Retire(ctx, sys, 1); !errs.Is(err, errs.Conflict) {
			t.Fatalf("retired term 1 while a key's bytes are under it: %v", err)
		}
		if keyring.WrappedTerm(nil) != 0 {
			t.Fatal("WrappedTerm of nothing")
		}
	})
}

// TestRetiredTermRefusedToStaleServer: a server that has not yet loaded
// the new term (it syncs once a minute) still wraps new data keys under the
// old one. Once that term is retired, such a key would open nowhere: the
// database refuses it, the write fails as unavailable and nothing is lost.
func TestRetiredTermRefusedToStaleServer(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		ctx := context.Background()
		sys := authz.System()
		path := filepath.Join(t.TempDir(), "master.key")
		current, _, err := keyring.LoadOrCreateFile(path)
		if err != nil {
			t.Fatal(err)
		}
		stale, err := keyring.LoadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		st := db.Open(t)
		opt := service.Options{Hasher: testkit.FastHasher()}
		svc, err := service.New(ctx, st, current, opt)
		if err != nil {
			t.Fatal(err)
		}
		defer svc.Close()
		other, err := service.New(ctx, st, stale, opt)
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		if _, err := other.Customers.CreateCustomer(ctx, sys, input("name", "Before The Rotation")); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Keys.Rotate(ctx, sys); err != nil {
			t.Fatal(err)
		}
		for range 10 {
			p, err := svc.Keys.RewrapStep(ctx, sys, 100)
			if err != nil {
				t.Fatal(err)
			}
			if p.Finished() {
				break
			}
		}
		if err := svc.Keys.Retire(ctx, sys, 1); err != nil {
			t.Fatalf("retire term 1: %v", err)
		}
		if stale.ActiveTerm() != 1 {
			t.Fatalf("the other server's keyring moved to term %d by itself; the test needs it stale", stale.ActiveTerm())
		}
		_, err = other.Customers.CreateCustomer(ctx, sys, input("name", "Under A Retired Term"))
		if !errs.Is(err, errs.Unavailable) {
			t.Fatalf("a new customer's key under the retired term: %v; want unavailable", err)
		}
		page, err := svc.Customers.ListCustomers(ctx, sys, records.CustomerQuery{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Customers) != 1 || page.Customers[0].Fields["name"] != "Before The Rotation" {
			t.Fatalf("customers after the refused write: %+v", page.Customers)
		}
	})
}
