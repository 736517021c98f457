package records

import (
	"context"
	"io"
	"time"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/fieldcrypt"
	"strongroom.dev/strongroom/internal/keyring"
	"strongroom.dev/strongroom/internal/service/core"
	"strongroom.dev/strongroom/internal/store"
)

var errVisitNotFound = errs.E(errs.NotExist, "visit not found")

// MaxPhoto is the largest photo a visit takes.
const MaxPhoto = 8 << 20

func visitRes(v store.VisitRow) authz.Resource {
	return authz.Resource{Object: authz.ObjectVisit, OwnerID: v.RepID, OwnerTeam: v.RepTeam}
}

func visitPlace(id, column string) fieldcrypt.Place {
	return fieldcrypt.Place{Table: "visits", Column: column, Row: id}
}

// PlanVisit plans a visit by rep (the actor when empty) to a store the
// actor can see, on day (YYYY-MM-DD).
func (s *Visits) PlanVisit(ctx context.Context, a authz.Actor, companyID, repID, day string) (crm.Visit, error) {
	if _, err := time.Parse(time.DateOnly, day); err != nil {
		return crm.Visit{}, errs.InvalidField("planned_for", "planned_for must be a date, like 2026-11-24")
	}
	if !crm.ValidID(companyID) {
		return crm.Visit{}, errs.InvalidField("company_id", "company_id names no store you can see")
	}
	if repID == "" {
		repID = a.UserID
	}
	now := s.c.Now()
	v := crm.Visit{ID: crm.NewID("vis"), CompanyID: companyID, RepID: repID, PlannedFor: day}
	err := core.Change(ctx, s.c, visitStoreOf, func(tx visitStore) error {
		team, err := s.checkOwner(ctx, tx, repID)
		if err != nil {
			return errs.InvalidField("rep_id", "rep_id names no user")
		}
		if !authz.Decide(a, authz.ActionCreate, authz.Resource{Object: authz.ObjectVisit, OwnerID: repID, OwnerTeam: team}).Allowed {
			return errs.E(errs.Permission, "you may not plan visits for this rep")
		}
		co, err := tx.CompanyByID(ctx, companyID)
		if errs.Is(err, errs.NotExist) || (err == nil && (!co.IsStore || !authz.Decide(a, authz.ActionRead, companyRes(co)).Allowed)) {
			return errs.InvalidField("company_id", "company_id names no store you can see")
		}
		if err != nil {
			return err
		}
		v.RepTeam = team
		// The store's name is the visit's label, as openVisit shows it.
		key, err := s.c.Keys.OpenDataKey(co.ID, co.WrappedKey)
		if err != nil {
			return errs.Wrap(errs.Internal, "service.PlanVisit", "", err)
		}
		if v.StoreName, err = fieldcrypt.Open(key, companyPlace(co.ID, crm.CompanyName), co.Sealed[crm.CompanyName]); err != nil {
			return errs.Wrap(errs.Internal, "service.PlanVisit", "", err)
		}
		if err := tx.InsertVisit(ctx, store.VisitRow{ID: v.ID, CompanyID: companyID, RepID: repID, PlannedFor: day, CreatedAt: now, UpdatedAt: now}); err != nil {
			return err
		}
		return s.c.Record(ctx, tx, a, "visit.create", "visit", v.ID, nil, audit.Success, "store "+companyID+" on "+day)
	})
	if err != nil {
		return crm.Visit{}, err
	}
	return v, nil
}

// visitInScope loads a visit the actor may read, like core.CustomerInScope.
func (s *Visits) visitInScope(ctx context.Context, tx visitStore, a authz.Actor, id, action string) (store.VisitRow, error) {
	if !crm.ValidID(id) {
		return store.VisitRow{}, errVisitNotFound
	}
	return core.InScope(ctx, s.c, tx, a, id, action, core.Scope[store.VisitRow]{Object: "visit", Load: tx.VisitByID, Resource: visitRes, NotFound: errVisitNotFound})
}

// VisitUpdate is a check-in or check-out. Location is optional: a device
// may refuse to give it.
type VisitUpdate struct {
	CheckIn, CheckOut bool
	Location          *crm.Location
	Notes             *string
}

// UpdateVisit checks a rep in or out of a visit and records notes. Only the
// visit's rep may check in and out: it is their location.
func (s *Visits) UpdateVisit(ctx context.Context, a authz.Actor, id string, up VisitUpdate) (crm.Visit, error) {
	if up.Location != nil {
		if err := up.Location.Check(); err != nil {
			return crm.Visit{}, err
		}
	}
	if up.Notes != nil {
		n, err := crm.NormaliseVisitNotes(*up.Notes)
		if err != nil {
			return crm.Visit{}, err
		}
		up.Notes = &n
	}
	var out crm.Visit
	err := core.Change(ctx, s.c, visitStoreOf, func(tx visitStore) error {
		row, err := s.visitInScope(ctx, tx, a, id, "visit.update")
		if err != nil {
			return err
		}
		if !authz.Decide(a, authz.ActionUpdate, visitRes(row)).Allowed || row.RepID != a.UserID {
			return errs.E(errs.Permission, "only the visit's rep may check in, check out and write its notes")
		}
		storeKey, repKey, err := s.visitKeys(row)
		if err != nil {
			return err
		}
		now := s.c.Now()
		var changed []string
		switch {
		case up.CheckIn && row.CheckinAt != nil:
			return errs.E(errs.Conflict, "already checked in")
		case up.CheckIn:
			row.CheckinAt, changed = &now, append(changed, "checkin")
			if up.Location != nil {
				if row.CheckinLocCT, err = fieldcrypt.Seal(repKey, visitPlace(id, "checkin_loc_ct"), up.Location.String()); err != nil {
					return err
				}
				changed = append(changed, "location")
			}
		case up.CheckOut && row.CheckinAt == nil:
			return errs.E(errs.Conflict, "check in before checking out")
		case up.CheckOut && row.CheckoutAt != nil:
			return errs.E(errs.Conflict, "already checked out")
		case up.CheckOut:
			row.CheckoutAt, changed = &now, append(changed, "checkout")
			if up.Location != nil {
				if row.CheckoutLocCT, err = fieldcrypt.Seal(repKey, visitPlace(id, "checkout_loc_ct"), up.Location.String()); err != nil {
					return err
				}
				changed = append(changed, "location")
			}
		}
		if up.Notes != nil {
			if row.NotesCT, err = fieldcrypt.Seal(storeKey, visitPlace(id, "notes_ct"), *up.Notes); err != nil {
				return err
			}
			changed = append(changed, "notes")
		}
		row.UpdatedAt = now
		if err := tx.UpdateVisit(ctx, row); err != nil {
			return err
		}
		if out, err = s.openVisit(ctx, tx, row, authz.Decide(a, authz.ActionRead, visitRes(row))); err != nil {
			return err
		}
		return s.c.Record(ctx, tx, a, "visit.update", "visit", id, changed, audit.Success, "")
	})
	if err != nil {
		return crm.Visit{}, err
	}
	return out, nil
}

// Visit returns one visit with its photos' descriptions.
func (s *Visits) Visit(ctx context.Context, a authz.Actor, id string) (crm.Visit, error) {
	var out crm.Visit
	err := core.Change(ctx, s.c, visitStoreOf, func(tx visitStore) error {
		row, err := s.visitInScope(ctx, tx, a, id, "visit.read")
		if err != nil {
			return err
		}
		d := authz.Decide(a, authz.ActionRead, visitRes(row))
		if out, err = s.openVisit(ctx, tx, row, d); err != nil {
			return err
		}
		return s.c.Record(ctx, tx, a, "visit.read", "visit", id, shownVisitFields(d), audit.Success, "")
	})
	if err != nil {
		return crm.Visit{}, err
	}
	return out, nil
}

// Visits returns the visits the actor may read planned from day from to
// day to (inclusive), with store names.
func (s *Visits) Visits(ctx context.Context, a authz.Actor, from, to string) ([]crm.Visit, error) {
	d := authz.Decide(a, authz.ActionRead, authz.Resource{Object: authz.ObjectVisit})
	if !d.Allowed {
		return nil, errs.E(errs.Permission, "you may not read visits")
	}
	for _, day := range []string{from, to} {
		if _, err := time.Parse(time.DateOnly, day); err != nil {
			return nil, errs.InvalidField("from", "from and to must be dates, like 2026-11-24")
		}
	}
	f := store.VisitFilter{From: from, To: to, Limit: 500}
	f.RepID, f.Teams = core.ScopeFilter(a, d)
	var out []crm.Visit
	err := core.Read(ctx, s.c, visitStoreOf, func(ctx context.Context, tx visitStore) ([]audit.Event, error) {
		rows, err := tx.ListVisits(ctx, f)
		if err != nil {
			return nil, err
		}
		var visits []crm.Visit
		var events []audit.Event
		for _, row := range rows {
			rd := authz.Decide(a, authz.ActionRead, visitRes(row))
			if !rd.Allowed {
				continue
			}
			v, err := s.openVisit(ctx, tx, row, rd)
			if err != nil {
				return nil, err
			}
			v.Photos = nil // lists do not need them
			visits = append(visits, v)
			events = append(events, core.Event(a, "visit.read", "visit", v.ID, shownVisitFields(rd), audit.Success, "list"))
		}
		out = visits
		return events, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// AddPhoto attaches a photo to a visit: JPEG, PNG or WebP by content, at
// most MaxPhoto bytes, read from r as it arrives and sealed under the
// store's key before it is stored. Only the visit's rep adds photos.
func (s *Visits) AddPhoto(ctx context.Context, a authz.Actor, visitID string, r io.Reader) (crm.Photo, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxPhoto+1))
	if err != nil {
		return crm.Photo{}, errs.Wrap(errs.Invalid, "service.AddPhoto", "the photo could not be read", err)
	}
	if len(data) > MaxPhoto {
		return crm.Photo{}, errs.E(errs.TooLarge, "the photo is larger than 8 MiB")
	}
	ct := crm.PhotoType(data)
	if ct == "" {
		return crm.Photo{}, errs.InvalidField("photo", "the file is not a JPEG, PNG or WebP image")
	}
	p := crm.Photo{ID: crm.NewID("att"), ContentType: ct, Size: int64(len(data)), CreatedAt: s.c.Now()}
	err = core.Change(ctx, s.c, visitStoreOf, func(tx visitStore) error {
		row, err := s.visitInScope(ctx, tx, a, visitID, "visit.photo")
		if err != nil {
			return err
		}
		if !authz.Decide(a, authz.ActionUpdate, visitRes(row)).Allowed || row.RepID != a.UserID {
			return errs.E(errs.Permission, "only the visit's rep may add photos")
		}
		storeKey, _, err := s.visitKeys(row)
		if err != nil {
			return err
		}
		sealed, err := fieldcrypt.SealBytes(storeKey, fieldcrypt.Place{Table: "attachments", Column: "data_ct", Row: p.ID}, data)
		clear(data)
		if err != nil {
			return err
		}
		if err := tx.InsertAttachment(ctx, store.AttachmentRow{ID: p.ID, VisitID: visitID, ContentType: ct, Size: p.Size, DataCT: sealed, CreatedBy: a.UserID, CreatedAt: p.CreatedAt}); err != nil {
			return err
		}
		return s.c.Record(ctx, tx, a, "visit.photo", "visit", visitID, []string{"photo"}, audit.Success, p.ID)
	})
	if err != nil {
		return crm.Photo{}, err
	}
	return p, nil
}

// Photo returns a photo's bytes and content type, to someone who may read
// the visit's notes.
func (s *Visits) Photo(ctx context.Context, a authz.Actor, visitID, photoID string) ([]byte, string, error) {
	if !crm.ValidID(photoID) {
		return nil, "", errs.E(errs.NotExist, "photo not found")
	}
	var data []byte
	var ct string
	err := core.Change(ctx, s.c, visitStoreOf, func(tx visitStore) error {
		row, err := s.visitInScope(ctx, tx, a, visitID, "visit.photo_read")
		if err != nil {
			return err
		}
		if authz.Decide(a, authz.ActionRead, visitRes(row)).Field("notes") < authz.Read {
			return errs.E(errs.Permission, "you may not see this visit's photos")
		}
		att, err := tx.AttachmentByID(ctx, photoID)
		if err != nil || att.VisitID != visitID {
			return errs.E(errs.NotExist, "photo not found")
		}
		storeKey, _, err := s.visitKeys(row)
		if err != nil {
			return err
		}
		if data, err = fieldcrypt.OpenBytes(storeKey, fieldcrypt.Place{Table: "attachments", Column: "data_ct", Row: att.ID}, att.DataCT); err != nil {
			return errs.Wrap(errs.Internal, "service.Photo", "", err)
		}
		ct = att.ContentType
		return s.c.Record(ctx, tx, a, "visit.photo_read", "visit", visitID, []string{"photo"}, audit.Success, att.ID)
	})
	if err != nil {
		return nil, "", err
	}
	return data, ct, nil
}

func (s *Visits) visitKeys(row store.VisitRow) (storeKey, repKey keyring.DataKey, err error) {
	if storeKey, err = s.c.Keys.OpenDataKey(row.CompanyID, row.StoreKey); err != nil {
		return storeKey, repKey, errs.Wrap(errs.Internal, "service.visitKeys", "", err)
	}
	if repKey, err = s.c.Keys.OpenDataKey(row.RepID, row.RepKey); err != nil {
		return storeKey, repKey, errs.Wrap(errs.Internal, "service.visitKeys", "", err)
	}
	return storeKey, repKey, nil
}

// openVisit opens what d allows: locations with "location", notes and
// photos with "notes"; the store's name always (the visit's label).
func (s *Visits) openVisit(ctx context.Context, tx visitStore, row store.VisitRow, d authz.Decision) (crm.Visit, error) {
	v := crm.Visit{ID: row.ID, CompanyID: row.CompanyID, RepID: row.RepID, RepTeam: row.RepTeam, PlannedFor: row.PlannedFor, CheckinAt: row.CheckinAt, CheckoutAt: row.CheckoutAt}
	storeKey, repKey, err := s.visitKeys(row)
	if err != nil {
		return v, err
	}
	fail := func(err error) (crm.Visit, error) { return v, errs.Wrap(errs.Internal, "service.openVisit", "", err) }
	if v.StoreName, err = fieldcrypt.Open(storeKey, companyPlace(row.CompanyID, crm.CompanyName), row.StoreNameCT); err != nil {
		return fail(err)
	}
	if d.Field("location") >= authz.Read {
		for _, x := range []struct {
			ct  []byte
			col string
			dst **crm.Location
		}{{row.CheckinLocCT, "checkin_loc_ct", &v.CheckinLoc}, {row.CheckoutLocCT, "checkout_loc_ct", &v.CheckoutLoc}} {
			loc, err := fieldcrypt.Open(repKey, visitPlace(row.ID, x.col), x.ct)
			if err != nil {
				return fail(err)
			}
			if *x.dst, err = crm.ParseLocation(loc); err != nil {
				return fail(err)
			}
		}
	}
	if d.Field("notes") >= authz.Read {
		if v.Notes, err = fieldcrypt.Open(storeKey, visitPlace(row.ID, "notes_ct"), row.NotesCT); err != nil {
			return fail(err)
		}
		atts, err := tx.Attachments(ctx, row.ID)
		if err != nil {
			return v, err
		}
		for _, at := range atts {
			v.Photos = append(v.Photos, crm.Photo{ID: at.ID, ContentType: at.ContentType, Size: at.Size, CreatedAt: at.CreatedAt})
		}
	}
	return v, nil
}

func shownVisitFields(d authz.Decision) []string {
	var out []string
	for _, f := range []string{"location", "notes"} {
		if d.Field(f) >= authz.Read {
			out = append(out, f)
		}
	}
	return out
}

// visitStore is what the methods in visits.go read and write.
type visitStore interface {
	companyReader
	ownerReader
	AttachmentByID(ctx context.Context, id string) (store.AttachmentRow, error)
	Attachments(ctx context.Context, visitID string) ([]store.AttachmentRow, error)
	InsertAttachment(ctx context.Context, a store.AttachmentRow) error
	InsertVisit(ctx context.Context, v store.VisitRow) error
	ListVisits(ctx context.Context, f store.VisitFilter) ([]store.VisitRow, error)
	UpdateVisit(ctx context.Context, v store.VisitRow) error
	VisitByID(ctx context.Context, id string) (store.VisitRow, error)
}

// visitStoreOf is the compiler's check that the store has every method of visitStore.
func visitStoreOf(tx *store.Tx) visitStore { return tx }
