package identity

import (
	"context"
	"fmt"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service/core"
	"strongroom.dev/strongroom/internal/store"
)

// RequireFreshProof makes every session of a user prove the user again
// before anything else (administrators, or the system as a detector's
// require_step_up response): a user with a second factor must give it
// again in each session (which then gets a new token); a user with only a
// password has their sessions ended, so that the next login asks for it.
// Audited; it returns how many sessions it touched.
func (s *Sessions) RequireFreshProof(ctx context.Context, a authz.Actor, userID string) (int, error) {
	if err := core.May(a, authz.ActionUpdate, authz.ObjectUser, "you may not make other users prove themselves again"); err != nil {
		return 0, err
	}
	if !crm.ValidID(userID) {
		return 0, errs.E(errs.NotExist, "user not found")
	}
	n := 0
	err := core.Change(ctx, s.c, freshProofStoreOf, func(tx freshProofStore) error {
		u, err := tx.UserByID(ctx, userID)
		if err != nil {
			return core.NotFound(err, "user")
		}
		passkeys, err := tx.UserPasskeys(ctx, userID)
		if err != nil {
			return err
		}
		if u.TOTPSealed != nil || len(passkeys) > 0 {
			if n, err = tx.MarkSessionsPending(ctx, userID); err != nil {
				return err
			}
			return s.c.Record(ctx, tx, a, "session.step_up_required", "user", userID, nil, audit.Success, fmt.Sprintf("%d sessions must give the second factor again", n))
		}
		if n, err = endSessions(ctx, tx, userID, ""); err != nil {
			return err
		}
		return s.c.Record(ctx, tx, a, "session.step_up_required", "user", userID, nil, audit.Success, fmt.Sprintf("no second factor: %d sessions ended, the next login asks for the password", n))
	})
	return n, err
}

// freshProofStore is what the methods in freshproof.go read and write.
type freshProofStore interface {
	sessionStore
	UserPasskeys(ctx context.Context, userID string) ([]store.PasskeyRow, error)
	MarkSessionsPending(ctx context.Context, userID string) (int, error)
}

// freshProofStoreOf is the compiler's check that the store has every method of freshProofStore.
func freshProofStoreOf(tx *store.Tx) freshProofStore { return tx }
