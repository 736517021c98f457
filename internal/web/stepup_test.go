package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/service"
	"strongroom.dev/strongroom/internal/service/identity"
	"strongroom.dev/strongroom/internal/testkit"
	"strongroom.dev/strongroom/internal/web"
)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// TestStepUpInTheBrowser: five minutes after login, revealing a masked
// field sends the browser to confirm it is the user; after that the
// reveal works and the old session cookie is worthless.
func TestStepUpInTheBrowser(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		ctx := context.Background()
		clk := &clock{now: time.Now()}
		env := testkit.NewEnv(t, db, service.Options{Now: clk.Now, IdleTimeout: time.Hour})
		svc := env.Service
		const pw = "a long enough passphrase for tests"
		if err := svc.Sessions.SetMFARequiredRoles(ctx, authz.System(), nil); err != nil { // this test is about passwords only
			t.Fatal(err)
		}
		if _, err := svc.Users.CreateUser(ctx, authz.System(), identity.NewUser{Email: "sales@example.com", Role: "sales", Password: pw}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Users.CreateUser(ctx, authz.System(), identity.NewUser{Email: "admin@example.com", Role: "admin", Password: pw}); err != nil {
			t.Fatal(err)
		}
		actor := func(email string) authz.Actor {
			s, err := svc.Sessions.Login(ctx, email, pw, identity.Client{})
			if err != nil {
				t.Fatal(err)
			}
			a, _ := svc.Sessions.Authenticate(ctx, s.Token, identity.Client{})
			return a
		}
		sales := actor("sales@example.com")
		c, err := svc.Customers.CreateCustomer(ctx, sales, crmInput("name", "Zhou Li"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Customers.UpdateCustomer(ctx, actor("admin@example.com"), c.ID, crmInput("national_id", "110101199003071234")); err != nil {
			t.Fatal(err)
		}

		mux := http.NewServeMux()
		web.New(svc, slog.New(slog.DiscardHandler)).Routes(mux)
		srv := httptest.NewTLSServer(mux)
		defer srv.Close()
		jar, _ := cookiejar.New(nil)
		client := srv.Client()
		client.Jar = jar
		client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		get := func(path string) (*http.Response, string) {
			resp, err := client.Get(srv.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			return resp, string(b)
		}
		post := func(path string, form url.Values) *http.Response {
			resp, err := client.PostForm(srv.URL+path, form)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp
		}
		csrf := func(body string) string {
			m := csrfRE.FindStringSubmatch(body)
			if m == nil {
				t.Fatalf("no CSRF token:\n%s", body)
			}
			return m[1]
		}
		_, body := get("/login")
		if r := post("/login", url.Values{"csrf": {csrf(body)}, "email": {"sales@example.com"}, "password": {pw}, "next": {"/customers"}}); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("login: %d", r.StatusCode)
		}
		clk.Advance(authz.StepUpWindow + time.Minute)
		_, body = get("/customers/" + c.ID)
		reveal := url.Values{"csrf": {csrf(body)}, "field": {"national_id"}, "reason": {"customer asked at the counter"}}
		r := post("/customers/"+c.ID+"/reveal", reveal)
		if loc := r.Header.Get("Location"); r.StatusCode != http.StatusSeeOther || loc != "/step-up?next="+url.QueryEscape("/customers/"+c.ID) {
			t.Fatalf("stale reveal: %d %s", r.StatusCode, loc)
		}
		// A stale export of a search goes back to the list after the step,
		// never to a GET export, which would download every customer.
		if r := post("/customers/export", url.Values{"csrf": {csrf(body)}, "q": {"Zhou Li"}}); r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/step-up?next="+url.QueryEscape("/customers") {
			t.Fatalf("stale export: %d %s", r.StatusCode, r.Header.Get("Location"))
		}
		session := func() string {
			for _, c := range jar.Cookies(mustURL(t, srv.URL)) {
				if c.Name == web.SessionCookie {
					return c.Value
				}
			}
			t.Fatal("no session cookie")
			return ""
		}
		old := session()
		resp, body := get("/step-up?next=/customers/" + c.ID)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, `name="password"`) {
			t.Fatalf("step-up page: %d\n%s", resp.StatusCode, body)
		}
		if r := post("/step-up", url.Values{"csrf": {csrf(body)}, "password": {"wrong password for sure"}, "next": {"/customers/" + c.ID}}); r.StatusCode != http.StatusBadRequest {
			t.Fatalf("wrong password: %d", r.StatusCode)
		}
		_, body = get("/step-up?next=/customers/" + c.ID)
		r = post("/step-up", url.Values{"csrf": {csrf(body)}, "password": {pw}, "next": {"/customers/" + c.ID}})
		if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/customers/"+c.ID {
			t.Fatalf("step-up: %d %s", r.StatusCode, r.Header.Get("Location"))
		}
		if session() == old {
			t.Fatal("the session cookie was not rotated")
		}
		_, body = get("/customers/" + c.ID)
		reveal.Set("csrf", csrf(body))
		resp, err = client.PostForm(srv.URL+"/customers/"+c.ID+"/reveal", reveal)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), "110101199003071234") {
			t.Fatalf("reveal after stepping up: %d", resp.StatusCode)
		}
	})
}

func mustURL(t *testing.T, s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func crmInput(kv ...string) crm.CustomerInput {
	in := crm.CustomerInput{Fields: map[string]*string{}}
	for i := 0; i < len(kv); i += 2 {
		v := kv[i+1]
		in.Fields[kv[i]] = &v
	}
	return in
}
