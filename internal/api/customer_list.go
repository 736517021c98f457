package api

import (
	"net/http"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/httpx"
	"strongroom.dev/strongroom/internal/service/records"
)

// customerSearchRoute takes the searches GET /api/v1/customers refuses.
const customerSearchRoute = "POST /api/v1/customers/search"

type customerList struct {
	Items      []customerJSON `json:"items"`
	NextCursor string         `json:"next_cursor,omitempty"`
}

// customerSearch is the body of POST /api/v1/customers/search. The cursor
// holds only a position (time and id), never the search: the next page is
// asked for with the same filters and the cursor.
type customerSearch struct {
	Name       string `json:"name"`
	Tag        string `json:"tag"`
	Email      string `json:"email"`
	Phone      string `json:"phone"`
	NationalID string `json:"national_id"`
	Consented  string `json:"consented"` // a channel: only those whose marketing consent to it stands
	Order      string `json:"order"`
	Cursor     string `json:"cursor"`
	Limit      int    `json:"limit"`
}

// listCustomers lists without personal filters: order and paging only.
func (h *customersAPI) listCustomers(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	if err := personalInURL(r, customerSearchRoute, httpx.PersonalParams...); err != nil {
		return err
	}
	q, err := httpx.Query(r, "order", "cursor", "limit")
	if err != nil {
		return err
	}
	limit, err := httpx.Int(q, "limit")
	if err != nil {
		return err
	}
	return h.customerPage(w, r, a, customerSearch{Order: q["order"], Cursor: q["cursor"], Limit: int(limit)})
}

// searchCustomers lists with the filters of the body.
func (h *customersAPI) searchCustomers(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	if err := personalInURL(r, customerSearchRoute, httpx.PersonalParams...); err != nil {
		return err
	}
	var in customerSearch
	if err := httpx.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	return h.customerPage(w, r, a, in)
}

func (h *customersAPI) customerPage(w http.ResponseWriter, r *http.Request, a authz.Actor, in customerSearch) error {
	if in.Order != "" && in.Order != "newest" && in.Order != "oldest" {
		return errs.InvalidField("order", "order must be newest or oldest")
	}
	page, err := h.customers.ListCustomers(r.Context(), a, records.CustomerQuery{
		Newest: in.Order == "newest", Name: in.Name, Tag: in.Tag, Email: in.Email, Phone: in.Phone, NationalID: in.NationalID, Consented: in.Consented, Cursor: in.Cursor, Limit: in.Limit,
	})
	if err != nil {
		return err
	}
	out := customerList{Items: make([]customerJSON, 0, len(page.Customers)), NextCursor: page.Next}
	for _, c := range page.Customers {
		out.Items = append(out.Items, toCustomerJSON(c))
	}
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}
