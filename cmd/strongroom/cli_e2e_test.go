package main_test

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"strongroom.dev/strongroom/internal/e2e"

	"strongroom.dev/strongroom/internal/authz"
)

var demoLogin = regexp.MustCompile(`(?m)^\s+([a-z_]+)\s+(\S+@\S+)\s+(\S+)$`)

func TestServeDemo(t *testing.T) {
	data := filepath.Join(t.TempDir(), "fresh")
	storage := []string{"--data", data}
	s := start(t, storage, "--demo")

	fi, err := os.Stat(filepath.Join(data, "master.key"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("master key: %v mode %v; want 0600", err, fi.Mode().Perm())
	}
	for _, f := range []string{"tls/cert.pem", "tls/key.pem", "strongroom.db"} {
		if _, err := os.Stat(filepath.Join(data, f)); err != nil {
			t.Errorf("%s missing: %v", f, err)
		}
	}
	logins := demoLogin.FindAllStringSubmatch(s.Banner, -1)
	roles := map[string]bool{}
	for _, l := range logins {
		roles[l[1]] = true
	}
	for _, r := range authz.Roles {
		if !roles[string(r)] {
			t.Errorf("no demo login for role %s", r)
		}
	}
	if !strings.Contains(s.Banner, "curl --cacert") {
		t.Fatalf("banner does not show how to log in:\n%s", s.Banner)
	}
	tokens := map[string]string{}
	for _, l := range logins {
		tokens[l[1]] = s.Login(t, l[2], l[3])
	}
	r := s.Do(t, "GET", "/api/v1/customers?limit=200", tokens["admin"], nil)
	items, _ := r.JSON["items"].([]any)
	if r.Status != 200 || len(items) < 50 {
		t.Fatalf("demo customers: %d, %d items", r.Status, len(items))
	}
	if !regexp.MustCompile(`\p{Han}`).Match(r.Body) {
		t.Error("demo data has no Chinese names")
	}
	if r := s.Do(t, "GET", "/api/v1/audit?limit=5", tokens["auditor"], nil); r.Status != 200 {
		t.Errorf("demo auditor: %d", r.Status)
	}
	// The vendors register: the payment processor's review is overdue, and
	// serve's reminder raised its alert at start.
	if r := s.Do(t, "GET", "/api/v1/vendors", tokens["auditor"], nil); r.Status != 200 || !strings.Contains(string(r.Body), "Harbour Payments") ||
		!strings.Contains(string(r.Body), `"overdue":true`) || !strings.Contains(string(r.Body), `"open_findings":1`) {
		t.Errorf("demo vendors: %d %s", r.Status, r.Body)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := s.Do(t, "GET", "/api/v1/alerts?limit=100", tokens["auditor"], nil)
		if strings.Contains(string(r.Body), `"rule":"vendor_due"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no vendor_due alert after the demo's start: %d %s", r.Status, r.Body)
		}
		time.Sleep(200 * time.Millisecond)
	}
	first := logins[0][3]

	// A second start prints new passwords; the old ones stop working.
	s2 := start(t, []string{"--data", filepath.Join(t.TempDir(), "other")}, "--demo")
	again := demoLogin.FindAllStringSubmatch(s2.Banner, -1)
	if len(again) != len(logins) || again[0][3] == first {
		t.Fatal("demo passwords are fixed, not generated")
	}
}

// TestSelfSignedWarning: serving the generated localhost certificate at
// an address users reach from elsewhere prints a warning; on this host it
// does not.
func TestSelfSignedWarning(t *testing.T) {
	data := t.TempDir()
	for _, tt := range []struct {
		extra []string
		warn  bool
	}{{nil, false}, {[]string{"--public-url", "https://crm.example.com"}, true}} {
		cmd := exec.Command(e2e.Bin, append([]string{"serve", "--addr", "127.0.0.1:0", "--data", data}, tt.extra...)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		for sc.Scan() && !strings.Contains(sc.Text(), "Ctrl-C") {
		}
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
		if got := strings.Contains(stderr.String(), "self-signed certificate"); got != tt.warn {
			t.Errorf("%v: warning %v, want %v\n%s", tt.extra, got, tt.warn, stderr.String())
		}
	}
}

func TestServeWithoutDemoStartsEmpty(t *testing.T) {
	s := start(t, []string{"--data", t.TempDir()})
	if strings.Contains(s.Banner, "Demo logins") || !strings.Contains(s.Banner, "user add") {
		t.Fatalf("banner:\n%s", s.Banner)
	}
}

func TestCommandLineErrors(t *testing.T) {
	data := t.TempDir()
	storage := []string{"--data", data}
	addUser(t, storage, "admin@example.com", "admin")
	tests := []struct {
		name  string
		stdin string
		args  []string
		code  int
		says  string
	}{
		{"weak password", "short\n", []string{"user", "add", "--email", "a@example.com", "--role", "sales", "--password-stdin"}, 1, "at least 12 characters"},
		{"taken email", password + "\n", []string{"user", "add", "--email", "ADMIN@example.com", "--role", "sales", "--password-stdin"}, 1, "already exists"},
		{"unknown role", password + "\n", []string{"user", "add", "--email", "b@example.com", "--role", "root", "--password-stdin"}, 1, "role must be one of"},
		{"no stdin flag", "", []string{"user", "add", "--email", "b@example.com", "--role", "sales"}, 2, "--password-stdin"},
		{"empty stdin", "", []string{"user", "add", "--email", "b@example.com", "--role", "sales", "--password-stdin"}, 1, "no password"},
		{"missing email", "", []string{"user", "add", "--role", "sales", "--password-stdin"}, 2, "--email"},
		{"unknown flag", "", []string{"user", "add", "--bogus"}, 2, "bogus"},
		{"unknown command", "", []string{"frobnicate"}, 2, "unknown command"},
		{"set-role unknown user", "", []string{"user", "set-role", "--email", "ghost@example.com", "--role", "admin"}, 1, "user not found"},
		{"verify without database", "", []string{"audit", "verify", "--data", t.TempDir()}, 1, "no database"},
		{"half a TLS pair", "", []string{"serve", "--tls-cert", "x.pem"}, 2, "go together"},
		{"two-step rules without --roles", "", []string{"mfa", "require"}, 2, "needs --roles"},
		{"network limit without --set", "", []string{"role", "networks", "--name", "sales"}, 2, "needs --set"},
		{"idle timeout too long", "", []string{"serve", "--idle-timeout", "2h"}, 2, "--idle-timeout must be between"},
		{"sessions too long", "", []string{"serve", "--session-max", "48h"}, 2, "--session-max must be between"},
		{"password minimum too low", "", []string{"serve", "--min-password-length", "6"}, 2, "--min-password-length must be between"},
		{"a session limit out of range", "", []string{"serve", "--sessions-per-role", "admin=0"}, 2, "--sessions-per-role"},
		{"a session limit without a role", "", []string{"serve", "--sessions-per-role", "=3"}, 2, "--sessions-per-role"},
		{"an unknown SIEM format", "", []string{"serve", "--siem", "x.log", "--siem-format", "cef"}, 2, "--siem-format"},
		{"a SIEM over plain TCP", "", []string{"audit", "export", "--to", "tcp://siem.example.com:514"}, 2, "tls://host:port"},
		{"an audit proof without an event", "", []string{"audit", "prove"}, 2, "--event"},
		{"a key export without a recipient", "", []string{"keys", "export"}, 2, "--recipient"},
		{"a key export to a non-age recipient", "", []string{"keys", "export", "--recipient", "ssh-ed25519 AAAA", "--data", t.TempDir()}, 1, "age recipient"},
		{"a proof check without a key", "", []string{"audit", "check-proof"}, 2, "--verifier"},
		{"public URL not https", "", []string{"serve", "--public-url", "http://crm.example.com"}, 2, "--public-url must be an https"},
		{"trusted proxy not an address", "", []string{"serve", "--trusted-proxy", "10.0.0.1,proxy.example.com"}, 2, "--trusted-proxy must list addresses"},
		{"account rate negative", "", []string{"serve", "--rate-per-account", "-1"}, 2, "--rate-per-account must be between"},
		{"a webhook range that is not one", "", []string{"serve", "--webhook-allow", "10.0.0.0/33"}, 2, "--webhook-allow"},
		{"a webhook retry too soon", "", []string{"serve", "--webhook-retry", "1m,0s"}, 2, "--webhook-retry"},
		{"a webhook command without a subcommand", "", []string{"webhook"}, 2, "webhook needs a subcommand"},
		{"pausing a webhook without its id", "", []string{"webhook", "pause"}, 2, "needs --id"},
		{"relay without a sender", "", []string{"user", "invite", "--email", "c@example.com", "--role", "sales", "--smtp-host", "mail.example.com", "--smtp-from", "nobody"}, 2, "not an email address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := tt.args
			if len(args) > 1 && args[0] == "user" {
				args = append(args, storage...)
			}
			code, _, errOut := run(t, tt.stdin, args...)
			if code != tt.code || !strings.Contains(errOut, tt.says) {
				t.Fatalf("exit %d, stderr %q; want exit %d mentioning %q", code, errOut, tt.code, tt.says)
			}
			if tt.code == 1 && strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
				t.Errorf("stderr is not one line: %q", errOut)
			}
		})
	}
	t.Run("set-role", func(t *testing.T) {
		addUser(t, storage, "li@example.com", "sales")
		code, out, errOut := run(t, "", append([]string{"user", "set-role", "--email", "li@example.com", "--role", "auditor"}, storage...)...)
		if code != 0 || !strings.Contains(out, "role auditor") {
			t.Fatalf("exit %d %s %s", code, out, errOut)
		}
	})
	t.Run("reset-mfa", func(t *testing.T) {
		code, out, errOut := run(t, "", append([]string{"user", "reset-mfa", "--email", "li@example.com"}, storage...)...)
		if code != 0 || !strings.Contains(out, "no two-step login") {
			t.Fatalf("exit %d %s %s", code, out, errOut)
		}
		code, _, errOut = run(t, "", append([]string{"user", "reset-mfa", "--email", "ghost@example.com"}, storage...)...)
		if code != 1 || !strings.Contains(errOut, "user not found") || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Fatalf("unknown user: exit %d %q", code, errOut)
		}
	})
	t.Run("a shorter minimum password length", func(t *testing.T) {
		t.Setenv("STRONGROOM_MIN_PASSWORD_LENGTH", "8")
		code, out, errOut := run(t, "tundra42x\n", append([]string{"user", "add", "--email", "eight@example.com", "--role", "sales", "--password-stdin"}, storage...)...)
		if code != 0 {
			t.Fatalf("a 9-character password with a minimum of 8: exit %d %s %s", code, out, errOut)
		}
	})
	t.Run("list, disable, enable, invite, reset-password", func(t *testing.T) {
		code, out, errOut := run(t, "", append([]string{"user", "disable", "--email", "li@example.com"}, storage...)...)
		if code != 0 || !strings.Contains(out, "disabled") {
			t.Fatalf("disable: exit %d %s %s", code, out, errOut)
		}
		code, out, _ = run(t, "", append([]string{"user", "list"}, storage...)...)
		if code != 0 || !regexp.MustCompile(`li@example\.com\s+\S+\s+.*disabled`).MatchString(out) {
			t.Fatalf("list after disable: exit %d\n%s", code, out)
		}
		if code, out, _ = run(t, "", append([]string{"user", "enable", "--email", "li@example.com"}, storage...)...); code != 0 {
			t.Fatalf("enable: exit %d %s", code, out)
		}
		// Without a mail relay, links are printed for the administrator to pass on.
		code, out, errOut = run(t, "", append([]string{"user", "invite", "--email", "new@example.com", "--role", "support"}, storage...)...)
		if code != 0 || !strings.Contains(out, "/invite?token=srl_") {
			t.Fatalf("invite: exit %d %s %s", code, out, errOut)
		}
		code, out, errOut = run(t, "", append([]string{"user", "reset-password", "--email", "li@example.com"}, storage...)...)
		if code != 0 || !strings.Contains(out, "/password/reset?token=srl_") {
			t.Fatalf("reset-password: exit %d %s %s", code, out, errOut)
		}
		code, out, _ = run(t, "", append([]string{"user", "list"}, storage...)...)
		if !regexp.MustCompile(`new@example\.com\s+support\s+invited`).MatchString(out) {
			t.Fatalf("the invited user is not listed as invited:\n%s", out)
		}
		if code, _, errOut = run(t, "", append([]string{"user", "invite", "--email", "new@example.com", "--role", "support"}, storage...)...); code != 1 || !strings.Contains(errOut, "already exists") {
			t.Fatalf("a second invitation: exit %d %q", code, errOut)
		}
	})
	t.Run("wrong master key is refused", func(t *testing.T) {
		other := t.TempDir()
		addUser(t, []string{"--data", other}, "x@example.com", "admin")
		key, _ := os.ReadFile(filepath.Join(other, "master.key"))
		os.WriteFile(filepath.Join(data, "master.key"), key, 0o600)
		code, _, errOut := run(t, password+"\n", append([]string{"user", "add", "--email", "y@example.com", "--role", "sales", "--password-stdin"}, storage...)...)
		if code != 1 || !strings.Contains(errOut, "master key does not match") {
			t.Fatalf("exit %d, %q", code, errOut)
		}
	})
	t.Run("help", func(t *testing.T) {
		code, out, _ := run(t, "", "--help")
		for _, cmd := range []string{"serve", "user add", "user invite", "user list", "user set-role", "user reset-password", "user reset-mfa", "mfa require", "audit verify", "migrate", "webhook add"} {
			if code != 0 || !strings.Contains(out, cmd) {
				t.Errorf("--help lacks %q", cmd)
			}
		}
	})
}
