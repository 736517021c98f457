package api

import (
	"net/http"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/httpx"
)

func (h *rolesAPI) listRoles(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	roles, err := h.roles.Roles(r.Context(), a)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"roles": roles})
	return nil
}

func (h *rolesAPI) showRole(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	role, err := h.roles.Role(r.Context(), a, r.PathValue("name"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, role)
	return nil
}

// saveRole creates the role named in the path or replaces its definition.
func (h *rolesAPI) saveRole(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in struct {
		Summary string                       `json:"summary"`
		Grants  map[authz.Object]authz.Grant `json:"grants"`
	}
	if err := httpx.DecodeJSON(w, r, &in, "summary", "grants"); err != nil {
		return err
	}
	role, err := h.roles.SaveRole(r.Context(), a, authz.RoleDef{Name: authz.Role(r.PathValue("name")), Summary: in.Summary, Grants: in.Grants})
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, role)
	return nil
}

func (h *rolesAPI) copyRole(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in struct {
		Name    string `json:"name"`
		Summary string `json:"summary"`
	}
	if err := httpx.DecodeJSON(w, r, &in, "name"); err != nil {
		return err
	}
	role, err := h.roles.CopyRole(r.Context(), a, r.PathValue("name"), in.Name, in.Summary)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusCreated, role)
	return nil
}

func (h *rolesAPI) retireRole(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	if err := h.roles.RetireRole(r.Context(), a, r.PathValue("name")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *rolesAPI) userAccess(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	access, err := h.roles.EffectiveAccess(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"objects": access})
	return nil
}

func (h *rolesAPI) showRoleNetworks(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	nets, err := h.roles.RoleNetworks(r.Context(), a, r.PathValue("name"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"networks": nonNil(nets)})
	return nil
}

func (h *rolesAPI) setRoleNetworks(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in struct {
		Networks []string `json:"networks"`
	}
	if err := httpx.DecodeJSON(w, r, &in, "networks"); err != nil {
		return err
	}
	nets, err := h.roles.SetRoleNetworks(r.Context(), a, r.PathValue("name"), in.Networks)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"networks": nonNil(nets)})
	return nil
}

// nonNil makes a missing list an empty one, so JSON says [] and not null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func (h *rolesAPI) listTemplates(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	templates, err := h.roles.Templates(a)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"templates": templates})
	return nil
}

func (h *rolesAPI) applyTemplate(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	roles, err := h.roles.ApplyTemplate(r.Context(), a, r.PathValue("name"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"roles": roles})
	return nil
}

func (h *rolesAPI) customerAudience(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	viewers, err := h.roles.CustomerAudience(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"viewers": viewers})
	return nil
}

func (h *rolesAPI) listTeams(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	parents, err := h.roles.Teams(r.Context(), a)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"parents": parents})
	return nil
}

func (h *rolesAPI) nestTeam(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in struct {
		Parent string `json:"parent"`
	}
	if err := httpx.DecodeJSON(w, r, &in, "parent"); err != nil {
		return err
	}
	if err := h.roles.SetTeamParent(r.Context(), a, r.PathValue("name"), in.Parent); err != nil {
		return err
	}
	return h.listTeams(w, r, a)
}
