package api

import (
	"net/http"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/httpx"
	"strongroom.dev/strongroom/internal/service/hooks"
)

// webhooksAPI serves webhook subscriptions and their delivery log.
type webhooksAPI struct{ hooks *hooks.Hooks }

// listWebhooks lists the subscriptions (administrators, auditors).
func (h *webhooksAPI) listWebhooks(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	if _, err := httpx.Query(r); err != nil {
		return err
	}
	list, err := h.hooks.List(r.Context(), a)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"webhooks": list, "events": hooks.Events})
	return nil
}

// createWebhook adds a subscription and answers its secret, this once
// (administrators).
func (h *webhooksAPI) createWebhook(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in hooks.Input
	if err := httpx.DecodeJSON(w, r, &in, "name", "url", "role", "events"); err != nil {
		return err
	}
	out, err := h.hooks.Create(r.Context(), a, in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/webhooks/"+out.ID)
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, http.StatusCreated, out)
	return nil
}

// showWebhook answers one subscription, never its secret.
func (h *webhooksAPI) showWebhook(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	out, err := h.hooks.Webhook(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

// updateWebhook replaces a subscription's settings (administrators).
func (h *webhooksAPI) updateWebhook(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in hooks.Input
	if err := httpx.DecodeJSON(w, r, &in, "name", "url", "role", "events"); err != nil {
		return err
	}
	out, err := h.hooks.Update(r.Context(), a, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

// deleteWebhook removes a subscription and its log (administrators).
func (h *webhooksAPI) deleteWebhook(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	if err := h.hooks.Delete(r.Context(), a, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// rotateWebhookSecret replaces the secret and answers the new one, this
// once (administrators).
func (h *webhooksAPI) rotateWebhookSecret(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	out, err := h.hooks.RotateSecret(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

// listWebhookDeliveries answers the latest messages and how they went.
func (h *webhooksAPI) listWebhookDeliveries(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	list, err := h.hooks.Deliveries(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"deliveries": list})
	return nil
}

// testWebhook queues a test message (administrators).
func (h *webhooksAPI) testWebhook(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	d, err := h.hooks.SendTest(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusAccepted, d)
	return nil
}
