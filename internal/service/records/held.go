package records

import (
	"context"
	"encoding/json"
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

// Held records: what an erasure keeps under a legal hold. Each is a data
// subject of its own (its id is its key's subject id): the data of the
// hold's scope, re-sealed under a new data key, so that the erased
// person's key can be destroyed at once and the held record's key when
// the hold ends. Only the privacy officer and administrators read one,
// with a reason, and every read is audited (held.read).

// heldPlace is where a held record's sealed content lives.
func heldPlace(id string) fieldcrypt.Place {
	return fieldcrypt.Place{Table: "held_records", Column: "data_ct", Row: id}
}

// maxHeldItems bounds the transactions one erasure keeps; more refuse it.
const maxHeldItems = 100000

func heldOf(r store.HeldRow) crm.HeldRecord {
	return crm.HeldRecord{ID: r.ID, RequestID: r.RequestID, Scope: r.Scope, Reason: r.Reason, Until: r.Until, Items: r.Items, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt}
}

// keepHeld writes a held record for each hold of the customer row, in the
// erasure's transaction, before the customer's rows go: the data of the
// hold's scope is read under the customer's key and sealed under the new
// record's own. It returns the records and their audit events.
func (s *Customers) keepHeld(ctx context.Context, tx subjectStore, a authz.Actor, requestID string, row store.CustomerRow, holds []store.HoldRow) ([]crm.HeldRecord, []audit.Event, error) {
	key, err := s.openKey(row)
	if err != nil {
		return nil, nil, err
	}
	var out []crm.HeldRecord
	var events []audit.Event
	now := s.c.Now()
	for _, h := range holds {
		d := crm.HeldData{FormerCustomerID: row.ID}
		items := 0
		switch h.Scope {
		case crm.HoldTransactions:
			rows, err := tx.CustomerTransactions(ctx, row.ID, maxHeldItems+1)
			if err != nil {
				return nil, nil, err
			}
			if len(rows) > maxHeldItems { // never keep part of what the law keeps and erase the rest
				return nil, nil, errs.E(errs.Conflict, fmt.Sprintf("more than %d transactions to keep under the hold: erase after it ends", maxHeldItems))
			}
			for _, r := range rows {
				t, err := openTransaction(key, r)
				if err != nil {
					return nil, nil, err
				}
				d.Transactions = append(d.Transactions, t)
			}
			items = len(d.Transactions)
		case crm.HoldIdentity:
			for name, dst := range map[string]*string{crm.FieldName: &d.Name, crm.FieldNationalID: &d.NationalID} {
				if ct, ok := row.Sealed[name]; ok && len(ct) > 0 {
					if *dst, err = fieldcrypt.Open(key, customerPlace(row.ID, name), ct); err != nil {
						return nil, nil, errs.Wrap(errs.Internal, "service.keepHeld", "", err)
					}
				}
			}
			items = 1
		case crm.HoldConsents:
			rows, err := tx.Consents(ctx, row.ID)
			if err != nil {
				return nil, nil, err
			}
			for _, r := range rows {
				c, err := core.OpenConsent(key, r)
				if err != nil {
					return nil, nil, err
				}
				c.Note = "" // the evidence is who consented to what, when and how, not staff notes
				d.Consents = append(d.Consents, c)
			}
			items = len(d.Consents)
		default:
			return nil, nil, errs.E(errs.Conflict, fmt.Sprintf("a legal hold of scope %q stands until %s (%s): Strongroom can keep apart only %s; erase after it ends",
				h.Scope, h.Until.Format(time.DateOnly), h.Reason, strings.Join(crm.HoldScopes, ", ")))
		}
		rec := crm.HeldRecord{ID: crm.NewID("held"), RequestID: requestID, Scope: h.Scope, Reason: h.Reason, Until: h.Until, Items: items, CreatedBy: a.UserID, CreatedAt: now}
		hk, wrapped, err := s.c.Keys.NewDataKey(rec.ID)
		if err != nil {
			return nil, nil, errs.Wrap(errs.Internal, "service.keepHeld", "", err)
		}
		raw, err := json.Marshal(d)
		if err != nil {
			return nil, nil, errs.Wrap(errs.Internal, "service.keepHeld", "", err)
		}
		ct, err := fieldcrypt.Seal(hk, heldPlace(rec.ID), string(raw))
		if err != nil {
			return nil, nil, errs.Wrap(errs.Internal, "service.keepHeld", "", err)
		}
		if err := tx.InsertSubjectKey(ctx, rec.ID, wrapped, keyring.WrappedTerm(wrapped), now); err != nil {
			return nil, nil, err
		}
		if err := tx.InsertHeld(ctx, store.HeldRow{ID: rec.ID, RequestID: requestID, Scope: rec.Scope, Reason: rec.Reason, Until: rec.Until,
			Items: items, CreatedBy: a.UserID, CreatedAt: now, DataCT: ct}); err != nil {
			return nil, nil, err
		}
		out = append(out, rec)
		events = append(events, core.Event(a, "held.create", "held", rec.ID, nil, audit.Success,
			fmt.Sprintf("request %s: %s (%d) kept until %s: %s", requestID, rec.Scope, items, rec.Until.Format(time.DateOnly), rec.Reason)))
	}
	return out, events, nil
}

// heldOutcome describes the held records for a request's outcome.
func heldOutcome(recs []crm.HeldRecord) string {
	var parts []string
	for _, r := range recs {
		parts = append(parts, fmt.Sprintf("%s (%d) until %s (%s) as held record %s", r.Scope, r.Items, r.Until.Format(time.DateOnly), r.Reason, r.ID))
	}
	return "; kept under legal hold, readable only by the privacy officer with a reason, destroyed when the hold ends: " + strings.Join(parts, "; ")
}

// HeldRecords lists the held records, ending soonest first: what each
// keeps, why and until when, never their content. Privacy read.
func (s *Customers) HeldRecords(ctx context.Context, a authz.Actor) ([]crm.HeldRecord, error) {
	if err := core.May(a, authz.ActionRead, authz.ObjectPrivacy, "you may not see held records"); err != nil {
		return nil, err
	}
	var out []crm.HeldRecord
	err := core.Look(ctx, s.c, heldStoreOf, func(tx heldStore) error {
		rows, err := tx.HeldRecords(ctx, false, s.c.Now(), 1000)
		for _, r := range rows {
			out = append(out, heldOf(r))
		}
		return err
	})
	return out, err
}

// ReadHeld opens a held record for its legal purpose: only the privacy
// officer and administrators (privacy update), only with a reason (e.g.
// the auditor's or authority's request), recorded as held.read with it.
// Anyone else is refused, and the refusal is recorded too.
func (s *Customers) ReadHeld(ctx context.Context, a authz.Actor, id, reason string) (crm.HeldRecord, crm.HeldData, error) {
	var rec crm.HeldRecord
	var d crm.HeldData
	if err := core.MayHandleRequests(a); err != nil {
		if crm.ValidID(id) {
			_ = core.Change(ctx, s.c, heldStoreOf, func(tx heldStore) error {
				return s.c.Record(ctx, tx, a, "held.read", "held", id, nil, audit.Denied, "not the privacy officer")
			})
		}
		return rec, d, err
	}
	if err := s.c.RequireStepUp(a); err != nil { // as a reveal of the same fields does
		return rec, d, err
	}
	reason = strings.TrimSpace(reason)
	if reason == "" || len(reason) > 500 {
		return rec, d, errs.InvalidField("reason", "say why the held record is read (e.g. the auditor's or authority's request)")
	}
	if !crm.ValidID(id) {
		return rec, d, errs.E(errs.NotExist, "no such held record")
	}
	err := core.Change(ctx, s.c, heldStoreOf, func(tx heldStore) error {
		row, err := tx.HeldByID(ctx, id)
		if errs.Is(err, errs.NotExist) {
			return errs.E(errs.NotExist, "no such held record")
		} else if err != nil {
			return err
		}
		rec = heldOf(row)
		if !rec.Until.After(s.c.Now()) {
			return errs.E(errs.NotExist, "the hold on this record has ended: it is being destroyed")
		}
		wrapped, err := tx.SubjectKey(ctx, id)
		if err != nil {
			return errs.E(errs.NotExist, "this held record's key is destroyed")
		}
		key, err := s.c.Keys.OpenDataKey(id, wrapped)
		if err != nil {
			return errs.Wrap(errs.Internal, "service.ReadHeld", "", err)
		}
		if d, err = openHeld(key, row); err != nil {
			return err
		}
		return s.c.Record(ctx, tx, a, "held.read", "held", id, nil, audit.Success, reason)
	})
	return rec, d, err
}

func openHeld(key keyring.DataKey, row store.HeldRow) (crm.HeldData, error) {
	var d crm.HeldData
	raw, err := fieldcrypt.Open(key, heldPlace(row.ID), row.DataCT)
	if err != nil {
		return d, errs.Wrap(errs.Internal, "service.openHeld", "", err)
	}
	if err := json.Unmarshal([]byte(raw), &d); err != nil {
		return d, errs.Wrap(errs.Internal, "service.openHeld", "", err)
	}
	return d, nil
}

// EndHeld destroys the held records whose hold has ended by now, as the
// system: each one's data key is shredded, its row deleted and the erasure
// ledger written (kind held), so no backup brings it back; each is
// recorded (held.erase). A record whose key is already gone (a restored
// backup from before its end, to which the ledger was re-applied) goes
// too. serve runs it hourly. It returns how many went.
func (s *Customers) EndHeld(ctx context.Context) (int, error) {
	sys, n := authz.System(), 0
	for {
		var batch int
		err := core.Change(ctx, s.c, heldStoreOf, func(tx heldStore) error {
			now := s.c.Now()
			rows, err := tx.HeldRecords(ctx, true, now, 100)
			if err != nil {
				return err
			}
			batch = len(rows)
			var events []audit.Event
			for _, r := range rows {
				if err := tx.DeleteHeld(ctx, r.ID); err != nil {
					return err
				}
				s.c.Keys.Forget(r.ID) // no unwrapped copy left in the cache
				if err := tx.ShredSubject(ctx, r.ID, "held", now); err != nil {
					return err
				}
				why := fmt.Sprintf("the hold (%s, %s) ended %s", r.Scope, r.Reason, r.Until.Format(time.DateOnly))
				if r.Until.After(now) {
					why = fmt.Sprintf("the hold (%s, %s) until %s: its key was destroyed by the erasure ledger (a restore)", r.Scope, r.Reason, r.Until.Format(time.DateOnly))
				}
				events = append(events, core.Event(sys, "held.erase", "held", r.ID, nil, audit.Success, why+": data key destroyed, record deleted, erasure ledger written"))
			}
			if len(events) == 0 {
				return nil
			}
			return s.c.Append(ctx, tx, events...)
		})
		if err != nil {
			return n, err
		}
		n += batch
		if batch < 100 {
			return n, nil
		}
	}
}

// heldStore is what the methods in held.go read and write.
type heldStore interface {
	audit.Appender
	HeldRecords(ctx context.Context, ended bool, now time.Time, limit int) ([]store.HeldRow, error)
	HeldByID(ctx context.Context, id string) (store.HeldRow, error)
	DeleteHeld(ctx context.Context, id string) error
	SubjectKey(ctx context.Context, subject string) ([]byte, error)
	ShredSubject(ctx context.Context, subject, kind string, at time.Time) error
}

func heldStoreOf(tx *store.Tx) heldStore { return tx }
