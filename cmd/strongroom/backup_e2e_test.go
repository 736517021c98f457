package main_test

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"strongroom.dev/strongroom/internal/e2e"
	"strongroom.dev/strongroom/internal/testkit"
)

// waitForDrill polls the backups API until the first target has a
// successful backup and drill (serve makes both on its first start).
func waitForDrill(t *testing.T, s *server, token string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		r := s.Do(t, "GET", "/api/v1/backups", token, nil)
		if r.Status != 200 {
			t.Fatalf("backups: %d %s", r.Status, r.Body)
		}
		targets, _ := r.JSON["targets"].([]any)
		if len(targets) == 1 {
			tg := targets[0].(map[string]any)
			if d, ok := tg["last_drill"].(map[string]any); ok && d["ok"] == true {
				return tg
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no successful backup and drill within a minute: %s", r.Body)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// A fresh server backs up and drills on its first start; a customer
// erased afterwards stays erased when the older backup is restored onto
// a new machine from the target alone, into SQLite and into PostgreSQL,
// and the restored data opens with the master key.
func TestBackupRestoreThroughTheCommandLine(t *testing.T) {
	data := filepath.Join(t.TempDir(), "live")
	s := start(t, []string{"--data", data}, "--demo")
	if !strings.Contains(s.Banner, "backups:") {
		t.Fatalf("the banner does not say where backups go:\n%s", s.Banner)
	}
	logins := demoLogin.FindAllStringSubmatch(s.Banner, -1)
	admin := s.Login(t, logins[0][2], logins[0][3])
	target := waitForDrill(t, s, admin)
	backupID := target["last_backup"].(map[string]any)["backup_id"].(string)

	r := s.Do(t, "GET", "/api/v1/customers?limit=2", admin, nil)
	items := r.JSON["items"].([]any)
	gone, kept := items[0].(map[string]any)["id"].(string), items[1].(map[string]any)["id"].(string)
	if r := s.Do(t, "DELETE", "/api/v1/customers/"+gone, admin, nil); r.Status != 204 {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	// The erasure reaches the target's ledger within a step of the runner.
	ledger := filepath.Join(data, "backups", "ledger", gone)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		if _, err := os.Stat(ledger); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the erasure was not written to the target's ledger")
		}
	}
	if code, out, errOut := run(t, "", "backup", "list", "--data", data); code != 0 || !strings.Contains(out, backupID) {
		t.Fatalf("backup list: exit %d\n%s%s", code, out, errOut)
	}
	key, err := os.ReadFile(filepath.Join(data, "audit.key"))
	if err != nil {
		t.Fatal(err)
	}
	verifier := strings.Fields(string(key))[1]
	from := filepath.Join(data, "backups")
	restore := func(t *testing.T, dest ...string) {
		t.Helper()
		args := append([]string{"restore", "--from", from, "--backup", backupID, "--identity", filepath.Join(data, "backup-drill.key"),
			"--verifier", verifier, "--master-key", filepath.Join(data, "master.key")}, dest...)
		code, out, errOut := run(t, "", args...)
		if code != 0 || !strings.Contains(out, "restored backup "+backupID) || !strings.Contains(out, "1 erased again") {
			t.Fatalf("restore: exit %d\n%s%s", code, out, errOut)
		}
	}

	t.Run("into SQLite", func(t *testing.T) {
		fresh := filepath.Join(t.TempDir(), "restored")
		restore(t, "--data", fresh)
		fi, err := os.Stat(filepath.Join(fresh, "master.key"))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("master key in the new data directory: %v", err)
		}
		s2 := serve(t, []string{"--data", fresh}, "--demo", "--audit-key", filepath.Join(data, "audit.key"))
		again := demoLogin.FindAllStringSubmatch(s2.Banner, -1)
		tok := s2.Login(t, again[0][2], again[0][3])
		if r := s2.Do(t, "GET", "/api/v1/customers/"+gone, tok, nil); r.Status != 404 {
			t.Fatalf("a customer erased after the backup is back after its restore: %d", r.Status)
		}
		if r := s2.Do(t, "GET", "/api/v1/customers/"+kept, tok, nil); r.Status != 200 || r.Str("name") == "" {
			t.Fatalf("a kept customer after the restore: %d %s", r.Status, r.Body)
		}
		if code, out, errOut := run(t, "", "audit", "verify", "--data", fresh, "--verifier", verifier); code != 0 {
			t.Fatalf("audit verify of the restored log: exit %d\n%s%s", code, out, errOut)
		}
	})
	t.Run("into PostgreSQL", func(t *testing.T) {
		base := os.Getenv(testkit.PostgresEnv)
		if base == "" {
			t.Skip(testkit.PostgresEnv + " is not set")
		}
		pg := testkit.NewPostgres(t, base)
		fresh := filepath.Join(t.TempDir(), "restored-pg")
		restore(t, "--data", fresh, "--db", pg.DSN)
		raw := pg.Raw(t)
		var n int
		raw.QueryRow("SELECT COUNT(*) FROM customers WHERE id = $1", gone).Scan(&n)
		if n != 0 {
			t.Fatal("the erased customer is in the restored PostgreSQL database")
		}
		if code, out, errOut := run(t, "", "audit", "verify", "--data", fresh, "--db", pg.DSN, "--verifier", verifier); code != 0 {
			t.Fatalf("audit verify of the restored log: exit %d\n%s%s", code, out, errOut)
		}
	})
	t.Run("a tampered copy is refused in one line", func(t *testing.T) {
		copyDir := filepath.Join(t.TempDir(), "copy")
		if out, err := exec.Command("cp", "-r", from, copyDir).CombinedOutput(); err != nil {
			t.Fatalf("%v %s", err, out)
		}
		p := filepath.Join(copyDir, "backups", backupID, "data.zst.age")
		b, _ := os.ReadFile(p)
		b[len(b)/3] ^= 0x20
		os.WriteFile(p, b, 0o600)
		fresh := filepath.Join(t.TempDir(), "restored")
		code, out, errOut := run(t, "", "restore", "--from", copyDir, "--backup", backupID, "--identity", filepath.Join(data, "backup-drill.key"),
			"--verifier", verifier, "--data", fresh)
		if code != 1 || strings.Count(strings.TrimSpace(errOut), "\n") != 0 || !strings.Contains(errOut, "refused") || !strings.Contains(errOut, "checksum") {
			t.Fatalf("restore of a tampered backup: exit %d\n%s%s", code, out, errOut)
		}
		if _, err := os.Stat(filepath.Join(fresh, "strongroom.db")); err == nil {
			t.Fatal("a refused restore left a database")
		}
	})
	t.Run("the web page shows the history and backs up now", func(t *testing.T) {
		b := newBrowser(t, s, "en")
		b.login(logins[0][2], logins[0][3])
		p := b.get("/backups")
		for _, want := range []string{"Restore drill", "Succeeded", backupID, "RTO", `id="backup-now"`} {
			if !strings.Contains(p.body, want) {
				t.Errorf("the backups page lacks %q", want)
			}
		}
		done := b.post("/backups", url.Values{"csrf": {p.csrf(t)}, "kind": {"backup"}})
		if done.status != 303 || !strings.Contains(done.location, "flash=backup_done") {
			t.Fatalf("back up now: %d %s", done.status, done.location)
		}
		if p := b.get(done.location); !strings.Contains(p.body, "The backup is made.") {
			t.Fatalf("no confirmation after backing up:\n%s", p.body)
		}
		zh := newBrowser(t, s, "zh-CN")
		zh.login(logins[0][2], logins[0][3])
		if p := zh.get("/backups"); !strings.Contains(p.body, "恢复演练") || !strings.Contains(p.body, "立即备份") {
			t.Fatal("the backups page is not in Chinese for a Chinese browser")
		}
	})
}

// kill -9 in the middle of a backup leaves nothing listed as a backup,
// and the next backup is whole.
func TestKilledBackupIsNotABackup(t *testing.T) {
	data := t.TempDir()
	storage := []string{"--data", data}
	addUser(t, storage, "sales@example.com", "sales")
	s := start(t, storage, "--backup-target", filepath.Join(data, "nas")) // on demand only: no schedule
	sales := s.Login(t, "sales@example.com", password)
	var csv strings.Builder
	csv.WriteString("name,email,phone,notes\n")
	for i := range 30000 {
		fmt.Fprintf(&csv, "Customer %d,c%d@example.com,+86 138 %04d %04d,%s\n", i, i, i/10000, i%10000, strings.Repeat("note ", 20))
	}
	req, _ := http.NewRequest("POST", s.URL+"/api/v1/customers/import", strings.NewReader(csv.String()))
	req.Header.Set("Content-Type", "text/csv")
	req.Header.Set("Authorization", "Bearer "+sales)
	resp, err := s.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if r := s.Read(t, resp); r.Status != 201 {
		t.Fatalf("import: %d %s", r.Status, r.Body)
	}
	nas := filepath.Join(data, "nas")
	caught := false
	for attempt := 0; attempt < 5 && !caught; attempt++ {
		cmd := exec.Command(e2e.Bin, "backup", "--data", data, "--backup-target", nas)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Kill it as soon as its data is being written.
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
			partial, _ := filepath.Glob(filepath.Join(nas, "backups", "*", "data.zst.age.partial-*"))
			if len(partial) > 0 {
				cmd.Process.Signal(syscall.SIGKILL)
				break
			}
		}
		cmd.Wait()
		manifests, _ := filepath.Glob(filepath.Join(nas, "backups", "*", "manifest"))
		all, _ := filepath.Glob(filepath.Join(nas, "backups", "*"))
		caught = len(all) > len(manifests) // a backup cut off half-way
	}
	if !caught {
		t.Fatal("no backup was caught half-way in 5 tries")
	}
	code, out, errOut := run(t, "", "backup", "list", "--data", data, "--backup-target", nas)
	manifests, _ := filepath.Glob(filepath.Join(nas, "backups", "*", "manifest"))
	if code != 0 || strings.Count(out, "\n  ") != len(manifests) || strings.Contains(out, "REFUSED") {
		t.Fatalf("backup list after kill -9 (%d complete): exit %d\n%s%s", len(manifests), code, out, errOut)
	}
	// The next backup is whole: its line counts the 30,000 customers' rows
	// among all ("74 tables, 150052 rows, …").
	code, out, errOut = run(t, "", "backup", "--data", data, "--backup-target", nas)
	var rows int
	if m := regexp.MustCompile(`(\d+) rows`).FindStringSubmatch(out); m != nil {
		rows, _ = strconv.Atoi(m[1])
	}
	if code != 0 || rows < 30000 {
		t.Fatalf("the next backup: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := run(t, "", "backup", "drill", "--data", data, "--backup-target", nas); code != 0 || !strings.Contains(out, "audit log verified") {
		t.Fatalf("a drill of the next backup: exit %d\n%s%s", code, out, errOut)
	}
}
