package api_test

import (
	"encoding/json"
	"net/url"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
)

// Identity: logins, sessions, second factors, passwords and links.

// totpCode puts into {code} the authenticator code of {totpSecret}, in a
// time step after any used before (a code works once).
func totpCode(t *testing.T, r *runner) {
	r.clock.Advance(30 * time.Second)
	code, err := totp.GenerateCode(r.vars["totpSecret"], r.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	r.vars["code"] = code
}

// recoveryCode puts into {rc} the first recovery code of those kept as
// {recovery}.
func recoveryCode(t *testing.T, r *runner) {
	var out struct {
		Codes []string `json:"recovery_codes"`
	}
	if err := json.Unmarshal([]byte(r.vars["recovery"]), &out); err != nil || len(out.Codes) == 0 {
		t.Fatalf("no recovery codes in %q", r.vars["recovery"])
	}
	r.vars["rc"] = out.Codes[0]
}

// passkeyCreate answers the registration options kept as {pkopts} with
// the fixture's software passkey, as {pkcred}.
func passkeyCreate(t *testing.T, r *runner) {
	cred, err := r.key.Create([]byte(r.vars["pkopts"]))
	if err != nil {
		t.Fatal(err)
	}
	r.vars["pkcred"] = string(cred)
}

// passkeyGet answers the proof options kept as {pkproof}, as {pkassert}.
func passkeyGet(t *testing.T, r *runner) {
	a, err := r.key.Get([]byte(r.vars["pkproof"]))
	if err != nil {
		t.Fatal(err)
	}
	r.vars["pkassert"] = string(a)
}

// linkToken takes the token out of the link kept as {name}, as {name.token}.
func linkToken(name string) func(t *testing.T, r *runner) {
	return func(t *testing.T, r *runner) {
		u, err := url.Parse(r.vars[name])
		if err != nil || u.Query().Get("token") == "" {
			t.Fatalf("no token in the link %q", r.vars[name])
		}
		r.vars[name+".token"] = u.Query().Get("token")
	}
}

const newPassword = "another long passphrase for tests"

var identityScenarios = []scenario{
	{name: "openapi: public", method: "GET", path: "/api/v1/openapi.json", status: 200, contains: []string{`"openapi"`}},
	{name: "unknown route", as: "salesA", method: "GET", path: "/api/v1/nothing-here", status: 404},
	{name: "unknown route without a session", method: "GET", path: "/api/v1/nothing-here", status: 404},

	// login and logout
	{name: "login", method: "POST", path: "/api/v1/sessions", body: `{"email":"newcomer@example.com","password":"` + password + `"}`, status: 201, audit: []string{"session.create success"},
		contains: []string{`"token"`, "{u.newcomer}"}},
	{name: "login: wrong password", method: "POST", path: "/api/v1/sessions", body: `{"email":"salesa@example.com","password":"not the password at all"}`, status: 401, audit: []string{"session.create failure"},
		absent: []string{"{u.salesA}", `"token"`}},
	{name: "login: unknown account answers the same", method: "POST", path: "/api/v1/sessions", body: `{"email":"nobody@example.com","password":"not the password at all"}`, status: 401, audit: []string{"session.create failure"}},
	{name: "me", as: "salesA", method: "GET", path: "/api/v1/me", status: 200, contains: []string{"{u.salesA}", `"sales"`}},
	{name: "me: without a session", method: "GET", path: "/api/v1/me", status: 401},
	// my time zone and date format (issue 16): checked against the tz database, audited, read back
	{name: "me: no zone chosen reads UTC", as: "salesB", method: "GET", path: "/api/v1/me", status: 200, contains: []string{`"time_zone":"UTC"`, `"time_format":""`}},
	{name: "my time: not a zone", as: "salesB", session: "tz", method: "PUT", path: "/api/v1/me/time", body: `{"time_zone":"Asia/Atlantis"}`, status: 400, contains: []string{"unknown time zone"}},
	{name: "my time: the server's own zone is not a user's", as: "salesB", session: "tz", method: "PUT", path: "/api/v1/me/time", body: `{"time_zone":"Local"}`, status: 400, contains: []string{"unknown time zone"}},
	{name: "my time: not a format", as: "salesB", session: "tz", method: "PUT", path: "/api/v1/me/time", body: `{"time_zone":"Asia/Shanghai","time_format":"us"}`, status: 400, contains: []string{"unknown date format"}},
	{name: "my time", as: "salesB", session: "tz", method: "PUT", path: "/api/v1/me/time", body: `{"time_zone":"Asia/Shanghai","time_format":"iso"}`, status: 204, audit: []string{"user.time_change success"}},
	{name: "my time: read back", as: "salesB", session: "tz", method: "GET", path: "/api/v1/me", status: 200, contains: []string{`"time_zone":"Asia/Shanghai"`, `"time_format":"iso"`}},
	{name: "me: a token that is no session", method: "GET", path: "/api/v1/me", header: map[string]string{"Authorization": "Bearer not-a-token"}, status: 401},
	{name: "logout", as: "salesA", method: "DELETE", path: "/api/v1/sessions/current", status: 204, audit: []string{"session.delete success"}},
	{name: "logout: without a session", method: "DELETE", path: "/api/v1/sessions/current", status: 401},

	// sessions
	{name: "sessions: mine", as: "salesA", method: "GET", path: "/api/v1/sessions", status: 200, audit: []string{"session.list success"}, contains: []string{`"items"`}},
	{name: "sessions: another user's, as sales", as: "salesA", method: "GET", path: "/api/v1/sessions?user_id={u.salesB}", status: 403, audit: []string{"security.forbidden denied"}},
	{name: "sessions: another user's, as admin", as: "admin", method: "GET", path: "/api/v1/sessions?user_id={u.salesB}", status: 200, audit: []string{"session.list success"}},
	{name: "session to end", as: "salesA2", method: "GET", path: "/api/v1/me", status: 200, save: map[string]string{"sid": "session_id"}},
	{name: "session end: another user's refused", as: "salesB", method: "DELETE", path: "/api/v1/sessions/{sid}", status: 404},
	{name: "session end: my other session", as: "salesA2", method: "DELETE", path: "/api/v1/sessions/{sid}", status: 204, audit: []string{"session.delete success"}},
	{name: "sessions end: my others", as: "salesA", method: "DELETE", path: "/api/v1/sessions/others", status: 200, audit: []string{"session.delete success"}, contains: []string{`"ended"`}},
	{name: "sessions end: my others needs a fresh proof", as: "salesA", stale: true, method: "DELETE", path: "/api/v1/sessions/others", status: 403},
	{name: "sessions end: a user's, as admin", as: "admin", method: "DELETE", path: "/api/v1/users/{u.target}/sessions", status: 200, audit: []string{"session.delete success"}, contains: []string{`"ended"`}},
	{name: "sessions end: a user's, as sales", as: "salesA", method: "DELETE", path: "/api/v1/users/{u.target}/sessions", status: 403, audit: []string{"security.forbidden denied"}},
	{name: "sessions end: everyone's, as admin", as: "admin", method: "DELETE", path: "/api/v1/sessions/all", status: 200, audit: []string{"session.delete success"}, contains: []string{`"ended"`}},
	{name: "sessions end: everyone's, as sales", as: "salesA", method: "DELETE", path: "/api/v1/sessions/all", status: 403, audit: []string{"security.forbidden denied"}},

	// step-up
	{name: "step-up: with the password", as: "salesA", stale: true, method: "POST", path: "/api/v1/sessions/current/step-up", body: `{"password":"` + password + `"}`, status: 200, audit: []string{"session.step_up success"},
		contains: []string{`"token"`}},
	{name: "step-up: wrong password", as: "salesA", method: "POST", path: "/api/v1/sessions/current/step-up", body: `{"password":"not the password at all"}`, status: 400, audit: []string{"session.step_up failure"}},
	{name: "step-up: without a session", method: "POST", path: "/api/v1/sessions/current/step-up", body: `{"password":"` + password + `"}`, status: 401},

	// an authenticator app
	{name: "mfa roles: admin reads", as: "admin", method: "GET", path: "/api/v1/mfa/required-roles", status: 200, contains: []string{`"roles"`}},
	{name: "mfa roles: sales may not read", as: "salesA", method: "GET", path: "/api/v1/mfa/required-roles", status: 403, audit: []string{"security.forbidden denied"}},
	{name: "mfa roles: admin sets", as: "admin", method: "PUT", path: "/api/v1/mfa/required-roles", body: `{"roles":[]}`, status: 200, audit: []string{"mfa.require success"}},
	{name: "mfa roles: sales may not set", as: "salesA", method: "PUT", path: "/api/v1/mfa/required-roles", body: `{"roles":[]}`, status: 403, audit: []string{"security.forbidden denied"}},
	{name: "totp: offer", as: "mfauser", session: "mfa", method: "POST", path: "/api/v1/me/totp", status: 200,
		contains: []string{`"secret"`, "otpauth://"}, save: map[string]string{"totpSecret": "secret"}},
	{name: "totp: wrong code", session: "mfa", method: "PUT", path: "/api/v1/me/totp", body: `{"code":"000000"}`, status: 400},
	{name: "totp: confirm", session: "mfa", before: totpCode, method: "PUT", path: "/api/v1/me/totp", body: `{"code":"{code}"}`, status: 200, audit: []string{"mfa.enrol success"}, save: map[string]string{"recovery": ""},
		contains: []string{`"recovery_codes"`}},
	{name: "totp: without a session", method: "POST", path: "/api/v1/me/totp", status: 401},
	{name: "mfa: a pending login reaches nothing else", as: "mfauser", method: "GET", path: "/api/v1/me", status: 403, audit: []string{"security.forbidden denied"}},
	{name: "mfa: wrong code", as: "mfauser", method: "POST", path: "/api/v1/sessions/current/mfa", body: `{"code":"000000"}`, status: 400, audit: []string{"mfa.verify failure"}},
	{name: "mfa: code", as: "mfauser", session: "mfa2", before: totpCode, method: "POST", path: "/api/v1/sessions/current/mfa", body: `{"code":"{code}"}`, status: 200, audit: []string{"mfa.verify success"},
		contains: []string{`"token"`}},
	{name: "mfa: the verified session", session: "mfa2", method: "GET", path: "/api/v1/me", status: 200, contains: []string{"{u.mfauser}"}},
	{name: "mfa: a session with nothing to verify", as: "salesA", method: "POST", path: "/api/v1/sessions/current/mfa", body: `{"code":"000000"}`, status: 409},
	{name: "step-up: with the code", session: "mfa2", before: totpCode, method: "POST", path: "/api/v1/sessions/current/step-up", body: `{"code":"{code}"}`, status: 200, audit: []string{"session.step_up success"}},
	{name: "mfa: a recovery code", as: "mfauser", before: recoveryCode, method: "POST", path: "/api/v1/sessions/current/mfa", body: `{"code":"{rc}"}`, status: 200, audit: []string{"mfa.verify success"},
		contains: []string{`"token"`}},
	{name: "mfa: a recovery code works once", as: "mfauser", method: "POST", path: "/api/v1/sessions/current/mfa", body: `{"code":"{rc}"}`, status: 400, audit: []string{"mfa.verify failure"}},
	{name: "mfa reset: sales may not", as: "salesA", method: "DELETE", path: "/api/v1/users/{u.mfauser}/mfa", status: 403, audit: []string{"security.forbidden denied"}},
	{name: "mfa reset: admin", as: "admin", method: "DELETE", path: "/api/v1/users/{u.mfauser}/mfa", status: 204, audit: []string{"mfa.reset success"}},

	// a passkey
	{name: "passkey: registration options", as: "pkuser", session: "pk", method: "POST", path: "/api/v1/me/passkeys/options", status: 200,
		contains: []string{"challenge"}, save: map[string]string{"pkopts": ""}},
	{name: "passkey: registration options need a session", method: "POST", path: "/api/v1/me/passkeys/options", status: 401},
	{name: "passkey: a broken credential", session: "pk", method: "POST", path: "/api/v1/me/passkeys", body: `{"name":"laptop","credential":{"id":"x"}}`, status: 400},
	{name: "passkey: register", session: "pk", before: passkeyCreate, method: "POST", path: "/api/v1/me/passkeys", body: `{"name":"laptop","credential":{pkcred}}`, status: 201, audit: []string{"mfa.enrol success"},
		save: map[string]string{"pkid": "id"}},
	{name: "passkey: mine", session: "pk", method: "GET", path: "/api/v1/me/passkeys", status: 200, contains: []string{"{pkid}", "laptop"}},
	{name: "passkey: another user's are not mine", as: "salesA", method: "GET", path: "/api/v1/me/passkeys", status: 200,
		contains: []string{`"passkeys":[]`}, absent: []string{"{pkid}", "laptop"}},
	{name: "passkey: mine without a session", method: "GET", path: "/api/v1/me/passkeys", status: 401},
	{name: "passkey: proof options", as: "pkuser", session: "pk2", method: "POST", path: "/api/v1/sessions/current/passkey/options", status: 200,
		contains: []string{"challenge"}, save: map[string]string{"pkproof": ""}},
	{name: "passkey: proof options without a session", method: "POST", path: "/api/v1/sessions/current/passkey/options", status: 401},
	{name: "passkey: a broken proof", session: "pk2", method: "POST", path: "/api/v1/sessions/current/passkey", body: `{"id":"x","rawId":"x","type":"public-key","response":{}}`, status: 400},
	{name: "passkey: proof", session: "pk2", before: passkeyGet, method: "POST", path: "/api/v1/sessions/current/passkey", body: `{pkassert}`, status: 200, audit: []string{"mfa.verify success"},
		contains: []string{`"token"`}},
	{name: "passkey: another user's refused", as: "salesA", method: "DELETE", path: "/api/v1/me/passkeys/{pkid}", status: 404},
	{name: "passkey: remove", session: "pk2", method: "DELETE", path: "/api/v1/me/passkeys/{pkid}", status: 204, audit: []string{"mfa.remove success"}},

	// passwords and links
	{name: "password change: wrong current password", as: "pwuser", method: "POST", path: "/api/v1/me/password", body: `{"current_password":"not the password at all","new_password":"` + newPassword + `"}`, status: 400, audit: []string{"user.password_change failure"}},
	{name: "password change", as: "pwuser", method: "POST", path: "/api/v1/me/password", body: `{"current_password":"` + password + `","new_password":"` + newPassword + `"}`, status: 204, audit: []string{"user.password_change success"}},
	{name: "password change: without a session", method: "POST", path: "/api/v1/me/password", body: `{"current_password":"` + password + `","new_password":"` + newPassword + `"}`, status: 401},
	{name: "password reset: asked for by email", method: "POST", path: "/api/v1/password-resets", body: `{"email":"pwuser@example.com"}`, status: 202, audit: []string{"user.password_reset_request success"}},
	{name: "password reset: not an email", method: "POST", path: "/api/v1/password-resets", body: `{"email":"not an email"}`, status: 400},
	{name: "password reset: an unknown email answers the same", method: "POST", path: "/api/v1/password-resets", body: `{"email":"nobody@example.com"}`, status: 202, audit: []string{"user.password_reset_request denied"}},
	{name: "password reset link: sales may not send", as: "salesA", method: "POST", path: "/api/v1/users/{u.pwuser}/password-reset", status: 403, audit: []string{"security.forbidden denied"}},
	{name: "password reset link: admin sends", as: "admin", method: "POST", path: "/api/v1/users/{u.pwuser}/password-reset", status: 200, audit: []string{"user.password_reset_request success"},
		contains: []string{"/password/reset?token="}, save: map[string]string{"reset": "link"}},
	{name: "password reset: a bad token", method: "POST", path: "/api/v1/password-resets/complete", body: `{"token":"not-a-token","password":"` + newPassword + `"}`, status: 400},
	{name: "password reset: complete", before: linkToken("reset"), method: "POST", path: "/api/v1/password-resets/complete", body: `{"token":"{reset.token}","password":"yet another passphrase for tests"}`, status: 204, audit: []string{"user.password_reset success"}},
	{name: "invitation: sales may not invite", as: "salesA", method: "POST", path: "/api/v1/invitations", body: `{"email":"new.rep@example.com","role":"sales"}`, status: 403, audit: []string{"security.forbidden denied"}},
	{name: "invitation: admin invites", as: "admin", method: "POST", path: "/api/v1/invitations", body: `{"email":"new.rep@example.com","role":"sales","team":"north"}`, status: 201, audit: []string{"user.invite success"},
		contains: []string{"/invite?token="}, save: map[string]string{"invite": "link"}},
	{name: "invitation: a bad token", method: "POST", path: "/api/v1/invitations/accept", body: `{"token":"not-a-token","password":"` + newPassword + `"}`, status: 400},
	{name: "invitation: accept", before: linkToken("invite"), method: "POST", path: "/api/v1/invitations/accept", body: `{"token":"{invite.token}","password":"` + newPassword + `"}`, status: 204, audit: []string{"user.invitation_accept success"}},
}
