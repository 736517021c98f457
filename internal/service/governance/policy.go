package governance

import (
	"context"
	"fmt"
	"time"
	"unicode/utf8"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service/core"
	"strongroom.dev/strongroom/internal/store"
)

// Policy is a version of the security policy every user must accept.
type Policy struct {
	Version   int64     `json:"version"`
	TextEN    string    `json:"text_en"`
	TextZH    string    `json:"text_zh"`
	CreatedAt time.Time `json:"created_at"`
}

// Acceptance is who accepted a policy version, and when.
type Acceptance struct {
	UserID     string    `json:"user_id"`
	Email      string    `json:"email"`
	AcceptedAt time.Time `json:"accepted_at"`
}

// CurrentPolicy returns the latest policy; ok is false when none exists.
func (s *Roles) CurrentPolicy(ctx context.Context) (p Policy, ok bool, err error) {
	err = core.Look(ctx, s.c, policyStoreOf, func(tx policyStore) error {
		sp, err := tx.CurrentPolicy(ctx)
		if errs.Is(err, errs.NotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		p, ok = Policy{Version: sp.Version, TextEN: sp.TextEN, TextZH: sp.TextZH, CreatedAt: sp.CreatedAt}, true
		return nil
	})
	return p, ok, err
}

// PublishPolicy publishes a new version of the policy (administrators);
// every user must accept it before working again.
func (s *Roles) PublishPolicy(ctx context.Context, a authz.Actor, en, zh string) (Policy, error) {
	if err := core.May(a, authz.ActionUpdate, authz.ObjectUser, "you may not publish the security policy"); err != nil {
		return Policy{}, err
	}
	var err error
	for _, t := range []struct {
		field string
		v     *string
	}{{"text_en", &en}, {"text_zh", &zh}} {
		if *t.v, err = crm.FreeText(t.field, *t.v, 0); err != nil {
			return Policy{}, err
		}
		if *t.v == "" || utf8.RuneCountInString(*t.v) > 20000 {
			return Policy{}, errs.InvalidField(t.field, "the policy needs its text in English and in Chinese, each at most 20000 characters")
		}
	}
	var out Policy
	err = core.Change(ctx, s.c, policyStoreOf, func(tx policyStore) error {
		cur, err := tx.CurrentPolicy(ctx)
		if err != nil && !errs.Is(err, errs.NotExist) {
			return err
		}
		out = Policy{Version: cur.Version + 1, TextEN: en, TextZH: zh, CreatedAt: s.c.Now()}
		if err := tx.InsertPolicy(ctx, store.Policy{Version: out.Version, TextEN: en, TextZH: zh, CreatedBy: a.UserID, CreatedAt: out.CreatedAt}); err != nil {
			return err
		}
		return s.c.Record(ctx, tx, a, "policy.publish", "policy", fmt.Sprint(out.Version), nil, audit.Success, "")
	})
	if err != nil {
		return Policy{}, err
	}
	return out, nil
}

// AcceptPolicy records that the actor accepted version, which must be the
// current one (so nobody accepts a text they were not shown).
func (s *Roles) AcceptPolicy(ctx context.Context, a authz.Actor, version int64) error {
	if a.SessionID == "" {
		return errs.E(errs.Permission, "log in to accept the policy")
	}
	return core.Change(ctx, s.c, policyStoreOf, func(tx policyStore) error {
		cur, err := tx.CurrentPolicy(ctx)
		if errs.Is(err, errs.NotExist) {
			return errs.E(errs.NotExist, "there is no security policy to accept")
		}
		if err != nil {
			return err
		}
		if cur.Version != version {
			return errs.InvalidField("version", fmt.Sprintf("version %d is not the current policy (%d); read the current one", version, cur.Version))
		}
		if err := tx.AcceptPolicy(ctx, a.UserID, version, s.c.Now()); err != nil {
			return err
		}
		return s.c.Record(ctx, tx, a, "policy.accept", "policy", fmt.Sprint(version), nil, audit.Success, "")
	})
}

// PolicyAcceptances lists who accepted the current version (administrators).
func (s *Roles) PolicyAcceptances(ctx context.Context, a authz.Actor) ([]Acceptance, error) {
	if err := core.May(a, authz.ActionRead, authz.ObjectUser, "you may not list acceptances"); err != nil {
		return nil, err
	}
	var out []Acceptance
	err := core.Change(ctx, s.c, policyStoreOf, func(tx policyStore) error {
		cur, err := tx.CurrentPolicy(ctx)
		if errs.Is(err, errs.NotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		acc, err := tx.PolicyAcceptances(ctx, cur.Version)
		if err != nil {
			return err
		}
		users, err := tx.ListUsers(ctx)
		if err != nil {
			return err
		}
		byID := map[string]store.UserRow{}
		for _, u := range users {
			byID[u.ID] = u
		}
		for _, x := range acc {
			item := Acceptance{UserID: x.UserID, AcceptedAt: x.AcceptedAt}
			if u, ok := byID[x.UserID]; ok {
				if uv, err := s.c.OpenUser(u); err == nil {
					item.Email = uv.Email
				}
			}
			out = append(out, item)
		}
		return s.c.Record(ctx, tx, a, "policy.acceptances", "policy", fmt.Sprint(cur.Version), []string{"email"}, audit.Success, fmt.Sprintf("%d acceptances", len(out)))
	})
	return out, err
}

// policyStore is what the methods in policy.go read and write.
type policyStore interface {
	audit.Appender
	AcceptPolicy(ctx context.Context, userID string, version int64, now time.Time) error
	CurrentPolicy(ctx context.Context) (store.Policy, error)
	InsertPolicy(ctx context.Context, p store.Policy) error
	ListUsers(ctx context.Context) ([]store.UserRow, error)
	PolicyAcceptances(ctx context.Context, version int64) ([]store.Acceptance, error)
}

// policyStoreOf is the compiler's check that the store has every method of policyStore.
func policyStoreOf(tx *store.Tx) policyStore { return tx }
