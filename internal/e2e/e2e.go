// Package e2e runs the strongroom binary for end-to-end tests: it builds
// it once per test package (Main), runs commands (Run), starts servers
// (Start, Serve) and talks to them over HTTPS (Server.Do), as the
// command-line, API and browser tests in cmd/strongroom and its browser
// directory do. Test support, like testkit: nothing else imports it.
package e2e

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"strongroom.dev/strongroom/internal/mail/mailtest"
	"strongroom.dev/strongroom/internal/store"
	"strongroom.dev/strongroom/internal/testkit"
)

// Bin is the binary Main built.
var Bin string

// Main builds the binary into a temporary directory, runs the tests and
// removes it. A test package's TestMain calls it.
func Main(m *testing.M) {
	dir, err := os.MkdirTemp("", "strongroom-e2e")
	if err != nil {
		panic(err)
	}
	Bin = filepath.Join(dir, "strongroom")
	if out, err := exec.Command("go", "build", "-o", Bin, "strongroom.dev/strongroom/cmd/strongroom").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// ReadSources reads every file the binary is built from, under the module
// root root (a relative path from the test's directory). The tests run
// the binary, not code linked into them, so go test's cache would replay
// an old result after a change to the server; the files a test reads are
// part of its cached result's inputs. Each end-to-end package calls it
// from a test of its own.
func ReadSources(t *testing.T, root string) {
	n := 0
	for _, dir := range []string{filepath.Join(root, "cmd/strongroom"), filepath.Join(root, "internal")} {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || strings.HasSuffix(path, "_test.go") {
				return err
			}
			if _, err := os.ReadFile(path); err != nil {
				return err
			}
			n++
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"go.mod", "go.sum"} {
		if _, err := os.ReadFile(filepath.Join(root, f)); err != nil {
			t.Fatal(err)
		}
	}
	if n < 100 {
		t.Fatalf("read only %d source files", n)
	}
}

// Run runs the binary to completion with stdin and returns its exit code,
// standard output and standard error. It runs in a fresh directory, so a
// command that falls back to the default data directory (./strongroom-data)
// never writes a key or a database into the source tree.
func Run(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(Bin, args...)
	cmd.Dir = t.TempDir()
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, out.String(), errOut.String()
}

// Server is a running "strongroom serve": its URL, data directory, an
// HTTPS client that trusts its certificate, and what it printed at start.
type Server struct {
	URL    string
	Data   string
	Client *http.Client
	Banner string
}

var urlLine = regexp.MustCompile(`serving HTTPS at (https://\S+)`)

// Start runs "strongroom serve" on a free loopback port and waits for it
// to print its URL; the process is stopped when the test ends. Two-step
// login is made optional first (a new database requires it for every
// role), so tests log in with passwords unless they set it up.
func Start(t *testing.T, storage []string, extra ...string) *Server {
	t.Helper()
	if code, out, errOut := Run(t, "", append([]string{"mfa", "require", "--roles", ""}, storage...)...); code != 0 {
		t.Fatalf("mfa require: exit %d\n%s%s", code, out, errOut)
	}
	return Serve(t, storage, extra...)
}

// Serve is Start without touching the two-step login rules.
func Serve(t *testing.T, storage []string, extra ...string) *Server {
	t.Helper()
	args := append([]string{"serve", "--addr", "127.0.0.1:0"}, storage...)
	cmd := exec.Command(Bin, append(args, extra...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("server exited with %v\n%s", err, stderr.String())
			}
		case <-time.After(15 * time.Second):
			cmd.Process.Kill()
			t.Error("server did not stop on SIGTERM")
		}
	})
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var banner strings.Builder
	s := &Server{Data: DataDir(storage)}
	timeout := time.After(60 * time.Second)
	for s.URL == "" || !strings.Contains(banner.String(), "Ctrl-C") {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("server exited before serving:\n%s\n%s", banner.String(), stderr.String())
			}
			banner.WriteString(l + "\n")
			if m := urlLine.FindStringSubmatch(l); m != nil {
				s.URL = strings.TrimSuffix(m[1], "/")
			}
		case <-timeout:
			t.Fatalf("server did not start:\n%s\n%s", banner.String(), stderr.String())
		}
	}
	go func() {
		for range lines {
		}
	}()
	s.Banner = banner.String()
	pem, err := os.ReadFile(filepath.Join(s.Data, "tls", "cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	s.Client = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: 30 * time.Second}
	return s
}

// DataDir is the --data directory in storage.
func DataDir(storage []string) string {
	for i, a := range storage {
		if a == "--data" {
			return storage[i+1]
		}
	}
	return ""
}

// Reply is an answer as a test reads it.
type Reply struct {
	Status int
	Header http.Header
	Body   []byte
	JSON   map[string]any
}

// Do sends a request with an optional bearer token and JSON body; hdr
// are extra header names and values. An address over its rate waits and
// retries.
func (s *Server) Do(t *testing.T, method, path, token string, body any, hdr ...string) Reply {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := s.Client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	if RateLimited(resp) {
		return s.Do(t, method, path, token, body, hdr...)
	}
	return s.Read(t, resp)
}

// Read reads resp and checks what every response must have.
func (s *Server) Read(t *testing.T, resp *http.Response) Reply {
	t.Helper()
	method, path := resp.Request.Method, resp.Request.URL.Path
	defer resp.Body.Close()
	r := Reply{Status: resp.StatusCode, Header: resp.Header}
	r.Body, _ = io.ReadAll(resp.Body)
	json.Unmarshal(r.Body, &r.JSON)
	if resp.StatusCode >= 500 {
		t.Errorf("%s %s: %d %s", method, path, resp.StatusCode, r.Body)
	}
	if resp.Header.Get("Strict-Transport-Security") == "" {
		t.Errorf("%s %s: no HSTS header", method, path)
	}
	if resp.StatusCode >= 400 && resp.Header.Get("Content-Type") != "application/problem+json" && resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("%s %s: error %d answered as %q, not problem+json", method, path, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	return r
}

// Str is a string field of the JSON answer.
func (r Reply) Str(key string) string {
	v, _ := r.JSON[key].(string)
	return v
}

// Login logs in through the API and returns the session token.
func (s *Server) Login(t *testing.T, email, password string) string {
	t.Helper()
	r := s.Do(t, "POST", "/api/v1/sessions", "", map[string]string{"email": email, "password": password})
	if r.Status != http.StatusCreated || r.Str("token") == "" {
		t.Fatalf("login %s: %d %s", email, r.Status, r.Body)
	}
	return r.Str("token")
}

// StorageArgs are the --data (and, for PostgreSQL, --db) arguments that
// point the binary at db.
func StorageArgs(t *testing.T, db testkit.DB) []string {
	args := []string{"--data", t.TempDir()}
	if db.Engine == store.SQLite {
		args[1] = filepath.Dir(db.Path) // the database is strongroom.db in the data directory
	}
	if db.Engine == store.Postgres {
		args = append(args, "--db", db.DSN)
	}
	// With STRONGROOM_TEST_CUSTODY=pkcs11 (.ci/run's token pass), every
	// command the test runs keeps the master key in the shared SoftHSM2
	// token, under a key label of the test's own.
	if os.Getenv(testkit.CustodyEnv) == "pkcs11" {
		token := testkit.SoftHSMToken(t)
		os.Setenv("STRONGROOM_PKCS11_PIN", token.PIN) // inherited by the commands
		args = append(args, "--master-key-custody", "pkcs11", "--pkcs11-module", token.Module, "--pkcs11-token", token.Token,
			"--pkcs11-key-label", "e2e-"+rand.Text()[:12])
	}
	return args
}

// Password is every test user's password.
const Password = "a long enough passphrase for tests"

// AddUser adds a user with Password through the command line.
func AddUser(t *testing.T, storage []string, email, role string) {
	t.Helper()
	code, out, errOut := Run(t, Password+"\n", append([]string{"user", "add", "--email", email, "--role", role, "--password-stdin"}, storage...)...)
	if code != 0 || !strings.Contains(out, "created user") {
		t.Fatalf("user add %s: exit %d\n%s%s", email, code, out, errOut)
	}
}

// AddUserInTeam adds a user in a team (none when team is empty).
func AddUserInTeam(t *testing.T, storage []string, email, role, team string) {
	t.Helper()
	args := []string{"user", "add", "--email", email, "--role", role, "--password-stdin"}
	if team != "" {
		args = append(args, "--team", team)
	}
	code, out, errOut := Run(t, Password+"\n", append(args, storage...)...)
	if code != 0 {
		t.Fatalf("user add %s: exit %d\n%s%s", email, code, out, errOut)
	}
}

// RateLimited reports whether resp is the per-address limit's 429, after
// waiting a second for the next try; any other answer is left readable.
func RateLimited(resp *http.Response) bool {
	if resp.StatusCode != http.StatusTooManyRequests {
		return false
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Contains(body, []byte("too many requests from this address")) {
		resp.Body = io.NopCloser(bytes.NewReader(body))
		return false
	}
	time.Sleep(time.Second)
	return true
}

// StartWithMail starts a server that sends mail through a loopback SMTP
// server, which it returns too.
func StartWithMail(t *testing.T, storage []string) (*Server, *mailtest.Server) {
	smtp := mailtest.New(t)
	t.Setenv("STRONGROOM_SMTP_PASSWORD", smtp.Password())
	return Start(t, storage, smtp.Args(t)...), smtp
}

var emailedLink = regexp.MustCompile(`https://localhost:\d+(/[a-z/]+\?token=\S+)`)

// LinkPath is the path (with its token) of the link to the server in an
// email.
func LinkPath(t *testing.T, m mailtest.Received) string {
	t.Helper()
	l := emailedLink.FindStringSubmatch(m.Body)
	if l == nil {
		t.Fatalf("no link to this server in the email %q:\n%s", m.Subject, m.Body)
	}
	return l[1]
}

// TokenOf is the token query parameter of a path.
func TokenOf(t *testing.T, path string) string {
	u, err := url.Parse(path)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("token")
}

// TOTPCode is the authenticator app's code for secret, steps periods from
// now.
func TOTPCode(t *testing.T, secret string, steps int) string {
	t.Helper()
	c, err := totp.GenerateCode(secret, time.Now().Add(time.Duration(steps)*30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	return c
}
