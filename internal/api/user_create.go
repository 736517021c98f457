package api

import (
	"net/http"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/httpx"
	"strongroom.dev/strongroom/internal/service/identity"
)

type userInput struct {
	Email    string `json:"email"`
	Role     string `json:"role"`
	Team     string `json:"team"`
	Password string `json:"password"`
}

func (h *usersAPI) createUser(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in userInput
	if err := httpx.DecodeJSON(w, r, &in, "email", "role", "password"); err != nil {
		return err
	}
	u, err := h.users.CreateUser(r.Context(), a, identity.NewUser{Email: in.Email, Role: in.Role, Team: in.Team, Password: in.Password})
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusCreated, u)
	return nil
}
