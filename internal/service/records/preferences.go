package records

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
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

// Preferences and feedback are a customer's preference-class data: they
// are sealed under the customer's key and reached through the customer's
// decision for that class.

var prefPlace = func(id string) fieldcrypt.Place {
	return fieldcrypt.Place{Table: "preferences", Column: "data_ct", Row: id}
}

// Marketing is what a customer's page shows of the preference class.
type Marketing struct {
	Preferences crm.Preferences
	Feedback    []crm.Feedback
	Average     float64 // mean rating, 0 when there is none
	CanWrite    bool
}

// CustomerMarketing returns a customer's preferences and feedback, or nil
// (and no error) for a role that may read the customer but not this class.
func (s *Customers) CustomerMarketing(ctx context.Context, a authz.Actor, customerID string) (*Marketing, error) {
	if !crm.ValidID(customerID) {
		return nil, core.ErrCustomerNotFound
	}
	var out *Marketing
	err := core.Change(ctx, s.c, preferenceStoreOf, func(tx preferenceStore) error {
		row, err := s.c.CustomerInScope(ctx, tx, a, customerID, "preferences.read")
		if err != nil {
			return err
		}
		if authz.Decide(a, authz.ActionRead, core.CustomerRes(row)).Class(crm.ClassPreference) < authz.Read {
			return nil
		}
		key, err := s.openKey(row)
		if err != nil {
			return err
		}
		out = &Marketing{CanWrite: authz.Decide(a, authz.ActionUpdate, core.CustomerRes(row)).Class(crm.ClassPreference) == authz.Write}
		ct, err := tx.Preferences(ctx, customerID)
		switch {
		case errs.Is(err, errs.NotExist):
		case err != nil:
			return err
		default:
			raw, err := fieldcrypt.Open(key, prefPlace(customerID), ct)
			if err != nil {
				return errs.Wrap(errs.Internal, "service.CustomerMarketing", "", err)
			}
			if err := json.Unmarshal([]byte(raw), &out.Preferences); err != nil {
				return errs.Wrap(errs.Internal, "service.CustomerMarketing", "", err)
			}
		}
		rows, err := tx.CustomerFeedback(ctx, customerID, 100)
		if err != nil {
			return err
		}
		sum := 0
		for _, r := range rows {
			f := crm.Feedback{ID: r.ID, Channel: r.Channel, CreatedAt: r.CreatedAt}
			rating, err := fieldcrypt.Open(key, fieldcrypt.Place{Table: "feedback", Column: "rating_ct", Row: r.ID}, r.RatingCT)
			if err != nil {
				return errs.Wrap(errs.Internal, "service.CustomerMarketing", "", err)
			}
			if f.Rating, err = strconv.Atoi(rating); err != nil {
				return errs.Wrap(errs.Internal, "service.CustomerMarketing", "", err)
			}
			if f.Comment, err = fieldcrypt.Open(key, fieldcrypt.Place{Table: "feedback", Column: "comment_ct", Row: r.ID}, r.CommentCT); err != nil {
				return errs.Wrap(errs.Internal, "service.CustomerMarketing", "", err)
			}
			sum += f.Rating
			out.Feedback = append(out.Feedback, f)
		}
		if len(out.Feedback) > 0 {
			out.Average = float64(sum) / float64(len(out.Feedback))
		}
		return s.c.Record(ctx, tx, a, "preferences.read", "customer", customerID, []string{"preferences", "feedback"}, audit.Success, fmt.Sprintf("%d feedback", len(rows)))
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// SetPreferences replaces a customer's channel opt-ins and interests.
// Opting out is recorded like any change, with the channels in the audit.
func (s *Customers) SetPreferences(ctx context.Context, a authz.Actor, customerID string, p crm.Preferences) error {
	if !crm.ValidID(customerID) {
		return core.ErrCustomerNotFound
	}
	if err := p.Normalise(); err != nil {
		return err
	}
	p.UpdatedAt = s.c.Now()
	return s.withPreferenceWrite(ctx, a, customerID, "preferences.update", func(tx preferenceStore, row store.CustomerRow) (string, error) {
		key, err := s.openKey(row)
		if err != nil {
			return "", err
		}
		if err := s.syncMarketingConsents(ctx, tx, a, key, customerID, p.OptIn); err != nil {
			return "", err
		}
		raw, err := json.Marshal(p)
		if err != nil {
			return "", err
		}
		ct, err := fieldcrypt.Seal(key, prefPlace(customerID), string(raw))
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("opted in: %v", p.OptIn), tx.SetPreferences(ctx, customerID, ct, p.UpdatedAt)
	})
}

// syncMarketingConsents keeps the consent ledger true to the opt-ins: a
// channel opted into gets a consent (told to staff, under the current
// notice) unless one stands, and one opted out of is withdrawn. Marketing
// lists and exports go by the ledger.
func (s *Customers) syncMarketingConsents(ctx context.Context, tx preferenceStore, a authz.Actor, key keyring.DataKey, customerID string, optIn []string) error {
	for _, ch := range crm.Channels {
		purpose := crm.MarketingPurpose(ch)
		has, err := tx.HasConsent(ctx, customerID, purpose)
		if err != nil {
			return err
		}
		switch want := slices.Contains(optIn, ch); {
		case want && !has:
			c, err := s.c.AddConsent(ctx, tx, a, key, customerID, "staff", crm.ConsentInput{Purpose: purpose, Channel: "staff"})
			if err != nil {
				return err
			}
			if err := s.c.Record(ctx, tx, a, "consent.give", "customer", customerID, nil, audit.Success, core.ConsentReason(c)); err != nil {
				return err
			}
		case !want && has:
			if _, err := tx.WithdrawConsents(ctx, customerID, purpose, s.c.Now()); err != nil {
				return err
			}
			if err := s.c.Record(ctx, tx, a, "consent.withdraw", "customer", customerID, nil, audit.Success, purpose+" (opted out)"); err != nil {
				return err
			}
		}
	}
	return nil
}

// AddFeedback records a rating and comment from a customer.
func (s *Customers) AddFeedback(ctx context.Context, a authz.Actor, customerID string, f crm.Feedback) (crm.Feedback, error) {
	if !crm.ValidID(customerID) {
		return crm.Feedback{}, core.ErrCustomerNotFound
	}
	if err := f.Check(); err != nil {
		return crm.Feedback{}, err
	}
	f.ID, f.CreatedAt = crm.NewID("fbk"), s.c.Now()
	err := s.withPreferenceWrite(ctx, a, customerID, "feedback.create", func(tx preferenceStore, row store.CustomerRow) (string, error) {
		key, err := s.openKey(row)
		if err != nil {
			return "", err
		}
		r := store.FeedbackRow{ID: f.ID, CustomerID: customerID, Channel: f.Channel, CreatedBy: a.UserID, CreatedAt: f.CreatedAt}
		if r.RatingCT, err = fieldcrypt.Seal(key, fieldcrypt.Place{Table: "feedback", Column: "rating_ct", Row: f.ID}, strconv.Itoa(f.Rating)); err != nil {
			return "", err
		}
		if r.CommentCT, err = fieldcrypt.Seal(key, fieldcrypt.Place{Table: "feedback", Column: "comment_ct", Row: f.ID}, f.Comment); err != nil {
			return "", err
		}
		return f.ID, tx.InsertFeedback(ctx, r)
	})
	if err != nil {
		return crm.Feedback{}, err
	}
	return f, nil
}

// withPreferenceWrite runs change for a customer whose preference class the
// actor may write, and audits it with the reason change returns.
func (s *Customers) withPreferenceWrite(ctx context.Context, a authz.Actor, customerID, action string, change func(preferenceStore, store.CustomerRow) (string, error)) error {
	err := core.Change(ctx, s.c, preferenceStoreOf, func(tx preferenceStore) error {
		row, err := s.c.CustomerInScope(ctx, tx, a, customerID, action)
		if err != nil {
			return err
		}
		if authz.Decide(a, authz.ActionUpdate, core.CustomerRes(row)).Class(crm.ClassPreference) < authz.Write {
			return errs.E(errs.Permission, "you may not change this customer's preferences or feedback")
		}
		reason, err := change(tx, row)
		if err != nil {
			return err
		}
		return s.c.Record(ctx, tx, a, action, "customer", customerID, []string{"preferences"}, audit.Success, reason)
	})
	return err
}

// preferenceStore is what the methods in preferences.go read and write.
type preferenceStore interface {
	core.CustomerStore
	CustomerFeedback(ctx context.Context, customerID string, limit int) ([]store.FeedbackRow, error)
	InsertFeedback(ctx context.Context, f store.FeedbackRow) error
	Preferences(ctx context.Context, customerID string) ([]byte, error)
	SetPreferences(ctx context.Context, customerID string, ct []byte, now time.Time) error
	core.ConsentStore
	HasConsent(ctx context.Context, subjectID, purpose string) (bool, error)
	WithdrawConsents(ctx context.Context, subjectID, purpose string, at time.Time) (int64, error)
}

// preferenceStoreOf is the compiler's check that the store has every method of preferenceStore.
func preferenceStoreOf(tx *store.Tx) preferenceStore { return tx }
