package main_test

import (
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"strongroom.dev/strongroom/internal/testkit"
)

var incidentLink = regexp.MustCompile(`href="/privacy/incidents/(inc_[0-9a-f]+)"`)

// The breach response in the web UI, on both engines: a sales account is
// compromised; the administrator opens the incident from the privacy
// requests page, draws its scope from the audit log (the customer the
// account read, not the one it never touched), opens that person's notice
// with their name, records the decision (no notice to people: encrypted,
// key not taken), adds a task, and closes the incident only once the task
// is done and the authority's notice is given. A drill is marked as one
// and kept out of the real list. The page speaks Chinese too.
func TestWebBreachResponse(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		storage := storageArgs(t, db)
		addUser(t, storage, "admin@example.com", "admin")
		addUser(t, storage, "sales@example.com", "sales")
		s := start(t, storage)
		admin, sales := s.Login(t, "admin@example.com", password), s.Login(t, "sales@example.com", password)
		salesID, adminID := s.Do(t, "GET", "/api/v1/me", sales, nil).Str("user_id"), s.Do(t, "GET", "/api/v1/me", admin, nil).Str("user_id")
		touched := s.Do(t, "POST", "/api/v1/customers", sales, map[string]any{"name": "Xu Ping", "email": "xu.ping@example.cn"}).Str("id")
		if r := s.Do(t, "GET", "/api/v1/customers/"+touched, sales, nil); r.Status != 200 {
			t.Fatalf("sales reads their customer: %d", r.Status)
		}
		untouched := s.Do(t, "POST", "/api/v1/customers", admin, map[string]any{"name": "Yan Bo"}).Str("id")
		if salesID == "" || touched == "" || untouched == "" {
			t.Fatal("the fixture did not come up")
		}

		b := newBrowser(t, s, "en")
		b.login("admin@example.com", password)
		if p := b.get("/privacy/requests"); !strings.Contains(p.body, `href="/privacy/incidents"`) {
			t.Fatal("the requests page does not link to the incidents")
		}
		lp := b.get("/privacy/incidents")
		if lp.status != 200 || !strings.Contains(lp.body, "No incidents.") {
			t.Fatalf("incidents page: %d", lp.status)
		}
		now := time.Now().UTC()
		form := url.Values{"csrf": {lp.csrf(t)}, "title": {"Phished sales account"}, "description": {"The rep entered their password on a fake login page."},
			"kind": {"account"}, "discovered_at": {now.Format("2006-01-02T15:04")}, "window_from": {now.Add(-time.Hour).Format("2006-01-02T15:04")},
			"window_to": {now.Add(time.Hour).Format("2006-01-02T15:04")}, "actor_id": {salesID}}
		bad := url.Values{}
		for k, v := range form {
			bad[k] = v
		}
		bad.Set("window_to", "soon")
		if p := b.post("/privacy/incidents", bad); p.status != 400 || !strings.Contains(p.body, `id="incident-error"`) || !strings.Contains(p.body, "Phished sales account") {
			t.Fatalf("a bad time: %d", p.status)
		}
		if p := b.post("/privacy/incidents", form); p.status != 303 || !strings.HasPrefix(p.location, "/privacy/incidents/inc_") {
			t.Fatalf("open: %d %s", p.status, p.body)
		}
		m := incidentLink.FindStringSubmatch(b.get("/privacy/incidents").body)
		if m == nil {
			t.Fatal("the incident is not listed")
		}
		path := "/privacy/incidents/" + m[1]
		ip := b.get(path)
		if !strings.Contains(ip.body, "Authority&#39;s notice due") || !strings.Contains(ip.body, "PIPL Art. 57") || !strings.Contains(ip.body, "1798.82") {
			t.Fatalf("the clock and duties are not shown:\n%s", ip.body)
		}
		if p := b.post(path+"/scope", url.Values{"csrf": {ip.csrf(t)}}); p.status != 303 {
			t.Fatalf("scope: %d %s", p.status, p.body)
		}
		ip = b.get(path)
		if !strings.Contains(ip.body, touched) || strings.Contains(ip.body, untouched) || strings.Contains(ip.body, "Xu Ping") {
			t.Fatal("the scope is not exactly the customer the account read, or it shows a name")
		}
		if p := b.get(path + "/drafts/" + touched); p.status != 200 || !strings.Contains(p.body, "Dear Xu Ping") || !strings.Contains(p.body, "Xu Ping：") {
			t.Fatalf("the person's notice: %d", p.status)
		}
		if p := b.post(path+"/decision", url.Values{"csrf": {ip.csrf(t)}, "people_reason": {"art34_3a"}}); p.status != 400 || !strings.Contains(p.body, "unlikely to result in a risk") {
			t.Fatalf("no authority notice and no reason: %d", p.status)
		}
		if p := b.post(path+"/decision", url.Values{"csrf": {ip.csrf(t)}, "notify_authority": {"1"}, "people_reason": {"art34_3a"}, "note": {"the export file was encrypted"}}); p.status != 303 {
			t.Fatalf("decide: %d %s", p.status, p.body)
		}
		if p := b.post(path+"/tasks", url.Values{"csrf": {ip.csrf(t)}, "title": {"End the rep's sessions"}, "owner_id": {adminID}}); p.status != 303 {
			t.Fatalf("add a task: %d %s", p.status, p.body)
		}
		if p := b.post(path+"/status", url.Values{"csrf": {ip.csrf(t)}, "status": {"closed"}}); p.status != 409 {
			t.Fatalf("closing before the notice: %d", p.status)
		}
		if p := b.post(path+"/status", url.Values{"csrf": {ip.csrf(t)}, "status": {"notified"}, "note": {"authority reference 2026-88"}}); p.status != 303 {
			t.Fatalf("notified: %d %s", p.status, p.body)
		}
		ip = b.get(path)
		if !strings.Contains(ip.body, "key was not taken") || !strings.Contains(ip.body, "End the rep&#39;s sessions") {
			t.Fatal("the decision or the task is not shown")
		}
		if p := b.post(path+"/status", url.Values{"csrf": {ip.csrf(t)}, "status": {"closed"}}); p.status != 409 || !strings.Contains(p.body, "task is still open") {
			t.Fatalf("closing with a task open: %d", p.status)
		}
		task := regexp.MustCompile(`action="(` + path + `/tasks/itk_[0-9a-f]+/done)"`).FindStringSubmatch(ip.body)
		if task == nil {
			t.Fatal("no done button")
		}
		if p := b.post(task[1], url.Values{"csrf": {ip.csrf(t)}}); p.status != 303 {
			t.Fatalf("task done: %d", p.status)
		}
		if p := b.post(path+"/status", url.Values{"csrf": {ip.csrf(t)}, "status": {"closed"}, "note": {"reviewed"}}); p.status != 303 {
			t.Fatalf("close: %d %s", p.status, p.body)
		}
		ip = b.get(path)
		for _, step := range []string{"incident.create", "incident.scope", "incident.decide", "incident.task", "incident.notified", "incident.close"} {
			if !strings.Contains(ip.body, step) {
				t.Fatalf("the timeline lacks %s", step)
			}
		}
		if strings.Contains(ip.body, `id="incident-scope"`) {
			t.Fatal("a closed incident still offers to change")
		}

		// A drill: marked, and only in the list with drills.
		form.Set("title", "Drill: lost tablet")
		form.Set("drill", "1")
		if p := b.post("/privacy/incidents", form); p.status != 303 {
			t.Fatalf("drill: %d", p.status)
		}
		if p := b.get("/privacy/incidents"); strings.Contains(p.body, "Drill: lost tablet") {
			t.Fatal("a drill among the real incidents")
		}
		if p := b.get("/privacy/incidents?drills=true"); !strings.Contains(p.body, "Drill: lost tablet") || !strings.Contains(p.body, "DRILL") {
			t.Fatal("the drill is not listed as one")
		}

		zh := newBrowser(t, s, "zh-CN")
		zh.login("admin@example.com", password)
		if p := zh.get(path); !strings.Contains(p.body, "是否通知的决定") || !strings.Contains(p.body, "已结案") {
			t.Fatal("the incident page is not in Chinese")
		}
		if r := s.Do(t, "GET", "/api/v1/privacy/incidents", sales, nil); r.Status != 403 {
			t.Fatalf("sales listing incidents: %d", r.Status)
		}
		sb := newBrowser(t, s, "en")
		sb.login("sales@example.com", password)
		if p := sb.get(path); p.status != 403 || strings.Contains(p.body, "Phished sales account") {
			t.Fatalf("sales opening the incident page: %d", p.status)
		}
	})
}
