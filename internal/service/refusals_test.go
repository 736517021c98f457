package service_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service"
	"strongroom.dev/strongroom/internal/service/core"
	"strongroom.dev/strongroom/internal/service/governance"
	"strongroom.dev/strongroom/internal/testkit"
)

// TestRefusalsUnderFlood: refusals of unknown callers are recorded once
// per address and action a minute, at most 1000 a minute in all, and what
// was skipped is counted in one event with the next recorded refusal; a
// known caller's refusals are recorded each time.
func TestRefusalsUnderFlood(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		ctx := context.Background()
		clk := &clock{now: time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)}
		env := testkit.NewEnv(t, db, service.Options{Now: clk.Now})
		svc := env.Service
		refuse := func(a authz.Actor, action string) {
			t.Helper()
			if err := svc.RecordRefusal(ctx, core.Refusal{Actor: a, Action: action, Route: "GET /healthz", Reason: "too many"}); err != nil {
				t.Fatal(err)
			}
		}
		count := func() map[string]int {
			t.Helper()
			page, err := svc.AuditLog.Events(ctx, authz.System(), governance.AuditQuery{Limit: 1000})
			if err != nil {
				t.Fatal(err)
			}
			out := map[string]int{}
			for _, e := range page.Events {
				if strings.HasPrefix(e.Action, "security.") {
					out[e.Action+" "+e.IP+" "+e.ActorID]++
				}
			}
			return out
		}

		// 500 refusals from one address, of two kinds, and from a second one.
		for range 500 {
			refuse(authz.Actor{IP: "198.51.100.7"}, core.RefusedRateLimit)
		}
		refuse(authz.Actor{IP: "198.51.100.7"}, core.RefusedCrossOrigin)
		refuse(authz.Actor{IP: "198.51.100.8"}, core.RefusedRateLimit)
		// A known caller: every refusal.
		known := authz.Actor{UserID: "usr_00000000000000000000000000000001", IP: "198.51.100.7"}
		refuse(known, core.RefusedForbidden)
		refuse(known, core.RefusedForbidden)
		want := map[string]int{
			"security.rate_limit 198.51.100.7 ":               1,
			"security.cross_origin 198.51.100.7 ":             1,
			"security.rate_limit 198.51.100.8 ":               1,
			"security.forbidden 198.51.100.7 " + known.UserID: 2,
		}
		if got := count(); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("after the first minute's flood: %v, want %v", got, want)
		}

		// The next minute, the address is recorded again, with the count of
		// what was skipped.
		clk.Advance(time.Minute)
		refuse(authz.Actor{IP: "198.51.100.7"}, core.RefusedRateLimit)
		want["security.rate_limit 198.51.100.7 "]++
		want["security.refusals_skipped  "] = 1
		if got := count(); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("a minute later: %v, want %v", got, want)
		}
		page, _ := svc.AuditLog.Events(ctx, authz.System(), governance.AuditQuery{Limit: 1000})
		for _, e := range page.Events {
			if e.Action == "security.refusals_skipped" && !strings.HasPrefix(e.Reason, "499 repeated refusals") {
				t.Errorf("skipped summary: %q", e.Reason)
			}
		}

		// Many addresses at once: at most 1000 events a minute.
		clk.Advance(time.Minute)
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 150 {
					svc.RecordRefusal(ctx, core.Refusal{Actor: authz.Actor{IP: fmt.Sprintf("2001:db8::%d:%d", g, i)}, Action: core.RefusedCrossOrigin})
				}
			}()
		}
		wg.Wait()
		page, err := svc.AuditLog.Events(ctx, authz.System(), governance.AuditQuery{ObjectType: "route", AfterSeq: page.Events[len(page.Events)-1].Seq, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range page.Events {
			if e.Action == core.RefusedCrossOrigin {
				n++
			}
		}
		if n != 1000 {
			t.Fatalf("%d refusals recorded from 1200 addresses in one minute, want the cap of 1000", n)
		}
	})
}

// TestRefusalNotRecordedTwice: a refusal the service recorded itself while
// handling the request is not recorded again by the handler's
// RecordRefusal; without that record, it is.
func TestRefusalNotRecordedTwice(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		f := newFixture(t, db)
		svc := f.Service
		c, err := svc.Customers.CreateCustomer(context.Background(), f.sales1, input("name", "Gao Min"))
		if err != nil {
			t.Fatal(err)
		}
		events := func(action string) int {
			page, err := svc.AuditLog.Events(context.Background(), authz.System(), governance.AuditQuery{Limit: 1000})
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, e := range page.Events {
				if e.Action == action && e.Outcome == audit.Denied {
					n++
				}
			}
			return n
		}
		// The service records a break-glass by a role not designated for it.
		ctx := core.WatchRefusals(context.Background())
		if _, err := svc.Approvals.BreakGlass(ctx, f.sales2, c.ID, "the customer is on the phone right now"); !errs.Is(err, errs.Permission) {
			t.Fatalf("break-glass by sales: %v", err)
		}
		if events("breakglass.open") != 1 {
			t.Fatal("the service did not record the refused break-glass")
		}
		if err := svc.RecordRefusal(ctx, core.Refusal{Actor: f.sales2, Action: core.RefusedForbidden, Route: "POST /api/v1/customers/{id}/break-glass"}); err != nil {
			t.Fatal(err)
		}
		if n := events(core.RefusedForbidden); n != 0 {
			t.Fatalf("a refusal the service recorded was recorded again: %d", n)
		}
		// Listing users is refused without a record: the handler's is the one.
		ctx = core.WatchRefusals(context.Background())
		if _, err := svc.Users.ListUsers(ctx, f.sales1); !errs.Is(err, errs.Permission) {
			t.Fatalf("sales lists users: %v", err)
		}
		if err := svc.RecordRefusal(ctx, core.Refusal{Actor: f.sales1, Action: core.RefusedForbidden, Route: "GET /api/v1/users", Reason: "you may not list users"}); err != nil {
			t.Fatal(err)
		}
		if n := events(core.RefusedForbidden); n != 1 {
			t.Fatalf("%d forbidden events, want 1", n)
		}
	})
}
