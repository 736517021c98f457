package api

import (
	"net/http"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/httpx"
	"strongroom.dev/strongroom/internal/service/governance"
)

func (h *rolesAPI) showPolicy(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	p, ok, err := h.roles.CurrentPolicy(r.Context())
	if err != nil {
		return err
	}
	if !ok {
		return errs.E(errs.NotExist, "no security policy has been published")
	}
	httpx.WriteJSON(w, http.StatusOK, struct {
		governance.Policy
		Accepted bool `json:"accepted"`
	}{p, !a.PolicyPending})
	return nil
}

func (h *rolesAPI) acceptPolicy(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in struct {
		Version int64 `json:"version"`
	}
	if err := httpx.DecodeJSON(w, r, &in, "version"); err != nil {
		return err
	}
	if err := h.roles.AcceptPolicy(r.Context(), a, in.Version); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *rolesAPI) publishPolicy(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in struct {
		TextEN string `json:"text_en"`
		TextZH string `json:"text_zh"`
	}
	if err := httpx.DecodeJSON(w, r, &in, "text_en", "text_zh"); err != nil {
		return err
	}
	p, err := h.roles.PublishPolicy(r.Context(), a, in.TextEN, in.TextZH)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusCreated, p)
	return nil
}

func (h *rolesAPI) listAcceptances(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	list, err := h.roles.PolicyAcceptances(r.Context(), a)
	if err != nil {
		return err
	}
	list = nonNil(list)
	httpx.WriteJSON(w, http.StatusOK, struct {
		Items []governance.Acceptance `json:"items"`
	}{list})
	return nil
}
