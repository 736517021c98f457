package main_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"strongroom.dev/strongroom/internal/testkit"
)

// TestStaticFilesOnly: /static/ serves Strongroom's files and lists no
// directory.
func TestStaticFilesOnly(t *testing.T) {
	s := start(t, storageArgs(t, testkit.NewSQLite(t)))
	b := newBrowser(t, s, "en")
	for path, want := range map[string]int{
		"/static/":        404,
		"/static/./":      404,
		"/static":         404,
		"/static/app.css": 200,
		"/static/nothing": 404,
	} {
		p := b.get(path)
		if p.status == http.StatusMovedPermanently || p.status == http.StatusTemporaryRedirect {
			p = b.get(p.location) // the mux cleans the path first
		}
		if p.status != want || strings.Contains(p.body, "app.css</a>") || strings.Contains(p.body, "<pre>") {
			t.Errorf("GET %s: %d, want %d\n%.200s", path, p.status, want, p.body)
		}
	}
}

// TestLanguageCookie: the language choice is kept in a __Host- cookie
// (Secure, Path=/, no Domain); the old "lang" cookie is ignored and
// removed at the next switch.
func TestLanguageCookie(t *testing.T) {
	s := start(t, storageArgs(t, testkit.NewSQLite(t)))
	b := newBrowser(t, s, "en")
	resp, err := b.c.PostForm(s.URL+"/lang", url.Values{"lang": {"zh-CN"}, "back": {"/login"}, "public": {"1"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var set, cleared string
	for _, c := range resp.Header.Values("Set-Cookie") {
		switch {
		case strings.HasPrefix(c, "__Host-strongroom-lang=zh-CN"):
			set = c
		case strings.HasPrefix(c, "lang="):
			cleared = c
		}
	}
	if set == "" {
		t.Fatalf("no __Host-strongroom-lang cookie: %q", resp.Header.Values("Set-Cookie"))
	}
	for _, attr := range []string{"Path=/", "Secure", "HttpOnly", "SameSite=Strict"} {
		if !strings.Contains(set, attr) {
			t.Errorf("language cookie %q lacks %s", set, attr)
		}
	}
	if strings.Contains(strings.ToLower(set), "domain=") {
		t.Errorf("language cookie %q names a domain", set)
	}
	if cleared != "" {
		t.Errorf("a browser without the old cookie is told to clear it: %q", cleared)
	}
	if p := b.get("/login"); p.header.Get("Content-Language") != "zh-CN" {
		t.Fatalf("the language cookie is not read: %q", p.header.Get("Content-Language"))
	}

	// The old cookie name, as a sibling host could plant it, is ignored…
	old := newBrowser(t, s, "en")
	u, _ := url.Parse(s.URL)
	old.c.Jar.SetCookies(u, []*http.Cookie{{Name: "lang", Value: "zh-CN", Path: "/"}})
	if p := old.get("/login"); p.header.Get("Content-Language") != "en" {
		t.Fatalf("the old lang cookie still chooses the language: %q", p.header.Get("Content-Language"))
	}
	// …and removed when the browser next switches.
	resp, err = old.c.PostForm(s.URL+"/lang", url.Values{"lang": {"en"}, "back": {"/login"}, "public": {"1"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	removed := false
	for _, c := range resp.Header.Values("Set-Cookie") {
		removed = removed || strings.HasPrefix(c, "lang=;") && strings.Contains(c, "Max-Age=0")
	}
	if !removed {
		t.Errorf("the old lang cookie is not removed: %q", resp.Header.Values("Set-Cookie"))
	}
}
