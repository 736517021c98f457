package identity

import (
	"context"
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
	"strongroom.dev/strongroom/internal/keyring"
	"strongroom.dev/strongroom/internal/service/core"
	"strongroom.dev/strongroom/internal/store"
	"strongroom.dev/strongroom/internal/zone"
)

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

// CreateUser adds a user. The email is sealed under the user's own data
// key and found by its blind index; the password is hashed.
func (s *Users) CreateUser(ctx context.Context, a authz.Actor, in NewUser) (core.User, error) {
	if err := s.checkNewUser(ctx, a, &in); err != nil {
		return core.User{}, err
	}
	hash, err := s.hashNewPassword(ctx, in.Email, in.Password)
	if err != nil {
		return core.User{}, err
	}
	return s.insertUser(ctx, a, in, hash, "user.create", nil)
}

// hashNewPassword checks a new password for the user with email (length,
// breached lists, their name and email, the product's name) and hashes it.
func (s *Users) hashNewPassword(ctx context.Context, email, password string) (string, error) {
	if err := authn.CheckPassword(password, s.c.MinPassword, email, strings.Split(email, "@")[0]); err != nil {
		return "", err
	}
	return s.c.Hasher.Hash(ctx, password)
}

// checkNewUser validates and normalises a new user's email, role and team.
func (s *Users) checkNewUser(ctx context.Context, a authz.Actor, in *NewUser) error {
	if err := core.May(a, authz.ActionCreate, authz.ObjectUser, "you may not create users"); err != nil {
		return err
	}
	if err := s.c.RequireStepUp(a); err != nil {
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
	if in.Role, err = s.c.CheckRoles(ctx, in.Role); err != nil {
		return err
	}
	in.Team = strings.TrimSpace(in.Team)
	return crm.CheckTeam(in.Team)
}

// insertUser stores a checked new user with a password hash ("" for none
// yet: nobody can log in as them) and audits it as action; also, when
// set, runs within the same transaction.
func (s *Users) insertUser(ctx context.Context, a authz.Actor, in NewUser, hash, action string, also func(tx userStore, id string) error) (core.User, error) {
	now := s.c.Now()
	id := crm.NewID("usr")
	key, wrapped, err := s.c.Keys.NewDataKey(id)
	if err != nil {
		return core.User{}, err
	}
	sealed, err := fieldcrypt.Seal(key, fieldcrypt.Place{Table: "users", Column: "email_ct", Row: id}, in.Email)
	if err != nil {
		return core.User{}, err
	}
	row := store.UserRow{
		MustChangePassword: hash != "" && (in.MustChange || a.UserID != authz.SystemUserID),
		ID:                 id,
		EmailIndex:         s.c.Index.Index(fieldcrypt.IndexUserEmail, in.Email),
		EmailSealed:        sealed,
		Role:               in.Role,
		Team:               in.Team,
		PasswordHash:       hash,
		TokenKey:           authn.NewTokenKey(),
		CreatedAt:          now,
		UpdatedAt:          now,
	}
	err = core.Change(ctx, s.c, userStoreOf, func(tx userStore) error {
		if err := tx.InsertSubjectKey(ctx, id, wrapped, keyring.WrappedTerm(wrapped), now); err != nil {
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
		return s.c.Record(ctx, tx, a, action, "user", id, []string{"email", "role"}, audit.Success, "role granted: "+in.Role)
	})
	if err != nil {
		return core.User{}, err
	}
	return core.User{ID: id, Email: in.Email, Role: in.Role, Team: in.Team, CreatedAt: now}, nil
}

// SetUserRole changes a user's roles (one, or several separated by
// commas: the union of their grants applies). The change applies from the
// user's next request, including in open sessions.
func (s *Users) SetUserRole(ctx context.Context, a authz.Actor, userID, role string) (core.User, error) {
	role, err := s.c.CheckRoles(ctx, role)
	if err != nil {
		return core.User{}, err
	}
	if err := core.May(a, authz.ActionUpdate, authz.ObjectUser, "you may not change roles"); err != nil {
		return core.User{}, err
	}
	var out core.User
	err = core.Change(ctx, s.c, userStoreOf, func(tx userStore) error {
		u, err := tx.UserByID(ctx, userID)
		if err != nil {
			return core.NotFound(err, "user")
		}
		if u.Role == role { // nothing changes, nothing to record
			out, err = s.c.OpenUser(u)
			return err
		}
		if a.UserID == userID {
			return errs.E(errs.Permission, "you may not change your own role")
		}
		if err := s.c.RequireStepUp(a); err != nil {
			return err
		}
		if err := s.c.UseGrant(ctx, tx, a, core.KindRoleChange, userID, role, "changing this user's roles"); err != nil {
			return err
		}
		if err := tx.UpdateUserRole(ctx, userID, role, s.c.Now()); err != nil {
			return err
		}
		if out, err = s.c.OpenUser(u); err != nil {
			return err
		}
		out.Role = role
		return s.c.Record(ctx, tx, a, "user.role_change", "user", userID, []string{"role"}, audit.Success, fmt.Sprintf("role %s -> %s", u.Role, role))
	})
	if err != nil {
		return core.User{}, err
	}
	return out, nil
}

// SetUserTeam moves a user to another team ("" for none). Team-scoped
// access follows from the user's next request.
func (s *Users) SetUserTeam(ctx context.Context, a authz.Actor, userID, team string) (core.User, error) {
	team = strings.TrimSpace(team)
	if err := crm.CheckTeam(team); err != nil {
		return core.User{}, err
	}
	if err := core.May(a, authz.ActionUpdate, authz.ObjectUser, "you may not change teams"); err != nil {
		return core.User{}, err
	}
	var out core.User
	err := core.Change(ctx, s.c, userStoreOf, func(tx userStore) error {
		u, err := tx.UserByID(ctx, userID)
		if err != nil {
			return core.NotFound(err, "user")
		}
		if u.Team != team {
			if err := s.c.RequireStepUp(a); err != nil {
				return err
			}
		}
		if err := tx.UpdateUserTeam(ctx, userID, team, s.c.Now()); err != nil {
			return err
		}
		if out, err = s.c.OpenUser(u); err != nil {
			return err
		}
		out.Team = team
		return s.c.Record(ctx, tx, a, "user.team_change", "user", userID, []string{"team"}, audit.Success, fmt.Sprintf("team %q -> %q", u.Team, team))
	})
	if err != nil {
		return core.User{}, err
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
	return core.Change(ctx, s.c, userStoreOf, func(tx userStore) error {
		if err := tx.UpdateUserLocale(ctx, a.UserID, locale, s.c.Now()); err != nil {
			return err
		}
		return s.c.Record(ctx, tx, a, "user.locale_change", "user", a.UserID, []string{"locale"}, audit.Success, locale)
	})
}

// SetMyTime stores how the actor's own times are shown: a tz database
// zone ("" for UTC) and a date format (zone.Formats). Times stay stored in
// UTC; this changes only what the user reads.
func (s *Users) SetMyTime(ctx context.Context, a authz.Actor, zoneName, format string) error {
	if _, err := zone.Load(zoneName); err != nil {
		return err
	}
	if err := zone.CheckFormat(format); err != nil {
		return err
	}
	if zoneName == "UTC" {
		zoneName = ""
	}
	if a.UserID == authz.SystemUserID || a.SessionID == "" {
		return errs.E(errs.Permission, "only a logged-in user has a time zone")
	}
	return core.Change(ctx, s.c, userStoreOf, func(tx userStore) error {
		if err := tx.UpdateUserTime(ctx, a.UserID, zoneName, format, s.c.Now()); err != nil {
			return err
		}
		return s.c.Record(ctx, tx, a, "user.time_change", "user", a.UserID, []string{"time_zone", "time_format"}, audit.Success, strings.TrimSpace(zoneName+" "+format))
	})
}

// defaultTimeZone gives a user who never chose a zone the one their
// browser reported at login, when it is a tz database zone; an unknown
// name is ignored (the user then reads UTC, stated).
func defaultTimeZone(ctx context.Context, c *core.Core, tx interface {
	audit.Appender
	UpdateUserTime(ctx context.Context, id, zone, format string, now time.Time) error
}, a authz.Actor, user store.UserRow, browser string) error {
	z := zone.Canonical(browser)
	if user.TimeZone != "" || z == "" {
		return nil
	}
	if err := tx.UpdateUserTime(ctx, user.ID, z, user.TimeFormat, c.Now()); err != nil {
		return err
	}
	return c.Record(ctx, tx, a, "user.time_change", "user", user.ID, []string{"time_zone"}, audit.Success, z+" (browser)")
}

// SetPassword replaces a user's password and ends all their sessions.
func (s *Users) SetPassword(ctx context.Context, a authz.Actor, userID, password string) error {
	if err := core.May(a, authz.ActionUpdate, authz.ObjectUser, "you may not set passwords"); err != nil {
		return err
	}
	if err := s.c.RequireStepUp(a); err != nil {
		return err
	}
	var u store.UserRow
	err := core.Look(ctx, s.c, userStoreOf, func(tx userStore) error {
		var err error
		u, err = tx.UserByID(ctx, userID)
		return core.NotFound(err, "user")
	})
	if err != nil {
		return err
	}
	user, err := s.c.OpenUser(u)
	if err != nil {
		return err
	}
	hash, err := s.hashNewPassword(ctx, user.Email, password)
	if err != nil {
		return err
	}
	return core.Change(ctx, s.c, userStoreOf, func(tx userStore) error {
		if err := tx.UpdateUserPassword(ctx, userID, hash, authn.NewTokenKey(), s.c.Now()); err != nil {
			return err
		}
		// Someone else chose it: the user changes it at their next login.
		if err := tx.SetMustChangePassword(ctx, userID, a.UserID != authz.SystemUserID); err != nil {
			return err
		}
		return s.c.Record(ctx, tx, a, "user.password_set", "user", userID, []string{"password"}, audit.Success, "sessions ended")
	})
}

// ListUsers returns every user to those who may read users (admins); the
// emails shown are audited as a read of staff personal data.
func (s *Users) ListUsers(ctx context.Context, a authz.Actor) ([]core.User, error) {
	if err := core.May(a, authz.ActionRead, authz.ObjectUser, "you may not list users"); err != nil {
		return nil, err
	}
	var out []core.User
	err := core.Change(ctx, s.c, userStoreOf, func(tx userStore) error {
		rows, err := tx.ListUsers(ctx)
		if err != nil {
			return err
		}
		invited, err := tx.PendingInvites(ctx, s.c.Now())
		if err != nil {
			return err
		}
		passkeys, err := tx.UsersWithPasskeys(ctx)
		if err != nil {
			return err
		}
		for _, r := range rows {
			u, err := s.c.OpenUser(r)
			if err != nil {
				return err
			}
			u.Invited = invited[u.ID]
			u.MFA = u.MFA || passkeys[u.ID]
			out = append(out, u)
		}
		return s.c.Record(ctx, tx, a, "user.list", "user", "", []string{"email"}, audit.Success, fmt.Sprintf("%d users", len(out)))
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// UserIDByEmail finds a user's id by email, for command-line administration.
func (s *Users) UserIDByEmail(ctx context.Context, a authz.Actor, email string) (string, error) {
	if err := core.May(a, authz.ActionRead, authz.ObjectUser, "you may not look up users"); err != nil {
		return "", err
	}
	norm, err := crm.NormaliseEmail(email)
	if err != nil {
		return "", err
	}
	var id string
	err = core.Look(ctx, s.c, userStoreOf, func(tx userStore) error {
		u, err := tx.UserByEmailIndex(ctx, s.c.Index.Index(fieldcrypt.IndexUserEmail, norm))
		id = u.ID
		return core.NotFound(err, "user")
	})
	return id, err
}

// SetUserDisabled disables a user (ending every session they have) or
// enables them again. Administrators only; never oneself.
func (s *Users) SetUserDisabled(ctx context.Context, a authz.Actor, userID string, disabled bool) error {
	if err := core.May(a, authz.ActionUpdate, authz.ObjectUser, "you may not disable users"); err != nil {
		return err
	}
	if a.UserID == userID {
		return errs.E(errs.Permission, "you may not disable yourself")
	}
	if err := s.c.RequireStepUp(a); err != nil {
		return err
	}
	action := "user.enable"
	if disabled {
		action = "user.disable"
	}
	return core.Change(ctx, s.c, userStoreOf, func(tx userStore) error {
		u, err := tx.UserByID(ctx, userID)
		if err != nil {
			return core.NotFound(err, "user")
		}
		if disabled {
			return s.c.DisableUser(ctx, tx, a, u, "sessions ended")
		}
		if err := tx.UpdateUserDisabled(ctx, userID, false, authn.NewTokenKey(), s.c.Now()); err != nil {
			return err
		}
		return s.c.Record(ctx, tx, a, action, "user", userID, []string{"disabled"}, audit.Success, "")
	})
}

// ChangeMyPassword replaces the actor's password after checking the
// current one. Every other session of the user ends; this one stays.
func (s *Users) ChangeMyPassword(ctx context.Context, a authz.Actor, current, next string) error {
	if a.SessionID == "" || a.UserID == authz.SystemUserID {
		return errs.E(errs.Permission, "log in to change your password")
	}
	var u store.UserRow
	err := core.Look(ctx, s.c, userStoreOf, func(tx userStore) error {
		var err error
		u, err = tx.UserByID(ctx, a.UserID)
		return core.NotFound(err, "user")
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
	me, err := s.c.OpenUser(u)
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
	return core.Change(ctx, s.c, userStoreOf, func(tx userStore) error {
		if err := tx.UpdateUserPassword(ctx, a.UserID, hash, key, s.c.Now()); err != nil {
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
		return s.c.Record(ctx, tx, a, "user.password_change", "user", a.UserID, []string{"password"}, audit.Success, "other sessions ended")
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
	err := core.Change(ctx, s.c, userStoreOf, func(tx userStore) error {
		ids, err := tx.DormantUsers(ctx, s.c.Now().Add(-after))
		if err != nil {
			return err
		}
		for _, id := range ids {
			u, err := tx.UserByID(ctx, id)
			if err != nil {
				return err
			}
			switch err := s.c.DisableUser(ctx, tx, sys, u, fmt.Sprintf("unused for more than %d days", int(after.Hours()/24))); {
			case err == core.ErrLastAdmin:
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

// userStore is what the methods in users.go read and write.
type userStore interface {
	linkStore
	core.GrantStore
	core.UserStore
	DormantUsers(ctx context.Context, before time.Time) ([]string, error)
	InsertSubjectKey(ctx context.Context, subject string, wrapped []byte, kekTerm uint32, now time.Time) error
	InsertUser(ctx context.Context, u store.UserRow) error
	ListUsers(ctx context.Context) ([]store.UserRow, error)
	PendingInvites(ctx context.Context, now time.Time) (map[string]bool, error)
	UpdateSessionTokenKey(ctx context.Context, id string, tokenKey []byte) error
	UpdateUserLocale(ctx context.Context, id, locale string, now time.Time) error
	UpdateUserTime(ctx context.Context, id, zone, format string, now time.Time) error
	UpdateUserRole(ctx context.Context, id, role string, now time.Time) error
	UpdateUserTeam(ctx context.Context, id, team string, now time.Time) error
	UsersWithPasskeys(ctx context.Context) (map[string]bool, error)
}

// userStoreOf is the compiler's check that the store has every method of userStore.
func userStoreOf(tx *store.Tx) userStore { return tx }
