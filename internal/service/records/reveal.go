package records

import (
	"context"
	"strconv"
	"strings"
	"unicode/utf8"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/fieldcrypt"
	"strongroom.dev/strongroom/internal/keyring"
	"strongroom.dev/strongroom/internal/service/core"
	"strongroom.dev/strongroom/internal/store"
)

// SealedReason is what an audit event says of a reason kept sealed beside
// it (AuditReason opens it).
const SealedReason = "reason given (sealed)"

// RevealCustomerField shows one field of one customer in full to a role
// that sees it masked but may reveal it. The reason is required; the audit
// event names the field and says a reason was given, and the reason itself
// is kept beside the event sealed under the customer's key, so erasing the
// customer shreds it too.
func (s *Customers) RevealCustomerField(ctx context.Context, a authz.Actor, id, field, reason string) (string, error) {
	if !crm.ValidID(id) {
		return "", core.ErrCustomerNotFound
	}
	if crm.ClassOf(field) == "" {
		return "", errs.InvalidField("field", "unknown field "+field)
	}
	reason, err := crm.FreeText("reason", reason, 0)
	if err != nil {
		return "", err
	}
	reason = strings.Join(strings.Fields(reason), " ")
	if n := utf8.RuneCountInString(reason); n < 5 || n > 200 {
		return "", errs.InvalidField("reason", "give a reason of 5 to 200 characters; it is kept, sealed, with the audit log")
	}
	var value string
	err = core.Change(ctx, s.c, revealStoreOf, func(tx revealStore) error {
		row, err := s.c.CustomerInScope(ctx, tx, a, id, "customer.reveal")
		if err != nil {
			return err
		}
		if authz.Decide(a, authz.ActionReveal, core.CustomerRes(row)).Field(field) < authz.Read {
			return errs.E(errs.Permission, "you may not reveal "+field)
		}
		if err := s.c.RequireStepUp(a); err != nil {
			return err
		}
		if err := s.useGrantedReveal(ctx, tx, a, id, field); err != nil {
			return err
		}
		key, err := s.openKey(row)
		if err != nil {
			return err
		}
		if value, err = fieldcrypt.Open(key, customerPlace(id, field), row.Sealed[field]); err != nil {
			return errs.Wrap(errs.Internal, "service.RevealCustomerField", "", err)
		}
		return s.recordSealedReason(ctx, tx, key, core.Event(a, "customer.reveal", "customer", id, []string{field}, audit.Success, SealedReason), id, reason)
	})
	if err != nil {
		return "", err
	}
	return value, nil
}

func auditReasonPlace(seq int64) fieldcrypt.Place {
	return fieldcrypt.Place{Table: "audit_reasons", Column: "reason_ct", Row: strconv.FormatInt(seq, 10)}
}

// recordSealedReason appends e and keeps reason beside it, sealed under
// the data key of subject.
func (s *Customers) recordSealedReason(ctx context.Context, tx revealStore, key keyring.DataKey, e audit.Event, subject, reason string) error {
	events := []audit.Event{e}
	if err := s.c.Append(ctx, tx, events...); err != nil {
		return err
	}
	seq := events[0].Seq
	ct, err := fieldcrypt.Seal(key, auditReasonPlace(seq), reason)
	if err != nil {
		return err
	}
	return tx.InsertAuditReason(ctx, seq, subject, ct)
}

// AuditReason is a sealed reason opened for an auditor, with its event.
type AuditReason struct {
	Event  audit.Event `json:"event"`
	Reason string      `json:"reason"`
}

// AuditReason opens the reason kept sealed beside audit event seq, for
// roles that read the audit log (as they read requesters' reasons in the
// approvals inbox). Opening it is recorded on the event's object. A
// reason whose subject was erased is gone with the subject's key.
func (s *Customers) AuditReason(ctx context.Context, a authz.Actor, seq int64) (AuditReason, error) {
	if err := core.May(a, authz.ActionRead, authz.ObjectAudit, "you may not read the audit log"); err != nil {
		return AuditReason{}, err
	}
	var out AuditReason
	err := core.Change(ctx, s.c, revealStoreOf, func(tx revealStore) error {
		r, err := tx.AuditReason(ctx, seq)
		if err != nil {
			return core.NotFound(err, "sealed reason")
		}
		if r.WrappedKey == nil {
			return errs.E(errs.NotExist, "this reason was erased with its subject")
		}
		// Reasons are append-only: one sealed before the subject's key was
		// rotated (RotateKey) opens with a key kept from before.
		old, err := tx.OldSubjectKeys(ctx, r.SubjectID)
		if err != nil {
			return err
		}
		opened := false
		for _, w := range append([][]byte{r.WrappedKey}, old...) {
			key, err := s.c.Keys.OpenDataKey(r.SubjectID, w)
			if err != nil {
				return errs.Wrap(errs.Internal, "service.AuditReason", "", err)
			}
			if out.Reason, err = fieldcrypt.Open(key, auditReasonPlace(seq), r.ReasonCT); err == nil {
				opened = true
				break
			}
		}
		if !opened {
			return errs.Wrap(errs.Internal, "service.AuditReason", "", fieldcrypt.ErrOpen)
		}
		out.Event = r.Event
		return s.c.Record(ctx, tx, a, "audit.reason_read", r.Event.ObjectType, r.Event.ObjectID, []string{"reason"}, audit.Success, "event "+strconv.FormatInt(seq, 10))
	})
	if err != nil {
		return AuditReason{}, err
	}
	return out, nil
}

// revealStore is what the methods in reveal.go read and write.
type revealStore interface {
	core.GrantStore
	core.CustomerStore
	AuditReason(ctx context.Context, seq int64) (store.AuditReasonRow, error)
	OldSubjectKeys(ctx context.Context, subject string) ([][]byte, error)
	InsertAuditReason(ctx context.Context, seq int64, subjectID string, reasonCT []byte) error
}

// revealStoreOf is the compiler's check that the store has every method of revealStore.
func revealStoreOf(tx *store.Tx) revealStore { return tx }
