package detect

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/mail"
	"strongroom.dev/strongroom/internal/store"
)

// Responder takes a rule's automatic response, through the service, as
// the system (audited there; an administrator undoes it by enabling the
// user again).
type Responder interface {
	StepUp(ctx context.Context, userID string) error
	EndSessions(ctx context.Context, userID string) error
	Lock(ctx context.Context, userID string) error
	Block(ctx context.Context, network, reason string) error
}

// runnerStore is what a Runner reads and writes.
type runnerStore interface {
	audit.Appender
	LockDetect(ctx context.Context) error
	DetectState(ctx context.Context) (int64, string, error)
	SaveDetectState(ctx context.Context, cursor int64, state string) error
	ListAudit(ctx context.Context, f store.AuditFilter) ([]audit.Event, error)
	InsertAlert(ctx context.Context, a store.AlertRow) error
	UserRoles(ctx context.Context) (map[string]string, error)
}

func runnerStoreOf(tx *store.Tx) runnerStore { return tx }

// privilegedRoles hold the rights whose use from a new network is worth
// an alert.
var privilegedRoles = []authz.Role{authz.RoleAdmin, authz.RoleAuditor, authz.RolePrivacy}

// batch is how many events one Step reads.
const batch = 5000

// placesOverlap is how far back each read of check-in places reaches
// before the last one read.
const placesOverlap = 5 * time.Minute

// Runner feeds the audit log to an Engine as it grows, stores the alerts
// (each recorded in the log as alert.raise) and takes their responses.
// Several servers may run one each: a lock lets one at a time read, and
// each reloads the saved state when another has moved on.
type Runner struct {
	DB      *store.DB
	Config  Config
	Respond Responder // nil: no automatic responses
	Log     *slog.Logger
	Now     func() time.Time
	// Mail, Contacts and Link: each batch of new alerts is emailed to the
	// security contacts, with a link to the security page (Link is the
	// web UI's address). No mail without all three.
	Mail     Mailer
	Contacts []string
	Link     string
	// Hook, if set, gets each batch of new alerts as a signed webhook
	// (event "alert.raise"), sent in the background.
	Hook Hook
	// Places, if set, gives the check-in places made since a time, for
	// impossible_travel.
	Places PlaceSource

	engine *Engine
	cursor int64
}

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// PlaceSource gives the check-in places made after since, oldest first
// (ServicePlaces).
type PlaceSource interface {
	CheckInPlaces(ctx context.Context, since time.Time) ([]Place, error)
}

// Step reads the next events, up to batch of them, and the check-in
// places made since the last step. It returns the alerts raised and
// whether more events are waiting.
func (r *Runner) Step(ctx context.Context) ([]store.AlertRow, bool, error) {
	var raised, fresh []store.AlertRow
	var more bool
	var engine *Engine
	var cursor int64
	// Places are read before the transaction (they come through the
	// service, which opens its own), from where the engine in hand stopped;
	// the first step only loads the engine.
	var places []Place
	if r.Places != nil && r.engine != nil {
		// With an overlap: a check-in's time is its server's clock when it
		// began, so one committed late may be older than the last read.
		var err error
		if places, err = r.Places.CheckInPlaces(ctx, r.engine.State.PlacesSince.Add(-placesOverlap)); err != nil {
			places = nil // the other detectors go on; the places are read next time
			if r.Log != nil {
				r.Log.Warn("detect: reading check-in places failed", slog.String("error", err.Error()))
			}
		}
	}
	err := r.DB.WithTx(ctx, func(t *store.Tx) error {
		tx := runnerStoreOf(t)
		if err := tx.LockDetect(ctx); err != nil {
			return err
		}
		saved, state, err := tx.DetectState(ctx)
		if err != nil {
			return err
		}
		engine, cursor = r.engine, r.cursor
		if engine == nil || cursor != saved {
			engine, cursor = NewEngine(r.Config), saved
			if state != "" {
				var s State
				if err := json.Unmarshal([]byte(state), &s); err != nil {
					return fmt.Errorf("detect: saved state: %w", err)
				}
				engine.Restore(s)
			}
		}
		roles, err := tx.UserRoles(ctx)
		if err != nil {
			return err
		}
		engine.Privileged = func(id string) bool {
			return slices.ContainsFunc(authz.RolesOf(roles[id]), func(r authz.Role) bool { return slices.Contains(privilegedRoles, r) })
		}
		events, err := tx.ListAudit(ctx, store.AuditFilter{AfterSeq: cursor, Limit: batch})
		if err != nil {
			return err
		}
		more = len(events) == batch
		now := r.now().UTC()
		var record []audit.Event
		raise := func(alerts []Alert) error {
			for _, a := range alerts {
				row := store.AlertRow{ID: crm.NewID("alr"), Rule: a.Rule, Severity: a.Severity, UserID: a.UserID, Network: a.Network, Summary: a.Summary,
					Seqs: a.Seqs, Response: a.Response, Status: "open", CreatedAt: now, UpdatedAt: now}
				if err := tx.InsertAlert(ctx, row); err != nil {
					return err
				}
				raised = append(raised, row)
				// Only what happened lately is acted on and sent: a first
				// run over an old log, or a long backlog, raises its alerts
				// quietly.
				if now.Sub(a.At) <= max(r.Config[a.Rule].Window, time.Hour) {
					fresh = append(fresh, row)
				}
				record = append(record, audit.Event{ActorID: authz.SystemUserID, Action: "alert.raise", ObjectType: "alert", ObjectID: row.ID, Outcome: audit.Success,
					Reason: fmt.Sprintf("%s (%s): %s", a.Rule, a.Severity, a.Summary)})
			}
			return nil
		}
		for _, ev := range events {
			if err := raise(engine.Observe(ev)); err != nil {
				return err
			}
			cursor = ev.Seq
		}
		for _, p := range places { // one seen already is ignored by ObservePlace
			if err := raise(engine.ObservePlace(p)); err != nil {
				return err
			}
			if p.At.After(engine.State.PlacesSince) {
				engine.State.PlacesSince = p.At
			}
		}
		state, err = encodeState(engine.State)
		if err != nil {
			return err
		}
		if err := tx.SaveDetectState(ctx, cursor, state); err != nil {
			return err
		}
		return audit.Append(ctx, tx, now, record...)
	})
	if err != nil {
		r.engine = nil // reload from what was saved
		return nil, false, err
	}
	r.engine, r.cursor = engine, cursor
	r.respond(ctx, fresh)
	r.notify(fresh)
	r.post(ctx, fresh)
	return raised, more, nil
}

// Hook sends a signed event (webhook.Sender).
type Hook interface {
	Send(ctx context.Context, event string, data any) error
}

// post sends new alerts to the webhook without holding up the detectors;
// a delivery that fails after its retries is logged.
func (r *Runner) post(ctx context.Context, raised []store.AlertRow) {
	if r.Hook == nil || len(raised) == 0 {
		return
	}
	type alert struct {
		ID       string    `json:"id"`
		Rule     string    `json:"rule"`
		Severity string    `json:"severity"`
		UserID   string    `json:"user_id,omitempty"`
		Network  string    `json:"network,omitempty"`
		Summary  string    `json:"summary"`
		Seqs     []int64   `json:"seqs"`
		Response string    `json:"response,omitempty"`
		At       time.Time `json:"at"`
	}
	data := make([]alert, 0, len(raised))
	for _, a := range raised {
		data = append(data, alert{a.ID, a.Rule, a.Severity, a.UserID, a.Network, a.Summary, a.Seqs, a.Response, a.CreatedAt})
	}
	go func() {
		if err := r.Hook.Send(context.WithoutCancel(ctx), "alert.raise", data); err != nil && r.Log != nil {
			r.Log.Error("detect: the alert webhook failed", slog.String("error", err.Error()))
		}
	}()
}

// Mailer queues email (mail.Queue).
type Mailer interface {
	Enqueue(m mail.Message) bool
}

// notify emails the security contacts about new alerts: rule, severity,
// summary (ids, counts, addresses; never a personal value) and where to
// handle them.
func (r *Runner) notify(raised []store.AlertRow) {
	if len(raised) == 0 || r.Mail == nil || len(r.Contacts) == 0 {
		return
	}
	subject := fmt.Sprintf("Strongroom security alert: %s (%s)", raised[0].Rule, raised[0].Severity)
	if len(raised) > 1 {
		subject = fmt.Sprintf("Strongroom: %d security alerts", len(raised))
	}
	var b strings.Builder
	b.WriteString("The detectors raised these alerts from the audit log:\n\n")
	for _, a := range raised {
		fmt.Fprintf(&b, "- %s (%s): %s\n", a.Rule, a.Severity, a.Summary)
		if a.Response != "" {
			fmt.Fprintf(&b, "  done automatically: %s\n", a.Response)
		}
	}
	fmt.Fprintf(&b, "\nAcknowledge or close them on the security page:\n\n%s/security\n", strings.TrimSuffix(r.Link, "/"))
	for _, to := range r.Contacts {
		if !r.Mail.Enqueue(mail.Message{To: to, Subject: subject, Body: b.String()}) && r.Log != nil {
			r.Log.Error("detect: the alert email could not be queued", slog.String("to", to))
		}
	}
}

func encodeState(s State) (string, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return "", fmt.Errorf("detect: state: %w", err)
	}
	return string(b), nil
}

// respond takes the responses the alerts' rules ask for.
func (r *Runner) respond(ctx context.Context, raised []store.AlertRow) {
	if r.Respond == nil {
		return
	}
	for _, a := range raised {
		var err error
		switch {
		case a.Response == RespondStepUp && a.UserID != "":
			err = r.Respond.StepUp(ctx, a.UserID)
		case a.Response == RespondEndSessions && a.UserID != "":
			err = r.Respond.EndSessions(ctx, a.UserID)
		case a.Response == RespondLock && a.UserID != "":
			err = r.Respond.Lock(ctx, a.UserID)
		case a.Response == RespondBlock && a.Network != "":
			err = r.Respond.Block(ctx, a.Network, "alert "+a.ID+" ("+a.Rule+")")
		}
		if err != nil && r.Log != nil {
			r.Log.Error("detect: response failed", slog.String("alert", a.ID), slog.String("response", a.Response), slog.String("error", err.Error()))
		}
	}
}

// Run steps every interval (sooner while a backlog remains) until ctx
// ends.
func (r *Runner) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		for {
			raised, more, err := r.Step(ctx)
			if err != nil {
				if r.Log != nil && ctx.Err() == nil {
					r.Log.Error("detect: reading the audit log failed", slog.String("error", err.Error()))
				}
				break
			}
			for _, a := range raised {
				if r.Log != nil {
					r.Log.Warn("security alert", slog.String("id", a.ID), slog.String("rule", a.Rule), slog.String("severity", a.Severity), slog.String("summary", a.Summary))
				}
			}
			if !more {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
