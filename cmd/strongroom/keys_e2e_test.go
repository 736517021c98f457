package main_test

import (
	"os"
	"strings"
	"testing"

	"strongroom.dev/strongroom/internal/testkit"
)

// The master key's commands and page, on both engines: keys without a
// subcommand lists them all; status, rotate, rewrap (with progress), retire
// refused for the active term and done for the old one; the page under
// Security in English and Chinese for an administrator, refused to sales.
func TestKeysRotation(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		storage := storageArgs(t, db)
		addUser(t, storage, "admin@example.com", "admin")
		addUser(t, storage, "sales@example.com", "sales")
		keys := func(args ...string) (int, string, string) {
			return run(t, "", append(append([]string{"keys"}, args...), storage...)...)
		}
		if c, _, errOut := run(t, "", "keys"); c != 2 || !strings.Contains(errOut, "rotate-subject") || !strings.Contains(errOut, "recovery-init") || !strings.Contains(errOut, "retire --term N") {
			t.Fatalf("keys alone: %d %s", c, errOut)
		}
		if c, out, errOut := keys("status"); c != 0 || !strings.Contains(out, "custody:      file") || !strings.Contains(out, "active term:  1") {
			t.Fatalf("status: %d %s %s", c, out, errOut)
		}
		if c, out, errOut := keys("rotate"); c != 0 || !strings.Contains(out, "term 2 added") {
			t.Fatalf("rotate: %d %s %s", c, out, errOut)
		}
		if c, out, errOut := keys("rewrap", "--batch", "1"); c != 0 || !strings.Contains(out, "finished") || strings.Count(out, "data keys checked") < 2 {
			t.Fatalf("rewrap: %d %s %s", c, out, errOut)
		}
		if c, _, errOut := keys("retire", "--term", "2"); c == 0 || !strings.Contains(errOut, "active term") {
			t.Fatalf("retire the active term: %d %s", c, errOut)
		}
		// 2^32 + 1 would be term 1 once cut to 32 bits.
		if c, _, errOut := keys("retire", "--term", "4294967297"); c != 2 || !strings.Contains(errOut, "keys retire needs --term N") {
			t.Fatalf("retire term 2^32+1: %d %s", c, errOut)
		}
		if c, out, errOut := keys("retire", "--term", "1"); c != 0 || !strings.Contains(out, "term 1 destroyed") {
			t.Fatalf("retire term 1: %d %s %s", c, out, errOut)
		}
		if c, _, errOut := keys("rotate-subject", "--customer", "cus_x"); c != 2 || !strings.Contains(errOut, "--reason") {
			t.Fatalf("rotate-subject without a reason: %d %s", c, errOut)
		}
		if c, _, errOut := keys("rotate-subject", "--customer", "cus_0000000000000000000000000000", "--reason", "lost laptop"); c == 0 || !strings.Contains(errOut, "customer not found") {
			t.Fatalf("rotate-subject of nobody: %d %s", c, errOut)
		}
		if c, out, errOut := keys("status", "--json"); c != 0 || !strings.Contains(out, `"active_term": 2`) || !strings.Contains(out, `"retired_at"`) {
			t.Fatalf("status --json: %d %s %s", c, out, errOut)
		}

		s := start(t, storage)
		admin := newBrowser(t, s, "en")
		admin.login("admin@example.com", password)
		if p := admin.get("/security"); !strings.Contains(p.body, `href="/security/keys"`) {
			t.Fatal("the security page does not link the master key's page")
		}
		p := admin.get("/security/keys")
		if p.status != 200 || !strings.Contains(p.body, "Master key") || !strings.Contains(p.body, "key file in the data directory") || !strings.Contains(p.body, `id="keys-active">2<`) {
			t.Fatalf("keys page: %d\n%s", p.status, p.body)
		}
		zh := newBrowser(t, s, "zh-CN")
		zh.login("admin@example.com", password)
		if p := zh.get("/security/keys"); p.status != 200 || !strings.Contains(p.body, "主密钥") || !strings.Contains(p.body, "重新封装") {
			t.Fatalf("keys page in Chinese: %d\n%s", p.status, p.body)
		}
		sales := newBrowser(t, s, "en")
		sales.login("sales@example.com", password)
		if p := sales.get("/security/keys"); p.status != 403 || strings.Contains(p.body, "keys-custody") {
			t.Fatalf("sales on the keys page: %d", p.status)
		}
	})
}

// The passphrase custody from a file descriptor (right, wrong, missing),
// and the PKCS#11 custody over a SoftHSM2 token: a server started with the
// master key in the token serves, rotates and re-wraps.
func TestKeysCustody(t *testing.T) {
	data := t.TempDir()
	pass := []string{"--data", data, "--master-key-custody", "passphrase", "--master-passphrase-fd", "0"}
	if c, out, errOut := run(t, "correct horse battery staple\n", append([]string{"keys", "status"}, pass...)...); c != 0 || !strings.Contains(out, "custody:      passphrase") {
		t.Fatalf("passphrase custody: %d %s %s", c, out, errOut)
	}
	if _, err := os.Stat(data + "/master.key"); err == nil {
		t.Fatal("the passphrase custody wrote a key file")
	}
	if c, _, errOut := run(t, "incorrect horse battery staple\n", append([]string{"keys", "status"}, pass...)...); c == 0 || !strings.Contains(errOut, "passphrase is wrong") {
		t.Fatalf("a wrong passphrase: %d %s", c, errOut)
	}
	if c, _, errOut := run(t, "", "keys", "status", "--data", data, "--master-key-custody", "passphrase"); c == 0 || !strings.Contains(errOut, "--master-passphrase-fd") {
		t.Fatalf("no terminal and no descriptor: %d %s", c, errOut)
	}

	if os.Getenv(testkit.PKCS11ModuleEnv) == "" {
		t.Skip(testkit.PKCS11ModuleEnv + " is not set")
	}
	token := testkit.SoftHSMToken(t) // sets SOFTHSM2_CONF for the commands run
	t.Setenv("STRONGROOM_PKCS11_PIN", token.PIN)
	storage := []string{"--data", t.TempDir(), "--master-key-custody", "pkcs11", "--pkcs11-module", token.Module, "--pkcs11-token", token.Token, "--pkcs11-key-label", "e2e"}
	addUser(t, storage, "admin@example.com", "admin")
	if c, out, errOut := run(t, "", append([]string{"keys", "rotate"}, storage...)...); c != 0 || !strings.Contains(out, "term 2 added to the pkcs11 custody") {
		t.Fatalf("rotate in the token: %d %s %s", c, out, errOut)
	}
	s := start(t, storage)
	if !strings.Contains(s.Banner, "master key:      pkcs11 custody, term 2 active") || strings.Contains(s.Banner, "master.key") {
		t.Fatalf("the banner does not name the token's custody:\n%s", s.Banner)
	}
	tok := s.Login(t, "admin@example.com", password)
	r := s.Do(t, "GET", "/api/v1/keys", tok, nil)
	if r.Status != 200 || !strings.Contains(string(r.Body), `"custody":"pkcs11"`) || !strings.Contains(string(r.Body), `"active_term":2`) {
		t.Fatalf("GET /api/v1/keys: %d %s", r.Status, r.Body)
	}
	if c, out, errOut := run(t, "", append([]string{"keys", "rewrap"}, storage...)...); c != 0 || !strings.Contains(out, "finished") {
		t.Fatalf("rewrap in the token beside a running server: %d %s %s", c, out, errOut)
	}
	if r := s.Do(t, "GET", "/api/v1/me", tok, nil); r.Status != 200 {
		t.Fatalf("the server after the rewrap: %d %s", r.Status, r.Body)
	}
}
