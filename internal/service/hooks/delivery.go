package hooks

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"slices"
	"time"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service/core"
	"strongroom.dev/strongroom/internal/store"
)

// newSecret returns a new 32-byte signing secret in the Standard Webhooks
// form, whsec_<base64>.
func newSecret() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand)
	return "whsec_" + base64.StdEncoding.EncodeToString(b)
}

// cursor names the audit log position the queue has read up to (in
// siem_cursors, beside the SIEM exports').
const cursor = "webhooks"

// lockKey is the PostgreSQL advisory lock one server holds to deliver.
const lockKey = 7412054

// kindOf maps an audit event to the webhook event it is, if any: only
// successful changes of the kinds subscriptions may ask for.
func kindOf(e audit.Event) string {
	if e.Outcome != audit.Success || e.ObjectID == "" {
		return ""
	}
	switch {
	case e.Action == "customer.create":
		return CustomerCreated
	case e.Action == "customer.update":
		return CustomerUpdated
	case e.Action == "deal.update" && slices.Contains(e.Fields, "stage"):
		return DealStageChanged
	case e.Action == "visit.update" && slices.Contains(e.Fields, "checkin"):
		return VisitCheckedIn
	case e.Action == "alert.raise":
		return AlertRaised
	}
	return ""
}

func system(a authz.Actor) error {
	if a.UserID != authz.SystemUserID {
		return errs.E(errs.Permission, "only the server delivers webhooks")
	}
	return may(a, authz.ActionUpdate)
}

// Lock takes the lock one server at a time delivers under (PostgreSQL; on
// SQLite there is one server).
func (s *Hooks) Lock(ctx context.Context) (release func(), ok bool) {
	return s.c.DB.TryLockSchema(ctx, lockKey)
}

// Enqueue reads the audit log after the queue's cursor (up to 500 events)
// and queues a message for each event of a kind an active subscription
// asks for and that happened after the subscription was made; then moves
// the cursor, in the same transaction. It returns how many messages it
// queued and whether more events wait. The system actor only.
func (s *Hooks) Enqueue(ctx context.Context, a authz.Actor) (int, bool, error) {
	if err := system(a); err != nil {
		return 0, false, err
	}
	const batch = 500
	// A look first, so that an idle server opens no write transaction.
	waiting, subscribed := false, false
	err := core.Look(ctx, s.c, hookStoreOf, func(tx hookStore) error {
		hooks, err := tx.ListWebhooks(ctx)
		if err != nil {
			return err
		}
		subscribed = slices.ContainsFunc(hooks, active)
		from, err := tx.SIEMCursor(ctx, cursor)
		if err != nil {
			return err
		}
		events, err := tx.ListAudit(ctx, store.AuditFilter{AfterSeq: from, Limit: 1})
		waiting = len(events) > 0
		return err
	})
	if err != nil || !waiting {
		return 0, false, err
	}
	if !subscribed {
		// No subscription is sent any of them (one made later is sent only
		// what happens after it is made, a paused one nothing): the cursor
		// moves to the head without reading them, instead of holding the
		// writer to read 500 at a time while the log grows.
		return 0, false, core.Change(ctx, s.c, hookStoreOf, func(tx hookStore) error {
			head, err := tx.AuditHead(ctx) // on PostgreSQL locked: nothing is appended meanwhile
			if err != nil {
				return err
			}
			hooks, err := tx.ListWebhooks(ctx)
			if err != nil || slices.ContainsFunc(hooks, active) {
				return err // one was made or resumed meanwhile: the next round reads the events
			}
			return tx.SetSIEMCursor(ctx, cursor, head.Seq, s.c.Now())
		})
	}
	queued, more := 0, false
	err = core.Change(ctx, s.c, hookStoreOf, func(tx hookStore) error {
		from, err := tx.SIEMCursor(ctx, cursor)
		if err != nil {
			return err
		}
		events, err := tx.ListAudit(ctx, store.AuditFilter{AfterSeq: from, Limit: batch})
		if err != nil || len(events) == 0 {
			return err
		}
		more = len(events) == batch
		hooks, err := tx.ListWebhooks(ctx)
		if err != nil {
			return err
		}
		now := s.c.Now()
		for _, e := range events {
			kind := kindOf(e)
			if kind == "" {
				continue
			}
			for _, w := range hooks {
				if w.Paused || !slices.Contains(w.Events, kind) || e.At.Before(w.CreatedAt) {
					continue
				}
				d := store.DeliveryRow{ID: newMessageID(), WebhookID: w.ID, EventType: kind, AuditSeq: e.Seq, ObjectID: e.ObjectID,
					Status: store.DeliveryPending, NextAt: now, CreatedAt: now, UpdatedAt: now}
				if err := tx.InsertDelivery(ctx, d); err != nil {
					return err
				}
				queued++
			}
		}
		return tx.SetSIEMCursor(ctx, cursor, events[len(events)-1].Seq, now)
	})
	return queued, more, err
}

// active reports whether w is sent events (it is not paused).
func active(w store.WebhookRow) bool { return !w.Paused }

// Job is a message due to be sent: where, signed with what, and as whom
// its payload is read.
type Job struct {
	Delivery
	WebhookID string
	URL       string
	Secret    string // whsec_…
	// Reader is the actor the payload is read as (readerOf).
	Reader authz.Actor
}

// readerOf is the actor a subscription's payloads are read as: it holds
// only the subscription's role, so a payload carries only what that role
// may read, and it is no user — not the system, whose own work passes a
// customer's restriction, and owner of nothing, so a role scoped to its
// own records reads none. The audit log names it as actor and client
// ("webhook:<id>").
func readerOf(w store.WebhookRow) authz.Actor {
	id := "webhook:" + w.ID
	return authz.Actor{UserID: id, Roles: []authz.Role{authz.Role(w.Role)}, ClientID: id}
}

// Due returns up to limit messages due now, each with its subscription's
// destination, secret and reader; messages of a subscription that is
// paused wait (a test message goes anyway). The system actor only.
func (s *Hooks) Due(ctx context.Context, a authz.Actor, limit int) ([]Job, error) {
	if err := system(a); err != nil {
		return nil, err
	}
	var out []Job
	err := core.Look(ctx, s.c, hookStoreOf, func(tx hookStore) error {
		rows, err := tx.DueDeliveries(ctx, s.c.Now(), limit)
		if err != nil {
			return err
		}
		hooks := map[string]store.WebhookRow{}
		for _, d := range rows {
			w, ok := hooks[d.WebhookID]
			if !ok {
				if w, err = tx.WebhookByID(ctx, d.WebhookID); err != nil {
					return err
				}
				hooks[d.WebhookID] = w
			}
			if w.Paused && d.EventType != TestEvent {
				continue
			}
			secret, err := s.open(w)
			if err != nil {
				return err
			}
			out = append(out, Job{Delivery: deliveryOf(d), WebhookID: w.ID, URL: w.URL, Secret: secret, Reader: readerOf(w)})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for i := range out {
		defined, err := s.c.DefinedGrants(ctx, out[i].Reader.Roles)
		if err != nil {
			return nil, err
		}
		out[i].Reader.Defined = defined
	}
	return out, nil
}

// Result is how one attempt went.
type Result struct {
	StatusCode int           // 0: no answer
	Err        string        // why it failed ("" for a 2xx answer); never a payload
	Latency    time.Duration // from sending to the answer
	Skipped    bool          // nothing to send: the role may not read the record, or it is gone
}

// Finish records an attempt at a message: delivered on a 2xx answer,
// skipped when there was nothing the role may read, otherwise retried
// after the next wait or, past the last, failed. The system actor only.
// Audited (webhook.deliver, its outcome and answer).
func (s *Hooks) Finish(ctx context.Context, a authz.Actor, id string, r Result) (Delivery, error) {
	if err := system(a); err != nil {
		return Delivery{}, err
	}
	var out Delivery
	err := core.Change(ctx, s.c, hookStoreOf, func(tx hookStore) error {
		d, err := tx.DeliveryByID(ctx, id)
		if err != nil {
			return err
		}
		now := s.c.Now()
		d.Attempts++
		d.StatusCode, d.Error, d.Latency, d.UpdatedAt = r.StatusCode, truncate(r.Err, 500), r.Latency, now
		outcome := audit.Failure
		switch {
		case r.Skipped:
			d.Status, outcome = "skipped", audit.Success
		case r.Err == "" && r.StatusCode >= 200 && r.StatusCode <= 299:
			d.Status, outcome = store.DeliveryDelivered, audit.Success
		case d.Attempts > len(s.Waits):
			d.Status = store.DeliveryFailed
		default:
			d.NextAt = now.Add(s.Waits[d.Attempts-1])
		}
		if err := tx.UpdateDelivery(ctx, d); err != nil {
			return err
		}
		out = deliveryOf(d)
		reason := fmt.Sprintf("%s %s attempt %d: %s", d.ID, d.EventType, d.Attempts, d.Status)
		if d.StatusCode != 0 {
			reason += fmt.Sprintf(", answer %d", d.StatusCode)
		}
		return s.c.Record(ctx, tx, a, "webhook.deliver", "webhook", d.WebhookID, nil, outcome, reason)
	})
	return out, err
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// Alert is what a webhook carries of an alert: never the user or the
// network it is about.
type Alert struct {
	ID        string    `json:"id"`
	Rule      string    `json:"rule"`
	Severity  string    `json:"severity"`
	Status    string    `json:"status"`
	CreatedAt time.Time `json:"created_at"`
}

// AlertFor returns an alert as a subscription's reader sees it: only a
// role that may read the audit log sees alerts. Audited (alert.read).
func (s *Hooks) AlertFor(ctx context.Context, reader authz.Actor, id string) (Alert, error) {
	if err := core.May(reader, authz.ActionRead, authz.ObjectAudit, "this role may not read alerts"); err != nil {
		return Alert{}, err
	}
	var out Alert
	err := core.Change(ctx, s.c, hookStoreOf, func(tx hookStore) error {
		r, err := tx.AlertByID(ctx, id)
		if err != nil {
			return err
		}
		out = Alert{ID: r.ID, Rule: r.Rule, Severity: r.Severity, Status: r.Status, CreatedAt: r.CreatedAt}
		return s.c.Record(ctx, tx, reader, "alert.read", "alert", id, nil, audit.Success, "webhook payload")
	})
	return out, err
}

// newMessageID is a message's webhook-id: the same on every attempt, so
// a receiver drops repeats.
func newMessageID() string { return crm.NewID("msg") }
