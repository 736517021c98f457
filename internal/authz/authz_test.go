package authz

import "testing"

func TestDecide(t *testing.T) {
	admin := Actor{UserID: "usr_a", Roles: []Role{RoleAdmin}}
	sales := Actor{UserID: "usr_s", Roles: []Role{RoleSales}}
	auditor := Actor{UserID: "usr_u", Roles: []Role{RoleAuditor}}
	nobody := Actor{UserID: "usr_n"}
	unknown := Actor{UserID: "usr_x", Roles: []Role{"root"}}
	own := Resource{Object: ObjectCustomer, OwnerID: "usr_s"}
	others := Resource{Object: ObjectCustomer, OwnerID: "usr_other"}
	coll := Resource{Object: ObjectCustomer}
	tests := []struct {
		name      string
		actor     Actor
		action    Action
		res       Resource
		allowed   bool
		scope     Scope
		nationID  Level
		emailWant Level
	}{
		{"admin reads any customer", admin, ActionRead, others, true, ScopeAll, Write, Write},
		{"admin deletes", admin, ActionDelete, others, true, ScopeAll, Write, Write},
		{"sales reads own, national id masked", sales, ActionRead, own, true, ScopeOwn, Masked, Write},
		{"sales may not read another's", sales, ActionRead, others, false, ScopeNone, Hidden, Hidden},
		{"sales lists own only", sales, ActionRead, coll, true, ScopeOwn, Masked, Write},
		{"sales may not delete own", sales, ActionDelete, own, false, ScopeNone, Hidden, Hidden},
		{"sales updates own", sales, ActionUpdate, own, true, ScopeOwn, Masked, Write},
		{"sales may not read the audit log", sales, ActionRead, Resource{Object: ObjectAudit}, false, ScopeNone, Hidden, Hidden},
		{"sales may not create users", sales, ActionCreate, Resource{Object: ObjectUser}, false, ScopeNone, Hidden, Hidden},
		{"auditor reads the audit log", auditor, ActionRead, Resource{Object: ObjectAudit}, true, ScopeAll, Hidden, Hidden},
		{"auditor sees no customer", auditor, ActionRead, others, false, ScopeNone, Hidden, Hidden},
		{"auditor lists no customers", auditor, ActionRead, coll, false, ScopeNone, Hidden, Hidden},
		{"no role, nothing", nobody, ActionRead, coll, false, ScopeNone, Hidden, Hidden},
		{"unknown role, nothing", unknown, ActionRead, coll, false, ScopeNone, Hidden, Hidden},
		{"unknown action, nothing", admin, Action("reveal"), coll, false, ScopeNone, Hidden, Hidden},
		{"sales exports own", sales, ActionExport, coll, true, ScopeOwn, Masked, Write},
		{"auditor exports nothing", auditor, ActionExport, coll, false, ScopeNone, Hidden, Hidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Decide(tt.actor, tt.action, tt.res)
			if d.Allowed != tt.allowed || d.Scope != tt.scope {
				t.Fatalf("allowed %v scope %v; want %v %v", d.Allowed, d.Scope, tt.allowed, tt.scope)
			}
			if got := d.Field("national_id"); got != tt.nationID {
				t.Errorf("national_id %v, want %v", got, tt.nationID)
			}
			if got := d.Field("email"); got != tt.emailWant {
				t.Errorf("email %v, want %v", got, tt.emailWant)
			}
		})
	}
	// Several roles: the union, never more.
	both := Actor{UserID: "usr_s", Roles: []Role{RoleSales, RoleAuditor}}
	if !Decide(both, ActionRead, Resource{Object: ObjectAudit}).Allowed || Decide(both, ActionRead, others).Allowed {
		t.Fatal("sales+auditor should read the audit log and own customers only")
	}
}

func BenchmarkDecide(b *testing.B) {
	a := Actor{UserID: "usr_s", Roles: []Role{RoleSales, RoleAuditor, RoleAdmin}}
	r := Resource{Object: ObjectCustomer, OwnerID: "usr_x"}
	for b.Loop() {
		Decide(a, ActionRead, r)
	}
}
