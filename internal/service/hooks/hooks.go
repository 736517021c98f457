// Package hooks is webhook subscriptions: partners' HTTPS endpoints that
// receive events (customer created or updated, deal stage changed, visit
// checked in, alert raised) signed the Standard Webhooks way. A
// subscription names a role, its scope: a payload is read through the
// service as an actor holding only that role (no user, not the system:
// readerOf), so it carries only what that role may read (hidden fields
// absent, masked fields masked), and the read is audited like any other. The signing secret is made by
// the server, shown once, and kept sealed under the subscription's own
// data key (the server needs it to sign). Administrators manage
// subscriptions; auditors read them (authz object integration). The
// deliveries themselves are made by internal/hookrun, run by serve, through
// the system methods at the end of this package (Enqueue, Due, Finish).
package hooks

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/fieldcrypt"
	"strongroom.dev/strongroom/internal/netguard"
	"strongroom.dev/strongroom/internal/service/core"
	"strongroom.dev/strongroom/internal/store"
)

// The event types a subscription may ask for, and the test message.
const (
	CustomerCreated  = "customer.created"
	CustomerUpdated  = "customer.updated"
	DealStageChanged = "deal.stage_changed"
	VisitCheckedIn   = "visit.checked_in"
	AlertRaised      = "alert.raised"
	TestEvent        = "webhook.test"
)

// Events are the event types in the order they are offered.
var Events = []string{CustomerCreated, CustomerUpdated, DealStageChanged, VisitCheckedIn, AlertRaised}

// Waits are the pauses before each retry of a failed delivery; after the
// last, the delivery is marked failed.
var Waits = []time.Duration{time.Minute, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 12 * time.Hour}

// Hooks is a domain service: webhook subscriptions and their deliveries.
type Hooks struct {
	c     *core.Core
	guard atomic.Pointer[netguard.Guard]
	// changed, if set, is called after a subscription is made, renamed or
	// deleted (serve refreshes the vendors register's parts with it).
	changed atomic.Pointer[func(context.Context)]
	// Waits between attempts (default the package's Waits); tests shorten them.
	Waits []time.Duration
}

// New returns the webhooks service over c.
func New(c *core.Core) *Hooks { return &Hooks{c: c, Waits: Waits} }

// SetGuard sets the address ranges administrators allow as destinations
// (--webhook-allow); serve calls it at start.
func (s *Hooks) SetGuard(g netguard.Guard) { s.guard.Store(&g) }

// OnChange sets what to call after a subscription is made, changed or
// deleted.
func (s *Hooks) OnChange(fn func(context.Context)) { s.changed.Store(&fn) }

func (s *Hooks) notify(ctx context.Context) {
	if fn := s.changed.Load(); fn != nil {
		(*fn)(ctx)
	}
}

// Guard returns the destination rules in force.
func (s *Hooks) Guard() netguard.Guard {
	if g := s.guard.Load(); g != nil {
		return *g
	}
	return netguard.Guard{}
}

// Input is what an administrator writes of a subscription. Paused nil
// leaves it as it is (a new one starts active).
type Input struct {
	Name   string   `json:"name"`
	URL    string   `json:"url"`
	Role   string   `json:"role"`
	Events []string `json:"events"`
	Paused *bool    `json:"paused,omitempty"`
}

// Webhook is a subscription as shown; never its secret.
type Webhook struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	URL       string    `json:"url"`
	Role      string    `json:"role"`
	Events    []string  `json:"events"`
	Paused    bool      `json:"paused"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// WithSecret is a subscription just made or whose secret was just
// replaced, with the secret: the only time it is shown.
type WithSecret struct {
	Webhook
	Secret string `json:"secret"`
}

// Delivery is one message's entry in the delivery log.
type Delivery struct {
	ID         string     `json:"id"` // the webhook-id header
	EventType  string     `json:"event_type"`
	AuditSeq   int64      `json:"audit_seq,omitempty"`
	ObjectID   string     `json:"object_id,omitempty"`
	Status     string     `json:"status"` // pending, delivered, failed, skipped
	Attempts   int        `json:"attempts"`
	StatusCode int        `json:"status_code,omitempty"`
	Error      string     `json:"error,omitempty"`
	LatencyMS  int64      `json:"latency_ms"`
	NextAt     *time.Time `json:"next_at,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
}

// hookStore is what the subscriptions' use cases read and write.
type hookStore interface {
	audit.Appender
	InsertWebhook(ctx context.Context, w store.WebhookRow) error
	UpdateWebhook(ctx context.Context, w store.WebhookRow) error
	DeleteWebhook(ctx context.Context, id string) error
	WebhookByID(ctx context.Context, id string) (store.WebhookRow, error)
	ListWebhooks(ctx context.Context) ([]store.WebhookRow, error)
	InsertDelivery(ctx context.Context, d store.DeliveryRow) error
	UpdateDelivery(ctx context.Context, d store.DeliveryRow) error
	DeliveryByID(ctx context.Context, id string) (store.DeliveryRow, error)
	DueDeliveries(ctx context.Context, now time.Time, limit int) ([]store.DeliveryRow, error)
	ListDeliveries(ctx context.Context, webhookID string, limit int) ([]store.DeliveryRow, error)
	ListAudit(ctx context.Context, f store.AuditFilter) ([]audit.Event, error)
	SIEMCursor(ctx context.Context, name string) (int64, error)
	SetSIEMCursor(ctx context.Context, name string, seq int64, at time.Time) error
	AlertByID(ctx context.Context, id string) (store.AlertRow, error)
}

func hookStoreOf(tx *store.Tx) hookStore { return tx }

var errNotFound = errs.E(errs.NotExist, "webhook not found")

func mayRead(a authz.Actor) error {
	return core.May(a, authz.ActionRead, authz.ObjectIntegration, "you may not see webhooks")
}

func may(a authz.Actor, act authz.Action) error {
	return core.May(a, act, authz.ObjectIntegration, "only administrators manage webhooks")
}

func webhookOf(w store.WebhookRow) Webhook {
	ev := w.Events
	if ev == nil {
		ev = []string{}
	}
	return Webhook{ID: w.ID, Name: w.Name, URL: w.URL, Role: w.Role, Events: ev, Paused: w.Paused, CreatedAt: w.CreatedAt, UpdatedAt: w.UpdatedAt}
}

func deliveryOf(d store.DeliveryRow) Delivery {
	out := Delivery{ID: d.ID, EventType: d.EventType, AuditSeq: d.AuditSeq, ObjectID: d.ObjectID, Status: d.Status, Attempts: d.Attempts,
		StatusCode: d.StatusCode, Error: d.Error, LatencyMS: d.Latency.Milliseconds(), CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt}
	if d.Status == store.DeliveryPending {
		next := d.NextAt
		out.NextAt = &next
	}
	return out
}

// checkURL refuses a destination that is not https, carries credentials
// or a fragment, or names a host the guard refuses outright (a literal
// special-purpose address, localhost). Names are checked again, on the
// address actually dialled, at each delivery.
func (s *Hooks) checkURL(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	if err != nil || len(raw) > 2000 || u.Scheme != "https" || u.Hostname() == "" || u.Opaque != "" {
		return "", errs.InvalidField("url", "the destination is an https:// URL")
	}
	if u.User != nil || u.Fragment != "" {
		return "", errs.InvalidField("url", "the destination may not carry a user name, password or #fragment")
	}
	if err := s.Guard().CheckHost(u.Hostname()); err != nil {
		return "", errs.InvalidField("url", "the destination is a loopback, private, link-local or other special-purpose address; an administrator may allow its range with --webhook-allow")
	}
	return u.String(), nil
}

// row checks in over w (a new or existing row).
func (s *Hooks) row(ctx context.Context, in Input, w store.WebhookRow) (store.WebhookRow, error) {
	var err error
	if w.Name, err = crm.Label("name", in.Name, 200); err != nil {
		return w, err
	}
	if w.Name == "" {
		return w, errs.InvalidField("name", "a webhook needs a name")
	}
	if w.URL, err = s.checkURL(in.URL); err != nil {
		return w, err
	}
	w.Role = strings.TrimSpace(in.Role)
	if w.Role == "" {
		return w, errs.InvalidField("role", "a webhook reads as a role: name one (its payloads carry what that role may read)")
	}
	if err := s.c.CheckRole(ctx, w.Role); err != nil {
		return w, errs.InvalidField("role", "no such role: "+w.Role)
	}
	w.Events = nil
	for _, e := range in.Events {
		e = strings.TrimSpace(e)
		if !slices.Contains(Events, e) {
			return w, errs.InvalidField("events", "events are among "+strings.Join(Events, ", "))
		}
		if !slices.Contains(w.Events, e) {
			w.Events = append(w.Events, e)
		}
	}
	if len(w.Events) == 0 {
		return w, errs.InvalidField("events", "choose at least one event")
	}
	if in.Paused != nil {
		w.Paused = *in.Paused
	}
	return w, nil
}

func secretPlace(id string) fieldcrypt.Place {
	return fieldcrypt.Place{Table: "webhooks", Column: "secret_ct", Row: id}
}

// seal makes a new secret for w under a new data key of its own.
func (s *Hooks) seal(w *store.WebhookRow) (string, error) {
	secret := newSecret()
	key, wrapped, err := s.c.Keys.NewDataKey("webhook:" + w.ID)
	if err != nil {
		return "", err
	}
	sealed, err := fieldcrypt.Seal(key, secretPlace(w.ID), secret)
	if err != nil {
		return "", err
	}
	w.KeyWrapped, w.SecretSealed = wrapped, sealed
	return secret, nil
}

// open returns w's secret (whsec_…).
func (s *Hooks) open(w store.WebhookRow) (string, error) {
	key, err := s.c.Keys.OpenDataKey("webhook:"+w.ID, w.KeyWrapped)
	if err != nil {
		return "", err
	}
	return fieldcrypt.Open(key, secretPlace(w.ID), w.SecretSealed)
}

// withWebhook runs fn in a change with subscription id, once the caller's
// permission (allowed: nil or its refusal) is checked; a malformed or
// unknown id is not found.
func (s *Hooks) withWebhook(ctx context.Context, allowed error, id string, fn func(tx hookStore, w store.WebhookRow) error) error {
	if allowed != nil {
		return allowed
	}
	if !crm.ValidID(id) {
		return errNotFound
	}
	return core.Change(ctx, s.c, hookStoreOf, func(tx hookStore) error {
		w, err := tx.WebhookByID(ctx, id)
		if errs.Is(err, errs.NotExist) {
			return errNotFound
		}
		if err != nil {
			return err
		}
		return fn(tx, w)
	})
}

// List returns every subscription. Administrators and auditors. Audited
// (webhook.list).
func (s *Hooks) List(ctx context.Context, a authz.Actor) ([]Webhook, error) {
	if err := mayRead(a); err != nil {
		return nil, err
	}
	out := []Webhook{}
	err := core.Change(ctx, s.c, hookStoreOf, func(tx hookStore) error {
		rows, err := tx.ListWebhooks(ctx)
		if err != nil {
			return err
		}
		for _, w := range rows {
			out = append(out, webhookOf(w))
		}
		return s.c.Record(ctx, tx, a, "webhook.list", "webhook", "", nil, audit.Success, fmt.Sprintf("%d webhooks", len(out)))
	})
	return out, err
}

// Webhook returns one subscription. Audited (webhook.read).
func (s *Hooks) Webhook(ctx context.Context, a authz.Actor, id string) (Webhook, error) {
	var out Webhook
	err := s.withWebhook(ctx, mayRead(a), id, func(tx hookStore, w store.WebhookRow) error {
		out = webhookOf(w)
		return s.c.Record(ctx, tx, a, "webhook.read", "webhook", id, nil, audit.Success, "")
	})
	return out, err
}

// Create adds a subscription with a new secret, returned this once.
// Administrators. Audited (webhook.create, naming the destination's host
// and the role).
func (s *Hooks) Create(ctx context.Context, a authz.Actor, in Input) (WithSecret, error) {
	if err := may(a, authz.ActionCreate); err != nil {
		return WithSecret{}, err
	}
	now := s.c.Now()
	w, err := s.row(ctx, in, store.WebhookRow{ID: crm.NewID("whk"), CreatedBy: a.UserID, CreatedAt: now, UpdatedAt: now})
	if err != nil {
		return WithSecret{}, err
	}
	secret, err := s.seal(&w)
	if err != nil {
		return WithSecret{}, err
	}
	err = core.Change(ctx, s.c, hookStoreOf, func(tx hookStore) error {
		if err := tx.InsertWebhook(ctx, w); err != nil {
			return err
		}
		return s.c.Record(ctx, tx, a, "webhook.create", "webhook", w.ID, []string{"name", "url", "role", "events"}, audit.Success, reasonOf(w))
	})
	if err != nil {
		return WithSecret{}, err
	}
	s.notify(ctx)
	return WithSecret{Webhook: webhookOf(w), Secret: secret}, nil
}

func reasonOf(w store.WebhookRow) string {
	host := w.URL
	if u, err := url.Parse(w.URL); err == nil {
		host = u.Host
	}
	return "to " + host + " as role " + w.Role + ": " + strings.Join(w.Events, ", ")
}

// Update changes a subscription's name, destination, role, events or
// pause. Administrators. Audited (webhook.update, naming what changed).
func (s *Hooks) Update(ctx context.Context, a authz.Actor, id string, in Input) (Webhook, error) {
	var out Webhook
	err := s.withWebhook(ctx, may(a, authz.ActionUpdate), id, func(tx hookStore, old store.WebhookRow) error {
		w, err := s.row(ctx, in, old)
		if err != nil {
			return err
		}
		var changed []string
		if w.Name != old.Name {
			changed = append(changed, "name")
		}
		if w.URL != old.URL {
			changed = append(changed, "url")
		}
		if w.Role != old.Role {
			changed = append(changed, "role")
		}
		if !slices.Equal(w.Events, old.Events) {
			changed = append(changed, "events")
		}
		if w.Paused != old.Paused {
			changed = append(changed, "paused")
		}
		w.UpdatedAt = s.c.Now()
		if err := tx.UpdateWebhook(ctx, w); err != nil {
			return err
		}
		out = webhookOf(w)
		return s.c.Record(ctx, tx, a, "webhook.update", "webhook", id, changed, audit.Success, reasonOf(w))
	})
	if err == nil {
		s.notify(ctx)
	}
	return out, err
}

// SetPaused pauses (no deliveries; new events are not queued) or resumes
// a subscription, whatever its destination. Administrators. Audited
// (webhook.update, naming paused).
func (s *Hooks) SetPaused(ctx context.Context, a authz.Actor, id string, paused bool) (Webhook, error) {
	var out Webhook
	err := s.withWebhook(ctx, may(a, authz.ActionUpdate), id, func(tx hookStore, w store.WebhookRow) error {
		w.Paused, w.UpdatedAt = paused, s.c.Now()
		if err := tx.UpdateWebhook(ctx, w); err != nil {
			return err
		}
		out = webhookOf(w)
		reason := "resumed"
		if paused {
			reason = "paused"
		}
		return s.c.Record(ctx, tx, a, "webhook.update", "webhook", id, []string{"paused"}, audit.Success, reason)
	})
	return out, err
}

// Delete removes a subscription and its delivery log. Administrators.
// Audited (webhook.delete).
func (s *Hooks) Delete(ctx context.Context, a authz.Actor, id string) error {
	err := s.withWebhook(ctx, may(a, authz.ActionDelete), id, func(tx hookStore, w store.WebhookRow) error {
		if err := tx.DeleteWebhook(ctx, id); err != nil {
			return err
		}
		return s.c.Record(ctx, tx, a, "webhook.delete", "webhook", id, nil, audit.Success, reasonOf(w))
	})
	if err == nil {
		s.notify(ctx)
	}
	return err
}

// RotateSecret replaces a subscription's secret with a new one, returned
// this once; the old one stops signing at once. Administrators. Audited
// (webhook.rotate).
func (s *Hooks) RotateSecret(ctx context.Context, a authz.Actor, id string) (WithSecret, error) {
	var out WithSecret
	err := s.withWebhook(ctx, may(a, authz.ActionUpdate), id, func(tx hookStore, w store.WebhookRow) error {
		secret, err := s.seal(&w)
		if err != nil {
			return err
		}
		w.UpdatedAt = s.c.Now()
		if err := tx.UpdateWebhook(ctx, w); err != nil {
			return err
		}
		out = WithSecret{Webhook: webhookOf(w), Secret: secret}
		return s.c.Record(ctx, tx, a, "webhook.rotate", "webhook", id, []string{"secret"}, audit.Success, "")
	})
	return out, err
}

// Deliveries returns a subscription's latest 100 messages, newest first.
// Administrators and auditors. Audited (webhook.deliveries).
func (s *Hooks) Deliveries(ctx context.Context, a authz.Actor, id string) ([]Delivery, error) {
	out := []Delivery{}
	err := s.withWebhook(ctx, mayRead(a), id, func(tx hookStore, _ store.WebhookRow) error {
		rows, err := tx.ListDeliveries(ctx, id, 100)
		if err != nil {
			return err
		}
		for _, d := range rows {
			out = append(out, deliveryOf(d))
		}
		return s.c.Record(ctx, tx, a, "webhook.deliveries", "webhook", id, nil, audit.Success, "")
	})
	return out, err
}

// SendTest queues a test message (type webhook.test, no personal data)
// to a subscription, sent at the next round even when it is paused.
// Administrators. Audited (webhook.test).
func (s *Hooks) SendTest(ctx context.Context, a authz.Actor, id string) (Delivery, error) {
	var out Delivery
	err := s.withWebhook(ctx, may(a, authz.ActionUpdate), id, func(tx hookStore, _ store.WebhookRow) error {
		now := s.c.Now()
		d := store.DeliveryRow{ID: newMessageID(), WebhookID: id, EventType: TestEvent, Status: store.DeliveryPending, NextAt: now, CreatedAt: now, UpdatedAt: now}
		if err := tx.InsertDelivery(ctx, d); err != nil {
			return err
		}
		out = deliveryOf(d)
		return s.c.Record(ctx, tx, a, "webhook.test", "webhook", id, nil, audit.Success, d.ID)
	})
	return out, err
}

// CanManage reports whether a may create, change and delete webhooks
// (what the web page offers). It reads nothing and is not audited.
func (s *Hooks) CanManage(a authz.Actor) bool {
	return may(a, authz.ActionCreate) == nil
}

// RoleChoices are the built-in roles a subscription may read as (a
// defined role may be typed by name).
func RoleChoices() []string {
	out := make([]string, 0, len(authz.Roles))
	for _, r := range authz.Roles {
		out = append(out, string(r))
	}
	return out
}

// Links names each subscription as the vendors register links a part of
// the product that sends data to a third party ("webhook:<name>"), so the
// register can show a partner no vendor record names. It reveals no
// personal data and is not audited; serve calls it.
func (s *Hooks) Links(ctx context.Context) ([]string, error) {
	var out []string
	err := core.Look(ctx, s.c, hookStoreOf, func(tx hookStore) error {
		rows, err := tx.ListWebhooks(ctx)
		for _, w := range rows {
			out = append(out, "webhook:"+w.Name)
		}
		return err
	})
	return out, err
}
