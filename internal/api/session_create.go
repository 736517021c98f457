package api

import (
	"net/http"
	"time"

	"strongroom.dev/strongroom/internal/httpx"
)

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

type loginResponse struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	UserID    string    `json:"user_id"`
	// MFAPending says the session reaches nothing but
	// POST /api/v1/sessions/current/mfa until a second factor is given.
	MFAPending bool `json:"mfa_pending"`
}

func (h *sessionsAPI) createSession(w http.ResponseWriter, r *http.Request) error {
	var req loginRequest
	if err := httpx.DecodeJSON(w, r, &req, "email", "password"); err != nil {
		return err
	}
	c := client(r)
	c.Device = httpx.DeviceCookieValue(r)
	sess, err := h.sessions.Login(r.Context(), req.Email, req.Password, c)
	if err != nil {
		return err
	}
	httpx.SetSessionCookie(w, sess.Token, sess.ExpiresAt)
	httpx.SetDeviceCookie(w, sess.Device)
	httpx.WriteJSON(w, http.StatusCreated, loginResponse{Token: sess.Token, ExpiresAt: sess.ExpiresAt, UserID: sess.UserID, MFAPending: sess.MFAPending})
	return nil
}
