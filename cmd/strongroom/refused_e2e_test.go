package main_test

import (
	"net/url"
	"regexp"
	"strings"
	"testing"

	"strongroom.dev/strongroom/internal/testkit"
)

// TestWebRefusedFormsKeepInput: a form the service refuses comes back with
// what was typed, a summary linking to the field at fault, the field marked
// (aria-invalid, described by the message beside it) and no other field
// marked — on the administration, roles, vendor, incident, privacy request,
// consent and retention pages, in both languages.
func TestWebRefusedFormsKeepInput(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		storage := storageArgs(t, db)
		addUser(t, storage, "admin@example.com", "admin")
		s := start(t, storage)
		adminTok := s.Login(t, "admin@example.com", password)
		customer := s.Do(t, "POST", "/api/v1/customers", adminTok, map[string]any{"name": "Lin Mei"}).Str("id")
		if customer == "" {
			t.Fatal("the fixture did not come up")
		}
		b := newBrowser(t, s, "en")
		b.login("admin@example.com", password)

		// refused checks one refused form: its status, what must be kept,
		// and the field marked, with its message beside it.
		refused := func(t *testing.T, what string, p page, status int, kept []string, field, errID, msg string) {
			t.Helper()
			if p.status != status {
				t.Fatalf("%s: %d, want %d\n%s", what, p.status, status, p.body)
			}
			for _, want := range kept {
				if !strings.Contains(p.body, want) {
					t.Errorf("%s: the page lacks what was typed: %s", what, want)
				}
			}
			marked := regexp.MustCompile(`<(?:input|select|textarea)[^>]*\bid="` + regexp.QuoteMeta(field) + `"[^>]*aria-invalid="true" aria-describedby="` + regexp.QuoteMeta(errID) + `"`)
			if !marked.MatchString(p.body) {
				t.Errorf("%s: field %s is not marked invalid and described by %s", what, field, errID)
			}
			if n := strings.Count(p.body, `aria-invalid="true"`); n != 1 {
				t.Errorf("%s: %d fields marked invalid, want 1", what, n)
			}
			if !strings.Contains(p.body, `<p class="error field-error" id="`+errID+`">`+msg) {
				t.Errorf("%s: no message %q beside the field", what, msg)
			}
			if !strings.Contains(p.body, `id="form-problems"`) || !strings.Contains(p.body, `<a href="#`+field+`">`+msg) {
				t.Errorf("%s: the summary does not link to #%s", what, field)
			}
		}

		t.Run("admin", func(t *testing.T) {
			ap := b.get("/admin")
			p := b.post("/admin/users", url.Values{"csrf": {ap.csrf(t)}, "email": {"admin@example.com"}, "role": {"finance"}, "team": {"north"}, "password": {"correct horse battery staple 9"}})
			refused(t, "a user who exists", p, 400, []string{`value="admin@example.com"`, `<option value="finance" selected>`, `value="north"`}, "new-email", "new-user-error", "a user with this email already exists")
			if strings.Contains(p.body, "correct horse battery staple 9") {
				t.Error("the refused form shows the password again")
			}
			if !strings.Contains(p.body, `<a class="sort" href="/admin?dir=desc&amp;sort=email">`) {
				t.Error("the users table's links on the refused form's page do not lead to /admin")
			}
			p = b.post("/admin/invitations", url.Values{"csrf": {ap.csrf(t)}, "email": {"not an address"}, "role": {"sales"}, "team": {"south"}})
			refused(t, "an invitation to a bad address", p, 400, []string{`value="not an address"`, `value="south"`}, "invite-email", "invite-error", "email is not a valid address")
		})

		t.Run("roles", func(t *testing.T) {
			rp := b.get("/admin/roles")
			p := b.post("/admin/roles", url.Values{"csrf": {rp.csrf(t)}, "name": {"Claims Clerk"}, "from": {""}})
			refused(t, "a role name with capitals", p, 400, []string{`value="Claims Clerk"`}, "role-name", "new-role-error", "name must be 2 to 32")
		})

		t.Run("vendor", func(t *testing.T) {
			vp := b.get("/vendors/new")
			p := b.post("/vendors", url.Values{"csrf": {vp.csrf(t)}, "name": {"ShipQuick"}, "role": {"processor"}, "purpose": {"deliveries"}, "locations": {"China"}, "status": {"active"}})
			refused(t, "a country that is not a code", p, 400, []string{`value="ShipQuick"`, `>deliveries</textarea>`, `value="China"`}, "v-locs", "vendor-error", "locations are two-letter country codes")
			made := b.post("/vendors", url.Values{"csrf": {vp.csrf(t)}, "name": {"ShipQuick"}, "role": {"processor"}, "purpose": {"deliveries"}, "locations": {"CN"}, "status": {"active"}})
			if made.status != 303 {
				t.Fatalf("create a vendor: %d", made.status)
			}
			path := strings.SplitN(made.location, "?", 2)[0]
			vp = b.get(path)
			p = b.post(path+"/reviews", url.Values{"csrf": {vp.csrf(t)}, "reviewer": {"Ann Lee"}, "outcome": {"findings"}, "notes": {"two gaps"}, "next_review": {"2001-01-31"}})
			refused(t, "a next review in the past", p, 400, []string{`value="Ann Lee"`, `<option value="findings" selected>`, `>two gaps</textarea>`, `value="2001-01-31"`}, "r-next", "review-error", "the next review is a date to come")
		})

		t.Run("incidents", func(t *testing.T) {
			lp := b.get("/privacy/incidents")
			p := b.post("/privacy/incidents", url.Values{"csrf": {lp.csrf(t)}, "title": {"Lost laptop"}, "description": {""}, "kind": {"device"},
				"discovered_at": {"2026-11-30T09:00"}, "window_from": {"2026-11-29T09:00"}, "window_to": {"2026-11-30T09:00"}, "ip": {"203.0.113.7"}})
			refused(t, "an incident without a description", p, 400, []string{`value="Lost laptop"`, `value="203.0.113.7"`, `value="2026-11-29T09:00"`}, "i-description", "incident-error", "say what happened")
		})

		t.Run("consent", func(t *testing.T) {
			cp := b.get("/customers/" + customer + "/consents")
			p := b.post("/customers/"+customer+"/consents", url.Values{"csrf": {cp.csrf(t)}, "purpose": {"marketing_sms"}, "basis": {"consent"}, "channel": {"phone"},
				"minor": {"1"}, "note": {"asked at the counter"}})
			refused(t, "a minor's consent without a guardian", p, 400, []string{`<option value="marketing_sms" selected>`, `<option value="phone" selected>`, `value="asked at the counter"`, `name="minor" value="1" checked`},
				"c-guardian", "consent-error", "a person under 14 gives consent through a guardian")
		})

		t.Run("request", func(t *testing.T) {
			cp := b.get("/customers/" + customer + "/consents")
			p := b.post("/customers/"+customer+"/requests", url.Values{"csrf": {cp.csrf(t)}, "kind": {"portability"}, "law": {"hipaa"}, "details": {"by post, please"}})
			refused(t, "a request under an unknown law", p, 400, []string{`<option value="portability" selected>`, `>by post, please</textarea>`}, "r-law", "request-error", "law is gdpr, ccpa or pipl")
			if p := b.post("/customers/"+customer+"/requests", url.Values{"csrf": {cp.csrf(t)}, "kind": {"erasure"}, "law": {"gdpr"}}); p.status != 303 {
				t.Fatalf("take a request: %d", p.status)
			}
			list := b.get("/privacy/requests")
			m := regexp.MustCompile(`href="(/privacy/requests/[a-z]+_[0-9a-f]+)"`).FindStringSubmatch(list.body)
			if m == nil {
				t.Fatalf("no request listed:\n%s", list.body)
			}
			rp := b.get(m[1])
			p = b.post(m[1]+"/hold", url.Values{"csrf": {rp.csrf(t)}, "scope": {"identity"}, "reason": {"tax audit 2026"}, "until": {"next year"}})
			refused(t, "a hold without a date", p, 400, []string{`value="tax audit 2026"`, `<option value="identity" selected>`, `value="next year"`}, "h-until", "hold-error", "")
		})

		t.Run("retention", func(t *testing.T) {
			rp := b.get("/privacy/retention")
			p := b.post("/privacy/retention/inactive_customers", url.Values{"csrf": {rp.csrf(t)}, "after_days": {"3"}, "note": {"three days"}})
			refused(t, "a period below the minimum", p, 400, []string{`value="3"`, `value="three days"`}, "days-inactive_customers", "rule-inactive_customers-error", "")
		})

		t.Run("zh-CN", func(t *testing.T) {
			zh := newBrowser(t, s, "zh-CN")
			zh.login("admin@example.com", password)
			ap := zh.get("/admin")
			p := zh.post("/admin/users", url.Values{"csrf": {ap.csrf(t)}, "email": {"admin@example.com"}, "role": {"sales"}, "password": {"correct horse battery staple 9"}})
			refused(t, "a user who exists, in Chinese", p, 400, []string{`value="admin@example.com"`}, "new-email", "new-user-error", "")
			if strings.Contains(p.body, "a user with this email already exists") {
				t.Error("the refusal is in English on the Chinese page")
			}
		})
	})
}
