package web

import (
	"net/http"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
)

// fieldView is one field as the page shows it.
type fieldView struct {
	Name, Label, Value string
	Masked, Multiline  bool
}

type customerView struct {
	Customer  crm.Customer
	Fields    []fieldView
	CanEdit   bool
	CanDelete bool
}

func (h *Handler) showCustomer(q *request) error {
	c, err := h.svc.Customer(q.r.Context(), q.actor, q.r.PathValue("id"))
	if err != nil {
		return err
	}
	res := authz.Resource{Object: authz.ObjectCustomer, OwnerID: c.OwnerID}
	read := authz.Decide(q.actor, authz.ActionRead, res)
	v := customerView{
		Customer:  c,
		CanEdit:   authz.Decide(q.actor, authz.ActionUpdate, res).Allowed,
		CanDelete: authz.Decide(q.actor, authz.ActionDelete, res).Allowed,
	}
	for _, f := range crm.CustomerFields {
		val, ok := c.Fields[f.Name]
		if !ok {
			continue
		}
		v.Fields = append(v.Fields, fieldView{Name: f.Name, Label: tr(q.lang, f.Name), Value: val,
			Masked: read.Field(f.Name) == authz.Masked, Multiline: f.Name == crm.FieldNotes || f.Name == crm.FieldAssessment})
	}
	h.render(q, http.StatusOK, "customer", "customers", v)
	return nil
}
