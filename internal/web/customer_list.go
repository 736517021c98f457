package web

import (
	"net/http"
	"net/url"
	"strings"

	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service/records"
)

type customerListView struct {
	Query     string
	Tag       string
	Newest    bool
	Error     string
	Customers []crm.Customer
	cursorPages
	CanCreate bool
	CanExport bool
}

// Searching tells whether the page answers a search: its order toggle
// and next page then post the search again instead of linking.
func (v customerListView) Searching() bool { return v.Query != "" || v.Tag != "" }

// listCustomers shows customers without a search: the order and the page
// ride in the address; a search never does (searchInURL).
func (h *customersPages) listCustomers(q *request) error {
	if q.searchInURL() {
		return h.refuseCustomerSearch(q)
	}
	q.rememberFilters()
	qs := q.r.URL.Query()
	return h.customers(q, customerListView{Newest: qs.Get("order") == "newest"}, qs.Get("cursor"))
}

// searchCustomers answers the search form: the typed text, a tag, the
// order and the cursor of the page, all in the posted form.
func (h *customersPages) searchCustomers(q *request) error {
	f := q.r.PostFormValue
	q.back = "/customers"
	return h.customers(q, customerListView{Query: strings.TrimSpace(f("q")), Tag: strings.TrimSpace(f("tag")), Newest: f("order") == "newest"}, f("cursor"))
}

func (h *customersPages) customers(q *request, v customerListView, cursor string) error {
	cq := searchQuery(v.Query)
	cq.Tag, cq.Newest, cq.Cursor = v.Tag, v.Newest, cursor
	page, err := h.customersSvc.ListCustomers(q.r.Context(), q.actor, cq)
	if errs.Is(err, errs.Invalid) {
		v.Error, _ = q.public(err)
		return h.renderCustomers(q, v, http.StatusBadRequest)
	} else if err != nil {
		return err
	}
	v.Customers = page.Customers
	keep := url.Values{}
	if v.Newest {
		keep.Set("order", "newest")
	}
	v.cursorPages = cursorPages{Cursor: cursor, Trail: q.trail(), Next: page.Next}.withLinks("/customers", keep)
	if v.Searching() {
		v.cursorPages = v.cursorPages.searched("/customers/search", [2]string{"q", v.Query}, [2]string{"tag", v.Tag}, [2]string{"order", keep.Get("order")})
	}
	return h.renderCustomers(q, v, http.StatusOK)
}

// refuseCustomerSearch answers an address that carries a search with the
// empty list page and a note; what the address carried is not shown.
func (h *customersPages) refuseCustomerSearch(q *request) error {
	if !h.abilities(q).Customers {
		return errs.E(errs.Permission, "you may not read customers")
	}
	return h.renderCustomers(q, customerListView{Error: tr(q.lang, "search_in_url")}, http.StatusBadRequest)
}

func (h *customersPages) renderCustomers(q *request, v customerListView, status int) error {
	can := h.abilities(q)
	v.CanExport, v.CanCreate = can.ExportCustomers, can.CreateCustomer
	h.render(q, status, "customers", "customers", v)
	return nil
}

// searchQuery reads what was typed in the search box: an email address,
// a phone number (digits and separators), or words of a name.
func searchQuery(text string) records.CustomerQuery {
	switch {
	case text == "":
		return records.CustomerQuery{}
	case strings.Contains(text, "@"):
		return records.CustomerQuery{Email: text}
	case strings.Trim(text, "+0123456789 -().") == "":
		return records.CustomerQuery{Phone: text}
	}
	return records.CustomerQuery{Name: text}
}
