// Package identity holds the use cases on who someone is: staff accounts,
// invitations and reset links, login and lockout, sessions, passwords,
// second factors (authenticator apps, recovery codes, passkeys) and step-up.
// Each type holds the shared core (service/core) and nothing else.
package identity

import (
	"context"
	"fmt"
	"time"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/authn"
	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service/core"
	"strongroom.dev/strongroom/internal/store"
)

// base is what every type here holds: the core, reached as s.c.
type base struct{ c *core.Core }

// Users is a domain service; see the package comment.
type Users struct{ base }

// NewUsers returns the users service over c.
func NewUsers(c *core.Core) *Users { return &Users{base{c}} }

// Sessions is a domain service; see the package comment.
type Sessions struct {
	base
	cache *sessionCache // sessions looked up, while the auth epoch stands
	sso   *SSOPolicy    // single sign-on's policy (UseSSO, before serving); nil: off
}

// NewSessions returns the sessions service over c.
func NewSessions(c *core.Core) *Sessions { return &Sessions{base: base{c}, cache: &sessionCache{}} }

// me is the actor's own user.
func (s *base) me(ctx context.Context, a authz.Actor) (core.User, error) {
	if a.SessionID == "" || a.UserID == authz.SystemUserID {
		return core.User{}, errs.E(errs.Permission, "log in first")
	}
	var u store.UserRow
	err := core.Look(ctx, s.c, lockoutStoreOf, func(tx lockoutStore) error {
		var err error
		u, err = tx.UserByID(ctx, a.UserID)
		return core.NotFound(err, "user")
	})
	if err != nil {
		return core.User{}, err
	}
	return s.c.OpenUser(u)
}

// countFailure adds a failure to account's run in tx and applies
// authn.Lockout: a delay from the 5th, a lock (audited as user.lock with
// why) at the 10th. It returns the run's length and whether it just locked.
func (s *base) countFailure(ctx context.Context, tx lockoutStore, a authz.Actor, account []byte, userID, why string) (int, bool, error) {
	now := s.c.Now()
	n, err := tx.AddLoginFailure(ctx, account, now)
	if err != nil {
		return 0, false, err
	}
	wait, locked := authn.Lockout(n)
	if wait == 0 {
		return n, false, nil
	}
	if err := tx.DelayLogin(ctx, account, now.Add(wait)); err != nil {
		return n, false, err
	}
	if !locked {
		return n, false, nil
	}
	return n, true, s.c.Record(ctx, tx, a, "user.lock", "user", userID, nil, audit.Success, fmt.Sprintf("%d consecutive %s; locked for %s", n, why, wait))
}

// loginFailed audits a failed password (action: a login, or a re-check of
// the password behind a session) and, when count is set, adds it to the
// account's run of failures, delaying or locking the account by
// authn.Lockout. A lock is audited and mailed to the user (a known,
// enabled one) after the transaction commits.
func (s *base) loginFailed(ctx context.Context, a authz.Actor, account []byte, user store.UserRow, action, reason string, count bool) error {
	now := s.c.Now()
	s.c.Throttle.Failure(a.IP, now)
	var lockedNow bool
	var n int
	err := core.Change(ctx, s.c, lockoutStoreOf, func(tx lockoutStore) error {
		if err := s.c.Record(ctx, tx, a, action, "user", user.ID, nil, audit.Failure, reason); err != nil {
			return err
		}
		if !count {
			return nil
		}
		var err error
		n, lockedNow, err = s.countFailure(ctx, tx, authz.Actor{IP: a.IP}, account, user.ID, "failed logins")
		return err
	})
	if err != nil || !lockedNow || user.ID == "" || user.Disabled {
		return err
	}
	if u, err := s.c.OpenUser(user); err == nil {
		s.c.Mailer.Enqueue(core.ComposeMail("locked", user.Locale, u.Email, core.MailData{
			Count: n, When: core.MailTimeFor(user, now), Until: core.MailTimeFor(user, now.Add(authn.LockFor)), IP: a.IP, Link: s.c.Link("/password/forgot", ""),
		}))
	}
	return nil
}

// recheckPassword verifies the password of the actor's own user u again
// behind a session (changing the password, a step-up without a second
// factor). It is the login's check: a wrong password counts in the same
// per-account run as failed logins (a delay from the 5th, a lock at the
// 10th, audited and mailed), and while the account is delayed or locked no
// password is tried at all, so a stolen session is no password oracle.
// action names the audit event; field the input a wrong password is
// reported on.
func (s *base) recheckPassword(ctx context.Context, a authz.Actor, u store.UserRow, password, action, field string) error {
	now := s.c.Now()
	if wait, ok := s.c.Throttle.Allow(a.IP, now); !ok {
		return tooMany("too many wrong passwords", wait)
	}
	var fails store.LoginFailures
	if err := core.Look(ctx, s.c, lockoutStoreOf, func(tx lockoutStore) error {
		var err error
		fails, err = tx.LoginFailures(ctx, u.EmailIndex)
		return err
	}); err != nil {
		return err
	}
	if now.Before(fails.Until) {
		if err := core.Change(ctx, s.c, lockoutStoreOf, func(tx lockoutStore) error {
			return s.c.Record(ctx, tx, a, action, "user", u.ID, nil, audit.Denied, "throttled: too many wrong passwords")
		}); err != nil {
			return err
		}
		return tooMany("too many wrong passwords", fails.Until.Sub(now))
	}
	ok, _, err := s.c.Hasher.Verify(ctx, password, u.PasswordHash)
	if err != nil {
		return err
	}
	if !ok {
		if err := s.loginFailed(ctx, a, u.EmailIndex, u, action, "current password wrong", true); err != nil {
			return err
		}
		return errs.InvalidField(field, "the current password is not right")
	}
	if fails.Count > 0 {
		return core.Change(ctx, s.c, lockoutStoreOf, func(tx lockoutStore) error { return tx.ClearLoginFailures(ctx, u.EmailIndex) })
	}
	return nil
}

// lockoutStore is what the helpers here (the lockout, me) read and write.
type lockoutStore interface {
	audit.Appender
	AddLoginFailure(ctx context.Context, account []byte, now time.Time) (int, error)
	ClearLoginFailures(ctx context.Context, account []byte) error
	DelayLogin(ctx context.Context, account []byte, until time.Time) error
	LoginFailures(ctx context.Context, account []byte) (store.LoginFailures, error)
	UserByID(ctx context.Context, id string) (store.UserRow, error)
}

// lockoutStoreOf is the compiler's check that the store has every method of lockoutStore.
func lockoutStoreOf(tx *store.Tx) lockoutStore { return tx }
