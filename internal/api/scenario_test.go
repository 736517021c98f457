package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"strongroom.dev/strongroom/internal/api"
	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/service"
	"strongroom.dev/strongroom/internal/service/governance"
	"strongroom.dev/strongroom/internal/service/identity"
	"strongroom.dev/strongroom/internal/testkit"
)

// A scenario is one request to the API, in the manner of PocketBase's
// ApiScenario, and what a caller and the audit log must see of it: the
// status, text the answer must and must not hold (personal data a role
// may not see), and the audit events the request appended.
//
// Paths, bodies and the expected texts may name values as {name}: the
// records the fixture seeded, the users' ids as {u.key}, and what earlier
// scenarios saved.
type scenario struct {
	name string
	as   string // the user (a key of the fixture's users) logged in afresh for the request; "" sends no session
	// session names a login kept across scenarios: the first scenario
	// naming it logs as in, later ones reuse its token (a ceremony's
	// challenge is kept on its session), and a rotated token replaces it.
	session string
	stale   bool // the session's proof of its user is older than the step-up window
	method  string
	path    string
	body    string
	ctype   string // the body's Content-Type; JSON when a body is sent without one
	header  map[string]string

	status   int
	contains []string // in the answer
	absent   []string // not in the answer (checked on every answer, refusals too)
	// audit lists the events the request appended, in order, each as
	// "action outcome" (e.g. "customer.read denied"). Every scenario's
	// list is checked: none means the request appended none.
	audit []string

	save   map[string]string             // {name} to keep -> field of the JSON answer, or a path such as held_records.0.id ("" keeps the whole answer)
	before func(t *testing.T, r *runner) // runs before the request (after the login): sets values, changes the world
}

// runner runs scenarios in order over one API and one database; each
// request is its own fresh login, so that a scenario ending sessions does
// not end the next one's.
type runner struct {
	env   *testkit.Env
	mux   *http.ServeMux
	clock *stepClock
	users map[string]fixtureUser
	vars  map[string]string
	kept  map[string]string // session name -> token
	owner map[string]string // session name -> the user it is of
	hits  map[string][]int  // route pattern -> the statuses its scenarios answered
	key   *testkit.Authenticator
	after int64 // the audit log is read up to here
}

type fixtureUser struct {
	email, role, team, id string
}

// stepClock is the wall clock moved forward by steps, so that a session's
// proof of its user can be made older than the step-up window.
type stepClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *stepClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

func newRunner(t *testing.T, db testkit.DB, opt service.Options) *runner {
	t.Helper()
	clock := &stepClock{}
	opt.Now = clock.Now
	env := testkit.NewEnv(t, db, opt)
	if err := env.Service.Sessions.SetMFARequiredRoles(context.Background(), authz.System(), nil); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	api.New(env.Service, slog.New(slog.DiscardHandler)).Routes(mux)
	return &runner{env: env, mux: mux, clock: clock, users: map[string]fixtureUser{}, vars: map[string]string{}, kept: map[string]string{}, owner: map[string]string{}, hits: map[string][]int{},
		key: testkit.NewAuthenticator(opt.PublicURL)}
}

// addUser creates a user (as the system, so no password change is owed).
func (r *runner) addUser(t *testing.T, key, role, team string) {
	t.Helper()
	email := strings.ToLower(key) + "@example.com"
	u, err := r.env.Service.Users.CreateUser(context.Background(), authz.System(), identity.NewUser{Email: email, Role: role, Team: team, Password: password})
	if err != nil {
		t.Fatalf("user %s: %v", key, err)
	}
	r.users[key] = fixtureUser{email: email, role: role, team: team, id: u.ID}
	r.vars["u."+key] = u.ID
}

// fill puts the named values into s; a name with no value fails the test.
func (r *runner) fill(t *testing.T, s string) string {
	t.Helper()
	if !strings.Contains(s, "{") {
		return s
	}
	for _, m := range unfilled.FindAllString(s, -1) {
		if _, ok := r.vars[m[1:len(m)-1]]; !ok {
			t.Fatalf("%s names %s, which holds nothing (yet)", trim(s, 200), m)
		}
	}
	pairs := make([]string, 0, 2*len(r.vars))
	for k, v := range r.vars {
		pairs = append(pairs, "{"+k+"}", v)
	}
	return strings.NewReplacer(pairs...).Replace(s) // one pass: values are not read for names
}

// unfilled is a {name} in a path, body or expected text.
var unfilled = regexp.MustCompile(`\{[a-zA-Z][a-zA-Z0-9_.]*\}`)

// serve sends one request in-process.
func (r *runner) serve(method, path, body, ctype, token string, header map[string]string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		if ctype == "" {
			ctype = "application/json"
		}
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	r.mux.ServeHTTP(w, req)
	return w
}

// login logs a fixture user in through the API and returns the token.
func (r *runner) login(t *testing.T, key string) string {
	t.Helper()
	u, ok := r.users[key]
	if !ok {
		t.Fatalf("no user %q in the fixture", key)
	}
	b, _ := json.Marshal(map[string]string{"email": u.email, "password": password})
	w := r.serve("POST", "/api/v1/sessions", string(b), "", "", nil)
	var out struct {
		Token string `json:"token"`
	}
	if w.Code != http.StatusCreated || json.Unmarshal(w.Body.Bytes(), &out) != nil || out.Token == "" {
		t.Fatalf("login %s: %d %s", key, w.Code, w.Body)
	}
	return out.Token
}

// do sends a request as a fixture user while seeding, fails unless it
// answers want, and returns the decoded answer. The audit events it
// appends are no scenario's.
func (r *runner) do(t *testing.T, as, method, path, body string, want int) map[string]any {
	t.Helper()
	token := ""
	if as != "" {
		token = r.login(t, as)
	}
	w := r.serve(method, r.fill(t, path), r.fill(t, body), "", token, nil)
	if w.Code != want {
		t.Fatalf("%s %s as %s: %d %s, want %d", method, path, as, w.Code, w.Body, want)
	}
	var out map[string]any
	json.Unmarshal(w.Body.Bytes(), &out)
	return out
}

// seed is do that keeps the answer's id as {name}.
func (r *runner) seed(t *testing.T, name, as, method, path, body string) {
	t.Helper()
	out := r.do(t, as, method, path, body, http.StatusCreated)
	id, _ := out["id"].(string)
	if id == "" {
		t.Fatalf("%s: no id in the answer %v", name, out)
	}
	r.vars[name] = id
}

// appended reads the audit events appended since the last call, through
// the service's audit query as the system; the system's own reads of the
// log (these queries) are left out.
func (r *runner) appended(t *testing.T) []auditSeen {
	t.Helper()
	var out []auditSeen
	for {
		page, err := r.env.Service.AuditLog.Events(context.Background(), authz.System(), governance.AuditQuery{AfterSeq: r.after, Limit: 1000})
		if err != nil {
			t.Fatalf("read the audit log: %v", err)
		}
		for _, e := range page.Events {
			r.after = e.Seq
			if e.ActorID == authz.SystemUserID && e.Action == "audit.read" {
				continue
			}
			out = append(out, auditSeen{action: e.Action + " " + e.Outcome, actor: e.ActorID, reason: e.Reason})
		}
		if page.NextAfter == 0 {
			return out
		}
	}
}

type auditSeen struct {
	action, actor, reason string
}

// printScenarios, when set, prints what each scenario saw, for writing
// new rows of the tables.
var printScenarios = os.Getenv("STRONGROOM_PRINT_SCENARIOS") != ""

// run runs the scenarios in order, each as a subtest.
func (r *runner) run(t *testing.T, scenarios []scenario) {
	t.Helper()
	seen := map[string]bool{}
	for _, sc := range scenarios {
		if seen[sc.name] {
			t.Fatalf("two scenarios are named %q", sc.name)
		}
		seen[sc.name] = true
		t.Run(sc.name, func(t *testing.T) { r.runOne(t, sc) })
	}
}

func (r *runner) runOne(t *testing.T, sc scenario) {
	token := r.kept[sc.session]
	if sc.as != "" && token == "" {
		token = r.login(t, sc.as)
		if sc.session != "" {
			r.kept[sc.session], r.owner[sc.session] = token, sc.as
		}
	}
	if sc.as == "" {
		sc.as = r.owner[sc.session]
	}
	if sc.stale {
		r.clock.Advance(authz.StepUpWindow + time.Second)
	}
	if sc.before != nil {
		sc.before(t, r)
	}
	r.appended(t) // what the login and the preparations appended
	path, body := r.fill(t, sc.path), r.fill(t, sc.body)
	header := map[string]string{}
	for k, v := range sc.header {
		header[k] = r.fill(t, v)
	}
	w := r.serve(sc.method, path, body, sc.ctype, token, header)
	if _, pattern := r.mux.Handler(httptest.NewRequest(sc.method, path, nil)); pattern != "" {
		r.hits[pattern] = append(r.hits[pattern], w.Code)
	}
	got := w.Body.String()
	events := r.appended(t)
	var actions []string
	for _, e := range events {
		actions = append(actions, e.action)
	}
	if printScenarios {
		fmt.Printf("%s\t%s %s as %q: %d %q\n\taudit: %q\n", sc.name, sc.method, path, sc.as, w.Code, trim(got, 300), actions)
		for _, e := range events {
			fmt.Printf("\treason: %s %q\n", e.action, e.reason)
		}
	}

	if w.Code != sc.status {
		t.Errorf("%s %s as %q: status %d, want %d; answer: %s", sc.method, path, sc.as, w.Code, sc.status, trim(got, 500))
	}
	if w.Code >= 500 {
		t.Errorf("%s %s: a server error is never an answer: %s", sc.method, path, got)
	}
	if w.Code >= 400 {
		if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
			t.Errorf("%s %s: an error answered as %q, want application/problem+json", sc.method, path, ct)
		}
	}
	for _, s := range sc.contains {
		if s = r.fill(t, s); !strings.Contains(got, s) {
			t.Errorf("%s %s as %q: the answer lacks %q: %s", sc.method, path, sc.as, s, trim(got, 500))
		}
	}
	for _, s := range sc.absent {
		if s = r.fill(t, s); strings.Contains(got, s) {
			t.Errorf("%s %s as %q: the answer holds %q, which it must not: %s", sc.method, path, sc.as, s, trim(got, 500))
		}
	}
	if !slices.Equal(actions, sc.audit) {
		t.Errorf("%s %s as %q: audit events %q, want %q", sc.method, path, sc.as, actions, sc.audit)
	}
	// No refusal repeats personal data of the fixture, and no audit event
	// carries any as its reason (events name fields, never values).
	for _, v := range personalData {
		if w.Code >= 400 && strings.Contains(got, v) {
			t.Errorf("%s %s: the refusal holds personal data %q: %s", sc.method, path, v, trim(got, 500))
		}
		for _, e := range events {
			if strings.Contains(e.reason, v) {
				t.Errorf("%s %s: event %s holds personal data %q in its reason %q", sc.method, path, e.action, v, e.reason)
			}
		}
	}
	// The events of a logged-in request name its user (or the system, for
	// what it does on the user's behalf); none carries the answer's
	// personal data as a reason.
	if sc.as != "" {
		for _, e := range events {
			if e.actor != r.users[sc.as].id && e.actor != authz.SystemUserID {
				t.Errorf("%s %s: event %s names actor %q, not %s's %q", sc.method, path, e.action, e.actor, sc.as, r.users[sc.as].id)
			}
		}
	}
	var rotated struct {
		Token string `json:"token"`
	}
	if json.Unmarshal(w.Body.Bytes(), &rotated); sc.session != "" && w.Code == http.StatusOK && rotated.Token != "" {
		r.kept[sc.session] = rotated.Token
	}
	for name, field := range sc.save {
		if field == "" {
			r.vars[name] = got
			continue
		}
		var v any
		json.Unmarshal(w.Body.Bytes(), &v)
		ok := true
		for _, step := range strings.Split(field, ".") { // a path: held_records.0.id
			switch x := v.(type) {
			case map[string]any:
				v, ok = x[step]
			case []any:
				i, err := strconv.Atoi(step)
				ok = err == nil && i >= 0 && i < len(x)
				if ok {
					v = x[i]
				}
			default:
				ok = false
			}
			if !ok {
				break
			}
		}
		if !ok {
			t.Fatalf("%s %s: no %q in the answer to save as {%s}: %s", sc.method, path, field, name, trim(got, 500))
		}
		switch v := v.(type) {
		case string:
			r.vars[name] = v
		default:
			b, _ := json.Marshal(v)
			r.vars[name] = string(b)
		}
	}
}

func trim(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// Personal data the fixture seeds, named so the tables can say where it
// must not appear.
const (
	nameA     = "Wang Fang"
	emailA    = "wang.fang@example.com"
	phoneA    = "+86 138 0013 8000"
	nationalA = "110101199003071234"
	notesA    = "prefers jade over porcelain"
	assessA   = "anxious about money since the divorce" // special category
	nameB     = "Li Lei"
	emailB    = "li.lei@example.com"
	titleA    = "Qing dynasty vase"
	refA      = "LOT-2026-0042"
	nameMoved = "Qian Duoduo"
	taskMoved = "send the scroll photos"
)

// personalData is what must never appear in a refusal or an audit
// event: the fixture's personal data, and the reasons typed to reveal
// it (kept sealed beside the event).
var personalData = []string{nameA, emailA, "13800138000", nationalA, notesA, assessA, nameB, emailB, titleA, refA, nameMoved, taskMoved,
	"verifying identity for the invoice", "matching a bank transfer", "the owner is away", "a duplicate of another record", "asked to be forgotten"}

// newFixture seeds users of every built-in role in two teams and a few
// records, through the API as their owners.
func newFixture(t *testing.T, db testkit.DB) *runner {
	t.Helper()
	r := newRunner(t, db, service.Options{PublicURL: "https://crm.example.com"})
	// a breach window around everything the scenarios do
	r.vars["win_from"] = r.clock.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	r.vars["win_to"] = r.clock.Now().AddDate(0, 0, 30).UTC().Format(time.RFC3339)
	for _, u := range []struct{ key, role, team string }{
		{"admin", "admin", ""},
		{"salesA", "sales", "north"},
		{"salesA2", "sales", "north"},
		{"salesB", "sales", "south"},
		{"manager", "manager", "north"},
		{"managerB", "manager", "south"},
		{"finance", "finance", ""},
		{"marketing", "marketing", ""},
		{"support", "support", "north"},
		{"counsellor", "counsellor", ""},
		{"fieldrep", "field_rep", "north"},
		{"auditor", "auditor", ""},
		{"admin2", "admin", ""},                // approves what admin asks
		{"target", "sales", "north"},           // a user the administrators' scenarios change
		{"mfauser", "sales", "north"},          // enrols an authenticator app
		{"pkuser", "sales", "north"},           // enrols a passkey
		{"pwuser", "sales", "north"},           // changes and resets their password
		{"newcomer", "sales", "north"},         // logs in once
		{"counsellor2", "counsellor", "north"}, // a second reader of sealed notes
	} {
		r.addUser(t, u.key, u.role, u.team)
	}
	r.seed(t, "cusA", "salesA", "POST", "/api/v1/customers",
		`{"name":"`+nameA+`","email":"`+emailA+`","phone":"`+phoneA+`","notes":"`+notesA+`","tags":["vip"]}`)
	r.do(t, "admin", "PATCH", "/api/v1/customers/{cusA}", `{"national_id":"`+nationalA+`","assessment":"`+assessA+`","sensitive_consent":{"channel":"in_person"}}`, http.StatusOK)
	r.seed(t, "cusB", "salesB", "POST", "/api/v1/customers", `{"name":"`+nameB+`","email":"`+emailB+`"}`)
	r.seed(t, "cusC", "counsellor", "POST", "/api/v1/customers", `{"name":"Zhao Min","assessment":"`+assessA+`","sensitive_consent":{"channel":"paper","note":"signed form 12"}}`)
	r.seed(t, "coA", "salesA", "POST", "/api/v1/companies", `{"name":"Jade House","address":"1 Harbour Road","phone":"+86 21 5555 0101"}`)
	// a company with a customer of each team
	r.do(t, "salesA", "PATCH", "/api/v1/customers/{cusA}", `{"company_id":"{coA}"}`, http.StatusOK)
	r.do(t, "admin", "PATCH", "/api/v1/customers/{cusB}", `{"company_id":"{coA}"}`, http.StatusOK)
	// a task of salesA's on a customer then handed to another team
	r.seed(t, "cusMoved", "salesA", "POST", "/api/v1/customers", `{"name":"`+nameMoved+`"}`)
	r.seed(t, "taskMoved", "salesA", "POST", "/api/v1/customers/{cusMoved}/activities", `{"kind":"task","subject":"`+taskMoved+`","due_at":"2026-12-02T09:00:00Z"}`)
	r.do(t, "admin", "PATCH", "/api/v1/customers/{cusMoved}", `{"owner_id":"{u.salesB}"}`, http.StatusOK)
	r.seed(t, "shop", "admin", "POST", "/api/v1/companies", `{"name":"East Store","address":"9 Market Street","is_store":true,"owner_id":"{u.fieldrep}"}`)
	r.seed(t, "dealA", "salesA", "POST", "/api/v1/customers/{cusA}/deals", `{"title":"`+titleA+`","amount":250000,"currency":"CNY"}`)
	r.seed(t, "dealB", "salesB", "POST", "/api/v1/customers/{cusB}/deals", `{"title":"Song scroll","amount":90000,"currency":"CNY"}`)
	r.seed(t, "taskA", "salesA", "POST", "/api/v1/customers/{cusA}/activities", `{"kind":"task","subject":"call back about the vase","due_at":"2026-12-01T09:00:00Z"}`)
	r.seed(t, "txA", "finance", "POST", "/api/v1/customers/{cusA}/transactions", `{"kind":"order","currency":"CNY","occurred_on":"2026-01-02","amount":5000,"reference":"`+refA+`"}`)
	r.vars["today"] = r.clock.Now().UTC().Format(time.DateOnly)
	r.seed(t, "visit", "admin", "POST", "/api/v1/visits", `{"company_id":"{shop}","rep_id":"{u.fieldrep}","planned_for":"{today}"}`)
	r.appended(t)
	return r
}

// TestAPIScenarios runs the scenario tables, in order, over one fixture on
// each database, and checks that they reach every route of the API both
// with an answer (2xx) and with a refusal (4xx).
func TestAPIScenarios(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		r := newFixture(t, db)
		r.run(t, slices.Concat(customerScenarios, companyScenarios, dealScenarios, recordScenarios, sealedScenarios(), privacyCentreScenarios, webhookScenarios, keyScenarios, clientsScenarios, identityScenarios, governanceScenarios, deviceScenarios()))
		var routes patterns
		api.New(r.env.Service, slog.New(slog.DiscardHandler)).Routes(&routes)
		for _, p := range routes {
			ok, refused := false, false
			for _, code := range r.hits[p] {
				ok = ok || code < 300
				refused = refused || code >= 400 && code < 500
			}
			if !ok && p != "/api/" {
				t.Errorf("%s: no scenario answered with success", p)
			}
			if !refused && p != "GET /api/v1/openapi.json" { // public, and reads no input
				t.Errorf("%s: no scenario was refused", p)
			}
		}
	})
}

// patterns records the routes registered on it.
type patterns []string

func (p *patterns) Handle(pattern string, _ http.Handler) { *p = append(*p, pattern) }

// pngPhoto is a 1×1 PNG image.
var pngPhoto = func() string {
	var b strings.Builder
	img := image.NewGray(image.Rect(0, 0, 1, 1))
	png.Encode(&b, img)
	return b.String()
}()
