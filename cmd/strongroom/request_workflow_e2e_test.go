package main_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"strongroom.dev/strongroom/internal/testkit"
)

// The request workflow in the web UI, on both engines: an administrator
// assigns an erasure request to the privacy officer, who finds it under
// "assigned to me"; the erasure is refused until a second handler
// approves; the officer asks, cannot approve it themselves, the
// administrator approves, and the officer erases; the request's timeline
// shows each step. The minimisation report is linked from the requests
// page, in English and Chinese.
func TestWebRequestWorkflow(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		storage := storageArgs(t, db)
		addUser(t, storage, "admin@example.com", "admin")
		addUser(t, storage, "dpo@example.com", "privacy_officer")
		s := start(t, storage)
		tok := s.Login(t, "admin@example.com", password)
		c := s.Do(t, "POST", "/api/v1/customers", tok, map[string]any{"name": "He Ping", "email": "he.ping@example.cn", "notes": "never read"})
		if c.Status != 201 {
			t.Fatalf("create: %d %s", c.Status, c.Body)
		}
		e := s.Do(t, "POST", "/api/v1/customers/"+c.Str("id")+"/requests", tok, map[string]any{"kind": "erasure", "law": "pipl"})
		if e.Status != 201 {
			t.Fatalf("request: %d %s", e.Status, e.Body)
		}
		id := e.Str("id")
		hs := s.Do(t, "GET", "/api/v1/privacy/handlers", tok, nil)
		var handlers struct{ Items []struct{ ID, Email string } }
		json.Unmarshal(hs.Body, &handlers)
		dpoID := ""
		for _, h := range handlers.Items {
			if h.Email == "dpo@example.com" {
				dpoID = h.ID
			}
		}
		if dpoID == "" {
			t.Fatalf("handlers: %s", hs.Body)
		}

		admin := newBrowser(t, s, "en")
		admin.login("admin@example.com", password)
		rp := admin.get("/privacy/requests/" + id)
		if rp.status != 200 || !strings.Contains(rp.body, `id="assign-form"`) || !strings.Contains(rp.body, "dpo@example.com") {
			t.Fatalf("the request page lacks the assignment: %d", rp.status)
		}
		if p := admin.post("/privacy/requests/"+id+"/assign", url.Values{"csrf": {rp.csrf(t)}, "user_id": {dpoID}}); p.status != 303 {
			t.Fatalf("assign: %d %s", p.status, p.body)
		}

		dpo := newBrowser(t, s, "en")
		dpo.login("dpo@example.com", password)
		if p := dpo.get("/privacy/requests?mine=true"); !strings.Contains(p.body, "/privacy/requests/"+id) || !strings.Contains(p.body, "<strong>me</strong>") {
			t.Fatalf("assigned to me lacks the request:\n%s", p.body)
		}
		dp := dpo.get("/privacy/requests/" + id)
		if p := dpo.post("/privacy/requests/"+id+"/erase", url.Values{"csrf": {dp.csrf(t)}, "confirm": {"1"}}); p.status != 409 || !strings.Contains(p.body, "second handler") {
			t.Fatalf("an erasure without approval: %d", p.status)
		}
		if p := dpo.post("/privacy/requests/"+id+"/approval", url.Values{"csrf": {dp.csrf(t)}}); p.status != 303 {
			t.Fatalf("ask approval: %d %s", p.status, p.body)
		}
		dp = dpo.get("/privacy/requests/" + id)
		if !strings.Contains(dp.body, `id="approval"`) || strings.Contains(dp.body, `id="approve-now"`) {
			t.Fatal("the asker's page: no approval section, or an approve button")
		}
		if p := dpo.post("/privacy/requests/"+id+"/approval/approve", url.Values{"csrf": {dp.csrf(t)}}); p.status != 409 || !strings.Contains(p.body, "another handler") {
			t.Fatalf("the asker approving: %d", p.status)
		}
		if p := admin.get("/privacy/requests"); !strings.Contains(p.body, "awaiting approval") || !strings.Contains(p.body, "dpo@example.com") ||
			!strings.Contains(p.body, "rejecting the request") {
			t.Fatal("the list does not show the request awaiting approval, its handler, or the approval rule")
		}
		rp = admin.get("/privacy/requests/" + id)
		if !strings.Contains(rp.body, `id="approve-now"`) {
			t.Fatal("the other handler has no approve button")
		}
		if p := admin.post("/privacy/requests/"+id+"/approval/approve", url.Values{"csrf": {rp.csrf(t)}}); p.status != 303 {
			t.Fatalf("approve: %d %s", p.status, p.body)
		}
		dp = dpo.get("/privacy/requests/" + id)
		if p := dpo.post("/privacy/requests/"+id+"/erase", url.Values{"csrf": {dp.csrf(t)}, "confirm": {"1"}}); p.status != 303 {
			t.Fatalf("erase: %d %s", p.status, p.body)
		}
		dp = dpo.get("/privacy/requests/" + id)
		for _, want := range []string{`id="request-closed-by"`, "request.assign", "request.approval_ask", "request.approve", "request.completed", "approved by"} {
			if !strings.Contains(dp.body, want) {
				t.Errorf("the erased request's page lacks %q", want)
			}
		}
		if r := s.Do(t, "GET", "/api/v1/customers/"+c.Str("id"), tok, nil); r.Status != 404 {
			t.Fatalf("the erased customer: %d", r.Status)
		}

		// The minimisation report, linked from the requests page.
		if p := dpo.get("/privacy/requests"); !strings.Contains(p.body, `href="/privacy/minimisation"`) {
			t.Fatal("the requests page does not link the minimisation report")
		}
		if p := dpo.get("/privacy/minimisation"); p.status != 200 || !strings.Contains(p.body, "Minimisation report") || !strings.Contains(p.body, `id="role-privacy_officer"`) ||
			!strings.Contains(p.body, `id="template-counselling_agency"`) {
			t.Fatalf("the minimisation page: %d", p.status)
		}
		zh := newBrowser(t, s, "zh-CN")
		zh.login("dpo@example.com", password)
		if p := zh.get("/privacy/minimisation"); !strings.Contains(p.body, "最小化报告") || !strings.Contains(p.body, "行业模板") {
			t.Fatal("the minimisation page is not in Chinese")
		}
		if p := zh.get("/privacy/requests/" + id); !strings.Contains(p.body, "关闭人") || !strings.Contains(p.body, "处理人") {
			t.Fatal("the request page is not in Chinese")
		}
	})
}
