package web

import (
	"net/http"
	"strings"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service/core"
	"strongroom.dev/strongroom/internal/service/governance"
)

// The roles pages: every role, and one role as a form of selects — per
// object type a scope for each action, per field class and field a level,
// and which masked fields it may reveal. Built-in roles are shown read
// only, with a copy form.

type rolesView struct {
	Roles     []authz.RoleDef
	Templates []authz.Template
	Posted    postedForm // a refused form: the new role's, or the page's as a whole
}

// newRoleFieldIDs are the ids of the new-role form's fields an error can name.
var newRoleFieldIDs = map[string]string{"name": "role-name", "from": "role-from"}

type cell struct{ Name, Value string }

type fieldRow struct {
	Name   string
	Class  crm.FieldClass
	Level  string // "" follows the class
	Reveal bool
}

type objectRow struct {
	Object   authz.Object
	Actions  []cell
	Personal bool
	Classes  []cell
	Fields   []fieldRow
}

type roleView struct {
	Role     authz.RoleDef
	New      bool
	Objects  []objectRow
	Scopes   []string
	Levels   []string
	Error    string
	ReadOnly bool
	Networks string // one range a line
}

func (h *adminPages) showRoles(q *request) error {
	return h.renderRoles(q, http.StatusOK, postedForm{})
}

func (h *adminPages) renderRoles(q *request, status int, posted postedForm) error {
	roles, err := h.rolesSvc.Roles(q.r.Context(), q.actor)
	if err != nil {
		return err
	}
	templates, err := h.rolesSvc.Templates(q.actor)
	if err != nil {
		return err
	}
	h.render(q, status, "roles", "roles", rolesView{Roles: roles, Templates: templates, Posted: posted})
	return nil
}

func (h *adminPages) showRole(q *request) error {
	name := q.r.PathValue("name")
	d, err := h.rolesSvc.Role(q.r.Context(), q.actor, name)
	isNew := false
	if errs.Is(err, errs.NotExist) && q.r.URL.Query().Get("new") == "1" {
		d, err, isNew = authz.RoleDef{Name: authz.Role(name), Grants: map[authz.Object]authz.Grant{}}, nil, true
	}
	if err != nil {
		return err
	}
	v := roleFormView(d, isNew, "")
	nets, err := h.rolesSvc.RoleNetworks(q.r.Context(), q.actor, name)
	if err != nil {
		return err
	}
	v.Networks = strings.Join(nets, "\n")
	h.render(q, http.StatusOK, "role", "roles", v)
	return nil
}

// saveNetworks limits a role to address ranges, one a line.
func (h *adminPages) saveNetworks(q *request) error {
	name := q.r.PathValue("name")
	text := q.r.PostFormValue("networks")
	_, err := h.rolesSvc.SetRoleNetworks(q.r.Context(), q.actor, name, strings.Fields(text))
	if errs.Is(err, errs.Invalid) {
		d, derr := h.rolesSvc.Role(q.r.Context(), q.actor, name)
		if derr != nil {
			return derr
		}
		msg, _ := q.public(err)
		v := roleFormView(d, false, msg)
		v.Networks = text
		h.render(q, http.StatusBadRequest, "role", "roles", v)
		return nil
	}
	if err != nil {
		return err
	}
	q.redirect("/admin/roles/"+name, "networks_saved")
	return nil
}

func roleFormView(d authz.RoleDef, isNew bool, msg string) roleView {
	v := roleView{Role: d, New: isNew, Error: msg, ReadOnly: d.BuiltIn || d.Retired,
		Scopes: []string{"own", "team", "all"}, Levels: []string{"hidden", "masked", "read", "write"}}
	for _, o := range authz.Objects {
		g := d.Grants[o]
		row := objectRow{Object: o}
		for _, a := range authz.Actions {
			c := cell{Name: string(a)}
			if s := g.Actions[a]; s != authz.ScopeNone {
				c.Value = s.String()
			}
			row.Actions = append(row.Actions, c)
		}
		fields := authz.FieldsOf(o)
		row.Personal = len(fields) > 0
		if row.Personal {
			for _, c := range crm.Classes {
				row.Classes = append(row.Classes, cell{Name: string(c), Value: g.Classes[c].String()})
			}
			for _, f := range fields {
				fr := fieldRow{Name: f.Name, Class: f.Class, Reveal: g.Reveal[f.Name]}
				if l, ok := g.Fields[f.Name]; ok {
					fr.Level = l.String()
				}
				row.Fields = append(row.Fields, fr)
			}
		}
		v.Objects = append(v.Objects, row)
	}
	return v
}

// roleFromForm reads the role form: a.OBJECT.ACTION = scope,
// c.OBJECT.CLASS = level, f.OBJECT.FIELD = level ("" follows the class),
// r.OBJECT.FIELD = reveal.
func roleFromForm(q *request, name string) (authz.RoleDef, error) {
	d := authz.RoleDef{Name: authz.Role(name), Summary: q.r.PostFormValue("summary"), Grants: map[authz.Object]authz.Grant{}}
	for _, o := range authz.Objects {
		g := authz.Grant{Actions: map[authz.Action]authz.Scope{}}
		for _, a := range authz.Actions {
			if v := q.r.PostFormValue("a." + string(o) + "." + string(a)); v != "" {
				var s authz.Scope
				if err := s.UnmarshalText([]byte(v)); err != nil {
					return d, errs.InvalidField("role", err.Error())
				}
				g.Actions[a] = s
			}
		}
		if len(g.Actions) == 0 {
			continue
		}
		for _, c := range crm.Classes {
			if v := q.r.PostFormValue("c." + string(o) + "." + string(c)); v != "" && v != "hidden" {
				var l authz.Level
				if err := l.UnmarshalText([]byte(v)); err != nil {
					return d, errs.InvalidField("role", err.Error())
				}
				if g.Classes == nil {
					g.Classes = map[crm.FieldClass]authz.Level{}
				}
				g.Classes[c] = l
			}
		}
		for _, f := range authz.FieldsOf(o) {
			if v := q.r.PostFormValue("f." + string(o) + "." + f.Name); v != "" {
				var l authz.Level
				if err := l.UnmarshalText([]byte(v)); err != nil {
					return d, errs.InvalidField("role", err.Error())
				}
				if g.Fields == nil {
					g.Fields = map[string]authz.Level{}
				}
				g.Fields[f.Name] = l
			}
			if q.r.PostFormValue("r."+string(o)+"."+f.Name) != "" {
				if g.Reveal == nil {
					g.Reveal = map[string]bool{}
				}
				g.Reveal[f.Name] = true
			}
		}
		d.Grants[o] = g
	}
	return d, nil
}

func (h *adminPages) saveRole(q *request) error {
	name := q.r.PathValue("name")
	d, err := roleFromForm(q, name)
	if err == nil {
		_, err = h.rolesSvc.SaveRole(q.r.Context(), q.actor, d)
	}
	if errs.Is(err, errs.ApprovalNeeded) {
		return h.renderAccessForm(q, http.StatusForbidden, accessFormView{Kind: core.KindRoleEdit, ObjectID: name})
	}
	if errs.Is(err, errs.Invalid) || errs.Is(err, errs.Conflict) {
		msg, _ := q.public(err)
		h.render(q, http.StatusBadRequest, "role", "roles", roleFormView(d, q.r.PostFormValue("new") == "1", msg))
		return nil
	}
	if err != nil {
		return err
	}
	q.redirect("/admin/roles/"+name, "role_saved")
	return nil
}

// newRole starts a role: empty, or a copy of another.
func (h *adminPages) newRole(q *request) error {
	name := strings.TrimSpace(q.r.PostFormValue("name"))
	from := q.r.PostFormValue("from")
	if from == "" {
		d := authz.RoleDef{Name: authz.Role(name), Summary: "—", Grants: map[authz.Object]authz.Grant{}}
		if err := d.Check(); err != nil {
			return h.renderRoles(q, http.StatusBadRequest, q.refused("new-role", errs.InvalidField("name", err.Error()), newRoleFieldIDs))
		}
		http.Redirect(q.w, q.r, "/admin/roles/"+name+"?new=1", http.StatusSeeOther)
		return nil
	}
	if _, err := h.rolesSvc.CopyRole(q.r.Context(), q.actor, from, name, ""); err != nil {
		if errs.Is(err, errs.Invalid) || errs.Is(err, errs.NotExist) {
			return h.renderRoles(q, http.StatusBadRequest, q.refused("new-role", err, newRoleFieldIDs))
		}
		return err
	}
	q.redirect("/admin/roles/"+name, "role_saved")
	return nil
}

func (h *adminPages) applyTemplate(q *request) error {
	if _, err := h.rolesSvc.ApplyTemplate(q.r.Context(), q.actor, q.r.PathValue("name")); err != nil {
		if errs.Is(err, errs.ApprovalNeeded) {
			return h.renderAccessForm(q, http.StatusForbidden, accessFormView{Kind: core.KindRoleEdit, ObjectID: "template:" + q.r.PathValue("name")})
		}
		if errs.Is(err, errs.Conflict) || errs.Is(err, errs.NotExist) {
			return h.renderRoles(q, http.StatusBadRequest, q.refused("roles", err, nil))
		}
		return err
	}
	q.redirect("/admin/roles", "template_applied")
	return nil
}

func (h *adminPages) retireRole(q *request) error {
	if err := h.rolesSvc.RetireRole(q.r.Context(), q.actor, q.r.PathValue("name")); err != nil {
		if errs.Is(err, errs.ApprovalNeeded) {
			return h.renderAccessForm(q, http.StatusForbidden, accessFormView{Kind: core.KindRoleEdit, ObjectID: q.r.PathValue("name")})
		}
		if errs.Is(err, errs.Conflict) {
			return h.renderRoles(q, http.StatusConflict, q.refused("roles", err, nil))
		}
		return err
	}
	q.redirect("/admin/roles", "role_retired")
	return nil
}

type accessView struct {
	User    string
	Objects []authz.ObjectAccess
}

// showAccess is a user's effective access, with the roles behind it.
func (h *adminPages) showAccess(q *request) error {
	id := q.r.PathValue("id")
	access, err := h.rolesSvc.EffectiveAccess(q.r.Context(), q.actor, id)
	if err != nil {
		return err
	}
	h.render(q, http.StatusOK, "access", "effective_access", accessView{User: id, Objects: access})
	return nil
}

type audienceView struct {
	CustomerID string
	Viewers    []governance.Viewer
}

// showAudience answers "who can see this record", for administrators.
func (h *adminPages) showAudience(q *request) error {
	id := q.r.PathValue("id")
	viewers, err := h.rolesSvc.CustomerAudience(q.r.Context(), q.actor, id)
	if err != nil {
		return err
	}
	h.render(q, http.StatusOK, "audience", "who_can_see", audienceView{CustomerID: id, Viewers: viewers})
	return nil
}
