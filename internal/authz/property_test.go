package authz

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"

	"strongroom.dev/strongroom/internal/crm"
)

// randomGrants makes a role's grants at random over every object, action,
// class and field, for the property tests.
func randomGrants(r *rand.Rand) map[Object]Grant {
	out := map[Object]Grant{}
	for _, o := range Objects {
		if r.IntN(3) == 0 {
			continue
		}
		g := Grant{Actions: map[Action]Scope{}, Classes: map[crm.FieldClass]Level{}, Fields: map[string]Level{}, Reveal: map[string]bool{}}
		for _, a := range Actions {
			if s := Scope(r.IntN(4)); s != ScopeNone {
				g.Actions[a] = s
			}
		}
		for _, c := range crm.Classes {
			g.Classes[c] = Level(r.IntN(4))
		}
		for _, f := range fieldsOf(o) {
			if r.IntN(4) == 0 {
				g.Fields[f.Name] = Level(r.IntN(4))
			}
			if r.IntN(4) == 0 {
				g.Reveal[f.Name] = true
			}
		}
		out[o] = g
	}
	return out
}

// addRandomRoles gives a 1 to n roles: a built-in one one time in
// builtInOdds, otherwise one defined with random grants (named after tag).
func addRandomRoles(r *rand.Rand, a *Actor, tag, n, builtInOdds int) {
	for j := range 1 + r.IntN(n) {
		if r.IntN(builtInOdds) == 0 {
			a.Roles = append(a.Roles, Roles[r.IntN(len(Roles))])
			continue
		}
		name := Role(fmt.Sprintf("custom_%d_%d", tag, j))
		a.Defined[name] = randomGrants(r)
		a.Roles = append(a.Roles, name)
	}
}

// TestDecideNeverExceedsTheUnion: for generated roles (defined and
// built-in), records and actions, what several roles yield together is
// exactly the union of what each yields alone, and what one role yields
// never exceeds what it grants (read-only actions never write; reveal
// opens only the fields the role names).
func TestDecideNeverExceedsTheUnion(t *testing.T) {
	r := rand.New(rand.NewPCG(2026, 11))
	owners := []struct{ id, team string }{{"me", "north"}, {"mate", "north"}, {"other", "south"}, {"", ""}}
	for i := range 3000 {
		a := Actor{UserID: "me", Team: "north", Defined: map[Role]map[Object]Grant{}}
		addRandomRoles(r, &a, i, 5, 3)
		for _, o := range Objects {
			for _, act := range Actions {
				own := owners[r.IntN(len(owners))]
				res := Resource{Object: o, OwnerID: own.id, OwnerTeam: own.team}
				all := Decide(a, act, res)
				union := Decision{}
				for _, role := range a.Roles {
					one := a
					one.Roles = []Role{role}
					d := Decide(one, act, res)
					checkWithinGrant(t, a.grants(role)[o], act, o, d)
					if !d.Allowed {
						continue
					}
					union.Allowed = true
					union.Scope = max(union.Scope, d.Scope)
					if union.Fields == nil {
						union.Fields, union.Classes = map[string]Level{}, map[crm.FieldClass]Level{}
					}
					for f, l := range d.Fields {
						union.Fields[f] = max(union.Fields[f], l)
					}
					for c, l := range d.Classes {
						union.Classes[c] = max(union.Classes[c], l)
					}
				}
				got, _ := json.Marshal(all)
				want, _ := json.Marshal(union)
				if string(got) != string(want) {
					t.Fatalf("roles %v, %s %s of %+v:\n together %s\n union    %s", a.Roles, act, o, res, got, want)
				}
			}
		}
	}
}

func checkWithinGrant(t *testing.T, g Grant, act Action, o Object, d Decision) {
	t.Helper()
	if !d.Allowed {
		return
	}
	if g.Actions[act] == ScopeNone {
		t.Fatalf("%s %s allowed without a grant", act, o)
	}
	for _, f := range fieldsOf(o) {
		l, granted := d.Fields[f.Name], g.level(f.Name, f.Class)
		switch {
		case act == ActionReveal && l > Hidden && !g.Reveal[f.Name]:
			t.Fatalf("reveal of %s.%s opened a field the role may not reveal", o, f.Name)
		case act != ActionReveal && l > granted:
			t.Fatalf("%s %s.%s at %s, above the granted %s", act, o, f.Name, l, granted)
		case l == Write && act != ActionCreate && act != ActionUpdate:
			t.Fatalf("%s yields write on %s.%s", act, o, f.Name)
		}
	}
}

func TestRoleDefCheck(t *testing.T) {
	ok := RoleDef{Name: "claims_clerk", Summary: "handles claims", Grants: map[Object]Grant{
		ObjectCustomer: {Actions: map[Action]Scope{ActionRead: ScopeTeam, ActionReveal: ScopeTeam},
			Classes: map[crm.FieldClass]Level{crm.ClassIdentity: Read, crm.ClassContact: Masked}, Reveal: map[string]bool{crm.FieldEmail: true}},
	}}
	if err := ok.Check(); err != nil {
		t.Fatalf("a good role: %v", err)
	}
	cases := []struct {
		name   string
		change func(d *RoleDef)
	}{
		{"bad name", func(d *RoleDef) { d.Name = "Claims Clerk" }},
		{"a built-in name", func(d *RoleDef) { d.Name = RoleAdmin }},
		{"no summary", func(d *RoleDef) { d.Summary = " " }},
		{"unknown object", func(d *RoleDef) { d.Grants["invoice"] = Grant{Actions: map[Action]Scope{ActionRead: ScopeAll}} }},
		{"unknown action", func(d *RoleDef) { d.Grants[ObjectCustomer].Actions["approve"] = ScopeAll }},
		{"unknown field", func(d *RoleDef) {
			d.Grants[ObjectCustomer] = Grant{Actions: map[Action]Scope{ActionRead: ScopeAll}, Fields: map[string]Level{"salary": Read}}
		}},
		{"reveal of a readable field", func(d *RoleDef) { d.Grants[ObjectCustomer].Reveal[crm.FieldName] = true }},
		{"audit scoped to own", func(d *RoleDef) { d.Grants[ObjectAudit] = Grant{Actions: map[Action]Scope{ActionRead: ScopeOwn}} }},
		{"fields on the audit log", func(d *RoleDef) {
			d.Grants[ObjectAudit] = Grant{Actions: map[Action]Scope{ActionRead: ScopeAll}, Classes: map[crm.FieldClass]Level{crm.ClassContact: Read}}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var d RoleDef
			b, _ := json.Marshal(ok)
			json.Unmarshal(b, &d)
			c.change(&d)
			if err := d.Check(); err == nil {
				t.Fatal("accepted")
			}
		})
	}
	var round RoleDef
	b, _ := json.Marshal(ok)
	if err := json.Unmarshal(b, &round); err != nil || round.Grants[ObjectCustomer].Actions[ActionRead] != ScopeTeam || round.Grants[ObjectCustomer].Classes[crm.ClassContact] != Masked {
		t.Fatalf("JSON round trip: %s → %+v, %v", b, round, err)
	}
	if err := json.Unmarshal([]byte(`{"grants":{"customer":{"actions":{"read":"everyone"}}}}`), &round); err == nil {
		t.Fatal("an unknown scope decoded")
	}
}

func TestExplain(t *testing.T) {
	custom := map[Object]Grant{ObjectCustomer: {Actions: map[Action]Scope{ActionRead: ScopeAll}, Classes: map[crm.FieldClass]Level{crm.ClassContact: Read}}}
	a := Actor{UserID: "u", Roles: []Role{RoleSales, "directory"}, Defined: map[Role]map[Object]Grant{"directory": custom}}
	var customer *ObjectAccess
	got := Explain(a)
	for i := range got {
		if got[i].Object == ObjectCustomer {
			customer = &got[i]
		}
		if got[i].Object == ObjectAudit {
			t.Errorf("the audit log is listed for a salesperson")
		}
	}
	if customer == nil {
		t.Fatal("no customer access")
	}
	want := map[Action]struct {
		scope Scope
		roles string
	}{ActionRead: {ScopeAll, "[directory]"}, ActionUpdate: {ScopeOwn, "[sales]"}, ActionReveal: {ScopeOwn, "[sales]"}}
	for _, aa := range customer.Actions {
		if w, ok := want[aa.Action]; ok && (aa.Scope != w.scope || fmt.Sprint(aa.Roles) != w.roles) {
			t.Errorf("%s: %s by %v, want %s by %s", aa.Action, aa.Scope, aa.Roles, w.scope, w.roles)
		}
	}
	for _, f := range customer.Fields {
		switch f.Field {
		case crm.FieldEmail:
			if f.Level != Write || fmt.Sprint(f.Roles) != "[sales]" {
				t.Errorf("email: %s by %v", f.Level, f.Roles)
			}
		case crm.FieldNationalID:
			if f.Level != Masked || fmt.Sprint(f.RevealBy) != "[sales]" {
				t.Errorf("national id: %s, reveal by %v", f.Level, f.RevealBy)
			}
		}
	}
}

func TestNetworks(t *testing.T) {
	nets, err := ParseNetworks([]string{"10.1.2.3/8", " 192.168.1.7 ", "", "2001:db8::/32"})
	if err != nil || fmt.Sprint(nets) != "[10.0.0.0/8 192.168.1.7/32 2001:db8::/32]" {
		t.Fatalf("ParseNetworks: %v, %v", nets, err)
	}
	if _, err := ParseNetworks([]string{"10.0.0.0/33"}); err == nil {
		t.Fatal("a bad prefix accepted")
	}
	cases := []struct {
		ip   string
		nets []string
		want bool
	}{
		{"203.0.113.9", nil, true},
		{"10.200.0.1", nets, true},
		{"::ffff:10.0.0.5", nets, true},
		{"192.168.1.7", nets, true},
		{"192.168.1.8", nets, false},
		{"2001:db8:1::1", nets, true},
		{"203.0.113.9", nets, false},
		{"", nets, false},
		{"garbage", nets, false},
	}
	for _, c := range cases {
		if got := FromNetworks(c.ip, c.nets); got != c.want {
			t.Errorf("FromNetworks(%q, %v) = %v", c.ip, c.nets, got)
		}
	}
}

func TestTemplatesAreValid(t *testing.T) {
	if len(Templates) != 5 {
		t.Fatalf("%d templates", len(Templates))
	}
	seen := map[Role]string{}
	for _, tpl := range Templates {
		for _, r := range tpl.Roles {
			if err := r.Check(); err != nil {
				t.Errorf("%s/%s: %v", tpl.Name, r.Name, err)
			}
			if other, dup := seen[r.Name]; dup {
				t.Errorf("role %s in both %s and %s", r.Name, other, tpl.Name)
			}
			seen[r.Name] = tpl.Name
			if r.Grants[ObjectUser].Actions != nil {
				t.Errorf("%s/%s grants user administration", tpl.Name, r.Name)
			}
		}
	}
}

func TestBreakGlassOpensOnlyThatRecord(t *testing.T) {
	rep := Actor{UserID: "rep", Roles: []Role{RoleFieldRep}, BreakGlass: []string{"cus_1"}}
	opened := Resource{Object: ObjectCustomer, ID: "cus_1", OwnerID: "someone", OwnerTeam: "x"}
	d := Decide(rep, ActionRead, opened)
	if !d.Allowed || d.Field(crm.FieldName) != Read || d.Field(crm.FieldAssessment) != Masked {
		t.Fatalf("the opened record: %+v", d)
	}
	for _, c := range []struct {
		act Action
		r   Resource
	}{
		{ActionUpdate, opened},
		{ActionExport, opened},
		{ActionReveal, opened},
		{ActionRead, Resource{Object: ObjectCustomer, ID: "cus_2", OwnerID: "someone"}},
		{ActionRead, Resource{Object: ObjectCustomer}}, // the list
		{ActionRead, Resource{Object: ObjectCompany, ID: "cus_1", OwnerID: "someone"}},
	} {
		if Decide(rep, c.act, c.r).Allowed {
			t.Errorf("break-glass on cus_1 allowed %s on %+v", c.act, c.r)
		}
	}
}

// BenchmarkDecideDefined: a decision for a user holding five roles that
// administrators defined (random grants over every object and field).
func BenchmarkDecideDefined(b *testing.B) {
	r := rand.New(rand.NewPCG(5, 5))
	a := Actor{UserID: "usr_s", Team: "north", Defined: map[Role]map[Object]Grant{}}
	for i := range 5 {
		name := Role(fmt.Sprintf("defined_%d", i))
		a.Defined[name] = randomGrants(r)
		a.Roles = append(a.Roles, name)
	}
	res := Resource{Object: ObjectCustomer, ID: "cus_x", OwnerID: "usr_x", OwnerTeam: "north"}
	for b.Loop() {
		Decide(a, ActionRead, res)
	}
}

func TestSubTeams(t *testing.T) {
	parents := map[string]string{"north-east": "north", "ne-1": "north-east", "south": "", "loop-a": "loop-b", "loop-b": "loop-a"}
	cases := map[string]string{"north": "[ne-1 north-east]", "north-east": "[ne-1]", "ne-1": "[]", "south": "[]", "": "[]", "loop-a": "[loop-b]"}
	for team, want := range cases {
		if got := fmt.Sprint(SubTeams(team, parents)); got != want && !(want == "[]" && got == "[]") {
			t.Errorf("SubTeams(%q) = %s, want %s", team, got, want)
		}
	}
	mgr := Actor{UserID: "m", Roles: []Role{RoleManager}, Team: "north", SubTeams: SubTeams("north", parents)}
	if !Decide(mgr, ActionRead, Resource{Object: ObjectCustomer, OwnerID: "x", OwnerTeam: "ne-1"}).Allowed {
		t.Error("a manager does not reach a sub-sub-team's customer")
	}
	if Decide(mgr, ActionRead, Resource{Object: ObjectCustomer, OwnerID: "x", OwnerTeam: "south"}).Allowed {
		t.Error("a manager reaches another branch")
	}
}

// TestDecisionsAreEachRecordsOwn: deciding a page's records through
// Decisions, in any order and with the same owners repeated, gives each
// record exactly its own Decide, break-glass customers and sub-teams
// included.
func TestDecisionsAreEachRecordsOwn(t *testing.T) {
	r := rand.New(rand.NewPCG(2026, 12))
	owners := []struct{ id, team string }{{"me", "north"}, {"mate", "north"}, {"mate", "south"}, {"sub", "ne-1"}, {"other", "south"}, {"other", "ne-1"}, {"", ""}, {"me", ""}}
	ids := []string{"cus_1", "cus_2", "cus_3", ""}
	for i := range 500 {
		a := Actor{UserID: "me", Team: "north", SubTeams: []string{"ne-1"}, BreakGlass: []string{"cus_2"}, Defined: map[Role]map[Object]Grant{}}
		addRandomRoles(r, &a, i, 3, 2)
		act := Actions[r.IntN(len(Actions))]
		ds := NewDecisions(a, act)
		for range 40 {
			own := owners[r.IntN(len(owners))]
			res := Resource{Object: Objects[r.IntN(len(Objects))], ID: ids[r.IntN(len(ids))], OwnerID: own.id, OwnerTeam: own.team}
			got, _ := json.Marshal(ds.Decide(res))
			want, _ := json.Marshal(Decide(a, act, res))
			if string(got) != string(want) {
				t.Fatalf("roles %v, %s of %+v:\n on the page %s\n alone       %s", a.Roles, act, res, got, want)
			}
		}
	}
}
