package records

import (
	"context"
	"fmt"
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

type rotateKeyStore interface {
	audit.Appender
	SubjectKey(ctx context.Context, subject string) ([]byte, error)
	ReplaceSubjectKey(ctx context.Context, subject string, old, wrapped []byte, term uint32) (bool, error)
	KeepOldSubjectKey(ctx context.Context, subject string, wrapped []byte, at time.Time) error
	OldSubjectKeys(ctx context.Context, subject string) ([][]byte, error)
	CustomerSealed(ctx context.Context, id string) ([]store.SealedValue, error)
	CompanySealed(ctx context.Context, id string) ([]store.SealedValue, error)
	UpdateSealed(ctx context.Context, v store.SealedValue) error
}

func rotateKeyStoreOf(tx *store.Tx) rotateKeyStore { return tx }

func sealedPlace(v store.SealedValue) fieldcrypt.Place {
	return fieldcrypt.Place{Table: v.Table, Column: v.Place[0], Row: v.Place[1]}
}

// RotateKey gives customer id a new data key, after a suspected exposure
// of the old one: in one transaction every value sealed under the old key
// (the record's fields, activities, deals, purchases, preferences,
// feedback, consents, requests) is opened and sealed again under the new
// key, and the new key, wrapped under the master key's active term,
// replaces the old. The append-only tables (the change history and the
// sealed audit reasons) cannot be rewritten: the old key is kept for
// them, wrapped like any other (subject_key_history), and shredded with
// the subject; their readers try it after the current key. A second
// pass re-seals any value a concurrent change wrote under the old key.
// Administrators, after a step-up (the host's command line is exempt);
// a reason is required. Audited (customer.key_rotation, with the reason
// and how many values were re-sealed). It returns that number.
func (s *Customers) RotateKey(ctx context.Context, a authz.Actor, id, reason string) (int, error) {
	return s.rotateKey(ctx, a, id, reason, subjectCustomer)
}

// RotateKey gives company (or store) id a new data key, as
// Customers.RotateKey does for a customer: the company's fields, its
// activities, its visits' notes and photos are re-sealed under it (a
// company keeps no change history: nothing stays under the old key, kept
// only so that the second pass finds a value a concurrent change wrote
// under it, and shredded with the company). Administrators, after a step-up (the host's command line
// is exempt); a reason is required. Audited (company.key_rotation).
func (s *Companies) RotateKey(ctx context.Context, a authz.Actor, id, reason string) (int, error) {
	return s.rotateKey(ctx, a, id, reason, subjectCompany)
}

// subjectKind is whose key rotateKey replaces.
type subjectKind struct {
	name     string // customer, company: the audit event's object and action
	prefix   string // its ids' prefix: another subject's key (a user's, a held record's) is not rotated as this kind
	notFound error
	sealed   func(ctx context.Context, tx rotateKeyStore, id string) ([]store.SealedValue, error)
}

var (
	subjectCustomer = subjectKind{"customer", "cus_", errs.E(errs.NotExist, "customer not found"),
		func(ctx context.Context, tx rotateKeyStore, id string) ([]store.SealedValue, error) {
			return tx.CustomerSealed(ctx, id)
		}}
	subjectCompany = subjectKind{"company", "com_", errCompanyNotFound,
		func(ctx context.Context, tx rotateKeyStore, id string) ([]store.SealedValue, error) {
			return tx.CompanySealed(ctx, id)
		}}
)

func (s *base) rotateKey(ctx context.Context, a authz.Actor, id, reason string, kind subjectKind) (int, error) {
	if err := s.c.MayManageKeys(a); err != nil {
		return 0, err
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return 0, errs.InvalidField("reason", "give a reason for rotating the data key")
	}
	if len(reason) > 500 {
		return 0, errs.InvalidField("reason", "the reason is longer than 500 characters")
	}
	n := 0
	err := core.Change(ctx, s.c, rotateKeyStoreOf, func(tx rotateKeyStore) error {
		if !crm.ValidID(id) || !strings.HasPrefix(id, kind.prefix) {
			return kind.notFound
		}
		oldWrapped, err := tx.SubjectKey(ctx, id)
		if errs.Is(err, errs.NotExist) {
			return kind.notFound
		}
		if err != nil {
			return err
		}
		oldKey, err := s.c.Keys.OpenDataKey(id, oldWrapped)
		if err != nil {
			return errs.Wrap(errs.Internal, "records.RotateKey", "", err)
		}
		newKey, newWrapped, err := s.c.Keys.NewDataKey(id)
		if err != nil {
			return errs.Wrap(errs.Internal, "records.RotateKey", "", err)
		}
		values, err := kind.sealed(ctx, tx, id)
		if err != nil {
			return err
		}
		for _, v := range values {
			p := sealedPlace(v)
			plain, err := fieldcrypt.OpenBytes(oldKey, p, v.CT)
			if err != nil {
				return errs.Wrap(errs.Internal, "records.RotateKey", "", fmt.Errorf("%s.%s: %w", v.Table, v.Column, err))
			}
			if v.CT, err = fieldcrypt.SealBytes(newKey, p, plain); err != nil {
				return errs.Wrap(errs.Internal, "records.RotateKey", "", err)
			}
			clear(plain)
			if err := tx.UpdateSealed(ctx, v); err != nil {
				return err
			}
			n++
		}
		if err := tx.KeepOldSubjectKey(ctx, id, oldWrapped, s.c.Now()); err != nil {
			return err
		}
		ok, err := tx.ReplaceSubjectKey(ctx, id, oldWrapped, newWrapped, keyring.WrappedTerm(newWrapped))
		if err != nil {
			return err
		}
		if !ok {
			return errs.E(errs.Conflict, "the customer's data key changed meanwhile: try again")
		}
		return s.c.Record(ctx, tx, a, kind.name+".key_rotation", kind.name, id, nil, audit.Success, fmt.Sprintf("%d sealed values re-sealed under a new data key: %s", n, reason))
	})
	if err != nil {
		return 0, err
	}
	s.c.Keys.Forget(id)
	// A change that read the old key before the rotation committed may
	// have written a value under it since: seal those again.
	if err := s.resealStragglers(ctx, id, kind); err != nil {
		return n, err
	}
	return n, nil
}

// resealStragglers re-seals under the subject's current key any value
// that opens only with one of its kept older keys.
func (s *base) resealStragglers(ctx context.Context, id string, kind subjectKind) error {
	return core.Change(ctx, s.c, rotateKeyStoreOf, func(tx rotateKeyStore) error {
		wrapped, err := tx.SubjectKey(ctx, id)
		if err != nil {
			return err
		}
		key, err := s.c.Keys.OpenDataKey(id, wrapped)
		if err != nil {
			return errs.Wrap(errs.Internal, "records.RotateKey", "", err)
		}
		wrappedOlds, err := tx.OldSubjectKeys(ctx, id)
		if err != nil {
			return err
		}
		var olds []keyring.DataKey
		for _, w := range wrappedOlds {
			if old, err := s.c.Keys.OpenDataKey(id, w); err == nil {
				olds = append(olds, old)
			}
		}
		values, err := kind.sealed(ctx, tx, id)
		if err != nil {
			return err
		}
		for _, v := range values {
			p := sealedPlace(v)
			if _, err := fieldcrypt.OpenBytes(key, p, v.CT); err == nil {
				continue
			}
			for _, old := range olds {
				plain, err := fieldcrypt.OpenBytes(old, p, v.CT)
				if err != nil {
					continue
				}
				if v.CT, err = fieldcrypt.SealBytes(key, p, plain); err != nil {
					return errs.Wrap(errs.Internal, "records.RotateKey", "", err)
				}
				if err := tx.UpdateSealed(ctx, v); err != nil {
					return err
				}
				break
			}
		}
		return nil
	})
}
