package store

import (
	"context"
	"strings"
	"time"
)

// ActivityRow is a stored activity: a call, meeting, note or task on a
// customer. Subject and body are sealed under the customer's data key.
type ActivityRow struct {
	ID            string
	CustomerID    string // one of CustomerID and CompanyID is set
	CompanyID     string
	DealID        string // with CustomerID: the deal it is about
	OwnerID       string
	Kind          string
	SubjectSealed []byte
	BodySealed    []byte
	DueAt         *time.Time
	DoneAt        *time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

const activityColumns = "a.id, COALESCE(a.customer_id, ''), COALESCE(a.company_id, ''), COALESCE(a.deal_id, ''), a.owner_id, a.kind, a.subject_ct, a.body_ct, a.due_at, a.done_at, a.created_at, a.updated_at"

func scanActivity(row interface{ Scan(...any) error }, extra ...any) (ActivityRow, error) {
	var r ActivityRow
	var due, done *int64
	var created, updated int64
	err := row.Scan(append([]any{&r.ID, &r.CustomerID, &r.CompanyID, &r.DealID, &r.OwnerID, &r.Kind, &r.SubjectSealed, &r.BodySealed, &due, &done, &created, &updated}, extra...)...)
	r.DueAt, r.DoneAt = optTime(due), optTime(done)
	r.CreatedAt, r.UpdatedAt = fromMicro(created), fromMicro(updated)
	return r, err
}

func optTime(us *int64) *time.Time {
	if us == nil {
		return nil
	}
	t := fromMicro(*us)
	return &t
}

func optMicro(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMicro()
}

// InsertActivity stores a new activity.
func (tx *activityRows) InsertActivity(ctx context.Context, r ActivityRow) error {
	_, err := tx.exec(ctx, `INSERT INTO activities (id, customer_id, company_id, deal_id, owner_id, kind, subject_ct, body_ct, due_at, done_at, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, nullString(r.CustomerID), nullString(r.CompanyID), nullString(r.DealID), r.OwnerID, r.Kind, r.SubjectSealed, r.BodySealed, optMicro(r.DueAt), optMicro(r.DoneAt), r.CreatedAt.UnixMicro(), r.UpdatedAt.UnixMicro())
	return classify("store.InsertActivity", err)
}

// ActivityByID returns one activity.
func (tx *activityRows) ActivityByID(ctx context.Context, id string) (ActivityRow, error) {
	r, err := scanActivity(tx.queryRow(ctx, "SELECT "+activityColumns+" FROM activities a WHERE a.id = ?", id))
	return r, classify("store.ActivityByID", err)
}

// SetActivityDone marks a task done (or not, with nil).
func (tx *activityRows) SetActivityDone(ctx context.Context, id string, done *time.Time, now time.Time) error {
	return tx.updateOne(ctx, "store.SetActivityDone", "UPDATE activities SET done_at = ?, updated_at = ? WHERE id = ?", optMicro(done), now.UnixMicro(), id)
}

// CustomerActivities returns a customer's activities, newest first.
func (tx *activityRows) CustomerActivities(ctx context.Context, customerID string, limit int) ([]ActivityRow, error) {
	return tx.activitiesWhere(ctx, "a.customer_id = ?", customerID, limit)
}

// CompanyActivities returns a company's activities, newest first.
func (tx *activityRows) CompanyActivities(ctx context.Context, companyID string, limit int) ([]ActivityRow, error) {
	return tx.activitiesWhere(ctx, "a.company_id = ?", companyID, limit)
}

// DealActivities returns a deal's activities, newest first.
func (tx *activityRows) DealActivities(ctx context.Context, dealID string, limit int) ([]ActivityRow, error) {
	return tx.activitiesWhere(ctx, "a.deal_id = ?", dealID, limit)
}

func (tx *activityRows) activitiesWhere(ctx context.Context, cond, id string, limit int) ([]ActivityRow, error) {
	rows, err := tx.query(ctx, "SELECT "+activityColumns+" FROM activities a WHERE "+cond+" ORDER BY a.created_at DESC, a.id DESC LIMIT ?", id, limit)
	if err != nil {
		return nil, classify("store.activities", err)
	}
	defer rows.Close()
	var out []ActivityRow
	for rows.Next() {
		r, err := scanActivity(rows)
		if err != nil {
			return nil, classify("store.activities", err)
		}
		out = append(out, r)
	}
	return out, classify("store.activities", rows.Err())
}

// OpenCompanyTask is an open task on a company, with the company.
type OpenCompanyTask struct {
	Activity ActivityRow
	Company  CompanyRow
}

// OpenCompanyTasks returns the open tasks on companies owned by ownerID.
func (tx *activityRows) OpenCompanyTasks(ctx context.Context, ownerID string, limit int) ([]OpenCompanyTask, error) {
	q := "SELECT " + activityColumns + ", " + strings.TrimPrefix(companySelect, "SELECT ") +
		" JOIN activities a ON a.company_id = co.id WHERE a.owner_id = ? AND a.kind = 'task' AND a.done_at IS NULL" +
		" ORDER BY CASE WHEN a.due_at IS NULL THEN 1 ELSE 0 END, a.due_at, a.created_at LIMIT ?"
	rows, err := tx.query(ctx, q, ownerID, limit)
	if err != nil {
		return nil, classify("store.OpenCompanyTasks", err)
	}
	defer rows.Close()
	var out []OpenCompanyTask
	for rows.Next() {
		var t OpenCompanyTask
		dest, finish := companyDest(&t.Company)
		if t.Activity, err = scanActivity(rows, dest...); err != nil {
			return nil, classify("store.OpenCompanyTasks", err)
		}
		finish()
		out = append(out, t)
	}
	return out, classify("store.OpenCompanyTasks", rows.Err())
}

// OpenTask is an open task with its customer, for a to-do list.
type OpenTask struct {
	Activity ActivityRow
	Customer CustomerRow
}

// OpenTasks returns the open tasks owned by ownerID, soonest due first,
// each with its customer (for the customer's key and name).
func (tx *activityRows) OpenTasks(ctx context.Context, ownerID string, limit int) ([]OpenTask, error) {
	q := "SELECT " + activityColumns + ", " + customerSelectColumns + customerFrom +
		" JOIN activities a ON a.customer_id = c.id WHERE a.owner_id = ? AND a.kind = 'task' AND a.done_at IS NULL AND c.restricted = 0" +
		" ORDER BY CASE WHEN a.due_at IS NULL THEN 1 ELSE 0 END, a.due_at, a.created_at LIMIT ?"
	rows, err := tx.query(ctx, q, ownerID, limit)
	if err != nil {
		return nil, classify("store.OpenTasks", err)
	}
	defer rows.Close()
	var out []OpenTask
	for rows.Next() {
		var t OpenTask
		dest, finish := customerDest(&t.Customer)
		if t.Activity, err = scanActivity(rows, dest...); err != nil {
			return nil, classify("store.OpenTasks", err)
		}
		finish()
		out = append(out, t)
	}
	return out, classify("store.OpenTasks", rows.Err())
}

// activityRows are the rows of activities and tasks, one part of a Tx.
type activityRows struct{ *conn }
