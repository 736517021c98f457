package identity

import (
	"context"
	"fmt"
	"time"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/fieldcrypt"
	"strongroom.dev/strongroom/internal/keyring"
	"strongroom.dev/strongroom/internal/service/core"
	"strongroom.dev/strongroom/internal/store"
)

// ActiveSession is a session in use now, as administrators watch it.
type ActiveSession struct {
	ID         string         `json:"id"`
	UserID     string         `json:"user_id"`
	Email      string         `json:"email"`
	Role       string         `json:"role"`
	Disabled   bool           `json:"disabled"`
	Agent      string         `json:"user_agent"`
	IP         string         `json:"ip"`
	CreatedAt  time.Time      `json:"created_at"`
	LastSeenAt time.Time      `json:"last_seen_at"`
	Current    bool           `json:"current"` // the watcher's own
	Recent     []RecentAction `json:"recent"`  // the session's last actions, newest first
}

// RecentAction is one of a session's last audited actions.
type RecentAction struct {
	At         time.Time `json:"at"`
	Action     string    `json:"action"`
	ObjectType string    `json:"object_type,omitempty"`
	ObjectID   string    `json:"object_id,omitempty"`
	Outcome    string    `json:"outcome"`
}

// recentActions is how many of a session's last actions are shown.
const recentActions = 3

// ActiveSessions lists every session used within the idle timeout and
// not expired, across all users, for administrators (who may manage
// users): who, role, device, address, since when, the last request and the
// last actions. Audited, naming what it showed.
func (s *Sessions) ActiveSessions(ctx context.Context, a authz.Actor) ([]ActiveSession, error) {
	if err := core.May(a, authz.ActionUpdate, authz.ObjectUser, "you may not watch other users' sessions"); err != nil {
		return nil, err
	}
	var out []ActiveSession
	err := core.Change(ctx, s.c, liveStoreOf, func(tx liveStore) error {
		now := s.c.Now()
		rows, err := tx.ActiveSessions(ctx, now.Add(-s.c.Idle), now)
		if err != nil {
			return err
		}
		// Each user is read and opened once, however many sessions they have.
		type opened struct {
			row   store.UserRow
			email string
			key   keyring.DataKey
		}
		users := map[string]*opened{}
		for _, r := range rows {
			o, ok := users[r.UserID]
			if !ok {
				u, err := tx.UserByID(ctx, r.UserID)
				if errs.Is(err, errs.NotExist) {
					continue
				} else if err != nil {
					return err
				}
				user, err := s.c.OpenUser(u)
				if err != nil {
					return err
				}
				key, err := s.c.Keys.OpenDataKey(u.ID, u.WrappedKey)
				if err != nil {
					return errs.Wrap(errs.Internal, "service.ActiveSessions", "", err)
				}
				o = &opened{row: u, email: user.Email, key: key}
				users[r.UserID] = o
			}
			u, key := o.row, o.key
			as := ActiveSession{ID: r.ID, UserID: u.ID, Email: o.email, Role: u.Role, Disabled: u.Disabled, CreatedAt: r.CreatedAt, LastSeenAt: r.LastSeenAt, Current: r.ID == a.SessionID}
			if as.Agent, err = fieldcrypt.Open(key, sessionPlace(r.ID, "agent_ct"), r.AgentCT); err != nil {
				return errs.Wrap(errs.Internal, "service.ActiveSessions", "", err)
			}
			if as.IP, err = fieldcrypt.Open(key, sessionPlace(r.ID, "ip_ct"), r.IPCT); err != nil {
				return errs.Wrap(errs.Internal, "service.ActiveSessions", "", err)
			}
			events, err := tx.SessionEvents(ctx, u.ID, r.ID, recentActions)
			if err != nil {
				return err
			}
			for _, e := range events {
				as.Recent = append(as.Recent, RecentAction{At: e.At, Action: e.Action, ObjectType: e.ObjectType, ObjectID: e.ObjectID, Outcome: e.Outcome})
			}
			out = append(out, as)
		}
		return s.c.Record(ctx, tx, a, "session.list_active", "session", "", []string{"email", "user_agent", "ip"}, audit.Success, fmt.Sprintf("%d sessions of %d users", len(out), len(users)))
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// liveStore is what the methods in live.go read and write.
type liveStore interface {
	audit.Appender
	ActiveSessions(ctx context.Context, seenSince, now time.Time) ([]store.SessionRow, error)
	SessionEvents(ctx context.Context, actorID, sessionID string, n int) ([]audit.Event, error)
	UserByID(ctx context.Context, id string) (store.UserRow, error)
}

// liveStoreOf is the compiler's check that the store has every method of liveStore.
func liveStoreOf(tx *store.Tx) liveStore { return tx }
