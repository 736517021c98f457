package records

import (
	"context"
	"fmt"
	"strconv"
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

// FieldChange is one field's change, as the reader may see it.
type FieldChange struct {
	Seq     int64     `json:"seq"` // the change's audit event
	At      time.Time `json:"at"`
	ActorID string    `json:"actor_id"`
	Field   string    `json:"field"`
	Before  string    `json:"before"`
	After   string    `json:"after"`
	Masked  bool      `json:"masked,omitempty"` // the reader sees the field masked
}

// historyPlace binds a history value to its subject, change, field and
// side, so that no sealed value can be moved to another.
func historyPlace(id string, seq int64, field, side string) fieldcrypt.Place {
	return fieldcrypt.Place{Table: "field_history", Column: field + "." + side, Row: id + "@" + strconv.FormatInt(seq, 10)}
}

// keepHistory seals the before and after values of each field that a
// change (audit event seq) touched under the subject's key.
func (s *Customers) keepHistory(ctx context.Context, tx interface {
	InsertFieldHistory(ctx context.Context, rows []store.FieldChangeRow) error
}, key keyring.DataKey, id string, seq int64, before, after map[string]string) error {
	var rows []store.FieldChangeRow
	for _, f := range crm.CustomerFields {
		b, a := before[f.Name], after[f.Name]
		if b == a {
			continue
		}
		r := store.FieldChangeRow{SubjectID: id, EventSeq: seq, Field: f.Name}
		var err error
		if r.BeforeCT, err = fieldcrypt.Seal(key, historyPlace(id, seq, f.Name, "before"), b); err != nil {
			return err
		}
		if r.AfterCT, err = fieldcrypt.Seal(key, historyPlace(id, seq, f.Name, "after"), a); err != nil {
			return err
		}
		rows = append(rows, r)
	}
	if len(rows) == 0 {
		return nil
	}
	return tx.InsertFieldHistory(ctx, rows)
}

// CustomerHistory returns the changes to a customer's fields, newest
// first (at most 200): the values in full for fields the actor may read,
// masked where they see the field masked, and no entry at all for fields
// hidden from them. The read is audited like any read of the customer,
// naming the fields shown.
func (s *Customers) CustomerHistory(ctx context.Context, a authz.Actor, id string) ([]FieldChange, error) {
	if !crm.ValidID(id) {
		return nil, core.ErrCustomerNotFound
	}
	var out []FieldChange
	err := core.Change(ctx, s.c, historyStoreOf, func(tx historyStore) error {
		row, err := s.c.CustomerInScope(ctx, tx, a, id, "customer.history")
		if err != nil {
			return err
		}
		d := authz.Decide(a, authz.ActionRead, core.CustomerRes(row))
		if !d.Allowed {
			return errs.E(errs.Permission, "you may not read this customer")
		}
		changes, err := tx.FieldHistory(ctx, id, 200)
		if err != nil {
			return err
		}
		key, err := s.openKey(row)
		if err != nil {
			return err
		}
		// History is append-only: values from before a rotation of the
		// customer's key (RotateKey) open with a key kept from before.
		keys := []keyring.DataKey{key}
		olds, err := tx.OldSubjectKeys(ctx, id)
		if err != nil {
			return err
		}
		for _, w := range olds {
			k, err := s.c.Keys.OpenDataKey(id, w)
			if err != nil {
				return errs.Wrap(errs.Internal, "service.CustomerHistory", "", err)
			}
			keys = append(keys, k)
		}
		shown := map[string]bool{}
		var labels []string
		for _, ch := range changes {
			level := d.Field(ch.Field)
			if level == authz.Hidden {
				continue
			}
			fc := FieldChange{Seq: ch.EventSeq, At: ch.Event.At, ActorID: ch.Event.ActorID, Field: ch.Field, Masked: level == authz.Masked}
			if fc.Before, err = openWithAny(keys, historyPlace(id, ch.EventSeq, ch.Field, "before"), ch.BeforeCT); err != nil {
				return errs.Wrap(errs.Internal, "service.CustomerHistory", "", err)
			}
			if fc.After, err = openWithAny(keys, historyPlace(id, ch.EventSeq, ch.Field, "after"), ch.AfterCT); err != nil {
				return errs.Wrap(errs.Internal, "service.CustomerHistory", "", err)
			}
			if fc.Masked {
				fc.Before, fc.After = privacy.Mask(fc.Before), privacy.Mask(fc.After)
			}
			if !shown[ch.Field] {
				shown[ch.Field] = true
				labels = append(labels, fieldLabel(ch.Field, level))
			}
			out = append(out, fc)
		}
		return s.c.Append(ctx, tx, core.Event(a, "customer.history", "customer", id, labels, audit.Success, fmt.Sprintf("%d changes shown", len(out))))
	})
	if err != nil {
		return nil, err // never hand out data whose read was not audited
	}
	return out, nil
}

// historyStore is what the methods in history.go read and write.
type historyStore interface {
	core.CustomerStore
	core.GrantStore
	FieldHistory(ctx context.Context, subjectID string, limit int) ([]store.FieldChangeRow, error)
	OldSubjectKeys(ctx context.Context, subject string) ([][]byte, error)
}

// openWithAny opens sealed with the first of keys that opens it.
func openWithAny(keys []keyring.DataKey, p fieldcrypt.Place, sealed []byte) (string, error) {
	err := fieldcrypt.ErrOpen
	for _, k := range keys {
		var v string
		if v, err = fieldcrypt.Open(k, p, sealed); err == nil {
			return v, nil
		}
	}
	return "", err
}

// historyStoreOf is the compiler's check that the store has every method of historyStore.
func historyStoreOf(tx *store.Tx) historyStore { return tx }
