package main_test

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"strongroom.dev/strongroom/internal/store"
	"strongroom.dev/strongroom/internal/testkit"
)

var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "strongroom-e2e")
	if err != nil {
		panic(err)
	}
	bin = filepath.Join(dir, "strongroom")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build: %v\n%s", err, out)
		os.Exit(1)
	}

	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// TestBinarySources reads every file the binary is built from. These
// tests run the binary, not code linked into the test, so go test's cache
// would otherwise replay an old result after a change to the server; the
// files a test reads are part of its cached result's inputs.
func TestBinarySources(t *testing.T) {
	n := 0
	for _, dir := range []string{".", "../../internal"} {
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
	for _, f := range []string{"../../go.mod", "../../go.sum"} {
		if _, err := os.ReadFile(f); err != nil {
			t.Fatal(err)
		}
	}
	if n < 100 {
		t.Fatalf("read only %d source files", n)
	}
}

// run runs the binary to completion with stdin and returns its exit code,
// standard output and standard error.
func run(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
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

type server struct {
	URL    string
	Data   string
	Client *http.Client
	Banner string
}

var urlLine = regexp.MustCompile(`serving HTTPS at (https://\S+)`)

// start runs "strongroom serve" on a free loopback port and waits for it
// to print its URL; the process is stopped when the test ends. Two-step
// login is made optional first (a new database requires it for every
// role), so tests log in with passwords unless they set it up.
func start(t *testing.T, storage []string, extra ...string) *server {
	t.Helper()
	if code, out, errOut := run(t, "", append([]string{"mfa", "require", "--roles", ""}, storage...)...); code != 0 {
		t.Fatalf("mfa require: exit %d\n%s%s", code, out, errOut)
	}
	return serve(t, storage, extra...)
}

// serve is start without touching the two-step login rules.
func serve(t *testing.T, storage []string, extra ...string) *server {
	t.Helper()
	args := append([]string{"serve", "--addr", "127.0.0.1:0"}, storage...)
	cmd := exec.Command(bin, append(args, extra...)...)
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
	s := &server{Data: dataDir(storage)}
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

func dataDir(storage []string) string {
	for i, a := range storage {
		if a == "--data" {
			return storage[i+1]
		}
	}
	return ""
}

type reply struct {
	Status int
	Header http.Header
	Body   []byte
	JSON   map[string]any
}

func (s *server) do(t *testing.T, method, path, token string, body any, hdr ...string) reply {
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
	if rateLimited(resp) {
		return s.do(t, method, path, token, body, hdr...)
	}
	return s.read(t, resp)
}

// read reads resp and checks what every response must have.
func (s *server) read(t *testing.T, resp *http.Response) reply {
	t.Helper()
	method, path := resp.Request.Method, resp.Request.URL.Path
	defer resp.Body.Close()
	r := reply{Status: resp.StatusCode, Header: resp.Header}
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

func (r reply) str(key string) string {
	v, _ := r.JSON[key].(string)
	return v
}

func (s *server) login(t *testing.T, email, password string) string {
	t.Helper()
	r := s.do(t, "POST", "/api/v1/sessions", "", map[string]string{"email": email, "password": password})
	if r.Status != http.StatusCreated || r.str("token") == "" {
		t.Fatalf("login %s: %d %s", email, r.Status, r.Body)
	}
	return r.str("token")
}

func storageArgs(t *testing.T, db testkit.DB) []string {
	args := []string{"--data", t.TempDir()}
	if db.Engine == store.SQLite {
		args[1] = filepath.Dir(db.Path) // the database is strongroom.db in the data directory
	}
	if db.Engine == store.Postgres {
		args = append(args, "--db", db.DSN)
	}
	return args
}

const password = "a long enough passphrase for tests"

func addUser(t *testing.T, storage []string, email, role string) {
	t.Helper()
	code, out, errOut := run(t, password+"\n", append([]string{"user", "add", "--email", email, "--role", role, "--password-stdin"}, storage...)...)
	if code != 0 || !strings.Contains(out, "created user") {
		t.Fatalf("user add %s: exit %d\n%s%s", email, code, out, errOut)
	}
}
