package api

import (
	"net/http"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/httpx"
	"strongroom.dev/strongroom/internal/service/identity"
)

type linkPassword struct {
	Token    string `json:"token"`
	Password string `json:"password"`
}

// requestPasswordReset answers the same whether or not the account exists.
func (h *usersAPI) requestPasswordReset(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Email string `json:"email"`
	}
	if err := httpx.DecodeJSON(w, r, &in, "email"); err != nil {
		return err
	}
	if err := h.users.RequestPasswordReset(r.Context(), in.Email, client(r)); err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusAccepted, map[string]string{"detail": "if an enabled account has this email, a link to reset its password is on its way; it works once, within 30 minutes"})
	return nil
}

func (h *usersAPI) completePasswordReset(w http.ResponseWriter, r *http.Request) error {
	var in linkPassword
	if err := httpx.DecodeJSON(w, r, &in, "token", "password"); err != nil {
		return err
	}
	if err := h.users.ResetPassword(r.Context(), in.Token, in.Password, client(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *usersAPI) acceptInvitation(w http.ResponseWriter, r *http.Request) error {
	var in linkPassword
	if err := httpx.DecodeJSON(w, r, &in, "token", "password"); err != nil {
		return err
	}
	if err := h.users.AcceptInvitation(r.Context(), in.Token, in.Password, client(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *usersAPI) inviteUser(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in struct {
		Email string `json:"email"`
		Role  string `json:"role"`
		Team  string `json:"team"`
	}
	if err := httpx.DecodeJSON(w, r, &in, "email", "role"); err != nil {
		return err
	}
	inv, err := h.users.InviteUser(r.Context(), a, identity.NewUser{Email: in.Email, Role: in.Role, Team: in.Team})
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusCreated, inv)
	return nil
}

func (h *usersAPI) sendPasswordReset(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	link, mailed, err := h.users.SendPasswordReset(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	out := struct {
		Mailed bool   `json:"mailed"`
		Link   string `json:"link,omitempty"`
	}{mailed, link}
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (h *usersAPI) listUsers(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	users, err := h.users.ListUsers(r.Context(), a)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"users": users})
	return nil
}
