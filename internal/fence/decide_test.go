package fence

import (
	"bytes"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// handlers are the packages that answer HTTP: they show what the service
// says a user may do and never work it out themselves.
var handlers = []string{"internal/web", "internal/api"}

// mayUse lists the authz functions and methods a handler may call. None
// decides access: the rest of authz (Decide, Explain, FromNetworks,
// SubTeams, Actor.SteppedUp, Decision.Field, …) is the service's to call.
// Handlers may still name authz types and constants: authz.Actor (who is
// asking, as the service authenticated them), the login gates
// (authz.Gate…) and the role vocabulary the role editor shows.
var mayUse = map[string]string{
	"Actor.Owes":          "the login step a session still owes: where to send it, before any page",
	"FieldsOf":            "the fields of an object type, listed by the role editor",
	"HasRole":             "reads a stored, comma-separated role list for the user admin form",
	"RoleDef.Check":       "checks a role the role editor's form typed: input, not access",
	"Scope.String":        "text forms of the role vocabulary, for the role editor",
	"Scope.MarshalText":   "",
	"Scope.UnmarshalText": "",
	"Level.String":        "",
	"Level.MarshalText":   "",
	"Level.UnmarshalText": "",
}

// mayNotHold are authz types a handler never names nor holds: a Resource
// is only ever a question to Decide, a Decision only its answer.
var mayNotHold = map[string]bool{"Decision": true, "Resource": true}

// TestHandlersDecideNothing type-checks web and api and refuses every
// call of an authz function or method outside mayUse, and every value or
// mention of an authz.Decision or authz.Resource: what a user may do on a
// page comes from the service (records.Abilities, records.Can), in one
// place. The check is by types, so an alias import, a method call on a
// value the service returned, or a Decision held without naming its type
// is caught as well.
func TestHandlersDecideNothing(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	imp := exportImporter(t, root)
	const authzPath = module + "internal/authz"
	for _, dir := range handlers {
		t.Run(dir, func(t *testing.T) {
			fset := token.NewFileSet()
			files := parseDir(t, fset, filepath.Join(root, dir))
			info := &types.Info{Uses: map[*ast.Ident]types.Object{}, Types: map[ast.Expr]types.TypeAndValue{}}
			conf := types.Config{Importer: imp(fset)}
			if _, err := conf.Check(module+dir, fset, files, info); err != nil {
				t.Fatalf("type-check %s: %v", dir, err)
			}
			bad := map[string]map[string]bool{} // "file:line" -> what it uses
			add := func(p token.Pos, what string) {
				pos := fset.Position(p)
				at := filepath.Base(pos.Filename) + ":" + strconv.Itoa(pos.Line)
				if bad[at] == nil {
					bad[at] = map[string]bool{}
				}
				bad[at][what] = true
			}
			seen := 0
			for id, obj := range info.Uses {
				if obj.Pkg() == nil || obj.Pkg().Path() != authzPath {
					continue
				}
				seen++
				switch o := obj.(type) {
				case *types.Func:
					if _, ok := mayUse[funcName(o)]; !ok {
						add(id.Pos(), "calls authz."+funcName(o))
					}
				case *types.TypeName:
					if mayNotHold[o.Name()] {
						add(id.Pos(), "names authz."+o.Name())
					}
				}
			}
			for e, tv := range info.Types {
				if n := authzNamed(tv.Type, authzPath); mayNotHold[n] && !tv.IsType() {
					add(e.Pos(), "holds an authz."+n)
				}
			}
			if seen == 0 {
				t.Fatalf("%s uses nothing of authz: the check is not seeing the package", dir)
			}
			var lines []string
			for at, what := range bad {
				var ws []string
				for w := range what {
					ws = append(ws, w)
				}
				sort.Strings(ws)
				lines = append(lines, dir+"/"+at+": "+strings.Join(ws, ", "))
			}
			sort.Strings(lines)
			for _, l := range lines {
				t.Errorf("%s: what a user may do is the service's to decide (records.Abilities, records.Can)", l)
			}
		})
	}
}

// funcName is "Decide" for a function, "Actor.Owes" for a method.
func funcName(f *types.Func) string {
	sig, _ := f.Type().(*types.Signature)
	if sig == nil || sig.Recv() == nil {
		return f.Name()
	}
	t := sig.Recv().Type()
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	if n, ok := t.(*types.Named); ok {
		return n.Obj().Name() + "." + f.Name()
	}
	return f.Name()
}

// authzNamed is the name of t (or what t points to) when it is a type
// declared in authz.
func authzNamed(t types.Type, authzPath string) string {
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	if n, ok := t.(*types.Named); ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == authzPath {
		return n.Obj().Name()
	}
	return ""
}

func parseDir(t *testing.T, fset *token.FileSet, dir string) []*ast.File {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var files []*ast.File
	for _, n := range names {
		if strings.HasSuffix(n, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, n, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	if len(files) == 0 {
		t.Fatalf("no Go files in %s", dir)
	}
	return files
}

// exportImporter returns importers that read the compiler's export data
// of the handlers' dependencies, which the go command builds (or finds
// in its cache): type-checking from source would walk the SQLite driver.
func exportImporter(t *testing.T, root string) func(*token.FileSet) types.Importer {
	t.Helper()
	args := []string{"list", "-export", "-deps", "-f", "{{.ImportPath}}\t{{.Export}}"}
	for _, h := range handlers {
		args = append(args, "./"+h)
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	exports := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		if path, file, ok := strings.Cut(line, "\t"); ok && file != "" {
			exports[path] = file
		}
	}
	return func(fset *token.FileSet) types.Importer {
		return importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
			file, ok := exports[path]
			if !ok {
				return nil, os.ErrNotExist
			}
			return os.Open(file)
		})
	}
}
