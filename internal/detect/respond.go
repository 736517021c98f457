package detect

import (
	"context"
	"time"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/service/governance"
	"strongroom.dev/strongroom/internal/service/identity"
	"strongroom.dev/strongroom/internal/service/records"
)

// ServiceResponder takes responses through the service, as the system:
// making a user's sessions prove the user again, ending them, disabling the account (which ends them too; an
// administrator enables it again), or blocking a network for BlockFor (an
// administrator lifts it). Each is audited there.
type ServiceResponder struct {
	Users    *identity.Users
	Sessions *identity.Sessions
	Roles    *governance.Roles
}

func (r ServiceResponder) StepUp(ctx context.Context, userID string) error {
	_, err := r.Sessions.RequireFreshProof(ctx, authz.System(), userID)
	return err
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

// ServicePlaces reads check-in places through the visits service, as the
// system (audited there when there are any).
type ServicePlaces struct{ Visits *records.Visits }

// placesBatch is how many check-ins one step reads.
const placesBatch = 1000

func (p ServicePlaces) CheckInPlaces(ctx context.Context, since time.Time) ([]Place, error) {
	got, err := p.Visits.CheckInPlaces(ctx, authz.System(), since, placesBatch)
	out := make([]Place, 0, len(got))
	for _, g := range got {
		out = append(out, Place{UserID: g.UserID, At: g.At, Lat: g.Lat, Lon: g.Lon})
	}
	return out, err
}
