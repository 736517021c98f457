package core

import (
	"context"
	"slices"
	"strings"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/store"
)

// MayHandleRequests is the right to handle data-subject requests and carry
// them out, and to run the rest of the privacy centre: update on the
// privacy object (administrators and the privacy officer). The privacy and
// records domains both check it.
func MayHandleRequests(a authz.Actor) error {
	return May(a, authz.ActionUpdate, authz.ObjectPrivacy, "you may not handle data-subject requests")
}

// RequestReader reads a data-subject request.
type RequestReader interface {
	RequestByID(ctx context.Context, id string) (store.RequestRow, error)
}

// OpenRequest loads a request that is still open, of one of kinds, whose
// customer is still there: what carrying one out needs.
func OpenRequest(ctx context.Context, tx RequestReader, id string, kinds ...string) (store.RequestRow, error) {
	r, err := tx.RequestByID(ctx, id)
	switch {
	case err != nil:
		return r, errs.E(errs.NotExist, "no such request")
	case !slices.Contains(kinds, r.Kind):
		return r, errs.E(errs.Conflict, "this is a "+r.Kind+" request, not "+strings.Join(kinds, " or "))
	case r.Status != "open" && r.Status != "in_progress":
		return r, errs.E(errs.Conflict, "the request is closed")
	case r.CustomerID == "":
		return r, errs.E(errs.Conflict, "the request's customer is gone (erased)")
	}
	return r, nil
}
