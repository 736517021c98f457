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
	"slices"
	"strings"
	"testing"

	"strongroom.dev/strongroom/internal/demo"
	"strongroom.dev/strongroom/internal/service"
	"strongroom.dev/strongroom/internal/testkit"
	"strongroom.dev/strongroom/internal/web"
)

// maxPage is issue 16's page weight: every page under 100 KB transferred
// (photos aside). Bodies are measured uncompressed, so the bound holds
// whatever the connection compresses.
const maxPage = 100 << 10

// demoSite is the web UI over the demo data (internal/demo, as
// `serve --demo` seeds it) on a TLS test server.
type demoSite struct {
	srv    *httptest.Server
	logins map[string]demo.Login // by role; the first login of each
}

func newDemoSite(tb testing.TB) *demoSite {
	tb.Helper()
	env := testkit.NewEnv(tb, testkit.NewSQLite(tb), service.Options{})
	logins, err := demo.Seed(context.Background(), env.Service)
	if err != nil {
		tb.Fatal(err)
	}
	mux := http.NewServeMux()
	web.New(env.Service, slog.New(slog.DiscardHandler)).Routes(mux)
	srv := httptest.NewTLSServer(mux)
	tb.Cleanup(srv.Close)
	d := &demoSite{srv: srv, logins: map[string]demo.Login{}}
	for _, l := range logins {
		if _, ok := d.logins[l.Role]; !ok {
			d.logins[l.Role] = l
		}
	}
	return d
}

// browser logs in as role's demo account and returns a client that keeps
// its session cookie and asks for lang.
func (d *demoSite) browser(tb testing.TB, role, lang string) *pageClient {
	tb.Helper()
	jar, _ := cookiejar.New(nil)
	c := d.srv.Client()
	c.Jar = jar
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	p := &pageClient{tb: tb, base: d.srv.URL, c: c, lang: lang}
	_, body := p.get("/login")
	m := csrfRE.FindStringSubmatch(body)
	if m == nil {
		tb.Fatalf("no CSRF token on /login")
	}
	l := d.logins[role]
	form := url.Values{"csrf": {m[1]}, "email": {l.Email}, "password": {l.Password}, "next": {"/"}}
	req, _ := http.NewRequest("POST", d.srv.URL+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept-Language", lang)
	resp, err := c.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		tb.Fatalf("login as %s: %d", role, resp.StatusCode)
	}
	return p
}

type pageClient struct {
	tb   testing.TB
	base string
	c    *http.Client
	lang string
}

func (p *pageClient) get(path string) (int, string) {
	p.tb.Helper()
	req, _ := http.NewRequest("GET", p.base+path, nil)
	req.Header.Set("Accept-Language", p.lang)
	resp, err := p.c.Do(req)
	if err != nil {
		p.tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		p.tb.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// menuLinks are the pages the header's menus link to.
var (
	navRE  = regexp.MustCompile(`(?s)<nav [^>]*>(.*?)</nav>`)
	hrefRE = regexp.MustCompile(`href="(/[^"?#]*)"`)
)

func menuLinks(page string) []string {
	var out []string
	for _, nav := range navRE.FindAllStringSubmatch(page, -1) {
		for _, h := range hrefRE.FindAllStringSubmatch(nav[1], -1) {
			if !slices.Contains(out, h[1]) {
				out = append(out, h[1])
			}
		}
	}
	return out
}

// mainRoles are the five roles of issue 16's walk-through.
var mainRoles = []string{"admin", "sales", "field_rep", "finance", "counsellor"}

// TestPagesWeighUnder100KB: every page a role's header links to, over the
// demo data, in both languages, answers under 100 KB.
func TestPagesWeighUnder100KB(t *testing.T) {
	d := newDemoSite(t)
	for _, role := range mainRoles {
		for _, lang := range []string{"en", "zh-CN"} {
			b := d.browser(t, role, lang)
			_, home := b.get("/")
			links := menuLinks(home)
			if len(links) < 3 {
				t.Fatalf("%s (%s): the header links to %v", role, lang, links)
			}
			for _, path := range links {
				status, body := b.get(path)
				if status == http.StatusOK && len(body) > maxPage {
					t.Errorf("%s (%s) %s: %d bytes, more than %d", role, lang, path, len(body), maxPage)
				}
			}
		}
	}
}

// BenchmarkPages renders each main page server-side for the demo
// administrator (issue 16: under 50 ms each): go test ./internal/web
// -run '^$' -bench Pages.
func BenchmarkPages(b *testing.B) {
	d := newDemoSite(b)
	admin := d.browser(b, "admin", "en")
	_, home := admin.get("/")
	for _, path := range menuLinks(home) {
		b.Run(path, func(b *testing.B) {
			for b.Loop() {
				if status, _ := admin.get(path); status != http.StatusOK {
					b.Fatalf("%s: %d", path, status)
				}
			}
		})
	}
}

// TestRoleNamesInTheReadersLanguage: the administration page names the
// built-in roles in the reader's language, while the forms still post
// the role's own name.
func TestRoleNamesInTheReadersLanguage(t *testing.T) {
	d := newDemoSite(t)
	for _, c := range []struct{ lang, want string }{
		{"en", `<option value="field_rep">Field rep</option>`},
		{"zh-CN", `<option value="field_rep">外勤代表</option>`},
		{"zh-CN", `value="privacy_officer"> 隐私官</label>`},
	} {
		status, body := d.browser(t, "admin", c.lang).get("/admin")
		if status != http.StatusOK || !strings.Contains(body, c.want) {
			t.Errorf("/admin in %s (%d) lacks %s", c.lang, status, c.want)
		}
	}
}
