package identity

import (
	"context"
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

// How long emailed links work.
const (
	ResetLinkFor  = 30 * time.Minute
	InviteLinkFor = 7 * 24 * time.Hour
)

// Web UI paths that emailed links open, with ?token=…; the web UI moves the
// token out of the address at the first request (a cookie, then a redirect).
const (
	ResetPath  = "/password/reset"
	InvitePath = "/invite"
)

var errBadLink = errs.InvalidField("token", "this link is not valid: it was used already, has expired or was replaced by a newer one; ask for a new one")

// issueLink makes a fresh single-use link for user, voiding older unused
// ones of the same purpose, inside tx. It returns the token.
func (s *Users) issueLink(ctx context.Context, tx linkStore, userID, purpose string, ttl time.Duration) (string, error) {
	now := s.c.Now()
	token, hash := authn.NewLinkToken()
	if err := tx.RevokeLinks(ctx, userID, purpose, now); err != nil {
		return "", err
	}
	err := tx.InsertLink(ctx, store.LinkRow{TokenHash: hash, UserID: userID, Purpose: purpose, CreatedAt: now, ExpiresAt: now.Add(ttl)})
	return token, err
}

// RequestPasswordReset emails a single-use link, valid for 30 minutes, to
// the account with this email, if there is an enabled one. The answer is
// the same whether or not there is: nothing tells who has an account, and
// the email is sent in the background. Requests count against the
// client's address like failed logins, so nobody can mail-bomb a user.
func (s *Users) RequestPasswordReset(ctx context.Context, email string, c Client) error {
	now := s.c.Now()
	a := authz.Actor{IP: c.IP}
	if wait, ok := s.c.Throttle.Allow(c.IP, now); !ok {
		return tooMany("too many requests from your address", wait)
	}
	s.c.Throttle.Failure(c.IP, now)
	norm, err := crm.NormaliseEmail(email)
	if err != nil || norm == "" {
		return errs.InvalidField("email", "email is not a valid address (like name@example.com)")
	}
	var user store.UserRow
	var token string
	err = core.Change(ctx, s.c, linkStoreOf, func(tx linkStore) error {
		var err error
		user, err = tx.UserByEmailIndex(ctx, s.c.Index.Index(fieldcrypt.IndexUserEmail, norm))
		if errs.Is(err, errs.NotExist) || err == nil && user.Disabled {
			return s.c.Record(ctx, tx, a, "user.password_reset_request", "user", user.ID, nil, audit.Denied, "no enabled account")
		}
		if err != nil {
			return err
		}
		if token, err = s.issueLink(ctx, tx, user.ID, store.LinkReset, ResetLinkFor); err != nil {
			return err
		}
		return s.c.Record(ctx, tx, a, "user.password_reset_request", "user", user.ID, nil, audit.Success, "link emailed")
	})
	if err != nil || token == "" {
		return err
	}
	s.c.Mailer.Enqueue(core.ComposeMail("reset", user.Locale, norm, core.MailData{When: core.MailTimeFor(user, now), IP: c.IP, Link: s.c.Link(ResetPath, token)}))
	return nil
}

// ResetPassword sets a new password with a reset link. It ends every
// session of the user and clears a lockout, but logs nobody in: the next
// login still asks for the second factor.
func (s *Users) ResetPassword(ctx context.Context, token, password string, c Client) error {
	return s.setPasswordByLink(ctx, token, store.LinkReset, password, c, "user.password_reset")
}

// AcceptInvitation sets the invited user's first password.
func (s *Users) AcceptInvitation(ctx context.Context, token, password string, c Client) error {
	return s.setPasswordByLink(ctx, token, store.LinkInvite, password, c, "user.invitation_accept")
}

// CheckLink tells whether a link is still usable, so that the page it
// opens can say so before the user types a password.
func (s *Users) CheckLink(ctx context.Context, token, purpose string) error {
	_, err := s.linkUser(ctx, token, purpose)
	return err
}

func (s *Users) linkUser(ctx context.Context, token, purpose string) (store.UserRow, error) {
	if !authn.WellFormedLinkToken(token) {
		return store.UserRow{}, errBadLink
	}
	var u store.UserRow
	err := core.Look(ctx, s.c, linkStoreOf, func(tx linkStore) error {
		l, err := tx.LinkByHash(ctx, authn.HashToken(token))
		if errs.Is(err, errs.NotExist) || err == nil && (l.Purpose != purpose || l.Used || !s.c.Now().Before(l.ExpiresAt)) {
			return errBadLink
		}
		if err != nil {
			return err
		}
		if u, err = tx.UserByID(ctx, l.UserID); err != nil {
			return err
		}
		if u.Disabled {
			return errBadLink
		}
		return nil
	})
	return u, err
}

func (s *Users) setPasswordByLink(ctx context.Context, token, purpose, password string, c Client, action string) error {
	u, err := s.linkUser(ctx, token, purpose)
	if err != nil {
		return err
	}
	me, err := s.c.OpenUser(u)
	if err != nil {
		return err
	}
	hash, err := s.hashNewPassword(ctx, me.Email, password)
	if err != nil {
		return err
	}
	now := s.c.Now()
	a := authz.Actor{UserID: u.ID, IP: c.IP}
	return core.Change(ctx, s.c, linkStoreOf, func(tx linkStore) error {
		if err := tx.UseLink(ctx, authn.HashToken(token), now); err != nil {
			if errs.Is(err, errs.NotExist) { // spent by a concurrent use
				return errBadLink
			}
			return err
		}
		if err := tx.RevokeLinks(ctx, u.ID, store.LinkReset, now); err != nil {
			return err
		}
		if err := tx.UpdateUserPassword(ctx, u.ID, hash, authn.NewTokenKey(), now); err != nil {
			return err
		}
		if err := tx.ClearLoginFailures(ctx, u.EmailIndex); err != nil {
			return err
		}
		if u.MustChangePassword { // the user chose this one
			if err := tx.SetMustChangePassword(ctx, u.ID, false); err != nil {
				return err
			}
		}
		return s.c.Record(ctx, tx, a, action, "user", u.ID, []string{"password"}, audit.Success, "sessions ended")
	})
}

// Invitation is a user invited by email. Link is set only when no mail
// relay is configured: then the administrator passes it on themselves.
type Invitation struct {
	User   core.User `json:"user"`
	Mailed bool      `json:"mailed"`
	Link   string    `json:"link,omitempty"`
}

// InviteUser creates a user without a password and emails them a link,
// valid for 7 days, to choose one. Until they do, nobody can log in as
// them. Administrators only; audited as user.invite.
func (s *Users) InviteUser(ctx context.Context, a authz.Actor, in NewUser) (Invitation, error) {
	if err := s.checkNewUser(ctx, a, &in); err != nil {
		return Invitation{}, err
	}
	var token string
	u, err := s.insertUser(ctx, a, in, "", "user.invite", func(tx userStore, id string) error {
		var err error
		token, err = s.issueLink(ctx, tx, id, store.LinkInvite, InviteLinkFor)
		return err
	})
	if err != nil {
		return Invitation{}, err
	}
	inviter := "An administrator"
	if me, err := s.me(ctx, a); err == nil {
		inviter = me.Email
	}
	link := s.c.Link(InvitePath, token)
	out := Invitation{User: u}
	if out.Mailed = s.c.Mailer.Enqueue(core.ComposeMail("invite", a.Locale, u.Email, core.MailData{Inviter: inviter, Role: u.Role, Link: link})); !out.Mailed {
		out.Link = link
	}
	return out, nil
}

// SendPasswordReset issues a reset link for a user at an administrator's
// request (the user lost their password and cannot reach the login page's
// form, say). The link is emailed; when no relay is configured it is
// returned for the administrator to pass on. Audited.
func (s *Users) SendPasswordReset(ctx context.Context, a authz.Actor, userID string) (link string, mailed bool, err error) {
	if err := core.May(a, authz.ActionUpdate, authz.ObjectUser, "you may not reset other users' passwords"); err != nil {
		return "", false, err
	}
	if err := s.c.RequireStepUp(a); err != nil {
		return "", false, err
	}
	var u store.UserRow
	var token string
	err = core.Change(ctx, s.c, linkStoreOf, func(tx linkStore) error {
		var err error
		if u, err = tx.UserByID(ctx, userID); err != nil {
			return core.NotFound(err, "user")
		}
		if u.Disabled {
			return errs.E(errs.Conflict, "the user is disabled; enable them first")
		}
		if token, err = s.issueLink(ctx, tx, u.ID, store.LinkReset, ResetLinkFor); err != nil {
			return err
		}
		return s.c.Record(ctx, tx, a, "user.password_reset_request", "user", u.ID, nil, audit.Success, "by an administrator")
	})
	if err != nil {
		return "", false, err
	}
	me, err := s.c.OpenUser(u)
	if err != nil {
		return "", false, err
	}
	link = s.c.Link(ResetPath, token)
	if s.c.Mailer.Enqueue(core.ComposeMail("reset", u.Locale, me.Email, core.MailData{When: core.MailTimeFor(u, s.c.Now()), IP: a.IP, Link: link})) {
		return "", true, nil
	}
	return link, false, nil
}

// linkStore is what the methods in links.go read and write.
type linkStore interface {
	audit.Appender
	ClearLoginFailures(ctx context.Context, account []byte) error
	InsertLink(ctx context.Context, l store.LinkRow) error
	LinkByHash(ctx context.Context, hash []byte) (store.LinkRow, error)
	RevokeLinks(ctx context.Context, userID, purpose string, now time.Time) error
	SetMustChangePassword(ctx context.Context, id string, must bool) error
	UpdateUserPassword(ctx context.Context, id, hash string, tokenKey []byte, now time.Time) error
	UseLink(ctx context.Context, hash []byte, now time.Time) error
	UserByEmailIndex(ctx context.Context, idx []byte) (store.UserRow, error)
	UserByID(ctx context.Context, id string) (store.UserRow, error)
}

// linkStoreOf is the compiler's check that the store has every method of linkStore.
func linkStoreOf(tx *store.Tx) linkStore { return tx }
