package detect_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/detect"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/mail"
	"strongroom.dev/strongroom/internal/mail/mailtest"
	"strongroom.dev/strongroom/internal/service"
	"strongroom.dev/strongroom/internal/service/identity"
	"strongroom.dev/strongroom/internal/service/records"
	"strongroom.dev/strongroom/internal/store"
	"strongroom.dev/strongroom/internal/testkit"
	"strongroom.dev/strongroom/internal/webhook"
)

const pw = "correct horse battery staple"

// TestRunnerRaisesAlertsAndResponds drives real failed logins through the
// service, runs the detectors over the log as the server does, and checks
// the alert, its audit event, the automatic lock, and an administrator
// handling the alert; a second runner (another server) carries on from
// where the first stopped without raising it again.
func TestRunnerRaisesAlertsAndResponds(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		ctx := context.Background()
		env := testkit.NewEnv(t, db, service.Options{})
		svc := env.Service
		victim, err := svc.Users.CreateUser(ctx, authz.System(), identity.NewUser{Email: "victim@example.com", Role: "sales", Password: pw})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Users.CreateUser(ctx, authz.System(), identity.NewUser{Email: "admin@example.com", Role: "admin", Password: pw}); err != nil {
			t.Fatal(err)
		}
		for range 4 {
			svc.Sessions.Login(ctx, "victim@example.com", "wrong password guess", identity.Client{IP: "192.0.2.66"})
		}
		cfg := detect.Defaults()
		burst := cfg[detect.FailedLoginBurst]
		burst.Threshold, burst.Response = 4, detect.RespondLock
		cfg[detect.FailedLoginBurst] = burst
		smtp := mailtest.New(t)
		queue := mail.NewQueue(smtp.Config(), slog.New(slog.DiscardHandler), 10)
		defer queue.Close()
		secret := []byte("a webhook secret of at least 32 bytes")
		hooked := make(chan string, 1)
		receiver := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			if err := webhook.Verify(secret, body, r.Header.Get(webhook.Header), time.Now(), time.Minute); err != nil {
				http.Error(w, err.Error(), http.StatusUnauthorized)
				return
			}
			hooked <- string(body)
		}))
		defer receiver.Close()
		hook, err := webhook.New(receiver.URL, secret)
		if err != nil {
			t.Fatal(err)
		}
		hook.Client = receiver.Client()
		runner := &detect.Runner{DB: env.Store, Config: cfg, Respond: detect.ServiceResponder{Users: svc.Users, Sessions: svc.Sessions},
			Mail: queue, Contacts: []string{"security@example.com"}, Link: "https://crm.example.com", Hook: hook}
		raised, _, err := runner.Step(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(raised) != 1 || raised[0].Rule != detect.FailedLoginBurst || raised[0].UserID != victim.ID || raised[0].Response != detect.RespondLock {
			t.Fatalf("raised %+v, want one failed_login_burst on %s with a lock", raised, victim.ID)
		}
		if _, err := svc.Sessions.Login(ctx, "victim@example.com", pw, identity.Client{IP: "192.0.2.1"}); err == nil {
			t.Error("the account the rule locked still logs in")
		}
		select {
		case body := <-hooked:
			if !strings.Contains(body, `"event":"alert.raise"`) || !strings.Contains(body, victim.ID) || strings.Contains(body, "victim@example.com") {
				t.Errorf("webhook body: %s", body)
			}
		case <-time.After(10 * time.Second):
			t.Error("no signed webhook arrived")
		}
		m := smtp.Next(t)
		if m.To != "security@example.com" || !strings.Contains(m.Subject, detect.FailedLoginBurst) || !strings.Contains(m.Body, "https://crm.example.com/security") ||
			!strings.Contains(m.Body, victim.ID) || strings.Contains(m.Body, "victim@example.com") {
			t.Errorf("alert email to %s %q:\n%s", m.To, m.Subject, m.Body)
		}

		// Another server's runner carries on: it does not raise the burst
		// again, but the right password on the now disabled account is
		// itself an alert.
		again := &detect.Runner{DB: env.Store, Config: cfg}
		if more, _, err := again.Step(ctx); err != nil || len(more) != 1 || more[0].Rule != detect.DisabledAccount {
			t.Fatalf("the second runner raised %+v (%v), want only disabled_account", more, err)
		}

		admin, err := svc.Sessions.Login(ctx, "admin@example.com", pw, identity.Client{IP: "192.0.2.2"})
		if err != nil {
			t.Fatal(err)
		}
		actor, err := svc.Sessions.Authenticate(ctx, admin.Token, identity.Client{IP: "192.0.2.2"})
		if err != nil {
			t.Fatal(err)
		}
		alerts, err := svc.AuditLog.Alerts(ctx, actor, "open", 0)
		if err != nil || len(alerts) != 2 || alerts[1].ID != raised[0].ID || len(alerts[1].Seqs) < 4 {
			t.Fatalf("open alerts: %+v, %v", alerts, err)
		}
		if _, err := svc.AuditLog.SetAlertStatus(ctx, actor, raised[0].ID, "acknowledged"); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.AuditLog.SetAlertStatus(ctx, actor, raised[0].ID, "solved"); !errs.Is(err, errs.Invalid) {
			t.Errorf("an unknown status: %v, want invalid", err)
		}
		if open, _ := svc.AuditLog.Alerts(ctx, actor, "open", 0); len(open) != 1 || open[0].Rule != detect.DisabledAccount {
			t.Errorf("open after acknowledging the burst: %+v", open)
		}
		sales, err := svc.Users.CreateUser(ctx, authz.System(), identity.NewUser{Email: "s@example.com", Role: "sales", Password: pw})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.AuditLog.Alerts(ctx, authz.Actor{UserID: sales.ID, Roles: []authz.Role{authz.RoleSales}}, "", 0); !errs.Is(err, errs.Permission) {
			t.Errorf("a sales user read the alerts: %v", err)
		}

		var actions []string
		err = env.Store.ReadTx(ctx, func(tx *store.Tx) error {
			events, err := tx.ListAudit(ctx, store.AuditFilter{ObjectType: "alert", Limit: 100})
			for _, e := range events {
				actions = append(actions, e.Action)
			}
			events, err2 := tx.ListAudit(ctx, store.AuditFilter{ObjectID: victim.ID, Limit: 100})
			for _, e := range events {
				actions = append(actions, e.Action)
			}
			if err == nil {
				err = err2
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		got := strings.Join(actions, " ")
		for _, want := range []string{"alert.raise", "alert.list", "alert.acknowledged", "user.disable"} {
			if !strings.Contains(got, want) {
				t.Errorf("audit log lacks %s: %s", want, got)
			}
		}
	})
}

// TestBlockResponse: a credential-stuffing alert whose rule responds with
// block_network blocks the attackers' network for an hour.
func TestBlockResponse(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		ctx := context.Background()
		env := testkit.NewEnv(t, db, service.Options{})
		svc := env.Service
		for i, email := range []string{"a@example.com", "b@example.com", "c@example.com"} {
			svc.Sessions.Login(ctx, email, "leaked password", identity.Client{IP: "203.0.113." + strconv.Itoa(10+i)})
		}
		cfg := detect.Defaults()
		stuffing := cfg[detect.CredentialStuffing]
		stuffing.Threshold, stuffing.Response = 3, detect.RespondBlock
		cfg[detect.CredentialStuffing] = stuffing
		runner := &detect.Runner{DB: env.Store, Config: cfg, Respond: detect.ServiceResponder{Users: svc.Users, Sessions: svc.Sessions, Roles: svc.Roles}}
		raised, _, err := runner.Step(ctx)
		if err != nil || len(raised) != 1 || raised[0].Network != "203.0.113.0/24" {
			t.Fatalf("raised %+v, %v", raised, err)
		}
		blocks, err := svc.Roles.Blocks(ctx, authz.System())
		if err != nil || len(blocks) != 1 || blocks[0].Network != "203.0.113.0/24" || !strings.Contains(blocks[0].Reason, raised[0].ID) {
			t.Fatalf("blocks %+v, %v", blocks, err)
		}
		if d := time.Until(blocks[0].Until); d < 59*time.Minute || d > time.Hour {
			t.Errorf("blocked for %v, want an hour", d)
		}
	})
}

// TestImpossibleTravelFromCheckIns: a rep checks in at a store in
// Shanghai and, moments later, at one in Beijing; the runner reads the
// places through the service and raises impossible_travel, naming the
// distance, never the places.
func TestImpossibleTravelFromCheckIns(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		ctx := context.Background()
		env := testkit.NewEnv(t, db, service.Options{})
		svc := env.Service
		u, err := svc.Users.CreateUser(ctx, authz.System(), identity.NewUser{Email: "rep@example.com", Role: "field_rep", Password: pw})
		if err != nil {
			t.Fatal(err)
		}
		sess, err := svc.Sessions.Login(ctx, "rep@example.com", pw, identity.Client{IP: "192.0.2.9"})
		if err != nil {
			t.Fatal(err)
		}
		rep, err := svc.Sessions.Authenticate(ctx, sess.Token, identity.Client{IP: "192.0.2.9"})
		if err != nil {
			t.Fatal(err)
		}
		runner := &detect.Runner{DB: env.Store, Config: detect.Defaults(), Places: detect.ServicePlaces{Visits: svc.Visits}}
		if _, _, err := runner.Step(ctx); err != nil { // loads the engine
			t.Fatal(err)
		}
		for i, place := range []crm.Location{{Lat: 31.2304, Lon: 121.4737, Accuracy: 10}, {Lat: 39.9042, Lon: 116.4074, Accuracy: 10}} {
			name, addr, yes := "Store "+strconv.Itoa(i), "1 Road", true
			shop, err := svc.Companies.CreateCompany(ctx, authz.System(), crm.CompanyInput{Fields: map[string]*string{"name": &name, "address": &addr}, IsStore: &yes, OwnerID: &u.ID})
			if err != nil {
				t.Fatal(err)
			}
			visit, err := svc.Visits.PlanVisit(ctx, rep, shop.ID, "", time.Now().UTC().Format(time.DateOnly))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := svc.Visits.UpdateVisit(ctx, rep, visit.ID, records.VisitUpdate{CheckIn: true, Location: &place}); err != nil {
				t.Fatal(err)
			}
		}
		raised, _, err := runner.Step(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(raised) != 1 || raised[0].Rule != detect.ImpossibleTravel || raised[0].UserID != u.ID {
			t.Fatalf("raised %+v, want impossible_travel for the rep", raised)
		}
		if s := raised[0].Summary; !strings.Contains(s, "1067 km") && !strings.Contains(s, "1068 km") || strings.Contains(s, "31.2") || strings.Contains(s, "116.4") {
			t.Errorf("summary %q: want the distance (about 1,067 km), not the places", s)
		}
		if _, err := svc.Visits.CheckInPlaces(ctx, rep, time.Time{}, 10); !errs.Is(err, errs.Permission) {
			t.Errorf("a rep read the check-in places: %v", err)
		}
	})
}

// A runner that holds its engine observes ahead, outside the writer; when
// another server's runner has moved the saved state on meanwhile, it
// stores nothing, and its next step reloads and carries on from there: an
// alert is raised once across both.
func TestRunnerYieldsToAnotherServer(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		ctx := context.Background()
		env := testkit.NewEnv(t, db, service.Options{})
		svc := env.Service
		if _, err := svc.Users.CreateUser(ctx, authz.System(), identity.NewUser{Email: "victim@example.com", Role: "sales", Password: pw}); err != nil {
			t.Fatal(err)
		}
		cfg := detect.Defaults()
		burst := cfg[detect.FailedLoginBurst]
		burst.Threshold = 4
		cfg[detect.FailedLoginBurst] = burst
		one := &detect.Runner{DB: env.Store, Config: cfg}
		other := &detect.Runner{DB: env.Store, Config: cfg}
		if raised, _, err := one.Step(ctx); err != nil || len(raised) != 0 {
			t.Fatalf("first step: %+v, %v", raised, err)
		}
		for range 4 {
			svc.Sessions.Login(ctx, "victim@example.com", "wrong password guess", identity.Client{IP: "192.0.2.66"})
		}
		raised, _, err := other.Step(ctx)
		if err != nil || len(raised) != 1 || raised[0].Rule != detect.FailedLoginBurst {
			t.Fatalf("the other server's step raised %+v (%v), want the burst", raised, err)
		}
		raised, more, err := one.Step(ctx)
		if err != nil || len(raised) != 0 || !more {
			t.Fatalf("a step from a cursor another server moved on raised %+v, more %v (%v); want nothing stored and more", raised, more, err)
		}
		if raised, _, err = one.Step(ctx); err != nil || len(raised) != 0 {
			t.Fatalf("after reloading, the step raised %+v (%v); want the burst not raised again", raised, err)
		}
		var open int
		alerts, err := svc.AuditLog.Alerts(ctx, authz.System(), "open", 0)
		if err == nil {
			open = len(alerts)
		}
		if open != 1 {
			t.Errorf("open alerts: %d (%v); want the burst once", open, err)
		}
	})
}
