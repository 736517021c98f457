package web

import (
	"net/http"
	"strings"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service"
)

type customerListView struct {
	Query     string
	Tag       string
	Newest    bool
	Error     string
	Customers []crm.Customer
	Next      string
	CanCreate bool
	CanExport bool
}

func (h *Handler) listCustomers(q *request) error {
	v := customerListView{Query: strings.TrimSpace(q.r.URL.Query().Get("q"))}
	cq := searchQuery(v.Query)
	cq.Cursor, cq.Tag = q.r.URL.Query().Get("cursor"), q.r.URL.Query().Get("tag")
	cq.Newest = q.r.URL.Query().Get("order") == "newest"
	v.Tag, v.Newest = cq.Tag, cq.Newest
	page, err := h.svc.ListCustomers(q.r.Context(), q.actor, cq)
	if errs.Is(err, errs.Invalid) {
		v.Error, _ = errs.Public(err)
	} else if err != nil {
		return err
	}
	v.Customers, v.Next = page.Customers, page.Next
	v.CanExport = authz.Decide(q.actor, authz.ActionExport, authz.Resource{Object: authz.ObjectCustomer}).Allowed
	v.CanCreate = authz.Decide(q.actor, authz.ActionCreate, authz.Resource{Object: authz.ObjectCustomer, OwnerID: q.actor.UserID}).Allowed
	status := http.StatusOK
	if v.Error != "" {
		status = http.StatusBadRequest
	}
	h.render(q, status, "customers", "customers", v)
	return nil
}

// searchQuery reads what was typed in the search box: an email address,
// a phone number (digits and separators), or words of a name.
func searchQuery(text string) service.CustomerQuery {
	switch {
	case text == "":
		return service.CustomerQuery{}
	case strings.Contains(text, "@"):
		return service.CustomerQuery{Email: text}
	case strings.Trim(text, "+0123456789 -().") == "":
		return service.CustomerQuery{Phone: text}
	}
	return service.CustomerQuery{Name: text}
}
