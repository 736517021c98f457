package authz

import (
	"fmt"
	"strings"
)

// MatrixMarkdown renders the role table as docs/ROLES.md: what each role
// may do to each object type, at which scope, and what it sees of each
// field (by class, with per-field overrides applied).
func MatrixMarkdown() string {
	var b strings.Builder
	b.WriteString("# Roles and what each may see\n\n")
	b.WriteString("Generated from `internal/authz/policy.go` by `go test ./internal/authz -update`; a test fails when\n")
	b.WriteString("they differ, and the end-to-end matrix test checks the API against the same table. Deny by\n")
	b.WriteString("default: anything not listed is refused. A user with several roles gets the union.\n\n")
	b.WriteString("Scopes: **own** = records the user owns or is assigned; **team** = records owned by anyone in\n")
	b.WriteString("the user's team; **all** = every record. Field levels: **hidden** (absent from every response,\n")
	b.WriteString("export and search), **masked** (e.g. `1****************4`, never writable), **read**, **write**\n")
	b.WriteString("(with create/update). **reveal**: the role may show that masked field in full, one record at a\n")
	b.WriteString("time, giving a reason that the audit log keeps. A record outside the scope answers 404, exactly\n")
	b.WriteString("like a missing one.\n\n")

	b.WriteString("## Roles\n\n| role | for |\n|---|---|\n")
	for _, r := range Roles {
		fmt.Fprintf(&b, "| `%s` | %s |\n", r, RoleSummary[r])
	}

	b.WriteString("\n## Actions by object\n\n| role |")
	for _, o := range Objects {
		fmt.Fprintf(&b, " %s |", o)
	}
	b.WriteString("\n|---|")
	for range Objects {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, r := range Roles {
		fmt.Fprintf(&b, "| `%s` |", r)
		for _, o := range Objects {
			var parts []string
			for _, a := range Actions {
				if s := policy[r][o].Actions[a]; s != ScopeNone {
					parts = append(parts, fmt.Sprintf("%s (%s)", a, s))
				}
			}
			if len(parts) == 0 {
				parts = []string{"—"}
			}
			fmt.Fprintf(&b, " %s |", strings.Join(parts, ", "))
		}
		b.WriteString("\n")
	}

	for _, o := range Objects {
		fields := fieldsOf(o)
		if len(fields) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n## %s fields\n\nThe level each role has on each %s field when it may read the record (write applies\nto create and update).\n\n| field | class |", strings.ToUpper(string(o[:1]))+string(o[1:]), o)
		for _, r := range Roles {
			fmt.Fprintf(&b, " %s |", r)
		}
		b.WriteString("\n|---|---|")
		for range Roles {
			b.WriteString("---|")
		}
		b.WriteString("\n")
		for _, f := range fields {
			fmt.Fprintf(&b, "| %s | %s |", f.Name, f.Class)
			for _, r := range Roles {
				g, ok := policy[r][o]
				l := Hidden
				if ok && g.Actions[ActionRead] != ScopeNone {
					l = g.level(f.Name, f.Class)
				}
				if ok && g.Reveal[f.Name] && g.Actions[ActionReveal] != ScopeNone {
					fmt.Fprintf(&b, " %s, reveal |", l)
					continue
				}
				fmt.Fprintf(&b, " %s |", l)
			}
			b.WriteString("\n")
		}
	}
	return b.String()
}
