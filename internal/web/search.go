package web

import (
	"net/http"
	"strings"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service"
)

type searchView struct {
	Query     string
	Customers []crm.Customer
	Companies []crm.Company
	Errors    []string
}

// search looks for the text in every object type the actor may read:
// customers by name, email or phone; companies by name. Each list is
// searched through its own service method, so each keeps its own access
// rules and audit.
func (h *Handler) search(q *request) error {
	v := searchView{Query: strings.TrimSpace(q.r.URL.Query().Get("q"))}
	if v.Query != "" {
		if authz.Decide(q.actor, authz.ActionRead, authz.Resource{Object: authz.ObjectCustomer}).Allowed {
			cq := searchQuery(v.Query)
			cq.Limit = 20
			page, err := h.svc.ListCustomers(q.r.Context(), q.actor, cq)
			if err := searchErr(&v, err); err != nil {
				return err
			}
			v.Customers = page.Customers
		}
		if authz.Decide(q.actor, authz.ActionRead, authz.Resource{Object: authz.ObjectCompany}).Allowed && !strings.Contains(v.Query, "@") {
			page, err := h.svc.ListCompanies(q.r.Context(), q.actor, service.CompanyQuery{Name: v.Query, Limit: 20})
			if err := searchErr(&v, err); err != nil {
				return err
			}
			v.Companies = page.Companies
		}
	}
	h.render(q, http.StatusOK, "search", "search", v)
	return nil
}

// searchErr keeps an input error to show and passes any other on.
func searchErr(v *searchView, err error) error {
	if errs.Is(err, errs.Invalid) {
		msg, _ := errs.Public(err)
		for _, e := range v.Errors {
			if e == msg {
				return nil
			}
		}
		v.Errors = append(v.Errors, msg)
		return nil
	}
	return err
}
