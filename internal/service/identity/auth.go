package identity

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"slices"
	"strings"
	"time"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/authn"
	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/fieldcrypt"
	"strongroom.dev/strongroom/internal/service/core"
	"strongroom.dev/strongroom/internal/store"
)

// Client describes where a request came from.
type Client struct {
	IP        string
	UserAgent string
	// Device is the device cookie the browser presented at login ("" for
	// none): proof that a user logged in from it before (deviceAccount).
	Device string
	// TimeZone is the browser's zone as its script reported it before
	// login ("" for none): the default for a user who has not chosen one.
	TimeZone string
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
	now := s.c.Now()
	norm, err := crm.NormaliseEmail(email)
	if err != nil {
		norm = strings.ToLower(strings.TrimSpace(email))
	}
	emailIdx := s.c.Index.Index(fieldcrypt.IndexUserEmail, norm)
	a := authz.Actor{IP: c.IP}

	if wait, ok := s.c.Throttle.Allow(c.IP, now); !ok {
		return Session{}, s.refuseThrottled(ctx, a, "", wait)
	}
	var user store.UserRow
	var fails store.LoginFailures
	var passkeys []store.PasskeyRow
	// The run of failures that bars this attempt: the account's, or, from a
	// browser that logged in to it before, that browser's own.
	account, device := emailIdx, ""
	err = core.Look(ctx, s.c, loginStoreOf, func(tx loginStore) error {
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
		return Session{}, s.refuseThrottled(ctx, a, user.ID, fails.Until.Sub(now))
	}
	// A locked account answers like a wrong password, after the same work.
	ok, rehash, err := s.c.Hasher.Verify(ctx, password, user.PasswordHash)
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
		if newHash, err = s.c.Hasher.Hash(ctx, password); err != nil {
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
		ExpiresAt:  now.Add(s.c.Absolute),
		MFAPending: user.TOTPSealed != nil || len(passkeys) > 0,
	}
	if !sess.MFAPending { // the password is all this user has: it was just given
		sess.VerifiedAt = now
	}
	a = authz.Actor{UserID: user.ID, SessionID: sess.ID, IP: c.IP}
	userKey, err := s.c.Keys.OpenDataKey(user.ID, user.WrappedKey)
	if err != nil {
		return Session{}, errs.Wrap(errs.Internal, "service.Login", "", err)
	}
	if err := sealSessionDevice(userKey, &sess, c); err != nil {
		return Session{}, err
	}
	err = core.Change(ctx, s.c, loginStoreOf, func(tx loginStore) error {
		if err := tx.InsertSession(ctx, sess); err != nil {
			return err
		}
		if err := s.trimSessions(ctx, tx, a, user.ID, user.Role); err != nil {
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
		if err := defaultTimeZone(ctx, s.c, tx, a, user, c.TimeZone); err != nil {
			return err
		}
		return s.c.Record(ctx, tx, a, "session.create", "user", user.ID, nil, audit.Success, "")
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
	return base64.RawURLEncoding.EncodeToString(s.c.Index.Index(fieldcrypt.IndexDeviceCookie, userID+"|"+nonce))
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

// refuseThrottled audits and answers an attempt that came too soon: from
// an address over its rate, or (userID) at an account whose run of
// failures makes it wait, which the event names so that the detectors
// count it with the failures.
func (s *Sessions) refuseThrottled(ctx context.Context, a authz.Actor, userID string, wait time.Duration) error {
	err := core.Change(ctx, s.c, loginStoreOf, func(tx loginStore) error {
		if userID != "" {
			return s.c.Record(ctx, tx, a, "session.create", "user", userID, nil, audit.Denied, "throttled")
		}
		return s.c.Record(ctx, tx, a, "session.create", "session", "", nil, audit.Denied, "throttled")
	})
	if err != nil {
		return err
	}
	return tooMany("too many login attempts", wait)
}

// tooMany is a throttled answer that says when to come back.
func tooMany(what string, wait time.Duration) error { return core.TooMany(what, wait) }

var errNoSession = errs.E(errs.Unauthenticated, "not logged in, or the session has ended; log in again")

// Authenticate turns a session token into an Actor. It is called on every
// request, so it reads without a transaction and writes only to note
// activity, at most once a minute.
func (s *Sessions) Authenticate(ctx context.Context, token string, c Client) (authz.Actor, error) {
	if !authn.WellFormedToken(token) {
		return authz.Actor{}, errNoSession
	}
	now := s.c.Now()
	hash := authn.HashToken(token)
	epoch, err := s.c.DB.AuthEpoch(ctx)
	if err != nil {
		return authz.Actor{}, err
	}
	sw, cached := s.cache.get(hash, epoch)
	for {
		if !cached {
			sw, err = s.c.DB.SessionByTokenHash(ctx, hash, now)
			if errs.Is(err, errs.NotExist) {
				return authz.Actor{}, errNoSession
			}
			if err != nil {
				return authz.Actor{}, err
			}
			s.cache.keep(hash, sw, epoch)
		}
		sess, user := sw.Session, sw.User
		ok := subtle.ConstantTimeCompare(sess.TokenKey, user.TokenKey) == 1 && !user.Disabled &&
			now.Before(sess.ExpiresAt) && now.Sub(sess.LastSeenAt) < s.c.Idle
		if ok {
			break
		}
		s.cache.drop(hash)
		if !cached {
			return authz.Actor{}, errNoSession
		}
		cached = false // decide a refusal on a fresh lookup: another server may have seen it in use since
	}
	sess, user := sw.Session, sw.User
	if s.c.Accounts != nil && !s.c.Accounts.Allow(user.ID, now) {
		e := errs.E(errs.TooMany, "too many requests from this account; slow down")
		e.RetryAfter = time.Second
		return authz.Actor{}, e
	}
	if now.Sub(sess.LastSeenAt) >= time.Minute {
		if err := s.c.DB.TouchSession(ctx, sess.ID, now); err != nil {
			return authz.Actor{}, err
		}
		sw.Session.LastSeenAt = now
		s.cache.keep(hash, sw, epoch) // the one column that moves without the epoch
	}
	// The session query says which of these further reads are needed, so
	// that most requests make one round trip.
	if sw.Networks {
		if err := s.checkNetwork(ctx, user.ID, user.Role, sess.ID, c.IP); err != nil {
			return authz.Actor{}, err
		}
	}
	roles := authz.RolesOf(user.Role)
	defined, err := s.c.DefinedGrants(ctx, roles)
	if err != nil {
		return authz.Actor{}, err
	}
	var glass, sub []string
	if sw.BreakGlass {
		if glass, err = s.c.DB.OpenBreakGlass(ctx, user.ID, now); err != nil {
			return authz.Actor{}, err
		}
	}
	if sw.NestedTeams {
		if sub, err = s.subTeams(ctx, user.Team); err != nil {
			return authz.Actor{}, err
		}
	}
	return authz.Actor{UserID: user.ID, Roles: roles, Defined: defined, BreakGlass: glass, Team: user.Team, SubTeams: sub, Locale: user.Locale, TimeZone: user.TimeZone, TimeFormat: user.TimeFormat, PolicyPending: sw.PolicyPending, TrainingPending: sw.TrainingPending, MFAPending: sess.MFAPending, EnrolPending: sw.EnrolPending, PasswordPending: user.MustChangePassword, VerifiedAt: sess.VerifiedAt, SessionID: sess.ID, DeviceID: sess.DeviceID, IP: c.IP}, nil
}

// Logout ends the actor's current session.
func (s *Sessions) Logout(ctx context.Context, a authz.Actor) error {
	return core.Change(ctx, s.c, loginStoreOf, func(tx loginStore) error {
		if err := tx.DeleteSession(ctx, a.SessionID); err != nil {
			return err
		}
		return s.c.Record(ctx, tx, a, "session.delete", "session", a.SessionID, nil, audit.Success, "logout")
	})
}

// IdleTimeout is how long a session may go unused.
func (s *Sessions) IdleTimeout() time.Duration { return s.c.Idle }

// forgetFailuresAfter is how long a run of failed logins is remembered
// without a new failure: an attacker who paces guesses gets at most 9 a week
// per account.
const forgetFailuresAfter = 7 * 24 * time.Hour

// PurgeSessions deletes ended sessions and forgets old runs of failed
// logins; a background job calls it.
func (s *Sessions) PurgeSessions(ctx context.Context) (int64, error) {
	now := s.c.Now()
	if err := s.c.DB.ForgetLoginFailures(ctx, now.Add(-forgetFailuresAfter), now); err != nil {
		return 0, err
	}
	return s.c.DB.DeleteExpiredSessions(ctx, now, now.Add(-s.c.Idle))
}

// loginStore is what the methods in auth.go read and write.
type loginStore interface {
	sessionTrimmer
	ClearLoginFailures(ctx context.Context, account []byte) error
	InsertSession(ctx context.Context, s store.SessionRow) error
	LoginFailures(ctx context.Context, account []byte) (store.LoginFailures, error)
	RecordLogin(ctx context.Context, id string, now time.Time) error
	UpdateUserPassword(ctx context.Context, id, hash string, tokenKey []byte, now time.Time) error
	UpdateUserTime(ctx context.Context, id, zone, format string, now time.Time) error
	UserByEmailIndex(ctx context.Context, idx []byte) (store.UserRow, error)
	UserPasskeys(ctx context.Context, userID string) ([]store.PasskeyRow, error)
}

// loginStoreOf is the compiler's check that the store has every method of loginStore.
func loginStoreOf(tx *store.Tx) loginStore { return tx }
