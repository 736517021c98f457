package core

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/authn"
	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/fieldcrypt"
	"strongroom.dev/strongroom/internal/store"
)

// CustomerRes is the authz resource for a stored customer.
func CustomerRes(row store.CustomerRow) authz.Resource {
	return authz.Resource{Object: authz.ObjectCustomer, ID: row.ID, OwnerID: row.OwnerID, OwnerTeam: row.OwnerTeam}
}

// CustomerInScope loads customer id for action. A customer the actor may
// not read is refused (recorded as denied; WithTx then answers "not
// found"), exactly like a missing one.
func (s *Core) CustomerInScope(ctx context.Context, tx CustomerStore, a authz.Actor, id, action string) (store.CustomerRow, error) {
	row, err := InScope(ctx, s, tx, a, id, action, Scope[store.CustomerRow]{Object: "customer", Load: tx.CustomerByID, Resource: CustomerRes, NotFound: ErrCustomerNotFound})
	if err != nil || row.RestrictedSince.IsZero() || WhileRestricted(a, action) {
		return row, err
	}
	if err := s.Record(ctx, tx, a, action, "customer", id, nil, audit.Denied, "processing restricted (GDPR Art. 18)"); err != nil {
		return row, err
	}
	return row, denial{ErrRestricted}
}

// ErrRestricted answers a request for a customer whose processing is
// restricted.
var ErrRestricted = errs.E(errs.Conflict, "this person has restricted the processing of their data (GDPR Art. 18, PIPL Art. 44): only storage and their requests go on until it is lifted")

// WhileRestricted reports whether action may go on while a customer's
// processing is restricted: their requests and legal holds, withdrawing a
// consent, the system's own work (exports for a request, erasure), and
// writing them a breach notice (a legal duty: GDPR Art. 34, PIPL Art. 57).
func WhileRestricted(a authz.Actor, action string) bool {
	return a.UserID == authz.SystemUserID || strings.HasPrefix(action, "request.") || strings.HasPrefix(action, "hold.") || action == "incident.draft" ||
		action == "consent.withdraw" || action == "consent.list"
}

func (s *Core) OpenUser(u store.UserRow) (User, error) {
	key, err := s.Keys.OpenDataKey(u.ID, u.WrappedKey)
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

// NotFound turns a store NotExist into a public "<what> not found".
func NotFound(err error, what string) error {
	if errs.Is(err, errs.NotExist) {
		return errs.Wrap(errs.NotExist, "service", what+" not found", err)
	}
	return err
}

// DisableUser disables u in tx, ending every session, audited with why.
// The last enabled administrator is kept (ErrLastAdmin).
func (s *Core) DisableUser(ctx context.Context, tx UserStore, a authz.Actor, u store.UserRow, why string) error {
	if !u.Disabled && authz.HasRole(u.Role, authz.RoleAdmin) {
		n, err := tx.CountEnabledWithRole(ctx, string(authz.RoleAdmin))
		if err != nil {
			return err
		}
		if n <= 1 {
			return ErrLastAdmin
		}
	}
	if err := tx.UpdateUserDisabled(ctx, u.ID, true, authn.NewTokenKey(), s.Now()); err != nil {
		return err
	}
	return s.Record(ctx, tx, a, "user.disable", "user", u.ID, []string{"disabled"}, audit.Success, why)
}

// MayManageKeys allows the master key's and data keys' management:
// administrators (the host's command line acts as the system, an
// administrator), after a step-up unless on the host.
func (s *Core) MayManageKeys(a authz.Actor) error {
	if !slices.Contains(a.Roles, authz.RoleAdmin) {
		return errs.E(errs.Permission, "only administrators manage the master key and data keys")
	}
	if a.UserID == authz.SystemUserID {
		return nil
	}
	return s.RequireStepUp(a)
}

// RequireStepUp refuses a sensitive action unless the actor's session
// proved its user within authz.StepUpWindow.
func (s *Core) RequireStepUp(a authz.Actor) error {
	if a.SteppedUp(s.Now()) {
		return nil
	}
	return errs.E(errs.StepUp, "this action needs you to confirm it is you: give your authenticator code (or, without one, your password) again, then retry within 5 minutes")
}

// CheckRoles validates and normalises roles to assign, separated by
// commas: each built-in, or defined and not retired.
func (s *Core) CheckRoles(ctx context.Context, roles string) (string, error) {
	list := authz.RolesOf(roles)
	if len(list) == 0 {
		return "", errs.InvalidField("role", "give at least one role")
	}
	if len(list) > 10 {
		return "", errs.InvalidField("role", "at most 10 roles")
	}
	for _, r := range list {
		if err := s.CheckRole(ctx, string(r)); err != nil {
			return "", err
		}
	}
	return authz.JoinRoles(list), nil
}

// CheckRole validates a role to assign: built-in, or defined and not
// retired.
func (s *Core) CheckRole(ctx context.Context, role string) error {
	if authz.ValidRole(role) {
		return nil
	}
	if authz.IsRoleName(role) { // a malformed name is not looked up
		if _, err := s.DB.ActiveRole(ctx, role); err == nil {
			return nil
		} else if !errs.Is(err, errs.NotExist) {
			return err
		}
	}
	names := make([]string, len(authz.Roles))
	for i, r := range authz.Roles {
		names[i] = string(r)
	}
	return errs.InvalidField("role", "role must be one of: "+strings.Join(names, ", ")+", or a role defined on the roles page")
}

// DefinedGrants reads the grants of the actor's roles that are not built
// in, for authz.Actor.Defined. A retired or missing role grants nothing.
func (s *Core) DefinedGrants(ctx context.Context, roles []authz.Role) (map[authz.Role]map[authz.Object]authz.Grant, error) {
	var out map[authz.Role]map[authz.Object]authz.Grant
	for _, r := range roles {
		if authz.IsBuiltIn(r) {
			continue
		}
		if out == nil {
			out = map[authz.Role]map[authz.Object]authz.Grant{}
		}
		row, err := s.DB.ActiveRole(ctx, string(r))
		if errs.Is(err, errs.NotExist) {
			out[r] = map[authz.Object]authz.Grant{}
			continue
		}
		if err != nil {
			return nil, err
		}
		d, err := RoleFromRow(row)
		if err != nil {
			return nil, err
		}
		out[r] = d.Grants
	}
	return out, nil
}

// UseGrant spends an approval of kind for the actor on object id (and
// field) in tx, when a rule for kind exists; without an approval it
// refuses with ApprovalNeeded.
func (s *Core) UseGrant(ctx context.Context, tx GrantStore, a authz.Actor, kind, id, field, what string) error {
	if a.UserID == authz.SystemUserID && a.SessionID == "" {
		return nil // the command line on the host
	}
	rule, err := tx.ApprovalLevels(ctx, kind)
	if err != nil || rule == "" {
		return err
	}
	now := s.Now()
	r, err := tx.GrantedAccess(ctx, kind, a.UserID, id, field, now)
	if errs.Is(err, errs.NotExist) {
		return errs.E(errs.ApprovalNeeded, what+" needs an approved request: ask for approval with your reason, then go ahead within an hour of the last approval")
	}
	if err != nil {
		return err
	}
	r.Status = "used"
	if err := tx.UpdateAccessRequest(ctx, r.ID, "approved", r); err != nil {
		if errs.Is(err, errs.NotExist) {
			return errs.E(errs.ApprovalNeeded, "the approval was used already; ask again")
		}
		return err
	}
	return nil
}

// ErrCustomerNotFound answers for a customer that is missing or out of scope.
var ErrCustomerNotFound = errs.E(errs.NotExist, "customer not found")

// Kinds of access that pass through approval.
const (
	KindRevealSpecial = "reveal_special"  // reveal a special-category field of one customer
	KindBreakGlass    = "breakglass"      // a record opened by break-glass, awaiting review
	KindDelete        = "customer_delete" // delete one customer (and destroy its key)
	KindRoleChange    = "role_change"     // give a user other roles
	KindBulkExport    = "export_bulk"     // export more customers than Options.BulkExportRows at once
	KindRoleEdit      = "role_edit"       // define, change or retire one role (its permissions)
)

// BulkExportObject is the object id of a bulk export request: the
// customer collection.
const BulkExportObject = "export"

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

var ErrLastAdmin = errs.E(errs.Conflict, "this is the last enabled administrator; enable or add another first, so that someone can still administer")

func RoleFromRow(r store.RoleRow) (authz.RoleDef, error) {
	var d RoleDefinition
	if err := json.Unmarshal([]byte(r.Definition), &d); err != nil {
		return authz.RoleDef{}, errs.Wrap(errs.Internal, "service.role", "", err)
	}
	return authz.RoleDef{Name: authz.Role(r.Name), Summary: d.Summary, Grants: d.Grants, Retired: r.Retired}, nil
}

// RoleDefinition is what is stored of a defined role.
type RoleDefinition struct {
	Summary string                       `json:"summary"`
	Grants  map[authz.Object]authz.Grant `json:"grants"`
}

// CustomerStore is what CustomerInScope reads.
type CustomerStore interface {
	audit.Appender
	CustomerByID(ctx context.Context, id string) (store.CustomerRow, error)
}

// UserStore is what DisableUser changes.
type UserStore interface {
	audit.Appender
	UpdateUserDisabled(ctx context.Context, id string, disabled bool, tokenKey []byte, now time.Time) error
	CountEnabledWithRole(ctx context.Context, role string) (int, error)
}

// GrantStore is what UseGrant reads and spends.
type GrantStore interface {
	ApprovalLevels(ctx context.Context, kind string) (string, error)
	GrantedAccess(ctx context.Context, kind, requester, objectID, field string, now time.Time) (store.AccessRequestRow, error)
	UpdateAccessRequest(ctx context.Context, id, from string, r store.AccessRequestRow) error
}

var (
	_ CustomerStore = (*store.Tx)(nil)
	_ UserStore     = (*store.Tx)(nil)
	_ GrantStore    = (*store.Tx)(nil)
)

// TooMany is a refusal to try again later, after wait.
func TooMany(what string, wait time.Duration) error {
	e := errs.E(errs.TooMany, fmt.Sprintf("%s; try again in %d seconds", what, int(wait.Seconds())+1))
	e.RetryAfter = wait
	return e
}
