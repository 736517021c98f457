package main_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"strongroom.dev/strongroom/internal/testkit"
)

func TestTOTPLogin(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		storage := storageArgs(t, db)
		addUser(t, storage, "admin@example.com", "admin")
		addUser(t, storage, "sales1@example.com", "sales")
		s := start(t, storage)
		tok := s.Login(t, "sales1@example.com", password)
		offer := s.Do(t, "POST", "/api/v1/me/totp", tok, nil)
		secret := offer.Str("secret")
		if offer.Status != 200 || secret == "" || !strings.HasPrefix(offer.Str("otpauth_url"), "otpauth://totp/") {
			t.Fatalf("offer: %d %s", offer.Status, offer.Body)
		}
		if r := s.Do(t, "PUT", "/api/v1/me/totp", tok, map[string]string{"secret": secret, "code": "000000"}); r.Status != 400 {
			t.Fatalf("a wrong code turned MFA on: %d", r.Status)
		}
		enrolCode := code(t, secret, -1) // the previous step is still accepted; a step ahead never is
		on := s.Do(t, "PUT", "/api/v1/me/totp", tok, map[string]string{"secret": secret, "code": enrolCode})
		codes, _ := on.JSON["recovery_codes"].([]any)
		if on.Status != 200 || len(codes) != 10 {
			t.Fatalf("confirm: %d %s", on.Status, on.Body)
		}

		// The secret is sealed and the recovery codes hashed: neither is in the database.
		var sealed []byte
		var hashes string
		if err := db.Raw(t).QueryRow("SELECT totp_ct, recovery_hashes FROM users WHERE totp_ct IS NOT NULL").Scan(&sealed, &hashes); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(sealed), secret) || strings.Contains(hashes, codes[0].(string)) || len(sealed) == 0 {
			t.Fatalf("TOTP secret or recovery code stored in plaintext")
		}

		// A password alone now opens nothing but the second step.
		r := s.Do(t, "POST", "/api/v1/sessions", "", map[string]string{"email": "sales1@example.com", "password": password})
		a := r.Str("token")
		if r.Status != 201 || r.JSON["mfa_pending"] != true {
			t.Fatalf("login with MFA: %d %s", r.Status, r.Body)
		}
		if r := s.Do(t, "GET", "/api/v1/customers", a, nil); r.Status != 403 || !strings.Contains(string(r.Body), "second factor") {
			t.Fatalf("customers before the second step: %d %s", r.Status, r.Body)
		}
		for _, bad := range []string{enrolCode, "123", "zzzz-zzzz-zzzz-zzzz", ""} { // the enrolment code is spent
			if r := s.Do(t, "POST", "/api/v1/sessions/current/mfa", a, map[string]string{"code": bad}); r.Status != 400 {
				t.Fatalf("code %q: %d %s", bad, r.Status, r.Body)
			}
		}
		next := code(t, secret, 0)
		r = s.Do(t, "POST", "/api/v1/sessions/current/mfa", a, map[string]string{"code": next})
		if r.Status != 200 || r.Str("token") == "" || r.Str("token") == a {
			t.Fatalf("verify: %d %s", r.Status, r.Body)
		}
		if r := s.Do(t, "GET", "/api/v1/me", a, nil); r.Status != 401 {
			t.Fatalf("the token from before the second step still works: %d", r.Status)
		}
		a = r.Str("token") // rotated
		if r := s.Do(t, "GET", "/api/v1/customers", a, nil); r.Status != 200 {
			t.Fatalf("customers after the second step: %d", r.Status)
		}
		b := s.Do(t, "POST", "/api/v1/sessions", "", map[string]string{"email": "sales1@example.com", "password": password}).Str("token")
		if r := s.Do(t, "POST", "/api/v1/sessions/current/mfa", b, map[string]string{"code": next}); r.Status != 400 {
			t.Fatalf("a replayed code: %d", r.Status)
		}
		recovery := codes[0].(string)
		if r := s.Do(t, "POST", "/api/v1/sessions/current/mfa", b, map[string]string{"code": strings.ToUpper(recovery)}); r.Status != 200 {
			t.Fatalf("recovery code: %d %s", r.Status, r.Body)
		}
		c := s.Do(t, "POST", "/api/v1/sessions", "", map[string]string{"email": "sales1@example.com", "password": password}).Str("token")
		if r := s.Do(t, "POST", "/api/v1/sessions/current/mfa", c, map[string]string{"code": recovery}); r.Status != 400 {
			t.Fatalf("a recovery code used twice: %d", r.Status)
		}
		if r := s.Do(t, "DELETE", "/api/v1/sessions/current", c, nil); r.Status != 204 {
			t.Fatalf("logging out before the second step: %d", r.Status)
		}

		// Moving to a new authenticator needs a fresh proof with the current
		// one, which this session just gave (a stale session is refused:
		// TestSecondFactorChangesNeedAFreshProof); a password is no such proof.
		second := s.Do(t, "POST", "/api/v1/me/totp", a, nil).Str("secret")
		if r := s.Do(t, "PUT", "/api/v1/me/totp", a, map[string]string{"secret": second, "code": code(t, second, 0), "current_password": password}); r.Status != 400 {
			t.Fatalf("a password offered with the replacement: %d %s", r.Status, r.Body)
		}
		if r := s.Do(t, "PUT", "/api/v1/me/totp", a, map[string]string{"secret": second, "code": code(t, second, 0)}); r.Status != 200 {
			t.Fatalf("replace: %d %s", r.Status, r.Body)
		}

		// Only an administrator resets it; the user can then log in with a password.
		salesID := s.Do(t, "GET", "/api/v1/me", a, nil).Str("user_id")
		if r := s.Do(t, "DELETE", "/api/v1/users/"+salesID+"/mfa", a, nil); r.Status != 403 {
			t.Fatalf("a user reset their own MFA: %d", r.Status)
		}
		adminTok := s.Login(t, "admin@example.com", password)
		if r := s.Do(t, "DELETE", "/api/v1/users/"+salesID+"/mfa", adminTok, nil); r.Status != 204 {
			t.Fatalf("admin reset: %d %s", r.Status, r.Body)
		}
		if r := s.Do(t, "POST", "/api/v1/sessions", "", map[string]string{"email": "sales1@example.com", "password": password}); r.JSON["mfa_pending"] != false {
			t.Fatalf("after reset: %s", r.Body)
		}
		log := string(s.Do(t, "GET", "/api/v1/audit?object_id="+salesID, adminTok, nil).Body)
		if !strings.Contains(log, "failure") || !strings.Contains(log, "recovery_code") {
			t.Fatalf("MFA attempts are not in the audit log: %s", log)
		}
	})
}

var secretOnPage = regexp.MustCompile(`id="totp-secret">([A-Z2-7]+)<`)

func TestWebTOTP(t *testing.T) {
	db := testkit.NewSQLite(t)
	storage := storageArgs(t, db)
	addUser(t, storage, "sales1@example.com", "sales")
	s := start(t, storage)
	b := newBrowser(t, s, "zh-CN")
	b.login("sales1@example.com", password)
	p := b.get("/mfa")
	if !strings.Contains(p.body, "两步登录未开启") {
		t.Fatalf("MFA page:\n%s", p.body)
	}
	offer := b.post("/mfa", url.Values{"csrf": {p.csrf(t)}})
	m := secretOnPage.FindStringSubmatch(offer.body)
	if m == nil || !strings.Contains(offer.body, `<path d="M`) || strings.Contains(offer.body, "ZgotmplZ") {
		t.Fatalf("offer page has no secret or QR code:\n%s", offer.body)
	}
	wrong := b.post("/mfa/confirm", url.Values{"csrf": {offer.csrf(t)}, "secret": {m[1]}, "code": {"000000"}})
	if wrong.status != 400 || !strings.Contains(wrong.body, m[1]) {
		t.Fatalf("a wrong code should offer the same secret again: %d", wrong.status)
	}
	done := b.post("/mfa/confirm", url.Values{"csrf": {offer.csrf(t)}, "secret": {m[1]}, "code": {code(t, m[1], -1)}})
	if done.status != 200 || strings.Count(done.body, "<li><code>") != 10 || !strings.Contains(done.body, `id="offer-end-others"`) {
		t.Fatalf("recovery codes and the offer to end other sessions:\n%s", done.body)
	}

	other := newBrowser(t, s, "en")
	if p := other.login("sales1@example.com", password); p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/mfa/verify?next=") {
		t.Fatalf("login with MFA: %d %s", p.status, p.location)
	}
	if p := other.get("/customers"); p.status != http.StatusSeeOther || p.location != "/mfa/verify" {
		t.Fatalf("customers before the second step: %d %s", p.status, p.location)
	}
	v := other.get("/mfa/verify?next=/customers")
	if bad := other.post("/mfa/verify", url.Values{"csrf": {v.csrf(t)}, "code": {"000000"}, "next": {"/customers"}}); bad.status != 400 || !strings.Contains(bad.body, "not right") {
		t.Fatalf("wrong code: %d", bad.status)
	}
	if ok := other.post("/mfa/verify", url.Values{"csrf": {v.csrf(t)}, "code": {code(t, m[1], 0)}, "next": {"/customers"}}); ok.status != http.StatusSeeOther || ok.location != "/customers" {
		t.Fatalf("verify: %d %s", ok.status, ok.location)
	}
	if p := other.get("/customers"); p.status != 200 {
		t.Fatalf("customers after the second step: %d", p.status)
	}
}

func TestMFARequiredRoles(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		storage := storageArgs(t, db)
		addUser(t, storage, "admin@example.com", "admin")
		addUser(t, storage, "sales1@example.com", "sales")
		addUser(t, storage, "finance@example.com", "finance")
		s := start(t, storage)
		adminTok := s.Login(t, "admin@example.com", password)
		salesTok := s.Login(t, "sales1@example.com", password)
		if r := s.Do(t, "PUT", "/api/v1/mfa/required-roles", salesTok, map[string][]string{"roles": {"sales"}}); r.Status != 403 {
			t.Fatalf("a salesperson set the rules: %d", r.Status)
		}
		if r := s.Do(t, "PUT", "/api/v1/mfa/required-roles", adminTok, map[string][]string{"roles": {"emperor"}}); r.Status != 400 {
			t.Fatalf("an unknown role: %d", r.Status)
		}
		if r := s.Do(t, "PUT", "/api/v1/mfa/required-roles", adminTok, map[string][]string{"roles": {"sales", "sales"}}); r.Status != 200 || !strings.Contains(string(r.Body), `"roles":["sales"]`) {
			t.Fatalf("set: %d %s", r.Status, r.Body)
		}
		// The salesperson's existing session now reaches only the enrolment.
		if r := s.Do(t, "GET", "/api/v1/customers", salesTok, nil); r.Status != 403 || !strings.Contains(string(r.Body), "two-step") {
			t.Fatalf("customers before enrolling: %d %s", r.Status, r.Body)
		}
		if r := s.Do(t, "GET", "/api/v1/customers", s.Login(t, "finance@example.com", password), nil); r.Status != 200 {
			t.Fatalf("another role is held up: %d", r.Status)
		}
		sales := newBrowser(t, s, "en")
		sales.login("sales1@example.com", password)
		if p := sales.get("/customers"); p.status != http.StatusSeeOther || p.location != "/mfa" {
			t.Fatalf("web before enrolling: %d %s", p.status, p.location)
		}
		if p := sales.get("/mfa"); p.status != 200 || !strings.Contains(p.body, `id="mfa-required"`) {
			t.Fatalf("enrolment page: %d", p.status)
		}
		secret := s.Do(t, "POST", "/api/v1/me/totp", salesTok, nil).Str("secret")
		if r := s.Do(t, "PUT", "/api/v1/me/totp", salesTok, map[string]string{"secret": secret, "code": code(t, secret, 0)}); r.Status != 200 {
			t.Fatalf("enrol: %d %s", r.Status, r.Body)
		}
		if r := s.Do(t, "GET", "/api/v1/customers", salesTok, nil); r.Status != 200 {
			t.Fatalf("customers after enrolling: %d %s", r.Status, r.Body)
		}
		admin := newBrowser(t, s, "en")
		admin.login("admin@example.com", password)
		ap := admin.get("/admin")
		// The rules' section (each user's roles are check boxes too).
		rules := regexp.MustCompile(`(?s)id="two-step-rules".*?</section>`).FindString(ap.body)
		if !strings.Contains(rules, `value="sales" checked`) || strings.Contains(rules, `value="finance" checked`) {
			t.Fatalf("admin page does not show the rules")
		}
		if p := admin.post("/admin/mfa", url.Values{"csrf": {ap.csrf(t)}}); p.status != http.StatusSeeOther {
			t.Fatalf("clear the rules: %d", p.status)
		}
		if r := s.Do(t, "GET", "/api/v1/mfa/required-roles", adminTok, nil); string(r.Body) != `{"roles":[]}`+"\n" && string(r.Body) != `{"roles":[]}` {
			t.Fatalf("after clearing: %s", r.Body)
		}
		if log := string(s.Do(t, "GET", "/api/v1/audit?object_id=mfa_required_roles", adminTok, nil).Body); strings.Count(log, `"action":"mfa.require"`) != 3 { // the test's setup, then the two changes
			t.Fatalf("rule changes are not audited: %s", log)
		}
	})
}

// TestMFARequiredByDefault: on a new database every role must use two-step
// login: a user without a second factor reaches only the enrolment.
func TestMFARequiredByDefault(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		storage := storageArgs(t, db)
		addUser(t, storage, "auditor@example.com", "auditor")
		s := serve(t, storage)
		tok := s.Login(t, "auditor@example.com", password)
		if r := s.Do(t, "GET", "/api/v1/audit", tok, nil); r.Status != 403 || !strings.Contains(r.Str("detail"), "two-step") {
			t.Fatalf("a user without a second factor on a new database: %d %s", r.Status, r.Body)
		}
		if r := s.Do(t, "POST", "/api/v1/me/totp", tok, nil); r.Status != 200 {
			t.Fatalf("enrolment must stay open: %d %s", r.Status, r.Body)
		}
		code, out, _ := run(t, "", append([]string{"mfa", "require", "--roles", "admin,manager"}, storage...)...)
		if code != 0 || !strings.Contains(out, "admin, manager") {
			t.Fatalf("mfa require: %d %s", code, out)
		}
		if r := s.Do(t, "GET", "/api/v1/audit", tok, nil); r.Status != 200 {
			t.Fatalf("once auditors may skip it: %d %s", r.Status, r.Body)
		}
		if code, _, errOut := run(t, "", append([]string{"mfa", "require", "--roles", "admin,nobody"}, storage...)...); code == 0 || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Fatalf("an unknown role: exit %d, %q", code, errOut)
		}
	})
}
