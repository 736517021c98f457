package records

import (
	"context"
	"fmt"
	"time"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/fieldcrypt"
	"strongroom.dev/strongroom/internal/service/core"
	"strongroom.dev/strongroom/internal/store"
)

// Place is where and when a rep checked in.
type Place struct {
	UserID   string
	At       time.Time
	Lat, Lon float64
}

// CheckInPlaces returns the check-ins with a location made after since,
// oldest first (at most limit), for the detectors (impossible travel):
// only the system may ask. Reading them is audited when there are any.
func (s *Visits) CheckInPlaces(ctx context.Context, a authz.Actor, since time.Time, limit int) ([]Place, error) {
	if a.UserID != authz.SystemUserID || a.SessionID != "" {
		return nil, errs.E(errs.Permission, "only the detectors read check-in places")
	}
	var rows []store.VisitRow
	err := core.Look(ctx, s.c, placeStoreOf, func(tx placeStore) error {
		var err error
		rows, err = tx.CheckInsSince(ctx, since, limit)
		return err
	})
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	out := make([]Place, 0, len(rows))
	for _, r := range rows {
		repKey, err := s.c.Keys.OpenDataKey(r.RepID, r.RepKey)
		if err != nil {
			return nil, errs.Wrap(errs.Internal, "service.CheckInPlaces", "", err)
		}
		v, err := fieldcrypt.Open(repKey, visitPlace(r.ID, "checkin_loc_ct"), r.CheckinLocCT)
		if err != nil {
			return nil, errs.Wrap(errs.Internal, "service.CheckInPlaces", "", err)
		}
		loc, err := crm.ParseLocation(v)
		if err != nil || loc == nil {
			continue
		}
		out = append(out, Place{UserID: r.RepID, At: *r.CheckinAt, Lat: loc.Lat, Lon: loc.Lon})
	}
	err = core.Change(ctx, s.c, placeStoreOf, func(tx placeStore) error {
		return s.c.Record(ctx, tx, a, "visit.places", "visit", "", []string{"checkin_location"}, audit.Success, fmt.Sprintf("%d check-in places for the detectors", len(out)))
	})
	if err != nil {
		return nil, err // never hand out data whose read was not audited
	}
	return out, nil
}

// placeStore is what the methods in places.go read and write.
type placeStore interface {
	audit.Appender
	CheckInsSince(ctx context.Context, since time.Time, limit int) ([]store.VisitRow, error)
}

// placeStoreOf is the compiler's check that the store has every method of placeStore.
func placeStoreOf(tx *store.Tx) placeStore { return tx }
