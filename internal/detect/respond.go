package detect

import (
	"context"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/service/identity"
)

// ServiceResponder takes responses through the identity service, as the
// system: ending a user's sessions, or disabling the account (which ends
// them too; an administrator enables it again). Both are audited there.
type ServiceResponder struct {
	Users    *identity.Users
	Sessions *identity.Sessions
}

func (r ServiceResponder) EndSessions(ctx context.Context, userID string) error {
	_, err := r.Sessions.EndUserSessions(ctx, authz.System(), userID)
	return err
}

func (r ServiceResponder) Lock(ctx context.Context, userID string) error {
	return r.Users.SetUserDisabled(ctx, authz.System(), userID, true)
}
