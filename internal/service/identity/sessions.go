package identity

import (
	"context"
	"fmt"
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

// MaxSessions is how many sessions a user may have at once unless their
// roles' limits (core.Options.SessionLimits) say fewer; a new login beyond
// the limit ends the least recently used.
const MaxSessions = 10

// sessionLimit is the most sessions a holder of roles (as stored) may
// have at once: the smallest limit among their roles.
func (s *Sessions) sessionLimit(roles string) int {
	limit := MaxSessions
	for _, r := range authz.RolesOf(roles) {
		if n, ok := s.c.Sessions[string(r)]; ok {
			limit = min(limit, n)
		}
	}
	return limit
}

// SessionInfo describes a session for its user or an administrator. The
// device and address are the user's personal data, sealed under their key.
type SessionInfo struct {
	ID         string    `json:"id"`
	Current    bool      `json:"current"`
	Agent      string    `json:"user_agent"`
	IP         string    `json:"ip"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	ExpiresAt  time.Time `json:"expires_at"`
}

var errSessionNotFound = errs.E(errs.NotExist, "session not found")

func sessionPlace(id, column string) fieldcrypt.Place {
	return fieldcrypt.Place{Table: "sessions", Column: column, Row: id}
}

// sealSessionDevice seals a new session's user agent and address under
// the user's key.
func sealSessionDevice(key keyring.DataKey, sess *store.SessionRow, c Client) error {
	var err error
	if sess.AgentCT, err = fieldcrypt.Seal(key, sessionPlace(sess.ID, "agent_ct"), c.UserAgent); err != nil {
		return err
	}
	sess.IPCT, err = fieldcrypt.Seal(key, sessionPlace(sess.ID, "ip_ct"), c.IP)
	return err
}

// trimSessions ends the user's least recently used sessions beyond the
// limit of their roles, recording each end.
func (s *Sessions) trimSessions(ctx context.Context, tx sessionTrimmer, a authz.Actor, userID, roles string) error {
	sessions, err := tx.UserSessions(ctx, userID)
	if err != nil {
		return err
	}
	limit := s.sessionLimit(roles)
	for i := limit; i < len(sessions); i++ {
		if err := tx.DeleteSession(ctx, sessions[i].ID); err != nil {
			return err
		}
		if err := s.c.Record(ctx, tx, a, "session.delete", "session", sessions[i].ID, nil, audit.Success, fmt.Sprintf("over the limit of %d sessions", limit)); err != nil {
			return err
		}
	}
	return nil
}

// Sessions lists a user's sessions: one's own, or any user's for an
// administrator.
func (s *Sessions) Sessions(ctx context.Context, a authz.Actor, userID string) ([]SessionInfo, error) {
	if userID == "" {
		userID = a.UserID
	}
	if userID != a.UserID && !authz.Decide(a, authz.ActionUpdate, authz.Resource{Object: authz.ObjectUser}).Allowed {
		return nil, errs.E(errs.Permission, "you may see only your own sessions")
	}
	if !crm.ValidID(userID) {
		return nil, errs.E(errs.NotExist, "user not found")
	}
	var out []SessionInfo
	err := core.Change(ctx, s.c, sessionStoreOf, func(tx sessionStore) error {
		u, err := tx.UserByID(ctx, userID)
		if err != nil {
			return core.NotFound(err, "user")
		}
		key, err := s.c.Keys.OpenDataKey(u.ID, u.WrappedKey)
		if err != nil {
			return errs.Wrap(errs.Internal, "service.Sessions", "", err)
		}
		rows, err := tx.UserSessions(ctx, userID)
		if err != nil {
			return err
		}
		now := s.c.Now()
		for _, r := range rows {
			if !now.Before(r.ExpiresAt) || now.Sub(r.LastSeenAt) >= s.c.Idle {
				continue // ended; the purge removes it
			}
			info := SessionInfo{ID: r.ID, Current: r.ID == a.SessionID, CreatedAt: r.CreatedAt, LastSeenAt: r.LastSeenAt, ExpiresAt: r.ExpiresAt}
			if info.Agent, err = fieldcrypt.Open(key, sessionPlace(r.ID, "agent_ct"), r.AgentCT); err != nil {
				return errs.Wrap(errs.Internal, "service.Sessions", "", err)
			}
			if info.IP, err = fieldcrypt.Open(key, sessionPlace(r.ID, "ip_ct"), r.IPCT); err != nil {
				return errs.Wrap(errs.Internal, "service.Sessions", "", err)
			}
			out = append(out, info)
		}
		return s.c.Record(ctx, tx, a, "session.list", "user", userID, []string{"user_agent", "ip"}, audit.Success, fmt.Sprintf("%d sessions", len(out)))
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// EndSession ends one session: one's own, or any for an administrator.
// Like every way of ending other sessions it needs a fresh proof of the
// user (core.RequireStepUp), so that a stolen session cannot throw its owner
// out; logging out of one's own session needs none.
func (s *Sessions) EndSession(ctx context.Context, a authz.Actor, sessionID string) error {
	if !crm.ValidID(sessionID) {
		return errSessionNotFound
	}
	if err := s.c.RequireStepUp(a); err != nil {
		return err
	}
	return core.Change(ctx, s.c, sessionStoreOf, func(tx sessionStore) error {
		owner, err := tx.SessionOwner(ctx, sessionID)
		if errs.Is(err, errs.NotExist) {
			return errSessionNotFound
		}
		if err != nil {
			return err
		}
		if owner != a.UserID && !authz.Decide(a, authz.ActionUpdate, authz.Resource{Object: authz.ObjectUser}).Allowed {
			return errSessionNotFound // another user's session is not there for you
		}
		if err := tx.DeleteSession(ctx, sessionID); err != nil {
			return err
		}
		return s.c.Record(ctx, tx, a, "session.delete", "session", sessionID, nil, audit.Success, "ended by "+whose(owner, a))
	})
}

// EndOtherSessions ends all the actor's sessions but the current one.
func (s *Sessions) EndOtherSessions(ctx context.Context, a authz.Actor) (int, error) {
	if err := s.c.RequireStepUp(a); err != nil {
		return 0, err
	}
	n := 0
	err := core.Change(ctx, s.c, sessionStoreOf, func(tx sessionStore) error {
		var err error
		if n, err = endSessions(ctx, tx, a.UserID, a.SessionID); err != nil {
			return err
		}
		return s.c.Record(ctx, tx, a, "session.delete", "user", a.UserID, nil, audit.Success, fmt.Sprintf("ended %d other sessions", n))
	})
	return n, err
}

// EndUserSessions ends every session of a user (administrators), for
// example when their device was lost; the actor's own current session, if
// it is the user's, stays. Audited with the count.
func (s *Sessions) EndUserSessions(ctx context.Context, a authz.Actor, userID string) (int, error) {
	if err := core.May(a, authz.ActionUpdate, authz.ObjectUser, "you may not end other users' sessions"); err != nil {
		return 0, err
	}
	if !crm.ValidID(userID) {
		return 0, errs.E(errs.NotExist, "user not found")
	}
	if err := s.c.RequireStepUp(a); err != nil {
		return 0, err
	}
	n := 0
	err := core.Change(ctx, s.c, sessionStoreOf, func(tx sessionStore) error {
		if _, err := tx.UserByID(ctx, userID); err != nil {
			return core.NotFound(err, "user")
		}
		var err error
		if n, err = endSessions(ctx, tx, userID, a.SessionID); err != nil {
			return err
		}
		return s.c.Record(ctx, tx, a, "session.delete", "user", userID, nil, audit.Success, fmt.Sprintf("ended all %d sessions, by %s", n, whose(userID, a)))
	})
	return n, err
}

// EndAllSessions ends every session of every user but the actor's current
// one (administrators), e.g. after a breach; everyone logs in again.
// Audited with the count.
func (s *Sessions) EndAllSessions(ctx context.Context, a authz.Actor) (int, error) {
	if err := core.May(a, authz.ActionUpdate, authz.ObjectUser, "you may not end other users' sessions"); err != nil {
		return 0, err
	}
	if err := s.c.RequireStepUp(a); err != nil {
		return 0, err
	}
	var n int
	err := core.Change(ctx, s.c, sessionStoreOf, func(tx sessionStore) error {
		var err error
		if n, err = tx.DeleteSessionsExcept(ctx, a.SessionID); err != nil {
			return err
		}
		return s.c.Record(ctx, tx, a, "session.delete", "session", "", nil, audit.Success, fmt.Sprintf("ended every session of every user: %d", n))
	})
	return n, err
}

// endSessions deletes every session of userID but keep and counts them.
func endSessions(ctx context.Context, tx sessionStore, userID, keep string) (int, error) {
	rows, err := tx.UserSessions(ctx, userID)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, r := range rows {
		if r.ID == keep {
			continue
		}
		if err := tx.DeleteSession(ctx, r.ID); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

func whose(owner string, a authz.Actor) string {
	if owner == a.UserID {
		return "its user"
	}
	return "an administrator"
}

// outsideNetworks reports whether ip is outside the ranges of any of the
// stored roles that is limited to ranges.
func (s *Sessions) outsideNetworks(ctx context.Context, roles, ip string) (bool, error) {
	for _, r := range authz.RolesOf(roles) {
		nets, err := s.c.DB.RoleNetworks(ctx, string(r))
		if err != nil {
			return false, err
		}
		if !authz.FromNetworks(ip, nets) {
			return true, nil
		}
	}
	return false, nil
}

// checkNetwork refuses, and audits, a request by a user one of whose
// roles is limited to address ranges that do not hold the client's
// address.
func (s *Sessions) checkNetwork(ctx context.Context, userID, roles, sessionID, ip string) error {
	outside, err := s.outsideNetworks(ctx, roles, ip)
	if err != nil || !outside {
		return err
	}
	err = core.Change(ctx, s.c, sessionStoreOf, func(tx sessionStore) error {
		return s.c.Record(ctx, tx, authz.Actor{UserID: userID, SessionID: sessionID, IP: ip}, "session.network", "user", userID, nil, audit.Denied, "address outside the role's ranges")
	})
	if err != nil {
		return err
	}
	return errNetwork
}

// subTeams is the teams below team, for an actor.
func (s *Sessions) subTeams(ctx context.Context, team string) ([]string, error) {
	if team == "" {
		return nil, nil
	}
	parents, err := s.c.DB.TeamParents(ctx)
	if err != nil || len(parents) == 0 {
		return nil, err
	}
	return authz.SubTeams(team, parents), nil
}

var errNetwork = errs.E(errs.Permission, "your role may not be used from this network address; ask your administrator")

// sessionStore is what the methods in sessions.go read and write.
type sessionStore interface {
	sessionTrimmer
	DeleteSessionsExcept(ctx context.Context, keep string) (int, error)
	SessionOwner(ctx context.Context, id string) (string, error)
	UserByID(ctx context.Context, id string) (store.UserRow, error)
}

// sessionStoreOf is the compiler's check that the store has every method of sessionStore.
func sessionStoreOf(tx *store.Tx) sessionStore { return tx }

// sessionTrimmer is what trimSessions reads and deletes.
type sessionTrimmer interface {
	audit.Appender
	DeleteSession(ctx context.Context, id string) error
	UserSessions(ctx context.Context, userID string) ([]store.SessionRow, error)
}

var _ sessionTrimmer = (*store.Tx)(nil)
