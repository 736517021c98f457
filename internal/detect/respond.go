package detect

import (
	"context"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/service/governance"
	"strongroom.dev/strongroom/internal/service/identity"
)

// ServiceResponder takes responses through the service, as the system:
// ending a user's sessions, disabling the account (which ends them too; an
// administrator enables it again), or blocking a network for BlockFor (an
// administrator lifts it). Each is audited there.
type ServiceResponder struct {
	Users    *identity.Users
	Sessions *identity.Sessions
	Roles    *governance.Roles
}

func (r ServiceResponder) EndSessions(ctx context.Context, userID string) error {
	_, err := r.Sessions.EndUserSessions(ctx, authz.System(), userID)
	return err
}

func (r ServiceResponder) Lock(ctx context.Context, userID string) error {
	return r.Users.SetUserDisabled(ctx, authz.System(), userID, true)
}

func (r ServiceResponder) Block(ctx context.Context, network, reason string) error {
	_, err := r.Roles.BlockNetwork(ctx, authz.System(), network, BlockFor, reason)
	return err
}
