package authz

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"strongroom.dev/strongroom/internal/crm"
)

// RoleDef is a role an administrator defines (or a built-in one, read
// only): per object type, the actions at a scope and the field levels.
type RoleDef struct {
	Name    Role             `json:"name"`
	Summary string           `json:"summary"`
	Grants  map[Object]Grant `json:"grants"`
	BuiltIn bool             `json:"built_in"`
	Retired bool             `json:"retired,omitempty"`
}

// RoleBreakGlass is what opening a record by break-glass grants on it:
// reading it, special-category fields masked. It is no role anyone holds.
const RoleBreakGlass Role = "break_glass"

var breakGlassGrants = map[Object]Grant{ObjectCustomer: {
	Actions: map[Action]Scope{ActionRead: ScopeAll},
	Classes: map[crm.FieldClass]Level{crm.ClassIdentity: Read, crm.ClassContact: Read, crm.ClassFinancial: Read, crm.ClassPreference: Read, crm.ClassNotes: Read, crm.ClassSpecial: Masked},
}}

// grants is what role grants the actor: a defined role carried by the
// actor, else the built-in table.
func (a Actor) grants(role Role) map[Object]Grant {
	if g, ok := a.Defined[role]; ok {
		return g
	}
	if role == RoleBreakGlass {
		return breakGlassGrants
	}
	return policy[role]
}

// IsBuiltIn reports whether r is one of the built-in roles.
func IsBuiltIn(r Role) bool { return slices.Contains(Roles, r) }

// BuiltIn returns a built-in role's definition (a copy).
func BuiltIn(r Role) (RoleDef, bool) {
	g, ok := policy[r]
	if !ok {
		return RoleDef{}, false
	}
	return RoleDef{Name: r, Summary: RoleSummary[r], Grants: cloneGrants(g), BuiltIn: true}, true
}

func cloneGrants(in map[Object]Grant) map[Object]Grant {
	out := make(map[Object]Grant, len(in))
	for o, g := range in {
		out[o] = Grant{Actions: maps.Clone(g.Actions), Classes: maps.Clone(g.Classes), Fields: maps.Clone(g.Fields), Reveal: maps.Clone(g.Reveal)}
	}
	return out
}

var roleName = regexp.MustCompile(`^[a-z][a-z0-9_]{1,31}$`)

// IsRoleName reports whether s has the shape of a role's name (every
// built-in and defined role has it), so that a malformed name is refused
// before anything looks it up.
func IsRoleName(s string) bool { return roleName.MatchString(s) }

// personal reports whether o has personal fields (and so field levels).
func personal(o Object) bool { return fieldsOf(o) != nil }

// Check validates a role an administrator defines: a new name (not a
// built-in one), known objects, actions, scopes, classes, fields and
// levels; reveal only of fields the role sees masked; a summary.
func (d RoleDef) Check() error {
	if !roleName.MatchString(string(d.Name)) {
		return fmt.Errorf("name must be 2 to 32 lower-case letters, digits or underscores, starting with a letter")
	}
	if IsBuiltIn(d.Name) || d.Name == RoleBreakGlass {
		return fmt.Errorf("%s is a built-in role; copy it under another name", d.Name)
	}
	if s := strings.TrimSpace(d.Summary); s == "" || utf8.RuneCountInString(s) > 200 {
		return errors.New("summary must say in 1 to 200 characters what the role is for")
	}
	for o, g := range d.Grants {
		if !slices.Contains(Objects, o) {
			return fmt.Errorf("unknown object %q", o)
		}
		for act, s := range g.Actions {
			if !slices.Contains(Actions, act) {
				return fmt.Errorf("%s: unknown action %q", o, act)
			}
			if s == ScopeNone {
				return fmt.Errorf("%s: %s needs a scope (own, team or all)", o, act)
			}
			if act == ActionReveal && !personal(o) || (o == ObjectUser || o == ObjectAudit || o == ObjectPrivacy || o == ObjectIntegration || o == ObjectDevice || o == ObjectSealedNote) && s != ScopeAll {
				return fmt.Errorf("%s: %s is not possible at scope %s", o, act, s)
			}
		}
		if !personal(o) && (len(g.Classes) > 0 || len(g.Fields) > 0 || len(g.Reveal) > 0) {
			return fmt.Errorf("%s has no personal fields to grant", o)
		}
		for c := range g.Classes {
			if !slices.Contains(crm.Classes, c) {
				return fmt.Errorf("%s: unknown field class %q", o, c)
			}
		}
		known := map[string]bool{}
		for _, f := range fieldsOf(o) {
			known[f.Name] = true
		}
		for f := range g.Fields {
			if !known[f] {
				return fmt.Errorf("%s: unknown field %q", o, f)
			}
		}
		for f, ok := range g.Reveal {
			if !ok {
				continue
			}
			if !known[f] {
				return fmt.Errorf("%s: unknown field %q to reveal", o, f)
			}
			if g.Actions[ActionReveal] == ScopeNone {
				return fmt.Errorf("%s: revealing %s needs the reveal action", o, f)
			}
			if g.level(f, classOf(o, f)) != Masked {
				return fmt.Errorf("%s: only a field the role sees masked can be revealed; %s is %s", o, f, g.level(f, classOf(o, f)))
			}
		}
	}
	return nil
}

func classOf(o Object, field string) crm.FieldClass {
	for _, f := range fieldsOf(o) {
		if f.Name == field {
			return f.Class
		}
	}
	return ""
}

// MarshalText writes a scope as own, team or all.
func (s Scope) MarshalText() ([]byte, error) {
	if s == ScopeNone || s > ScopeAll {
		return nil, fmt.Errorf("authz: no scope")
	}
	return []byte(s.String()), nil
}

// UnmarshalText reads own, team or all.
func (s *Scope) UnmarshalText(b []byte) error {
	switch string(b) {
	case "own":
		*s = ScopeOwn
	case "team":
		*s = ScopeTeam
	case "all":
		*s = ScopeAll
	default:
		return fmt.Errorf("scope must be own, team or all, not %q", b)
	}
	return nil
}

// MarshalText writes a level as hidden, masked, read or write.
func (l Level) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// UnmarshalText reads hidden, masked, read or write.
func (l *Level) UnmarshalText(b []byte) error {
	for i, name := range [...]string{"hidden", "masked", "read", "write"} {
		if string(b) == name {
			*l = Level(i)
			return nil
		}
	}
	return fmt.Errorf("level must be hidden, masked, read or write, not %q", b)
}

// FieldsOf lists the personal fields of an object type with their classes
// (none for users and the audit log).
func FieldsOf(o Object) []struct {
	Name  string
	Class crm.FieldClass
} {
	return fieldsOf(o)
}

// RolesOf reads a user's roles as stored: names separated by commas.
func RolesOf(s string) []Role {
	var out []Role
	for _, r := range strings.Split(s, ",") {
		if r = strings.TrimSpace(r); r != "" && !slices.Contains(out, Role(r)) {
			out = append(out, Role(r))
		}
	}
	return out
}

// JoinRoles is the stored form of roles: sorted, without repeats.
func JoinRoles(roles []Role) string {
	names := make([]string, 0, len(roles))
	for _, r := range roles {
		if !slices.Contains(names, string(r)) {
			names = append(names, string(r))
		}
	}
	slices.Sort(names)
	return strings.Join(names, ",")
}

// HasRole reports whether the stored roles s include r.
func HasRole(s string, r Role) bool { return slices.Contains(RolesOf(s), r) }
