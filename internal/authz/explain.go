package authz

import "strongroom.dev/strongroom/internal/crm"

// ActionAccess is what an actor may do with one action on an object type,
// and which of their roles grant the widest scope.
type ActionAccess struct {
	Action Action `json:"action"`
	Scope  Scope  `json:"scope"`
	Roles  []Role `json:"roles"`
}

// FieldAccess is the highest level an actor has on one field (writing
// counts only where some role may create or update), which roles give it,
// and which roles may reveal it when masked.
type FieldAccess struct {
	Field    string         `json:"field"`
	Class    crm.FieldClass `json:"class"`
	Level    Level          `json:"level"`
	Roles    []Role         `json:"roles,omitempty"`
	RevealBy []Role         `json:"reveal_by,omitempty"`
}

// ObjectAccess is an actor's effective access to one object type.
type ObjectAccess struct {
	Object  Object         `json:"object"`
	Actions []ActionAccess `json:"actions"`
	Fields  []FieldAccess  `json:"fields,omitempty"`
}

// Explain lists, for every object type a may touch at all, each action
// allowed with its scope and the roles behind it, and each personal
// field's level with the roles behind it: the "effective access" view. It
// asks Decide, one role at a time, so it can never disagree with it.
func Explain(a Actor) []ObjectAccess {
	var out []ObjectAccess
	for _, o := range Objects {
		oa := ObjectAccess{Object: o}
		levels := map[string]Level{}
		by := map[string][]Role{}
		reveal := map[string][]Role{}
		for _, act := range Actions {
			aa := ActionAccess{Action: act}
			for _, role := range a.Roles {
				one := a
				one.Roles = []Role{role}
				d := Decide(one, act, Resource{Object: o})
				if !d.Allowed {
					continue
				}
				switch {
				case d.Scope > aa.Scope:
					aa.Scope, aa.Roles = d.Scope, []Role{role}
				case d.Scope == aa.Scope:
					aa.Roles = append(aa.Roles, role)
				}
				for f, l := range d.Fields {
					switch {
					case act == ActionReveal:
						if l > Hidden {
							reveal[f] = append(reveal[f], role)
						}
						continue
					case l > levels[f]:
						levels[f], by[f] = l, []Role{role}
					case l == levels[f] && l > Hidden && !containsRole(by[f], role):
						by[f] = append(by[f], role)
					}
				}
			}
			if aa.Scope != ScopeNone {
				oa.Actions = append(oa.Actions, aa)
			}
		}
		if len(oa.Actions) == 0 {
			continue
		}
		for _, f := range fieldsOf(o) {
			oa.Fields = append(oa.Fields, FieldAccess{Field: f.Name, Class: f.Class, Level: levels[f.Name], Roles: by[f.Name], RevealBy: reveal[f.Name]})
		}
		out = append(out, oa)
	}
	return out
}

func containsRole(rs []Role, r Role) bool {
	for _, x := range rs {
		if x == r {
			return true
		}
	}
	return false
}
