package governance

import (
	"context"
	"slices"
	"strings"
	"time"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/fieldcrypt"
	"strongroom.dev/strongroom/internal/privacy"
	"strongroom.dev/strongroom/internal/service/core"
	"strongroom.dev/strongroom/internal/store"
)

// GlassCandidate is a customer the break-glass picker found: the name the
// user typed (or the one the email belongs to), the email masked, and when
// the record was made — enough to tell two people of one name apart,
// nothing the user did not already know.
type GlassCandidate struct {
	ID        string
	Name      string
	EmailHint string // the email masked ("c******n"), "" when none
	Since     time.Time
}

// maxGlassCandidates is how many people of one name the picker lists;
// more, and it asks for the email instead.
const maxGlassCandidates = 5

// glassFindStore is what FindForBreakGlass reads.
type glassFindStore interface {
	audit.Appender
	BreakGlassRoles(ctx context.Context) ([]string, error)
	ListCustomers(ctx context.Context, f store.CustomerFilter) ([]store.CustomerRow, error)
}

var _ glassFindStore = (*store.Tx)(nil)

// FindForBreakGlass finds the customer a break-glass user means, so they
// need not know its id: by the full email (exact, through the blind
// index) or the full name (exact, not a word of it). Only a role
// designated for break-glass may ask. It is no browse: a partial name
// finds nobody, at most five people of one name are listed, and each
// candidate and each search that finds none is in the audit log.
func (s *Approvals) FindForBreakGlass(ctx context.Context, a authz.Actor, email, name string) ([]GlassCandidate, error) {
	if a.SessionID == "" || a.UserID == authz.SystemUserID {
		return nil, errs.E(errs.Permission, "log in to break glass")
	}
	email, name = strings.TrimSpace(email), strings.Join(strings.Fields(name), " ")
	var f store.CustomerFilter
	by := "email"
	switch {
	case email != "":
		n, err := crm.NormaliseEmail(email)
		if err != nil {
			return nil, err
		}
		f.Email, f.Limit = s.c.Index.Index(fieldcrypt.IndexCustomerEmail, n), maxGlassCandidates+1
	case name != "":
		by = "name"
		for _, t := range crm.NameTokens(name) {
			f.NameTokens = append(f.NameTokens, s.c.Index.Index(fieldcrypt.IndexNameToken, t))
		}
		if len(f.NameTokens) == 0 {
			return nil, errs.InvalidField("name", "give the customer's full name or email")
		}
		f.Limit = 200
	default:
		return nil, errs.InvalidField("email", "give the customer's full name or email")
	}
	var out []GlassCandidate
	refused, tooMany := false, false
	err := core.Read(ctx, s.c, func(tx *store.Tx) glassFindStore { return tx }, func(ctx context.Context, tx glassFindStore) ([]audit.Event, error) {
		allowed, err := tx.BreakGlassRoles(ctx)
		if err != nil {
			return nil, err
		}
		if refused = !slices.ContainsFunc(a.Roles, func(r authz.Role) bool { return slices.Contains(allowed, string(r)) }); refused {
			return []audit.Event{core.Event(a, "breakglass.find", "customer", "", nil, audit.Denied, "role not designated for break-glass")}, nil
		}
		rows, err := tx.ListCustomers(ctx, f)
		if err != nil {
			return nil, err
		}
		var found []GlassCandidate
		for _, row := range rows {
			c, err := s.glassCandidate(row)
			if err != nil {
				return nil, err
			}
			if by == "name" && !strings.EqualFold(strings.Join(strings.Fields(c.Name), " "), name) {
				continue // a word of the name is not the name
			}
			found = append(found, c)
		}
		reason := "break-glass picker: by " + by
		if tooMany = len(found) > maxGlassCandidates; tooMany {
			return []audit.Event{core.Event(a, "breakglass.find", "customer", "", nil, audit.Denied, reason+": too many matches")}, nil
		}
		if len(found) == 0 {
			return []audit.Event{core.Event(a, "breakglass.find", "customer", "", nil, audit.Success, reason+": no match")}, nil
		}
		var events []audit.Event
		for _, c := range found {
			events = append(events, core.Event(a, "breakglass.find", "customer", c.ID, []string{crm.FieldName, crm.FieldEmail + ":masked"}, audit.Success, reason))
		}
		out = found
		return events, nil
	})
	switch {
	case err != nil:
		return nil, err
	case refused:
		return nil, errs.E(errs.Permission, "your role is not designated for break-glass")
	case tooMany:
		return nil, errs.InvalidField("name", "more than five customers have this name: search by their email instead")
	}
	return out, nil
}

// glassCandidate opens a found customer's name and email (the email only
// to mask it).
func (s *Approvals) glassCandidate(row store.CustomerRow) (GlassCandidate, error) {
	key, err := s.c.CustomerKey(row)
	if err != nil {
		return GlassCandidate{}, err
	}
	c := GlassCandidate{ID: row.ID, Since: row.CreatedAt}
	open := func(field string) (string, error) {
		sealed, ok := row.Sealed[field]
		if !ok {
			return "", nil
		}
		return fieldcrypt.Open(key, fieldcrypt.Place{Table: "customers", Column: store.CustomerColumns[field], Row: row.ID}, sealed)
	}
	if c.Name, err = open(crm.FieldName); err != nil {
		return GlassCandidate{}, errs.Wrap(errs.Internal, "service.FindForBreakGlass", "", err)
	}
	email, err := open(crm.FieldEmail)
	if err != nil {
		return GlassCandidate{}, errs.Wrap(errs.Internal, "service.FindForBreakGlass", "", err)
	}
	if email != "" {
		c.EmailHint = privacy.Mask(email)
	}
	return c, nil
}
