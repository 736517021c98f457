// Package records holds the use cases on the CRM's records: customers (with
// reveal, import, export, preferences and purchase history), companies and
// stores, activities and tasks, deals through the pipeline, store visits.
// Each type holds the shared core (service/core) and nothing else.
package records

import (
	"context"
	"strings"

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

// base is what every type here holds: the core, reached as s.c.
type base struct{ c *core.Core }

// Customers is a domain service; see the package comment.
type Customers struct{ base }

// NewCustomers returns the customers service over c.
func NewCustomers(c *core.Core) *Customers { return &Customers{base{c}} }

// Companies is a domain service; see the package comment.
type Companies struct{ base }

// NewCompanies returns the companies service over c.
func NewCompanies(c *core.Core) *Companies { return &Companies{base{c}} }

// Activities is a domain service; see the package comment.
type Activities struct{ base }

// NewActivities returns the activities service over c.
func NewActivities(c *core.Core) *Activities { return &Activities{base{c}} }

// Deals is a domain service; see the package comment.
type Deals struct{ base }

// NewDeals returns the deals service over c.
func NewDeals(c *core.Core) *Deals { return &Deals{base{c}} }

// Visits is a domain service; see the package comment.
type Visits struct{ base }

// NewVisits returns the visits service over c.
func NewVisits(c *core.Core) *Visits { return &Visits{base{c}} }

// insertActivity seals an activity's subject and body under key (the data
// key of the customer or company it belongs to), stores r and audits it
// against the object it was logged on.
func (s *base) insertActivity(ctx context.Context, tx activityWriter, a authz.Actor, key keyring.DataKey, r store.ActivityRow, in crm.ActivityInput, object, objectID string) error {
	var err error
	if r.SubjectSealed, err = fieldcrypt.Seal(key, activityPlace(r.ID, "subject_ct"), in.Subject); err != nil {
		return err
	}
	if r.BodySealed, err = fieldcrypt.Seal(key, activityPlace(r.ID, "body_ct"), in.Body); err != nil {
		return err
	}
	if err := tx.InsertActivity(ctx, r); err != nil {
		return err
	}
	return s.c.Record(ctx, tx, a, "activity.create", object, objectID, []string{"activity." + in.Kind}, audit.Success, r.ID)
}

// companyInScope loads a company for action, like core.CustomerInScope.
func (s *base) companyInScope(ctx context.Context, tx companyReader, a authz.Actor, id, action string) (store.CompanyRow, error) {
	return core.InScope(ctx, s.c, tx, a, id, action, core.Scope[store.CompanyRow]{Object: "company", Load: tx.CompanyByID, Resource: companyRes, NotFound: errCompanyNotFound})
}

func (s *base) openCompany(row store.CompanyRow, d authz.Decision) (crm.Company, []string, error) {
	key, err := s.c.Keys.OpenDataKey(row.ID, row.WrappedKey)
	if err != nil {
		return crm.Company{}, nil, errs.Wrap(errs.Internal, "service.openCompany", "", err)
	}
	return openCompanyFields(key, row, d.Field)
}

// checkOwner makes sure owner ("" for none) is a user, and returns their team.
func (s *base) checkOwner(ctx context.Context, tx ownerReader, owner string) (string, error) {
	if owner == "" {
		return "", nil
	}
	u, err := tx.UserByID(ctx, owner)
	if err != nil {
		if errs.Is(err, errs.NotExist) {
			return "", errs.InvalidField("owner_id", "owner_id names no user")
		}
		return "", err
	}
	return u.Team, nil
}

// ownerTeam is checkOwner outside a transaction.
func (s *base) ownerTeam(ctx context.Context, owner string) (string, error) {
	var team string
	err := core.Look(ctx, s.c, func(tx *store.Tx) ownerReader { return tx }, func(tx ownerReader) error {
		var err error
		team, err = s.checkOwner(ctx, tx, owner)
		return err
	})
	return team, err
}

// tagIndexes are the blind indexes of a normalised tag list.
func (s *base) tagIndexes(tags string) [][]byte {
	var out [][]byte
	for _, t := range crm.Tags(tags) {
		out = append(out, s.c.Index.Index(fieldcrypt.IndexTag, strings.ToLower(t)))
	}
	return out
}

// nameTokens are the blind indexes of a name's search tokens.
func (s *base) nameTokens(name string) [][]byte {
	var out [][]byte
	for _, t := range crm.NameTokens(name) {
		out = append(out, s.c.Index.Index(fieldcrypt.IndexNameToken, t))
	}
	return out
}

func (s *base) openKey(row store.CustomerRow) (keyring.DataKey, error) { return s.c.CustomerKey(row) }

// openCustomer opens only the fields d lets the actor see, masking the
// masked ones, and names the fields shown for the audit event. Hidden
// fields are never decrypted.
func (s *base) openCustomer(row store.CustomerRow, d authz.Decision) (crm.Customer, []string, error) {
	c := crm.Customer{ID: row.ID, OwnerID: row.OwnerID, OwnerTeam: row.OwnerTeam, CompanyID: row.CompanyID, Fields: map[string]string{}, CreatedAt: row.CreatedAt, UpdatedAt: row.UpdatedAt}
	key, err := s.openKey(row)
	if err != nil {
		return c, nil, err
	}
	var shown []string
	c.Fields, shown, err = openFields(key, crm.CustomerFields, row.Sealed, func(f string) fieldcrypt.Place { return customerPlace(row.ID, f) }, d.Field)
	return c, shown, err
}

// openFields opens the sealed fields of a record whose level is above
// Hidden, masking the masked ones, and names them (with their level) for
// the audit event. Customers and companies share it.
func openFields(key keyring.DataKey, defs []struct {
	Name  string
	Class crm.FieldClass
}, sealed map[string][]byte, place func(field string) fieldcrypt.Place, level func(string) authz.Level) (map[string]string, []string, error) {
	fields := map[string]string{}
	var shown []string
	for _, f := range defs {
		l := level(f.Name)
		ct, ok := sealed[f.Name]
		if l == authz.Hidden || !ok {
			continue
		}
		v, err := fieldcrypt.Open(key, place(f.Name), ct)
		if err != nil {
			return nil, nil, errs.Wrap(errs.Internal, "service.openFields", "", err)
		}
		if l == authz.Masked {
			v = privacy.Mask(v)
		}
		fields[f.Name] = v
		shown = append(shown, fieldLabel(f.Name, l))
	}
	return fields, shown, nil
}

// activityWriter is what insertActivity writes.
type activityWriter interface {
	audit.Appender
	InsertActivity(ctx context.Context, r store.ActivityRow) error
}

var _ activityWriter = (*store.Tx)(nil)

// companyReader is what companyInScope reads.
type companyReader interface {
	audit.Appender
	CompanyByID(ctx context.Context, id string) (store.CompanyRow, error)
}

var _ companyReader = (*store.Tx)(nil)

// ownerReader is what checkOwner reads.
type ownerReader interface {
	audit.Appender
	UserByID(ctx context.Context, id string) (store.UserRow, error)
}

var _ ownerReader = (*store.Tx)(nil)

// placeNew is where a new record of obj goes, shared by every create of a
// customer or company: its owner and team — the actor's own (none for the
// command line), or the owner that ownerID names — and the decision on
// creating it there, whose fields say what the actor may set.
func (s *base) placeNew(ctx context.Context, a authz.Actor, obj authz.Object, ownerID *string) (owner, team string, d authz.Decision, err error) {
	owner, team = a.UserID, a.Team
	if owner == authz.SystemUserID {
		owner, team = "", ""
	}
	if ownerID != nil && *ownerID != owner {
		owner = *ownerID
		if team, err = s.ownerTeam(ctx, owner); err != nil {
			return "", "", authz.Decision{}, err
		}
	}
	return owner, team, authz.Decide(a, authz.ActionCreate, authz.Resource{Object: obj, OwnerID: owner, OwnerTeam: team}), nil
}
