package authz

import "strongroom.dev/strongroom/internal/crm"

// RoleVia is the one role of an actor narrowed by Within: an OAuth client
// acting for the user who approved it. It is no role anyone holds.
const RoleVia Role = "oauth_via"

// Within returns a narrowed to role: per object, each action at the
// narrower scope of role and a's roles together, and each field and class
// at the lower of their levels; a field is revealable only when both may
// reveal it. So an OAuth client acting for a user never does more than
// the client's role allows, nor more than the user may (the intersection).
// role's grants come from a.Defined when it is a defined role. Break-glass
// openings do not pass to the client.
func (a Actor) Within(role Role) Actor {
	client := a.grants(role)
	out := map[Object]Grant{}
	for obj, cg := range client {
		var mine []Grant
		for _, r := range a.Roles {
			if g, ok := a.grants(r)[obj]; ok {
				mine = append(mine, g)
			}
		}
		if len(mine) == 0 {
			continue
		}
		g := Grant{Actions: map[Action]Scope{}, Classes: map[crm.FieldClass]Level{}, Fields: map[string]Level{}, Reveal: map[string]bool{}}
		for act, s := range cg.Actions {
			best := ScopeNone
			for _, m := range mine {
				best = max(best, m.Actions[act])
			}
			if n := min(s, best); n != ScopeNone {
				g.Actions[act] = n
			}
		}
		for c, l := range cg.Classes {
			best := Hidden
			for _, m := range mine {
				best = max(best, m.Classes[c])
			}
			g.Classes[c] = min(l, best)
		}
		for _, f := range fieldsOf(obj) {
			best := Hidden
			reveal := false
			for _, m := range mine {
				best = max(best, m.level(f.Name, f.Class))
				reveal = reveal || m.Reveal[f.Name]
			}
			g.Fields[f.Name] = min(cg.level(f.Name, f.Class), best)
			if reveal && cg.Reveal[f.Name] {
				g.Reveal[f.Name] = true
			}
		}
		out[obj] = g
	}
	n := a
	n.Roles = []Role{RoleVia}
	n.Defined = map[Role]map[Object]Grant{RoleVia: out}
	n.BreakGlass = nil
	return n
}
