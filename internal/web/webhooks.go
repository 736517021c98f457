package web

import (
	"net/http"

	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service/hooks"
)

// webhooksView is the webhooks page: the subscriptions, the form for a
// new one, and a secret just made (shown this once).
type webhooksView struct {
	Webhooks  []hooks.Webhook
	CanManage bool
	Events    []string
	Roles     []string
	Form      hooks.Input
	Error     string
	Created   *hooks.WithSecret
}

// webhookView is one subscription's delivery log.
type webhookView struct {
	Webhook    hooks.Webhook
	Deliveries []hooks.Delivery
	CanManage  bool
	Error      string
}

func (h *webhooksPages) renderList(q *request, code int, v webhooksView, formErr error) error {
	list, err := h.hooksSvc.List(q.r.Context(), q.actor)
	if err != nil {
		return err
	}
	v.Webhooks, v.CanManage, v.Events, v.Roles = list, h.hooksSvc.CanManage(q.actor), hooks.Events, hooks.RoleChoices()
	if formErr != nil {
		v.Error, _ = q.public(formErr)
	}
	if code != http.StatusOK || v.Created != nil {
		q.w.Header().Set("Cache-Control", "no-store")
	}
	h.render(q, code, "webhooks", "webhooks", v)
	return nil
}

// showWebhooks lists the subscriptions (administrators, auditors).
func (h *webhooksPages) showWebhooks(q *request) error {
	return h.renderList(q, http.StatusOK, webhooksView{Form: hooks.Input{Role: "marketing"}}, nil)
}

// createWebhook adds a subscription and shows its secret once.
func (h *webhooksPages) createWebhook(q *request) error {
	f := q.r.PostFormValue // parses the form, so PostForm holds every box ticked
	in := hooks.Input{Name: f("name"), URL: f("url"), Role: f("role"), Events: q.r.PostForm["events"]}
	out, err := h.hooksSvc.Create(q.r.Context(), q.actor, in)
	if errs.Is(err, errs.Invalid) {
		return h.renderList(q, http.StatusBadRequest, webhooksView{Form: in}, err)
	}
	if err != nil {
		return err
	}
	return h.renderList(q, http.StatusOK, webhooksView{Form: hooks.Input{Role: "marketing"}, Created: &out}, nil)
}

// pauseWebhook pauses or resumes a subscription.
func (h *webhooksPages) pauseWebhook(q *request) error {
	paused := q.r.PostFormValue("paused") == "1"
	if _, err := h.hooksSvc.SetPaused(q.r.Context(), q.actor, q.r.PathValue("id"), paused); err != nil {
		return err
	}
	flash := "webhook_resumed"
	if paused {
		flash = "webhook_paused"
	}
	q.redirect("/admin/webhooks", flash)
	return nil
}

// deleteWebhook deletes a subscription once its box is ticked.
func (h *webhooksPages) deleteWebhook(q *request) error {
	if q.r.PostFormValue("confirm") != "1" {
		return h.deliveriesPage(q, http.StatusBadRequest, tr(q.lang, "webhook_delete_unconfirmed"))
	}
	if err := h.hooksSvc.Delete(q.r.Context(), q.actor, q.r.PathValue("id")); err != nil {
		return err
	}
	q.redirect("/admin/webhooks", "webhook_deleted")
	return nil
}

// rotateWebhookSecret replaces the secret and shows the new one once.
func (h *webhooksPages) rotateWebhookSecret(q *request) error {
	out, err := h.hooksSvc.RotateSecret(q.r.Context(), q.actor, q.r.PathValue("id"))
	if err != nil {
		return err
	}
	return h.renderList(q, http.StatusOK, webhooksView{Form: hooks.Input{Role: "marketing"}, Created: &out}, nil)
}

// testWebhook queues a test message.
func (h *webhooksPages) testWebhook(q *request) error {
	id := q.r.PathValue("id")
	if _, err := h.hooksSvc.SendTest(q.r.Context(), q.actor, id); err != nil {
		return err
	}
	q.redirect("/admin/webhooks/"+id, "webhook_test_queued")
	return nil
}

// showWebhook shows a subscription's delivery log.
func (h *webhooksPages) showWebhook(q *request) error {
	return h.deliveriesPage(q, http.StatusOK, "")
}

func (h *webhooksPages) deliveriesPage(q *request, code int, msg string) error {
	id := q.r.PathValue("id")
	w, err := h.hooksSvc.Webhook(q.r.Context(), q.actor, id)
	if err != nil {
		return err
	}
	log, err := h.hooksSvc.Deliveries(q.r.Context(), q.actor, id)
	if err != nil {
		return err
	}
	h.render(q, code, "webhook", "webhooks", webhookView{Webhook: w, Deliveries: log, CanManage: h.hooksSvc.CanManage(q.actor), Error: msg})
	return nil
}
