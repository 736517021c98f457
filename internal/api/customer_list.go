package api

import (
	"net/http"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/httpx"
	"strongroom.dev/strongroom/internal/service"
)

type customerList struct {
	Items      []customerJSON `json:"items"`
	NextCursor string         `json:"next_cursor,omitempty"`
}

func (h *Handler) listCustomers(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	q, err := httpx.Query(r, "name", "tag", "email", "phone", "national_id", "order", "cursor", "limit")
	if err != nil {
		return err
	}
	if o := q["order"]; o != "" && o != "newest" && o != "oldest" {
		return errs.InvalidField("order", "order must be newest or oldest")
	}
	limit, err := intParam(q, "limit")
	if err != nil {
		return err
	}
	page, err := h.svc.ListCustomers(r.Context(), a, service.CustomerQuery{
		Newest: q["order"] == "newest", Name: q["name"], Tag: q["tag"], Email: q["email"], Phone: q["phone"], NationalID: q["national_id"], Cursor: q["cursor"], Limit: int(limit),
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
