package service_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/service/governance"
	"strongroom.dev/strongroom/internal/testkit"
)

// Many reads at once, sharing the committer's batches (which wait briefly
// for reads still running): every read returns its customer, each lands in
// the audit log as its own event, and the chain verifies.
func TestConcurrentReadsEachRecorded(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		const customers, readers, rounds = 8, 16, 5
		ids := make([]string, customers)
		for i := range ids {
			c, err := f.Service.Customers.CreateCustomer(ctx, f.admin, input("name", fmt.Sprintf("Concurrent Reader %d", i)))
			if err != nil {
				t.Fatal(err)
			}
			ids[i] = c.ID
		}
		var wg sync.WaitGroup
		errc := make(chan error, readers*rounds)
		for r := range readers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for n := range rounds {
					id := ids[(r+n)%customers]
					c, err := f.Service.Customers.Customer(ctx, f.admin, id)
					if err == nil && c.ID != id {
						err = fmt.Errorf("asked for %s, got %s", id, c.ID)
					}
					if err != nil {
						errc <- err
					}
				}
			}()
		}
		wg.Wait()
		close(errc)
		for err := range errc {
			t.Fatal(err)
		}
		reads := 0
		for _, id := range ids {
			page, err := f.Service.AuditLog.Events(ctx, authz.System(), governance.AuditQuery{ObjectID: id, Action: "customer.read", Limit: 1000})
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Events) != readers*rounds/customers {
				t.Errorf("customer %s: %d read events, want %d", id, len(page.Events), readers*rounds/customers)
			}
			reads += len(page.Events)
		}
		if reads != readers*rounds {
			t.Errorf("%d read events in all, want %d", reads, readers*rounds)
		}
		if n, problem, err := f.Service.AuditLog.Verify(ctx); err != nil || problem != nil {
			t.Fatalf("after %d events: problem=%v err=%v", n, problem, err)
		}
	})
}
