package records

import (
	"context"
	"strings"
	"time"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/fieldcrypt"
	"strongroom.dev/strongroom/internal/keyring"
	"strongroom.dev/strongroom/internal/service/core"
	"strongroom.dev/strongroom/internal/store"
)

var errCompanyNotFound = errs.E(errs.NotExist, "company not found")

func companyRes(row store.CompanyRow) authz.Resource {
	return authz.Resource{Object: authz.ObjectCompany, OwnerID: row.OwnerID, OwnerTeam: row.OwnerTeam}
}

func companyPlace(id, field string) fieldcrypt.Place {
	return fieldcrypt.Place{Table: "companies", Column: store.CompanyColumns[field], Row: id}
}

// CompanyView is a company as the actor may see it, with the customers
// linked to it that the actor may read (id and name).
type CompanyView struct {
	Company   crm.Company
	Customers []crm.Customer
}

// CreateCompany adds a company (a store when in.IsStore) with its own data
// key. The actor owns it unless in.OwnerID names someone else.
func (s *Companies) CreateCompany(ctx context.Context, a authz.Actor, in crm.CompanyInput) (crm.Company, error) {
	if err := in.Normalise(true); err != nil {
		return crm.Company{}, err
	}
	owner, team, d, err := s.placeNew(ctx, a, authz.ObjectCompany, in.OwnerID)
	if err != nil {
		return crm.Company{}, err
	}
	if !d.Allowed {
		return crm.Company{}, errs.E(errs.Permission, "you may not create this company")
	}
	for name := range in.Fields {
		if d.Field(name) < authz.Write {
			return crm.Company{}, errs.InvalidField(name, "you may not set "+name)
		}
	}
	now := s.c.Now()
	c := crm.Company{ID: crm.NewID("com"), OwnerID: owner, OwnerTeam: team, IsStore: in.IsStore != nil && *in.IsStore, Fields: map[string]string{}, CreatedAt: now, UpdatedAt: now}
	for name, v := range in.Fields {
		if v != nil && *v != "" {
			c.Fields[name] = *v
		}
	}
	key, wrapped, err := s.c.Keys.NewDataKey(c.ID)
	if err != nil {
		return crm.Company{}, err
	}
	row, err := sealCompany(key, c)
	if err != nil {
		return crm.Company{}, err
	}
	row.NameTokens = s.nameTokens(c.Fields[crm.CompanyName])
	row.Tags = s.tagIndexes(c.Fields[crm.CompanyTags])
	err = core.Change(ctx, s.c, companyStoreOf, func(tx companyStore) error {
		if err := tx.InsertSubjectKey(ctx, c.ID, wrapped, keyring.WrappedTerm(wrapped), now); err != nil {
			return err
		}
		if err := tx.InsertCompany(ctx, row); err != nil {
			return err
		}
		return s.c.Record(ctx, tx, a, "company.create", "company", c.ID, sortedKeys(c.Fields), audit.Success, "")
	})
	if err != nil {
		return crm.Company{}, err
	}
	return c, nil
}

// Company returns a company and the customers linked to it that the actor
// may read, auditing every personal field shown.
func (s *Companies) Company(ctx context.Context, a authz.Actor, id string) (CompanyView, error) {
	if !crm.ValidID(id) {
		return CompanyView{}, errCompanyNotFound
	}
	var out CompanyView
	err := core.Change(ctx, s.c, companyStoreOf, func(tx companyStore) error {
		row, err := s.companyInScope(ctx, tx, a, id, "company.read")
		if err != nil {
			return err
		}
		var shown []string
		if out.Company, shown, err = s.openCompany(row, authz.Decide(a, authz.ActionRead, companyRes(row))); err != nil {
			return err
		}
		events := []audit.Event{core.Event(a, "company.read", "company", id, shown, audit.Success, "")}
		people, err := tx.CompanyCustomers(ctx, id, 200)
		if err != nil {
			return err
		}
		for _, p := range people {
			d := authz.Decide(a, authz.ActionRead, core.CustomerRes(p))
			if !d.Allowed {
				continue
			}
			c, shownC, err := s.openCustomer(p, authz.Decision{Allowed: true, Fields: map[string]authz.Level{crm.FieldName: d.Field(crm.FieldName)}})
			if err != nil {
				return err
			}
			out.Customers = append(out.Customers, c)
			events = append(events, core.Event(a, "customer.read", "customer", c.ID, shownC, audit.Success, "company "+id))
		}
		return s.c.Append(ctx, tx, events...)
	})
	if err != nil {
		return CompanyView{}, err
	}
	return out, nil
}

// UpdateCompany changes the fields in in, and the store flag when set.
func (s *Companies) UpdateCompany(ctx context.Context, a authz.Actor, id string, in crm.CompanyInput) (crm.Company, error) {
	if !crm.ValidID(id) {
		return crm.Company{}, errCompanyNotFound
	}
	if err := in.Normalise(false); err != nil {
		return crm.Company{}, err
	}
	var out crm.Company
	err := core.Change(ctx, s.c, companyStoreOf, func(tx companyStore) error {
		row, err := s.companyInScope(ctx, tx, a, id, "company.update")
		if err != nil {
			return err
		}
		d := authz.Decide(a, authz.ActionUpdate, companyRes(row))
		if !d.Allowed {
			return errs.E(errs.Permission, "you may not change this company")
		}
		for name := range in.Fields {
			if d.Field(name) < authz.Write {
				return errs.InvalidField(name, "you may not set "+name)
			}
		}
		key, err := s.c.Keys.OpenDataKey(row.ID, row.WrappedKey)
		if err != nil {
			return errs.Wrap(errs.Internal, "service.UpdateCompany", "", err)
		}
		c, _, err := openCompanyFields(key, row, func(string) authz.Level { return authz.Write })
		if err != nil {
			return err
		}
		for name, v := range in.Fields {
			if v == nil || *v == "" {
				delete(c.Fields, name)
			} else {
				c.Fields[name] = *v
			}
		}
		if in.IsStore != nil {
			c.IsStore = *in.IsStore
		}
		if c.IsStore && c.Fields[crm.CompanyAddress] == "" {
			return errs.InvalidField(crm.CompanyAddress, "a store needs an address")
		}
		c.UpdatedAt = s.c.Now()
		newRow, err := sealCompany(key, c)
		if err != nil {
			return err
		}
		newRow.NameTokens = s.nameTokens(c.Fields[crm.CompanyName])
		newRow.Tags = s.tagIndexes(c.Fields[crm.CompanyTags])
		if err := tx.UpdateCompany(ctx, newRow); err != nil {
			return err
		}
		rd := authz.Decide(a, authz.ActionRead, companyRes(row))
		var shown []string
		out, shown, err = openCompanyFields(key, newRow, rd.Field)
		if err != nil {
			return err
		}
		return s.c.Append(ctx, tx,
			core.Event(a, "company.update", "company", id, sortedKeys(in.Fields), audit.Success, ""),
			core.Event(a, "company.read", "company", id, shown, audit.Success, "returned after update"))
	})
	if err != nil {
		return crm.Company{}, err
	}
	return out, nil
}

// DeleteCompany removes a company and destroys its data key; its customers
// stay, unlinked.
func (s *Companies) DeleteCompany(ctx context.Context, a authz.Actor, id string) error {
	if !crm.ValidID(id) {
		return errCompanyNotFound
	}
	err := core.Change(ctx, s.c, companyStoreOf, func(tx companyStore) error {
		row, err := s.companyInScope(ctx, tx, a, id, "company.delete")
		if err != nil {
			return err
		}
		if !authz.Decide(a, authz.ActionDelete, companyRes(row)).Allowed {
			return errs.E(errs.Permission, "you may not delete companies")
		}
		if err := tx.DeleteCompany(ctx, id); err != nil {
			return err
		}
		s.c.Keys.Forget(id) // no unwrapped copy left in the cache
		if err := tx.ShredSubject(ctx, id, "company", s.c.Now()); err != nil {
			return err
		}
		return s.c.Record(ctx, tx, a, "company.delete", "company", id, nil, audit.Success, "data key destroyed")
	})
	return err
}

// CompanyQuery pages the company list.
type CompanyQuery struct {
	Name       string // every token must match
	Tag        string
	StoresOnly bool
	Cursor     string
	Limit      int
}

// CompanyPage is one page of companies.
type CompanyPage struct {
	Companies []crm.Company
	Next      string
}

// ListCompanies returns the companies the actor may read, auditing each.
func (s *Companies) ListCompanies(ctx context.Context, a authz.Actor, q CompanyQuery) (CompanyPage, error) {
	d := authz.Decide(a, authz.ActionRead, authz.Resource{Object: authz.ObjectCompany})
	if !d.Allowed {
		return CompanyPage{}, errs.E(errs.Permission, "you may not read companies")
	}
	f := store.CompanyFilter{StoreOnly: q.StoresOnly}
	var err error
	if f.Limit, err = core.PageLimit(q.Limit); err != nil {
		return CompanyPage{}, err
	}
	f.OwnerID, f.Teams = core.ScopeFilter(a, d)
	if q.Name != "" {
		if d.Field(crm.CompanyName) < authz.Read {
			return CompanyPage{}, errs.InvalidField("name", "you may not search by name")
		}
		if f.NameTokens = s.nameTokens(q.Name); len(f.NameTokens) == 0 {
			return CompanyPage{}, errs.InvalidField("name", "search by name needs a word of two letters or two Chinese characters")
		}
	}
	if q.Tag != "" {
		if d.Field(crm.CompanyTags) < authz.Read {
			return CompanyPage{}, errs.InvalidField("tags", "you may not filter by tag")
		}
		f.Tag = s.c.Index.Index(fieldcrypt.IndexTag, strings.ToLower(strings.TrimSpace(q.Tag)))
	}
	if q.Cursor != "" {
		cur, err := core.DecodeCursor(q.Cursor)
		if err != nil {
			return CompanyPage{}, err
		}
		f.After = &cur
	}
	want := f.Limit
	f.Limit++
	var page CompanyPage
	err = core.Change(ctx, s.c, companyStoreOf, func(tx companyStore) error {
		rows, err := tx.ListCompanies(ctx, f)
		if err != nil {
			return err
		}
		rows, page.Next = core.CutPage(rows, want, func(r store.CompanyRow) store.Cursor { return store.Cursor{CreatedAt: r.CreatedAt, ID: r.ID} })
		events := make([]audit.Event, 0, len(rows))
		for _, row := range rows {
			rd := authz.Decide(a, authz.ActionRead, companyRes(row))
			if !rd.Allowed {
				continue
			}
			c, shown, err := s.openCompany(row, rd)
			if err != nil {
				return err
			}
			page.Companies = append(page.Companies, c)
			events = append(events, core.Event(a, "company.read", "company", c.ID, shown, audit.Success, "list"))
		}
		if len(events) == 0 {
			return s.c.Record(ctx, tx, a, "company.list", "company", "", nil, audit.Success, "no results")
		}
		return s.c.Append(ctx, tx, events...)
	})
	if err != nil {
		return CompanyPage{}, err
	}
	return page, nil
}

// companyLink checks that the actor may link a customer to company id (it
// must exist and be readable by the actor).
func (s *Customers) companyLink(ctx context.Context, tx companyReader, a authz.Actor, id string) error {
	if id == "" {
		return nil
	}
	row, err := tx.CompanyByID(ctx, id)
	if errs.Is(err, errs.NotExist) || (err == nil && !authz.Decide(a, authz.ActionRead, companyRes(row)).Allowed) {
		return errs.InvalidField("company_id", "company_id names no company you can see")
	}
	return err
}

func sealCompany(key keyring.DataKey, c crm.Company) (store.CompanyRow, error) {
	row := store.CompanyRow{ID: c.ID, OwnerID: c.OwnerID, OwnerTeam: c.OwnerTeam, IsStore: c.IsStore, Sealed: map[string][]byte{}, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
	for name, v := range c.Fields {
		ct, err := fieldcrypt.Seal(key, companyPlace(c.ID, name), v)
		if err != nil {
			return row, err
		}
		row.Sealed[name] = ct
	}
	return row, nil
}

// openCompanyFields opens the fields whose level is above Hidden, masking
// the masked ones, and names them for the audit event.
func openCompanyFields(key keyring.DataKey, row store.CompanyRow, level func(string) authz.Level) (crm.Company, []string, error) {
	c := crm.Company{ID: row.ID, OwnerID: row.OwnerID, OwnerTeam: row.OwnerTeam, IsStore: row.IsStore, Fields: map[string]string{}, CreatedAt: row.CreatedAt, UpdatedAt: row.UpdatedAt}
	var shown []string
	var err error
	c.Fields, shown, err = openFields(key, crm.CompanyFields, row.Sealed, func(f string) fieldcrypt.Place { return companyPlace(row.ID, f) }, level)
	return c, shown, err
}

// companyStore is what the methods in companies.go read and write.
type companyStore interface {
	companyReader
	CompanyCustomers(ctx context.Context, companyID string, limit int) ([]store.CustomerRow, error)
	DeleteCompany(ctx context.Context, id string) error
	ShredSubject(ctx context.Context, subject, kind string, at time.Time) error
	InsertCompany(ctx context.Context, c store.CompanyRow) error
	InsertSubjectKey(ctx context.Context, subject string, wrapped []byte, kekTerm uint32, now time.Time) error
	ListCompanies(ctx context.Context, f store.CompanyFilter) ([]store.CompanyRow, error)
	UpdateCompany(ctx context.Context, c store.CompanyRow) error
}

// companyStoreOf is the compiler's check that the store has every method of companyStore.
func companyStoreOf(tx *store.Tx) companyStore { return tx }
