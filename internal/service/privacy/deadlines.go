package privacy

import (
	"context"
	"fmt"
	"strings"
	"time"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service/core"
	"strongroom.dev/strongroom/internal/store"
)

// ReminderWindow is how long before its deadline an open request is
// reminded of.
const ReminderWindow = 3 * 24 * time.Hour

// CheckDeadlines raises an alert (rule request_due; on the security page)
// for each open request due within ReminderWindow or overdue that has not
// had one, and emails its handler when one is assigned and mail is
// configured. Each request is reminded once, however often it runs and
// however many servers run it (compare and set on the request). It runs as
// the system; serve calls it every hour. Audited (alert.raise and
// request.remind). It returns how many alerts it raised.
func (s *Requests) CheckDeadlines(ctx context.Context) (int, error) {
	now := s.c.Now()
	var due []store.RequestRow
	err := core.Look(ctx, s.c, deadlineStoreOf, func(tx deadlineStore) error {
		var err error
		due, err = tx.RequestsDue(ctx, now.Add(ReminderWindow))
		return err
	})
	if err != nil || len(due) == 0 {
		return 0, err
	}
	sys := authz.System()
	var mails []struct {
		to store.UserRow
		r  crm.Request
	}
	raised := 0
	err = core.Change(ctx, s.c, deadlineStoreOf, func(tx deadlineStore) error {
		for _, r := range due {
			// Compare and set: of two servers checking at once, one raises.
			if err := tx.SetRequestReminded(ctx, r.ID, now); errs.Is(err, errs.NotExist) {
				continue
			} else if err != nil {
				return err
			}
			when, severity := "is due "+r.DueAt.UTC().Format(time.DateOnly), "medium"
			if now.After(r.DueAt) {
				when, severity = "was due "+r.DueAt.UTC().Format(time.DateOnly), "high"
			}
			who := "nobody is assigned"
			if r.Assignee != "" {
				who = "assigned to " + r.Assignee
			}
			summary := fmt.Sprintf("Data-subject request %s (%s under %s) %s; %s (see /privacy/requests/%s)", r.ID, r.Kind, strings.ToUpper(r.Law), when, who, r.ID)
			alert := store.AlertRow{ID: crm.NewID("alr"), Rule: "request_due", Severity: severity, Summary: summary, Status: "open", CreatedAt: now, UpdatedAt: now}
			if err := tx.InsertAlert(ctx, alert); err != nil {
				return err
			}
			if err := s.c.Append(ctx, tx,
				core.Event(sys, "alert.raise", "alert", alert.ID, nil, audit.Success, "request_due ("+severity+"): "+summary),
				core.Event(sys, "request.remind", "request", r.ID, nil, audit.Success, when+", "+who)); err != nil {
				return err
			}
			raised++
			if r.Assignee == "" {
				continue
			}
			if u, err := tx.UserByID(ctx, r.Assignee); err == nil && !u.Disabled {
				mails = append(mails, struct {
					to store.UserRow
					r  crm.Request
				}{u, requestOf(r)})
			}
		}
		return nil
	})
	if err == nil {
		for _, m := range mails {
			s.mailHandler(m.to, "request_due", m.r)
		}
	}
	return raised, err
}

// deadlineStore is what the methods in deadlines.go read and write.
type deadlineStore interface {
	audit.Appender
	RequestsDue(ctx context.Context, before time.Time) ([]store.RequestRow, error)
	SetRequestReminded(ctx context.Context, id string, at time.Time) error
	InsertAlert(ctx context.Context, a store.AlertRow) error
	UserByID(ctx context.Context, id string) (store.UserRow, error)
}

// deadlineStoreOf is the compiler's check that the store has every method of deadlineStore.
func deadlineStoreOf(tx *store.Tx) deadlineStore { return tx }
