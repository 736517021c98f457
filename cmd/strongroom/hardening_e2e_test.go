package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"strongroom.dev/strongroom/internal/e2e"

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

// TestRefusalsAudited: a function the role does not allow, a form without
// its CSRF token, a cross-site request and a flood over the per-address
// rate each leave a security event (action, outcome denied, actor when
// known, client address, route, reason) that an auditor sees; a flood
// leaves one event per address and minute, not one per refused request.
func TestRefusalsAudited(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		storage := storageArgs(t, db)
		addUser(t, storage, "sales1@example.com", "sales")
		addUser(t, storage, "auditor@example.com", "auditor")
		s := start(t, storage)
		sales := s.Login(t, "sales1@example.com", password)
		salesID := s.Do(t, "GET", "/api/v1/me", sales, nil).Str("user_id")
		auditor := s.Login(t, "auditor@example.com", password)

		if r := s.Do(t, "GET", "/api/v1/users", sales, nil); r.Status != 403 {
			t.Fatalf("sales GET /api/v1/users: %d %s", r.Status, r.Body)
		}
		web := newBrowser(t, s, "en")
		web.login("sales1@example.com", password)
		if p := web.post("/customers", url.Values{"name": {"Forged"}}); p.status != 403 {
			t.Fatalf("a form without its token: %d", p.status)
		}
		if r := s.Do(t, "POST", "/api/v1/customers", "", `{"name":"x"}`, "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"); r.Status != 403 {
			t.Fatalf("cross-site POST: %d %s", r.Status, r.Body)
		}
		// A flood from one address: well over the burst of 400, at once.
		var mu sync.Mutex
		refused := 0
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 150 {
					resp, err := s.Client.Get(s.URL + "/healthz")
					if err != nil {
						t.Error(err)
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode == http.StatusTooManyRequests {
						mu.Lock()
						refused++
						mu.Unlock()
					}
				}
			}()
		}
		wg.Wait()
		if refused < 2 {
			t.Fatalf("the flood met %d refusals; the test needs several", refused)
		}

		r := s.Do(t, "GET", "/api/v1/audit?object_type=route&limit=1000", auditor, nil)
		if r.Status != 200 {
			t.Fatalf("audit: %d %s", r.Status, r.Body)
		}
		var page struct {
			Items []struct {
				Action   string `json:"action"`
				ActorID  string `json:"actor_id"`
				IP       string `json:"ip"`
				ObjectID string `json:"object_id"`
				Outcome  string `json:"outcome"`
				Reason   string `json:"reason"`
			} `json:"items"`
		}
		json.Unmarshal(r.Body, &page)
		type key struct{ action, actor, route string }
		got := map[key]int{}
		for _, e := range page.Items {
			if e.Outcome != "denied" || e.IP != "127.0.0.1" || e.Reason == "" {
				t.Errorf("refusal event %+v: want outcome denied, ip 127.0.0.1 and a reason", e)
			}
			got[key{e.Action, e.ActorID, e.ObjectID}]++
		}
		for k, n := range map[key]int{
			{"security.forbidden", salesID, "GET /api/v1/users"}:    1,
			{"security.csrf", salesID, "POST /customers"}:           1,
			{"security.cross_origin", "", "POST /api/v1/customers"}: 1,
			{"security.rate_limit", "", "GET /healthz"}:             1,
		} {
			if got[k] != n {
				t.Errorf("%d events %+v, want %d; all: %+v", got[k], k, n, page.Items)
			}
		}
	})
}

// TestServeRefusesUnverifiedRemoteDB: serve will not start on a PostgreSQL
// server elsewhere unless the connection verifies it (verify-full); it
// says why in one line and exits non-zero.
func TestServeRefusesUnverifiedRemoteDB(t *testing.T) {
	for _, dsn := range []string{
		"postgres://app@db.example.invalid/crm?sslmode=require",
		"postgres://app:pw@db.example.invalid/crm",
		"host=db.example.invalid dbname=crm sslmode=verify-ca sslrootcert=system-not",
		"host=192.0.2.10 dbname=crm sslmode=disable",
	} {
		// Bounded: without the check, serve would connect (or, for the
		// key=value form, open a SQLite file of that name) and keep serving.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		cmd := exec.CommandContext(ctx, e2e.Bin, "serve", "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--db", dsn)
		cmd.Dir = t.TempDir()
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		cmd.Run()
		cancel()
		code, out, errOut := cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()
		if code == 0 || out != "" || strings.Count(errOut, "\n") != 1 || !strings.HasPrefix(errOut, "strongroom: ") {
			t.Errorf("serve --db %q: exit %d\nstdout %q\nstderr %q", dsn, code, out, errOut)
		}
		if strings.Contains(errOut, ":pw@") {
			t.Errorf("the password is repeated: %q", errOut)
		}
		if !strings.Contains(errOut, "sslmode=verify-full") && !strings.Contains(errOut, "cannot be used") {
			t.Errorf("serve --db %q does not say why: %q", dsn, errOut)
		}
	}
}

// TestMigrateCommand: migrate applies the schema without a master key and
// may run again; serve then starts on the migrated database.
func TestMigrateCommand(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		storage := storageArgs(t, db)
		for range 2 {
			code, out, errOut := run(t, "", append([]string{"migrate"}, storage...)...)
			if code != 0 || out != "database schema is up to date\n" {
				t.Fatalf("migrate: exit %d %q %q", code, out, errOut)
			}
		}
		if _, err := os.Stat(filepath.Join(dataDir(storage), "master.key")); err == nil {
			t.Fatal("migrate made a master key")
		}
		addUser(t, storage, "admin@example.com", "admin")
		s := start(t, storage)
		s.Login(t, "admin@example.com", password)
	})
}
