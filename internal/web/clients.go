package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service/clients"
)

// clientsView is the OAuth clients page: the register, the form that adds
// one, and a new client's secret, shown this once.
type clientsView struct {
	Clients []clients.Client
	Form    clients.Input
	Nets    string
	URIs    string
	Created *clients.Client
	Error   string
}

// clientInput reads the register form.
func (q *request) clientInput() clients.Input {
	f := q.r.PostFormValue
	rate, _ := strconv.Atoi(strings.TrimSpace(f("rate_per_minute")))
	ttl, _ := strconv.Atoi(strings.TrimSpace(f("token_seconds")))
	return clients.Input{Name: f("name"), Role: strings.TrimSpace(f("role")), AuthMethod: f("auth_method"), JWK: strings.TrimSpace(f("jwk")),
		RedirectURIs: splitList(f("redirect_uris")), Networks: splitList(f("networks")), RatePerMinute: rate, TokenSeconds: ttl}
}

func (h *clientsPages) renderClients(q *request, status int, v clientsView) error {
	list, err := h.clientsSvc.List(q.r.Context(), q.actor)
	if err != nil {
		return err
	}
	v.Clients = list
	v.Nets, v.URIs = strings.Join(v.Form.Networks, ", "), strings.Join(v.Form.RedirectURIs, ", ")
	h.render(q, status, "clients", "clients", v)
	return nil
}

// showClients lists the clients with their last use and volume.
func (h *clientsPages) showClients(q *request) error {
	return h.renderClients(q, http.StatusOK, clientsView{})
}

// registerClient adds a client and shows its secret once.
func (h *clientsPages) registerClient(q *request) error {
	in := q.clientInput()
	c, err := h.clientsSvc.Register(q.r.Context(), q.actor, in)
	if errs.Is(err, errs.Invalid) {
		msg, _ := q.public(err)
		return h.renderClients(q, http.StatusBadRequest, clientsView{Form: in, Error: msg})
	}
	if err != nil {
		return err
	}
	q.w.Header().Set("Cache-Control", "no-store")
	return h.renderClients(q, http.StatusOK, clientsView{Created: &c})
}

func (h *clientsPages) suspendClient(q *request) error {
	if err := h.clientsSvc.Suspend(q.r.Context(), q.actor, q.r.PathValue("id")); err != nil {
		return err
	}
	q.redirect("/admin/clients", "client_suspended")
	return nil
}

func (h *clientsPages) resumeClient(q *request) error {
	if err := h.clientsSvc.Resume(q.r.Context(), q.actor, q.r.PathValue("id")); err != nil {
		return err
	}
	q.redirect("/admin/clients", "client_resumed")
	return nil
}

func (h *clientsPages) deleteClient(q *request) error {
	if err := h.clientsSvc.Delete(q.r.Context(), q.actor, q.r.PathValue("id")); err != nil {
		return err
	}
	q.redirect("/admin/clients", "client_deleted")
	return nil
}

// showConsent asks the logged-in user whether an application may act for
// them, within its role and their own access.
func (h *clientsPages) showConsent(q *request) error {
	c, err := h.clientsSvc.ConsentFor(q.r.Context(), q.actor, q.r.PathValue("id"))
	if err != nil {
		return err
	}
	q.formTo = c.Origins // approving leads on to the application
	h.render(q, http.StatusOK, "consent", "consent", c)
	return nil
}

// approveConsent records the approval and goes on to the authorisation
// server, which sends the browser back to the application with a code.
func (h *clientsPages) approveConsent(q *request) error {
	id := q.r.PathValue("id")
	if err := h.clientsSvc.Approve(q.r.Context(), q.actor, id); err != nil {
		return err
	}
	http.Redirect(q.w, q.r, "/oauth/authorize/callback?id="+url.QueryEscape(id), http.StatusSeeOther)
	return nil
}
