package core

import (
	"context"
	"errors"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/store"
)

// WithTx is the one way a service method runs a change: fn in a write
// transaction with its audit events. fn refuses an attempt by returning
// Refuse's error: the transaction then still commits, so the refused
// attempt stays in the audit log, and the caller gets the refusal's answer.
// Any other error rolls everything back.
func (s *Core) WithTx(ctx context.Context, fn func(tx *store.Tx) error) error {
	var answer error
	err := s.DB.WithTx(ctx, func(tx *store.Tx) error {
		err := fn(tx)
		var d denial
		if errors.As(err, &d) {
			answer = d.answer
			return nil
		}
		return err
	})
	settleRefusals(ctx, err == nil)
	if err != nil {
		return err
	}
	return answer
}

// denial is a refusal already recorded in the transaction: WithTx commits
// the record and answers with answer.
type denial struct{ answer error }

func (d denial) Error() string { return d.answer.Error() }
func (d denial) Unwrap() error { return d.answer }

// Refuse records that a may not do action on an object (out of scope) and
// returns the error that makes WithTx keep that record and answer answer,
// typically not-found, so that a record out of scope looks like none.
func (s *Core) Refuse(ctx context.Context, tx audit.Appender, a authz.Actor, action, objType, objID string, answer error) error {
	if err := s.Record(ctx, tx, a, action, objType, objID, nil, audit.Denied, "not in scope"); err != nil {
		return err
	}
	return denial{answer}
}

// Keeping answers answer while WithTx still commits the transaction: for a
// refusal whose denied event, recorded with its own reason, must stay.
func Keeping(answer error) error { return denial{answer} }

// AnswerDenial gives a refusal another answer (a task whose customer is
// out of scope is itself not found); other errors pass unchanged.
func AnswerDenial(err, answer error) error {
	if errors.As(err, new(denial)) {
		return denial{answer}
	}
	return err
}

// May refuses, with why, an actor whom authz.Decide does not allow act on
// objects of kind obj at all: the check that opens every administrative
// method (users, roles, rules, the audit log).
func May(a authz.Actor, act authz.Action, obj authz.Object, why string) error {
	if authz.Decide(a, act, authz.Resource{Object: obj}).Allowed {
		return nil
	}
	return errs.E(errs.Permission, why)
}

// Scope describes how to load one kind of record and decide on it: its
// audit object type, its loader, its authz resource and the answer given
// when it is out of scope.
type Scope[R any] struct {
	Object   string                                          // the audit object type: "customer", "company", …
	Load     func(ctx context.Context, id string) (R, error) // reads the record in the transaction
	Resource func(R) authz.Resource                          // what authz decides on
	NotFound error                                           // the answer when it is missing or out of scope
}

// InScope loads record id for action if the actor may read it; a record
// out of scope is refused (recorded as denied, answered as not found), as
// is one that does not exist. Customers, companies and visits share it.
func InScope[R any](ctx context.Context, s *Core, tx audit.Appender, a authz.Actor, id, action string, sc Scope[R]) (R, error) {
	row, err := sc.Load(ctx, id)
	if err != nil {
		return row, NotFound(err, sc.Object)
	}
	if !authz.Decide(a, authz.ActionRead, sc.Resource(row)).Allowed {
		return row, s.Refuse(ctx, tx, a, action, sc.Object, id, sc.NotFound)
	}
	return row, nil
}

// Change is WithTx for a domain method that names the store methods it
// uses: fn sees the transaction as S, the interface its file declares, and
// as converts to it — a conversion the compiler checks, so S is always a
// subset of the store. A domain thus shows in one place what it reads and
// writes, and cannot reach further.
func Change[S any](ctx context.Context, s *Core, as func(*store.Tx) S, fn func(tx S) error) error {
	return s.WithTx(ctx, func(tx *store.Tx) error { return fn(as(tx)) })
}

// Read is Audited for a domain method, seeing the transaction as S (see
// Change).
func Read[S any](ctx context.Context, s *Core, as func(*store.Tx) S, fn func(ctx context.Context, tx S) ([]audit.Event, error)) error {
	return s.Audited(ctx, func(ctx context.Context, tx *store.Tx) ([]audit.Event, error) { return fn(ctx, as(tx)) })
}

// Look runs fn in a read-only transaction on the reader pool
// (store.DB.ReadTx), seeing it as S (see Change). Nothing is audited: it is
// for reads that reveal no personal data, such as a login's lookup before
// the password is checked.
func Look[S any](ctx context.Context, s *Core, as func(*store.Tx) S, fn func(tx S) error) error {
	return s.DB.ReadTx(ctx, func(tx *store.Tx) error { return fn(as(tx)) })
}
