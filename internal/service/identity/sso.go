package identity

import (
	"context"
	"encoding/base64"
	"fmt"
	"maps"
	"slices"
	"time"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/authn"
	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/fieldcrypt"
	"strongroom.dev/strongroom/internal/keyring"
	"strongroom.dev/strongroom/internal/service/core"
	"strongroom.dev/strongroom/internal/store"
)

// SSOPolicy is what the administrator decided about single sign-on with
// the company's OpenID Connect provider.
type SSOPolicy struct {
	// Issuer is the provider's issuer URL; an identity from any other is
	// refused.
	Issuer string
	// RoleMap maps a group the provider names to the roles (one, or
	// several separated by commas) its members hold here. When it is set,
	// a login's roles are the union of its groups' roles, applied at each
	// login, and a login whose groups map to none is refused.
	RoleMap map[string]string
	// JIT: a first login with a verified email and no account creates one
	// (with the mapped roles and no password). Off: only accounts that
	// exist may log in.
	JIT bool
	// MFAByProvider: a login whose ID token shows two-step login at the
	// provider (SSOIdentity.MFA) stands for Strongroom's own second factor.
	MFAByProvider bool
}

// SSOIdentity is what the provider asserted in an ID token whose
// signature, issuer, audience, expiry and nonce were checked (package sso).
type SSOIdentity struct {
	Issuer        string
	Subject       string
	Email         string
	EmailVerified bool
	Groups        []string
	// MFA: the token's amr or acr shows two-step login, per the
	// administrator's accepted acr values.
	MFA bool
	// AuthTime is when the user last signed in at the provider (auth_time;
	// zero when the token does not say).
	AuthTime time.Time
}

// errSSORefused is the one answer to an identity that may not log in:
// no account and no just-in-time accounts, a disabled or locked account,
// groups that map to no role. The audit log has the reason.
var errSSORefused = errs.E(errs.Unauthenticated, "single sign-on did not let you in: no active account here matches your sign-in, or your groups grant no role")

// UseSSO turns single sign-on on with p. Every role the map names must
// exist; just-in-time accounts need the map (a new account needs a role).
func (s *Sessions) UseSSO(ctx context.Context, p SSOPolicy) error {
	if p.Issuer == "" {
		return errs.InvalidField("issuer", "the provider's issuer is required")
	}
	if p.JIT && len(p.RoleMap) == 0 {
		return errs.InvalidField("role_map", "just-in-time accounts need a group=role map: a new account needs a role")
	}
	checked := make(map[string]string, len(p.RoleMap))
	for g, r := range p.RoleMap {
		norm, err := s.c.CheckRoles(ctx, r)
		if err != nil {
			return fmt.Errorf("group %q: %w", g, err)
		}
		checked[g] = norm
	}
	p.RoleMap = checked
	s.sso = &p
	return nil
}

// SSOEnabled reports whether single sign-on is on.
func (s *Sessions) SSOEnabled() bool { return s.sso != nil }

// SSOSecrets derives a login's nonce and PKCE code verifier from its
// random state: MACs under a key derived from the master key, so the
// server keeps nothing between sending the browser to the provider and
// its return, and neither can be guessed from the state.
func (s *Sessions) SSOSecrets(state string) (nonce, verifier string) {
	enc := base64.RawURLEncoding.EncodeToString
	nonce = enc(s.c.Index.Index(fieldcrypt.IndexSSOFlow, "nonce|"+state))
	// RFC 7636 wants 43 to 128 characters: two MACs, 44.
	verifier = enc(s.c.Index.Index(fieldcrypt.IndexSSOFlow, "verifier1|"+state)) + enc(s.c.Index.Index(fieldcrypt.IndexSSOFlow, "verifier2|"+state))
	return nonce, verifier
}

// rolesFor maps groups onto roles: the union of each mapped group's
// roles, normalised ("" when none maps).
func (p *SSOPolicy) rolesFor(groups []string) string {
	var roles []authz.Role
	for _, g := range slices.Sorted(maps.Keys(p.RoleMap)) {
		if slices.Contains(groups, g) {
			for _, r := range authz.RolesOf(p.RoleMap[g]) {
				if !slices.Contains(roles, r) {
					roles = append(roles, r)
				}
			}
		}
	}
	if len(roles) == 0 {
		return ""
	}
	return authz.JoinRoles(roles)
}

// LoginSSO starts a session for an identity the provider asserted. The
// account is the one linked to the identity (issuer and subject), or at
// its first login the one with the identity's email when the provider
// verified it, which is then linked; without one, a just-in-time account
// when the policy allows. Disabled and locked accounts, addresses outside
// the role's ranges and identities whose groups map to no role are refused
// like a wrong password, and every attempt is audited (session.create,
// reason "sso ..."). Roles follow the groups at each login, audited as
// user.role_change. The session owes Strongroom's second factor as a
// password login would, unless the provider asserted two-step login and
// the policy lets that stand for it.
func (s *Sessions) LoginSSO(ctx context.Context, id SSOIdentity, c Client) (Session, error) {
	p := s.sso
	if p == nil {
		return Session{}, errs.E(errs.NotExist, "single sign-on is not configured")
	}
	now := s.c.Now()
	a := authz.Actor{IP: c.IP}
	if wait, ok := s.c.Throttle.Allow(c.IP, now); !ok {
		return Session{}, s.refuseThrottled(ctx, a, "", wait)
	}
	if id.Issuer != p.Issuer || id.Subject == "" {
		// The package that verified the token checks the issuer; this is
		// the second fence.
		return Session{}, s.refuseSSO(ctx, a, store.UserRow{}, "identity from another issuer")
	}
	link := s.c.Index.Index(fieldcrypt.IndexSSOSubject, id.Issuer+"\n"+id.Subject)
	issuer := s.c.Index.Index(fieldcrypt.IndexSSOIssuer, id.Issuer)
	email := ""
	if id.EmailVerified {
		email, _ = crm.NormaliseEmail(id.Email)
	}
	var user store.UserRow
	var passkeys []store.PasskeyRow
	var fails store.LoginFailures
	found, linked, taken := false, false, false
	err := core.Look(ctx, s.c, ssoStoreOf, func(tx ssoStore) error {
		l, err := tx.SSOLinkByIndex(ctx, link)
		switch {
		case err == nil:
			if user, err = tx.UserByID(ctx, l.UserID); err != nil {
				return err
			}
			found, linked = true, true
		case !errs.Is(err, errs.NotExist):
			return err
		case email != "":
			switch user, err = tx.UserByEmailIndex(ctx, s.c.Index.Index(fieldcrypt.IndexUserEmail, email)); {
			case errs.Is(err, errs.NotExist):
			case err != nil:
				return err
			default:
				found = true
				// An account linked to another identity at this provider
				// is not taken over by a new one with the same email.
				if taken, err = tx.UserHasSSOLink(ctx, user.ID, issuer); err != nil {
					return err
				}
			}
		}
		if !found {
			return nil
		}
		if passkeys, err = tx.UserPasskeys(ctx, user.ID); err != nil {
			return err
		}
		fails, err = tx.LoginFailures(ctx, user.EmailIndex)
		return err
	})
	if err != nil {
		return Session{}, err
	}
	roles := user.Role
	if len(p.RoleMap) > 0 {
		roles = p.rolesFor(id.Groups)
	}
	switch {
	case taken:
		return Session{}, s.refuseSSO(ctx, a, user, "account already linked to another identity at this provider")
	case !found && !p.JIT:
		return Session{}, s.refuseSSO(ctx, a, user, "no account linked or with this verified email, and just-in-time accounts are off")
	case !found && email == "":
		return Session{}, s.refuseSSO(ctx, a, user, "just-in-time account needs an email the provider verified")
	case roles == "":
		return Session{}, s.refuseSSO(ctx, a, user, "no group maps to a role")
	case found && user.Disabled:
		return Session{}, s.refuseSSO(ctx, a, user, "account disabled")
	case found && locked(fails, now):
		return Session{}, s.refuseSSO(ctx, a, user, "account locked")
	}
	if outside, err := s.outsideNetworks(ctx, roles, c.IP); err != nil {
		return Session{}, err
	} else if outside {
		return Session{}, s.refuseSSO(ctx, a, user, "address outside the role's ranges")
	}

	if !found { // a just-in-time account: no password, the mapped roles
		uid := crm.NewID("usr")
		key, wrapped, err := s.c.Keys.NewDataKey(uid)
		if err != nil {
			return Session{}, err
		}
		sealed, err := fieldcrypt.Seal(key, fieldcrypt.Place{Table: "users", Column: "email_ct", Row: uid}, email)
		if err != nil {
			return Session{}, err
		}
		user = store.UserRow{ID: uid, EmailIndex: s.c.Index.Index(fieldcrypt.IndexUserEmail, email), EmailSealed: sealed,
			Role: roles, TokenKey: authn.NewTokenKey(), CreatedAt: now, UpdatedAt: now, WrappedKey: wrapped}
	}
	key, err := s.c.Keys.OpenDataKey(user.ID, user.WrappedKey)
	if err != nil {
		return Session{}, errs.Wrap(errs.Internal, "service.LoginSSO", "", err)
	}
	providerMFA := p.MFAByProvider && id.MFA
	token, tokenHash := authn.NewToken()
	sess := store.SessionRow{
		ID:         crm.NewID("ses"),
		TokenHash:  tokenHash,
		UserID:     user.ID,
		TokenKey:   user.TokenKey,
		CreatedAt:  now,
		LastSeenAt: now,
		ExpiresAt:  now.Add(s.c.Absolute),
		MFAPending: !providerMFA && (user.TOTPSealed != nil || len(passkeys) > 0),
		SSOMFA:     providerMFA,
	}
	if !sess.MFAPending {
		sess.VerifiedAt = now
	}
	if err := sealSessionDevice(key, &sess, c); err != nil {
		return Session{}, err
	}
	a = authz.Actor{UserID: user.ID, SessionID: sess.ID, IP: c.IP}
	system := authz.Actor{UserID: authz.SystemUserID, IP: c.IP}
	err = core.Change(ctx, s.c, ssoStoreOf, func(tx ssoStore) error {
		if !found {
			if err := tx.InsertSubjectKey(ctx, user.ID, user.WrappedKey, keyring.WrappedTerm(user.WrappedKey), now); err != nil {
				return err
			}
			if err := tx.InsertUser(ctx, user); err != nil {
				if errs.Is(err, errs.Exist) { // created by a login that raced this one
					return errSSORefused
				}
				return err
			}
			if err := s.c.Record(ctx, tx, system, "user.create", "user", user.ID, []string{"email", "role"}, audit.Success, "single sign-on just-in-time account; role granted: "+roles); err != nil {
				return err
			}
		}
		if linked {
			if err := tx.TouchSSOLink(ctx, link, now); err != nil {
				return err
			}
		} else {
			if err := tx.InsertSSOLink(ctx, store.SSOLinkRow{Link: link, Issuer: issuer, UserID: user.ID, CreatedAt: now, LastUsedAt: now}); err != nil {
				if errs.Is(err, errs.Exist) {
					return errSSORefused
				}
				return err
			}
			why := "linked to an identity at the single sign-on provider"
			if found {
				why += " by its verified email"
			}
			if err := s.c.Record(ctx, tx, system, "user.sso_link", "user", user.ID, nil, audit.Success, why); err != nil {
				return err
			}
		}
		if found && roles != user.Role {
			if err := tx.UpdateUserRole(ctx, user.ID, roles, now); err != nil {
				return err
			}
			if err := s.c.Record(ctx, tx, system, "user.role_change", "user", user.ID, []string{"role"}, audit.Success, fmt.Sprintf("role %s -> %s (single sign-on group mapping)", user.Role, roles)); err != nil {
				return err
			}
		}
		if err := tx.InsertSession(ctx, sess); err != nil {
			return err
		}
		if err := s.trimSessions(ctx, tx, a, user.ID, roles); err != nil {
			return err
		}
		if err := tx.RecordLogin(ctx, user.ID, now); err != nil {
			return err
		}
		if err := defaultTimeZone(ctx, s.c, tx, a, user, c.TimeZone); err != nil {
			return err
		}
		reason := "sso"
		if providerMFA {
			reason = "sso; two-step login by the provider"
		}
		return s.c.Record(ctx, tx, a, "session.create", "user", user.ID, nil, audit.Success, reason)
	})
	if err != nil {
		return Session{}, err
	}
	return Session{Token: token, ID: sess.ID, UserID: user.ID, ExpiresAt: sess.ExpiresAt, MFAPending: sess.MFAPending}, nil
}

// StepUpSSO proves the actor's user fresh (a step-up, authz.StepUpWindow)
// by a new sign-in at the provider: the identity must be the one linked to
// the actor's account, signed in within the window, and, when the account
// has its own second factor, have passed two-step login at the provider
// with the administrator's leave (MFAByProvider) — otherwise that factor
// is what proves it. Failures are counted and audited like wrong codes;
// success rotates the session's token (Sessions.StepUp).
func (s *Sessions) StepUpSSO(ctx context.Context, a authz.Actor, id SSOIdentity) (Session, error) {
	p := s.sso
	if p == nil {
		return Session{}, errs.E(errs.NotExist, "single sign-on is not configured")
	}
	if a.MFAPending {
		return Session{}, errs.E(errs.Permission, "give your second factor first")
	}
	link := s.c.Index.Index(fieldcrypt.IndexSSOSubject, id.Issuer+"\n"+id.Subject)
	var linkedTo string
	var factor bool
	err := core.Look(ctx, s.c, ssoStoreOf, func(tx ssoStore) error {
		switch l, err := tx.SSOLinkByIndex(ctx, link); {
		case err == nil:
			linkedTo = l.UserID
		case !errs.Is(err, errs.NotExist):
			return err
		}
		u, err := tx.UserByID(ctx, a.UserID)
		if err != nil {
			return core.NotFound(err, "user")
		}
		pks, err := tx.UserPasskeys(ctx, a.UserID)
		factor = u.TOTPSealed != nil || len(pks) > 0
		return err
	})
	if err != nil {
		return Session{}, err
	}
	now := s.c.Now()
	reason := ""
	switch {
	case id.Issuer != p.Issuer || id.Subject == "" || linkedTo != a.UserID:
		reason = "sso: not this account's identity at the provider"
	case id.AuthTime.IsZero() || now.Sub(id.AuthTime) > authz.StepUpWindow || id.AuthTime.After(now.Add(time.Minute)):
		reason = "sso: the provider did not sign the user in again"
	case factor && !(p.MFAByProvider && id.MFA):
		reason = "sso: the account has a second factor and the provider's two-step login does not stand for it"
	}
	return s.prove(ctx, a, "sso", "your company's sign-in service did not confirm that it is you", func(mfaStore) (bool, string, error) {
		if reason != "" {
			return false, reason, nil
		}
		return true, "sso", nil
	})
}

// locked reports whether a run of failed logins has locked the account
// (authn.Lockout); the shorter delays before a lock slow password guessing
// only, and a provider's sign-in guesses no password.
func locked(fails store.LoginFailures, now time.Time) bool {
	_, lock := authn.Lockout(fails.Count)
	return lock && now.Before(fails.Until)
}

// refuseSSO audits a refused single sign-on (session.create, failure, the
// reason) and answers errSSORefused. It counts towards the address's
// throttle, not the account's lockout: nobody guessed a password.
func (s *Sessions) refuseSSO(ctx context.Context, a authz.Actor, user store.UserRow, reason string) error {
	a.UserID = user.ID
	if err := s.loginFailed(ctx, a, nil, user, "session.create", "sso: "+reason, false); err != nil {
		return err
	}
	return errSSORefused
}

// ssoStore is what the methods in sso.go read and write.
type ssoStore interface {
	sessionTrimmer
	InsertSession(ctx context.Context, s store.SessionRow) error
	InsertSSOLink(ctx context.Context, l store.SSOLinkRow) error
	InsertSubjectKey(ctx context.Context, subject string, wrapped []byte, kekTerm uint32, now time.Time) error
	InsertUser(ctx context.Context, u store.UserRow) error
	LoginFailures(ctx context.Context, account []byte) (store.LoginFailures, error)
	RecordLogin(ctx context.Context, id string, now time.Time) error
	SSOLinkByIndex(ctx context.Context, link []byte) (store.SSOLinkRow, error)
	TouchSSOLink(ctx context.Context, link []byte, now time.Time) error
	UpdateUserRole(ctx context.Context, id, role string, now time.Time) error
	UpdateUserTime(ctx context.Context, id, zone, format string, now time.Time) error
	UserByEmailIndex(ctx context.Context, idx []byte) (store.UserRow, error)
	UserByID(ctx context.Context, id string) (store.UserRow, error)
	UserHasSSOLink(ctx context.Context, userID string, issuer []byte) (bool, error)
	UserPasskeys(ctx context.Context, userID string) ([]store.PasskeyRow, error)
}

// ssoStoreOf is the compiler's check that the store has every method of ssoStore.
func ssoStoreOf(tx *store.Tx) ssoStore { return tx }
