package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"
)

// WebhookRow is a webhook subscription: where events go, which events,
// and the role whose view of a record the payloads carry. The signing
// secret is sealed (SecretSealed) under the subscription's own data key
// (KeyWrapped).
type WebhookRow struct {
	ID           string
	Name         string
	URL          string
	Role         string
	Events       []string
	KeyWrapped   []byte
	SecretSealed []byte
	Paused       bool
	CreatedBy    string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// DeliveryRow is one message to one subscription and how its attempts
// went. It names the event, never its payload.
type DeliveryRow struct {
	ID         string
	WebhookID  string
	EventType  string
	AuditSeq   int64
	ObjectID   string
	Status     string // pending, delivered, failed
	Attempts   int
	StatusCode int // of the last attempt; 0: no answer
	Error      string
	Latency    time.Duration // of the last attempt
	NextAt     time.Time     // when the next attempt is due (pending)
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Delivery statuses.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed"
)

// webhookRows are the webhook subscriptions and their deliveries, one part
// of a Tx.
type webhookRows struct{ *conn }

const webhookColumns = "id, name, url, role, events, key_wrapped, secret_ct, paused, created_by, created_at, updated_at"

// InsertWebhook adds a subscription.
func (tx *webhookRows) InsertWebhook(ctx context.Context, w WebhookRow) error {
	_, err := tx.exec(ctx, "INSERT INTO webhooks ("+webhookColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		w.ID, w.Name, w.URL, w.Role, jsonList(w.Events), w.KeyWrapped, w.SecretSealed, boolInt(w.Paused), w.CreatedBy, w.CreatedAt.UnixMicro(), w.UpdatedAt.UnixMicro())
	return classify("store.InsertWebhook", err)
}

// UpdateWebhook saves a subscription's settings and secret.
func (tx *webhookRows) UpdateWebhook(ctx context.Context, w WebhookRow) error {
	return tx.updateOne(ctx, "store.UpdateWebhook", "UPDATE webhooks SET name = ?, url = ?, role = ?, events = ?, key_wrapped = ?, secret_ct = ?, paused = ?, updated_at = ? WHERE id = ?",
		w.Name, w.URL, w.Role, jsonList(w.Events), w.KeyWrapped, w.SecretSealed, boolInt(w.Paused), w.UpdatedAt.UnixMicro(), w.ID)
}

// DeleteWebhook removes a subscription and its deliveries.
func (tx *webhookRows) DeleteWebhook(ctx context.Context, id string) error {
	if _, err := tx.exec(ctx, "DELETE FROM webhook_deliveries WHERE webhook_id = ?", id); err != nil {
		return classify("store.DeleteWebhook", err)
	}
	return tx.updateOne(ctx, "store.DeleteWebhook", "DELETE FROM webhooks WHERE id = ?", id)
}

func scanWebhook(row interface{ Scan(...any) error }) (WebhookRow, error) {
	var w WebhookRow
	var events string
	var paused int
	var created, updated int64
	if err := row.Scan(&w.ID, &w.Name, &w.URL, &w.Role, &events, &w.KeyWrapped, &w.SecretSealed, &paused, &w.CreatedBy, &created, &updated); err != nil {
		return w, err
	}
	if err := json.Unmarshal([]byte(events), &w.Events); err != nil {
		return w, err
	}
	w.Paused, w.CreatedAt, w.UpdatedAt = paused != 0, fromMicro(created), fromMicro(updated)
	return w, nil
}

// WebhookByID returns one subscription.
func (tx *webhookRows) WebhookByID(ctx context.Context, id string) (WebhookRow, error) {
	w, err := scanWebhook(tx.queryRow(ctx, "SELECT "+webhookColumns+" FROM webhooks WHERE id = ?", id))
	return w, classify("store.WebhookByID", err)
}

// ListWebhooks returns every subscription, oldest first.
func (tx *webhookRows) ListWebhooks(ctx context.Context) ([]WebhookRow, error) {
	rows, err := tx.query(ctx, "SELECT "+webhookColumns+" FROM webhooks ORDER BY created_at, id")
	if err != nil {
		return nil, classify("store.ListWebhooks", err)
	}
	defer rows.Close()
	var out []WebhookRow
	for rows.Next() {
		w, err := scanWebhook(rows)
		if err != nil {
			return nil, classify("store.ListWebhooks", err)
		}
		out = append(out, w)
	}
	return out, classify("store.ListWebhooks", rows.Err())
}

const deliveryColumns = "id, webhook_id, event_type, audit_seq, object_id, status, attempts, status_code, error, latency_ms, next_at, created_at, updated_at"

// InsertDelivery queues a message.
func (tx *webhookRows) InsertDelivery(ctx context.Context, d DeliveryRow) error {
	_, err := tx.exec(ctx, "INSERT INTO webhook_deliveries ("+deliveryColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		d.ID, d.WebhookID, d.EventType, d.AuditSeq, d.ObjectID, d.Status, d.Attempts, d.StatusCode, d.Error, d.Latency.Milliseconds(),
		d.NextAt.UnixMicro(), d.CreatedAt.UnixMicro(), d.UpdatedAt.UnixMicro())
	return classify("store.InsertDelivery", err)
}

// UpdateDelivery records an attempt: status, attempts, answer, error,
// latency, next try.
func (tx *webhookRows) UpdateDelivery(ctx context.Context, d DeliveryRow) error {
	return tx.updateOne(ctx, "store.UpdateDelivery", "UPDATE webhook_deliveries SET status = ?, attempts = ?, status_code = ?, error = ?, latency_ms = ?, next_at = ?, updated_at = ? WHERE id = ?",
		d.Status, d.Attempts, d.StatusCode, d.Error, d.Latency.Milliseconds(), d.NextAt.UnixMicro(), d.UpdatedAt.UnixMicro(), d.ID)
}

func (tx *webhookRows) deliveries(ctx context.Context, op, where string, args ...any) ([]DeliveryRow, error) {
	rows, err := tx.query(ctx, "SELECT "+deliveryColumns+" FROM webhook_deliveries WHERE "+where, args...)
	if err != nil {
		return nil, classify(op, err)
	}
	defer rows.Close()
	var out []DeliveryRow
	for rows.Next() {
		var d DeliveryRow
		var ms, next, created, updated int64
		if err := rows.Scan(&d.ID, &d.WebhookID, &d.EventType, &d.AuditSeq, &d.ObjectID, &d.Status, &d.Attempts, &d.StatusCode, &d.Error, &ms, &next, &created, &updated); err != nil {
			return nil, classify(op, err)
		}
		d.Latency, d.NextAt, d.CreatedAt, d.UpdatedAt = time.Duration(ms)*time.Millisecond, fromMicro(next), fromMicro(created), fromMicro(updated)
		out = append(out, d)
	}
	return out, classify(op, rows.Err())
}

// DeliveryByID returns one message.
func (tx *webhookRows) DeliveryByID(ctx context.Context, id string) (DeliveryRow, error) {
	out, err := tx.deliveries(ctx, "store.DeliveryByID", "id = ?", id)
	if err != nil {
		return DeliveryRow{}, err
	}
	if len(out) == 0 {
		return DeliveryRow{}, classify("store.DeliveryByID", sql.ErrNoRows)
	}
	return out[0], nil
}

// DueDeliveries returns up to limit pending messages due at now, the
// longest waiting first.
func (tx *webhookRows) DueDeliveries(ctx context.Context, now time.Time, limit int) ([]DeliveryRow, error) {
	return tx.deliveries(ctx, "store.DueDeliveries", "status = ? AND next_at <= ? ORDER BY next_at, id LIMIT ?", DeliveryPending, now.UnixMicro(), limit)
}

// ListDeliveries returns a subscription's latest messages, newest first.
func (tx *webhookRows) ListDeliveries(ctx context.Context, webhookID string, limit int) ([]DeliveryRow, error) {
	return tx.deliveries(ctx, "store.ListDeliveries", "webhook_id = ? ORDER BY created_at DESC, id DESC LIMIT ?", webhookID, limit)
}
