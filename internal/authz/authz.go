// Package authz decides what an actor may do. Decide is the one decision
// point: a pure function of the actor, the action and the resource, deny by
// default. Handlers and services never decide for themselves; they ask and
// obey, including the per-field levels it returns.
//
// The role table (policy.go) grants, per object type, actions at a scope
// and, per field class, an access level, with per-field overrides where a
// field must differ from its class. docs/ROLES.md is generated from it.
package authz

import (
	"slices"
	"time"

	"strongroom.dev/strongroom/internal/crm"
)

// Role names a set of grants. A user may hold several; the union applies.
type Role string

// Object is a type of resource.
type Object string

const (
	ObjectCustomer    Object = "customer"
	ObjectCompany     Object = "company"
	ObjectDeal        Object = "deal"
	ObjectVisit       Object = "visit"
	ObjectTransaction Object = "transaction" // scoped by the customer's owner
	ObjectUser        Object = "user"
	ObjectAudit       Object = "audit"
	ObjectPrivacy     Object = "privacy" // the privacy centre: requests, retention, incidents, reports
	// ObjectIntegration is the organisation's integrations: OAuth clients of
	// partner systems, webhook subscriptions and their deliveries.
	ObjectIntegration Object = "integration"
	// ObjectDevice is every user's field devices (a user always manages
	// their own; this object is reading and locking anyone's).
	ObjectDevice Object = "device"
	// ObjectSealedNote is sealed notes (end-to-end encrypted) on the
	// customers the actor may read: read is holding a seal key and opening
	// notes one is a recipient of, create is writing and sharing them. Its
	// scope is always all: the customer's own scope bounds it.
	ObjectSealedNote Object = "sealed_note"
)

// Objects lists the object types in display order.
var Objects = []Object{ObjectCustomer, ObjectCompany, ObjectDeal, ObjectTransaction, ObjectVisit, ObjectUser, ObjectAudit, ObjectPrivacy, ObjectIntegration, ObjectDevice, ObjectSealedNote}

// Action is something done to a resource.
type Action string

const (
	ActionRead   Action = "read" // one record, or a list of them
	ActionCreate Action = "create"
	ActionUpdate Action = "update"
	ActionDelete Action = "delete"
	ActionExport Action = "export" // many records at once, out of the system
	ActionReveal Action = "reveal" // show one masked field in full, with a reason
)

// Actions lists the actions in display order.
var Actions = []Action{ActionRead, ActionCreate, ActionUpdate, ActionDelete, ActionExport, ActionReveal}

// Scope is how many records of an object type a grant reaches.
type Scope uint8

const (
	ScopeNone Scope = iota
	ScopeOwn        // records the actor owns (or is assigned)
	ScopeTeam       // records owned by anyone in the actor's team
	ScopeAll
)

func (s Scope) String() string { return [...]string{"—", "own", "team", "all"}[s] }

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
	UserID string
	Roles  []Role
	// Defined holds the grants of the actor's roles that administrators
	// defined (read at authentication, so edits apply from the next
	// request); built-in roles come from the built-in table.
	Defined map[Role]map[Object]Grant
	// BreakGlass lists customer records the actor opened by break-glass,
	// still inside their window: each may be read as RoleBreakGlass allows.
	BreakGlass []string
	Team       string
	// SubTeams are the teams below Team, at any depth: team scope reaches
	// them too (a manager's team includes its sub-teams).
	SubTeams []string
	Locale   string // the user's chosen UI language, "" for none (not used for decisions)
	// TimeZone and TimeFormat say how the user's times are shown (a tz
	// database name, "" for UTC; "" or "iso"); never used for decisions.
	TimeZone, TimeFormat string
	// PolicyPending: the user has not accepted the current security policy;
	// until they do, only the policy itself (and logging out) is reachable.
	PolicyPending bool
	// TrainingPending: a role the actor holds must have passed a training
	// module's current version before reaching customer data, and the
	// actor has not; until they pass, only the training (and what the
	// policy gate lets through) is reachable.
	TrainingPending bool
	// MFAPending: the password was right but the second factor is still
	// owed; until it is given, only verifying it (and logging out) works.
	MFAPending bool
	// EnrolPending: the user's role must use two-step login and they have
	// no authenticator yet; until they enrol one, only that is reachable.
	EnrolPending bool
	// PasswordPending: an administrator chose the user's password; until
	// the user changes it, only changing it (and logging out) is reachable.
	PasswordPending bool
	// VerifiedAt is when this session last proved its user fresh: the
	// second factor (at login or on a step-up), or the password for a user
	// without one. Sensitive actions need it within StepUpWindow.
	VerifiedAt time.Time
	SessionID  string
	IP         string
	// ClientID is the OAuth client acting, for a request made with an
	// OAuth access token ("" for a person's own session): the client's own
	// account for client credentials, or the user who approved it for the
	// authorisation code flow. Its events name it.
	ClientID string
	// DeviceID is the registered field device a session is bound to
	// ("" for none); its events name it.
	DeviceID string
}

// StepUpWindow is how recent a session's last proof must be for a
// sensitive action (revealing a masked field, exporting, changing roles or
// someone's credentials).
const StepUpWindow = 5 * time.Minute

// SteppedUp reports whether a may take a sensitive action at now. The
// system actor (command line, background jobs on the host) always may.
func (a Actor) SteppedUp(now time.Time) bool {
	if a.UserID == SystemUserID && a.SessionID == "" {
		return true
	}
	return !a.VerifiedAt.IsZero() && now.Sub(a.VerifiedAt) < StepUpWindow
}

// SystemUserID is the actor id of Strongroom's own command-line and
// background work. It acts with the admin role and is audited like anyone.
const SystemUserID = "system"

// System is the actor for command-line administration on the server host.
func System() Actor { return Actor{UserID: SystemUserID, Roles: []Role{RoleAdmin}} }

// Resource is what is asked about. OwnerID and OwnerTeam are empty when
// the action is on the collection (list, create, export) rather than on
// one record.
type Resource struct {
	Object    Object
	ID        string // the record, when one is asked about (break-glass matches it)
	OwnerID   string
	OwnerTeam string
}

// Decision is the answer. Fields is nil unless Allowed.
type Decision struct {
	Allowed bool
	Scope   Scope                    // for collection actions: which records the actor reaches
	Fields  map[string]Level         // per personal field; a missing field is Hidden
	Classes map[crm.FieldClass]Level // per field class, for data kept beside the record (preferences, feedback)
}

// Field is the level for one field, Hidden when absent.
func (d Decision) Field(name string) Level { return d.Fields[name] }

// Class is the level for a whole field class, Hidden when absent.
func (d Decision) Class(c crm.FieldClass) Level { return d.Classes[c] }

// Grant is what one role may do with one object type.
type Grant struct {
	Actions map[Action]Scope         `json:"actions"`
	Classes map[crm.FieldClass]Level `json:"classes,omitempty"`
	Fields  map[string]Level         `json:"fields,omitempty"` // overrides the class level for one field
	Reveal  map[string]bool          `json:"reveal,omitempty"` // masked fields this role may reveal, with a reason
}

// level is the grant's level for a field of the given class.
func (g Grant) level(field string, class crm.FieldClass) Level {
	if l, ok := g.Fields[field]; ok {
		return l
	}
	return g.Classes[class]
}

// reaches reports whether scope s covers resource r for actor a.
func reaches(s Scope, a Actor, r Resource) bool {
	switch s {
	case ScopeAll:
		return true
	case ScopeTeam:
		if r.OwnerID == "" && r.OwnerTeam == "" {
			return true // the collection: the caller filters by team
		}
		return r.OwnerID == a.UserID || (a.Team != "" && (r.OwnerTeam == a.Team || slices.Contains(a.SubTeams, r.OwnerTeam)))
	case ScopeOwn:
		return r.OwnerID == "" && r.OwnerTeam == "" || r.OwnerID == a.UserID
	}
	return false
}

// fieldsOf lists the personal fields of an object type with their classes.
func fieldsOf(o Object) []struct {
	Name  string
	Class crm.FieldClass
} {
	switch o {
	case ObjectCustomer:
		return crm.CustomerFields
	case ObjectCompany:
		return crm.CompanyFields
	case ObjectDeal:
		return crm.DealFields
	case ObjectVisit:
		return crm.VisitFields
	case ObjectTransaction:
		return crm.TransactionFields
	}
	return nil
}

// Decide answers whether a may do act on r, and with which fields. The
// union of a's roles applies: a role counts when its scope for act reaches
// r; the decision's scope is the widest, and each field gets the highest
// level among the roles that count. A level above Read needs an action that
// writes; a role that may only read never yields Write. For ActionReveal,
// only the fields the role may reveal are Read; all others are Hidden.
func Decide(a Actor, act Action, r Resource) Decision {
	d := Decision{}
	roles := a.Roles
	if breaksGlass(a, act, r) {
		roles = append(slices.Clip(roles), RoleBreakGlass)
	}
	for _, role := range roles {
		g, ok := a.grants(role)[r.Object]
		if !ok {
			continue
		}
		scope := g.Actions[act]
		if scope == ScopeNone || !reaches(scope, a, r) {
			continue
		}
		d.Allowed = true
		d.Scope = max(d.Scope, scope)
		if d.Fields == nil {
			d.Fields, d.Classes = map[string]Level{}, map[crm.FieldClass]Level{}
		}
		for c, l := range g.Classes {
			if l == Write && act != ActionCreate && act != ActionUpdate {
				l = Read
			}
			if act == ActionReveal {
				l = Hidden
			}
			d.Classes[c] = max(d.Classes[c], l)
		}
		for _, f := range fieldsOf(r.Object) {
			l := g.level(f.Name, f.Class)
			switch {
			case act == ActionReveal:
				l = Hidden // reveal opens only the fields the grant names
				if g.Reveal[f.Name] {
					l = Read
				}
			case l == Write && act != ActionCreate && act != ActionUpdate:
				l = Read
			}
			d.Fields[f.Name] = max(d.Fields[f.Name], l)
		}
	}
	return d
}

// breaksGlass reports whether a reads r under break-glass access, which
// adds RoleBreakGlass for that one customer.
func breaksGlass(a Actor, act Action, r Resource) bool {
	return act == ActionRead && r.Object == ObjectCustomer && r.ID != "" && slices.Contains(a.BreakGlass, r.ID)
}

// ValidRole reports whether r is a built-in role.
func ValidRole(r string) bool { return slices.Contains(Roles, Role(r)) }

// Gate is how far along its login a session must be to reach a route;
// each later gate also lets through a session that still owes more.
type Gate int

const (
	GateFull     Gate = iota // nothing owed
	GateTraining             // may still owe passing required training
	GatePolicy               // may also still owe accepting the security policy
	GateEnrol                // may also still owe enrolling an authenticator
	GatePassword             // may also still owe changing a password someone else chose
	GateMFA                  // may also still owe this session's second factor
)

// Owes names what a must do before passing g: "mfa", "password", "enrol",
// "policy", "training", or "" when nothing. The second factor comes first,
// then changing a password an administrator chose, then enrolment, then the
// policy, then the training a role must have passed.
func (a Actor) Owes(g Gate) string {
	switch {
	case a.MFAPending && g < GateMFA:
		return "mfa"
	case a.PasswordPending && g < GatePassword:
		return "password"
	case a.EnrolPending && g < GateEnrol:
		return "enrol"
	case a.PolicyPending && g < GatePolicy:
		return "policy"
	case a.TrainingPending && g < GateTraining:
		return "training"
	}
	return ""
}
