package main_test

import (
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"strongroom.dev/strongroom/internal/testkit"
)

var heldForm = regexp.MustCompile(`action="/privacy/held/(held_[0-9a-f]+)/read"`)

// Partial erasure in the web UI: a hold on the person's identity placed
// on the erasure request's page, the erasure keeps it apart, the outcome
// says so and links the held records; the privacy officer opens the held
// record with a reason, the auditor sees only what is held and why.
func TestWebErasureUnderHold(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		storage := storageArgs(t, db)
		addUser(t, storage, "admin@example.com", "admin")
		addUser(t, storage, "dpo@example.com", "privacy_officer")
		addUser(t, storage, "auditor@example.com", "auditor")
		s := start(t, storage)
		tok := s.Login(t, "admin@example.com", password)
		c := s.Do(t, "POST", "/api/v1/customers", tok, map[string]any{"name": "Fang Held", "email": "fang.held@example.cn", "national_id": "110101198001010011"})
		if c.Status != 201 {
			t.Fatalf("create: %d %s", c.Status, c.Body)
		}
		e := s.Do(t, "POST", "/api/v1/customers/"+c.Str("id")+"/requests", tok, map[string]any{"kind": "erasure"})
		b := newBrowser(t, s, "en")
		b.login("admin@example.com", password)
		ep := b.get("/privacy/requests/" + e.Str("id"))
		if !strings.Contains(ep.body, `<option value="identity">Identity (name and national id)</option>`) {
			t.Fatal("the hold form does not offer the fixed scopes")
		}
		until := time.Now().AddDate(5, 0, 0).Format(time.DateOnly)
		if p := b.post("/privacy/requests/"+e.Str("id")+"/hold", url.Values{"csrf": {ep.csrf(t)}, "scope": {"identity"}, "reason": {"AML due diligence"}, "until": {until}}); p.status != 303 {
			t.Fatalf("place a hold: %d %s", p.status, p.body)
		}
		// The erasure takes a second handler's approval: asked here, given by the privacy officer.
		if p := b.post("/privacy/requests/"+e.Str("id")+"/approval", url.Values{"csrf": {ep.csrf(t)}}); p.status != 303 {
			t.Fatalf("ask approval: %d %s", p.status, p.body)
		}
		if r := s.Do(t, "POST", "/api/v1/privacy/requests/"+e.Str("id")+"/approval/approve", s.Login(t, "dpo@example.com", password), nil); r.Status != 200 {
			t.Fatalf("approve: %d %s", r.Status, r.Body)
		}
		if p := b.post("/privacy/requests/"+e.Str("id")+"/erase", url.Values{"csrf": {ep.csrf(t)}, "confirm": {"1"}}); p.status != 303 {
			t.Fatalf("erase: %d %s", p.status, p.body)
		}
		rp := b.get("/privacy/requests/" + e.Str("id"))
		if !strings.Contains(rp.body, "identity (1) until "+until) || !strings.Contains(rp.body, `href="/privacy/held" id="held-link"`) {
			t.Fatalf("the outcome does not say what is held:\n%s", rp.body)
		}

		dpo := newBrowser(t, s, "en")
		dpo.login("dpo@example.com", password)
		hp := dpo.get("/privacy/held")
		m := heldForm.FindStringSubmatch(hp.body)
		if hp.status != 200 || m == nil || !strings.Contains(hp.body, "AML due diligence") || strings.Contains(hp.body, "Fang Held") {
			t.Fatalf("the held records page: %d\n%s", hp.status, hp.body)
		}
		if p := dpo.post("/privacy/held/"+m[1]+"/read", url.Values{"csrf": {hp.csrf(t)}, "reason": {" "}}); p.status != 400 || strings.Contains(p.body, "Fang Held") {
			t.Fatalf("open without a reason: %d", p.status)
		}
		if p := dpo.post("/privacy/held/"+m[1]+"/read", url.Values{"csrf": {hp.csrf(t)}, "reason": {"AML inspection"}}); p.status != 200 || !strings.Contains(p.body, `id="held-name">Fang Held<`) {
			t.Fatalf("open with a reason: %d\n%s", p.status, p.body)
		}

		aud := newBrowser(t, s, "zh-CN")
		aud.login("auditor@example.com", password)
		ap := aud.get("/privacy/held")
		if ap.status != 200 || !strings.Contains(ap.body, "保全记录") || !strings.Contains(ap.body, "身份（姓名和身份证号）") || heldForm.MatchString(ap.body) {
			t.Fatalf("the auditor's held records page: %d", ap.status)
		}
		if p := aud.post("/privacy/held/"+m[1]+"/read", url.Values{"csrf": {ap.csrf(t)}, "reason": {"curious"}}); p.status != 403 || strings.Contains(p.body, "Fang Held") {
			t.Fatalf("the auditor opening a held record: %d", p.status)
		}
	})
}
