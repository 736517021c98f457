package service_test

import (
	"bytes"
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service/governance"
	"strongroom.dev/strongroom/internal/service/identity"
	"strongroom.dev/strongroom/internal/testkit"
)

// seqs are the seq numbers of events, in their order.
func seqs(events []audit.Event) []int64 {
	out := make([]int64, len(events))
	for i, e := range events {
		out[i] = e.Seq
	}
	return out
}

// TestAuditLogFilters filters the log by each dimension — action,
// outcome, actor, subject, time range — and checks that every event
// returned matches and that the matching events are all there.
func TestAuditLogFilters(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		svc := f.Service
		ada, err := svc.Customers.CreateCustomer(ctx, f.sales1, input("name", "Ada Lovelace", "email", "ada@example.com"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Customers.CreateCustomer(ctx, f.sales1, input("name", "Alan Turing")); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Customers.CreateCustomer(ctx, f.sales2, input("name", "Grace Hopper")); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Customers.Customer(ctx, f.admin, ada.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Sessions.Login(ctx, "sales2@example.com", "wrong password!", identity.Client{IP: "192.0.2.9"}); err == nil {
			t.Fatal("a wrong password logged in")
		}
		all, err := svc.AuditLog.Events(ctx, f.auditor, governance.AuditQuery{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		created := all.Events[len(all.Events)-1]
		cases := []struct {
			name  string
			q     governance.AuditQuery
			match func(audit.Event) bool
		}{
			{"action", governance.AuditQuery{Action: "customer.create"}, func(e audit.Event) bool { return e.Action == "customer.create" }},
			{"outcome", governance.AuditQuery{Outcome: audit.Failure}, func(e audit.Event) bool { return e.Outcome == audit.Failure }},
			{"actor", governance.AuditQuery{ActorID: f.sales2.UserID}, func(e audit.Event) bool { return e.ActorID == f.sales2.UserID }},
			{"subject", governance.AuditQuery{SubjectIDs: []string{ada.ID}}, func(e audit.Event) bool {
				return e.ObjectID == ada.ID || slices.Contains(e.Subjects, ada.ID)
			}},
			{"time range", governance.AuditQuery{Since: created.At, Until: created.At.Add(time.Microsecond)}, func(e audit.Event) bool { return e.At.Equal(created.At) }},
			{"action and actor", governance.AuditQuery{Action: "customer.create", ActorID: f.sales1.UserID}, func(e audit.Event) bool {
				return e.Action == "customer.create" && e.ActorID == f.sales1.UserID
			}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				var want []int64
				for _, e := range all.Events {
					if c.match(e) {
						want = append(want, e.Seq)
					}
				}
				if len(want) == 0 {
					t.Fatal("the fixture has no event to find")
				}
				q := c.q
				q.Limit = 1000
				q.Until = c.q.Until
				if q.Until.IsZero() {
					q.BeforeSeq = created.Seq + 1 // the log as it was, without the reads since
				}
				page, err := svc.AuditLog.Events(ctx, f.auditor, q)
				if err != nil {
					t.Fatal(err)
				}
				if got := seqs(page.Events); !slices.Equal(got, want) {
					t.Errorf("found %v, want %v", got, want)
				}
			})
		}
		for _, bad := range []governance.AuditQuery{{Outcome: "maybe"}, {AfterSeq: 3, BeforeSeq: 9}, {Since: created.At, Until: created.At}, {Limit: 5000}} {
			if _, err := svc.AuditLog.Events(ctx, f.auditor, bad); !errs.Is(err, errs.Invalid) {
				t.Errorf("%+v: %v, want invalid", bad, err)
			}
		}
	})
}

// TestAuditLogPagesBothWays walks a filtered view newest first to its
// end and back, and oldest first: every event once, in order, and a page's
// newer cursor leads back to the page before it.
func TestAuditLogPagesBothWays(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		svc := f.Service
		for _, n := range []string{"Ada Lovelace", "Alan Turing", "Grace Hopper", "Edsger Dijkstra", "Barbara Liskov"} {
			if _, err := svc.Customers.CreateCustomer(ctx, f.sales1, input("name", n)); err != nil {
				t.Fatal(err)
			}
		}
		view := governance.AuditQuery{Action: "customer.create", Limit: 1000}
		full, err := svc.AuditLog.Events(ctx, f.auditor, view)
		if err != nil || len(full.Events) != 5 {
			t.Fatalf("%d events, %v", len(full.Events), err)
		}
		want := seqs(full.Events)
		newestFirst := slices.Clone(want)
		slices.Reverse(newestFirst)

		q := view
		q.Newest, q.Limit = true, 2
		var walked []int64
		var pages []governance.AuditPage
		for {
			page, err := svc.AuditLog.Events(ctx, f.auditor, q)
			if err != nil {
				t.Fatal(err)
			}
			walked = append(walked, seqs(page.Events)...)
			pages = append(pages, page)
			if page.Older == 0 {
				break
			}
			q.AfterSeq, q.BeforeSeq = 0, page.Older
		}
		if !slices.Equal(walked, newestFirst) || len(pages) != 3 {
			t.Fatalf("newest first: %v in %d pages, want %v in 3", walked, len(pages), newestFirst)
		}
		if pages[0].Newer != 0 {
			t.Error("the first page offers newer events")
		}
		// Back up: each page's newer cursor gives the page before it.
		for i := len(pages) - 1; i > 0; i-- {
			q.AfterSeq, q.BeforeSeq = pages[i].Newer, 0
			back, err := svc.AuditLog.Events(ctx, f.auditor, q)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(seqs(back.Events), seqs(pages[i-1].Events)) {
				t.Errorf("newer than page %d: %v, want %v", i, seqs(back.Events), seqs(pages[i-1].Events))
			}
			if back.Older == 0 {
				t.Errorf("newer than page %d: no way back to older", i)
			}
		}
		// Oldest first, as the API always paged.
		q = view
		q.Limit = 2
		walked = nil
		for {
			page, err := svc.AuditLog.Events(ctx, f.auditor, q)
			if err != nil {
				t.Fatal(err)
			}
			walked = append(walked, seqs(page.Events)...)
			if page.NextAfter == 0 {
				break
			}
			q.AfterSeq = page.NextAfter
		}
		if !slices.Equal(walked, want) {
			t.Fatalf("oldest first: %v, want %v", walked, want)
		}
	})
}

// TestAuditLogFindExportAndDetails: actors and subjects are found by
// email or name (by those who may), the export holds exactly the filtered
// view and is recorded, an event opens with its chain position, and only
// the audit log's readers get any of it.
func TestAuditLogFindExportAndDetails(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		svc := f.Service
		ada, err := svc.Customers.CreateCustomer(ctx, f.sales1, input("name", "Ada Lovelace", "email", "ada@example.com"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Customers.CreateCustomer(ctx, f.sales2, input("name", "Alan Turing", "email", "alan@example.com")); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if _, err := svc.Customers.Customer(ctx, f.sales1, ada.ID); err != nil {
				t.Fatal(err)
			}
		}
		finds := []struct {
			name           string
			actor, subject string
			wantActor      string
			wantSubjects   []string
		}{
			{"actor by email", "SALES2@example.com", "", f.sales2.UserID, nil},
			{"subject by email", "", "Ada@Example.com", "", []string{ada.ID}},
			{"subject by name", "", "lovelace", "", []string{ada.ID}},
			{"both", "sales1@example.com", "ada@example.com", f.sales1.UserID, []string{ada.ID}},
		}
		for _, c := range finds {
			got, err := svc.AuditLog.FindAuditParties(ctx, f.admin, c.actor, c.subject)
			if err != nil || got.ActorID != c.wantActor || !slices.Equal(got.SubjectIDs, c.wantSubjects) {
				t.Errorf("%s: %+v %v, want %s %v", c.name, got, err, c.wantActor, c.wantSubjects)
			}
		}
		for _, c := range []struct {
			name           string
			actor, subject string
		}{{"no such user", "nobody@example.com", ""}, {"no such customer", "", "nobody@example.com"}, {"not an email", "sales1", ""}} {
			if _, err := svc.AuditLog.FindAuditParties(ctx, f.admin, c.actor, c.subject); !errs.Is(err, errs.Invalid) {
				t.Errorf("%s: %v, want invalid", c.name, err)
			}
		}
		// The auditor sees no personal data: no customer lookups by email or name.
		if _, err := svc.AuditLog.FindAuditParties(ctx, f.auditor, "", "ada@example.com"); !errs.Is(err, errs.Invalid) {
			t.Errorf("auditor finds a customer by email: %v", err)
		}
		if got, err := svc.AuditLog.FindAuditParties(ctx, f.auditor, "sales1@example.com", ""); err != nil || got.ActorID != f.sales1.UserID {
			t.Errorf("auditor finds an actor by email: %+v %v", got, err)
		}
		lookups, err := svc.AuditLog.Events(ctx, f.auditor, governance.AuditQuery{Action: "audit.find", Limit: 100})
		if err != nil || len(lookups.Events) < len(finds) {
			t.Fatalf("lookups recorded: %d, %v", len(lookups.Events), err)
		}
		for _, e := range lookups.Events {
			if strings.Contains(e.Reason, "@") || strings.Contains(strings.ToLower(e.Reason), "lovelace") {
				t.Errorf("a lookup's event holds what was typed: %q", e.Reason)
			}
		}

		// The export is the filtered view, every page of it, and is recorded.
		view := governance.AuditQuery{SubjectIDs: []string{ada.ID}, Newest: true, Limit: 1}
		var paged []int64
		for q := view; ; {
			page, err := svc.AuditLog.Events(ctx, f.admin, q)
			if err != nil {
				t.Fatal(err)
			}
			paged = append(paged, seqs(page.Events)...)
			if page.Older == 0 {
				break
			}
			q.BeforeSeq = page.Older
		}
		// Who read whose trail is on record: the read names its filters (ids only).
		reads, err := svc.AuditLog.Events(ctx, f.auditor, governance.AuditQuery{Action: "audit.read", ActorID: f.admin.UserID, Newest: true, Limit: 1})
		if err != nil || len(reads.Events) != 1 || reads.Events[0].Reason != "filters: subject="+ada.ID {
			t.Fatalf("the admin's read of the trail: %+v %v", reads.Events, err)
		}
		exported, err := svc.AuditLog.ExportEvents(ctx, f.admin, view, "csv")
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(seqs(exported), paged) || len(paged) < 2 {
			t.Errorf("export %v, view %v", seqs(exported), paged)
		}
		var buf bytes.Buffer
		if err := audit.WriteCSV(&buf, exported); err != nil || strings.Count(buf.String(), "\n") != len(exported)+1 {
			t.Errorf("csv: %v\n%s", err, buf.String())
		}
		recorded, err := svc.AuditLog.Events(ctx, f.auditor, governance.AuditQuery{Action: "audit.export", ActorID: f.admin.UserID})
		if err != nil || len(recorded.Events) != 1 || recorded.Events[0].Reason != "csv, "+strconv.Itoa(len(exported))+" events; filters: subject="+ada.ID {
			t.Fatalf("the export is not recorded: %+v %v", recorded.Events, err)
		}

		// An event's details: the admin sees the actor's email, which is
		// recorded as a read of it; the auditor sees the id only.
		seq := exported[len(exported)-1].Seq
		d, err := svc.AuditLog.AuditEvent(ctx, f.admin, seq, true)
		if err != nil || d.Event.Seq != seq || d.Event.ActorID != f.sales1.UserID || d.ActorEmail != "sales1@example.com" || len(d.Event.Hash) == 0 || d.Checkpointed {
			t.Fatalf("details: %+v %v", d, err)
		}
		if d, err := svc.AuditLog.AuditEvent(ctx, f.auditor, seq, true); err != nil || d.ActorEmail != "" {
			t.Fatalf("auditor's details: %q %v", d.ActorEmail, err)
		}
		reads, err = svc.AuditLog.Events(ctx, f.auditor, governance.AuditQuery{Action: "user.read", SubjectIDs: []string{f.sales1.UserID}})
		if err != nil || len(reads.Events) != 1 || reads.Events[0].ActorID != f.admin.UserID {
			t.Fatalf("the email's read is not recorded: %+v %v", reads.Events, err)
		}
		if _, err := svc.AuditLog.AuditEvent(ctx, f.admin, 1<<40, true); !errs.Is(err, errs.NotExist) {
			t.Errorf("a missing event: %v", err)
		}

		// Only the log's readers.
		for name, call := range map[string]func() error{
			"list": func() error { _, err := svc.AuditLog.Events(ctx, f.sales1, governance.AuditQuery{}); return err },
			"export": func() error {
				_, err := svc.AuditLog.ExportEvents(ctx, f.sales1, governance.AuditQuery{}, "csv")
				return err
			},
			"details": func() error { _, err := svc.AuditLog.AuditEvent(ctx, f.sales1, seq, true); return err },
			"find": func() error {
				_, err := svc.AuditLog.FindAuditParties(ctx, f.sales1, "admin@example.com", "")
				return err
			},
			"actions": func() error { _, err := svc.AuditLog.AuditActions(ctx, f.sales1); return err },
		} {
			if err := call(); !errs.Is(err, errs.Permission) {
				t.Errorf("sales %s: %v, want refused", name, err)
			}
		}
		actions, err := svc.AuditLog.AuditActions(ctx, f.auditor)
		if err != nil || !slices.Contains(actions, "customer.create") || !slices.Contains(actions, "audit.export") || !slices.IsSorted(actions) {
			t.Errorf("actions: %v %v", actions, err)
		}
	})
}
