package records

import (
	"context"
	"slices"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
)

// What a page may offer is decided here, never in a handler: the web UI
// shows the sections, buttons and form fields these answers allow, and
// nothing else (a test in internal/fence keeps authz decisions out of web
// and api). Answers about no record in particular (Abilities,
// NewCustomerCan, NewCompanyCan) read nothing and reveal no personal data,
// so they are not audited; the answers about one record come with the
// record, read through the audited methods as any read is.

// Abilities is what an actor may open and start, whatever the record: the
// sections of the site and the buttons on its lists.
type Abilities struct {
	Audit, Customers, Companies, Deals, Visits bool // may read (list) them
	Admin                                      bool // may change users: the administration pages
	Privacy                                    bool // may read the privacy centre (requests, reports)
	HandleRequests                             bool // may handle data-subject requests and run the privacy centre
	CreateCustomer, ExportCustomers            bool
	CreateCompany                              bool
	PlanVisit                                  bool
	SealedNotes                                bool // may hold a seal key and read sealed notes (on the customers they may read)
}

// Abilities answers what a may open and start.
func AbilitiesOf(a authz.Actor) Abilities {
	may := func(act authz.Action, r authz.Resource) bool { return authz.Decide(a, act, r).Allowed }
	list := func(o authz.Object) bool { return may(authz.ActionRead, authz.Resource{Object: o}) }
	return Abilities{
		Audit:           list(authz.ObjectAudit),
		Customers:       list(authz.ObjectCustomer),
		Companies:       list(authz.ObjectCompany),
		Deals:           list(authz.ObjectDeal),
		Visits:          list(authz.ObjectVisit),
		Admin:           may(authz.ActionUpdate, authz.Resource{Object: authz.ObjectUser}),
		Privacy:         list(authz.ObjectPrivacy),
		HandleRequests:  may(authz.ActionUpdate, authz.Resource{Object: authz.ObjectPrivacy}),
		CreateCustomer:  may(authz.ActionCreate, newCustomerRes(a)),
		ExportCustomers: may(authz.ActionExport, authz.Resource{Object: authz.ObjectCustomer}),
		CreateCompany:   may(authz.ActionCreate, newCompanyRes(a)),
		PlanVisit:       may(authz.ActionCreate, authz.Resource{Object: authz.ObjectVisit, OwnerID: a.UserID, OwnerTeam: a.Team}),
		SealedNotes:     may(authz.ActionRead, authz.Resource{Object: authz.ObjectSealedNote}),
	}
}

// Can is what an actor may do with one record, as the page that shows it
// offers: a control the page shows follows Can and nothing else. For a
// record not yet made (NewCustomerCan, NewCompanyCan), Edit is whether it
// may be created and Write the fields its form takes.
type Can struct {
	Edit              bool     // may change the record: its edit form opens
	Delete            bool     //
	Write             []string // fields the actor may write, in display order
	Masked            []string // fields shown masked
	Reveal            []string // masked fields the actor may reveal in full, giving a reason
	LogActivity       bool     // may log a call, meeting, note or task on it
	CreateDeal        bool     // a customer: may open a deal for them
	RecordTransaction bool     // a customer: may record a purchase of theirs
}

// Writes reports whether the actor may write field.
func (c Can) Writes(field string) bool { return slices.Contains(c.Write, field) }

// Masks reports whether field is shown masked.
func (c Can) Masks(field string) bool { return slices.Contains(c.Masked, field) }

// Reveals reports whether the actor may reveal field, masked, in full.
func (c Can) Reveals(field string) bool { return slices.Contains(c.Reveal, field) }

// fieldsAt lists the fields of fields whose level in d passes ok.
func fieldsAt(d authz.Decision, fields []struct {
	Name  string
	Class crm.FieldClass
}, ok func(authz.Level) bool) []string {
	var out []string
	for _, f := range fields {
		if ok(d.Field(f.Name)) {
			out = append(out, f.Name)
		}
	}
	return out
}

func writable(l authz.Level) bool { return l >= authz.Write }

func newCustomerRes(a authz.Actor) authz.Resource {
	return authz.Resource{Object: authz.ObjectCustomer, OwnerID: a.UserID, OwnerTeam: a.Team}
}

func newCompanyRes(a authz.Actor) authz.Resource {
	return authz.Resource{Object: authz.ObjectCompany, OwnerID: a.UserID, OwnerTeam: a.Team}
}

// NewCustomerCan is what a may do with a customer they create: whether
// they may (Edit) and the fields the form takes (Write).
func (s *Customers) NewCustomerCan(a authz.Actor) Can {
	d := authz.Decide(a, authz.ActionCreate, newCustomerRes(a))
	return Can{Edit: d.Allowed, Write: fieldsAt(d, crm.CustomerFields, writable)}
}

// NewCompanyCan is NewCustomerCan for a company.
func (s *Companies) NewCompanyCan(a authz.Actor) Can {
	d := authz.Decide(a, authz.ActionCreate, newCompanyRes(a))
	return Can{Edit: d.Allowed, Write: fieldsAt(d, crm.CompanyFields, writable)}
}

// customerCan is what a may do with customer c. The record's id is left
// out of the question: break-glass opens a record to read, never to
// change, and the page marks as masked what a's own roles mask.
func customerCan(a authz.Actor, c crm.Customer) Can {
	res := authz.Resource{Object: authz.ObjectCustomer, OwnerID: c.OwnerID, OwnerTeam: c.OwnerTeam}
	read := authz.Decide(a, authz.ActionRead, res)
	reveal := authz.Decide(a, authz.ActionReveal, res)
	update := authz.Decide(a, authz.ActionUpdate, res)
	masked := fieldsAt(read, crm.CustomerFields, func(l authz.Level) bool { return l == authz.Masked })
	var revealable []string // only a masked field has more to show
	for _, f := range masked {
		if reveal.Field(f) >= authz.Read {
			revealable = append(revealable, f)
		}
	}
	tx := authz.Decide(a, authz.ActionCreate, authz.Resource{Object: authz.ObjectTransaction, OwnerID: res.OwnerID, OwnerTeam: res.OwnerTeam})
	return Can{
		Edit:              update.Allowed,
		Delete:            authz.Decide(a, authz.ActionDelete, res).Allowed,
		Write:             fieldsAt(update, crm.CustomerFields, writable),
		Masked:            masked,
		Reveal:            revealable,
		LogActivity:       update.Field(activityField) == authz.Write,
		CreateDeal:        mayOpenDeals(a),
		RecordTransaction: tx.Field("amount") == authz.Write,
	}
}

// CustomerOverview is everything the customer page shows: the customer,
// what the actor may do with them, and what is kept beside them that the
// actor may read.
type CustomerOverview struct {
	Customer   crm.Customer
	Can        Can
	Activities []crm.Activity
	Deals      []crm.Deal       // nil when the actor may not read deals
	Stages     []crm.Stage      // the pipeline's stages, likewise
	History    *PurchaseHistory // nil when the actor may not read purchases
	Marketing  *Marketing       // nil when the actor may not read preferences
}

// CustomerOverview reads the customer page's data. Each part is read,
// and audited, as its own method reads it (Customer, CustomerActivities,
// Pipeline, CustomerTransactions, CustomerMarketing); the first error ends it.
func (s *Customers) CustomerOverview(ctx context.Context, a authz.Actor, id string) (CustomerOverview, error) {
	c, err := s.Customer(ctx, a, id)
	if err != nil {
		return CustomerOverview{}, err
	}
	v := CustomerOverview{Customer: c, Can: customerCan(a, c)}
	if v.Activities, err = (&Activities{s.base}).CustomerActivities(ctx, a, c.ID); err != nil {
		return CustomerOverview{}, err
	}
	if authz.Decide(a, authz.ActionRead, authz.Resource{Object: authz.ObjectDeal}).Allowed {
		cols, err := (&Deals{s.base}).Pipeline(ctx, a, c.ID)
		if err != nil {
			return CustomerOverview{}, err
		}
		for _, col := range cols {
			v.Deals = append(v.Deals, col.Deals...)
			v.Stages = append(v.Stages, col.Stage)
		}
	}
	if v.History, err = s.CustomerTransactions(ctx, a, c.ID); err != nil {
		return CustomerOverview{}, err
	}
	if v.Marketing, err = s.CustomerMarketing(ctx, a, c.ID); err != nil {
		return CustomerOverview{}, err
	}
	return v, nil
}

// CustomerToEdit reads a customer (audited, as Customer) with what the
// actor may do with them, for the edit form: Can.Edit whether it opens,
// Can.Write its fields.
func (s *Customers) CustomerToEdit(ctx context.Context, a authz.Actor, id string) (crm.Customer, Can, error) {
	c, err := s.Customer(ctx, a, id)
	if err != nil {
		return crm.Customer{}, Can{}, err
	}
	return c, customerCan(a, c), nil
}

// companyCan is what a may do with company c.
func companyCan(a authz.Actor, c crm.Company) Can {
	res := authz.Resource{Object: authz.ObjectCompany, OwnerID: c.OwnerID, OwnerTeam: c.OwnerTeam}
	read := authz.Decide(a, authz.ActionRead, res)
	update := authz.Decide(a, authz.ActionUpdate, res)
	return Can{
		Edit:        update.Allowed,
		Delete:      authz.Decide(a, authz.ActionDelete, res).Allowed,
		Write:       fieldsAt(update, crm.CompanyFields, writable),
		Masked:      fieldsAt(read, crm.CompanyFields, func(l authz.Level) bool { return l == authz.Masked }),
		LogActivity: update.Field(crm.CompanyNotes) == authz.Write,
	}
}

// CompanyOverview is everything the company page shows.
type CompanyOverview struct {
	CompanyView
	Can        Can
	Activities []crm.Activity
}

// CompanyOverview reads the company page's data, each part read and
// audited as Company and CompanyActivities read it.
func (s *Companies) CompanyOverview(ctx context.Context, a authz.Actor, id string) (CompanyOverview, error) {
	cv, err := s.Company(ctx, a, id)
	if err != nil {
		return CompanyOverview{}, err
	}
	v := CompanyOverview{CompanyView: cv, Can: companyCan(a, cv.Company)}
	if v.Activities, err = (&Activities{s.base}).CompanyActivities(ctx, a, cv.Company.ID); err != nil {
		return CompanyOverview{}, err
	}
	return v, nil
}

// CompanyToEdit reads a company (audited, as Company) with what the actor
// may do with it, for the edit form.
func (s *Companies) CompanyToEdit(ctx context.Context, a authz.Actor, id string) (CompanyView, Can, error) {
	cv, err := s.Company(ctx, a, id)
	if err != nil {
		return CompanyView{}, Can{}, err
	}
	return cv, companyCan(a, cv.Company), nil
}
