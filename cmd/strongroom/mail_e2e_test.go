package main_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"strongroom.dev/strongroom/internal/testkit"
)

// linkPath is the path and query of the link in an email.

// openLink opens an emailed link as a browser does: the first request
// moves the token out of the address into a cookie and redirects to the
// address without it, which is what history keeps; the page is there.
func openLink(t *testing.T, b *browser, link string) page {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	first := b.get(link)
	if first.status != http.StatusSeeOther || first.location != u.Path || first.body != "" && strings.Contains(first.body, tokenOf(t, link)) {
		t.Fatalf("opening %s: %d to %q, want a redirect to %s without the token", u.Path, first.status, first.location, u.Path)
	}
	cookie := first.header.Get("Set-Cookie")
	for _, attr := range []string{"__Host-strongroom-", "Path=/", "HttpOnly", "Secure", "SameSite=Lax", "Max-Age=3600"} {
		if !strings.Contains(cookie, attr) {
			t.Errorf("link cookie %q lacks %s", cookie, attr)
		}
	}
	p := b.get(first.location)
	if strings.Contains(p.body, tokenOf(t, link)) {
		t.Fatalf("the page of %s holds the token", u.Path)
	}
	return p
}

// startWithMail starts a server whose mail goes to a loopback SMTP server.

func TestEmailedLinks(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		storage := storageArgs(t, db)
		addUser(t, storage, "admin@example.com", "admin")
		addUser(t, storage, "sales1@example.com", "sales")
		s, smtp := startWithMail(t, storage)

		t.Run("reset by the emailed link, in the web UI", func(t *testing.T) {
			anon := newBrowser(t, s, "en")
			var pages []string
			for _, email := range []string{"ghost@example.com", "sales1@example.com"} {
				form := anon.get("/password/forgot")
				p := anon.post("/password/forgot", url.Values{"csrf": {form.csrf(t)}, "email": {email}})
				if p.status != http.StatusOK || !strings.Contains(p.body, `id="reset-sent"`) {
					t.Fatalf("forgot %s: %d\n%s", email, p.status, p.body)
				}
				pages = append(pages, p.body)
			}
			if pages[0] != pages[1] {
				t.Error("the answer differs between an unknown and a known account")
			}
			m := smtp.Next(t)
			if m.To != "sales1@example.com" {
				t.Fatalf("reset mail to %s", m.To)
			}
			link := linkPath(t, m)
			form := openLink(t, anon, link)
			if form.status != http.StatusOK || !strings.Contains(form.body, `name="password2"`) {
				t.Fatalf("the link's page: %d\n%s", form.status, form.body)
			}
			const next = "the emailed link worked fine"
			if p := anon.post("/password/reset", url.Values{"csrf": {form.csrf(t)}, "password": {next}, "password2": {next + "x"}}); p.status != http.StatusBadRequest {
				t.Fatalf("different passwords: %d", p.status)
			}
			form = anon.get("/password/reset") // the form again, the token still in its cookie
			p := anon.post("/password/reset", url.Values{"csrf": {form.csrf(t)}, "password": {next}, "password2": {next}})
			if p.status != http.StatusSeeOther || !strings.Contains(p.location, "/login?flash=password_reset_done") {
				t.Fatalf("reset: %d %s\n%s", p.status, p.location, p.body)
			}
			if p := openLink(t, anon, link); p.status != http.StatusBadRequest || !strings.Contains(p.body, "not valid") {
				t.Fatalf("a used link still opens the form: %d", p.status)
			}
			if r := s.Do(t, "POST", "/api/v1/sessions", "", map[string]string{"email": "sales1@example.com", "password": password}); r.Status != http.StatusUnauthorized {
				t.Fatalf("old password: %d", r.Status)
			}
			s.Login(t, "sales1@example.com", next)
		})

		t.Run("reset through the API", func(t *testing.T) {
			var bodies []string
			for _, email := range []string{"ghost@example.com", "admin@example.com"} {
				r := s.Do(t, "POST", "/api/v1/password-resets", "", map[string]string{"email": email})
				if r.Status != http.StatusAccepted {
					t.Fatalf("%s: %d %s", email, r.Status, r.Body)
				}
				bodies = append(bodies, string(r.Body))
			}
			if bodies[0] != bodies[1] {
				t.Error("the API answer differs between an unknown and a known account")
			}
			token := tokenOf(t, linkPath(t, smtp.Next(t)))
			if r := s.Do(t, "POST", "/api/v1/password-resets/complete", "", map[string]string{"token": token, "password": "password"}); r.Status != http.StatusBadRequest {
				t.Fatalf("a common password: %d %s", r.Status, r.Body)
			}
			if r := s.Do(t, "POST", "/api/v1/password-resets/complete", "", map[string]string{"token": token, "password": password}); r.Status != http.StatusNoContent {
				t.Fatalf("complete: %d %s", r.Status, r.Body)
			}
			if r := s.Do(t, "POST", "/api/v1/password-resets/complete", "", map[string]string{"token": token, "password": password}); r.Status != http.StatusBadRequest || r.Str("field") != "token" {
				t.Fatalf("second use: %d %s", r.Status, r.Body)
			}
		})

		t.Run("invite, accept, log in", func(t *testing.T) {
			admin := s.Login(t, "admin@example.com", password)
			r := s.Do(t, "POST", "/api/v1/invitations", admin, map[string]string{"email": "new.hire@example.com", "role": "support", "team": "north"})
			if r.Status != http.StatusCreated || r.JSON["mailed"] != true || r.Str("link") != "" {
				t.Fatalf("invite: %d %s", r.Status, r.Body)
			}
			m := smtp.Next(t)
			link := linkPath(t, m)
			if m.To != "new.hire@example.com" || !strings.HasPrefix(link, "/invite?") || !strings.Contains(m.Body, "admin@example.com") {
				t.Fatalf("invitation email to %s:\n%s", m.To, m.Body)
			}
			if r := s.Do(t, "POST", "/api/v1/invitations", s.Login(t, "sales1@example.com", "the emailed link worked fine"), map[string]string{"email": "x@example.com", "role": "admin"}); r.Status != http.StatusForbidden {
				t.Fatalf("a salesperson invited an admin: %d", r.Status)
			}
			b := newBrowser(t, s, "zh-CN")
			form := openLink(t, b, link)
			if !strings.Contains(form.body, "接受邀请") {
				t.Fatalf("the invitation page in Chinese:\n%s", form.body)
			}
			const pw = "我的新密码很长很长很长很长很长"
			p := b.post("/invite", url.Values{"csrf": {form.csrf(t)}, "password": {pw}, "password2": {pw}})
			if p.status != http.StatusSeeOther {
				t.Fatalf("accept: %d\n%s", p.status, p.body)
			}
			s.Login(t, "new.hire@example.com", pw)
		})
	})
}
