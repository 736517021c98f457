package authz

import "testing"

// A client acting for a user gets no more than either: the intersection
// of the client's role and the user's roles.
func TestWithinIsTheIntersection(t *testing.T) {
	cases := []struct {
		name       string
		user       []Role
		client     Role
		act        Action
		obj        Object
		wantClient bool // the narrowed actor may
	}{
		{"admin client, sales user: no audit log", []Role{RoleSales}, RoleAdmin, ActionRead, ObjectAudit, false},
		{"admin client, sales user: customers as sales", []Role{RoleSales}, RoleAdmin, ActionRead, ObjectCustomer, true},
		{"auditor client, admin user: audit log", []Role{RoleAdmin}, RoleAuditor, ActionRead, ObjectAudit, true},
		{"auditor client, admin user: no customers", []Role{RoleAdmin}, RoleAuditor, ActionRead, ObjectCustomer, false},
		{"admin client, admin user: users", []Role{RoleAdmin}, RoleAdmin, ActionCreate, ObjectUser, true},
		{"sales client, admin user: no user admin", []Role{RoleAdmin}, RoleSales, ActionCreate, ObjectUser, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := Actor{UserID: "usr_1", Roles: c.user}.Within(c.client)
			if got := Decide(a, c.act, Resource{Object: c.obj}).Allowed; got != c.wantClient {
				t.Fatalf("allowed = %v, want %v", got, c.wantClient)
			}
		})
	}
	// Fields: a sales user sees the national id masked; through an admin
	// client it stays masked (never widened to read).
	a := Actor{UserID: "usr_1", Roles: []Role{RoleSales}}
	plain := Decide(a, ActionRead, Resource{Object: ObjectCustomer, OwnerID: "usr_1"})
	via := Decide(a.Within(RoleAdmin), ActionRead, Resource{Object: ObjectCustomer, OwnerID: "usr_1"})
	for f, l := range via.Fields {
		if l > plain.Fields[f] {
			t.Errorf("field %s widened from %v to %v", f, plain.Fields[f], l)
		}
	}
	if via.Scope > plain.Scope {
		t.Errorf("scope widened from %v to %v", plain.Scope, via.Scope)
	}
}
