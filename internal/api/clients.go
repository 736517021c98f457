package api

import (
	"net/http"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/httpx"
	"strongroom.dev/strongroom/internal/service/clients"
)

// clientsAPI serves the register of OAuth clients of partner systems.
type clientsAPI struct{ clients *clients.Clients }

// listClients lists the clients with their last use and volume
// (administrators, auditors).
func (h *clientsAPI) listClients(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	if _, err := httpx.Query(r); err != nil {
		return err
	}
	list, err := h.clients.List(r.Context(), a)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"clients": list})
	return nil
}

// registerClient adds a client (administrators); the answer holds its
// secret, the only time it is shown.
func (h *clientsAPI) registerClient(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in clients.Input
	if err := httpx.DecodeJSON(w, r, &in, "name", "role"); err != nil {
		return err
	}
	c, err := h.clients.Register(r.Context(), a, in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/clients/"+c.ID)
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, http.StatusCreated, c)
	return nil
}

// showClient answers one client.
func (h *clientsAPI) showClient(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	c, err := h.clients.Show(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, c)
	return nil
}

// suspendClient stops a client at once; resumeClient lets it work again.
func (h *clientsAPI) suspendClient(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	if err := h.clients.Suspend(r.Context(), a, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *clientsAPI) resumeClient(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	if err := h.clients.Resume(r.Context(), a, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// deleteClient removes a client and its tokens.
func (h *clientsAPI) deleteClient(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	if err := h.clients.Delete(r.Context(), a, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
