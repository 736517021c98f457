package governance

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service/core"
	"strongroom.dev/strongroom/internal/store"
)

// Access review timings and thresholds.
const (
	ReviewDueIn      = 14 * 24 * time.Hour // reviewers have two weeks
	reviewDormant    = 30 * 24 * time.Hour // no login for this long: flagged dormant
	reviewUsedWithin = 90 * 24 * time.Hour // a right unused for this long: flagged
)

// ReviewItem is one user's role under review.
type ReviewItem struct {
	UserID     string     `json:"user_id"`
	Email      string     `json:"email"`
	Role       string     `json:"role"`
	Team       string     `json:"team,omitempty"`
	ReviewerID string     `json:"reviewer_id"`
	Flags      []string   `json:"flags,omitempty"` // dormant, unused:<object>, custom_role, self_review
	Decision   string     `json:"decision"`        // pending, confirm, revoke
	DecidedBy  string     `json:"decided_by,omitempty"`
	DecidedAt  *time.Time `json:"decided_at,omitempty"`
	CanDecide  bool       `json:"can_decide"`
}

// Review is an access review campaign.
type Review struct {
	ID         string       `json:"id"`
	CreatedBy  string       `json:"created_by"`
	CreatedAt  time.Time    `json:"created_at"`
	DueAt      time.Time    `json:"due_at"`
	Status     string       `json:"status"` // open, signed_off
	SignedBy   string       `json:"signed_by,omitempty"`
	SignedAt   *time.Time   `json:"signed_at,omitempty"`
	ReportHash string       `json:"report_sha256,omitempty"`
	Pending    int          `json:"pending"`
	Items      []ReviewItem `json:"items,omitempty"`
}

func isTemplateRole(r string) bool {
	_, ok := templateRole(r)
	return ok
}

// templateRole finds a role's definition in the industry templates.
func templateRole(r string) (authz.RoleDef, bool) {
	for _, t := range authz.Templates {
		for _, d := range t.Roles {
			if string(d.Name) == r {
				return d, true
			}
		}
	}
	return authz.RoleDef{}, false
}

// sameGrants compares two sets of grants by their stored form.
func sameGrants(a, b map[authz.Object]authz.Grant) bool {
	x, errA := json.Marshal(a)
	y, errB := json.Marshal(b)
	return errA == nil && errB == nil && string(x) == string(y)
}

// StartReview opens an access review campaign over every enabled user:
// a reviewer for each (a manager of their team, else an administrator;
// never themselves where another is possible) and flags for what deserves
// a closer look. Administrators (and the periodic job); one open at a
// time; audited.
func (s *Approvals) StartReview(ctx context.Context, a authz.Actor) (Review, error) {
	if err := mayManageRoles(a); err != nil {
		return Review{}, err
	}
	if err := s.c.RequireStepUp(a); err != nil {
		return Review{}, err
	}
	now := s.c.Now()
	id := crm.NewID("rev")
	err := core.Change(ctx, s.c, reviewStoreOf, func(tx reviewStore) error {
		existing, err := tx.Reviews(ctx)
		if err != nil {
			return err
		}
		for _, r := range existing {
			if r.Status == "open" {
				return errs.E(errs.Conflict, "an access review is open already ("+r.ID+"); sign it off first")
			}
		}
		users, err := tx.ListUsers(ctx)
		if err != nil {
			return err
		}
		used, err := tx.ActorObjectCounts(ctx, now.Add(-reviewUsedWithin))
		if err != nil {
			return err
		}
		var admins []string
		managers := map[string][]string{} // team -> managers
		for _, u := range users {
			switch {
			case u.Disabled:
			case authz.HasRole(u.Role, authz.RoleAdmin):
				admins = append(admins, u.ID)
			case authz.HasRole(u.Role, authz.RoleManager) && u.Team != "":
				managers[u.Team] = append(managers[u.Team], u.ID)
			}
		}
		h, err := s.newHolders(ctx)
		if err != nil {
			return err
		}
		var items []store.ReviewItemRow
		for _, u := range users {
			if u.Disabled {
				continue
			}
			it := store.ReviewItemRow{UserID: u.ID, Role: u.Role, Team: u.Team}
			var flags []string
			it.ReviewerID = pickReviewer(u, managers[u.Team], admins, a.UserID)
			if it.ReviewerID == u.ID {
				flags = append(flags, "self_review")
			}
			if u.LastLoginAt.IsZero() && now.Sub(u.CreatedAt) > reviewDormant || !u.LastLoginAt.IsZero() && now.Sub(u.LastLoginAt) > reviewDormant {
				flags = append(flags, "dormant")
			}
			roles := authz.RolesOf(u.Role)
			if slices.ContainsFunc(roles, func(r authz.Role) bool { return !authz.IsBuiltIn(r) && !isTemplateRole(string(r)) }) {
				flags = append(flags, "custom_role")
			}
			if len(roles) > 1 {
				flags = append(flags, "several_roles")
			}
			holder, err := h.actor(ctx, u)
			if err != nil {
				return err
			}
			for _, r := range roles {
				if tpl, ok := templateRole(string(r)); ok && !sameGrants(tpl.Grants, holder.Defined[r]) {
					flags = append(flags, "beyond_template:"+string(r))
				}
			}
			for _, oa := range authz.Explain(holder) {
				if used[u.ID][string(oa.Object)] == 0 {
					flags = append(flags, "unused:"+string(oa.Object))
				}
			}
			it.Flags = strings.Join(flags, ",")
			items = append(items, it)
		}
		if err := tx.InsertReview(ctx, store.ReviewRow{ID: id, CreatedBy: a.UserID, CreatedAt: now, DueAt: now.Add(ReviewDueIn), Status: "open"}, items); err != nil {
			return err
		}
		return s.c.Record(ctx, tx, a, "review.start", "review", id, nil, audit.Success, "users under review: "+strconv.Itoa(len(items)))
	})
	if err != nil {
		return Review{}, err
	}
	return s.Review(ctx, a, id)
}

// pickReviewer: a manager of the user's team other than the user, else an
// administrator other than the user (the one who started the review
// first), else whoever is left (flagged self_review by the caller).
func pickReviewer(u store.UserRow, managers, admins []string, starter string) string {
	for _, m := range managers {
		if m != u.ID {
			return m
		}
	}
	if starter != u.ID && slices.Contains(admins, starter) {
		return starter
	}
	for _, ad := range admins {
		if ad != u.ID {
			return ad
		}
	}
	if starter != authz.SystemUserID {
		return starter
	}
	return u.ID
}

// Reviews lists the campaigns (administrators and auditors).
func (s *Approvals) Reviews(ctx context.Context, a authz.Actor) ([]Review, error) {
	var out []Review
	err := core.Look(ctx, s.c, reviewStoreOf, func(tx reviewStore) error {
		rows, err := tx.Reviews(ctx)
		if err != nil {
			return err
		}
		for _, r := range rows {
			v, err := s.reviewView(ctx, tx, a, r, false)
			if err != nil {
				return err
			}
			if v.Pending > 0 || canSeeReviews(a) {
				out = append(out, v)
			}
		}
		return nil
	})
	return out, err
}

func canSeeReviews(a authz.Actor) bool {
	return authz.Decide(a, authz.ActionRead, authz.Resource{Object: authz.ObjectAudit}).Allowed ||
		authz.Decide(a, authz.ActionUpdate, authz.Resource{Object: authz.ObjectUser}).Allowed
}

// Review returns one campaign with the items the actor may see: all for
// administrators and auditors, a reviewer's own otherwise. The users'
// emails shown are recorded as a read of staff personal data.
func (s *Approvals) Review(ctx context.Context, a authz.Actor, id string) (Review, error) {
	var out Review
	err := core.Change(ctx, s.c, reviewStoreOf, func(tx reviewStore) error {
		r, err := tx.Review(ctx, id)
		if err != nil {
			return core.NotFound(err, "review")
		}
		if out, err = s.reviewView(ctx, tx, a, r, true); err != nil || len(out.Items) == 0 {
			return err
		}
		return s.c.Record(ctx, tx, a, "review.read", "review", id, []string{"email"}, audit.Success, strconv.Itoa(len(out.Items))+" users")
	})
	if err == nil && !canSeeReviews(a) && len(out.Items) == 0 {
		return Review{}, errs.E(errs.NotExist, "review not found")
	}
	return out, err
}

func (s *Approvals) reviewView(ctx context.Context, tx reviewStore, a authz.Actor, r store.ReviewRow, withItems bool) (Review, error) {
	v := Review{ID: r.ID, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt, DueAt: r.DueAt, Status: r.Status, SignedBy: r.SignedBy, ReportHash: r.ReportHash}
	if !r.SignedAt.IsZero() {
		v.SignedAt = &r.SignedAt
	}
	items, err := tx.ReviewItems(ctx, r.ID)
	if err != nil {
		return v, err
	}
	all := canSeeReviews(a)
	var users map[string]store.UserRow // read once when items are shown; only shown ones are opened
	if withItems {
		list, err := tx.ListUsers(ctx)
		if err != nil {
			return v, err
		}
		users = make(map[string]store.UserRow, len(list))
		for _, u := range list {
			users[u.ID] = u
		}
	}
	for _, it := range items {
		mine := it.ReviewerID == a.UserID
		if it.Decision == "pending" && (mine || all) {
			v.Pending++
		}
		if !withItems || !(all || mine) {
			continue
		}
		ri := ReviewItem{UserID: it.UserID, Role: it.Role, Team: it.Team, ReviewerID: it.ReviewerID, Decision: it.Decision, DecidedBy: it.DecidedBy}
		if it.Flags != "" {
			ri.Flags = strings.Split(it.Flags, ",")
		}
		if !it.DecidedAt.IsZero() {
			ri.DecidedAt = &it.DecidedAt
		}
		ri.CanDecide = r.Status == "open" && it.Decision == "pending" && a.UserID != it.UserID &&
			(mine || authz.Decide(a, authz.ActionUpdate, authz.Resource{Object: authz.ObjectUser}).Allowed)
		if u, ok := users[it.UserID]; ok {
			if open, err := s.c.OpenUser(u); err == nil {
				ri.Email = open.Email
			}
		}
		v.Items = append(v.Items, ri)
	}
	return v, nil
}

// DecideReviewItem confirms a user's role, or revokes it: the user is
// disabled and every session ends. The item's reviewer decides (an
// administrator may stand in); never for oneself; a fresh proof needed;
// audited.
func (s *Approvals) DecideReviewItem(ctx context.Context, a authz.Actor, reviewID, userID string, confirm bool) error {
	if err := s.c.RequireStepUp(a); err != nil {
		return err
	}
	if a.UserID == userID {
		return errs.E(errs.Permission, "nobody reviews their own access")
	}
	now := s.c.Now()
	return core.Change(ctx, s.c, reviewStoreOf, func(tx reviewStore) error {
		r, err := tx.Review(ctx, reviewID)
		if err != nil {
			return core.NotFound(err, "review")
		}
		if r.Status != "open" {
			return errs.E(errs.Conflict, "this review is signed off")
		}
		items, err := tx.ReviewItems(ctx, reviewID)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(items, func(it store.ReviewItemRow) bool { return it.UserID == userID })
		if i < 0 {
			return errs.E(errs.NotExist, "this user is not in the review")
		}
		it := items[i]
		admin := authz.Decide(a, authz.ActionUpdate, authz.Resource{Object: authz.ObjectUser}).Allowed
		if it.ReviewerID != a.UserID && !admin {
			return errs.E(errs.Permission, "another person reviews this user")
		}
		decision := "confirm"
		if !confirm {
			decision = "revoke"
		}
		if err := tx.DecideReviewItem(ctx, reviewID, userID, decision, a.UserID, now); err != nil {
			if errs.Is(err, errs.NotExist) {
				return errs.E(errs.Conflict, "this user was reviewed already")
			}
			return err
		}
		if !confirm {
			u, err := tx.UserByID(ctx, userID)
			if err != nil {
				return core.NotFound(err, "user")
			}
			if err := s.c.DisableUser(ctx, tx, a, u, "access review "+reviewID+": role "+it.Role+" revoked"); err != nil {
				return err
			}
		}
		return s.c.Record(ctx, tx, a, "review."+decision, "user", userID, []string{"role"}, audit.Success, "review "+reviewID+", role "+it.Role+", flags "+it.Flags)
	})
}

// SignOffReview closes a campaign whose every item is decided: its report
// (every item with flags and decision) is kept with its SHA-256, which the
// audit log also records, so the report cannot change unseen.
func (s *Approvals) SignOffReview(ctx context.Context, a authz.Actor, id string) (Review, error) {
	if err := mayManageRoles(a); err != nil {
		return Review{}, err
	}
	if err := s.c.RequireStepUp(a); err != nil {
		return Review{}, err
	}
	now := s.c.Now()
	err := core.Change(ctx, s.c, reviewStoreOf, func(tx reviewStore) error {
		r, err := tx.Review(ctx, id)
		if err != nil {
			return core.NotFound(err, "review")
		}
		v, err := s.reviewView(ctx, tx, authz.System(), r, true)
		if err != nil {
			return err
		}
		if v.Status != "open" {
			return errs.E(errs.Conflict, "this review is signed off already")
		}
		if v.Pending > 0 {
			return errs.E(errs.Conflict, strconv.Itoa(v.Pending)+" users still wait for a decision")
		}
		for i := range v.Items {
			v.Items[i].CanDecide = false
		}
		v.Status, v.SignedBy, v.SignedAt = "signed_off", a.UserID, &now
		report, err := json.Marshal(v)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(report)
		hash := hex.EncodeToString(sum[:])
		if err := tx.SignOffReview(ctx, id, a.UserID, string(report), hash, now); err != nil {
			return err
		}
		return s.c.Record(ctx, tx, a, "review.signoff", "review", id, nil, audit.Success, "report sha256 "+hash)
	})
	if err != nil {
		return Review{}, err
	}
	return s.Review(ctx, a, id)
}

// ReviewReport returns a signed-off campaign's report as kept.
func (s *Approvals) ReviewReport(ctx context.Context, a authz.Actor, id string) (report []byte, hash string, err error) {
	if !canSeeReviews(a) {
		return nil, "", errs.E(errs.Permission, "you may not read review reports")
	}
	err = core.Change(ctx, s.c, reviewStoreOf, func(tx reviewStore) error {
		r, err := tx.Review(ctx, id)
		if err != nil {
			return core.NotFound(err, "review")
		}
		if r.Status != "signed_off" {
			return errs.E(errs.Conflict, "the review is not signed off yet")
		}
		report, hash = []byte(r.Report), r.ReportHash
		return s.c.Record(ctx, tx, a, "review.report", "review", id, []string{"email"}, audit.Success, "")
	})
	return report, hash, err
}

// ReviewIfDue starts a campaign as the system when none is open and the
// last began more than every ago (the periodic job). It reports whether
// it started one.
func (s *Approvals) ReviewIfDue(ctx context.Context, every time.Duration) (bool, error) {
	var due bool
	err := core.Look(ctx, s.c, reviewStoreOf, func(tx reviewStore) error {
		rows, err := tx.Reviews(ctx)
		if err != nil {
			return err
		}
		if len(rows) > 0 {
			due = rows[0].Status != "open" && s.c.Now().Sub(rows[0].CreatedAt) >= every
			return nil
		}
		// The first campaign: once the oldest account is that old.
		users, err := tx.ListUsers(ctx)
		due = err == nil && len(users) > 0 && s.c.Now().Sub(users[0].CreatedAt) >= every
		return err
	})
	if err != nil || !due {
		return false, err
	}
	_, err = s.StartReview(ctx, authz.System())
	return err == nil, err
}

// reviewStore is what the methods in reviews.go read and write.
type reviewStore interface {
	core.UserStore
	ActorObjectCounts(ctx context.Context, since time.Time) (map[string]map[string]int, error)
	DecideReviewItem(ctx context.Context, reviewID, userID, decision, by string, now time.Time) error
	InsertReview(ctx context.Context, r store.ReviewRow, items []store.ReviewItemRow) error
	ListUsers(ctx context.Context) ([]store.UserRow, error)
	Review(ctx context.Context, id string) (store.ReviewRow, error)
	ReviewItems(ctx context.Context, reviewID string) ([]store.ReviewItemRow, error)
	Reviews(ctx context.Context) ([]store.ReviewRow, error)
	SignOffReview(ctx context.Context, id, by, report, hash string, now time.Time) error
	UserByID(ctx context.Context, id string) (store.UserRow, error)
}

// reviewStoreOf is the compiler's check that the store has every method of reviewStore.
func reviewStoreOf(tx *store.Tx) reviewStore { return tx }
