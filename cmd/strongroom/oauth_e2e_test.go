package main_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"strongroom.dev/strongroom/internal/testkit"
)

// oauthPost posts a form to an OAuth endpoint, with HTTP Basic client
// authentication when id is set, and returns the status and JSON answer.
func oauthPost(t *testing.T, s *server, path, id, secret string, form url.Values) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest("POST", s.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if id != "" {
		req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	}
	resp, err := s.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	if resp.StatusCode >= 500 {
		t.Errorf("%s: %d %v", path, resp.StatusCode, out)
	}
	return resp.StatusCode, out
}

func clientToken(t *testing.T, s *server, id, secret string) (int, string) {
	t.Helper()
	st, out := oauthPost(t, s, "/oauth/token", id, secret, url.Values{"grant_type": {"client_credentials"}, "scope": {"api"}})
	tok, _ := out["access_token"].(string)
	return st, tok
}

func registerClient(t *testing.T, s *server, admin string, in map[string]any) (id, secret string) {
	t.Helper()
	r := s.Do(t, "POST", "/api/v1/clients", admin, in)
	if r.Status != http.StatusCreated || r.Str("id") == "" {
		t.Fatalf("register %v: %d %s", in["name"], r.Status, r.Body)
	}
	return r.Str("id"), r.Str("secret")
}

// Strongroom as an OAuth 2.0 authorisation server (zitadel's op, over TLS
// on loopback), on both engines: a machine client (client credentials)
// calls the API within its role's grants and is refused outside them, the
// audit log naming it; introspection and revocation (RFC 7662, 7009); a
// wrong secret, a suspended client, an address outside the client's
// networks and a client past its rate (429 problem+json) are refused;
// private_key_jwt works once per assertion (a replay is refused); and the
// code flow with PKCE (S256 only) through the consent page gives a token
// that never does more than the approving user may.
func TestOAuthClients(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		storage := storageArgs(t, db)
		addUser(t, storage, "admin@example.com", "admin")
		addUser(t, storage, "sales@example.com", "sales")
		s := start(t, storage)
		admin := s.Login(t, "admin@example.com", password)

		// Registering: bad input is a problem+json 400; a sales user may not.
		if r := s.Do(t, "POST", "/api/v1/clients", admin, map[string]any{"name": "x", "role": "nosuchrole"}); r.Status != 400 {
			t.Fatalf("unknown role: %d %s", r.Status, r.Body)
		}
		sales := s.Login(t, "sales@example.com", password)
		if r := s.Do(t, "POST", "/api/v1/clients", sales, map[string]any{"name": "x", "role": "auditor"}); r.Status != 403 {
			t.Fatalf("sales registering a client: %d", r.Status)
		}
		payID, paySecret := registerClient(t, s, admin, map[string]any{"name": "PayCo", "role": "auditor"})
		if !strings.HasPrefix(paySecret, "src_") {
			t.Fatalf("secret %q", paySecret)
		}
		if r := s.Do(t, "GET", "/api/v1/clients/"+payID, admin, nil); r.Status != 200 || strings.Contains(string(r.Body), paySecret) {
			t.Fatalf("the secret is shown again: %d %s", r.Status, r.Body)
		}

		// Client credentials: within the auditor's grants, and not beyond.
		if st, _ := clientToken(t, s, payID, "src_wrong"); st != 401 && st != 400 {
			t.Fatalf("wrong secret: %d", st)
		}
		st, tok := clientToken(t, s, payID, paySecret)
		if st != 200 || tok == "" {
			t.Fatalf("token: %d", st)
		}
		if r := s.Do(t, "GET", "/api/v1/audit?limit=5", tok, nil); r.Status != 200 {
			t.Fatalf("the auditor client reading the audit log: %d %s", r.Status, r.Body)
		}
		if r := s.Do(t, "GET", "/api/v1/customers", tok, nil); r.Status != 403 {
			t.Fatalf("the auditor client reading customers: %d %s", r.Status, r.Body)
		}
		r := s.Do(t, "GET", "/api/v1/audit?actor="+payID+"&limit=50", admin, nil)
		named := 0
		for _, it := range r.JSON["items"].([]any) {
			if e := it.(map[string]any); e["client_id"] == payID {
				named++
			}
		}
		if named == 0 {
			t.Fatalf("no audit event names the client:\n%s", r.Body)
		}

		// Introspection says active; after revocation inactive, and the
		// token is refused.
		if st, out := oauthPost(t, s, "/oauth/introspect", payID, paySecret, url.Values{"token": {tok}}); st != 200 || out["active"] != true || out["client_id"] != payID {
			t.Fatalf("introspect: %d %v", st, out)
		}
		if st, _ := oauthPost(t, s, "/oauth/revoke", payID, paySecret, url.Values{"token": {tok}}); st != 200 {
			t.Fatalf("revoke: %d", st)
		}
		if st, out := oauthPost(t, s, "/oauth/introspect", payID, paySecret, url.Values{"token": {tok}}); st != 200 || out["active"] != false {
			t.Fatalf("introspect after revoke: %d %v", st, out)
		}
		if r := s.Do(t, "GET", "/api/v1/audit?limit=1", tok, nil); r.Status != 401 {
			t.Fatalf("a revoked token: %d", r.Status)
		}

		// Suspended: new tokens and old ones are refused; resumed, it works.
		_, tok = clientToken(t, s, payID, paySecret)
		if r := s.Do(t, "POST", "/api/v1/clients/"+payID+"/suspend", admin, nil); r.Status != 204 {
			t.Fatalf("suspend: %d %s", r.Status, r.Body)
		}
		if r := s.Do(t, "GET", "/api/v1/audit?limit=1", tok, nil); r.Status != 401 {
			t.Fatalf("a suspended client's token: %d", r.Status)
		}
		if st, _ := clientToken(t, s, payID, paySecret); st == 200 {
			t.Fatal("a suspended client got a token")
		}
		if code, out, errOut := run(t, "", append([]string{"client", "resume", "--id", payID}, storage...)...); code != 0 || !strings.Contains(out, "resumed") {
			t.Fatalf("client resume: %d %s %s", code, out, errOut)
		}
		if r := s.Do(t, "GET", "/api/v1/audit?limit=1", tok, nil); r.Status != 200 {
			t.Fatalf("after resume: %d", r.Status)
		}

		// Address rule: a client allowed only from elsewhere is refused.
		farID, farSecret := registerClient(t, s, admin, map[string]any{"name": "Far", "role": "auditor", "networks": []string{"203.0.113.0/24"}})
		if st, _ := clientToken(t, s, farID, farSecret); st == 200 {
			t.Fatal("a client outside its networks got a token")
		}

		// Rate: past its requests a minute the client gets 429 problem+json.
		slowID, slowSecret := registerClient(t, s, admin, map[string]any{"name": "Slow", "role": "auditor", "rate_per_minute": 3})
		_, slow := clientToken(t, s, slowID, slowSecret)
		limited := false
		for range 8 {
			req, _ := http.NewRequest("GET", s.URL+"/api/v1/audit?limit=1", nil)
			req.Header.Set("Authorization", "Bearer "+slow)
			resp, err := s.Client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode == 429 {
				if resp.Header.Get("Content-Type") != "application/problem+json" || resp.Header.Get("Retry-After") == "" {
					t.Fatalf("429 as %q, Retry-After %q", resp.Header.Get("Content-Type"), resp.Header.Get("Retry-After"))
				}
				limited = true
				break
			}
		}
		if !limited {
			t.Fatal("a client past its rate was never refused")
		}
		limited = false
		for range 5 {
			resp, err := s.Client.PostForm(s.URL+"/oauth/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {slowID}, "client_secret": {slowSecret}})
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode == 429 && resp.Header.Get("Retry-After") != "" {
				limited = true
				break
			}
		}
		if !limited {
			t.Fatal("the token endpoint never refused a client past its rate with 429")
		}

		// A client with the admin role acts as itself, not as a person: the
		// routes about one's own account or session refuse it or find
		// nothing, and none fails (Read reports any 5xx).
		rootID, rootSecret := registerClient(t, s, admin, map[string]any{"name": "Ops", "role": "admin", "rate_per_minute": 1000})
		_, root := clientToken(t, s, rootID, rootSecret)
		for _, route := range []struct{ method, path string }{
			{"GET", "/api/v1/me"}, {"GET", "/api/v1/sessions"}, {"GET", "/api/v1/sessions/active"}, {"DELETE", "/api/v1/sessions/current"},
			{"GET", "/api/v1/me/passkeys"}, {"POST", "/api/v1/me/totp"}, {"GET", "/api/v1/users"}, {"GET", "/api/v1/customers"},
			{"GET", "/api/v1/tasks"}, {"GET", "/api/v1/visits"}, {"GET", "/api/v1/training"}, {"GET", "/api/v1/policy"},
		} {
			s.Do(t, route.method, route.path, root, nil)
		}
		// A record's owner is a person: a client names one.
		if r := s.Do(t, "POST", "/api/v1/customers", root, map[string]any{"name": "Wu Lan"}); r.Status != 400 || !strings.Contains(string(r.Body), "owner_id") {
			t.Fatalf("an admin client adding a customer without an owner: %d %s", r.Status, r.Body)
		}
		adminID := s.Do(t, "GET", "/api/v1/me", admin, nil).Str("user_id")
		if r := s.Do(t, "POST", "/api/v1/customers", root, map[string]any{"name": "Wu Lan", "email": "wu.lan@example.cn", "owner_id": adminID}); r.Status != 201 {
			t.Fatalf("an admin client adding a customer for an owner: %d %s", r.Status, r.Body)
		}
		if r := s.Do(t, "POST", "/api/v1/customers/export", root, map[string]any{}); r.Status < 400 {
			t.Fatalf("a client exporting (a step-up it cannot take): %d", r.Status)
		}

		// The command line: bad input is one line and a non-zero exit.
		for _, c := range []struct {
			args []string
			code int
			want string
		}{
			{[]string{"client", "add", "--name", "X"}, 2, "needs --name and --role"},
			{[]string{"client", "add", "--name", "X", "--role", "auditor", "--networks", "nowhere"}, 1, "CIDR"},
			{[]string{"client", "suspend", "--id", "cli_nope"}, 1, "not found"},
			{[]string{"client", "rotate"}, 2, "unknown client subcommand"},
		} {
			code, _, errOut := run(t, "", append(c.args, storage...)...)
			if code != c.code || !strings.Contains(errOut, c.want) || strings.Count(strings.TrimSpace(errOut), "\n") > 0 && c.code == 1 {
				t.Errorf("%v: exit %d %q", c.args, code, errOut)
			}
		}
		if code, out, _ := run(t, "", "--help"); code != 0 || !strings.Contains(out, "strongroom client add") {
			t.Error("--help lacks client add")
		}

		// The list shows last use and volume.
		if code, out, _ := run(t, "", append([]string{"client", "list"}, storage...)...); code != 0 || !strings.Contains(out, "PayCo") || !strings.Contains(out, "REQUESTS") {
			t.Fatalf("client list: %d %s", code, out)
		}
		var listed map[string]any
		r = s.Do(t, "GET", "/api/v1/clients", admin, nil)
		for _, c := range r.JSON["clients"].([]any) {
			if c.(map[string]any)["id"] == payID {
				listed = c.(map[string]any)
			}
		}
		if n, _ := listed["request_count"].(float64); n < 3 || listed["last_used_at"] == "0001-01-01T00:00:00Z" {
			t.Fatalf("use not shown: %v", listed)
		}

		// private_key_jwt: an assertion works once.
		key, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		pub, _ := json.Marshal(jose.JSONWebKey{Key: &key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"})
		jwtID, _ := registerClient(t, s, admin, map[string]any{"name": "Logistics", "role": "auditor", "auth_method": "private_key_jwt", "jwk": string(pub)})
		var disco map[string]any
		dr := s.Do(t, "GET", "/.well-known/openid-configuration", "", nil)
		json.Unmarshal(dr.Body, &disco)
		issuer, _ := disco["issuer"].(string)
		if issuer == "" || disco["token_endpoint"] != issuer+"/oauth/token" {
			t.Fatalf("discovery: %s", dr.Body)
		}
		signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: "k1"}}, (&jose.SignerOptions{}).WithType("JWT"))
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		assertion, err := jwt.Signed(signer).Claims(jwt.Claims{Issuer: jwtID, Subject: jwtID, Audience: jwt.Audience{issuer}, ID: "jti-1",
			IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(5 * time.Minute))}).Serialize()
		if err != nil {
			t.Fatal(err)
		}
		form := url.Values{"grant_type": {"client_credentials"}, "scope": {"api"}, "client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {assertion}}
		st, out := oauthPost(t, s, "/oauth/token", "", "", form)
		if st != 200 || out["access_token"] == nil {
			t.Fatalf("private_key_jwt: %d %v", st, out)
		}
		if r := s.Do(t, "GET", "/api/v1/audit?limit=1", out["access_token"].(string), nil); r.Status != 200 {
			t.Fatalf("the private_key_jwt client's token: %d", r.Status)
		}
		if st, out := oauthPost(t, s, "/oauth/token", "", "", form); st == 200 {
			t.Fatalf("a replayed assertion was accepted: %v", out)
		}

		// The code flow with PKCE, for the sales user, through a client whose
		// role (admin) is wider than the user's: the token does what sales
		// may (customers) and nothing more (the audit log).
		appID, appSecret := registerClient(t, s, admin, map[string]any{"name": "Field App", "role": "admin", "redirect_uris": []string{"https://app.example/cb"}})
		verifier := "a-long-random-verifier-that-only-the-app-knows-0123456789"
		sum := sha256.Sum256([]byte(verifier))
		challenge := base64.RawURLEncoding.EncodeToString(sum[:])
		authorize := func(method string) string {
			q := url.Values{"client_id": {appID}, "redirect_uri": {"https://app.example/cb"}, "response_type": {"code"}, "scope": {"api"}, "state": {"st-1"},
				"code_challenge": {challenge}, "code_challenge_method": {method}}
			return "/oauth/authorize?" + q.Encode()
		}
		b := newBrowser(t, s, "en")
		b.login("sales@example.com", password)
		if p := b.get(authorize("plain")); !strings.Contains(p.location, "error=invalid_request") {
			t.Fatalf("plain PKCE: %d %s", p.status, p.location)
		}
		p := b.get(authorize("S256"))
		if p.status != 302 || !strings.HasPrefix(p.location, "/oauth/consent/") {
			t.Fatalf("authorize: %d %s %s", p.status, p.location, p.body)
		}
		consent := b.get(p.location)
		if consent.status != 200 || !strings.Contains(consent.body, "Field App") || !strings.Contains(consent.header.Get("Content-Security-Policy"), "form-action 'self' https://app.example") {
			t.Fatalf("consent: %d %s\n%s", consent.status, consent.header.Get("Content-Security-Policy"), consent.body)
		}
		if !strings.Contains(consent.body, `href="/oauth/authorize/callback?id=`) {
			t.Fatal("the consent page offers no way to decline")
		}
		if p := b.post(p.location, url.Values{}); p.status != 403 {
			t.Fatalf("consent without CSRF: %d", p.status)
		}
		approved := b.post(p.location, url.Values{"csrf": {consent.csrf(t)}})
		if approved.status != 303 || !strings.HasPrefix(approved.location, "/oauth/authorize/callback?id=") {
			t.Fatalf("approve: %d %s", approved.status, approved.location)
		}
		back := b.get(approved.location)
		u, err := url.Parse(back.location)
		if err != nil || u.Host != "app.example" || u.Query().Get("state") != "st-1" || u.Query().Get("code") == "" {
			t.Fatalf("callback: %d %s", back.status, back.location)
		}
		exchange := url.Values{"grant_type": {"authorization_code"}, "code": {u.Query().Get("code")}, "redirect_uri": {"https://app.example/cb"}}
		if st, _ := oauthPost(t, s, "/oauth/token", appID, appSecret, exchange); st == 200 {
			t.Fatal("a code exchanged without its verifier")
		}
		exchange.Set("code_verifier", verifier)
		st, out = oauthPost(t, s, "/oauth/token", appID, appSecret, exchange)
		userTok, _ := out["access_token"].(string)
		if st != 200 || userTok == "" {
			t.Fatalf("exchange: %d %v", st, out)
		}
		if r := s.Do(t, "GET", "/api/v1/customers", userTok, nil); r.Status != 200 {
			t.Fatalf("the app reading the user's customers: %d %s", r.Status, r.Body)
		}
		if r := s.Do(t, "GET", "/api/v1/audit?limit=1", userTok, nil); r.Status != 403 {
			t.Fatalf("the app widened beyond the sales user (audit log): %d", r.Status)
		}
		if st, _ := oauthPost(t, s, "/oauth/token", appID, appSecret, exchange); st == 200 {
			t.Fatal("a code was exchanged twice")
		}
		// With the openid scope the answer also holds an ID token, signed
		// (EdDSA) by the key /oauth/keys publishes.
		oq := url.Values{"client_id": {appID}, "redirect_uri": {"https://app.example/cb"}, "response_type": {"code"}, "scope": {"openid api"}, "state": {"st-2"},
			"nonce": {"n-1"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}}
		p = b.get("/oauth/authorize?" + oq.Encode())
		consent = b.get(p.location)
		back = b.get(b.post(p.location, url.Values{"csrf": {consent.csrf(t)}}).location)
		u, _ = url.Parse(back.location)
		st, out = oauthPost(t, s, "/oauth/token", appID, appSecret, url.Values{"grant_type": {"authorization_code"}, "code": {u.Query().Get("code")},
			"redirect_uri": {"https://app.example/cb"}, "code_verifier": {verifier}})
		idToken, _ := out["id_token"].(string)
		if st != 200 || idToken == "" {
			t.Fatalf("openid exchange: %d %v", st, out)
		}
		var keys jose.JSONWebKeySet
		json.Unmarshal(s.Do(t, "GET", "/oauth/keys", "", nil).Body, &keys)
		sig, err := jose.ParseSigned(idToken, []jose.SignatureAlgorithm{jose.EdDSA})
		if err != nil || len(keys.Keys) != 1 {
			t.Fatalf("id token %v, keys %d", err, len(keys.Keys))
		}
		claims, err := sig.Verify(keys.Keys[0])
		if err != nil || !strings.Contains(string(claims), `"nonce":"n-1"`) || !strings.Contains(string(claims), `"aud":["`+appID+`"]`) {
			t.Fatalf("id token: %v %s", err, claims)
		}

		// Declining sends the user back to the app with an error, no code.
		p = b.get(authorize("S256"))
		declined := b.get(strings.Replace(p.location, "/oauth/consent/", "/oauth/authorize/callback?id=", 1))
		if d, err := url.Parse(declined.location); err != nil || d.Host != "app.example" || d.Query().Get("error") == "" || d.Query().Get("code") != "" {
			t.Fatalf("declined: %d %s", declined.status, declined.location)
		}
		// Two exchanges of one code at once: exactly one gets a token.
		p = b.get(authorize("S256"))
		consent = b.get(p.location)
		back = b.get(b.post(p.location, url.Values{"csrf": {consent.csrf(t)}}).location)
		u, _ = url.Parse(back.location)
		exchange.Set("code", u.Query().Get("code"))
		got := make(chan int, 2)
		for range 2 {
			go func() {
				req, _ := http.NewRequest("POST", s.URL+"/oauth/token", strings.NewReader(exchange.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.SetBasicAuth(url.QueryEscape(appID), url.QueryEscape(appSecret))
				resp, err := s.Client.Do(req)
				if err != nil {
					got <- 0
					return
				}
				resp.Body.Close()
				got <- resp.StatusCode
			}()
		}
		if a, b := <-got, <-got; (a == 200) == (b == 200) {
			t.Fatalf("two exchanges of one code answered %d and %d", a, b)
		}

		// Deleted: the client and its tokens are gone.
		if r := s.Do(t, "DELETE", "/api/v1/clients/"+appID, admin, nil); r.Status != 204 {
			t.Fatalf("delete: %d", r.Status)
		}
		if r := s.Do(t, "GET", "/api/v1/customers", userTok, nil); r.Status != 401 {
			t.Fatalf("a deleted client's token: %d", r.Status)
		}
	})
}

// The clients page, on both engines: an administrator registers a client
// (a bad network is refused with the form kept), sees its secret once,
// suspends, resumes and deletes it; the page speaks Chinese too; a
// salesperson may not open it; the consent page sends a visitor who is not
// logged in to the login first.
func TestWebClients(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		storage := storageArgs(t, db)
		addUser(t, storage, "admin@example.com", "admin")
		addUser(t, storage, "sales@example.com", "sales")
		s := start(t, storage)
		admin := newBrowser(t, s, "en")
		admin.login("admin@example.com", password)
		page := admin.get("/admin/clients")
		if page.status != 200 || !strings.Contains(page.body, "No OAuth clients registered yet.") {
			t.Fatalf("the empty page: %d %s", page.status, page.location)
		}
		if p := admin.post("/admin/clients", url.Values{"csrf": {page.csrf(t)}, "name": {"ShipQuick"}, "role": {"auditor"}, "networks": {"not-a-network"}}); p.status != 400 ||
			!strings.Contains(p.body, "CIDR") || !strings.Contains(p.body, `value="ShipQuick"`) {
			t.Fatalf("a bad network: %d\n%s", p.status, p.body)
		}
		p := admin.post("/admin/clients", url.Values{"csrf": {page.csrf(t)}, "name": {"ShipQuick"}, "role": {"auditor"}, "networks": {"127.0.0.0/8"}})
		id := regexp.MustCompile(`id="client-id">(cli_[0-9a-f]+)<`).FindStringSubmatch(p.body)
		if p.status != 200 || id == nil || !strings.Contains(p.body, `id="client-secret">src_`) || p.header.Get("Cache-Control") != "no-store" {
			t.Fatalf("register: %d\n%s", p.status, p.body)
		}
		if again := admin.get("/admin/clients"); strings.Contains(again.body, "src_") || !strings.Contains(again.body, "ShipQuick") {
			t.Fatal("the secret is shown again, or the client is not listed")
		}
		for _, step := range []struct{ action, flash string }{{"suspend", "suspended"}, {"resume", "active again"}, {"delete", "deleted"}} {
			p := admin.post("/admin/clients/"+id[1]+"/"+step.action, url.Values{"csrf": {page.csrf(t)}, "confirm": {"1"}}) // deleting asks for it; the others ignore it
			if p.status != 303 {
				t.Fatalf("%s: %d %s", step.action, p.status, p.body)
			}
			if after := admin.get(p.location); !strings.Contains(after.body, step.flash) {
				t.Fatalf("%s: no %q on the page", step.action, step.flash)
			}
		}
		if p := admin.post("/admin/clients/"+id[1]+"/suspend", url.Values{"csrf": {page.csrf(t)}}); p.status != 404 {
			t.Fatalf("suspending a deleted client: %d", p.status)
		}
		zh := newBrowser(t, s, "zh-CN")
		zh.login("admin@example.com", password)
		if p := zh.get("/admin/clients"); !strings.Contains(p.body, "尚未注册 OAuth 客户端。") {
			t.Fatalf("zh-CN page:\n%s", p.body)
		}
		sales := newBrowser(t, s, "en")
		sales.login("sales@example.com", password)
		if p := sales.get("/admin/clients"); p.status != 403 {
			t.Fatalf("sales opening the clients page: %d", p.status)
		}
		anon := newBrowser(t, s, "en")
		if p := anon.get("/oauth/consent/oar_0123"); p.status != 303 || !strings.HasPrefix(p.location, "/login?next=%2Foauth%2Fconsent%2Foar_0123") {
			t.Fatalf("consent without a login: %d %s", p.status, p.location)
		}
		if p := sales.get("/oauth/consent/oar_0123"); p.status != 404 {
			t.Fatalf("an unknown request: %d", p.status)
		}
	})
}
