package service

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"time"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/authn"
	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/fieldcrypt"
	"strongroom.dev/strongroom/internal/store"
)

// Client describes where a request came from.
type Client struct {
	IP        string
	UserAgent string
	// Device is the device cookie the browser presented at login ("" for
	// none): proof that a user logged in from it before (deviceAccount).
	Device string
}

// Session is a started session. Token is shown once and never stored.
// MFAPending: the user must give their second factor before anything else.
type Session struct {
	Token      string
	ID         string
	UserID     string
	ExpiresAt  time.Time
	MFAPending bool
	// Device is the device cookie to give the browser after a login whose
	// password was right ("" otherwise).
	Device string
}

// errBadLogin is the one answer to a wrong email, a wrong password, an
// unknown or a disabled account.
var errBadLogin = errs.E(errs.Unauthenticated, "email or password is incorrect")

// Login checks an email and password and starts a session. Every attempt,
// whatever its outcome, is audited; unknown accounts take the same path
// and time as known ones.
func (s *Sessions) Login(ctx context.Context, email, password string, c Client) (Session, error) {
	now := s.now()
	norm, err := crm.NormaliseEmail(email)
	if err != nil {
		norm = strings.ToLower(strings.TrimSpace(email))
	}
	emailIdx := s.index.Index(fieldcrypt.IndexUserEmail, norm)
	a := authz.Actor{IP: c.IP}

	if wait, ok := s.throttle.Allow(c.IP, now); !ok {
		return Session{}, s.refuseThrottled(ctx, a, wait)
	}
	var user store.UserRow
	var fails store.LoginFailures
	var passkeys []store.PasskeyRow
	// The run of failures that bars this attempt: the account's, or, from a
	// browser that logged in to it before, that browser's own.
	account, device := emailIdx, ""
	err = s.db.ReadTx(ctx, func(tx *store.Tx) error {
		var err error
		switch user, err = tx.UserByEmailIndex(ctx, emailIdx); {
		case errs.Is(err, errs.NotExist):
		case err != nil:
			return err
		default:
			if nonce, ok := s.knownDevice(user.ID, c.Device); ok {
				account, device = deviceAccount(emailIdx, nonce), c.Device
			}
			if passkeys, err = tx.UserPasskeys(ctx, user.ID); err != nil {
				return err
			}
		}
		fails, err = tx.LoginFailures(ctx, account)
		return err
	})
	if err != nil {
		return Session{}, err
	}
	_, lockedRun := authn.Lockout(fails.Count)
	locked := lockedRun && now.Before(fails.Until)
	if !locked && now.Before(fails.Until) { // the growing delay
		return Session{}, s.refuseThrottled(ctx, a, fails.Until.Sub(now))
	}
	// A locked account answers like a wrong password, after the same work.
	ok, rehash, err := s.hasher.Verify(ctx, password, user.PasswordHash)
	if err != nil {
		return Session{}, err
	}
	outside := false
	if ok && !user.Disabled && !locked {
		if outside, err = s.outsideNetworks(ctx, user.Role, c.IP); err != nil {
			return Session{}, err
		}
	}
	if !ok || user.Disabled || locked || outside {
		a.UserID = user.ID
		reason := "bad credentials"
		switch {
		case locked:
			reason = "account locked"
		case outside:
			// The same answer as a wrong password: nobody outside the
			// ranges learns that the password was right.
			reason = "address outside the role's ranges"
		case ok:
			reason = "account disabled"
		}
		if err := s.loginFailed(ctx, a, account, user, "session.create", reason, !locked); err != nil {
			return Session{}, err
		}
		return Session{}, errBadLogin
	}
	var newHash string
	if rehash {
		if newHash, err = s.hasher.Hash(ctx, password); err != nil {
			return Session{}, err
		}
	}
	token, tokenHash := authn.NewToken()
	sess := store.SessionRow{
		ID:         crm.NewID("ses"),
		TokenHash:  tokenHash,
		UserID:     user.ID,
		TokenKey:   user.TokenKey,
		CreatedAt:  now,
		LastSeenAt: now,
		ExpiresAt:  now.Add(s.absolute),
		MFAPending: user.TOTPSealed != nil || len(passkeys) > 0,
	}
	if !sess.MFAPending { // the password is all this user has: it was just given
		sess.VerifiedAt = now
	}
	a = authz.Actor{UserID: user.ID, SessionID: sess.ID, IP: c.IP}
	userKey, err := s.keys.OpenDataKey(user.ID, user.WrappedKey)
	if err != nil {
		return Session{}, errs.Wrap(errs.Internal, "service.Login", "", err)
	}
	if err := sealSessionDevice(userKey, &sess, c); err != nil {
		return Session{}, err
	}
	err = s.withTx(ctx, func(tx *store.Tx) error {
		if err := tx.InsertSession(ctx, sess); err != nil {
			return err
		}
		if err := s.trimSessions(ctx, tx, a, user.ID); err != nil {
			return err
		}
		if err := tx.RecordLogin(ctx, user.ID, now); err != nil {
			return err
		}
		if fails.Count > 0 {
			if err := tx.ClearLoginFailures(ctx, account); err != nil {
				return err
			}
		}
		if newHash != "" {
			if err := tx.UpdateUserPassword(ctx, user.ID, newHash, nil, now); err != nil {
				return err
			}
		}
		return s.record(ctx, tx, a, "session.create", "user", user.ID, nil, audit.Success, "")
	})
	if err != nil {
		return Session{}, err
	}
	if device == "" {
		device = s.newDevice(user.ID)
	}
	return Session{Token: token, ID: sess.ID, UserID: user.ID, ExpiresAt: sess.ExpiresAt, MFAPending: sess.MFAPending, Device: device}, nil
}

// Device cookies (OWASP's defence against lockout as denial of service):
// after a login whose password was right, the browser gets a cookie naming
// a random nonce and the user, under a MAC keyed from the master key. A
// login that presents a valid one is barred only by that browser's own run
// of failures, never by failures that came from elsewhere, so an attacker
// who locks the account cannot keep its owner out of a browser they used
// before. The nonce is not stored: the cookie proves itself.

// newDevice makes a device cookie for userID.
func (s *Sessions) newDevice(userID string) string {
	nonce := rand.Text()
	return nonce + "." + s.deviceMAC(userID, nonce)
}

// deviceMAC is the MAC of a device cookie's user and nonce.
func (s *Sessions) deviceMAC(userID, nonce string) string {
	return base64.RawURLEncoding.EncodeToString(s.index.Index(fieldcrypt.IndexDeviceCookie, userID+"|"+nonce))
}

// knownDevice checks a device cookie against userID and returns its nonce.
func (s *Sessions) knownDevice(userID, cookie string) (string, bool) {
	nonce, mac, ok := strings.Cut(cookie, ".")
	if !ok || userID == "" || len(nonce) != 26 {
		return "", false
	}
	return nonce, subtle.ConstantTimeCompare([]byte(mac), []byte(s.deviceMAC(userID, nonce))) == 1
}

// deviceAccount is the key of a known browser's own run of failures.
func deviceAccount(emailIdx []byte, nonce string) []byte {
	return append(append(slices.Clip(emailIdx), "|device|"...), nonce...)
}

// refuseThrottled audits and answers an attempt that came too soon.
func (s *Sessions) refuseThrottled(ctx context.Context, a authz.Actor, wait time.Duration) error {
	err := s.withTx(ctx, func(tx *store.Tx) error {
		return s.record(ctx, tx, a, "session.create", "session", "", nil, audit.Denied, "throttled")
	})
	if err != nil {
		return err
	}
	return tooMany("too many login attempts", wait)
}

// tooMany is a throttled answer that says when to come back.
func tooMany(what string, wait time.Duration) error {
	e := errs.E(errs.TooMany, fmt.Sprintf("%s; try again in %d seconds", what, int(wait.Seconds())+1))
	e.RetryAfter = wait
	return e
}

// countFailure adds a failure to account's run in tx and applies
// authn.Lockout: a delay from the 5th, a lock (audited as user.lock with
// why) at the 10th. It returns the run's length and whether it just locked.
func (s *core) countFailure(ctx context.Context, tx *store.Tx, a authz.Actor, account []byte, userID, why string) (int, bool, error) {
	now := s.now()
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
	return n, true, s.record(ctx, tx, a, "user.lock", "user", userID, nil, audit.Success, fmt.Sprintf("%d consecutive %s; locked for %s", n, why, wait))
}

// loginFailed audits a failed password (action: a login, or a re-check of
// the password behind a session) and, when count is set, adds it to the
// account's run of failures, delaying or locking the account by
// authn.Lockout. A lock is audited and mailed to the user (a known,
// enabled one) after the transaction commits.
func (s *core) loginFailed(ctx context.Context, a authz.Actor, account []byte, user store.UserRow, action, reason string, count bool) error {
	now := s.now()
	s.throttle.Failure(a.IP, now)
	var lockedNow bool
	var n int
	err := s.withTx(ctx, func(tx *store.Tx) error {
		if err := s.record(ctx, tx, a, action, "user", user.ID, nil, audit.Failure, reason); err != nil {
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
	if u, err := s.openUser(user); err == nil {
		s.mailer.Enqueue(composeMail("locked", user.Locale, u.Email, mailData{
			Count: n, When: mailTime(now), Until: mailTime(now.Add(authn.LockFor)), IP: a.IP, Link: s.link("/password/forgot", ""),
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
func (s *core) recheckPassword(ctx context.Context, a authz.Actor, u store.UserRow, password, action, field string) error {
	now := s.now()
	if wait, ok := s.throttle.Allow(a.IP, now); !ok {
		return tooMany("too many wrong passwords", wait)
	}
	var fails store.LoginFailures
	if err := s.db.ReadTx(ctx, func(tx *store.Tx) error {
		var err error
		fails, err = tx.LoginFailures(ctx, u.EmailIndex)
		return err
	}); err != nil {
		return err
	}
	if now.Before(fails.Until) {
		if err := s.withTx(ctx, func(tx *store.Tx) error {
			return s.record(ctx, tx, a, action, "user", u.ID, nil, audit.Denied, "throttled: too many wrong passwords")
		}); err != nil {
			return err
		}
		return tooMany("too many wrong passwords", fails.Until.Sub(now))
	}
	ok, _, err := s.hasher.Verify(ctx, password, u.PasswordHash)
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
		return s.withTx(ctx, func(tx *store.Tx) error { return tx.ClearLoginFailures(ctx, u.EmailIndex) })
	}
	return nil
}

var errNoSession = errs.E(errs.Unauthenticated, "not logged in, or the session has ended; log in again")

// Authenticate turns a session token into an Actor. It is called on every
// request, so it reads without a transaction and writes only to note
// activity, at most once a minute.
func (s *Sessions) Authenticate(ctx context.Context, token string, c Client) (authz.Actor, error) {
	if !authn.WellFormedToken(token) {
		return authz.Actor{}, errNoSession
	}
	now := s.now()
	sw, err := s.db.SessionByTokenHash(ctx, authn.HashToken(token), now)
	if errs.Is(err, errs.NotExist) {
		return authz.Actor{}, errNoSession
	}
	if err != nil {
		return authz.Actor{}, err
	}
	sess, user := sw.Session, sw.User
	switch {
	case subtle.ConstantTimeCompare(sess.TokenKey, user.TokenKey) != 1,
		user.Disabled,
		!now.Before(sess.ExpiresAt),
		now.Sub(sess.LastSeenAt) >= s.idle:
		return authz.Actor{}, errNoSession
	}
	if now.Sub(sess.LastSeenAt) >= time.Minute {
		if err := s.db.TouchSession(ctx, sess.ID, now); err != nil {
			return authz.Actor{}, err
		}
	}
	// The session query says which of these further reads are needed, so
	// that most requests make one round trip.
	if sw.Networks {
		if err := s.checkNetwork(ctx, user.ID, user.Role, sess.ID, c.IP); err != nil {
			return authz.Actor{}, err
		}
	}
	roles := authz.RolesOf(user.Role)
	defined, err := s.definedGrants(ctx, roles)
	if err != nil {
		return authz.Actor{}, err
	}
	var glass, sub []string
	if sw.BreakGlass {
		if glass, err = s.db.OpenBreakGlass(ctx, user.ID, now); err != nil {
			return authz.Actor{}, err
		}
	}
	if sw.NestedTeams {
		if sub, err = s.subTeams(ctx, user.Team); err != nil {
			return authz.Actor{}, err
		}
	}
	return authz.Actor{UserID: user.ID, Roles: roles, Defined: defined, BreakGlass: glass, Team: user.Team, SubTeams: sub, Locale: user.Locale, PolicyPending: sw.PolicyPending, MFAPending: sess.MFAPending, EnrolPending: sw.EnrolPending, PasswordPending: user.MustChangePassword, VerifiedAt: sess.VerifiedAt, SessionID: sess.ID, IP: c.IP}, nil
}

// Logout ends the actor's current session.
func (s *Sessions) Logout(ctx context.Context, a authz.Actor) error {
	return s.withTx(ctx, func(tx *store.Tx) error {
		if err := tx.DeleteSession(ctx, a.SessionID); err != nil {
			return err
		}
		return s.record(ctx, tx, a, "session.delete", "session", a.SessionID, nil, audit.Success, "logout")
	})
}

// IdleTimeout is how long a session may go unused.
func (s *Sessions) IdleTimeout() time.Duration { return s.idle }

// forgetFailuresAfter is how long a run of failed logins is remembered
// without a new failure: an attacker who paces guesses gets at most 9 a week
// per account.
const forgetFailuresAfter = 7 * 24 * time.Hour

// PurgeSessions deletes ended sessions and forgets old runs of failed
// logins; a background job calls it.
func (s *Sessions) PurgeSessions(ctx context.Context) (int64, error) {
	now := s.now()
	if err := s.db.ForgetLoginFailures(ctx, now.Add(-forgetFailuresAfter), now); err != nil {
		return 0, err
	}
	return s.db.DeleteExpiredSessions(ctx, now, now.Add(-s.idle))
}
