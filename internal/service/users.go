package service

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/authn"
	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/fieldcrypt"
	"strongroom.dev/strongroom/internal/store"
)

// User is a person who logs in to Strongroom.
type User struct {
	ID        string     `json:"id"`
	Email     string     `json:"email"`
	Role      string     `json:"role"`
	Team      string     `json:"team,omitempty"`
	Disabled  bool       `json:"disabled"`
	MFA       bool       `json:"mfa"`               // has a second factor (authenticator app or passkey)
	Invited   bool       `json:"invited,omitempty"` // invited, has not chosen a password yet
	CreatedAt time.Time  `json:"created_at"`
	LastLogin *time.Time `json:"last_login_at,omitempty"`
}

// NewUser is the input to CreateUser.
type NewUser struct {
	Email    string
	Role     string
	Team     string // optional
	Password string
	// MustChange: the user must change the password at first login. It is
	// always so when a logged-in administrator chose it; the host's
	// command line sets it on request.
	MustChange bool
}

// checkTeam validates a team name: up to 64 letters, digits, spaces, dashes
// and underscores.
func checkTeam(team string) error {
	if _, err := crm.Label("team", team, 0); err != nil {
		return err
	}
	if len(team) > 64 {
		return errs.InvalidField("team", "team must be at most 64 characters")
	}
	for _, r := range team {
		if !(r == ' ' || r == '-' || r == '_' || r >= '0' && r <= '9' || unicode.IsLetter(r)) {
			return errs.InvalidField("team", "team may hold only letters, digits, spaces, dashes and underscores")
		}
	}
	return nil
}

// CreateUser adds a user. The email is sealed under the user's own data
// key and found by its blind index; the password is hashed.
func (s *Users) CreateUser(ctx context.Context, a authz.Actor, in NewUser) (User, error) {
	if err := s.checkNewUser(ctx, a, &in); err != nil {
		return User{}, err
	}
	hash, err := s.hashNewPassword(ctx, in.Email, in.Password)
	if err != nil {
		return User{}, err
	}
	return s.insertUser(ctx, a, in, hash, "user.create", nil)
}

// hashNewPassword checks a new password for the user with email (length,
// breached lists, their name and email, the product's name) and hashes it.
func (s *Users) hashNewPassword(ctx context.Context, email, password string) (string, error) {
	if err := authn.CheckPassword(password, s.minPassword, email, strings.Split(email, "@")[0]); err != nil {
		return "", err
	}
	return s.hasher.Hash(ctx, password)
}

// checkNewUser validates and normalises a new user's email, role and team.
func (s *Users) checkNewUser(ctx context.Context, a authz.Actor, in *NewUser) error {
	if err := may(a, authz.ActionCreate, authz.ObjectUser, "you may not create users"); err != nil {
		return err
	}
	if err := s.requireStepUp(a); err != nil {
		return err
	}
	email, err := crm.NormaliseEmail(in.Email)
	if err != nil {
		return err
	}
	if email == "" {
		return errs.InvalidField("email", "email is required")
	}
	in.Email = email
	if in.Role, err = s.checkRoles(ctx, in.Role); err != nil {
		return err
	}
	in.Team = strings.TrimSpace(in.Team)
	return checkTeam(in.Team)
}

// insertUser stores a checked new user with a password hash ("" for none
// yet: nobody can log in as them) and audits it as action; also, when
// set, runs within the same transaction.
func (s *Users) insertUser(ctx context.Context, a authz.Actor, in NewUser, hash, action string, also func(tx *store.Tx, id string) error) (User, error) {
	now := s.now()
	id := crm.NewID("usr")
	key, wrapped, err := s.keys.NewDataKey(id)
	if err != nil {
		return User{}, err
	}
	sealed, err := fieldcrypt.Seal(key, fieldcrypt.Place{Table: "users", Column: "email_ct", Row: id}, in.Email)
	if err != nil {
		return User{}, err
	}
	row := store.UserRow{
		MustChangePassword: hash != "" && (in.MustChange || a.UserID != authz.SystemUserID),
		ID:                 id,
		EmailIndex:         s.index.Index(fieldcrypt.IndexUserEmail, in.Email),
		EmailSealed:        sealed,
		Role:               in.Role,
		Team:               in.Team,
		PasswordHash:       hash,
		TokenKey:           authn.NewTokenKey(),
		CreatedAt:          now,
		UpdatedAt:          now,
	}
	err = s.withTx(ctx, func(tx *store.Tx) error {
		if err := tx.InsertSubjectKey(ctx, id, wrapped, s.keys.ActiveTerm(), now); err != nil {
			return err
		}
		if err := tx.InsertUser(ctx, row); err != nil {
			if errs.Is(err, errs.Exist) {
				return errs.InvalidField("email", "a user with this email already exists")
			}
			return err
		}
		if also != nil {
			if err := also(tx, id); err != nil {
				return err
			}
		}
		return s.record(ctx, tx, a, action, "user", id, []string{"email", "role"}, audit.Success, "role granted: "+in.Role)
	})
	if err != nil {
		return User{}, err
	}
	return User{ID: id, Email: in.Email, Role: in.Role, Team: in.Team, CreatedAt: now}, nil
}

// SetUserRole changes a user's roles (one, or several separated by
// commas: the union of their grants applies). The change applies from the
// user's next request, including in open sessions.
func (s *Users) SetUserRole(ctx context.Context, a authz.Actor, userID, role string) (User, error) {
	role, err := s.checkRoles(ctx, role)
	if err != nil {
		return User{}, err
	}
	if err := may(a, authz.ActionUpdate, authz.ObjectUser, "you may not change roles"); err != nil {
		return User{}, err
	}
	var out User
	err = s.withTx(ctx, func(tx *store.Tx) error {
		u, err := tx.UserByID(ctx, userID)
		if err != nil {
			return notFound(err, "user")
		}
		if u.Role == role { // nothing changes, nothing to record
			out, err = s.openUser(u)
			return err
		}
		if a.UserID == userID {
			return errs.E(errs.Permission, "you may not change your own role")
		}
		if err := s.requireStepUp(a); err != nil {
			return err
		}
		if err := s.useGrant(ctx, tx, a, KindRoleChange, userID, role, "changing this user's roles"); err != nil {
			return err
		}
		if err := tx.UpdateUserRole(ctx, userID, role, s.now()); err != nil {
			return err
		}
		if out, err = s.openUser(u); err != nil {
			return err
		}
		out.Role = role
		return s.record(ctx, tx, a, "user.role_change", "user", userID, []string{"role"}, audit.Success, fmt.Sprintf("role %s -> %s", u.Role, role))
	})
	if err != nil {
		return User{}, err
	}
	return out, nil
}

// SetUserTeam moves a user to another team ("" for none). Team-scoped
// access follows from the user's next request.
func (s *Users) SetUserTeam(ctx context.Context, a authz.Actor, userID, team string) (User, error) {
	team = strings.TrimSpace(team)
	if err := checkTeam(team); err != nil {
		return User{}, err
	}
	if err := may(a, authz.ActionUpdate, authz.ObjectUser, "you may not change teams"); err != nil {
		return User{}, err
	}
	var out User
	err := s.withTx(ctx, func(tx *store.Tx) error {
		u, err := tx.UserByID(ctx, userID)
		if err != nil {
			return notFound(err, "user")
		}
		if u.Team != team {
			if err := s.requireStepUp(a); err != nil {
				return err
			}
		}
		if err := tx.UpdateUserTeam(ctx, userID, team, s.now()); err != nil {
			return err
		}
		if out, err = s.openUser(u); err != nil {
			return err
		}
		out.Team = team
		return s.record(ctx, tx, a, "user.team_change", "user", userID, []string{"team"}, audit.Success, fmt.Sprintf("team %q -> %q", u.Team, team))
	})
	if err != nil {
		return User{}, err
	}
	return out, nil
}

// Locales are the UI languages.
var Locales = []string{"en", "zh-CN"}

// SetMyLocale stores the actor's own UI language.
func (s *Users) SetMyLocale(ctx context.Context, a authz.Actor, locale string) error {
	if !slices.Contains(Locales, locale) {
		return errs.InvalidField("locale", "locale must be en or zh-CN")
	}
	if a.UserID == authz.SystemUserID || a.SessionID == "" {
		return errs.E(errs.Permission, "only a logged-in user has a language")
	}
	return s.withTx(ctx, func(tx *store.Tx) error {
		if err := tx.UpdateUserLocale(ctx, a.UserID, locale, s.now()); err != nil {
			return err
		}
		return s.record(ctx, tx, a, "user.locale_change", "user", a.UserID, []string{"locale"}, audit.Success, locale)
	})
}

// SetPassword replaces a user's password and ends all their sessions.
func (s *Users) SetPassword(ctx context.Context, a authz.Actor, userID, password string) error {
	if err := may(a, authz.ActionUpdate, authz.ObjectUser, "you may not set passwords"); err != nil {
		return err
	}
	if err := s.requireStepUp(a); err != nil {
		return err
	}
	var u store.UserRow
	err := s.db.ReadTx(ctx, func(tx *store.Tx) error {
		var err error
		u, err = tx.UserByID(ctx, userID)
		return notFound(err, "user")
	})
	if err != nil {
		return err
	}
	user, err := s.openUser(u)
	if err != nil {
		return err
	}
	hash, err := s.hashNewPassword(ctx, user.Email, password)
	if err != nil {
		return err
	}
	return s.withTx(ctx, func(tx *store.Tx) error {
		if err := tx.UpdateUserPassword(ctx, userID, hash, authn.NewTokenKey(), s.now()); err != nil {
			return err
		}
		// Someone else chose it: the user changes it at their next login.
		if err := tx.SetMustChangePassword(ctx, userID, a.UserID != authz.SystemUserID); err != nil {
			return err
		}
		return s.record(ctx, tx, a, "user.password_set", "user", userID, []string{"password"}, audit.Success, "sessions ended")
	})
}

// ListUsers returns every user to those who may read users (admins); the
// emails shown are audited as a read of staff personal data.
func (s *Users) ListUsers(ctx context.Context, a authz.Actor) ([]User, error) {
	if err := may(a, authz.ActionRead, authz.ObjectUser, "you may not list users"); err != nil {
		return nil, err
	}
	var out []User
	err := s.withTx(ctx, func(tx *store.Tx) error {
		rows, err := tx.ListUsers(ctx)
		if err != nil {
			return err
		}
		invited, err := tx.PendingInvites(ctx, s.now())
		if err != nil {
			return err
		}
		passkeys, err := tx.UsersWithPasskeys(ctx)
		if err != nil {
			return err
		}
		for _, r := range rows {
			u, err := s.openUser(r)
			if err != nil {
				return err
			}
			u.Invited = invited[u.ID]
			u.MFA = u.MFA || passkeys[u.ID]
			out = append(out, u)
		}
		return s.record(ctx, tx, a, "user.list", "user", "", []string{"email"}, audit.Success, fmt.Sprintf("%d users", len(out)))
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// UserIDByEmail finds a user's id by email, for command-line administration.
func (s *Users) UserIDByEmail(ctx context.Context, a authz.Actor, email string) (string, error) {
	if err := may(a, authz.ActionRead, authz.ObjectUser, "you may not look up users"); err != nil {
		return "", err
	}
	norm, err := crm.NormaliseEmail(email)
	if err != nil {
		return "", err
	}
	var id string
	err = s.db.ReadTx(ctx, func(tx *store.Tx) error {
		u, err := tx.UserByEmailIndex(ctx, s.index.Index(fieldcrypt.IndexUserEmail, norm))
		id = u.ID
		return notFound(err, "user")
	})
	return id, err
}

func (s *core) openUser(u store.UserRow) (User, error) {
	key, err := s.keys.OpenDataKey(u.ID, u.WrappedKey)
	if err != nil {
		return User{}, errs.Wrap(errs.Internal, "service.openUser", "", err)
	}
	email, err := fieldcrypt.Open(key, fieldcrypt.Place{Table: "users", Column: "email_ct", Row: u.ID}, u.EmailSealed)
	if err != nil {
		return User{}, errs.Wrap(errs.Internal, "service.openUser", "", err)
	}
	out := User{ID: u.ID, Email: email, Role: u.Role, Team: u.Team, Disabled: u.Disabled, MFA: u.TOTPSealed != nil, CreatedAt: u.CreatedAt}
	if !u.LastLoginAt.IsZero() {
		out.LastLogin = &u.LastLoginAt
	}
	return out, nil
}

// notFound turns a store NotExist into a public "<what> not found".
func notFound(err error, what string) error {
	if errs.Is(err, errs.NotExist) {
		return errs.Wrap(errs.NotExist, "service", what+" not found", err)
	}
	return err
}

// SetUserDisabled disables a user (ending every session they have) or
// enables them again. Administrators only; never oneself.
func (s *Users) SetUserDisabled(ctx context.Context, a authz.Actor, userID string, disabled bool) error {
	if err := may(a, authz.ActionUpdate, authz.ObjectUser, "you may not disable users"); err != nil {
		return err
	}
	if a.UserID == userID {
		return errs.E(errs.Permission, "you may not disable yourself")
	}
	if err := s.requireStepUp(a); err != nil {
		return err
	}
	action := "user.enable"
	if disabled {
		action = "user.disable"
	}
	return s.withTx(ctx, func(tx *store.Tx) error {
		u, err := tx.UserByID(ctx, userID)
		if err != nil {
			return notFound(err, "user")
		}
		if disabled {
			return s.disableUser(ctx, tx, a, u, "sessions ended")
		}
		if err := tx.UpdateUserDisabled(ctx, userID, false, authn.NewTokenKey(), s.now()); err != nil {
			return err
		}
		return s.record(ctx, tx, a, action, "user", userID, []string{"disabled"}, audit.Success, "")
	})
}

var errLastAdmin = errs.E(errs.Conflict, "this is the last enabled administrator; enable or add another first, so that someone can still administer")

// disableUser disables u in tx, ending every session, audited with why.
// The last enabled administrator is kept (errLastAdmin).
func (s *core) disableUser(ctx context.Context, tx *store.Tx, a authz.Actor, u store.UserRow, why string) error {
	if !u.Disabled && authz.HasRole(u.Role, authz.RoleAdmin) {
		n, err := tx.CountEnabledWithRole(ctx, string(authz.RoleAdmin))
		if err != nil {
			return err
		}
		if n <= 1 {
			return errLastAdmin
		}
	}
	if err := tx.UpdateUserDisabled(ctx, u.ID, true, authn.NewTokenKey(), s.now()); err != nil {
		return err
	}
	return s.record(ctx, tx, a, "user.disable", "user", u.ID, []string{"disabled"}, audit.Success, why)
}

// ChangeMyPassword replaces the actor's password after checking the
// current one. Every other session of the user ends; this one stays.
func (s *Users) ChangeMyPassword(ctx context.Context, a authz.Actor, current, next string) error {
	if a.SessionID == "" || a.UserID == authz.SystemUserID {
		return errs.E(errs.Permission, "log in to change your password")
	}
	var u store.UserRow
	err := s.db.ReadTx(ctx, func(tx *store.Tx) error {
		var err error
		u, err = tx.UserByID(ctx, a.UserID)
		return notFound(err, "user")
	})
	if err != nil {
		return err
	}
	if err := s.recheckPassword(ctx, a, u, current, "user.password_change", "current_password"); err != nil {
		return err
	}
	if next == current {
		return errs.InvalidField("new_password", "choose a new password, not the current one")
	}
	me, err := s.openUser(u)
	if err != nil {
		return err
	}
	hash, err := s.hashNewPassword(ctx, me.Email, next)
	if errs.Is(err, errs.Invalid) {
		msg, _ := errs.Public(err)
		return errs.InvalidField("new_password", msg)
	}
	if err != nil {
		return err
	}
	key := authn.NewTokenKey()
	return s.withTx(ctx, func(tx *store.Tx) error {
		if err := tx.UpdateUserPassword(ctx, a.UserID, hash, key, s.now()); err != nil {
			return err
		}
		if err := tx.UpdateSessionTokenKey(ctx, a.SessionID, key); err != nil {
			return err
		}
		if u.MustChangePassword {
			if err := tx.SetMustChangePassword(ctx, a.UserID, false); err != nil {
				return err
			}
		}
		return s.record(ctx, tx, a, "user.password_change", "user", a.UserID, []string{"password"}, audit.Success, "other sessions ended")
	})
}

// DisableDormant disables every account unused for longer than after (no
// login since, or never logged in and created before), ending its
// sessions, and returns their ids. The last enabled administrator is kept,
// so that nobody is locked out of administration. A background job calls
// it as the system actor; every disabling is audited with the reason.
func (s *Users) DisableDormant(ctx context.Context, after time.Duration) ([]string, error) {
	sys := authz.System()
	var out []string
	err := s.withTx(ctx, func(tx *store.Tx) error {
		ids, err := tx.DormantUsers(ctx, s.now().Add(-after))
		if err != nil {
			return err
		}
		for _, id := range ids {
			u, err := tx.UserByID(ctx, id)
			if err != nil {
				return err
			}
			switch err := s.disableUser(ctx, tx, sys, u, fmt.Sprintf("unused for more than %d days", int(after.Hours()/24))); {
			case err == errLastAdmin:
				continue
			case err != nil:
				return err
			}
			out = append(out, id)
		}
		return nil
	})
	return out, err
}
