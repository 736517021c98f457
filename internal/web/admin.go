package web

import (
	"net/http"
	"strconv"
	"strings"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service/core"
	"strongroom.dev/strongroom/internal/service/governance"
	"strongroom.dev/strongroom/internal/service/identity"
)

type adminView struct {
	Users       []core.User
	Table       tableView // the users' table: sorted, paged
	Roles       []authz.Role
	Stages      string     // one stage a line: id probability outcome
	Error       string     // a message about the page, not one form (the pipeline's lines)
	Posted      postedForm // a refused form: what was typed, its message and field
	Policy      governance.Policy
	HasPolicy   bool
	Acceptances []governance.Acceptance
	MFARoles    map[string]bool // roles that must use two-step login
	// Link is an invitation or reset link to pass on by hand, shown once
	// when no mail relay is configured; LinkFor is whose it is.
	Link, LinkFor string
	// Approval rules: one level a line, per kind; roles that may break glass.
	RevealLevels, DeleteLevels, GlassLevels, RoleLevels, ExportLevels, EditLevels string
	GlassRoles                                                                    map[string]bool
	TeamParents                                                                   map[string]string // nested teams: team -> parent
}

// userColumns are the users table's columns, in its order.
var userColumns = []column[core.User]{
	{"email", "email", byText(func(u core.User) string { return u.Email })},
	{"role", "role_team", byText(func(u core.User) string { return u.Role + " " + u.Team })},
	{"actions", "user_actions", nil},
}

// showAdmin is the administration page: users (add, change role and
// team) and the pipeline's stages. The service refuses non-admins.
func (h *adminPages) showAdmin(q *request) error {
	q.rememberFilters()
	return h.renderAdmin(q, "", "")
}

func (h *adminPages) renderAdmin(q *request, msg, stages string) error {
	return h.renderAdminView(q, adminView{Error: msg, Stages: stages})
}

func (h *adminPages) renderAdminView(q *request, v adminView) error {
	users, err := h.usersSvc.ListUsers(q.r.Context(), q.actor)
	if err != nil {
		return err
	}
	roles, err := h.rolesSvc.Roles(q.r.Context(), q.actor)
	if err != nil {
		return err
	}
	v.Users, v.Table = sortTable(q, "/admin", users, userColumns, "email", false)
	for _, r := range roles {
		if !r.Retired {
			v.Roles = append(v.Roles, r.Name)
		}
	}
	for _, u := range users {
		if u.ID == v.LinkFor {
			v.LinkFor = u.Email
		}
	}
	if v.Policy, v.HasPolicy, err = h.rolesSvc.CurrentPolicy(q.r.Context()); err != nil {
		return err
	}
	if v.Acceptances, err = h.rolesSvc.PolicyAcceptances(q.r.Context(), q.actor); err != nil {
		return err
	}
	mfaRoles, err := h.sessionsSvc.MFARequiredRoles(q.r.Context(), q.actor)
	if err != nil {
		return err
	}
	rules, err := h.approvalsSvc.ApprovalRules(q.r.Context(), q.actor)
	if err != nil {
		return err
	}
	lines := func(levels [][]string) string {
		var out []string
		for _, l := range levels {
			out = append(out, strings.Join(l, ", "))
		}
		return strings.Join(out, "\n")
	}
	v.RevealLevels, v.DeleteLevels, v.GlassLevels = lines(rules[core.KindRevealSpecial]), lines(rules[core.KindDelete]), lines(rules[core.KindBreakGlass])
	v.RoleLevels, v.ExportLevels = lines(rules[core.KindRoleChange]), lines(rules[core.KindBulkExport])
	v.EditLevels = lines(rules[core.KindRoleEdit])
	glass, err := h.approvalsSvc.BreakGlassRoles(q.r.Context(), q.actor)
	if err != nil {
		return err
	}
	v.GlassRoles = map[string]bool{}
	for _, r := range glass {
		v.GlassRoles[r] = true
	}
	if v.TeamParents, err = h.rolesSvc.Teams(q.r.Context(), q.actor); err != nil {
		return err
	}
	v.MFARoles = make(map[string]bool)
	for _, r := range mfaRoles {
		v.MFARoles[r] = true
	}
	if v.Stages == "" {
		st, err := h.dealsSvc.Stages(q.r.Context())
		if err != nil {
			return err
		}
		var b strings.Builder
		for _, s := range st {
			b.WriteString(s.ID + " " + strconv.Itoa(s.Probability) + " " + s.Outcome + "\n")
		}
		v.Stages = b.String()
	}
	status := http.StatusOK
	if v.Error != "" || v.Posted.Msg != "" {
		status = http.StatusBadRequest
	}
	h.render(q, status, "admin", "admin", v)
	return nil
}

// The ids of the administration page's fields an error can name.
var (
	newUserFieldIDs = map[string]string{"email": "new-email", "role": "new-role", "team": "new-team", "password": "new-password"}
	inviteFieldIDs  = map[string]string{"email": "invite-email", "role": "invite-role", "team": "invite-team"}
	teamsFieldIDs   = map[string]string{"team": "nest-team", "parent": "nest-parent"}
)

// adminError shows an input error on the page, beside the field of the
// form (form, whose fields ids names) it is about; other errors go on.
func (h *adminPages) adminError(q *request, err error, stages, form string, ids map[string]string) error {
	if errs.Is(err, errs.Invalid) {
		return h.renderAdminView(q, adminView{Posted: q.refused(form, err, ids), Stages: stages})
	}
	return err
}

func (h *adminPages) addUser(q *request) error {
	_, err := h.usersSvc.CreateUser(q.r.Context(), q.actor, identity.NewUser{Email: q.r.PostFormValue("email"), Role: q.r.PostFormValue("role"),
		Team: q.r.PostFormValue("team"), Password: q.r.PostFormValue("password")})
	if err != nil {
		return h.adminError(q, err, "", "new-user", newUserFieldIDs)
	}
	q.redirect("/admin", "user_saved")
	return nil
}

// inviteUser invites by email; without a mail relay the page shows the
// link for the administrator to pass on.
func (h *adminPages) inviteUser(q *request) error {
	inv, err := h.usersSvc.InviteUser(q.r.Context(), q.actor, identity.NewUser{Email: q.r.PostFormValue("email"), Role: q.r.PostFormValue("role"),
		Team: q.r.PostFormValue("team")})
	if err != nil {
		return h.adminError(q, err, "", "invite", inviteFieldIDs)
	}
	if inv.Mailed {
		q.redirect("/admin", "invitation_sent")
		return nil
	}
	return h.renderAdminView(q, adminView{Link: inv.Link, LinkFor: inv.User.Email})
}

func (h *adminPages) sendPasswordReset(q *request) error {
	id := q.r.PathValue("id")
	link, mailed, err := h.usersSvc.SendPasswordReset(q.r.Context(), q.actor, id)
	if err != nil {
		return h.adminError(q, err, "", "admin", nil)
	}
	if mailed {
		q.redirect("/admin", "reset_link_sent")
		return nil
	}
	return h.renderAdminView(q, adminView{Link: link, LinkFor: id})
}

// nestTeam places a team below another.
func (h *adminPages) nestTeam(q *request) error {
	if err := h.rolesSvc.SetTeamParent(q.r.Context(), q.actor, q.r.PostFormValue("team"), q.r.PostFormValue("parent")); err != nil {
		return h.adminError(q, err, "", "teams", teamsFieldIDs)
	}
	q.redirect("/admin", "teams_saved")
	return nil
}

func (h *adminPages) updateUser(q *request) error {
	id := q.r.PathValue("id")
	roles := strings.Join(q.r.PostForm["role"], ",")
	if _, err := h.usersSvc.SetUserRole(q.r.Context(), q.actor, id, roles); err != nil {
		if errs.Is(err, errs.ApprovalNeeded) {
			return h.renderAccessForm(q, http.StatusForbidden, accessFormView{Kind: core.KindRoleChange, ObjectID: id, Field: roles})
		}
		return h.adminError(q, err, "", "admin", nil)
	}
	if _, err := h.usersSvc.SetUserTeam(q.r.Context(), q.actor, id, q.r.PostFormValue("team")); err != nil {
		return h.adminError(q, err, "", "admin", nil)
	}
	q.redirect("/admin", "user_saved")
	return nil
}

func (h *adminPages) saveStages(q *request) error {
	text := q.r.PostFormValue("stages")
	var stages []crm.Stage
	for _, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		st := crm.Stage{ID: f[0], Outcome: "open"}
		if len(f) > 1 {
			p, err := strconv.Atoi(f[1])
			if err != nil {
				return h.renderAdmin(q, "each line is: stage probability [open|won|lost]", text)
			}
			st.Probability = p
		}
		if len(f) > 2 {
			st.Outcome = f[2]
		}
		stages = append(stages, st)
	}
	if err := h.dealsSvc.SetStages(q.r.Context(), q.actor, stages); err != nil {
		return h.adminError(q, err, text, "admin", nil)
	}
	q.redirect("/admin", "pipeline_saved")
	return nil
}

func (h *adminPages) setUserDisabled(q *request) error {
	disable := q.r.PostFormValue("disabled") == "1"
	back, flash := "/admin", "user_enabled"
	if q.r.PostFormValue("back") == "/admin/live" {
		back = "/admin/live"
	}
	if disable { // enabling again takes nothing away: it needs no confirmation
		if !h.confirmed(q, "confirm_user_disable", "disable", back) {
			return nil
		}
		flash = "user_disabled"
	}
	if err := h.usersSvc.SetUserDisabled(q.r.Context(), q.actor, q.r.PathValue("id"), disable); err != nil {
		return err
	}
	q.redirect(back, flash)
	return nil
}

// setMFARequiredRoles saves which roles must use two-step login.
func (h *adminPages) setMFARequiredRoles(q *request) error {
	if err := h.sessionsSvc.SetMFARequiredRoles(q.r.Context(), q.actor, q.r.PostForm["role"]); err != nil {
		return h.adminError(q, err, "", "admin", nil)
	}
	q.redirect("/admin", "mfa_roles_saved")
	return nil
}
