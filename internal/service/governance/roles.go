package governance

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service/core"
	"strongroom.dev/strongroom/internal/store"
)

func roleJSON(d authz.RoleDef) (string, error) {
	b, err := json.Marshal(core.RoleDefinition{Summary: strings.TrimSpace(d.Summary), Grants: d.Grants})
	return string(b), err
}

func mayManageRoles(a authz.Actor) error {
	return core.May(a, authz.ActionUpdate, authz.ObjectUser, "you may not manage roles")
}

// Roles lists the built-in roles and those administrators defined
// (retired ones included, marked).
func (s *Roles) Roles(ctx context.Context, a authz.Actor) ([]authz.RoleDef, error) {
	if err := core.May(a, authz.ActionRead, authz.ObjectUser, "you may not list roles"); err != nil {
		return nil, err
	}
	var out []authz.RoleDef
	for _, r := range authz.Roles {
		d, _ := authz.BuiltIn(r)
		out = append(out, d)
	}
	err := core.Look(ctx, s.c, roleStoreOf, func(tx roleStore) error {
		rows, err := tx.ListRoles(ctx)
		for _, r := range rows {
			d, err := core.RoleFromRow(r)
			if err != nil {
				return err
			}
			out = append(out, d)
		}
		return err
	})
	return out, err
}

// Role returns one role, built-in or defined.
func (s *Roles) Role(ctx context.Context, a authz.Actor, name string) (authz.RoleDef, error) {
	if err := core.May(a, authz.ActionRead, authz.ObjectUser, "you may not read roles"); err != nil {
		return authz.RoleDef{}, err
	}
	if d, ok := authz.BuiltIn(authz.Role(name)); ok {
		return d, nil
	}
	if !authz.IsRoleName(name) {
		return authz.RoleDef{}, errs.E(errs.NotExist, "role not found")
	}
	var d authz.RoleDef
	err := core.Look(ctx, s.c, roleStoreOf, func(tx roleStore) error {
		r, err := tx.RoleByName(ctx, name)
		if err != nil {
			return core.NotFound(err, "role")
		}
		d, err = core.RoleFromRow(r)
		return err
	})
	return d, err
}

// SaveRole creates a role, or replaces the definition of one that exists
// (built-in roles cannot change: copy them). Administrators only, with a
// fresh proof; audited with the definition before and after. Users who
// hold the role get the change from their next request.
func (s *Roles) SaveRole(ctx context.Context, a authz.Actor, d authz.RoleDef) (authz.RoleDef, error) {
	if err := mayManageRoles(a); err != nil {
		return authz.RoleDef{}, err
	}
	d.BuiltIn, d.Retired = false, false
	var err error
	if d.Summary, err = crm.FreeText("summary", d.Summary, 0); err != nil {
		return authz.RoleDef{}, err
	}
	if err := d.Check(); err != nil {
		return authz.RoleDef{}, errs.InvalidField("role", err.Error())
	}
	if err := s.c.RequireStepUp(a); err != nil {
		return authz.RoleDef{}, err
	}
	err = core.Change(ctx, s.c, roleStoreOf, func(tx roleStore) error {
		if err := s.c.UseGrant(ctx, tx, a, core.KindRoleEdit, string(d.Name), "", "changing role "+string(d.Name)); err != nil {
			return err
		}
		return s.saveRole(ctx, tx, a, d, "")
	})
	if err != nil {
		return authz.RoleDef{}, err
	}
	return d, nil
}

// saveRole inserts or updates a checked role inside tx, audited with the
// definition before and after (and why, when a template applies it).
func (s *Roles) saveRole(ctx context.Context, tx roleStore, a authz.Actor, d authz.RoleDef, why string) error {
	def, err := roleJSON(d)
	if err != nil {
		return err
	}
	now := s.c.Now()
	old, err := tx.RoleByName(ctx, string(d.Name))
	switch {
	case errs.Is(err, errs.NotExist):
		if err := tx.InsertRole(ctx, store.RoleRow{Name: string(d.Name), Definition: def, CreatedAt: now, UpdatedAt: now}); err != nil {
			return err
		}
		return s.c.Record(ctx, tx, a, "role.create", "role", string(d.Name), []string{"definition"}, audit.Success, why+"after: "+def)
	case err != nil:
		return err
	case old.Retired:
		return errs.E(errs.Conflict, "role "+string(d.Name)+" is retired; choose another name")
	}
	if old.Definition == def {
		return nil
	}
	if err := tx.UpdateRole(ctx, string(d.Name), def, now); err != nil {
		return err
	}
	return s.c.Record(ctx, tx, a, "role.update", "role", string(d.Name), []string{"definition"}, audit.Success, why+"before: "+old.Definition+" after: "+def)
}

// ApplyTemplate defines an industry template's roles in one step (all or
// none), restoring the template's definition of any that exist.
// Administrators, with a fresh proof; each role audited before/after.
func (s *Roles) ApplyTemplate(ctx context.Context, a authz.Actor, name string) ([]authz.RoleDef, error) {
	if err := mayManageRoles(a); err != nil {
		return nil, err
	}
	t, ok := authz.TemplateByName(name)
	if !ok {
		return nil, errs.E(errs.NotExist, "no template "+name)
	}
	if err := s.c.RequireStepUp(a); err != nil {
		return nil, err
	}
	err := core.Change(ctx, s.c, roleStoreOf, func(tx roleStore) error {
		if err := s.c.UseGrant(ctx, tx, a, core.KindRoleEdit, "template:"+name, "", "applying template "+name); err != nil {
			return err
		}
		for _, r := range t.Roles {
			if err := s.saveRole(ctx, tx, a, r, "template "+name+"; "); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return t.Roles, nil
}

// CopyRole defines a new role with the grants of an existing one.
func (s *Roles) CopyRole(ctx context.Context, a authz.Actor, from, name, summary string) (authz.RoleDef, error) {
	src, err := s.Role(ctx, a, from)
	if err != nil {
		return authz.RoleDef{}, err
	}
	if summary == "" {
		summary = "copy of " + from + ": " + src.Summary
		if r := []rune(summary); len(r) > 200 {
			summary = string(r[:200]) // whole characters: a cut one would not be text
		}
	}
	return s.SaveRole(ctx, a, authz.RoleDef{Name: authz.Role(name), Summary: summary, Grants: src.Grants})
}

// RetireRole retires a defined role that nobody holds any more.
func (s *Roles) RetireRole(ctx context.Context, a authz.Actor, name string) error {
	if err := mayManageRoles(a); err != nil {
		return err
	}
	if authz.IsBuiltIn(authz.Role(name)) {
		return errs.E(errs.Conflict, "built-in roles cannot be retired")
	}
	if err := s.c.RequireStepUp(a); err != nil {
		return err
	}
	return core.Change(ctx, s.c, roleStoreOf, func(tx roleStore) error {
		r, err := tx.RoleByName(ctx, name)
		if err != nil {
			return core.NotFound(err, "role")
		}
		if r.Retired {
			return nil
		}
		if err := s.c.UseGrant(ctx, tx, a, core.KindRoleEdit, name, "", "retiring role "+name); err != nil {
			return err
		}
		n, err := tx.CountUsersWithRole(ctx, name)
		if err != nil {
			return err
		}
		if n > 0 {
			return errs.E(errs.Conflict, fmt.Sprintf("%d users hold the role %s; give them another role first", n, name))
		}
		if err := tx.RetireRole(ctx, name, s.c.Now()); err != nil {
			return err
		}
		return s.c.Record(ctx, tx, a, "role.retire", "role", name, nil, audit.Success, "before: "+r.Definition)
	})
}

// EffectiveAccess explains what a user may do to each object type and
// field, and which role grants it. Administrators, or the user themselves.
func (s *Roles) EffectiveAccess(ctx context.Context, a authz.Actor, userID string) ([]authz.ObjectAccess, error) {
	if a.UserID != userID && !authz.Decide(a, authz.ActionRead, authz.Resource{Object: authz.ObjectUser}).Allowed {
		return nil, errs.E(errs.Permission, "you may not see another user's access")
	}
	var u store.UserRow
	err := core.Look(ctx, s.c, roleStoreOf, func(tx roleStore) error {
		var err error
		u, err = tx.UserByID(ctx, userID)
		return core.NotFound(err, "user")
	})
	if err != nil {
		return nil, err
	}
	h, err := s.newHolders(ctx)
	if err != nil {
		return nil, err
	}
	target, err := h.actor(ctx, u)
	if err != nil {
		return nil, err
	}
	return authz.Explain(target), nil
}

// RoleNetworks returns the address ranges a role may be used from (none:
// anywhere).
func (s *Roles) RoleNetworks(ctx context.Context, a authz.Actor, role string) ([]string, error) {
	if err := core.May(a, authz.ActionRead, authz.ObjectUser, "you may not read roles"); err != nil {
		return nil, err
	}
	if !authz.IsRoleName(role) {
		return nil, errs.E(errs.NotExist, "role not found")
	}
	return s.c.DB.RoleNetworks(ctx, role)
}

// SetRoleNetworks limits a role (built-in or defined) to address ranges;
// none lifts the limit. Requests from elsewhere by its holders are refused
// and audited. Administrators, with a fresh proof; audited before/after.
// An administrator may not lock out their own current address.
func (s *Roles) SetRoleNetworks(ctx context.Context, a authz.Actor, role string, cidrs []string) ([]string, error) {
	if err := mayManageRoles(a); err != nil {
		return nil, err
	}
	nets, err := authz.ParseNetworks(cidrs)
	if err != nil {
		return nil, errs.InvalidField("networks", err.Error())
	}
	if !authz.IsBuiltIn(authz.Role(role)) {
		if err := s.c.CheckRole(ctx, role); err != nil {
			return nil, err
		}
	}
	if a.SessionID != "" && slices.Contains(a.Roles, authz.Role(role)) && !authz.FromNetworks(a.IP, nets) {
		return nil, errs.InvalidField("networks", "your own address "+a.IP+" is outside these ranges; you would lock yourself out")
	}
	if err := s.c.RequireStepUp(a); err != nil {
		return nil, err
	}
	err = core.Change(ctx, s.c, roleStoreOf, func(tx roleStore) error {
		old, err := tx.RoleNetworksTx(ctx, role)
		if err != nil {
			return err
		}
		if err := tx.SetRoleNetworks(ctx, role, nets); err != nil {
			return err
		}
		return s.c.Record(ctx, tx, a, "role.networks", "role", role, []string{"networks"}, audit.Success,
			"before: ["+strings.Join(old, " ")+"] after: ["+strings.Join(nets, " ")+"]")
	})
	return nets, err
}

// Viewer is someone who can see a record, and how much of it.
type Viewer struct {
	UserID string                 `json:"user_id"`
	Email  string                 `json:"email"`
	Role   string                 `json:"role"`
	Team   string                 `json:"team,omitempty"`
	Fields map[string]authz.Level `json:"fields"` // fields they see, at least masked
	Reveal []string               `json:"reveal,omitempty"`
}

// CustomerAudience answers "who can see this record": every enabled user
// whose role reaches the customer, with the fields they see and those they
// may reveal — asked of Decide for each, so it cannot disagree with what
// they get. Administrators; audited.
func (s *Roles) CustomerAudience(ctx context.Context, a authz.Actor, customerID string) ([]Viewer, error) {
	if err := mayManageRoles(a); err != nil {
		return nil, err
	}
	var out []Viewer
	err := core.Change(ctx, s.c, roleStoreOf, func(tx roleStore) error {
		row, err := tx.CustomerByID(ctx, customerID)
		if err != nil {
			return core.NotFound(err, "customer")
		}
		users, err := tx.ListUsers(ctx)
		if err != nil {
			return err
		}
		res := core.CustomerRes(row)
		h, err := s.newHolders(ctx)
		if err != nil {
			return err
		}
		for _, u := range users {
			if u.Disabled {
				continue
			}
			holder, err := h.actor(ctx, u)
			if err != nil {
				return err
			}
			d := authz.Decide(holder, authz.ActionRead, res)
			if !d.Allowed {
				continue
			}
			v := Viewer{UserID: u.ID, Role: u.Role, Team: u.Team, Fields: map[string]authz.Level{}}
			for f, l := range d.Fields {
				if l > authz.Hidden {
					v.Fields[f] = l
				}
			}
			for f, l := range authz.Decide(holder, authz.ActionReveal, res).Fields {
				if l > authz.Hidden {
					v.Reveal = append(v.Reveal, f)
				}
			}
			slices.Sort(v.Reveal)
			if me, err := s.c.OpenUser(u); err == nil {
				v.Email = me.Email
			}
			out = append(out, v)
		}
		return s.c.Record(ctx, tx, a, "customer.audience", "customer", customerID, []string{"email"}, audit.Success, fmt.Sprintf("%d users can see it", len(out)))
	})
	return out, err
}

// Teams returns each nested team's parent.
func (s *Roles) Teams(ctx context.Context, a authz.Actor) (map[string]string, error) {
	if err := core.May(a, authz.ActionRead, authz.ObjectUser, "you may not read teams"); err != nil {
		return nil, err
	}
	return s.c.DB.TeamParents(ctx)
}

// SetTeamParent nests team under parent ("" for none): team scope then
// reaches it from the parent and every team above. Cycles are refused.
// Administrators, with a fresh proof; audited before/after.
func (s *Roles) SetTeamParent(ctx context.Context, a authz.Actor, team, parent string) error {
	if err := mayManageRoles(a); err != nil {
		return err
	}
	team, parent = strings.TrimSpace(team), strings.TrimSpace(parent)
	if team == "" {
		return errs.InvalidField("team", "name the team")
	}
	if err := crm.CheckTeam(team); err != nil {
		return err
	}
	if _, err := crm.Label("parent", parent, 0); err != nil {
		return err
	}
	if err := crm.CheckTeam(parent); err != nil {
		return errs.InvalidField("parent", "parent: team may hold only letters, digits, spaces, dashes and underscores")
	}
	if err := s.c.RequireStepUp(a); err != nil {
		return err
	}
	return core.Change(ctx, s.c, roleStoreOf, func(tx roleStore) error {
		parents, err := tx.TeamParentsTx(ctx) // in the transaction: two nestings cannot make a cycle
		if err != nil {
			return err
		}
		if parent == team || slices.Contains(authz.SubTeams(team, parents), parent) {
			return errs.InvalidField("parent", "a team cannot sit below itself")
		}
		if err := tx.SetTeamParent(ctx, team, parent); err != nil {
			return err
		}
		return s.c.Record(ctx, tx, a, "team.nest", "team", team, []string{"parent"}, audit.Success, "before: "+parents[team]+" after: "+parent)
	})
}

// Templates lists the industry templates, to those who may read roles.
func (s *Roles) Templates(a authz.Actor) ([]authz.Template, error) {
	if err := core.May(a, authz.ActionRead, authz.ObjectUser, "you may not read roles"); err != nil {
		return nil, err
	}
	return authz.Templates, nil
}

// roleStore is what the methods in roles.go read and write.
type roleStore interface {
	core.GrantStore
	core.CustomerStore
	CountUsersWithRole(ctx context.Context, role string) (int, error)
	InsertRole(ctx context.Context, r store.RoleRow) error
	ListRoles(ctx context.Context) ([]store.RoleRow, error)
	ListUsers(ctx context.Context) ([]store.UserRow, error)
	RetireRole(ctx context.Context, name string, now time.Time) error
	RoleByName(ctx context.Context, name string) (store.RoleRow, error)
	RoleNetworksTx(ctx context.Context, role string) ([]string, error)
	SetRoleNetworks(ctx context.Context, role string, cidrs []string) error
	SetTeamParent(ctx context.Context, team, parent string) error
	TeamParentsTx(ctx context.Context) (map[string]string, error)
	UpdateRole(ctx context.Context, name, definition string, now time.Time) error
	UserByID(ctx context.Context, id string) (store.UserRow, error)
}

// roleStoreOf is the compiler's check that the store has every method of roleStore.
func roleStoreOf(tx *store.Tx) roleStore { return tx }
