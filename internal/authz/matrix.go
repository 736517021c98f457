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

	writeGrants(&b, "##", Roles, func(r Role) map[Object]Grant { return policy[r] })
	return b.String()
}

// writeGrants renders, for roles, what each may do to each object type
// and the level each has on each personal field (objects no role touches
// are left out), under headings of the given level.
func writeGrants(b *strings.Builder, h string, roles []Role, grants func(Role) map[Object]Grant) {
	var objects []Object
	for _, o := range Objects {
		for _, r := range roles {
			if len(grants(r)[o].Actions) > 0 {
				objects = append(objects, o)
				break
			}
		}
	}
	fmt.Fprintf(b, "\n%s Actions by object\n\n| role |", h)
	for _, o := range objects {
		fmt.Fprintf(b, " %s |", o)
	}
	b.WriteString("\n|---|")
	for range objects {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, r := range roles {
		fmt.Fprintf(b, "| `%s` |", r)
		for _, o := range objects {
			var parts []string
			for _, a := range Actions {
				if s := grants(r)[o].Actions[a]; s != ScopeNone {
					parts = append(parts, fmt.Sprintf("%s (%s)", a, s))
				}
			}
			if len(parts) == 0 {
				parts = []string{"—"}
			}
			fmt.Fprintf(b, " %s |", strings.Join(parts, ", "))
		}
		b.WriteString("\n")
	}
	for _, o := range objects {
		fields := fieldsOf(o)
		if len(fields) == 0 {
			continue
		}
		fmt.Fprintf(b, "\n%s %s fields\n\nThe level each role has on each %s field when it may read the record (write applies\nto create and update).\n\n| field | class |", h, strings.ToUpper(string(o[:1]))+string(o[1:]), o)
		for _, r := range roles {
			fmt.Fprintf(b, " %s |", r)
		}
		b.WriteString("\n|---|---|")
		for range roles {
			b.WriteString("---|")
		}
		b.WriteString("\n")
		for _, f := range fields {
			fmt.Fprintf(b, "| %s | %s |", f.Name, f.Class)
			for _, r := range roles {
				g, ok := grants(r)[o]
				l := Hidden
				if ok && g.Actions[ActionRead] != ScopeNone {
					l = g.level(f.Name, f.Class)
				}
				if ok && g.Reveal[f.Name] && g.Actions[ActionReveal] != ScopeNone {
					fmt.Fprintf(b, " %s, reveal |", l)
					continue
				}
				fmt.Fprintf(b, " %s |", l)
			}
			b.WriteString("\n")
		}
	}
}

// TemplatesMarkdown renders the industry templates as docs/TEMPLATES.md.
func TemplatesMarkdown() string {
	var b strings.Builder
	b.WriteString("# Industry templates\n\n")
	b.WriteString("Generated from `internal/authz/templates.go` by `go test ./internal/authz -update`; a test fails when\n")
	b.WriteString("they differ. Applying a template (roles page, `POST /api/v1/role-templates/{name}/apply`,\n")
	b.WriteString("`strongroom role template --name NAME`) defines its roles in one step, audited like any role\n")
	b.WriteString("change; afterwards they are ordinary defined roles to change, copy, limit to networks or retire.\n")
	b.WriteString("Applying again restores a template role's definition. Scopes, levels and reveal read as in\n")
	b.WriteString("[ROLES.md](ROLES.md); the built-in roles stay available beside them.\n")
	for _, t := range Templates {
		fmt.Fprintf(&b, "\n## %s (`%s`)\n\n%s\n\n| role | for |\n|---|---|\n", t.Title, t.Name, t.Purpose)
		var names []Role
		defs := map[Role]map[Object]Grant{}
		for _, r := range t.Roles {
			fmt.Fprintf(&b, "| `%s` | %s |\n", r.Name, r.Summary)
			names = append(names, r.Name)
			defs[r.Name] = r.Grants
		}
		writeGrants(&b, "###", names, func(r Role) map[Object]Grant { return defs[r] })
	}
	return b.String()
}
