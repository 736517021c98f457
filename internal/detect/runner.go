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
//
// With the engine in hand, the events are read and observed in a
// read-only transaction and the writer, which every audited request waits
// on, is held only to store the alerts and the state (reading 5,000 events
// under it stalled every request for 25–40 ms); if another server moved
// the saved state on meanwhile, nothing is stored and the next step
// reloads. The first step, and one after such a conflict, loads the
// engine and reads under the lock.
func (r *Runner) Step(ctx context.Context) ([]store.AlertRow, bool, error) {
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
	var s step
	var err error
	if r.engine != nil {
		s, err = r.stepAhead(ctx, places)
	} else {
		s, err = r.stepLocked(ctx, places)
	}
	if err != nil {
		r.engine = nil // reload from what was saved
		return nil, false, err
	}
	if s.engine == nil {
		r.engine = nil // another server moved on: the next step reloads
		return nil, true, nil
	}
	r.engine, r.cursor = s.engine, s.cursor
	r.respond(ctx, s.fresh)
	r.notify(s.fresh)
	r.post(ctx, s.fresh)
	return s.raised, s.more, nil
}

// step is one Step's work: the engine after it, the alerts it raised
// (fresh: those recent enough to act on), the events recording them, and
// the state to save.
type step struct {
	engine        *Engine // nil: another server moved on; reload
	cursor        int64
	more          bool
	raised, fresh []store.AlertRow
	record        []audit.Event
	state         string
}

// stepAhead reads and observes in a read-only transaction, then stores
// under the lock if the saved cursor is still the engine's.
func (r *Runner) stepAhead(ctx context.Context, places []Place) (step, error) {
	engine, from := r.engine, r.cursor
	var s step
	err := r.DB.ReadTx(ctx, func(t *store.Tx) error {
		var err error
		s, err = r.observe(ctx, runnerStoreOf(t), engine, from, places)
		return err
	})
	if err != nil {
		return step{}, err
	}
	if s.cursor == from && len(places) == 0 {
		return s, nil // nothing new: nothing to store, and no write transaction every second
	}
	err = r.DB.WithTx(ctx, func(t *store.Tx) error {
		tx := runnerStoreOf(t)
		if err := tx.LockDetect(ctx); err != nil {
			return err
		}
		saved, _, err := tx.DetectState(ctx)
		if err != nil {
			return err
		}
		if saved != from {
			s = step{more: true} // observed from a stale cursor: nothing stored
			return nil
		}
		return r.save(ctx, tx, s)
	})
	return s, err
}

// stepLocked loads the saved engine and does the whole step under the lock.
func (r *Runner) stepLocked(ctx context.Context, places []Place) (step, error) {
	var s step
	err := r.DB.WithTx(ctx, func(t *store.Tx) error {
		tx := runnerStoreOf(t)
		if err := tx.LockDetect(ctx); err != nil {
			return err
		}
		saved, state, err := tx.DetectState(ctx)
		if err != nil {
			return err
		}
		engine := NewEngine(r.Config)
		if state != "" {
			var st State
			if err := json.Unmarshal([]byte(state), &st); err != nil {
				return fmt.Errorf("detect: saved state: %w", err)
			}
			engine.Restore(st)
		}
		if s, err = r.observe(ctx, tx, engine, saved, places); err != nil {
			return err
		}
		return r.save(ctx, tx, s)
	})
	return s, err
}

// observe feeds engine the events after cursor (up to batch) and places;
// it changes engine and writes nothing.
func (r *Runner) observe(ctx context.Context, tx runnerStore, engine *Engine, cursor int64, places []Place) (step, error) {
	s := step{engine: engine, cursor: cursor}
	roles, err := tx.UserRoles(ctx)
	if err != nil {
		return s, err
	}
	engine.Privileged = func(id string) bool {
		return slices.ContainsFunc(authz.RolesOf(roles[id]), func(r authz.Role) bool { return slices.Contains(privilegedRoles, r) })
	}
	events, err := tx.ListAudit(ctx, store.AuditFilter{AfterSeq: cursor, Limit: batch})
	if err != nil {
		return s, err
	}
	s.more = len(events) == batch
	now := r.now().UTC()
	raise := func(alerts []Alert) {
		for _, a := range alerts {
			row := store.AlertRow{ID: crm.NewID("alr"), Rule: a.Rule, Severity: a.Severity, UserID: a.UserID, Network: a.Network, Summary: a.Summary,
				Seqs: a.Seqs, Response: a.Response, Status: "open", CreatedAt: now, UpdatedAt: now}
			s.raised = append(s.raised, row)
			// Only what happened lately is acted on and sent: a first
			// run over an old log, or a long backlog, raises its alerts
			// quietly.
			if now.Sub(a.At) <= max(r.Config[a.Rule].Window, time.Hour) {
				s.fresh = append(s.fresh, row)
			}
			s.record = append(s.record, audit.Event{ActorID: authz.SystemUserID, Action: "alert.raise", ObjectType: "alert", ObjectID: row.ID, Outcome: audit.Success,
				Reason: fmt.Sprintf("%s (%s): %s", a.Rule, a.Severity, a.Summary)})
		}
	}
	for _, ev := range events {
		raise(engine.Observe(ev))
		s.cursor = ev.Seq
	}
	for _, p := range places { // one seen already is ignored by ObservePlace
		raise(engine.ObservePlace(p))
		if p.At.After(engine.State.PlacesSince) {
			engine.State.PlacesSince = p.At
		}
	}
	s.state, err = encodeState(engine.State)
	return s, err
}

// save stores a step's alerts, the state and the events recording them.
func (r *Runner) save(ctx context.Context, tx runnerStore, s step) error {
	for _, row := range s.raised {
		if err := tx.InsertAlert(ctx, row); err != nil {
			return err
		}
	}
	if err := tx.SaveDetectState(ctx, s.cursor, s.state); err != nil {
		return err
	}
	return audit.Append(ctx, tx, r.now().UTC(), s.record...)
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
