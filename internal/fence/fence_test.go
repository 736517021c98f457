package fence

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "strongroom.dev/strongroom/"

// rules: an import (or import prefix) and the packages allowed to use it.
var rules = []struct {
	imp     string
	allowed []string
	why     string
}{
	{"crypto/aes", []string{"internal/keyring"}, "only the keyring holds key bytes"},
	{"crypto/cipher", []string{"internal/keyring"}, "only the keyring builds ciphers"},
	{"database/sql", []string{"internal/store", "internal/testkit"}, "only the store speaks SQL"},
	{"github.com/jackc/pgx", []string{"internal/store", "internal/testkit"}, "only the store knows drivers"},
	{"modernc.org/sqlite", []string{"internal/store", "internal/testkit"}, "only the store knows drivers"},
	{"net/http", []string{"internal/api", "internal/web", "internal/server", "internal/httpx", "internal/cli", "internal/errs", "internal/bench", "internal/e2e", "internal/webhook", "internal/hookrun", "internal/backup", "internal/oauth", "internal/sso", "internal/testkit/oidctest", "cmd/strongroom"}, "the domain and service layers never see HTTP (bench is the load tool, e2e drives the binary, webhook and hookrun post events, backup stores on S3, oauth is the authorisation server beside api and web, sso is the relying party of single sign-on, oidctest the provider its tests log in at; all clients but the last)"},
	{module + "internal/api", []string{"internal/cli", "cmd/strongroom"}, "nothing below the API imports it"},
	{module + "internal/web", []string{"internal/cli", "cmd/strongroom"}, "nothing below the UI imports it"},
	// The background capabilities (checkpoints of the audit log, the
	// detectors, the SIEM export) read and write the store through interfaces they declare,
	// as a service domain does; no handler imports them for data.
	{module + "internal/store", []string{"internal/service", "internal/checkpoint", "internal/detect", "internal/siem", "internal/backup", "internal/cli", "internal/testkit", "internal/e2e"}, "handlers reach data only through the service"},
	{module + "internal/checkpoint", []string{"internal/service/governance", "internal/cli", "internal/backup"}, "the log's checkpoints are verified by governance and run by serve; backups are signed with its key"},
	{module + "internal/detect", []string{"internal/cli", "internal/detect"}, "the detectors run in serve (sim, beside them, feeds them in tests); alerts are read through the service"},
	{module + "internal/hookrun", []string{"internal/cli"}, "webhooks are delivered by serve"},
	{module + "internal/rewrap", []string{"internal/cli", "internal/service"}, "data keys are re-wrapped by serve and keys rewrap (the service's tests drive it under load)"},
	// demo seals its sealed notes and seal keys with keyring's Go implementation
	// of the browser's formats (keys it makes, never the master key).
	{module + "internal/keyring", []string{"internal/service", "internal/fieldcrypt", "internal/cli", "internal/testkit", "internal/demo"}, "handlers never touch keys"},
}

func TestImportFences(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		rel = filepath.ToSlash(rel)
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		checked++
		for _, is := range f.Imports {
			imp, _ := strconv.Unquote(is.Path.Value)
			for _, r := range rules {
				if imp != r.imp && !strings.HasPrefix(imp, r.imp+"/") {
					continue
				}
				ok := false
				for _, a := range r.allowed {
					ok = ok || rel == a || strings.HasPrefix(rel, a+"/")
				}
				if !ok {
					t.Errorf("%s imports %s: %s", strings.TrimPrefix(path, root+"/"), imp, r.why)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 30 {
		t.Fatalf("only %d files checked; the walk is not seeing the tree", checked)
	}
}
