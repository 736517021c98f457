package main_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"strongroom.dev/strongroom/internal/testkit"
)

// Regression tests for the vulnerabilities the security review of issue 9
// found, each through the HTTP API as an attacker holding a valid session
// would try them.

// auditHas reports whether the audit log (read by tok) holds an event of
// action whose outcome and reason contain the given text.
func auditHas(t *testing.T, s *server, tok, action, outcome, reason string) bool {
	t.Helper()
	r := s.Do(t, "GET", "/api/v1/audit?limit=200", tok, nil)
	if r.Status != 200 {
		t.Fatalf("audit: %d %s", r.Status, r.Body)
	}
	items, _ := r.JSON["items"].([]any)
	for _, it := range items {
		e, _ := it.(map[string]any)
		if e["action"] == action && e["outcome"] == outcome && strings.Contains(e["reason"].(string), reason) {
			return true
		}
	}
	return false
}

// TestPasswordRecheckIsNoOracle: wrong current passwords given behind a
// stolen session (change password, step-up) count in the account's run of
// failed logins: from the 5th the account is delayed, for logins too, and
// the right password does not get through while it is.
func TestPasswordRecheckIsNoOracle(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		storage := storageArgs(t, db)
		addUser(t, storage, "admin@example.com", "admin")
		addUser(t, storage, "sales1@example.com", "sales")
		s := start(t, storage)
		stolen := s.Login(t, "sales1@example.com", password)
		for i := range 4 {
			path, body := "/api/v1/me/password", map[string]string{"current_password": "guess number " + string(rune('a'+i)), "new_password": "the attacker's own passphrase"}
			if i%2 == 1 {
				path, body = "/api/v1/sessions/current/step-up", map[string]string{"password": "guess number " + string(rune('a'+i))}
			}
			if r := s.Do(t, "POST", path, stolen, body); r.Status != 400 {
				t.Fatalf("guess %d on %s: %d %s", i+1, path, r.Status, r.Body)
			}
		}
		// The 5th failure starts the delay: the next try waits, whatever it holds.
		if r := s.Do(t, "POST", "/api/v1/me/password", stolen, map[string]string{"current_password": "guess number e", "new_password": "the attacker's own passphrase"}); r.Status != 400 {
			t.Fatalf("5th guess: %d %s", r.Status, r.Body)
		}
		if r := s.Do(t, "POST", "/api/v1/me/password", stolen, map[string]string{"current_password": password, "new_password": "the attacker's own passphrase"}); r.Status != http.StatusTooManyRequests {
			t.Fatalf("the right password during the delay: %d %s", r.Status, r.Body)
		}
		if r := s.Do(t, "POST", "/api/v1/sessions", "", map[string]string{"email": "sales1@example.com", "password": password}); r.Status != http.StatusTooManyRequests {
			t.Fatalf("a login during the delay the re-checks started: %d %s", r.Status, r.Body)
		}
		admin := s.Login(t, "admin@example.com", password)
		if !auditHas(t, s, admin, "user.password_change", "failure", "current password wrong") || !auditHas(t, s, admin, "session.step_up", "failure", "current password wrong") {
			t.Fatal("the wrong re-checks are not audited")
		}
		if !auditHas(t, s, admin, "user.password_change", "denied", "throttled") {
			t.Fatal("the re-check refused during the delay is not audited")
		}
	})
}

// TestApprovalLevelsNeedDifferentPeople: with two levels both held by
// admins, the admin who approved the first cannot approve the second.
func TestApprovalLevelsNeedDifferentPeople(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		storage := storageArgs(t, db)
		file := filepath.Join(t.TempDir(), "role.json")
		os.WriteFile(file, []byte(`{"name":"case_worker","summary":"own clients; assessments with approval","grants":{"customer":{"actions":{"read":"own","reveal":"own"},"classes":{"identity":"read","special":"masked"},"reveal":{"assessment":true}}}}`), 0o600)
		if code, _, errOut := run(t, "", append([]string{"role", "save", "--file", file}, storage...)...); code != 0 {
			t.Fatal(errOut)
		}
		addUser(t, storage, "admin1@example.com", "admin")
		addUser(t, storage, "admin2@example.com", "admin")
		addUser(t, storage, "worker@example.com", "case_worker")
		s := start(t, storage)
		a1, a2, worker := s.Login(t, "admin1@example.com", password), s.Login(t, "admin2@example.com", password), s.Login(t, "worker@example.com", password)
		if r := s.Do(t, "PUT", "/api/v1/approval-rules/reveal_special", a1, map[string]any{"levels": [][]string{{"admin"}, {"admin"}}}); r.Status != 200 && r.Status != 204 {
			t.Fatalf("rule: %d %s", r.Status, r.Body)
		}
		me := s.Do(t, "GET", "/api/v1/me", worker, nil).Str("user_id")
		c := s.Do(t, "POST", "/api/v1/customers", a1, map[string]any{"name": "Client One", "assessment": "weekly sessions", "owner_id": me, "sensitive_consent": map[string]string{"channel": "paper"}})
		req := s.Do(t, "POST", "/api/v1/access-requests", worker, map[string]string{"customer_id": c.Str("id"), "field": "assessment", "reason": "the client asked for a copy"})
		if req.Status != 201 {
			t.Fatalf("request: %d %s", req.Status, req.Body)
		}
		id := req.Str("id")
		if r := s.Do(t, "POST", "/api/v1/access-requests/"+id+"/approve", a1, nil); r.Status != 200 || r.Str("status") != "pending" {
			t.Fatalf("level 1: %d %s", r.Status, r.Body)
		}
		r := s.Do(t, "POST", "/api/v1/access-requests/"+id+"/approve", a1, nil)
		if r.Status != 403 || !strings.Contains(string(r.Body), "earlier level") {
			t.Fatalf("the same admin approved level 2: %d %s", r.Status, r.Body)
		}
		if r := s.Do(t, "POST", "/api/v1/customers/"+c.Str("id")+"/reveal", worker, map[string]string{"field": "assessment", "reason": "the client asked for a copy"}); r.Status != 403 {
			t.Fatalf("revealed after one person's approval: %d %s", r.Status, r.Body)
		}
		// The inbox says why.
		b := newBrowserAs(t, s, "admin1@example.com")
		if p := b.get("/approvals"); !strings.Contains(p.body, "decided-earlier-"+id) || strings.Contains(p.body, "approve-"+id) {
			t.Fatalf("the inbox does not say the admin approved an earlier level:\n%s", p.body)
		}
		if r := s.Do(t, "POST", "/api/v1/access-requests/"+id+"/approve", a2, nil); r.Status != 200 || r.Str("status") != "approved" {
			t.Fatalf("level 2 by another admin: %d %s", r.Status, r.Body)
		}
	})
}

// TestTOTPSecretIsTheServers: the authenticator secret confirmed is the
// one the server offered to this session, never one the client posts; and
// adding, replacing or removing a second factor needs a fresh proof with
// an existing one.
func TestTOTPSecretIsTheServers(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		storage := storageArgs(t, db)
		addUser(t, storage, "sales1@example.com", "sales")
		s := start(t, storage)
		tok := s.Login(t, "sales1@example.com", password)
		const zero = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" // an all-zero key
		// Without an offer nothing can be confirmed, whatever secret is sent.
		if r := s.Do(t, "PUT", "/api/v1/me/totp", tok, map[string]string{"secret": zero, "code": code(t, zero, 0)}); r.Status != http.StatusConflict {
			t.Fatalf("a client-chosen secret with no offer: %d %s", r.Status, r.Body)
		}
		offer := s.Do(t, "POST", "/api/v1/me/totp", tok, nil).Str("secret")
		if r := s.Do(t, "PUT", "/api/v1/me/totp", tok, map[string]string{"secret": zero, "code": code(t, zero, 0)}); r.Status != 400 {
			t.Fatalf("a client-chosen secret beside an offer: %d %s", r.Status, r.Body)
		}
		if r := s.Do(t, "PUT", "/api/v1/me/totp", tok, map[string]string{"code": code(t, zero, 0)}); r.Status != 400 {
			t.Fatalf("a code of a secret that was not offered: %d %s", r.Status, r.Body)
		}
		// The offer belongs to the session: another session of the user cannot confirm it.
		other := s.Login(t, "sales1@example.com", password)
		if r := s.Do(t, "PUT", "/api/v1/me/totp", other, map[string]string{"code": code(t, offer, 0)}); r.Status != http.StatusConflict {
			t.Fatalf("another session confirmed the offer: %d %s", r.Status, r.Body)
		}
		codes := s.Do(t, "PUT", "/api/v1/me/totp", tok, map[string]string{"code": code(t, offer, -1)})
		list, _ := codes.JSON["recovery_codes"].([]any)
		if codes.Status != 200 || len(list) != 10 {
			t.Fatalf("confirm the offered secret: %d %s", codes.Status, codes.Body)
		}
		// 120-bit recovery codes: 24 base32 characters.
		if rc := strings.ReplaceAll(list[0].(string), "-", ""); len(rc) != 24 {
			t.Fatalf("recovery code %q has %d characters, want 24 (120 bits)", list[0], len(rc))
		}
		// A session that proved only the password cannot replace the authenticator.
		pending := s.Do(t, "POST", "/api/v1/sessions", "", map[string]string{"email": "sales1@example.com", "password": password}).Str("token")
		if r := s.Do(t, "POST", "/api/v1/me/totp", pending, nil); r.Status != 403 {
			t.Fatalf("a session owing its second factor was offered a new secret: %d %s", r.Status, r.Body)
		}
		// The password cannot step up a user who has a second factor.
		if r := s.Do(t, "POST", "/api/v1/sessions/current/step-up", tok, map[string]string{"password": password}); r.Status != 400 {
			t.Fatalf("a password step-up for a user with an authenticator: %d %s", r.Status, r.Body)
		}
	})
}

// TestMustChangeAdminChosenPassword: a user an administrator created with
// a password reaches only "change password" until they change it.
func TestMustChangeAdminChosenPassword(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		storage := storageArgs(t, db)
		addUser(t, storage, "admin@example.com", "admin")
		s := start(t, storage)
		admin := s.Login(t, "admin@example.com", password)
		const given = "an admin chose this one for you"
		if r := s.Do(t, "POST", "/api/v1/users", admin, map[string]string{"email": "new@example.com", "role": "sales", "password": given}); r.Status != 201 {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
		tok := s.Login(t, "new@example.com", given)
		for _, path := range []string{"/api/v1/customers", "/api/v1/me", "/api/v1/sessions"} {
			if r := s.Do(t, "GET", path, tok, nil); r.Status != 403 || !strings.Contains(string(r.Body), "change it first") {
				t.Fatalf("GET %s before the change: %d %s", path, r.Status, r.Body)
			}
		}
		if r := s.Do(t, "POST", "/api/v1/me/password", tok, map[string]string{"current_password": given, "new_password": given}); r.Status != 400 {
			t.Fatalf("kept the given password: %d %s", r.Status, r.Body)
		}
		if r := s.Do(t, "POST", "/api/v1/me/password", tok, map[string]string{"current_password": given, "new_password": "my very own passphrase now"}); r.Status != 204 {
			t.Fatalf("change: %d %s", r.Status, r.Body)
		}
		if r := s.Do(t, "GET", "/api/v1/customers", tok, nil); r.Status != 200 {
			t.Fatalf("after the change: %d %s", r.Status, r.Body)
		}
		// The web UI sends such a user to the change-password page.
		if r := s.Do(t, "POST", "/api/v1/users", admin, map[string]string{"email": "web@example.com", "role": "sales", "password": given}); r.Status != 201 {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
		b := newBrowser(t, s, "en")
		b.login("web@example.com", given)
		if p := b.get("/customers"); p.status != http.StatusSeeOther || p.location != "/password" {
			t.Fatalf("the web UI let the user past the change: %d %s", p.status, p.location)
		}
		if p := b.get("/password"); !strings.Contains(p.body, `id="must-change-password"`) {
			t.Fatalf("the change-password page:\n%s", p.body)
		}
		// The host's command line sets its own password: no change asked, unless --must-change.
		if code, out, errOut := run(t, password+"\n", append([]string{"user", "add", "--email", "cli@example.com", "--role", "sales", "--password-stdin", "--must-change"}, storage...)...); code != 0 {
			t.Fatalf("user add --must-change: %d %s%s", code, out, errOut)
		}
		cli := s.Login(t, "cli@example.com", password)
		if r := s.Do(t, "GET", "/api/v1/customers", cli, nil); r.Status != 403 {
			t.Fatalf("--must-change not applied: %d %s", r.Status, r.Body)
		}
	})
}

// TestLockoutKeepsKnownBrowsers: an attacker who locks an account from
// elsewhere does not keep its owner out of a browser they logged in from
// before (a device cookie); without that cookie the account stays locked.
func TestLockoutKeepsKnownBrowsers(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		storage := storageArgs(t, db)
		addUser(t, storage, "admin@example.com", "admin")
		addUser(t, storage, "sales1@example.com", "sales")
		s := start(t, storage)
		first := s.Do(t, "POST", "/api/v1/sessions", "", map[string]string{"email": "sales1@example.com", "password": password})
		var device string
		for _, c := range first.Header.Values("Set-Cookie") {
			if v, ok := strings.CutPrefix(c, "__Host-strongroom-device="); ok {
				device, _, _ = strings.Cut(v, ";")
				if !strings.Contains(c, "Secure") || !strings.Contains(c, "HttpOnly") {
					t.Fatalf("device cookie without Secure/HttpOnly: %s", c)
				}
			}
		}
		if device == "" {
			t.Fatalf("no device cookie after a login: %v", first.Header.Values("Set-Cookie"))
		}
		// Another user's browser, known before the attack.
		var other string
		for _, c := range s.Do(t, "POST", "/api/v1/sessions", "", map[string]string{"email": "admin@example.com", "password": password}).Header.Values("Set-Cookie") {
			if v, ok := strings.CutPrefix(c, "__Host-strongroom-device="); ok {
				other, _, _ = strings.Cut(v, ";")
			}
		}
		if other == "" {
			t.Fatal("no device cookie after the admin's login")
		}
		// The attacker fails five times: the account is delayed for everyone
		// else. The first delay is one second (authn.Lockout), so every
		// refusal is asked for first, with no password hashed between them;
		// the owner's login, which hashes, comes last.
		for i := range 5 {
			if r := s.Do(t, "POST", "/api/v1/sessions", "", map[string]string{"email": "sales1@example.com", "password": "attacker guess " + string(rune('a'+i))}); r.Status != 401 {
				t.Fatalf("guess %d: %d %s", i+1, r.Status, r.Body)
			}
		}
		nonce, _, _ := strings.Cut(device, ".")
		for _, c := range []struct{ name, cookie string }{
			{"no device cookie", ""},
			{"a forged device cookie", nonce + ".AAAAAAAAAAAAAAAAAAAAAA"},
			{"another user's device cookie", other},
		} {
			var hdr []string
			if c.cookie != "" {
				hdr = []string{"Cookie", "__Host-strongroom-device=" + c.cookie}
			}
			if r := s.Do(t, "POST", "/api/v1/sessions", "", map[string]string{"email": "sales1@example.com", "password": password}, hdr...); r.Status != http.StatusTooManyRequests {
				t.Fatalf("a login with %s passed the delay: %d %s", c.name, r.Status, r.Body)
			}
		}
		// The owner's browser still gets in.
		if r := s.Do(t, "POST", "/api/v1/sessions", "", map[string]string{"email": "sales1@example.com", "password": password}, "Cookie", "__Host-strongroom-device="+device); r.Status != 201 {
			t.Fatalf("the owner's known browser was kept out: %d %s", r.Status, r.Body)
		}
	})
}

// TestAdminEndsAllSessions: an administrator ends every session of a user
// (API), after a fresh proof; the user's tokens stop working.
func TestAdminEndsAllSessions(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		storage := storageArgs(t, db)
		addUser(t, storage, "admin@example.com", "admin")
		addUser(t, storage, "sales1@example.com", "sales")
		s := start(t, storage)
		admin := s.Login(t, "admin@example.com", password)
		u1, u2 := s.Login(t, "sales1@example.com", password), s.Login(t, "sales1@example.com", password)
		id := s.Do(t, "GET", "/api/v1/me", u1, nil).Str("user_id")
		if r := s.Do(t, "DELETE", "/api/v1/users/"+id+"/sessions", u1, nil); r.Status != 403 {
			t.Fatalf("a user ended sessions through the admin route: %d %s", r.Status, r.Body)
		}
		r := s.Do(t, "DELETE", "/api/v1/users/"+id+"/sessions", admin, nil)
		if r.Status != 200 || r.JSON["ended"] != float64(2) {
			t.Fatalf("end all: %d %s", r.Status, r.Body)
		}
		for _, tok := range []string{u1, u2} {
			if r := s.Do(t, "GET", "/api/v1/me", tok, nil); r.Status != 401 {
				t.Fatalf("a session survived: %d", r.Status)
			}
		}
		if code, out, errOut := run(t, "", append([]string{"user", "end-sessions", "--email", "sales1@example.com"}, storage...)...); code != 0 || !strings.Contains(out, "ended 0 sessions") {
			t.Fatalf("user end-sessions: %d %s%s", code, out, errOut)
		}
		// Every user's sessions at once (after a breach), but the admin's own.
		u3, other := s.Login(t, "sales1@example.com", password), s.Login(t, "admin@example.com", password)
		if r := s.Do(t, "DELETE", "/api/v1/sessions/all", u3, nil); r.Status != 403 {
			t.Fatalf("a user ended everyone's sessions: %d %s", r.Status, r.Body)
		}
		if r := s.Do(t, "DELETE", "/api/v1/sessions/all", admin, nil); r.Status != 200 || r.JSON["ended"] != float64(2) {
			t.Fatalf("end all: %d %s", r.Status, r.Body)
		}
		for _, tok := range []string{u3, other} {
			if r := s.Do(t, "GET", "/api/v1/me", tok, nil); r.Status != 401 {
				t.Fatalf("a session survived ending all: %d", r.Status)
			}
		}
		if r := s.Do(t, "GET", "/api/v1/me", admin, nil); r.Status != 200 {
			t.Fatalf("the admin's own session ended: %d", r.Status)
		}
		if code, out, errOut := run(t, "", append([]string{"user", "end-sessions", "--all"}, storage...)...); code != 0 || !strings.Contains(out, "ended 1 sessions") {
			t.Fatalf("user end-sessions --all: %d %s%s", code, out, errOut)
		}
	})
}
