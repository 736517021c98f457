// Package privacy holds the privacy centre's use cases: privacy notices,
// each person's consent ledger, and (as they come) data-subject requests,
// retention and the compliance reports. It is a domain service over
// service/core like records and governance; internal/privacy holds the
// pure rules (masking).
package privacy

import (
	"context"
	"fmt"
	"strings"
	"time"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service/core"
	"strongroom.dev/strongroom/internal/store"
)

// Consents is a domain service: privacy notices and consent ledgers.
type Consents struct{ c *core.Core }

// NewConsents returns the consents service over c.
func NewConsents(c *core.Core) *Consents { return &Consents{c: c} }

// Notice returns a published notice (version 0: the current one). It is
// public: the privacy page shows it to anyone, and it holds no personal
// data.
func (s *Consents) Notice(ctx context.Context, version int) (crm.Notice, error) {
	var out crm.Notice
	err := core.Look(ctx, s.c, consentStoreOf, func(tx consentStore) error {
		n, err := tx.Notice(ctx, version)
		if errs.Is(err, errs.NotExist) {
			return errs.E(errs.NotExist, "no privacy notice is published")
		}
		if err != nil {
			return err
		}
		out = noticeOf(n)
		return nil
	})
	return out, err
}

func noticeOf(n store.NoticeRow) crm.Notice {
	return crm.Notice{Version: n.Version, TextEN: n.TextEN, TextZH: n.TextZH, PublishedAt: n.PublishedAt, PublishedBy: n.PublishedBy}
}

// PublishNotice publishes a new version of the privacy notice. It takes a
// role that may manage users (an administrator); audited.
func (s *Consents) PublishNotice(ctx context.Context, a authz.Actor, in crm.NoticeInput) (crm.Notice, error) {
	if err := core.May(a, authz.ActionUpdate, authz.ObjectPrivacy, "you may not publish the privacy notice"); err != nil {
		return crm.Notice{}, err
	}
	if err := in.Normalise(); err != nil {
		return crm.Notice{}, err
	}
	out := crm.Notice{TextEN: in.TextEN, TextZH: in.TextZH, PublishedAt: s.c.Now(), PublishedBy: a.UserID}
	err := core.Change(ctx, s.c, consentStoreOf, func(tx consentStore) error {
		v, err := tx.InsertNotice(ctx, store.NoticeRow{TextEN: out.TextEN, TextZH: out.TextZH, PublishedAt: out.PublishedAt, PublishedBy: a.UserID})
		if err != nil {
			return err
		}
		out.Version = v
		return s.c.Record(ctx, tx, a, "notice.publish", "notice", fmt.Sprint(v), nil, audit.Success, "")
	})
	return out, err
}

// ConsentsOf returns a person's consent ledger, newest first, to those
// who may read the customer. Audited (consent.list).
func (s *Consents) ConsentsOf(ctx context.Context, a authz.Actor, customerID string) ([]crm.Consent, error) {
	if !crm.ValidID(customerID) {
		return nil, core.ErrCustomerNotFound
	}
	var out []crm.Consent
	err := core.Change(ctx, s.c, consentStoreOf, func(tx consentStore) error {
		row, err := s.c.CustomerInScope(ctx, tx, a, customerID, "consent.list")
		if err != nil {
			return err
		}
		key, err := s.c.CustomerKey(row)
		if err != nil {
			return err
		}
		rows, err := tx.Consents(ctx, row.ID)
		if err != nil {
			return err
		}
		for _, r := range rows {
			c, err := core.OpenConsent(key, r)
			if err != nil {
				return err
			}
			out = append(out, c)
		}
		return s.c.Record(ctx, tx, a, "consent.list", "customer", customerID, nil, audit.Success, fmt.Sprintf("%d entries", len(out)))
	})
	return out, err
}

// mayConsent is the right to record or withdraw a consent for purpose: to
// change the customer, and to write the class the purpose governs.
func mayConsent(a authz.Actor, row store.CustomerRow, purpose string) error {
	d := authz.Decide(a, authz.ActionUpdate, core.CustomerRes(row))
	if !d.Allowed {
		return errs.E(errs.Permission, "you may not record this customer's consent")
	}
	class := crm.ClassIdentity
	switch {
	case purpose == crm.PurposeSensitive:
		class = crm.ClassSpecial
	case strings.HasPrefix(purpose, "marketing_"):
		class = crm.ClassPreference
	}
	if class != crm.ClassIdentity && d.Class(class) < authz.Write {
		return errs.E(errs.Permission, "your role may not record consent for "+purpose)
	}
	return nil
}

// GiveConsent records a person's consent (as staff heard or saw it given).
// Audited (consent.give, with purpose, basis, notice and channel).
func (s *Consents) GiveConsent(ctx context.Context, a authz.Actor, customerID string, in crm.ConsentInput) (crm.Consent, error) {
	if !crm.ValidID(customerID) {
		return crm.Consent{}, core.ErrCustomerNotFound
	}
	var out crm.Consent
	err := core.Change(ctx, s.c, consentStoreOf, func(tx consentStore) error {
		row, err := s.c.CustomerInScope(ctx, tx, a, customerID, "consent.give")
		if err != nil {
			return err
		}
		if err := mayConsent(a, row, in.Purpose); err != nil {
			return err
		}
		key, err := s.c.CustomerKey(row)
		if err != nil {
			return err
		}
		if out, err = s.c.AddConsent(ctx, tx, a, key, customerID, "staff", in); err != nil {
			return err
		}
		return s.c.Record(ctx, tx, a, "consent.give", "customer", customerID, nil, audit.Success, core.ConsentReason(out))
	})
	return out, err
}

// WithdrawConsent withdraws the person's standing consents for purpose
// from now on. Audited (consent.withdraw).
func (s *Consents) WithdrawConsent(ctx context.Context, a authz.Actor, customerID, purpose string) error {
	if !crm.ValidID(customerID) {
		return core.ErrCustomerNotFound
	}
	return core.Change(ctx, s.c, consentStoreOf, func(tx consentStore) error {
		row, err := s.c.CustomerInScope(ctx, tx, a, customerID, "consent.withdraw")
		if err != nil {
			return err
		}
		if err := mayConsent(a, row, purpose); err != nil {
			return err
		}
		n, err := tx.WithdrawConsents(ctx, customerID, purpose, s.c.Now())
		if err != nil {
			return err
		}
		if n == 0 {
			return errs.E(errs.NotExist, "no standing consent for "+purpose)
		}
		return s.c.Record(ctx, tx, a, "consent.withdraw", "customer", customerID, nil, audit.Success, purpose)
	})
}

// consentStore is what the methods in consents.go read and write.
type consentStore interface {
	audit.Appender
	core.CustomerStore
	core.ConsentStore
	InsertNotice(ctx context.Context, n store.NoticeRow) (int, error)
	Consents(ctx context.Context, subjectID string) ([]store.ConsentRow, error)
	WithdrawConsents(ctx context.Context, subjectID, purpose string, at time.Time) (int64, error)
}

// consentStoreOf is the compiler's check that the store has every method of consentStore.
func consentStoreOf(tx *store.Tx) consentStore { return tx }
