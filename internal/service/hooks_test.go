package service_test

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/hookrun"
	"strongroom.dev/strongroom/internal/netguard"
	"strongroom.dev/strongroom/internal/service"
	"strongroom.dev/strongroom/internal/service/hooks"
	"strongroom.dev/strongroom/internal/service/records"
	"strongroom.dev/strongroom/internal/service/vendors"
	"strongroom.dev/strongroom/internal/store"
	"strongroom.dev/strongroom/internal/testkit"
	"strongroom.dev/strongroom/internal/webhook"
)

// receiver is a partner's HTTPS endpoint on loopback: it answers each
// message with the next code of answers (then 200) and keeps what it got.
type receiver struct {
	srv     *httptest.Server
	mu      sync.Mutex
	answers []int
	got     []received
}

type received struct {
	header http.Header
	body   []byte
}

// runner lets svc's webhooks reach r on loopback (allowed past the SSRF
// guard, as --webhook-allow would) and returns the delivery runner, trusting
// r's certificate.
func (r *receiver) runner(svc *service.Service) *hookrun.Runner {
	allow, _ := netguard.ParseAllow([]string{"127.0.0.0/8"})
	guard := netguard.Guard{Allow: allow}
	svc.Hooks.SetGuard(guard)
	return &hookrun.Runner{Svc: svc, Client: webhook.GuardedClient(guard, 5*time.Second, r.roots())}
}

// roots trusts r's certificate.
func (r *receiver) roots() *x509.CertPool {
	return r.srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{}
	r.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		r.got = append(r.got, received{req.Header.Clone(), body})
		code := http.StatusNoContent
		if len(r.answers) > 0 {
			code, r.answers = r.answers[0], r.answers[1:]
		}
		w.WriteHeader(code)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) take() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.got
	r.got = nil
	return out
}

// TestWebhooks on both engines: only administrators manage subscriptions
// (auditors read them); special-purpose destinations are refused unless
// their range is allowed; a customer.created message reaches the partner
// signed with the secret shown once, carrying only what the
// subscription's role (marketing) may read — the national id and notes
// absent, the email masked — and that read is audited under the
// subscription's name; a 500 is retried and a destination that keeps
// failing is given up; a paused subscription gets nothing; a destination
// whose range is no longer allowed is refused when dialled.
func TestWebhooks(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		svc := f.Service
		rcv := newReceiver(t)
		in := hooks.Input{Name: "Logistics partner", URL: rcv.srv.URL + "/hooks", Role: "marketing", Events: []string{hooks.CustomerCreated}}

		if _, err := svc.Hooks.Create(ctx, f.sales1, in); !errs.Is(err, errs.Permission) {
			t.Fatalf("sales creating a webhook: %v", err)
		}
		if _, err := svc.Hooks.Create(ctx, f.auditor, in); !errs.Is(err, errs.Permission) {
			t.Fatalf("an auditor creating a webhook: %v", err)
		}
		if _, err := svc.Hooks.List(ctx, f.sales1); !errs.Is(err, errs.Permission) {
			t.Fatalf("sales listing webhooks: %v", err)
		}
		for _, bad := range []hooks.Input{
			{Name: "x", URL: "http://partner.example/hooks", Role: "marketing", Events: []string{hooks.CustomerCreated}},
			{Name: "x", URL: "https://user:pw@partner.example/hooks", Role: "marketing", Events: []string{hooks.CustomerCreated}},
			{Name: "x", URL: "https://partner.example/hooks", Role: "nobody", Events: []string{hooks.CustomerCreated}},
			{Name: "x", URL: "https://partner.example/hooks", Role: "marketing", Events: []string{"customer.erased"}},
			{Name: "x", URL: "https://partner.example/hooks", Role: "marketing"},
			in, // loopback, not yet allowed
			{Name: "x", URL: "https://169.254.169.254/latest/meta-data/", Role: "marketing", Events: []string{hooks.CustomerCreated}},
			{Name: "x", URL: "https://[::ffff:127.0.0.1]/", Role: "marketing", Events: []string{hooks.CustomerCreated}},
			{Name: "x", URL: "https://[2002:7f00:1::]/", Role: "marketing", Events: []string{hooks.CustomerCreated}},
			{Name: "x", URL: "https://localhost/", Role: "marketing", Events: []string{hooks.CustomerCreated}},
			{Name: "x", URL: "https://10.0.0.8/", Role: "marketing", Events: []string{hooks.CustomerCreated}},
		} {
			if _, err := svc.Hooks.Create(ctx, f.admin, bad); !errs.Is(err, errs.Invalid) {
				t.Errorf("created %+v: %v", bad, err)
			}
		}
		run := rcv.runner(svc)

		created, err := svc.Hooks.Create(ctx, f.admin, in)
		if err != nil {
			t.Fatal(err)
		}
		secret, err := webhook.ParseSecret(created.Secret)
		if err != nil {
			t.Fatalf("secret %q: %v", created.Secret, err)
		}
		if links, err := svc.Hooks.Links(ctx); err != nil || !slices.Equal(links, []string{"webhook:Logistics partner"}) {
			t.Fatalf("links for the vendors register: %v %v", links, err)
		}
		svc.Vendors.SetParts(mustLinks(t, svc.Hooks))
		if unlinked := svc.Vendors.Unlinked(nil); !slices.Equal(unlinked, []string{"webhook:Logistics partner"}) {
			t.Fatalf("the vendors register does not see the partner: %v", unlinked)
		}
		list, err := svc.Hooks.List(ctx, f.auditor)
		if err != nil || len(list) != 1 || list[0].ID != created.ID {
			t.Fatalf("auditor's list: %+v, %v", list, err)
		}
		if b, _ := json.Marshal(list); strings.Contains(string(b), created.Secret) {
			t.Fatal("the list shows the secret")
		}
		var stored []byte
		if err := f.DB.Raw(t).QueryRow("SELECT secret_ct FROM webhooks WHERE id = "+ph(db, 1), created.ID).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(stored), created.Secret) || strings.Contains(string(stored), string(secret)) {
			t.Fatal("the secret is stored in plaintext")
		}

		// A customer made after the subscription: one signed message.
		c, err := svc.Customers.CreateCustomer(ctx, f.admin, input("name", "Lin Mei", "email", "lin.mei@example.com", "national_id", "110101199003071234", "notes", "prefers evenings"))
		if err != nil {
			t.Fatal(err)
		}
		if n, err := run.Step(ctx); err != nil || n != 1 {
			t.Fatalf("step: %d, %v", n, err)
		}
		got := rcv.take()
		if len(got) != 1 {
			t.Fatalf("received %d messages", len(got))
		}
		if err := webhook.VerifyStandard(secret, got[0].header, got[0].body, time.Now(), 5*time.Minute); err != nil {
			t.Fatalf("signature: %v", err)
		}
		var msg struct {
			Type string
			Data struct {
				ID     string
				Fields map[string]string
			}
		}
		if err := json.Unmarshal(got[0].body, &msg); err != nil {
			t.Fatal(err)
		}
		if msg.Type != hooks.CustomerCreated || msg.Data.ID != c.ID || msg.Data.Fields["name"] != "Lin Mei" {
			t.Fatalf("message %s", got[0].body)
		}
		for _, hidden := range []string{"national_id", "notes", "110101199003071234", "prefers evenings", "lin.mei@example.com"} {
			if strings.Contains(string(got[0].body), hidden) {
				t.Errorf("the message carries %q, which marketing may not read: %s", hidden, got[0].body)
			}
		}
		if e := msg.Data.Fields["email"]; e == "" || !strings.Contains(e, "*") {
			t.Errorf("email %q, want masked", e)
		}
		if n, _ := run.Step(ctx); n != 0 || len(rcv.take()) != 0 {
			t.Fatal("a message was sent twice")
		}
		var readBy int
		if err := f.DB.Raw(t).QueryRow("SELECT COUNT(*) FROM audit_events WHERE action = 'customer.read' AND object_id = "+ph(db, 1)+" AND client_id = "+ph(db, 2), c.ID, "webhook:"+created.ID).Scan(&readBy); err != nil || readBy != 1 {
			t.Fatalf("payload reads audited under the subscription: %d, %v", readBy, err)
		}

		// A 500 is retried after the wait; then delivered.
		svc.Hooks.Waits = []time.Duration{0, 0}
		rcv.mu.Lock()
		rcv.answers = []int{500}
		rcv.mu.Unlock()
		if _, err := svc.Customers.CreateCustomer(ctx, f.admin, input("name", "Zhou Qi")); err != nil {
			t.Fatal(err)
		}
		run.Step(ctx)
		run.Step(ctx)
		if got := rcv.take(); len(got) != 2 || got[0].header.Get(webhook.HeaderID) != got[1].header.Get(webhook.HeaderID) {
			t.Fatalf("retry: %d messages", len(got))
		}
		// A destination that keeps failing is given up after the waits.
		rcv.mu.Lock()
		rcv.answers = []int{500, 502, 503}
		rcv.mu.Unlock()
		if _, err := svc.Customers.CreateCustomer(ctx, f.admin, input("name", "Sun Yu")); err != nil {
			t.Fatal(err)
		}
		for range 4 {
			run.Step(ctx)
		}
		if got := rcv.take(); len(got) != 3 {
			t.Fatalf("gave up after %d attempts, want 3", len(got))
		}
		log, err := svc.Hooks.Deliveries(ctx, f.auditor, created.ID)
		if err != nil || len(log) != 3 {
			t.Fatalf("delivery log: %+v, %v", log, err)
		}
		if log[0].Status != "failed" || log[0].Attempts != 3 || log[0].StatusCode != 503 || log[1].Status != "delivered" || log[1].Attempts != 2 || log[2].Status != "delivered" {
			t.Fatalf("delivery log: %+v", log)
		}

		// Paused: nothing queued; a test message still goes.
		if _, err := svc.Hooks.SetPaused(ctx, f.admin, created.ID, true); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Customers.CreateCustomer(ctx, f.admin, input("name", "Qian Bo")); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Hooks.SendTest(ctx, f.admin, created.ID); err != nil {
			t.Fatal(err)
		}
		run.Step(ctx)
		if got := rcv.take(); len(got) != 1 || !strings.Contains(string(got[0].body), hooks.TestEvent) {
			t.Fatalf("paused: %d messages", len(got))
		}

		// The range no longer allowed: the dialler refuses the address.
		if _, err := svc.Hooks.SetPaused(ctx, f.admin, created.ID, false); err != nil {
			t.Fatal(err)
		}
		run.Client = webhook.GuardedClient(netguard.Guard{}, 5*time.Second, rcv.roots())
		svc.Hooks.Waits = nil
		if _, err := svc.Hooks.SendTest(ctx, f.admin, created.ID); err != nil {
			t.Fatal(err)
		}
		run.Step(ctx)
		if len(rcv.take()) != 0 {
			t.Fatal("a refused address was reached")
		}
		log, _ = svc.Hooks.Deliveries(ctx, f.admin, created.ID)
		if log[0].Status != "failed" || !strings.Contains(log[0].Error, "refused") {
			t.Fatalf("refused delivery: %+v", log[0])
		}

		// A new secret signs from now on; the old one no longer verifies.
		rotated, err := svc.Hooks.RotateSecret(ctx, f.admin, created.ID)
		if err != nil || rotated.Secret == created.Secret {
			t.Fatalf("rotate: %v", err)
		}
		run.Client = rcv.runner(svc).Client
		svc.Hooks.SendTest(ctx, f.admin, created.ID)
		run.Step(ctx)
		got = rcv.take()
		newKey, _ := webhook.ParseSecret(rotated.Secret)
		if len(got) != 1 || webhook.VerifyStandard(newKey, got[0].header, got[0].body, time.Now(), time.Minute) != nil ||
			webhook.VerifyStandard(secret, got[0].header, got[0].body, time.Now(), time.Minute) == nil {
			t.Fatal("after rotation")
		}

		if err := svc.Hooks.Delete(ctx, f.auditor, created.ID); !errs.Is(err, errs.Permission) {
			t.Fatalf("an auditor deleting: %v", err)
		}
		if err := svc.Hooks.Delete(ctx, f.admin, created.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Hooks.Webhook(ctx, f.admin, created.ID); !errs.Is(err, errs.NotExist) {
			t.Fatalf("deleted: %v", err)
		}
		acts := auditActions(t, f)
		for _, want := range []string{"webhook.create", "webhook.list", "webhook.update", "webhook.rotate", "webhook.test", "webhook.deliver", "webhook.deliveries", "webhook.delete"} {
			if !slices.Contains(acts, want) {
				t.Errorf("no %s in the audit log", want)
			}
		}
	})
}

// ph is the n-th query placeholder of db's engine, for raw queries.
func ph(db testkit.DB, n int) string {
	if db.Engine == store.Postgres {
		return "$" + strconv.Itoa(n)
	}
	return "?"
}

// TestWebhookEvents on both engines: a deal's stage change, a visit's
// check-in and a customer's update reach a subscription reading as
// admin, each as its own event type (a visit without the rep's place); a
// subscription reading as sales, whose scope is their own records, gets
// nothing of records it may not read: its messages are skipped, and the
// refusal is in the audit log; a change that is not a stage change sends
// nothing; a customer restricted before its message goes is skipped
// without holding up the next.
func TestWebhookEvents(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		svc := f.Service
		rcv := newReceiver(t)
		run := rcv.runner(svc)
		all, err := svc.Hooks.Create(ctx, f.admin, hooks.Input{Name: "Ops", URL: rcv.srv.URL, Role: "admin",
			Events: []string{hooks.CustomerUpdated, hooks.DealStageChanged, hooks.VisitCheckedIn}})
		if err != nil {
			t.Fatal(err)
		}
		own, err := svc.Hooks.Create(ctx, f.admin, hooks.Input{Name: "Sales tool", URL: rcv.srv.URL + "/sales", Role: "sales", Events: []string{hooks.DealStageChanged}})
		if err != nil {
			t.Fatal(err)
		}
		rep := login(t, svc, "rep@example.com", "field_rep", "east")
		storeIn := companyInput(true, "name", "Jade Store", "address", "9 Huaihai Road")
		storeIn.OwnerID = &rep.UserID
		shop, err := svc.Companies.CreateCompany(ctx, f.admin, storeIn)
		if err != nil {
			t.Fatal(err)
		}
		v, err := svc.Visits.PlanVisit(ctx, rep, shop.ID, "", "2026-11-25")
		if err != nil {
			t.Fatal(err)
		}
		c, err := svc.Customers.CreateCustomer(ctx, f.admin, input("name", "Wu Fang"))
		if err != nil {
			t.Fatal(err)
		}
		title, amount, cny := "Celadon vase", int64(120000), "CNY"
		d, err := svc.Deals.CreateDeal(ctx, f.admin, c.ID, crm.DealInput{Title: &title, Amount: &amount, Currency: &cny})
		if err != nil {
			t.Fatal(err)
		}
		run.Step(ctx)
		if got := rcv.take(); len(got) != 0 {
			t.Fatalf("creating a visit, a customer and a deal sent %d messages", len(got))
		}
		other := "Ming vase"
		if _, err := svc.Deals.UpdateDeal(ctx, f.admin, d.ID, crm.DealInput{Title: &other}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Deals.UpdateDeal(ctx, f.admin, d.ID, crm.DealInput{Stage: ptr("negotiation")}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Visits.UpdateVisit(ctx, rep, v.ID, records.VisitUpdate{CheckIn: true, Location: &crm.Location{Lat: 31.2304, Lon: 121.4737, Accuracy: 12}}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Customers.UpdateCustomer(ctx, f.admin, c.ID, input("email", "wu@example.com")); err != nil {
			t.Fatal(err)
		}
		run.Step(ctx)
		byType := map[string]string{}
		for _, m := range rcv.take() {
			var msg struct{ Type string }
			json.Unmarshal(m.body, &msg)
			if _, dup := byType[msg.Type]; dup {
				t.Errorf("%s twice", msg.Type)
			}
			byType[msg.Type] = string(m.body)
		}
		if len(byType) != 3 {
			t.Fatalf("messages: %v", byType)
		}
		if b := byType[hooks.DealStageChanged]; !strings.Contains(b, `"stage":"negotiation"`) || !strings.Contains(b, "Ming vase") {
			t.Errorf("deal message: %s", b)
		}
		if b := byType[hooks.VisitCheckedIn]; !strings.Contains(b, v.ID) || !strings.Contains(b, "checkin_at") || strings.Contains(b, "31.23") || strings.Contains(b, "121.47") {
			t.Errorf("visit message: %s", b)
		}
		if b := byType[hooks.CustomerUpdated]; !strings.Contains(b, "wu@example.com") {
			t.Errorf("customer message: %s", b)
		}
		log, err := svc.Hooks.Deliveries(ctx, f.admin, own.ID)
		if err != nil || len(log) != 1 || log[0].Status != "skipped" || log[0].EventType != hooks.DealStageChanged {
			t.Fatalf("the sales subscription's log: %+v %v", log, err)
		}
		var denied int
		if err := f.DB.Raw(t).QueryRow("SELECT COUNT(*) FROM audit_events WHERE action = 'deal.read' AND outcome = 'denied' AND client_id = "+ph(db, 1), "webhook:"+own.ID).Scan(&denied); err != nil || denied != 1 {
			t.Fatalf("the refused payload read is audited: %d %v", denied, err)
		}
		if log, _ := svc.Hooks.Deliveries(ctx, f.admin, all.ID); len(log) != 3 {
			t.Fatalf("the admin subscription's log: %+v", log)
		}

		// A customer whose processing is restricted before the message
		// goes: nothing leaves, and the next messages still go.
		if _, err := svc.Customers.UpdateCustomer(ctx, f.admin, c.ID, input("phone", "+86 138 0000 2222")); err != nil {
			t.Fatal(err)
		}
		req, err := svc.Requests.TakeRequest(ctx, f.admin, c.ID, crm.RequestInput{Kind: "restriction", Law: "gdpr"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Requests.Restrict(ctx, f.admin, req.ID); err != nil {
			t.Fatal(err)
		}
		c2, err := svc.Customers.CreateCustomer(ctx, f.admin, input("name", "He Jing"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Customers.UpdateCustomer(ctx, f.admin, c2.ID, input("phone", "+86 138 0000 3333")); err != nil {
			t.Fatal(err)
		}
		run.Step(ctx)
		if got := rcv.take(); len(got) != 1 || !strings.Contains(string(got[0].body), c2.ID) || strings.Contains(string(got[0].body), "2222") {
			t.Fatalf("after the restriction: %d messages", len(got))
		}
		log, _ = svc.Hooks.Deliveries(ctx, f.admin, all.ID)
		skipped := 0
		for _, d := range log {
			if d.Status == "skipped" {
				skipped++
				if d.ObjectID != c.ID {
					t.Errorf("skipped: %+v", d)
				}
			}
		}
		if skipped != 1 {
			t.Fatalf("the restricted customer's message was not skipped: %+v", log)
		}
	})
}

// TestWebhookAlerts on both engines: an alert raised (here by the vendors
// register's reminder) reaches a subscription reading as the auditor —
// rule, severity and status, never a summary or a user — and is skipped
// for one reading as marketing, which may not read alerts.
func TestWebhookAlerts(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		svc := f.Service
		rcv := newReceiver(t)
		run := rcv.runner(svc)
		sec, err := svc.Hooks.Create(ctx, f.admin, hooks.Input{Name: "SOC", URL: rcv.srv.URL + "/soc", Role: "auditor", Events: []string{hooks.AlertRaised}})
		if err != nil {
			t.Fatal(err)
		}
		mkt, err := svc.Hooks.Create(ctx, f.admin, hooks.Input{Name: "Marketing", URL: rcv.srv.URL + "/mkt", Role: "marketing", Events: []string{hooks.AlertRaised}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Vendors.Create(ctx, f.admin, vendors.Input{Name: "ShipQuick", Role: "processor", Purpose: "deliveries", NextReview: "2020-01-31"}); err != nil {
			t.Fatal(err)
		}
		if n, err := svc.Vendors.CheckReminders(ctx); err != nil || n != 1 {
			t.Fatalf("reminders: %d %v", n, err)
		}
		run.Step(ctx)
		got := rcv.take()
		if len(got) != 1 {
			t.Fatalf("%d messages", len(got))
		}
		b := string(got[0].body)
		if !strings.Contains(b, `"type":"alert.raised"`) || !strings.Contains(b, `"rule":"vendor_due"`) || !strings.Contains(b, `"severity"`) || strings.Contains(b, "ShipQuick") || strings.Contains(b, "user") {
			t.Fatalf("alert message: %s", b)
		}
		if log, _ := svc.Hooks.Deliveries(ctx, f.admin, sec.ID); len(log) != 1 || log[0].Status != "delivered" {
			t.Fatalf("the auditor subscription's log: %+v", log)
		}
		if log, _ := svc.Hooks.Deliveries(ctx, f.admin, mkt.ID); len(log) != 1 || log[0].Status != "skipped" {
			t.Fatalf("the marketing subscription's log: %+v", log)
		}
	})
}

func mustLinks(t *testing.T, h *hooks.Hooks) []string {
	links, err := h.Links(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return links
}

// TestWebhookOneServerAtATime: on PostgreSQL, while another server holds
// the delivery lock, a runner sends nothing; once it is released, the
// message goes (SQLite has one server, which always holds it).
func TestWebhookOneServerAtATime(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		if db.Engine != store.Postgres {
			t.Skip("one server on SQLite")
		}
		f := newFixture(t, db)
		ctx := context.Background()
		svc := f.Service
		rcv := newReceiver(t)
		run := rcv.runner(svc)
		if _, err := svc.Hooks.Create(ctx, f.admin, hooks.Input{Name: "P", URL: rcv.srv.URL, Role: "admin", Events: []string{hooks.CustomerCreated}}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Customers.CreateCustomer(ctx, f.admin, input("name", "Ma Li")); err != nil {
			t.Fatal(err)
		}
		release, ok := svc.Hooks.Lock(ctx) // another server's
		if !ok {
			t.Fatal("the lock was not free")
		}
		if n, err := run.Step(ctx); n != 0 || err != nil || len(rcv.take()) != 0 {
			t.Fatalf("a runner sent while another held the lock: %d %v", n, err)
		}
		release()
		if n, err := run.Step(ctx); n != 1 || err != nil || len(rcv.take()) != 1 {
			t.Fatalf("after the release: %d %v", n, err)
		}
	})
}

// With no active subscription, delivery still moves its cursor to the
// log's head (since the change, without reading the events); a
// subscription paused or made later is sent only what happens while it is
// active, never the backlog behind the cursor.
func TestWebhookCursorWithoutSubscriptions(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		svc := f.Service
		rcv := newReceiver(t)
		run := rcv.runner(svc)
		cursorAtHead := func(when string) {
			t.Helper()
			var at int64
			if err := f.Store.ReadTx(ctx, func(tx *store.Tx) error {
				var err error
				at, err = tx.SIEMCursor(ctx, "webhooks")
				return err
			}); err != nil {
				t.Fatal(err)
			}
			if head, err := f.Store.AuditHead(ctx); err != nil || at != head.Seq {
				t.Fatalf("%s: the webhooks' cursor is at %d, the log's head at %d (%v)", when, at, head.Seq, err)
			}
		}
		c, err := svc.Customers.CreateCustomer(ctx, f.admin, input("name", "Wu Fang"))
		if err != nil {
			t.Fatal(err)
		}
		update := func(email string) {
			t.Helper()
			if _, err := svc.Customers.UpdateCustomer(ctx, f.admin, c.ID, input("email", email)); err != nil {
				t.Fatal(err)
			}
		}
		update("wu1@example.com")
		run.Step(ctx)
		cursorAtHead("no subscription")
		paused := true
		w, err := svc.Hooks.Create(ctx, f.admin, hooks.Input{Name: "Ops", URL: rcv.srv.URL, Role: "admin", Events: []string{hooks.CustomerUpdated}, Paused: &paused})
		if err != nil {
			t.Fatal(err)
		}
		update("wu2@example.com")
		run.Step(ctx)
		cursorAtHead("a paused subscription")
		if got := rcv.take(); len(got) != 0 {
			t.Fatalf("a paused subscription was sent %d messages", len(got))
		}
		paused = false
		if _, err := svc.Hooks.Update(ctx, f.admin, w.ID, hooks.Input{Name: "Ops", URL: rcv.srv.URL, Role: "admin", Events: []string{hooks.CustomerUpdated}, Paused: &paused}); err != nil {
			t.Fatal(err)
		}
		update("wu3@example.com")
		run.Step(ctx)
		got := rcv.take()
		if len(got) != 1 || !strings.Contains(string(got[0].body), hooks.CustomerUpdated) {
			t.Fatalf("after resuming, the subscription was sent %d messages; want the one update made since", len(got))
		}
	})
}
