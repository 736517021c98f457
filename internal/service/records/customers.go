package records

import (
	"context"
	"maps"
	"slices"
	"strings"
	"time"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/fieldcrypt"
	"strongroom.dev/strongroom/internal/keyring"
	"strongroom.dev/strongroom/internal/privacy"
	"strongroom.dev/strongroom/internal/service/core"
	"strongroom.dev/strongroom/internal/store"
)

func customerPlace(id, field string) fieldcrypt.Place {
	return fieldcrypt.Place{Table: "customers", Column: store.CustomerColumns[field], Row: id}
}

// checkWritable refuses an input that sets a field the decision does not
// let the actor write.
func checkWritable(d authz.Decision, in crm.CustomerInput) error {
	for _, f := range crm.CustomerFields {
		if _, set := in.Fields[f.Name]; set && d.Field(f.Name) < authz.Write {
			return errs.InvalidField(f.Name, "you may not set "+f.Name)
		}
	}
	for name := range in.Fields {
		if _, ok := store.CustomerColumns[name]; !ok {
			return errs.InvalidField(name, "unknown field "+name)
		}
	}
	return nil
}

// CreateCustomer adds a customer with a fresh data key. The actor owns the
// customer unless in.OwnerID names someone else (which only a role with
// scope over all customers may do).
func (s *Customers) CreateCustomer(ctx context.Context, a authz.Actor, in crm.CustomerInput) (crm.Customer, error) {
	if err := in.Normalise(true); err != nil {
		return crm.Customer{}, err
	}
	owner, team, d, err := s.placeNew(ctx, a, authz.ObjectCustomer, in.OwnerID)
	if err != nil {
		return crm.Customer{}, err
	}
	if !d.Allowed {
		if authz.Decide(a, authz.ActionCreate, authz.Resource{Object: authz.ObjectCustomer}).Allowed {
			return crm.Customer{}, errs.InvalidField("owner_id", "you may only create customers you own")
		}
		return crm.Customer{}, errs.E(errs.Permission, "you may not create customers")
	}
	if err := checkWritable(d, in); err != nil {
		return crm.Customer{}, err
	}
	now := s.c.Now()
	c := crm.Customer{ID: crm.NewID("cus"), OwnerID: owner, OwnerTeam: team, Fields: map[string]string{}, CreatedAt: now, UpdatedAt: now}
	if in.CompanyID != nil {
		c.CompanyID = *in.CompanyID
	}
	for name, v := range in.Fields {
		if v != nil && *v != "" {
			c.Fields[name] = *v
		}
	}
	key, wrapped, err := s.c.Keys.NewDataKey(c.ID)
	if err != nil {
		return crm.Customer{}, err
	}
	row, err := s.sealCustomer(key, c)
	if err != nil {
		return crm.Customer{}, err
	}
	err = core.Change(ctx, s.c, customerStoreOf, func(tx customerStore) error {
		if _, err := s.checkOwner(ctx, tx, owner); err != nil {
			return err
		}
		if err := s.companyLink(ctx, tx, a, c.CompanyID); err != nil {
			return err
		}
		if err := tx.InsertSubjectKey(ctx, c.ID, wrapped, keyring.WrappedTerm(wrapped), now); err != nil {
			return err
		}
		if err := tx.InsertCustomer(ctx, row); err != nil {
			return err
		}
		if err := s.c.Record(ctx, tx, a, "customer.create", "customer", c.ID, sortedKeys(c.Fields), audit.Success, ""); err != nil {
			return err
		}
		return s.sensitiveConsent(ctx, tx, a, key, c.ID, in)
	})
	if err != nil {
		return crm.Customer{}, err
	}
	return view(c, d), nil
}

// Customer returns one customer as the actor may see it, and audits the
// read (naming the fields shown) before returning. A customer the actor
// may not read is "not found", exactly like one that does not exist.
func (s *Customers) Customer(ctx context.Context, a authz.Actor, id string) (crm.Customer, error) {
	if !crm.ValidID(id) {
		return crm.Customer{}, core.ErrCustomerNotFound
	}
	var out crm.Customer
	err := core.Read(ctx, s.c, customerStoreOf, func(ctx context.Context, tx customerStore) ([]audit.Event, error) {
		row, err := tx.CustomerByID(ctx, id)
		if err != nil {
			return nil, core.NotFound(err, "customer")
		}
		d := authz.Decide(a, authz.ActionRead, core.CustomerRes(row))
		if !d.Allowed {
			return []audit.Event{core.Event(a, "customer.read", "customer", id, nil, audit.Denied, "not in scope")}, core.ErrCustomerNotFound
		}
		if !row.RestrictedSince.IsZero() && !core.WhileRestricted(a, "customer.read") {
			return []audit.Event{core.Event(a, "customer.read", "customer", id, nil, audit.Denied, "processing restricted (GDPR Art. 18)")}, core.ErrRestricted
		}
		c, shown, err := s.openCustomer(row, d)
		if err != nil {
			return nil, err
		}
		out = c
		return []audit.Event{core.Event(a, "customer.read", "customer", id, shown, audit.Success, "")}, nil
	})
	if err != nil {
		return crm.Customer{}, err // never hand out data whose read was not audited
	}
	return out, nil
}

// UpdateCustomer changes the fields in in, and the owner when in.OwnerID is
// set; it returns the customer as the actor may now see it.
func (s *Customers) UpdateCustomer(ctx context.Context, a authz.Actor, id string, in crm.CustomerInput) (crm.Customer, error) {
	if !crm.ValidID(id) {
		return crm.Customer{}, core.ErrCustomerNotFound
	}
	if err := in.Normalise(false); err != nil {
		return crm.Customer{}, err
	}
	var out crm.Customer
	err := core.Change(ctx, s.c, customerStoreOf, func(tx customerStore) error {
		row, err := s.c.CustomerInScope(ctx, tx, a, id, "customer.update")
		if err != nil {
			return err
		}
		d := authz.Decide(a, authz.ActionUpdate, core.CustomerRes(row))
		if !d.Allowed {
			return errs.E(errs.Permission, "you may not change this customer")
		}
		if err := checkWritable(d, in); err != nil {
			return err
		}
		changed := sortedKeys(in.Fields)
		if in.OwnerID != nil && *in.OwnerID != row.OwnerID {
			team, err := s.checkOwner(ctx, tx, *in.OwnerID)
			if err != nil {
				return err
			}
			if !authz.Decide(a, authz.ActionUpdate, authz.Resource{Object: authz.ObjectCustomer, OwnerID: *in.OwnerID, OwnerTeam: team}).Allowed {
				return errs.InvalidField("owner_id", "you may not give this customer to another owner")
			}
			row.OwnerID, row.OwnerTeam = *in.OwnerID, team
			changed = append(changed, "owner_id")
		}
		if in.CompanyID != nil && *in.CompanyID != row.CompanyID {
			if err := s.companyLink(ctx, tx, a, *in.CompanyID); err != nil {
				return err
			}
			row.CompanyID = *in.CompanyID
			changed = append(changed, "company_id")
		}
		key, err := s.openKey(row)
		if err != nil {
			return err
		}
		if err := s.sensitiveConsent(ctx, tx, a, key, id, in); err != nil {
			return err
		}
		c, err := s.openAll(key, row)
		if err != nil {
			return err
		}
		before := maps.Clone(c.Fields)
		for name, v := range in.Fields {
			if v == nil || *v == "" {
				delete(c.Fields, name)
			} else {
				c.Fields[name] = *v
			}
		}
		c.OwnerID, c.OwnerTeam, c.UpdatedAt = row.OwnerID, row.OwnerTeam, s.c.Now()
		newRow, err := s.sealCustomer(key, c)
		if err != nil {
			return err
		}
		if err := tx.UpdateCustomer(ctx, newRow); err != nil {
			return err
		}
		dAfter := authz.Decide(a, authz.ActionRead, authz.Resource{Object: authz.ObjectCustomer, OwnerID: c.OwnerID, OwnerTeam: c.OwnerTeam})
		out = view(c, dAfter)
		events := []audit.Event{
			core.Event(a, "customer.update", "customer", id, changed, audit.Success, ""),
			core.Event(a, "customer.read", "customer", id, shownFields(out, dAfter), audit.Success, "returned after update"),
		}
		if err := s.c.Append(ctx, tx, events...); err != nil {
			return err
		}
		return s.keepHistory(ctx, tx, key, id, events[0].Seq, before, c.Fields)
	})
	if err != nil {
		return crm.Customer{}, err // never hand out data whose read was not audited
	}
	return out, nil
}

// DeleteCustomer removes a customer and destroys their data key, so that
// any copy of their sealed fields (in a backup, say) can no longer be read.
func (s *Customers) DeleteCustomer(ctx context.Context, a authz.Actor, id string) error {
	if !crm.ValidID(id) {
		return core.ErrCustomerNotFound
	}
	err := core.Change(ctx, s.c, customerStoreOf, func(tx customerStore) error {
		row, err := s.c.CustomerInScope(ctx, tx, a, id, "customer.delete")
		if err != nil {
			return err
		}
		if !authz.Decide(a, authz.ActionDelete, core.CustomerRes(row)).Allowed {
			return errs.E(errs.Permission, "you may not delete customers")
		}
		if err := s.c.UseGrant(ctx, tx, a, core.KindDelete, id, "", "deleting this customer"); err != nil {
			return err
		}
		if err := tx.DeleteCustomer(ctx, id); err != nil {
			return err
		}
		s.c.Keys.Forget(id) // no unwrapped copy left in the cache
		if err := tx.ShredSubject(ctx, id, "customer", s.c.Now()); err != nil {
			return err
		}
		return s.c.Record(ctx, tx, a, "customer.delete", "customer", id, nil, audit.Success, "data key destroyed")
	})
	return err
}

// sensitiveConsent records in's sensitive consent, if it carries one, and
// refuses a special-category field without a standing consent to
// processing sensitive information (PIPL Art. 29, GDPR Art. 9).
func (s *Customers) sensitiveConsent(ctx context.Context, tx customerStore, a authz.Actor, key keyring.DataKey, id string, in crm.CustomerInput) error {
	if in.SensitiveConsent != nil {
		ci := *in.SensitiveConsent
		ci.Purpose = crm.PurposeSensitive
		got, err := s.c.AddConsent(ctx, tx, a, key, id, "staff", ci)
		if err != nil {
			return err
		}
		if err := s.c.Record(ctx, tx, a, "consent.give", "customer", id, nil, audit.Success, core.ConsentReason(got)); err != nil {
			return err
		}
	}
	if !in.SetsSpecial() {
		return nil
	}
	ok, err := tx.HasConsent(ctx, id, crm.PurposeSensitive)
	if err != nil {
		return err
	}
	if !ok {
		return errs.InvalidField(crm.FieldAssessment, "record the person's separate consent to processing sensitive information first (sensitive_consent; PIPL Art. 29, GDPR Art. 9)")
	}
	return nil
}

// CustomerQuery filters and pages a customer list.
type CustomerQuery struct {
	Name                     string // every token must match (words; pairs of Chinese characters)
	Tag                      string // customers with this tag (case-insensitive)
	Email, Phone, NationalID string // exact match, through blind indexes
	Consented                string // a channel: only customers whose marketing consent to it stands
	Newest                   bool   // newest first (default oldest first); sealed fields cannot order a list
	Cursor                   string // from a previous page's Next
	Limit                    int    // 1..200, default 50
}

// CustomerPage is one page of customers.
type CustomerPage struct {
	Customers []crm.Customer
	Next      string // cursor for the next page; empty on the last
}

// ListCustomers returns the customers the actor may read that match q, and
// audits one read per customer returned.
func (s *Customers) ListCustomers(ctx context.Context, a authz.Actor, q CustomerQuery) (CustomerPage, error) {
	d := authz.Decide(a, authz.ActionRead, authz.Resource{Object: authz.ObjectCustomer})
	if !d.Allowed {
		return CustomerPage{}, errs.E(errs.Permission, "you may not read customers")
	}
	f, reason, err := s.customerFilter(a, d, q)
	if err != nil {
		return CustomerPage{}, err
	}
	want := f.Limit
	f.Limit++ // one more tells whether there is a next page
	var page CustomerPage
	err = core.Read(ctx, s.c, customerStoreOf, func(ctx context.Context, tx customerStore) ([]audit.Event, error) {
		rows, err := tx.ListCustomers(ctx, f)
		if err != nil {
			return nil, err
		}
		var p CustomerPage
		rows, p.Next = core.CutPage(rows, want, func(r store.CustomerRow) store.Cursor { return store.Cursor{CreatedAt: r.CreatedAt, ID: r.ID} })
		read := make([]core.Shown, 0, len(rows))
		reads := authz.NewDecisions(a, authz.ActionRead)
		for _, row := range rows {
			rd := reads.Decide(core.CustomerRes(row))
			if !rd.Allowed { // the filter should make this impossible; never leak if it does not
				continue
			}
			c, shown, err := s.openCustomer(row, rd)
			if err != nil {
				return nil, err
			}
			p.Customers = append(p.Customers, c)
			read = append(read, core.Shown{ID: c.ID, Fields: shown})
		}
		events := core.GroupEvents(a, "customer.read", "customer", reason, read)
		if len(events) == 0 {
			events = append(events, core.Event(a, "customer.list", "customer", "", nil, audit.Success, reason+": no results"))
		}
		page = p
		return events, nil
	})
	if err != nil {
		return CustomerPage{}, err
	}
	return page, nil
}

// customerFilter turns a query into a store filter for actor a whose read
// decision is d: scope, blind-index searches (only by fields a may read),
// cursor and limit. reason describes it for the audit log.
func (s *Customers) customerFilter(a authz.Actor, d authz.Decision, q CustomerQuery) (store.CustomerFilter, string, error) {
	var f store.CustomerFilter
	var err error
	if f.Limit, err = core.PageLimit(q.Limit); err != nil {
		return f, "", err
	}
	f.OwnerID, f.Teams = core.ScopeFilter(a, d)
	f.Newest = q.Newest
	reason := "list"
	for _, x := range []struct {
		field, value, index string
		norm                func(string) (string, error)
		dst                 *[]byte
	}{
		{crm.FieldEmail, q.Email, fieldcrypt.IndexCustomerEmail, crm.NormaliseEmail, &f.Email},
		{crm.FieldPhone, q.Phone, fieldcrypt.IndexCustomerPhone, crm.NormalisePhone, &f.Phone},
		{crm.FieldNationalID, q.NationalID, fieldcrypt.IndexCustomerNationalID, crm.NormaliseNationalID, &f.NationalID},
	} {
		if x.value == "" {
			continue
		}
		if d.Field(x.field) < authz.Read {
			return f, "", errs.InvalidField(x.field, "you may not search by "+x.field)
		}
		n, err := x.norm(x.value)
		if err != nil {
			return f, "", err
		}
		*x.dst = s.c.Index.Index(x.index, n)
		reason = "search by " + x.field
	}
	if q.Name != "" {
		if d.Field(crm.FieldName) < authz.Read {
			return f, "", errs.InvalidField(crm.FieldName, "you may not search by name")
		}
		if f.NameTokens = s.nameTokens(q.Name); len(f.NameTokens) == 0 {
			return f, "", errs.InvalidField(crm.FieldName, "search by name needs a word of two letters or two Chinese characters")
		}
		reason = "search by name"
	}
	if q.Tag != "" {
		if d.Field(crm.FieldTags) < authz.Read {
			return f, "", errs.InvalidField(crm.FieldTags, "you may not filter by tag")
		}
		f.Tag = s.c.Index.Index(fieldcrypt.IndexTag, strings.ToLower(strings.TrimSpace(q.Tag)))
		reason = "filter by tag"
	}
	if q.Consented != "" {
		// A marketing list or export: only those whose consent to the
		// channel stands; silence and withdrawal are no consent.
		if !slices.Contains(crm.Channels, q.Consented) {
			return f, "", errs.InvalidField("channel", "channel is one of: "+strings.Join(crm.Channels, ", "))
		}
		f.Consent = crm.MarketingPurpose(q.Consented)
		reason += ", consented to " + q.Consented
	}
	if q.Cursor != "" {
		cur, err := core.DecodeCursor(q.Cursor)
		if err != nil {
			return f, "", err
		}
		f.After = &cur
	}
	return f, reason, nil
}

func (s *Customers) sealCustomer(key keyring.DataKey, c crm.Customer) (store.CustomerRow, error) {
	row := store.CustomerRow{ID: c.ID, OwnerID: c.OwnerID, OwnerTeam: c.OwnerTeam, CompanyID: c.CompanyID, Sealed: map[string][]byte{}, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
	for name, v := range c.Fields {
		ct, err := fieldcrypt.Seal(key, customerPlace(c.ID, name), v)
		if err != nil {
			return row, err
		}
		row.Sealed[name] = ct
	}
	row.NameTokens = s.nameTokens(c.Fields[crm.FieldName])
	row.Tags = s.tagIndexes(c.Fields[crm.FieldTags])
	row.Index = store.CustomerIndex{
		Email:      s.c.Index.Index(fieldcrypt.IndexCustomerEmail, c.Fields[crm.FieldEmail]),
		Phone:      s.c.Index.Index(fieldcrypt.IndexCustomerPhone, c.Fields[crm.FieldPhone]),
		NationalID: s.c.Index.Index(fieldcrypt.IndexCustomerNationalID, c.Fields[crm.FieldNationalID]),
	}
	return row, nil
}

// openAll opens every field of row, for rewriting; never returned as is.
func (s *Customers) openAll(key keyring.DataKey, row store.CustomerRow) (crm.Customer, error) {
	c := crm.Customer{ID: row.ID, OwnerID: row.OwnerID, OwnerTeam: row.OwnerTeam, CompanyID: row.CompanyID, Fields: map[string]string{}, CreatedAt: row.CreatedAt, UpdatedAt: row.UpdatedAt}
	for name, ct := range row.Sealed {
		v, err := fieldcrypt.Open(key, customerPlace(row.ID, name), ct)
		if err != nil {
			return c, errs.Wrap(errs.Internal, "service.openAll", "", err)
		}
		c.Fields[name] = v
	}
	return c, nil
}

// view is c as decision d lets the actor see it.
func view(c crm.Customer, d authz.Decision) crm.Customer {
	out := c
	out.Fields = map[string]string{}
	for name, v := range c.Fields {
		switch d.Field(name) {
		case authz.Hidden:
		case authz.Masked:
			out.Fields[name] = privacy.Mask(v)
		default:
			out.Fields[name] = v
		}
	}
	return out
}

func shownFields(c crm.Customer, d authz.Decision) []string {
	var out []string
	for _, f := range crm.CustomerFields {
		if _, ok := c.Fields[f.Name]; ok {
			out = append(out, fieldLabel(f.Name, d.Field(f.Name)))
		}
	}
	return out
}

func fieldLabel(name string, l authz.Level) string {
	if l == authz.Masked {
		return name + ":masked"
	}
	return name
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// useGrantedReveal spends an approval to reveal field of customer id, in
// tx; without one it refuses with ApprovalNeeded. Only special-category
// fields pass through approval, and only while the rule exists.
func (s *Customers) useGrantedReveal(ctx context.Context, tx core.GrantStore, a authz.Actor, id, field string) error {
	if crm.ClassOf(field) != crm.ClassSpecial {
		return nil
	}
	return s.c.UseGrant(ctx, tx, a, core.KindRevealSpecial, id, field, "revealing "+field)
}

// customerStore is what the methods in customers.go read and write.
type customerStore interface {
	core.GrantStore
	core.CustomerStore
	companyReader
	ownerReader
	DeleteCustomer(ctx context.Context, id string) error
	ShredSubject(ctx context.Context, subject, kind string, at time.Time) error
	InsertCustomer(ctx context.Context, c store.CustomerRow) error
	InsertSubjectKey(ctx context.Context, subject string, wrapped []byte, kekTerm uint32, now time.Time) error
	ListCustomers(ctx context.Context, f store.CustomerFilter) ([]store.CustomerRow, error)
	UpdateCustomer(ctx context.Context, c store.CustomerRow) error
	InsertFieldHistory(ctx context.Context, rows []store.FieldChangeRow) error
	core.ConsentStore
	HasConsent(ctx context.Context, subjectID, purpose string) (bool, error)
}

// customerStoreOf is the compiler's check that the store has every method of customerStore.
func customerStoreOf(tx *store.Tx) customerStore { return tx }
