package main_test

import (
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"strongroom.dev/strongroom/internal/testkit"
)

var webhookLink = regexp.MustCompile(`href="/admin/webhooks/(whk_[0-9a-f]+)"`)
var webhookSecret = regexp.MustCompile(`whsec_[A-Za-z0-9+/=]+`)

// The webhooks page, on both engines, in English and Chinese: an
// administrator is refused a loopback destination with a readable
// message (the form keeps what was typed), creates one in the allowed
// range and sees its secret once (never again on the list), pauses it,
// sends a test message, replaces the secret (the new one shown once), and deletes it only after ticking the box; an
// auditor sees the list without the forms; sales may not open it.
func TestWebWebhooks(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		storage := storageArgs(t, db)
		addUser(t, storage, "admin@example.com", "admin")
		addUser(t, storage, "auditor@example.com", "auditor")
		addUser(t, storage, "sales@example.com", "sales")
		s := start(t, storage, "--webhook-allow", "192.0.2.0/24")
		admin := newBrowser(t, s, "en")
		admin.login("admin@example.com", password)

		page := admin.get("/admin/webhooks")
		if page.status != 200 || !strings.Contains(page.body, `id="no-webhooks"`) || !strings.Contains(page.body, `id="webhook-form"`) {
			t.Fatalf("the empty page: %d\n%s", page.status, page.body)
		}
		refused := admin.post("/admin/webhooks", url.Values{"csrf": {page.csrf(t)}, "name": {"Metadata"}, "url": {"https://169.254.169.254/latest/"},
			"role": {"marketing"}, "events": {"customer.created"}})
		if refused.status != 400 || !strings.Contains(refused.body, "special-purpose address") || !strings.Contains(refused.body, "Metadata") {
			t.Fatalf("a link-local destination: %d\n%s", refused.status, refused.body)
		}
		made := admin.post("/admin/webhooks", url.Values{"csrf": {page.csrf(t)}, "name": {"Logistics"}, "url": {"https://192.0.2.10/hooks"},
			"role": {"marketing"}, "events": {"customer.created", "visit.checked_in"}})
		secret := secretIn(made.body)
		if made.status != 200 || secret == "" || !strings.Contains(made.body, `id="webhook-secret"`) {
			t.Fatalf("create: %d\n%s", made.status, made.body)
		}
		list := admin.get("/admin/webhooks")
		m := webhookLink.FindStringSubmatch(list.body)
		if m == nil || strings.Contains(html.UnescapeString(list.body), secret) || !strings.Contains(list.body, "visit.checked_in") {
			t.Fatalf("the list after creating:\n%s", list.body)
		}
		if p := admin.post("/admin/webhooks/"+m[1]+"/paused", url.Values{"csrf": {list.csrf(t)}, "paused": {"1"}}); p.status != 303 {
			t.Fatalf("pause: %d %s", p.status, p.body)
		}
		if list = admin.get("/admin/webhooks"); !strings.Contains(list.body, "paused") || !strings.Contains(list.body, "Resume") {
			t.Fatal("the list does not show the pause")
		}
		one := admin.get("/admin/webhooks/" + m[1])
		if p := admin.post("/admin/webhooks/"+m[1]+"/test", url.Values{"csrf": {one.csrf(t)}}); p.status != 303 {
			t.Fatalf("test: %d %s", p.status, p.body)
		}
		if one = admin.get("/admin/webhooks/" + m[1]); !strings.Contains(one.body, "webhook.test") {
			t.Fatalf("the delivery log lacks the test message:\n%s", one.body)
		}
		rotated := admin.post("/admin/webhooks/"+m[1]+"/rotate", url.Values{"csrf": {one.csrf(t)}})
		if again := secretIn(rotated.body); rotated.status != 200 || again == "" || again == secret {
			t.Fatalf("rotate: %d\n%s", rotated.status, rotated.body)
		}

		auditor := newBrowser(t, s, "zh-CN")
		auditor.login("auditor@example.com", password)
		if p := auditor.get("/admin/webhooks"); p.status != 200 || !strings.Contains(p.body, "Logistics") || strings.Contains(p.body, `id="webhook-form"`) || !strings.Contains(p.body, "读取角色") {
			t.Fatalf("the auditor's page: %d\n%s", p.status, p.body)
		}
		sales := newBrowser(t, s, "en")
		sales.login("sales@example.com", password)
		if p := sales.get("/admin/webhooks"); p.status != 403 {
			t.Fatalf("sales: %d", p.status)
		}

		if p := admin.post("/admin/webhooks/"+m[1]+"/delete", url.Values{"csrf": {one.csrf(t)}}); p.status != 400 || !strings.Contains(p.body, "Tick the box") {
			t.Fatalf("delete unconfirmed: %d\n%s", p.status, p.body)
		}
		if p := admin.post("/admin/webhooks/"+m[1]+"/delete", url.Values{"csrf": {one.csrf(t)}, "confirm": {"1"}}); p.status != 303 {
			t.Fatalf("delete: %d %s", p.status, p.body)
		}
		if list = admin.get("/admin/webhooks"); !strings.Contains(list.body, `id="no-webhooks"`) {
			t.Fatal("still listed after deletion")
		}
	})
}

// secretIn finds a webhook secret on a page. The page escapes the base64
// alphabet's "+" as "&#43;", so the page is unescaped first.
func secretIn(page string) string { return webhookSecret.FindString(html.UnescapeString(page)) }
