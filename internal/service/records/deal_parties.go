package records

import (
	"context"
	"slices"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service/core"
	"strongroom.dev/strongroom/internal/store"
)

// Party names who a deal is with, as the actor may see them: the
// customer's name (masked when the actor's roles mask it, "" when they
// may not read the customer) and the company the customer belongs to.
type Party struct {
	CustomerName string
	CompanyID    string // "" when the customer has none or the actor may not read it
	CompanyName  string
}

// partyStore is what Parties reads.
type partyStore interface {
	core.CustomerStore
	CompanyByID(ctx context.Context, id string) (store.CompanyRow, error)
}

var _ partyStore = (*store.Tx)(nil)

// Parties names the customers (and their companies) of deals, keyed by
// customer id, for the pipeline's cards and the deal page. Only the name
// fields are opened, each read audited as a read of that record's name;
// a customer or company out of the actor's reach is left unnamed.
func (s *Deals) Parties(ctx context.Context, a authz.Actor, customerIDs []string) (map[string]Party, error) {
	ids := slices.Clone(customerIDs)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	out := map[string]Party{}
	err := core.Read(ctx, s.c, func(tx *store.Tx) partyStore { return tx }, func(ctx context.Context, tx partyStore) ([]audit.Event, error) {
		var events []audit.Event
		companies := map[string]Party{}
		for _, id := range ids {
			if !crm.ValidID(id) {
				continue
			}
			row, err := tx.CustomerByID(ctx, id)
			if errs.Is(err, errs.NotExist) {
				continue
			}
			if err != nil {
				return nil, err
			}
			d := authz.Decide(a, authz.ActionRead, core.CustomerRes(row))
			if !d.Allowed || d.Field(crm.FieldName) < authz.Masked {
				continue
			}
			c, shown, err := s.openCustomer(row, authz.Decision{Allowed: true, Fields: map[string]authz.Level{crm.FieldName: d.Field(crm.FieldName)}})
			if err != nil {
				return nil, err
			}
			p := Party{CustomerName: c.Fields[crm.FieldName]}
			events = append(events, core.Event(a, "customer.read", "customer", id, shown, audit.Success, "deal party"))
			if row.CompanyID != "" {
				co, seen := companies[row.CompanyID]
				if !seen {
					if co, err = s.partyCompany(ctx, tx, a, row.CompanyID, &events); err != nil {
						return nil, err
					}
					companies[row.CompanyID] = co
				}
				p.CompanyID, p.CompanyName = co.CompanyID, co.CompanyName
			}
			out[id] = p
		}
		return events, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// partyCompany opens the name of company id if the actor may read it.
func (s *Deals) partyCompany(ctx context.Context, tx partyStore, a authz.Actor, id string, events *[]audit.Event) (Party, error) {
	row, err := tx.CompanyByID(ctx, id)
	if errs.Is(err, errs.NotExist) {
		return Party{}, nil
	}
	if err != nil {
		return Party{}, err
	}
	d := authz.Decide(a, authz.ActionRead, companyRes(row))
	if !d.Allowed || d.Field(crm.CompanyName) < authz.Masked {
		return Party{}, nil
	}
	co, shown, err := s.openCompany(row, authz.Decision{Allowed: true, Fields: map[string]authz.Level{crm.CompanyName: d.Field(crm.CompanyName)}})
	if err != nil {
		return Party{}, err
	}
	*events = append(*events, core.Event(a, "company.read", "company", id, shown, audit.Success, "deal party"))
	return Party{CompanyID: id, CompanyName: co.Fields[crm.CompanyName]}, nil
}
