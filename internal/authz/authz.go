// Package authz decides what an actor may do. Decide is the one decision
// point: a pure function of the actor, the action and the resource, deny by
// default. Handlers and services never decide for themselves; they ask and
// obey, including the per-field levels it returns.
package authz

import (
	"slices"
)

// Role names a set of grants. A user may hold several; the union applies.
type Role string

const (
	RoleAdmin   Role = "admin"
	RoleSales   Role = "sales"
	RoleAuditor Role = "auditor"
)

// Roles lists the built-in roles.
var Roles = []Role{RoleAdmin, RoleSales, RoleAuditor}

// ValidRole reports whether r is a known role.
func ValidRole(r string) bool { return slices.Contains(Roles, Role(r)) }

// Object is a type of resource.
type Object string

const (
	ObjectCustomer Object = "customer"
	ObjectUser     Object = "user"
	ObjectAudit    Object = "audit"
)

// Action is something done to a resource.
type Action string

const (
	ActionRead   Action = "read" // one record, or a list of them
	ActionCreate Action = "create"
	ActionUpdate Action = "update"
	ActionDelete Action = "delete"
	ActionExport Action = "export" // many records at once, out of the system
)

// Scope is how many records of an object type a grant reaches.
type Scope uint8

const (
	ScopeNone Scope = iota
	ScopeOwn        // records the actor owns
	ScopeAll
)

// Level is what an actor may do with one field.
type Level uint8

const (
	Hidden Level = iota // absent from every response
	Masked              // shown masked; never writable
	Read
	Write
)

func (l Level) String() string {
	return [...]string{"hidden", "masked", "read", "write"}[l]
}

// Actor is who is asking.
type Actor struct {
	UserID    string
	Roles     []Role
	SessionID string
	IP        string
}

// SystemUserID is the actor id of Strongroom's own command-line and
// background work. It acts with the admin role and is audited like anyone.
const SystemUserID = "system"

// System is the actor for command-line administration on the server host.
func System() Actor { return Actor{UserID: SystemUserID, Roles: []Role{RoleAdmin}} }

// Resource is what is asked about. OwnerID is empty when the action is on
// the collection (list, create) rather than on one record.
type Resource struct {
	Object  Object
	OwnerID string
}

// Decision is the answer. Fields is nil unless Allowed.
type Decision struct {
	Allowed bool
	Scope   Scope            // for collection actions: which records the actor reaches
	Fields  map[string]Level // per personal field; a missing field is Hidden
}

// Field is the level for one field, Hidden when absent.
func (d Decision) Field(name string) Level { return d.Fields[name] }

type grant struct {
	actions map[Action]Scope
	fields  map[string]Level
}

// policy is the built-in role table. Anything not listed is denied.
var policy = map[Role]map[Object]grant{
	RoleAdmin: {
		ObjectCustomer: {
			actions: map[Action]Scope{ActionRead: ScopeAll, ActionCreate: ScopeAll, ActionUpdate: ScopeAll, ActionDelete: ScopeAll, ActionExport: ScopeAll},
			fields:  map[string]Level{"name": Write, "email": Write, "phone": Write, "national_id": Write, "notes": Write},
		},
		ObjectUser: {
			actions: map[Action]Scope{ActionRead: ScopeAll, ActionCreate: ScopeAll, ActionUpdate: ScopeAll},
		},
		ObjectAudit: {
			actions: map[Action]Scope{ActionRead: ScopeAll},
		},
	},
	RoleSales: {
		ObjectCustomer: {
			actions: map[Action]Scope{ActionRead: ScopeOwn, ActionCreate: ScopeOwn, ActionUpdate: ScopeOwn, ActionExport: ScopeOwn},
			fields:  map[string]Level{"name": Write, "email": Write, "phone": Write, "national_id": Masked, "notes": Write},
		},
	},
	RoleAuditor: {
		ObjectAudit: {
			actions: map[Action]Scope{ActionRead: ScopeAll},
		},
	},
}

// Decide answers whether a may do act on r, and with which fields. The
// union of a's roles applies; a role reaching r only by ScopeOwn applies
// when a owns r (or, for collection actions, limits the scope to own).
func Decide(a Actor, act Action, r Resource) Decision {
	d := Decision{}
	for _, role := range a.Roles {
		g, ok := policy[role][r.Object]
		if !ok {
			continue
		}
		scope := g.actions[act]
		if scope == ScopeNone {
			continue
		}
		if r.OwnerID != "" && scope == ScopeOwn && r.OwnerID != a.UserID {
			continue
		}
		d.Allowed = true
		d.Scope = max(d.Scope, scope)
		if d.Fields == nil {
			d.Fields = map[string]Level{}
		}
		for f, l := range g.fields {
			d.Fields[f] = max(d.Fields[f], l)
		}
	}
	return d
}
