package fence

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// TestDomainsNameTheirStore refuses, in the domain packages of the
// service, any use of the whole store transaction (*store.Tx) except to
// convert it to the interface a file declares: a function whose body is
// only `return tx`, or a `var _ I = (*store.Tx)(nil)` check. So each file
// shows in its interface every store method it uses, and cannot use more.
func TestDomainsNameTheirStore(t *testing.T) {
	files := 0
	for _, dir := range []string{"records", "identity", "governance"} {
		paths, err := filepath.Glob(filepath.Join("..", "service", dir, "*.go"))
		if err != nil || len(paths) == 0 {
			t.Fatalf("no files in service/%s: %v", dir, err)
		}
		for _, path := range paths {
			if strings.HasSuffix(path, "_test.go") {
				continue
			}
			files++
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, path, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, pos := range wholeTxUses(f) {
				t.Errorf("%s: uses *store.Tx; declare the methods it needs in the file's store interface and open the transaction with core.Change, core.Read or core.Look", fset.Position(pos))
			}
		}
	}
	if files < 20 {
		t.Fatalf("checked only %d files: the domain packages moved?", files)
	}
}

// wholeTxUses returns where f mentions store.Tx other than in a conversion.
func wholeTxUses(f *ast.File) []token.Pos {
	allowed := map[ast.Node]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncDecl:
			if isConversion(n.Type, n.Body) {
				allowed[n.Type] = true
			}
		case *ast.FuncLit:
			if isConversion(n.Type, n.Body) {
				allowed[n.Type] = true
			}
		case *ast.ValueSpec: // var _ I = (*store.Tx)(nil)
			if len(n.Names) == 1 && n.Names[0].Name == "_" {
				allowed[n] = true
			}
		}
		return true
	})
	var uses []token.Pos
	var walk func(n ast.Node) bool
	walk = func(n ast.Node) bool {
		if n == nil {
			return false
		}
		if allowed[n] {
			return false
		}
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if x, ok := sel.X.(*ast.Ident); ok && x.Name == "store" && sel.Sel.Name == "Tx" {
				uses = append(uses, sel.Pos())
			}
		}
		return true
	}
	ast.Inspect(f, walk)
	return uses
}

// isConversion reports whether a function takes one *store.Tx and only
// returns it.
func isConversion(ft *ast.FuncType, body *ast.BlockStmt) bool {
	if body == nil || len(body.List) != 1 || ft.Params == nil || len(ft.Params.List) != 1 || len(ft.Params.List[0].Names) != 1 {
		return false
	}
	ret, ok := body.List[0].(*ast.ReturnStmt)
	if !ok || len(ret.Results) != 1 {
		return false
	}
	id, ok := ret.Results[0].(*ast.Ident)
	return ok && id.Name == ft.Params.List[0].Names[0].Name
}
