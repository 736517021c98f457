package service_test

import (
	"context"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service"
	"strongroom.dev/strongroom/internal/service/breach"
	"strongroom.dev/strongroom/internal/service/identity"
	"strongroom.dev/strongroom/internal/service/records"
	"strongroom.dev/strongroom/internal/store"
	"strongroom.dev/strongroom/internal/testkit"
)

// TestBreachResponse on both engines: an incident's scope, drawn from the
// audit log, holds exactly the customers the compromised account touched
// in the window (read one by one or on a list page), not those it touched
// outside it nor another user's; the authority's notice is due 72 hours
// after discovery and is overdue after; the decision and tasks are
// recorded and audited, closing waits for them; a person's draft opens
// their name only when a handler asks, audited; a non-administrator is
// refused everything; and a drill is marked as one and left out of the
// real incidents' counts.
func TestBreachResponse(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		ctx := context.Background()
		t0 := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
		clk := &clock{now: t0}
		env := testkit.NewEnv(t, db, service.Options{Now: clk.Now, IdleTimeout: 24 * time.Hour, AbsoluteTimeout: 24 * time.Hour})
		svc := env.Service
		login := func(email, role string) authz.Actor {
			if _, err := svc.Users.CreateUser(ctx, authz.System(), identity.NewUser{Email: email, Role: role, Password: pw}); err != nil {
				t.Fatal(err)
			}
			s, err := svc.Sessions.Login(ctx, email, pw, identity.Client{IP: "192.0.2.1"})
			if err != nil {
				t.Fatal(err)
			}
			return mustAuth(t, svc, s.Token, identity.Client{IP: "192.0.2.1"})
		}
		admin, sales1, sales2 := login("admin@example.com", "admin"), login("sales1@example.com", "sales"), login("sales2@example.com", "sales")
		create := func(a authz.Actor, name string) string {
			c, err := svc.Customers.CreateCustomer(ctx, a, input("name", name, "email", strings.ToLower(strings.ReplaceAll(name, " ", "."))+"@example.cn"))
			if err != nil {
				t.Fatal(err)
			}
			return c.ID
		}
		read := func(a authz.Actor, id string) {
			if _, err := svc.Customers.Customer(ctx, a, id); err != nil {
				t.Fatal(err)
			}
		}
		// Before the window: sales1 creates three customers, sales2 one.
		c1, c2, c4 := create(sales1, "Gao Ming"), create(sales1, "Hu Jie"), create(sales1, "Luo Yan")
		c3 := create(sales2, "Ma Lin")
		clk.Advance(time.Hour) // the window opens
		from := clk.Now()
		read(sales1, c1)
		read(sales2, c3)
		clk.Advance(30 * time.Minute)
		if _, err := svc.Customers.ListCustomers(ctx, sales1, records.CustomerQuery{}); err != nil { // a page: c1, c2, c4 as one event's subjects
			t.Fatal(err)
		}
		clk.Advance(30 * time.Minute)
		to := clk.Now() // the window closes
		clk.Advance(time.Hour)
		c5 := create(sales1, "Tang Wei")
		read(sales1, c5)
		discovered := clk.Now()

		// Only administrators handle incidents.
		in := breach.Input{Title: "Sales laptop stolen", Description: "A sales rep's unlocked laptop was taken from a car.", Kind: "account",
			DiscoveredAt: discovered, WindowFrom: from, WindowTo: to, ActorID: sales1.UserID}
		if _, err := svc.Incidents.Open(ctx, sales1, in); !errs.Is(err, errs.Permission) {
			t.Fatalf("sales opening an incident: %v", err)
		}
		bad := in
		bad.WindowTo = from
		if _, err := svc.Incidents.Open(ctx, admin, bad); !errs.Is(err, errs.Invalid) {
			t.Fatalf("an empty window: %v", err)
		}
		bad = in
		bad.Kind = "meteor"
		if _, err := svc.Incidents.Open(ctx, admin, bad); !errs.Is(err, errs.Invalid) {
			t.Fatalf("not a kind: %v", err)
		}
		inc, err := svc.Incidents.Open(ctx, admin, in)
		if err != nil {
			t.Fatal(err)
		}
		if !inc.DueAt.Equal(discovered.Add(72*time.Hour)) || inc.Overdue(discovered.Add(71*time.Hour)) || !inc.Overdue(discovered.Add(73*time.Hour)) {
			t.Fatalf("the clock: due %v (discovered %v)", inc.DueAt, discovered)
		}

		// The scope: exactly c1, c2 and c4.
		if _, err := svc.Incidents.Scope(ctx, sales2, inc.ID); !errs.Is(err, errs.Permission) {
			t.Fatalf("sales scoping: %v", err)
		}
		scoped, err := svc.Incidents.Scope(ctx, admin, inc.ID)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, x := range scoped.Subjects {
			got = append(got, x.CustomerID)
		}
		want := []string{c1, c2, c4}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) || scoped.Affected != 3 || scoped.ScopeEvents != 2 {
			t.Fatalf("scope = %v (%d affected, %d events), want %v (c3 is sales2's, c5 outside the window)", got, scoped.Affected, scoped.ScopeEvents, want)
		}
		for _, x := range scoped.Subjects {
			if x.CustomerID == c1 && (x.Events != 2 || !x.FirstAt.Equal(from) || !x.LastAt.Equal(from.Add(30*time.Minute)) || !slices.Contains(x.Fields, "email")) {
				t.Fatalf("c1's touches: %+v", x)
			}
		}
		// By the session instead, with a window to now: c5 too.
		bySession := in
		bySession.Kind, bySession.ActorID, bySession.SessionID, bySession.WindowTo = "session", "", sales1.SessionID, clk.Now().Add(time.Minute)
		inc2, err := svc.Incidents.Open(ctx, admin, bySession)
		if err != nil {
			t.Fatal(err)
		}
		if s, err := svc.Incidents.Scope(ctx, admin, inc2.ID); err != nil || s.Affected != 4 {
			t.Fatalf("scope by session: %d %v, want c1, c2, c4, c5", s.Affected, err)
		}

		// By the attacker's address: everyone's events from it, sales2's read of c3 too.
		byIP := in
		byIP.Kind, byIP.ActorID, byIP.IP = "other", "", "192.0.2.1"
		inc3, err := svc.Incidents.Open(ctx, admin, byIP)
		if err != nil {
			t.Fatal(err)
		}
		if s, err := svc.Incidents.Scope(ctx, admin, inc3.ID); err != nil || s.Affected != 4 {
			t.Fatalf("scope by address: %d %v, want c1, c2, c3, c4", s.Affected, err)
		}
		byIP.IP = "192.0.2.1; DROP TABLE"
		if _, err := svc.Incidents.Open(ctx, admin, byIP); !errs.Is(err, errs.Invalid) {
			t.Fatalf("not an address: %v", err)
		}

		// A person's draft opens their name, audited; the stored scope holds no name.
		d, err := svc.Incidents.OpenDraft(ctx, admin, inc.ID, c1)
		if err != nil || !strings.Contains(d.EN, "Dear Gao Ming") || !strings.Contains(d.ZH, "Gao Ming") || !strings.Contains(d.EN, "email") {
			t.Fatalf("draft: %v\n%s", err, d.EN)
		}
		// The privacy officer, who has no grant on customers, opens it too: the notice is a legal duty.
		if d, err := svc.Incidents.OpenDraft(ctx, login("dpo@example.com", "privacy_officer"), inc.ID, c1); err != nil || !strings.Contains(d.EN, "Dear Gao Ming") {
			t.Fatalf("the privacy officer's draft: %v\n%s", err, d.EN)
		}
		if _, err := svc.Incidents.OpenDraft(ctx, admin, inc.ID, c3); !errs.Is(err, errs.NotExist) {
			t.Fatalf("a draft for someone out of scope: %v", err)
		}
		full, err := svc.Incidents.Incident(ctx, admin, inc.ID)
		if err != nil || !strings.Contains(full.Person.EN, breach.NamePlaceholder) || strings.Contains(full.Person.EN, "Gao Ming") ||
			!strings.Contains(full.Authority.EN, "about 3 people") || !strings.Contains(full.Authority.ZH, "约 3 名个人") {
			t.Fatalf("incident drafts: %v\n%s\n%s", err, full.Person.EN, full.Authority.EN)
		}
		var raw int
		db.Raw(t).QueryRow(q(db, "SELECT count(*) FROM incidents WHERE title LIKE ? OR description LIKE ?"), "%Gao%", "%Gao%").Scan(&raw)
		if raw != 0 {
			t.Fatal("a name is stored with the incident")
		}

		// Decision, tasks and closing.
		if _, err := svc.Incidents.Advance(ctx, admin, inc.ID, "closed", ""); !errs.Is(err, errs.Conflict) {
			t.Fatalf("closing undecided: %v", err)
		}
		if _, err := svc.Incidents.Decide(ctx, admin, inc.ID, breach.DecisionInput{NotifyAuthority: false, PeopleReason: "art34_3a"}); !errs.Is(err, errs.Invalid) {
			t.Fatalf("no authority notice without a reason: %v", err)
		}
		if _, err := svc.Incidents.Decide(ctx, admin, inc.ID, breach.DecisionInput{NotifyAuthority: true, NotifyPeople: true, PeopleReason: "art34_3a"}); !errs.Is(err, errs.Invalid) {
			t.Fatalf("telling people with a reason not to: %v", err)
		}
		if _, err := svc.Incidents.Decide(ctx, sales1, inc.ID, breach.DecisionInput{NotifyAuthority: true, PeopleReason: "no_high_risk"}); !errs.Is(err, errs.Permission) {
			t.Fatalf("sales deciding: %v", err)
		}
		dec, err := svc.Incidents.Decide(ctx, admin, inc.ID, breach.DecisionInput{NotifyAuthority: true, NotifyPeople: false, PeopleReason: "art34_3a",
			Note: "the laptop's disk is encrypted and the key was not taken"})
		if err != nil || dec.Decision == nil || dec.Decision.DecidedBy != admin.UserID || dec.Decision.PeopleReason != "art34_3a" || dec.Decision.DecidedAt.IsZero() {
			t.Fatalf("decision: %+v %v", dec.Decision, err)
		}
		task, err := svc.Incidents.AddTask(ctx, admin, inc.ID, "Revoke the rep's sessions and reset the password", sales2.UserID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Incidents.AddTask(ctx, admin, inc.ID, "x", "usr_00000000000000000000000000000000"); !errs.Is(err, errs.Invalid) {
			t.Fatalf("a task for nobody: %v", err)
		}
		if _, err := svc.Incidents.Advance(ctx, admin, inc.ID, "contained", "sessions revoked"); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Incidents.Advance(ctx, admin, inc.ID, "closed", ""); !errs.Is(err, errs.Conflict) {
			t.Fatalf("closing with the authority's notice not given: %v", err)
		}
		if _, err := svc.Incidents.Advance(ctx, admin, inc.ID, "notified", "authority notified, reference 2026-117"); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Incidents.Advance(ctx, admin, inc.ID, "closed", ""); !errs.Is(err, errs.Conflict) {
			t.Fatalf("closing with a task open: %v", err)
		}
		if err := svc.Incidents.FinishTask(ctx, admin, inc.ID, task.ID); err != nil {
			t.Fatal(err)
		}
		if err := svc.Incidents.FinishTask(ctx, admin, inc.ID, task.ID); !errs.Is(err, errs.NotExist) {
			t.Fatalf("a task done twice: %v", err)
		}
		closed, err := svc.Incidents.Advance(ctx, admin, inc.ID, "closed", "reviewed")
		if err != nil || closed.Status != "closed" {
			t.Fatalf("close: %v", err)
		}
		if _, err := svc.Incidents.Scope(ctx, admin, inc.ID); !errs.Is(err, errs.Conflict) {
			t.Fatalf("scoping a closed incident: %v", err)
		}
		full, err = svc.Incidents.Incident(ctx, admin, inc.ID)
		if err != nil {
			t.Fatal(err)
		}
		var steps []string
		for _, s := range full.Timeline {
			steps = append(steps, s.Action)
		}
		for _, want := range []string{"incident.create", "incident.scope", "incident.decide", "incident.task", "incident.contained", "incident.notified", "incident.close"} {
			if !slices.Contains(steps, want) {
				t.Fatalf("timeline %v lacks %s", steps, want)
			}
		}
		if _, err := svc.Incidents.Incident(ctx, sales1, inc.ID); !errs.Is(err, errs.Permission) {
			t.Fatalf("sales reading an incident: %v", err)
		}

		// A drill: marked, audited as one, and not counted as an incident.
		drill := in
		drill.Title, drill.Drill = "Drill: stolen laptop", true
		dr, err := svc.Incidents.Open(ctx, admin, drill)
		if err != nil || !dr.Drill {
			t.Fatalf("drill: %+v %v", dr, err)
		}
		if full, err := svc.Incidents.Incident(ctx, admin, dr.ID); err != nil || !strings.Contains(full.Authority.EN, "DRILL") || full.Timeline[0].Action != "incident.drill" {
			t.Fatalf("the drill is not marked: %v", err)
		}
		list, err := svc.Incidents.Incidents(ctx, admin, false)
		if err != nil || len(list) != 3 || slices.ContainsFunc(list, func(i breach.Incident) bool { return i.Drill }) {
			t.Fatalf("real incidents: %d %v", len(list), err)
		}
		counts := incidentCounts(t, env, clk.Now())
		if counts.Open != 2 || counts.Overdue != 0 || counts.DrillsLast365 != 1 || !counts.LastDrill.Equal(discovered) {
			t.Fatalf("counts: %+v", counts)
		}
		clk.Advance(73 * time.Hour) // inc2's and inc3's 72 hours pass without a notice
		if c := incidentCounts(t, env, clk.Now()); c.Overdue != 2 || c.Open != 2 {
			t.Fatalf("counts after 73 hours: %+v", c)
		}
		// Deciding that no notice to the authority is owed stops its clock.
		if _, err := svc.Incidents.Decide(ctx, admin, inc2.ID, breach.DecisionInput{AuthorityReason: "the session was a test account's", PeopleReason: "no_high_risk"}); err != nil {
			t.Fatal(err)
		}
		if c := incidentCounts(t, env, clk.Now()); c.Overdue != 1 || c.Open != 2 {
			t.Fatalf("counts after deciding no notice is owed: %+v", c)
		}
	})
}

func incidentCounts(t *testing.T, env *testkit.Env, now time.Time) store.IncidentCounts {
	t.Helper()
	var c store.IncidentCounts
	err := env.Store.ReadTx(context.Background(), func(tx *store.Tx) error {
		var err error
		c, err = tx.IncidentCounts(context.Background(), now)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// A bulk export names no one in the audit log: a scope over it would
// under-report the people affected, so it is refused, saying what to do.
func TestBreachScopeRefusesBulkExport(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		svc := f.Service
		from := time.Now().Add(-time.Minute)
		if _, err := svc.Customers.CreateCustomer(ctx, f.sales1, input("name", "Exported Person")); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Customers.ExportCustomers(ctx, f.sales1, records.CustomerQuery{}, io.Discard); err != nil {
			t.Fatal(err)
		}
		to := time.Now()
		inc, err := svc.Incidents.Open(ctx, f.admin, breach.Input{Title: "Phished sales account", Description: "The rep's password was phished.", Kind: "account",
			DiscoveredAt: to, WindowFrom: from, WindowTo: to, ActorID: f.sales1.UserID})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Incidents.Scope(ctx, f.admin, inc.ID); !errs.Is(err, errs.Conflict) || !strings.Contains(err.Error(), "bulk export (customer.export)") {
			t.Fatalf("a scope over a bulk export: %v", err)
		}
	})
}
