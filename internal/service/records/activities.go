package records

import (
	"context"
	"fmt"
	"slices"
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

// Activities belong to their customer's notes class: reading them needs
// the customer's notes readable, logging them needs the notes writable.
const activityField = crm.FieldNotes

func activityPlace(id, column string) fieldcrypt.Place {
	return fieldcrypt.Place{Table: "activities", Column: column, Row: id}
}

var errActivityNotFound = errs.E(errs.NotExist, "activity not found")

// LogActivity records a call, meeting, note or task on a customer. The
// subject and body are sealed under the customer's data key, so erasing
// the customer erases them too.
func (s *Activities) LogActivity(ctx context.Context, a authz.Actor, customerID string, in crm.ActivityInput) (crm.Activity, error) {
	if !crm.ValidID(customerID) {
		return crm.Activity{}, core.ErrCustomerNotFound
	}
	if err := in.Normalise(); err != nil {
		return crm.Activity{}, err
	}
	now := s.c.Now()
	act := crm.Activity{ID: crm.NewID("act"), CustomerID: customerID, OwnerID: a.UserID, Kind: in.Kind, Subject: in.Subject, Body: in.Body, DueAt: in.DueAt, CreatedAt: now}
	err := core.Change(ctx, s.c, activityStoreOf, func(tx activityStore) error {
		row, err := s.c.CustomerInScope(ctx, tx, a, customerID, "activity.create")
		if err != nil {
			return err
		}
		if authz.Decide(a, authz.ActionUpdate, core.CustomerRes(row)).Field(activityField) < authz.Write {
			return errs.E(errs.Permission, "you may not log activities on this customer")
		}
		key, err := s.openKey(row)
		if err != nil {
			return err
		}
		if a.UserID == authz.SystemUserID { // command-line and demo work: the customer's owner holds it
			if row.OwnerID == "" {
				return errs.E(errs.Invalid, "the customer has no owner to hold this activity")
			}
			act.OwnerID = row.OwnerID
		}
		r := store.ActivityRow{ID: act.ID, CustomerID: customerID, OwnerID: act.OwnerID, Kind: in.Kind, DueAt: in.DueAt, CreatedAt: now, UpdatedAt: now}
		return s.insertActivity(ctx, tx, a, key, r, in, "customer", customerID)
	})
	if err != nil {
		return crm.Activity{}, err
	}
	return act, nil
}

// CustomerActivities returns a customer's latest activities, if the actor
// may read the customer's notes; otherwise none (and no error), since the
// customer itself may still be visible.
func (s *Activities) CustomerActivities(ctx context.Context, a authz.Actor, customerID string) ([]crm.Activity, error) {
	if !crm.ValidID(customerID) {
		return nil, core.ErrCustomerNotFound
	}
	var out []crm.Activity
	err := core.Change(ctx, s.c, activityStoreOf, func(tx activityStore) error {
		row, err := s.c.CustomerInScope(ctx, tx, a, customerID, "activity.read")
		if err != nil {
			return err
		}
		if authz.Decide(a, authz.ActionRead, core.CustomerRes(row)).Field(activityField) < authz.Read {
			return nil
		}
		rows, err := tx.CustomerActivities(ctx, customerID, 100)
		if err != nil || len(rows) == 0 {
			return err
		}
		key, err := s.openKey(row)
		if err != nil {
			return err
		}
		for _, r := range rows {
			act, err := openActivity(key, r)
			if err != nil {
				return err
			}
			out = append(out, act)
		}
		return s.c.Record(ctx, tx, a, "activity.read", "customer", customerID, []string{"activity.subject", "activity.body"}, audit.Success, fmt.Sprintf("%d activities", len(out)))
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// CompleteTask marks one of the actor's visible tasks done, or open again.
func (s *Activities) CompleteTask(ctx context.Context, a authz.Actor, activityID string, done bool) error {
	if !crm.ValidID(activityID) {
		return errActivityNotFound
	}
	err := core.Change(ctx, s.c, activityStoreOf, func(tx activityStore) error {
		r, err := tx.ActivityByID(ctx, activityID)
		if err != nil {
			return core.NotFound(err, "activity")
		}
		objType, objID := "customer", r.CustomerID
		if r.CompanyID != "" {
			objType, objID = "company", r.CompanyID
			co, err := s.companyInScope(ctx, tx, a, r.CompanyID, "activity.update")
			if err != nil {
				return core.AnswerDenial(err, errActivityNotFound)
			}
			if authz.Decide(a, authz.ActionUpdate, companyRes(co)).Field(crm.CompanyNotes) < authz.Write {
				return errs.E(errs.Permission, "you may not change activities on this company")
			}
		} else {
			row, err := s.c.CustomerInScope(ctx, tx, a, r.CustomerID, "activity.update")
			if err != nil {
				return core.AnswerDenial(err, errActivityNotFound)
			}
			if authz.Decide(a, authz.ActionUpdate, core.CustomerRes(row)).Field(activityField) < authz.Write {
				return errs.E(errs.Permission, "you may not change activities on this customer")
			}
		}
		if r.Kind != crm.KindTask {
			return errs.E(errs.Invalid, "only tasks can be done")
		}
		var at *time.Time
		if done {
			now := s.c.Now()
			at = &now
		}
		if err := tx.SetActivityDone(ctx, activityID, at, s.c.Now()); err != nil {
			return err
		}
		return s.c.Record(ctx, tx, a, "activity.update", objType, objID, []string{"activity.done"}, audit.Success, activityID)
	})
	return err
}

// Task is an open task with the name of its customer or company, as the
// actor may see it, for a to-do list.
type Task struct {
	Activity     crm.Activity
	CustomerName string // the customer's or the company's name
}

// MyTasks returns the actor's open tasks, soonest due first, on customers
// the actor may still read.
func (s *Activities) MyTasks(ctx context.Context, a authz.Actor) ([]Task, error) {
	var out []Task
	err := core.Read(ctx, s.c, activityStoreOf, func(ctx context.Context, tx activityStore) ([]audit.Event, error) {
		rows, err := tx.OpenTasks(ctx, a.UserID, 50)
		if err != nil {
			return nil, err
		}
		var tasks []Task
		var events []audit.Event
		for _, t := range rows {
			d := authz.Decide(a, authz.ActionRead, core.CustomerRes(t.Customer))
			if !d.Allowed || d.Field(activityField) < authz.Read {
				continue // the customer moved out of the actor's reach
			}
			c, shown, err := s.openCustomer(t.Customer, authz.Decision{Allowed: true, Fields: map[string]authz.Level{crm.FieldName: d.Field(crm.FieldName)}})
			if err != nil {
				return nil, err
			}
			key, err := s.openKey(t.Customer)
			if err != nil {
				return nil, err
			}
			act, err := openActivity(key, t.Activity)
			if err != nil {
				return nil, err
			}
			tasks = append(tasks, Task{Activity: act, CustomerName: c.Fields[crm.FieldName]})
			events = append(events, core.Event(a, "activity.read", "customer", c.ID, append(shown, "activity.subject", "activity.body"), audit.Success, "my tasks"))
		}
		companyTasks, err := tx.OpenCompanyTasks(ctx, a.UserID, 50)
		if err != nil {
			return nil, err
		}
		for _, t := range companyTasks {
			d := authz.Decide(a, authz.ActionRead, companyRes(t.Company))
			if !d.Allowed || d.Field(crm.CompanyNotes) < authz.Read {
				continue
			}
			co, shown, err := s.openCompany(t.Company, authz.Decision{Allowed: true, Fields: map[string]authz.Level{crm.CompanyName: d.Field(crm.CompanyName)}})
			if err != nil {
				return nil, err
			}
			key, err := s.c.Keys.OpenDataKey(t.Company.ID, t.Company.WrappedKey)
			if err != nil {
				return nil, errs.Wrap(errs.Internal, "service.MyTasks", "", err)
			}
			act, err := openActivity(key, t.Activity)
			if err != nil {
				return nil, err
			}
			tasks = append(tasks, Task{Activity: act, CustomerName: co.Fields[crm.CompanyName]})
			events = append(events, core.Event(a, "activity.read", "company", co.ID, append(shown, "activity.subject", "activity.body"), audit.Success, "my tasks"))
		}
		// Customer and company tasks together, soonest due first (undated last).
		slices.SortStableFunc(tasks, func(x, y Task) int { return compareDue(x.Activity.DueAt, y.Activity.DueAt) })
		out = tasks
		return events, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func openActivity(key keyring.DataKey, r store.ActivityRow) (crm.Activity, error) {
	subject, err := fieldcrypt.Open(key, activityPlace(r.ID, "subject_ct"), r.SubjectSealed)
	if err != nil {
		return crm.Activity{}, errs.Wrap(errs.Internal, "service.openActivity", "", err)
	}
	body, err := fieldcrypt.Open(key, activityPlace(r.ID, "body_ct"), r.BodySealed)
	if err != nil {
		return crm.Activity{}, errs.Wrap(errs.Internal, "service.openActivity", "", err)
	}
	return crm.Activity{ID: r.ID, CustomerID: r.CustomerID, CompanyID: r.CompanyID, DealID: r.DealID, OwnerID: r.OwnerID, Kind: r.Kind, Subject: subject, Body: body, DueAt: r.DueAt, DoneAt: r.DoneAt, CreatedAt: r.CreatedAt}, nil
}

// LogCompanyActivity records a call, meeting, note or task on a company,
// sealed under the company's key; it needs the company's notes writable.
func (s *Activities) LogCompanyActivity(ctx context.Context, a authz.Actor, companyID string, in crm.ActivityInput) (crm.Activity, error) {
	if !crm.ValidID(companyID) {
		return crm.Activity{}, errCompanyNotFound
	}
	if err := in.Normalise(); err != nil {
		return crm.Activity{}, err
	}
	now := s.c.Now()
	act := crm.Activity{ID: crm.NewID("act"), CompanyID: companyID, OwnerID: a.UserID, Kind: in.Kind, Subject: in.Subject, Body: in.Body, DueAt: in.DueAt, CreatedAt: now}
	err := core.Change(ctx, s.c, activityStoreOf, func(tx activityStore) error {
		co, err := s.companyInScope(ctx, tx, a, companyID, "activity.create")
		if err != nil {
			return err
		}
		if authz.Decide(a, authz.ActionUpdate, companyRes(co)).Field(crm.CompanyNotes) < authz.Write {
			return errs.E(errs.Permission, "you may not log activities on this company")
		}
		if a.UserID == authz.SystemUserID {
			if co.OwnerID == "" {
				return errs.E(errs.Invalid, "the company has no owner to hold this activity")
			}
			act.OwnerID = co.OwnerID
		}
		key, err := s.c.Keys.OpenDataKey(co.ID, co.WrappedKey)
		if err != nil {
			return errs.Wrap(errs.Internal, "service.LogCompanyActivity", "", err)
		}
		r := store.ActivityRow{ID: act.ID, CompanyID: companyID, OwnerID: act.OwnerID, Kind: in.Kind, DueAt: in.DueAt, CreatedAt: now, UpdatedAt: now}
		return s.insertActivity(ctx, tx, a, key, r, in, "company", companyID)
	})
	if err != nil {
		return crm.Activity{}, err
	}
	return act, nil
}

// CompanyActivities returns a company's latest activities if the actor may
// read its notes; otherwise none (and no error).
func (s *Activities) CompanyActivities(ctx context.Context, a authz.Actor, companyID string) ([]crm.Activity, error) {
	if !crm.ValidID(companyID) {
		return nil, errCompanyNotFound
	}
	var out []crm.Activity
	err := core.Change(ctx, s.c, activityStoreOf, func(tx activityStore) error {
		co, err := s.companyInScope(ctx, tx, a, companyID, "activity.read")
		if err != nil {
			return err
		}
		if authz.Decide(a, authz.ActionRead, companyRes(co)).Field(crm.CompanyNotes) < authz.Read {
			return nil
		}
		rows, err := tx.CompanyActivities(ctx, companyID, 100)
		if err != nil || len(rows) == 0 {
			return err
		}
		key, err := s.c.Keys.OpenDataKey(co.ID, co.WrappedKey)
		if err != nil {
			return errs.Wrap(errs.Internal, "service.CompanyActivities", "", err)
		}
		for _, r := range rows {
			act, err := openActivity(key, r)
			if err != nil {
				return err
			}
			out = append(out, act)
		}
		return s.c.Record(ctx, tx, a, "activity.read", "company", companyID, []string{"activity.subject", "activity.body"}, audit.Success, fmt.Sprintf("%d activities", len(out)))
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// compareDue orders due times, soonest first, a missing one last.
func compareDue(x, y *time.Time) int {
	switch {
	case x == nil && y == nil:
		return 0
	case x == nil:
		return 1
	case y == nil:
		return -1
	}
	return x.Compare(*y)
}

// activityStore is what the methods in activities.go read and write.
type activityStore interface {
	core.CustomerStore
	activityWriter
	companyReader
	ActivityByID(ctx context.Context, id string) (store.ActivityRow, error)
	CompanyActivities(ctx context.Context, companyID string, limit int) ([]store.ActivityRow, error)
	CustomerActivities(ctx context.Context, customerID string, limit int) ([]store.ActivityRow, error)
	OpenCompanyTasks(ctx context.Context, ownerID string, limit int) ([]store.OpenCompanyTask, error)
	OpenTasks(ctx context.Context, ownerID string, limit int) ([]store.OpenTask, error)
	SetActivityDone(ctx context.Context, id string, done *time.Time, now time.Time) error
}

// activityStoreOf is the compiler's check that the store has every method of activityStore.
func activityStoreOf(tx *store.Tx) activityStore { return tx }
