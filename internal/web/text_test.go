package web_test

import (
	"context"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/service"
	"strongroom.dev/strongroom/internal/service/identity"
	"strongroom.dev/strongroom/internal/testkit"
	"strongroom.dev/strongroom/internal/web"
)

// TestFormTextRules: the UI refuses what the API refuses (bytes that are
// not UTF-8, control characters, text-direction characters in a name, a
// %00 in an address) with a readable page in the user's language, and
// stores nothing.
func TestFormTextRules(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		ctx := context.Background()
		env := testkit.NewEnv(t, db, service.Options{})
		svc := env.Service
		const pw = "a long enough passphrase for tests"
		if err := svc.Sessions.SetMFARequiredRoles(ctx, authz.System(), nil); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Users.CreateUser(ctx, authz.System(), identity.NewUser{Email: "sales@example.com", Role: "sales", Password: pw}); err != nil {
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
		do := func(method, path, lang string, form url.Values) (int, string) {
			t.Helper()
			var body io.Reader
			if form != nil {
				body = strings.NewReader(form.Encode())
			}
			req, _ := http.NewRequest(method, srv.URL+path, body)
			if form != nil {
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			req.Header.Set("Accept-Language", lang)
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			return resp.StatusCode, html.UnescapeString(string(b))
		}
		csrf := func(path string) string {
			t.Helper()
			_, body := do("GET", path, "en", nil)
			m := csrfRE.FindStringSubmatch(body)
			if m == nil {
				t.Fatalf("no CSRF token on %s", path)
			}
			return m[1]
		}
		if st, _ := do("POST", "/login", "en", url.Values{"csrf": {csrf("/login")}, "email": {"sales@example.com"}, "password": {pw}, "next": {"/customers"}}); st != http.StatusSeeOther {
			t.Fatalf("login: %d", st)
		}
		token := csrf("/customers/new")
		for _, c := range []struct {
			name, lang, value, want string
		}{
			{"not UTF-8", "en", "Wang \xff Fang", `the field “name” holds bytes that are not UTF-8 text`},
			{"not UTF-8, in Chinese", "zh-CN", "Wang \xff Fang", `字段“name”含有不是 UTF-8 文本的字节`},
			{"an encoded surrogate", "en", "Wang \xed\xa0\x80", `the field “name” holds bytes that are not UTF-8 text`},
			{"NUL", "en", "Wang \x00 Fang", "name contains a control character (U+0000), which is not allowed"},
			{"escape", "en", "Wang \x1b[2J Fang", "name contains a control character (U+001B)"},
			{"right-to-left override", "en", "Wang \u202e Fang", "name contains an invisible text-direction character (U+202E)"},
			{"line break", "en", "Wang\r\nFang", "name contains a tab or line break"},
		} {
			st, body := do("POST", "/customers", c.lang, url.Values{"csrf": {token}, "name": {c.value}})
			if st != http.StatusBadRequest || !strings.Contains(body, c.want) {
				t.Errorf("%s: %d, want 400 with %q:\n%s", c.name, st, c.want, body)
			}
		}
		for _, c := range []struct{ lang, want string }{
			{"en", "This address holds a control character"},
			{"zh-CN", "此网址含有控制字符"},
		} {
			if st, body := do("GET", "/customers/cus_%00", c.lang, nil); st != http.StatusBadRequest || !strings.Contains(body, c.want) {
				t.Errorf("%s: %d, want 400 with %q", c.lang, st, c.want)
			}
		}
		var n int
		if err := env.DB.Raw(t).QueryRow("SELECT COUNT(*) FROM customers").Scan(&n); err != nil || n != 0 {
			t.Errorf("%d customers stored (%v)", n, err)
		}
	})
}
