package identity

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/hex"
	"slices"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/authn"
	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/fieldcrypt"
	"strongroom.dev/strongroom/internal/service/core"
	"strongroom.dev/strongroom/internal/store"
)

// TOTP parameters (RFC 6238 defaults, as authenticator apps expect).
var totpOpts = totp.ValidateOpts{Period: 30, Skew: 0, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

const recoveryCodes = 10

// TOTPEnrolment is a secret offered to a user. Until the user proves
// their app has it by entering a code, it is kept only as the session's
// pending set-up (BeginTOTP).
type TOTPEnrolment struct {
	Secret string `json:"secret"`
	URL    string `json:"otpauth_url"`
}

func totpPlace(userID string) fieldcrypt.Place {
	return fieldcrypt.Place{Table: "users", Column: "totp_ct", Row: userID}
}

// totpOfferFor is how long an offered secret may be confirmed.
const totpOfferFor = 10 * time.Minute

func totpOfferPlace(sessionID string) fieldcrypt.Place {
	return fieldcrypt.Place{Table: "sessions", Column: "totp_offer_ct", Row: sessionID}
}

// BeginTOTP makes a fresh secret for the actor's authenticator app and
// keeps it, sealed under the user's key, as this session's pending
// enrolment for totpOfferFor: only that secret can be confirmed, never one
// the client chose. Adding or replacing an authenticator needs a fresh
// proof of the user (core.RequireStepUp), with their second factor if they have
// one.
func (s *Sessions) BeginTOTP(ctx context.Context, a authz.Actor) (TOTPEnrolment, error) {
	me, err := s.me(ctx, a)
	if err != nil {
		return TOTPEnrolment{}, err
	}
	if err := s.c.RequireStepUp(a); err != nil {
		return TOTPEnrolment{}, err
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: "Strongroom", AccountName: me.Email})
	if err != nil {
		return TOTPEnrolment{}, errs.Wrap(errs.Internal, "service.BeginTOTP", "", err)
	}
	err = core.Change(ctx, s.c, mfaStoreOf, func(tx mfaStore) error {
		u, err := tx.UserByID(ctx, a.UserID)
		if err != nil {
			return core.NotFound(err, "user")
		}
		dk, err := s.c.Keys.OpenDataKey(u.ID, u.WrappedKey)
		if err != nil {
			return errs.Wrap(errs.Internal, "service.BeginTOTP", "", err)
		}
		sealed, err := fieldcrypt.Seal(dk, totpOfferPlace(a.SessionID), key.Secret())
		if err != nil {
			return err
		}
		return tx.SetSessionTOTPOffer(ctx, a.SessionID, sealed, s.c.Now().Add(totpOfferFor))
	})
	if err != nil {
		return TOTPEnrolment{}, err
	}
	return TOTPEnrolment{Secret: key.Secret(), URL: key.URL()}, nil
}

var errNoOffer = errs.E(errs.Conflict, "no authenticator set-up is under way on this session, or it is more than 10 minutes old; start again")

// pendingTOTP opens this session's pending enrolment (BeginTOTP) in tx.
func (s *Sessions) pendingTOTP(ctx context.Context, tx mfaStore, a authz.Actor) (store.UserRow, TOTPEnrolment, error) {
	u, err := tx.UserByID(ctx, a.UserID)
	if err != nil {
		return u, TOTPEnrolment{}, core.NotFound(err, "user")
	}
	sealed, until, err := tx.SessionTOTPOffer(ctx, a.SessionID)
	if err != nil {
		return u, TOTPEnrolment{}, core.NotFound(err, "session")
	}
	if sealed == nil || !s.c.Now().Before(until) {
		return u, TOTPEnrolment{}, errNoOffer
	}
	dk, err := s.c.Keys.OpenDataKey(u.ID, u.WrappedKey)
	if err != nil {
		return u, TOTPEnrolment{}, errs.Wrap(errs.Internal, "service.pendingTOTP", "", err)
	}
	secret, err := fieldcrypt.Open(dk, totpOfferPlace(a.SessionID), sealed)
	if err != nil {
		return u, TOTPEnrolment{}, errs.Wrap(errs.Internal, "service.pendingTOTP", "", err)
	}
	me, err := s.c.OpenUser(u)
	if err != nil {
		return u, TOTPEnrolment{}, err
	}
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	if err != nil {
		return u, TOTPEnrolment{}, errs.Wrap(errs.Internal, "service.pendingTOTP", "", err)
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: "Strongroom", AccountName: me.Email, Secret: raw})
	if err != nil {
		return u, TOTPEnrolment{}, errs.Wrap(errs.Internal, "service.pendingTOTP", "", err)
	}
	return u, TOTPEnrolment{Secret: key.Secret(), URL: key.URL()}, nil
}

// PendingTOTP shows this session's pending secret again (after a wrong
// code), so the user need not scan a new one.
func (s *Sessions) PendingTOTP(ctx context.Context, a authz.Actor) (TOTPEnrolment, error) {
	if _, err := s.me(ctx, a); err != nil {
		return TOTPEnrolment{}, err
	}
	var e TOTPEnrolment
	err := core.Look(ctx, s.c, mfaStoreOf, func(tx mfaStore) error {
		var err error
		_, e, err = s.pendingTOTP(ctx, tx, a)
		return err
	})
	return e, err
}

// ConfirmTOTP stores this session's pending secret (BeginTOTP) once code
// shows the user's app generates it, and returns fresh single-use recovery
// codes, shown this once (only their hashes are kept); earlier codes stop
// working. secret, when the client sends it back, must be the pending one.
// Like BeginTOTP it needs a fresh proof of the user: a borrowed session
// cannot add or replace a second factor.
func (s *Sessions) ConfirmTOTP(ctx context.Context, a authz.Actor, secret, code string) ([]string, error) {
	if a.SessionID == "" || a.UserID == authz.SystemUserID {
		return nil, errs.E(errs.Permission, "log in first")
	}
	if err := s.c.RequireStepUp(a); err != nil {
		return nil, err
	}
	codes := make([]string, recoveryCodes)
	hashes := make([]string, recoveryCodes)
	for i := range codes {
		codes[i] = newRecoveryCode()
		hashes[i] = hashRecovery(codes[i])
	}
	err := core.Change(ctx, s.c, mfaStoreOf, func(tx mfaStore) error {
		u, offer, err := s.pendingTOTP(ctx, tx, a)
		if err != nil {
			return err
		}
		if secret = strings.ToUpper(strings.TrimSpace(secret)); secret != "" && subtle.ConstantTimeCompare([]byte(secret), []byte(offer.Secret)) != 1 {
			return errs.InvalidField("secret", "the secret is not the one this server offered to this session")
		}
		step, ok := s.totpStep(offer.Secret, code)
		if !ok {
			return errs.InvalidField("code", "the code does not match; check the app's clock and enter the current code")
		}
		key, err := s.c.Keys.OpenDataKey(u.ID, u.WrappedKey)
		if err != nil {
			return errs.Wrap(errs.Internal, "service.ConfirmTOTP", "", err)
		}
		sealed, err := fieldcrypt.Seal(key, totpPlace(u.ID), offer.Secret)
		if err != nil {
			return err
		}
		if err := tx.SetUserTOTP(ctx, u.ID, sealed, strings.Join(hashes, ","), s.c.Now()); err != nil {
			return err
		}
		if err := tx.UseTOTPStep(ctx, u.ID, step); err != nil { // the code just shown cannot log in
			return err
		}
		if err := tx.SetSessionTOTPOffer(ctx, a.SessionID, nil, time.Time{}); err != nil {
			return err
		}
		what := "added"
		if u.TOTPSealed != nil {
			what = "replaced"
		}
		return s.c.Record(ctx, tx, a, "mfa.enrol", "user", u.ID, []string{"totp", "recovery_codes"}, audit.Success, "authenticator "+what)
	})
	if err != nil {
		return nil, err
	}
	return codes, nil
}

// recoveryLen is a recovery code's length without its dashes: 24 base32
// characters are 120 bits.
const recoveryLen = 24

// newRecoveryCode is recoveryLen base32 characters in groups of four.
func newRecoveryCode() string {
	t := strings.ToLower(rand.Text()) // 26 base32 characters
	var b strings.Builder
	for i := 0; i < recoveryLen; i += 4 {
		if i > 0 {
			b.WriteByte('-')
		}
		b.WriteString(t[i : i+4])
	}
	return b.String()
}

// VerifyMFA gives a session its second factor: a current TOTP code (each
// usable once) or an unused recovery code. Failures are counted, delayed
// and locked like password failures, and audited. On success the session
// gets a new token, returned; the old one stops working.
func (s *Sessions) VerifyMFA(ctx context.Context, a authz.Actor, code string) (Session, error) {
	if !a.MFAPending {
		return Session{}, errs.E(errs.Conflict, "this session has given its second factor already")
	}
	code = strings.ToLower(strings.TrimSpace(code))
	if code == "" {
		return Session{}, errs.InvalidField("code", "enter the code from your authenticator app, or a recovery code")
	}
	return s.prove(ctx, a, "code", "the code is not right, or was already used", func(tx mfaStore) (bool, string, error) {
		return s.matchCode(ctx, tx, a.UserID, code)
	})
}

// StepUp proves the user fresh for sensitive actions (authz.StepUpWindow):
// with a code from their authenticator (or a recovery code), or with their
// password if they have no second factor. (A passkey proves it through
// FinishPasskeyProof.) The session's token is rotated; the new one is
// returned.
func (s *Sessions) StepUp(ctx context.Context, a authz.Actor, code, password string) (Session, error) {
	var u store.UserRow
	var passkeys int
	err := core.Look(ctx, s.c, mfaStoreOf, func(tx mfaStore) error {
		var err error
		if u, err = tx.UserByID(ctx, a.UserID); err != nil {
			return core.NotFound(err, "user")
		}
		pks, err := tx.UserPasskeys(ctx, a.UserID)
		passkeys = len(pks)
		return err
	})
	if err != nil {
		return Session{}, err
	}
	code = strings.ToLower(strings.TrimSpace(code))
	switch {
	case u.TOTPSealed != nil || passkeys > 0:
		if code == "" {
			return Session{}, errs.InvalidField("code", "you have a second factor: confirm with it (a code from your authenticator app, a recovery code or a passkey), not with your password")
		}
		return s.prove(ctx, a, "code", "the code is not right, or was already used", func(tx mfaStore) (bool, string, error) {
			return s.matchCode(ctx, tx, a.UserID, code)
		})
	case password == "":
		return Session{}, errs.InvalidField("password", "enter your password")
	}
	// The login's check, counted in the account's run of failures.
	if err := s.recheckPassword(ctx, a, u, password, "session.step_up", "password"); err != nil {
		return Session{}, err
	}
	return s.prove(ctx, a, "password", "the password is not right", func(mfaStore) (bool, string, error) {
		return true, "password", nil
	})
}

// prove records a fresh proof of the actor's user on the session when
// check, run inside the write transaction, accepts it: the second factor
// at login (the session is pending) or a step-up. Failures are counted per
// user like password failures (delay from the 5th, lock at the 10th) and
// answered as field's error wrong. Success rotates the session's token.
func (s *Sessions) prove(ctx context.Context, a authz.Actor, field, wrong string, check func(tx mfaStore) (ok bool, method string, err error)) (Session, error) {
	if a.SessionID == "" {
		return Session{}, errs.E(errs.Permission, "only a logged-in session can prove its user")
	}
	action := "session.step_up"
	if a.MFAPending {
		action = "mfa.verify"
	}
	now := s.c.Now()
	if wait, ok := s.c.Throttle.Allow(a.IP, now); !ok {
		return Session{}, tooManyCodes(wait)
	}
	account := []byte("mfa:" + a.UserID)
	token, hash := authn.NewToken()
	ok := false
	var expires time.Time
	err := core.Change(ctx, s.c, mfaStoreOf, func(tx mfaStore) error {
		fails, err := tx.LoginFailures(ctx, account)
		if err != nil {
			return err
		}
		if now.Before(fails.Until) {
			return tooManyCodes(fails.Until.Sub(now))
		}
		var method string
		if ok, method, err = check(tx); err != nil {
			return err
		}
		if !ok {
			if err := s.c.Record(ctx, tx, a, action, "user", a.UserID, nil, audit.Failure, method); err != nil {
				return err
			}
			_, _, err := s.countFailure(ctx, tx, a, account, a.UserID, "wrong second factors")
			return err
		}
		if fails.Count > 0 {
			if err := tx.ClearLoginFailures(ctx, account); err != nil {
				return err
			}
		}
		if expires, err = tx.VerifySession(ctx, a.SessionID, hash, now); err != nil {
			return err
		}
		return s.c.Record(ctx, tx, a, action, "user", a.UserID, nil, audit.Success, method+"; token rotated")
	})
	if err != nil {
		return Session{}, err
	}
	if !ok {
		s.c.Throttle.Failure(a.IP, now)
		return Session{}, errs.InvalidField(field, wrong)
	}
	return Session{Token: token, ID: a.SessionID, UserID: a.UserID, ExpiresAt: expires}, nil
}

// matchCode checks code against the user's TOTP secret (each step once) or
// unused recovery codes, spending what matched, inside tx.
func (s *Sessions) matchCode(ctx context.Context, tx mfaStore, userID, code string) (ok bool, method string, err error) {
	u, err := tx.UserByID(ctx, userID)
	if err != nil {
		return false, "", core.NotFound(err, "user")
	}
	if strings.Contains(code, "-") { // a recovery code
		if len(strings.ReplaceAll(code, "-", "")) != recoveryLen {
			// Codes of the earlier 80-bit form (16 characters) no longer
			// count: ASVS asks 112 bits of a secret kept under a fast hash.
			return false, "recovery_code", nil
		}
		hashes := strings.Split(u.RecoveryHashes, ",")
		want := hashRecovery(code)
		i := slices.IndexFunc(hashes, func(h string) bool { return subtle.ConstantTimeCompare([]byte(h), []byte(want)) == 1 })
		if i < 0 || u.RecoveryHashes == "" {
			return false, "recovery_code", nil
		}
		return true, "recovery_code", tx.SetRecoveryHashes(ctx, u.ID, strings.Join(slices.Delete(hashes, i, i+1), ","))
	}
	if u.TOTPSealed == nil {
		return false, "totp", nil
	}
	key, err := s.c.Keys.OpenDataKey(u.ID, u.WrappedKey)
	if err != nil {
		return false, "", errs.Wrap(errs.Internal, "service.matchCode", "", err)
	}
	secret, err := fieldcrypt.Open(key, totpPlace(u.ID), u.TOTPSealed)
	if err != nil {
		return false, "", errs.Wrap(errs.Internal, "service.matchCode", "", err)
	}
	step, ok := s.totpStep(secret, code)
	if !ok {
		return false, "totp", nil
	}
	if err := tx.UseTOTPStep(ctx, u.ID, step); err != nil {
		if errs.Is(err, errs.Conflict) {
			return false, "totp", nil // a code seen before: a replay
		}
		return false, "", err
	}
	return true, "totp", nil
}

func tooManyCodes(wait time.Duration) error { return tooMany("too many wrong codes", wait) }

// ResetMFA removes a user's TOTP and recovery codes (administrators), so
// they can enrol again; audited.
func (s *Sessions) ResetMFA(ctx context.Context, a authz.Actor, userID string) error {
	if err := core.May(a, authz.ActionUpdate, authz.ObjectUser, "you may not reset another user's second factor"); err != nil {
		return err
	}
	if err := s.c.RequireStepUp(a); err != nil {
		return err
	}
	return core.Change(ctx, s.c, mfaStoreOf, func(tx mfaStore) error {
		if _, err := tx.UserByID(ctx, userID); err != nil {
			return core.NotFound(err, "user")
		}
		if err := tx.SetUserTOTP(ctx, userID, nil, "", s.c.Now()); err != nil {
			return err
		}
		if err := tx.DeleteUserPasskeys(ctx, userID); err != nil {
			return err
		}
		return s.c.Record(ctx, tx, a, "mfa.reset", "user", userID, []string{"totp", "recovery_codes", "passkeys"}, audit.Success, "")
	})
}

// HasTOTP reports whether the actor has enrolled an authenticator app.
func (s *Sessions) HasTOTP(ctx context.Context, a authz.Actor) (bool, error) {
	var has bool
	err := core.Look(ctx, s.c, mfaStoreOf, func(tx mfaStore) error {
		u, err := tx.UserByID(ctx, a.UserID)
		has = u.TOTPSealed != nil
		return core.NotFound(err, "user")
	})
	return has, err
}

// totpStep checks code against secret at the current step and the one
// before (a code typed as it changed; never a step ahead), and returns the
// step it matched.
func (s *Sessions) totpStep(secret, code string) (int64, bool) {
	now := s.c.Now()
	for _, d := range []time.Duration{0, -30 * time.Second} {
		t := now.Add(d)
		want, err := totp.GenerateCodeCustom(secret, t, totpOpts)
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(strings.TrimSpace(code))) == 1 {
			return t.Unix() / 30, true
		}
	}
	return 0, false
}

func hashRecovery(code string) string {
	sum := sha256.Sum256([]byte("strongroom/recovery/v1|" + strings.ToLower(strings.TrimSpace(code))))
	return hex.EncodeToString(sum[:])
}

// MFARequiredRoles lists the roles whose users must use two-step login
// (administrators).
func (s *Sessions) MFARequiredRoles(ctx context.Context, a authz.Actor) ([]string, error) {
	if err := core.May(a, authz.ActionUpdate, authz.ObjectUser, "you may not see the two-step login rules"); err != nil {
		return nil, err
	}
	var out []string
	err := core.Look(ctx, s.c, mfaStoreOf, func(tx mfaStore) error {
		var err error
		out, err = tx.MFARequiredRoles(ctx)
		return err
	})
	return out, err
}

// SetMFARequiredRoles sets which roles must use two-step login
// (administrators). A user of such a role without an authenticator reaches
// only the enrolment until they set one up. Audited as a permission change.
func (s *Sessions) SetMFARequiredRoles(ctx context.Context, a authz.Actor, roles []string) error {
	if err := core.May(a, authz.ActionUpdate, authz.ObjectUser, "you may not change the two-step login rules"); err != nil {
		return err
	}
	if err := s.c.RequireStepUp(a); err != nil {
		return err
	}
	var clean []string
	for _, r := range roles {
		if err := s.c.CheckRole(ctx, r); err != nil {
			return err
		}
		if !slices.Contains(clean, r) {
			clean = append(clean, r)
		}
	}
	slices.Sort(clean)
	return core.Change(ctx, s.c, mfaStoreOf, func(tx mfaStore) error {
		if err := tx.SetMFARequiredRoles(ctx, clean); err != nil {
			return err
		}
		return s.c.Record(ctx, tx, a, "mfa.require", "settings", "mfa_required_roles", nil, audit.Success, "roles: "+strings.Join(clean, ","))
	})
}

// mfaStore is what the methods in mfa.go read and write.
type mfaStore interface {
	lockoutStore
	DeletePasskey(ctx context.Context, userID, id string) error
	DeleteUserPasskeys(ctx context.Context, userID string) error
	InsertPasskey(ctx context.Context, p store.PasskeyRow) error
	MFARequiredRoles(ctx context.Context) ([]string, error)
	SessionTOTPOffer(ctx context.Context, sessionID string) ([]byte, time.Time, error)
	SetMFARequiredRoles(ctx context.Context, roles []string) error
	SetRecoveryHashes(ctx context.Context, id, hashes string) error
	SetSessionChallenge(ctx context.Context, sessionID, challenge string) error
	SetSessionTOTPOffer(ctx context.Context, sessionID string, sealed []byte, until time.Time) error
	SetUserTOTP(ctx context.Context, id string, sealed []byte, recovery string, now time.Time) error
	TakeSessionChallenge(ctx context.Context, sessionID string) (string, error)
	UsePasskey(ctx context.Context, id string, sealed []byte, now time.Time) error
	UseTOTPStep(ctx context.Context, id string, step int64) error
	UserPasskeys(ctx context.Context, userID string) ([]store.PasskeyRow, error)
	VerifySession(ctx context.Context, id string, tokenHash []byte, now time.Time) (time.Time, error)
}

// mfaStoreOf is the compiler's check that the store has every method of mfaStore.
func mfaStoreOf(tx *store.Tx) mfaStore { return tx }
