package web

import (
	"net/http"
	"strings"

	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/httpx"
	"strongroom.dev/strongroom/internal/service/records"
)

type searchView struct {
	Query     string
	Customers []crm.Customer
	Companies []crm.Company
	Errors    []string
}

// searchInURL tells whether the page's address carries a search
// (httpx.PersonalParams): search forms post it, and a page asked for with
// one in its address refuses.
func (q *request) searchInURL() bool { return len(httpx.ParamsIn(q.r, httpx.PersonalParams...)) > 0 }

// showSearch shows the search box. An address carrying a search (an old
// bookmark) gets the empty box and a note; what it carried is not shown.
func (h *homePages) showSearch(q *request) error {
	if q.searchInURL() {
		h.render(q, http.StatusBadRequest, "search", "search", searchView{Errors: []string{tr(q.lang, "search_in_url")}})
		return nil
	}
	h.render(q, http.StatusOK, "search", "search", searchView{})
	return nil
}

// search looks for the posted text in every object type the actor may
// read: customers by name, email or phone; companies by name. Each list is
// searched through its own service method, so each keeps its own access
// rules and audit.
func (h *homePages) search(q *request) error {
	v := searchView{Query: strings.TrimSpace(q.r.PostFormValue("q"))}
	q.back = "/search"
	if v.Query != "" {
		can := h.abilities(q)
		if can.Customers {
			cq := searchQuery(v.Query)
			cq.Limit = 20
			page, err := h.customersSvc.ListCustomers(q.r.Context(), q.actor, cq)
			if err := searchErr(q, &v, err); err != nil {
				return err
			}
			v.Customers = page.Customers
		}
		if can.Companies && !strings.Contains(v.Query, "@") {
			page, err := h.companiesSvc.ListCompanies(q.r.Context(), q.actor, records.CompanyQuery{Name: v.Query, Limit: 20})
			if err := searchErr(q, &v, err); err != nil {
				return err
			}
			v.Companies = page.Companies
		}
	}
	h.render(q, http.StatusOK, "search", "search", v)
	return nil
}

// searchErr keeps an input error to show and passes any other on.
func searchErr(q *request, v *searchView, err error) error {
	if errs.Is(err, errs.Invalid) {
		msg, _ := q.public(err)
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
