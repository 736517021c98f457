package authz

import (
	"flag"
	"fmt"
	"os"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/ROLES.md from the role table")

func actor(id, team string, roles ...Role) Actor { return Actor{UserID: id, Team: team, Roles: roles} }

func TestDecide(t *testing.T) {
	admin := actor("usr_a", "", RoleAdmin)
	sales := actor("usr_s", "north", RoleSales)
	manager := actor("usr_m", "north", RoleManager)
	support := actor("usr_p", "north", RoleSupport)
	finance := actor("usr_f", "", RoleFinance)
	marketing := actor("usr_k", "", RoleMarketing)
	counsellor := actor("usr_c", "north", RoleCounsellor)
	fieldRep := actor("usr_r", "north", RoleFieldRep)
	auditor := actor("usr_u", "", RoleAuditor)
	unknown := actor("usr_x", "", "root")

	own := func(a Actor) Resource { return Resource{Object: ObjectCustomer, OwnerID: a.UserID, OwnerTeam: a.Team} }
	teammate := Resource{Object: ObjectCustomer, OwnerID: "usr_peer", OwnerTeam: "north"}
	elsewhere := Resource{Object: ObjectCustomer, OwnerID: "usr_far", OwnerTeam: "south"}
	coll := Resource{Object: ObjectCustomer}
	audit := Resource{Object: ObjectAudit}

	type fields map[string]Level
	tests := []struct {
		name    string
		actor   Actor
		action  Action
		res     Resource
		allowed bool
		scope   Scope
		want    fields // checked when allowed
	}{
		{"admin reads anyone's, every field", admin, ActionRead, elsewhere, true, ScopeAll, fields{"name": Read, "national_id": Read, "assessment": Read}},
		{"admin writes on update", admin, ActionUpdate, elsewhere, true, ScopeAll, fields{"email": Write, "assessment": Write}},
		{"admin deletes", admin, ActionDelete, elsewhere, true, ScopeAll, nil},
		{"sales reads own, national id masked, no special", sales, ActionRead, own(sales), true, ScopeOwn, fields{"email": Read, "national_id": Masked, "assessment": Hidden}},
		{"sales writes contact on update, never national id", sales, ActionUpdate, own(sales), true, ScopeOwn, fields{"email": Write, "national_id": Masked}},
		{"sales may not read a teammate's", sales, ActionRead, teammate, false, ScopeNone, nil},
		{"sales lists own", sales, ActionRead, coll, true, ScopeOwn, nil},
		{"sales may not delete own", sales, ActionDelete, own(sales), false, ScopeNone, nil},
		{"sales exports own, read levels", sales, ActionExport, coll, true, ScopeOwn, fields{"email": Read}},
		{"manager reads a teammate's", manager, ActionRead, teammate, true, ScopeTeam, fields{"national_id": Read, "assessment": Hidden}},
		{"manager may not read another team's", manager, ActionRead, elsewhere, false, ScopeNone, nil},
		{"manager lists by team", manager, ActionRead, coll, true, ScopeTeam, nil},
		{"support reads team: contact, no national id", support, ActionRead, teammate, true, ScopeTeam, fields{"email": Read, "national_id": Hidden, "notes": Hidden}},
		{"support may not create", support, ActionCreate, coll, false, ScopeNone, nil},
		{"finance reads all, identity and contact masked", finance, ActionRead, elsewhere, true, ScopeAll, fields{"name": Masked, "email": Masked, "notes": Hidden, "assessment": Hidden}},
		{"finance may not update customers", finance, ActionUpdate, elsewhere, false, ScopeNone, nil},
		{"marketing reads all, contact masked", marketing, ActionRead, elsewhere, true, ScopeAll, fields{"name": Read, "email": Masked, "national_id": Hidden, "notes": Hidden}},
		{"counsellor reads assigned client's special fields", counsellor, ActionRead, own(counsellor), true, ScopeOwn, fields{"assessment": Read}},
		{"counsellor may not read a colleague's client", counsellor, ActionRead, teammate, false, ScopeNone, nil},
		{"field rep sees no customers", fieldRep, ActionRead, coll, false, ScopeNone, nil},
		{"auditor reads the audit log", auditor, ActionRead, audit, true, ScopeAll, nil},
		{"auditor sees no customer", auditor, ActionRead, elsewhere, false, ScopeNone, nil},
		{"sales may not read the audit log", sales, ActionRead, audit, false, ScopeNone, nil},
		{"unknown role, nothing", unknown, ActionRead, coll, false, ScopeNone, nil},
		{"unknown action, nothing", admin, Action("purge"), coll, false, ScopeNone, nil},
		{"sales reveals own national id only", sales, ActionReveal, own(sales), true, ScopeOwn, fields{"national_id": Read, "email": Hidden, "name": Hidden}},
		{"sales reveals nothing of a teammate's", sales, ActionReveal, teammate, false, ScopeNone, nil},
		{"finance reveals names", finance, ActionReveal, elsewhere, true, ScopeAll, fields{"name": Read, "email": Hidden}},
		{"admin has nothing to reveal", admin, ActionReveal, elsewhere, false, ScopeNone, nil},
		{"two roles: union", actor("usr_s", "north", RoleSales, RoleAuditor), ActionRead, audit, true, ScopeAll, nil},
		{"two roles: no more than the union", actor("usr_s", "north", RoleSales, RoleMarketing), ActionRead, own(sales), true, ScopeAll, fields{"national_id": Masked, "email": Read, "assessment": Hidden}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Decide(tt.actor, tt.action, tt.res)
			if d.Allowed != tt.allowed || d.Scope != tt.scope {
				t.Fatalf("allowed %v scope %v; want %v %v", d.Allowed, d.Scope, tt.allowed, tt.scope)
			}
			if !d.Allowed && len(d.Fields) != 0 {
				t.Fatalf("denied with fields %v", d.Fields)
			}
			for f, want := range tt.want {
				if got := d.Field(f); got != want {
					t.Errorf("%s: %v, want %v", f, got, want)
				}
			}
		})
	}
}

// TestRolesDoc keeps docs/ROLES.md equal to the table it is generated
// from. Run "go test ./internal/authz -update" after changing the table.
func TestRolesDoc(t *testing.T) {
	const path = "../../docs/ROLES.md"
	got := MatrixMarkdown()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/authz -update)", err)
	}
	if string(want) != got {
		t.Fatal("docs/ROLES.md is out of date with the role table; run go test ./internal/authz -update")
	}
}

// TestTemplatesDoc keeps docs/TEMPLATES.md equal to the templates.
func TestTemplatesDoc(t *testing.T) {
	const path = "../../docs/TEMPLATES.md"
	got := TemplatesMarkdown()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil || string(want) != got {
		t.Fatal("docs/TEMPLATES.md is out of date with the templates; run go test ./internal/authz -update")
	}
}

func BenchmarkDecide(b *testing.B) {
	a := actor("usr_s", "north", RoleSales, RoleManager, RoleMarketing, RoleSupport, RoleCounsellor)
	r := Resource{Object: ObjectCustomer, OwnerID: "usr_x", OwnerTeam: "north"}
	for b.Loop() {
		Decide(a, ActionRead, r)
	}
}

// BenchmarkDecidePage: the read decisions of a page of 50 customers of
// two owners, each decided alone and through Decisions.
func BenchmarkDecidePage(b *testing.B) {
	a := actor("usr_s", "north", RoleSales, RoleManager, RoleMarketing, RoleSupport, RoleCounsellor)
	page := make([]Resource, 50)
	for i := range page {
		page[i] = Resource{Object: ObjectCustomer, ID: fmt.Sprintf("cus_%d", i), OwnerID: []string{"usr_s", "usr_x"}[i%2], OwnerTeam: "north"}
	}
	b.Run("each", func(b *testing.B) {
		for b.Loop() {
			for _, r := range page {
				Decide(a, ActionRead, r)
			}
		}
	})
	b.Run("decisions", func(b *testing.B) {
		for b.Loop() {
			ds := NewDecisions(a, ActionRead)
			for _, r := range page {
				ds.Decide(r)
			}
		}
	})
}
