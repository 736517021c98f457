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

// ApprovalStepsReader reads which steps of a request need a second
// handler's approval.
type ApprovalStepsReader interface {
	RequestApprovalSteps(ctx context.Context) ([]string, error)
}

// Approved refuses a step of request r that the rules say needs a second
// handler's approval (rule: "rejection" or the request's kind) unless that
// approval was given for it (approval_for forStep). Maker-checker: the
// approver is never the handler who asked (privacy.Requests.Approve).
func Approved(ctx context.Context, tx ApprovalStepsReader, r store.RequestRow, rule, forStep string) error {
	steps, err := tx.RequestApprovalSteps(ctx)
	if err != nil {
		return err
	}
	if !slices.Contains(steps, rule) || (r.Approval == "approved" && r.ApprovalFor == forStep && r.ApprovedBy != "") {
		return nil
	}
	return errs.E(errs.Conflict, "this needs a second handler's approval: ask for it on the request, and another handler approves it")
}
