// Package hookrun delivers webhooks: run by serve as a background job, one
// server at a time (a PostgreSQL advisory lock), it queues a message for
// each new audit event a subscription asks for (service/hooks.Enqueue,
// from a saved cursor), then sends the messages that are due. Each
// payload is read through the service as the subscription's reader (a
// system actor holding only its role), so it carries only what that role
// may read, and the read is audited; it is built afresh at each attempt and
// never stored. Messages are signed the Standard Webhooks way
// (internal/webhook) and sent with a client that dials only addresses the
// guard allows and follows no redirect; a failure is retried after
// hooks.Waits and then marked failed.
package hookrun

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/netguard"
	"strongroom.dev/strongroom/internal/service"
	"strongroom.dev/strongroom/internal/service/hooks"
	"strongroom.dev/strongroom/internal/webhook"
)

// Runner sends the webhooks of one Strongroom.
type Runner struct {
	Svc    *service.Service
	Client *http.Client // a webhook.GuardedClient
	Log    *slog.Logger
}

// New returns a runner whose client dials only what guard allows (roots
// nil: the system's certificate authorities).
func New(svc *service.Service, guard netguard.Guard, log *slog.Logger) *Runner {
	return &Runner{Svc: svc, Client: webhook.GuardedClient(guard, 10*time.Second, nil), Log: log}
}

// Message is the body of a webhook, as Standard Webhooks suggests.
type Message struct {
	Type      string    `json:"type"`
	Timestamp time.Time `json:"timestamp"`
	Data      any       `json:"data"`
}

// Step queues what new events call for and sends what is due, if this
// server holds the lock; it returns how many messages it attempted.
func (r *Runner) Step(ctx context.Context) (int, error) {
	release, ok := r.Svc.Hooks.Lock(ctx)
	if !ok {
		return 0, nil
	}
	defer release()
	sys := authz.System()
	for {
		_, more, err := r.Svc.Hooks.Enqueue(ctx, sys)
		if err != nil {
			return 0, err
		}
		if !more {
			break
		}
	}
	jobs, err := r.Svc.Hooks.Due(ctx, sys, 50)
	if err != nil {
		return 0, err
	}
	for _, j := range jobs {
		if err := r.deliver(ctx, j); err != nil {
			return 0, err
		}
	}
	return len(jobs), nil
}

// Run steps every interval until ctx ends, logging failures.
func (r *Runner) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := r.Step(ctx); err != nil && ctx.Err() == nil && r.Log != nil {
			r.Log.Error("webhook delivery failed; retrying", slog.String("error", err.Error()))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// deliver makes one attempt at a message and records it.
func (r *Runner) deliver(ctx context.Context, j hooks.Job) error {
	sys := authz.System()
	data, err := r.payload(ctx, j)
	if errs.Is(err, errs.NotExist) || errs.Is(err, errs.Permission) {
		_, err = r.Svc.Hooks.Finish(ctx, sys, j.ID, hooks.Result{Skipped: true, Err: "the subscription's role may not read this record, or it is gone"})
		return err
	}
	if err != nil {
		return err
	}
	now := time.Now()
	body, err := json.Marshal(Message{Type: j.EventType, Timestamp: now.UTC(), Data: data})
	if err != nil {
		return err
	}
	secret, err := webhook.ParseSecret(j.Secret)
	if err != nil {
		return err
	}
	res := r.post(ctx, j.URL, secret, j.ID, now, body)
	_, err = r.Svc.Hooks.Finish(ctx, sys, j.ID, res)
	return err
}

func (r *Runner) post(ctx context.Context, url string, secret []byte, id string, at time.Time, body []byte) hooks.Result {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return hooks.Result{Err: "bad destination"}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Strongroom-Webhooks/1")
	webhook.SetHeaders(req.Header, secret, id, at, body)
	start := time.Now()
	resp, err := r.Client.Do(req)
	latency := time.Since(start)
	if err != nil {
		msg := "no answer: " + err.Error()
		if errors.Is(err, netguard.ErrRefused) {
			msg = "refused: the destination resolved to a special-purpose address (allow its range with --webhook-allow)"
		}
		return hooks.Result{Err: msg, Latency: latency}
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	res := hooks.Result{StatusCode: resp.StatusCode, Latency: latency}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		res.Err = fmt.Sprintf("answered %d", resp.StatusCode)
	}
	return res
}

// payload reads what a message carries, as the subscription's reader.
func (r *Runner) payload(ctx context.Context, j hooks.Job) (any, error) {
	switch j.EventType {
	case hooks.TestEvent:
		return map[string]string{"webhook_id": j.WebhookID, "message": "a test message from Strongroom"}, nil
	case hooks.CustomerCreated, hooks.CustomerUpdated:
		c, err := r.Svc.Customers.Customer(ctx, j.Reader, j.ObjectID)
		if err != nil {
			return nil, err
		}
		return customer{ID: c.ID, OwnerID: c.OwnerID, CompanyID: c.CompanyID, Fields: c.Fields, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}, nil
	case hooks.DealStageChanged:
		v, err := r.Svc.Deals.Deal(ctx, j.Reader, j.ObjectID)
		if err != nil {
			return nil, err
		}
		d := v.Deal
		return deal{ID: d.ID, CustomerID: d.CustomerID, OwnerID: d.OwnerID, Stage: d.Stage, Probability: d.Probability, Title: d.Title,
			Amount: d.Amount, Currency: d.Currency, ExpectedClose: d.ExpectedClose, UpdatedAt: d.UpdatedAt}, nil
	case hooks.VisitCheckedIn:
		v, err := r.Svc.Visits.Visit(ctx, j.Reader, j.ObjectID)
		if err != nil {
			return nil, err
		}
		return visit{ID: v.ID, CompanyID: v.CompanyID, StoreName: v.StoreName, RepID: v.RepID, PlannedFor: v.PlannedFor, CheckinAt: v.CheckinAt}, nil
	case hooks.AlertRaised:
		return r.Svc.Hooks.AlertFor(ctx, j.Reader, j.ObjectID)
	}
	return nil, errs.E(errs.NotExist, "unknown event type "+j.EventType)
}

// customer is a customer as a webhook carries it: only the fields the
// subscription's role may read (masked ones masked).
type customer struct {
	ID        string            `json:"id"`
	OwnerID   string            `json:"owner_id"`
	CompanyID string            `json:"company_id,omitempty"`
	Fields    map[string]string `json:"fields"`
	CreatedAt time.Time         `json:"created_at"`
	UpdatedAt time.Time         `json:"updated_at"`
}

type deal struct {
	ID            string    `json:"id"`
	CustomerID    string    `json:"customer_id"`
	OwnerID       string    `json:"owner_id"`
	Stage         string    `json:"stage"`
	Probability   int       `json:"probability"`
	Title         string    `json:"title,omitempty"`
	Amount        *int64    `json:"amount,omitempty"`
	Currency      string    `json:"currency,omitempty"`
	ExpectedClose string    `json:"expected_close,omitempty"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// visit is a visit as a webhook carries it: never the places of check-in
// and check-out (the rep's personal data), nor notes and photos.
type visit struct {
	ID         string     `json:"id"`
	CompanyID  string     `json:"company_id"`
	StoreName  string     `json:"store_name,omitempty"`
	RepID      string     `json:"rep_id"`
	PlannedFor string     `json:"planned_for"`
	CheckinAt  *time.Time `json:"checkin_at,omitempty"`
}
