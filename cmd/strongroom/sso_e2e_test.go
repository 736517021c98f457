package main_test

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"strongroom.dev/strongroom/internal/testkit"
	"strongroom.dev/strongroom/internal/testkit/oidctest"
)

// browserFor is an HTTP client with a cookie jar that trusts the server's
// and the provider's certificates, following redirects as a browser does.
func browserFor(t *testing.T, serverData, providerCA string) *http.Client {
	t.Helper()
	pool := x509.NewCertPool()
	for _, f := range []string{filepath.Join(serverData, "tls", "cert.pem"), providerCA} {
		pem, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		pool.AppendCertsFromPEM(pem)
	}
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
}

func get(t *testing.T, c *http.Client, url string, hdr ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestSingleSignOnE2E runs "strongroom serve" with the --oidc-* flags
// against a real OpenID Connect provider on loopback TLS and follows the
// flow as a browser would: the login page's button, the provider, the
// callback, a session; a just-in-time account from mapped groups; a
// step-up by signing in again; a callback whose state this browser did
// not send, or that names another issuer, refused with a translated
// message; flags that do not fit together, refused at start.
func TestSingleSignOnE2E(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		storage := storageArgs(t, db)
		addUser(t, storage, "admin@example.com", "admin")
		addUser(t, storage, "sales1@example.com", "sales")
		idp := oidctest.Start(t)
		t.Setenv("STRONGROOM_OIDC_CLIENT_SECRET", idp.ClientSecret)
		flags := []string{"--oidc-issuer", idp.Issuer, "--oidc-client-id", idp.ClientID, "--oidc-ca", idp.CAFile}

		// Flags that do not fit together stop serve with one line.
		if code, _, errOut := run(t, "", append(append([]string{"serve", "--addr", "127.0.0.1:0"}, storage...), append(flags, "--oidc-jit")...)...); code == 0 || !strings.Contains(errOut, "--oidc-jit needs --oidc-role-map") {
			t.Fatalf("--oidc-jit without a role map: exit %d, %q", code, errOut)
		}
		if code, _, errOut := run(t, "", append(append([]string{"serve", "--addr", "127.0.0.1:0"}, storage...), append(flags, "--oidc-role-map", "crm=no-such-role")...)...); code == 0 || !strings.Contains(errOut, `--oidc-role-map: group "crm": role must be one of`) {
			t.Fatalf("a role map naming an unknown role: exit %d, %q", code, errOut)
		}

		s := start(t, storage, append(flags, "--oidc-name", "Example IdP", "--oidc-role-map", "crm-sales=sales,crm-audit=auditor", "--oidc-jit", "--oidc-mfa-by-provider")...)
		idp.AllowRedirect(s.URL + "/login/sso/callback")

		b := browserFor(t, s.Data, idp.CAFile)
		if code, body := get(t, b, s.URL+"/login"); code != 200 || !strings.Contains(body, `href="/login/sso?next=%2f"`) || !strings.Contains(body, "Sign in with Example IdP") {
			t.Fatalf("login page: %d, no single sign-on button:\n%s", code, body)
		}
		if _, body := get(t, b, s.URL+"/login", "Accept-Language", "zh-CN"); !strings.Contains(body, "使用Example IdP登录") {
			t.Fatalf("login page in Chinese has no button:\n%s", body)
		}

		// An existing account, linked by its verified email; its groups
		// make it an auditor.
		idp.LoginAs(oidctest.User{Subject: "e2e-sales1", Email: "sales1@example.com", EmailVerified: true, Groups: []string{"crm-audit"}})
		code, body := get(t, b, s.URL+"/login/sso?next=/audit")
		if code != 200 || !strings.Contains(body, `content="0;url=/audit"`) {
			t.Fatalf("callback: %d\n%s", code, body)
		}
		if code, body := get(t, b, s.URL+"/audit"); code != 200 || strings.Contains(body, `id="login-error"`) || !strings.Contains(body, "session.create") {
			t.Fatalf("the audit log after single sign-on as an auditor: %d\n%s", code, body)
		}

		// A just-in-time account, a sales rep by its groups.
		b2 := browserFor(t, s.Data, idp.CAFile)
		idp.LoginAs(oidctest.User{Subject: "e2e-new", Email: "new.rep@example.com", EmailVerified: true, Groups: []string{"crm-sales"}, AMR: []string{"pwd", "mfa"}})
		if code, _ := get(t, b2, s.URL+"/login/sso"); code != 200 {
			t.Fatalf("just-in-time login: %d", code)
		}
		if code, body := get(t, b2, s.URL+"/customers"); code != 200 || strings.Contains(body, `name="password"`) {
			t.Fatalf("customers after just-in-time login: %d\n%s", code, body)
		}
		if code, _ := get(t, b2, s.URL+"/audit"); code != 403 && code != 404 {
			t.Fatalf("a sales rep read the audit log: %d", code)
		}

		// A step-up (for an account without a password or second factor)
		// by signing in at the provider again.
		if code, body := get(t, b2, s.URL+"/step-up?next=/sessions"); code != 200 || !strings.Contains(body, `id="sso-step-up"`) || !strings.Contains(body, "Confirm with Example IdP") {
			t.Fatalf("step-up page: %d\n%s", code, body)
		}
		if code, body := get(t, b2, s.URL+"/login/sso?stepup=1&next=/sessions"); code != 200 || !strings.Contains(body, `content="0;url=/sessions"`) {
			t.Fatalf("step-up at the provider: %d\n%s", code, body)
		}
		if code, _ := get(t, b2, s.URL+"/sessions"); code != 200 {
			t.Fatalf("sessions after the step-up (its token rotated): %d", code)
		}

		// Nobody at the provider may log in without a role.
		b3 := browserFor(t, s.Data, idp.CAFile)
		idp.LoginAs(oidctest.User{Subject: "e2e-guest", Email: "guest@example.com", EmailVerified: true, Groups: []string{"visitors"}})
		if code, body := get(t, b3, s.URL+"/login/sso", "Accept-Language", "zh-CN"); code != 401 || !strings.Contains(body, "单点登录未能让您进入") {
			t.Fatalf("groups without a role: %d\n%s", code, body)
		}
		// A callback this browser did not start (login CSRF): refused.
		if code, body := get(t, b3, s.URL+"/login/sso/callback?state=forged&code=stolen"); code != 400 || !strings.Contains(body, "started in another browser") {
			t.Fatalf("forged callback: %d\n%s", code, body)
		}

		// An answer that names another issuer (RFC 9207; a mix-up) is
		// refused even with this browser's own state.
		noFollow := *b3
		noFollow.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		resp, err := noFollow.Get(s.URL + "/login/sso")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		to, err := url.Parse(resp.Header.Get("Location"))
		if err != nil || resp.StatusCode != http.StatusSeeOther || to.Query().Get("code_challenge_method") != "S256" || to.Query().Get("nonce") == "" {
			t.Fatalf("start: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		callback := s.URL + "/login/sso/callback?" + url.Values{"state": {to.Query().Get("state")}, "code": {"any"}, "iss": {"https://idp.attacker.example"}}.Encode()
		if code, body := get(t, b3, callback); code != 401 || !strings.Contains(body, "could not be verified") {
			t.Fatalf("answer from another issuer: %d\n%s", code, body)
		}

		// The audit log has each login with its method; the links hold no
		// subject in plaintext.
		raw := db.Raw(t)
		var ok, refused, stepped int
		if err := raw.QueryRow("SELECT count(*) FROM audit_events WHERE action = 'session.step_up' AND outcome = 'success' AND reason = 'sso; token rotated'").Scan(&stepped); err != nil || stepped != 1 {
			t.Errorf("step-up events: %d, %v", stepped, err)
		}
		if err := raw.QueryRow("SELECT count(*) FROM audit_events WHERE action = 'session.create' AND outcome = 'success' AND reason LIKE 'sso%'").Scan(&ok); err != nil || ok != 2 {
			t.Errorf("successful single sign-on events: %d, %v", ok, err)
		}
		if err := raw.QueryRow("SELECT count(*) FROM audit_events WHERE action = 'session.create' AND outcome = 'failure' AND reason = 'sso: no group maps to a role'").Scan(&refused); err != nil || refused != 1 {
			t.Errorf("refused single sign-on events: %d, %v", refused, err)
		}
		rows, err := raw.Query("SELECT link_bidx, issuer_bidx FROM sso_links")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		n := 0
		for rows.Next() {
			var link, iss []byte
			if err := rows.Scan(&link, &iss); err != nil {
				t.Fatal(err)
			}
			if len(link) != 16 || strings.Contains(string(link)+string(iss), "e2e-") || strings.Contains(string(iss), "127.0.0.1") {
				t.Errorf("a link holds more than a blind index: %q %q", link, iss)
			}
			n++
		}
		if n != 2 {
			t.Errorf("%d links, want 2", n)
		}
	})
}
