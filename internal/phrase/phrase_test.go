package phrase

import (
	"flag"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"strongroom.dev/strongroom/internal/authz"
)

var list = flag.Bool("list", false, "print the messages lacking a translation, one a line, as Go map entries")

// messageArg names the calls that carry a message a user sees, and which
// argument it is.
var messageArg = map[string]int{
	"errs.E":            1,
	"errs.Wrap":         2,
	"errs.InvalidField": 1,
	"core.May":          3,
	"May":               3, // inside package core
	"refused":           1, // devices: a field app refused
	"notFoundAs":        2, // breach
	"core.TooMany":      0, // what is throttled, before "; try again in N seconds"
	"TooMany":           0,
	"tooMany":           0,
}

// scanned are the packages whose messages reach users.
var scanned = []string{"service", "crm", "authz", "errs", "web", "api"}

type message struct {
	text  string
	at    string
	verbs bool // a Sprintf format
}

// serverMessages parses the sources under internal/ and returns every
// message literal passed to a message call.
func serverMessages(t *testing.T) []message {
	t.Helper()
	var out []message
	fset := token.NewFileSet()
	for _, dir := range scanned {
		root := filepath.Join("..", dir)
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
				return err
			}
			f, err := parser.ParseFile(fset, p, nil, 0)
			if err != nil {
				return err
			}
			ast.Inspect(f, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				i, ok := messageArg[callee(call.Fun)]
				if !ok && dir == "authz" && (callee(call.Fun) == "fmt.Errorf" || callee(call.Fun) == "errors.New") {
					// authz's checks of a role definition and of networks
					// answer with plain errors the service passes on as the
					// message (governance.Roles.SaveRole, SetNetworks).
					i, ok = 0, true
				}
				if !ok || i >= len(call.Args) {
					return true
				}
				arg := call.Args[i]
				sprintf := callee(call.Fun) == "fmt.Errorf"
				if c, ok := arg.(*ast.CallExpr); ok && callee(c.Fun) == "fmt.Sprintf" && len(c.Args) > 0 {
					arg, sprintf = c.Args[0], true
				}
				if s, ok := literal(arg); ok && s != "" && !strings.HasPrefix(s, "authz: ") { // "authz: …" is an internal error, never shown
					out = append(out, message{text: s, at: fset.Position(call.Pos()).String(), verbs: sprintf})
				}
				return true
			})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func callee(e ast.Expr) string {
	switch f := e.(type) {
	case *ast.Ident:
		return f.Name
	case *ast.SelectorExpr:
		if x, ok := f.X.(*ast.Ident); ok {
			return x.Name + "." + f.Sel.Name
		}
	}
	return ""
}

// literal folds a string literal or a sum of them; in a sum, each part
// that is not a literal (a role's name, a number) becomes %s, as in a
// format, so "your role ("+r+") …" is keyed "your role (%s) …".
func literal(e ast.Expr) (string, bool) {
	switch v := e.(type) {
	case *ast.BasicLit:
		if v.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(v.Value)
		return s, err == nil
	case *ast.ParenExpr:
		return literal(v.X)
	case *ast.BinaryExpr:
		if v.Op != token.ADD {
			return "", false
		}
		a, ok1 := literal(v.X)
		b, ok2 := literal(v.Y)
		if !ok1 && !ok2 {
			return "", false
		}
		if !ok1 {
			a = "%s"
		}
		if !ok2 {
			b = "%s"
		}
		return a + b, true
	}
	return "", false
}

// TestEveryServerMessageTranslated fails on any message the service
// layer, the domain, authorisation or the web and API layers give a user
// that has no Chinese translation, and on a translation whose placeholders
// do not match its format's values.
func TestEveryServerMessageTranslated(t *testing.T) {
	msgs := serverMessages(t)
	if len(msgs) < 300 {
		t.Fatalf("found only %d messages; the scan is not matching the sources", len(msgs))
	}
	missing := map[string]string{}
	for _, m := range msgs {
		if !Has(m.text) {
			missing[m.text] = m.at
		}
	}
	if *list {
		keys := make([]string, 0, len(missing))
		for k := range missing {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			os.Stdout.WriteString(strconv.Quote(k) + ": \"\",\n")
		}
	}
	for k, at := range missing {
		t.Errorf("%s: no Chinese for %q", at, k)
	}
	for r, summary := range authz.RoleSummary {
		if !Has(summary) {
			t.Errorf("no Chinese for role %s's summary %q", r, summary)
		}
	}
	for en, t2 := range zh {
		want := Verbs(en)
		got := Placeholders(t2)
		seen := map[int]bool{}
		for _, n := range got {
			if n < 1 || n > want {
				t.Errorf("%q: placeholder {%d} but the format has %d values", en, n, want)
			}
			seen[n] = true
		}
		if len(seen) != want {
			t.Errorf("%q: the translation shows %d of the format's %d values", en, len(seen), want)
		}
		if t2 == "" {
			t.Errorf("%q: empty translation", en)
		}
	}
}

func TestIn(t *testing.T) {
	for _, c := range []struct{ lang, msg, want string }{
		{ZH, "email or password is incorrect", "邮箱或密码不正确"},
		{ZH, "you may not read customers", "您无权查看客户"},
		{ZH, "forbidden", "无权执行此操作"},
		{ZH, "title is longer than 200 characters", "标题 超过 200 个字符"},
		{ZH, "notes contains a control character (U+0007), which is not allowed", "备注 含有不允许的控制字符（U+0007）"},
		{ZH, `unknown stage "closing"; the pipeline has: [lead won]`, `未知阶段 "closing"；销售管道中有：[lead won]`},
		{ZH, "version 3 is not the current policy (4); read the current one", "第 3 版不是当前政策（第 4 版）；请阅读当前版本"},
		{ZH, "too many login attempts; try again in 30 seconds", "登录尝试次数过多；请在 30 秒后重试"},
		{ZH, "a message nobody wrote a translation for", "a message nobody wrote a translation for"},
		{EN, "email or password is incorrect", "email or password is incorrect"},
		{"", "you may not read customers", "you may not read customers"},
	} {
		if got := In(c.lang, c.msg); got != c.want {
			t.Errorf("In(%q, %q) = %q, want %q", c.lang, c.msg, got, c.want)
		}
	}
}
