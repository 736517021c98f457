package main_test

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"strongroom.dev/strongroom/internal/testkit"
)

// localTime is how the UI writes at for a reader in zone (tests compute it
// themselves, from the API's ISO-8601 UTC field).
func localTime(t *testing.T, at, zone string, zh bool) string {
	t.Helper()
	ts, err := time.Parse(time.RFC3339Nano, at)
	if err != nil {
		t.Fatalf("created_at %q: %v", at, err)
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}
	ts = ts.In(loc)
	offset := "UTC"
	if _, off := ts.Zone(); off != 0 {
		sign := "+"
		if off < 0 {
			sign, off = "−", -off
		}
		offset = fmt.Sprintf("UTC%s%d", sign, off/3600)
		if m := off % 3600 / 60; m != 0 {
			offset += fmt.Sprintf(":%02d", m)
		}
	}
	if zh {
		return ts.Format("2006年1月2日 15:04 ") + offset
	}
	return ts.Format("2 Jan 2006 15:04 ") + offset
}

// Times follow the user, not the language: on both engines, an
// administrator in Shanghai reading Chinese and one in New York reading
// English open the same customer and see its creation at their own local
// time, with the zone said; a zone outside the tz database is refused
// with a translated message and the form keeps it; the browser's zone,
// reported by the login page's script, becomes a new user's zone at login
// and is ignored when it is not a zone (UTC, stated).
func TestWebTimeZones(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		storage := storageArgs(t, db)
		addUser(t, storage, "wang@example.com", "admin")
		addUser(t, storage, "smith@example.com", "admin")
		addUser(t, storage, "tanaka@example.com", "sales")
		addUser(t, storage, "bogus@example.com", "sales")
		s := start(t, storage)
		created := s.Do(t, "POST", "/api/v1/customers", s.Login(t, "smith@example.com", password), map[string]string{"name": "Zhou Min", "email": "zhou@example.cn"})
		id, at := created.Str("id"), created.Str("created_at")
		if created.Status != 201 || !strings.HasSuffix(at, "Z") {
			t.Fatalf("create: %d %s (machine fields stay ISO-8601 UTC)", created.Status, created.Body)
		}

		shanghai := newBrowser(t, s, "zh-CN")
		shanghai.login("wang@example.com", password)
		newYork := newBrowser(t, s, "en")
		newYork.login("smith@example.com", password)
		for _, c := range []struct {
			b    *browser
			zone string
			zh   bool
		}{{shanghai, "Asia/Shanghai", true}, {newYork, "America/New_York", false}} {
			page := c.b.get("/sessions")
			if !strings.Contains(page.body, `id="time_zone"`) || !strings.Contains(page.body, `value="UTC"`) {
				t.Fatalf("without a browser zone the form says UTC:\n%s", page.body)
			}
			if p := c.b.post("/preferences/time", url.Values{"csrf": {page.csrf(t)}, "time_zone": {c.zone}, "time_format": {""}}); p.status != http.StatusSeeOther || !strings.Contains(p.location, "flash=time_saved") {
				t.Fatalf("set %s: %d %s", c.zone, p.status, p.body)
			}
			want := localTime(t, at, c.zone, c.zh)
			if p := c.b.get("/customers/" + id); p.status != 200 || !strings.Contains(html.UnescapeString(p.body), want) {
				t.Fatalf("%s does not see the customer's creation as %q:\n%s", c.zone, want, p.body)
			}
		}
		if a, b := localTime(t, at, "Asia/Shanghai", true), localTime(t, at, "America/New_York", false); !strings.Contains(a, "UTC+8") || !strings.Contains(b, "UTC−") {
			t.Fatalf("the zones are not said: %q %q", a, b)
		}

		// A zone that is not one: refused in the reader's language, the typed value kept, nothing changed.
		page := shanghai.get("/sessions")
		bad := shanghai.post("/preferences/time", url.Values{"csrf": {page.csrf(t)}, "time_zone": {"Asia/Atlantis"}, "time_format": {""}})
		if bad.status != 400 || !strings.Contains(bad.body, "这不是 tz 数据库中的时区") || !strings.Contains(bad.body, `value="Asia/Atlantis"`) || !strings.Contains(bad.body, `aria-invalid="true"`) {
			t.Fatalf("an unknown zone: %d\n%s", bad.status, bad.body)
		}
		if p := shanghai.get("/customers/" + id); !strings.Contains(html.UnescapeString(p.body), localTime(t, at, "Asia/Shanghai", true)) {
			t.Fatal("a refused zone changed the user's zone")
		}
		// The ISO format, kept per user, in the same zone.
		if p := newYork.post("/preferences/time", url.Values{"csrf": {newYork.get("/sessions").csrf(t)}, "time_zone": {"America/New_York"}, "time_format": {"iso"}}); p.status != http.StatusSeeOther {
			t.Fatalf("iso: %d %s", p.status, p.body)
		}
		ts, _ := time.Parse(time.RFC3339Nano, at)
		ny, _ := time.LoadLocation("America/New_York")
		if want := ts.In(ny).Format("2006-01-02 15:04 UTC−"); !strings.Contains(newYork.get("/customers/"+id).body, want) {
			t.Fatalf("the ISO format: no %q", want)
		}

		// The browser's zone at login: taken for a user without one; a non-zone is ignored.
		for _, c := range []struct{ email, cookie, want string }{
			{"tanaka@example.com", "Asia/Tokyo", `value="Asia/Tokyo"`},
			{"bogus@example.com", "../../etc/localtime", `value="UTC"`},
		} {
			b := newBrowser(t, s, "en")
			u, _ := url.Parse(s.URL)
			b.c.Jar.SetCookies(u, []*http.Cookie{{Name: "__Host-strongroom-tz", Value: c.cookie, Path: "/"}})
			if p := b.login(c.email, password); p.status != http.StatusSeeOther {
				t.Fatalf("login: %d", p.status)
			}
			if p := b.get("/sessions"); !strings.Contains(p.body, c.want) {
				t.Fatalf("%s with browser zone %q: want %s\n%s", c.email, c.cookie, c.want, p.body)
			}
		}
		// A chosen zone is not overwritten by the next browser's.
		b := newBrowser(t, s, "zh-CN")
		u, _ := url.Parse(s.URL)
		b.c.Jar.SetCookies(u, []*http.Cookie{{Name: "__Host-strongroom-tz", Value: "Europe/Paris", Path: "/"}})
		b.login("wang@example.com", password)
		if p := b.get("/sessions"); !strings.Contains(p.body, `value="Asia/Shanghai"`) {
			t.Fatalf("the browser's zone replaced the user's choice:\n%s", p.body)
		}
	})
}

var endButtons = regexp.MustCompile(`action="(/sessions/ses_[0-9a-f]+/end)"`)

// Destructive actions run only when confirmed: on both engines, each
// posted without its confirmation is answered with a page that spells out
// the consequence (in the reader's language) and a required checkbox, and
// nothing happens; posted again with it, it is done and the page after it
// says what happened.
func TestWebConfirmDestructive(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		storage := storageArgs(t, db)
		addUser(t, storage, "admin@example.com", "admin")
		addUser(t, storage, "other@example.com", "admin")
		addUser(t, storage, "sales1@example.com", "sales")
		addUser(t, storage, "sales2@example.com", "sales")
		addUser(t, storage, "zhao@example.com", "sales")
		s := start(t, storage)
		admin := newBrowser(t, s, "en")
		admin.login("admin@example.com", password)
		tok := s.Login(t, "admin@example.com", password)
		custID := s.Do(t, "POST", "/api/v1/customers", tok, map[string]string{"name": "Chen Jie"}).Str("id")
		sales1ID := s.Do(t, "GET", "/api/v1/me", s.Login(t, "sales1@example.com", password), nil).Str("user_id")
		sales2ID := s.Do(t, "GET", "/api/v1/me", s.Login(t, "sales2@example.com", password), nil).Str("user_id")
		p := admin.get("/admin/clients")
		made := admin.post("/admin/clients", url.Values{"csrf": {p.csrf(t)}, "name": {"ShipQuick"}, "role": {"auditor"}})
		clientID := regexp.MustCompile(`id="client-id">(cli_[0-9a-f]+)<`).FindStringSubmatch(made.body)
		if clientID == nil {
			t.Fatalf("client: %d\n%s", made.status, made.body)
		}
		s1 := newBrowser(t, s, "en")
		s1.login("sales1@example.com", password)
		s2 := newBrowser(t, s, "zh-CN")
		s2.login("sales2@example.com", password)
		s2b := newBrowser(t, s, "zh-CN")
		s2b.login("sales2@example.com", password)
		z1 := newBrowser(t, s, "zh-CN")
		z1.login("zhao@example.com", password)
		z2 := newBrowser(t, s, "zh-CN")
		z2.login("zhao@example.com", password)
		other := newBrowser(t, s, "en")
		other.login("other@example.com", password)
		csrf := admin.get("/admin").csrf(t)
		works := func(b *browser) bool { return b.get("/customers").status == 200 }

		for _, c := range []struct {
			name        string
			b           *browser
			path        func() string
			form        url.Values
			consequence string // on the confirmation page
			done        func() bool
			flash       string // on the page after it
		}{
			{"delete customer", admin, func() string { return "/customers/" + custID + "/delete" }, nil, "this cannot be undone",
				func() bool { return admin.get("/customers/"+custID).status == 404 }, "Customer deleted."},
			{"disable user", admin, func() string { return "/admin/users/" + sales1ID + "/disabled" }, url.Values{"disabled": {"1"}}, "Every session of theirs ends at once",
				func() bool { return !works(s1) }, "The user is disabled and logged out everywhere."},
			{"end a session", admin, func() string {
				return endButtons.FindStringSubmatch(admin.get("/sessions?user_id=" + sales2ID).body)[1]
			}, url.Values{"user_id": {sales2ID}}, "is logged out at once",
				func() bool { return !works(s2) || !works(s2b) }, "The session is ended."},
			{"end my other sessions (Chinese)", z2, func() string { return "/sessions/end-others" }, nil, "您登录的其他所有浏览器和设备将立即退出登录",
				func() bool { return !works(z1) }, "其他会话已结束。"},
			{"end every user's sessions", admin, func() string { return "/admin/sessions/end" }, nil, "Everyone but you is logged out",
				func() bool { return !works(other) }, "Every other session has ended"},
			{"delete OAuth client", admin, func() string { return "/admin/clients/" + clientID[1] + "/delete" }, nil, "refused at once",
				func() bool { return !strings.Contains(admin.get("/admin/clients").body, clientID[1]) }, "The client and its tokens are deleted."},
		} {
			t.Run(c.name, func(t *testing.T) {
				path := c.path()
				form := url.Values{"csrf": {c.b.get("/sessions").csrf(t)}}
				if c.b == admin {
					form.Set("csrf", csrf)
				}
				for k, v := range c.form {
					form[k] = v
				}
				asked := c.b.post(path, form)
				if asked.status != http.StatusBadRequest || !strings.Contains(asked.body, c.consequence) || !strings.Contains(asked.body, `id="confirm-box"`) ||
					!strings.Contains(asked.body, `required`) || !strings.Contains(asked.body, `action="`+path+`"`) {
					t.Fatalf("unconfirmed: %d\n%s", asked.status, asked.body)
				}
				for k, v := range c.form { // the confirmation form carries what the first one did
					if !strings.Contains(asked.body, `name="`+k+`" value="`+v[0]+`"`) {
						t.Fatalf("the confirmation page lost %s:\n%s", k, asked.body)
					}
				}
				if c.done() {
					t.Fatal("done without confirmation")
				}
				form.Set("confirm", "1")
				did := c.b.post(path, form)
				if did.status != http.StatusSeeOther {
					t.Fatalf("confirmed: %d\n%s", did.status, did.body)
				}
				if !c.done() {
					t.Fatal("not done after confirmation")
				}
				if after := c.b.get(strings.TrimPrefix(did.location, s.URL)); c.flash != "" && !strings.Contains(after.body, c.flash) {
					t.Fatalf("after it (%s) the page does not say %q:\n%s", did.location, c.flash, after.body)
				}
			})
		}
	})
}
