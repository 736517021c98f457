package governance

import (
	"context"
	"time"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service/core"
	"strongroom.dev/strongroom/internal/store"
)

// Alert is one alert raised by a detector (internal/detect): ids, counts
// and addresses, never a personal value.
type Alert struct {
	ID        string    `json:"id"`
	Rule      string    `json:"rule"`
	Severity  string    `json:"severity"`
	UserID    string    `json:"user_id,omitempty"`
	Network   string    `json:"network,omitempty"`
	Summary   string    `json:"summary"`
	Seqs      []int64   `json:"seqs"` // the audit events behind it
	Response  string    `json:"response,omitempty"`
	Status    string    `json:"status"` // open, acknowledged, closed
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	UpdatedBy string    `json:"updated_by,omitempty"`
}

// AlertStatuses are the states an alert moves between.
var AlertStatuses = []string{"open", "acknowledged", "closed"}

func alertOf(r store.AlertRow) Alert {
	return Alert{ID: r.ID, Rule: r.Rule, Severity: r.Severity, UserID: r.UserID, Network: r.Network, Summary: r.Summary, Seqs: r.Seqs,
		Response: r.Response, Status: r.Status, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, UpdatedBy: r.UpdatedBy}
}

// Alerts lists alerts with status ("" for every status), newest first, to
// those who may read the audit log. Audited.
func (s *AuditLog) Alerts(ctx context.Context, a authz.Actor, status string, limit int) ([]Alert, error) {
	if err := core.May(a, authz.ActionRead, authz.ObjectAudit, "you may not read security alerts"); err != nil {
		return nil, err
	}
	if status != "" && !validStatus(status) {
		return nil, errs.InvalidField("status", "status must be open, acknowledged or closed")
	}
	switch {
	case limit == 0:
		limit = 100
	case limit < 0 || limit > 1000:
		return nil, errs.InvalidField("limit", "limit must be between 1 and 1000")
	}
	var out []Alert
	err := core.Change(ctx, s.c, alertStoreOf, func(tx alertStore) error {
		rows, err := tx.ListAlerts(ctx, status, limit)
		if err != nil {
			return err
		}
		out = make([]Alert, 0, len(rows))
		for _, r := range rows {
			out = append(out, alertOf(r))
		}
		return s.c.Record(ctx, tx, a, "alert.list", "alert", "", nil, audit.Success, status)
	})
	return out, err
}

// SetAlertStatus acknowledges, closes or reopens an alert. It takes an
// administrator (one who may manage users, since the response to an
// alert is theirs) who may also read the audit log. Audited.
func (s *AuditLog) SetAlertStatus(ctx context.Context, a authz.Actor, id, status string) (Alert, error) {
	if err := core.May(a, authz.ActionRead, authz.ObjectAudit, "you may not handle security alerts"); err != nil {
		return Alert{}, err
	}
	if err := core.May(a, authz.ActionUpdate, authz.ObjectUser, "you may not handle security alerts"); err != nil {
		return Alert{}, err
	}
	if !validStatus(status) {
		return Alert{}, errs.InvalidField("status", "status must be open, acknowledged or closed")
	}
	if !crm.ValidID(id) {
		return Alert{}, errs.E(errs.NotExist, "alert not found")
	}
	var out Alert
	err := core.Change(ctx, s.c, alertStoreOf, func(tx alertStore) error {
		before, err := tx.AlertByID(ctx, id)
		if err != nil {
			return core.NotFound(err, "alert")
		}
		now := s.c.Now()
		if err := tx.SetAlertStatus(ctx, id, status, a.UserID, now); err != nil {
			return err
		}
		before.Status, before.UpdatedBy, before.UpdatedAt = status, a.UserID, now
		out = alertOf(before)
		return s.c.Record(ctx, tx, a, "alert."+status, "alert", id, []string{"status"}, audit.Success, "")
	})
	return out, err
}

func validStatus(s string) bool {
	for _, x := range AlertStatuses {
		if s == x {
			return true
		}
	}
	return false
}

// alertStore is what the methods in alerts.go read and write.
type alertStore interface {
	audit.Appender
	ListAlerts(ctx context.Context, status string, limit int) ([]store.AlertRow, error)
	AlertByID(ctx context.Context, id string) (store.AlertRow, error)
	SetAlertStatus(ctx context.Context, id, status, by string, at time.Time) error
}

// alertStoreOf is the compiler's check that the store has every method of alertStore.
func alertStoreOf(tx *store.Tx) alertStore { return tx }
