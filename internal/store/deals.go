package store

import (
	"context"
	"time"

	"strongroom.dev/strongroom/internal/crm"
)

// DealRow is a stored deal; title and amount are sealed under the
// customer's data key, which is joined in.
type DealRow struct {
	ID            string
	CustomerID    string
	OwnerID       string
	OwnerTeam     string
	Stage         string
	Currency      string
	TitleSealed   []byte
	AmountSealed  []byte
	Probability   int
	ExpectedClose string
	CreatedAt     time.Time
	UpdatedAt     time.Time
	WrappedKey    []byte // the customer's
}

const dealSelect = `SELECT d.id, d.customer_id, d.owner_id, COALESCE(ou.team, ''), d.stage, d.currency, d.title_ct, d.amount_ct, d.probability,
	COALESCE(d.expected_close, ''), d.created_at, d.updated_at, k.wrapped
	FROM deals d JOIN subject_keys k ON k.subject_id = d.customer_id LEFT JOIN users ou ON ou.id = d.owner_id`

func scanDeal(row interface{ Scan(...any) error }) (DealRow, error) {
	var d DealRow
	var created, updated int64
	err := row.Scan(&d.ID, &d.CustomerID, &d.OwnerID, &d.OwnerTeam, &d.Stage, &d.Currency, &d.TitleSealed, &d.AmountSealed, &d.Probability,
		&d.ExpectedClose, &created, &updated, &d.WrappedKey)
	d.CreatedAt, d.UpdatedAt = fromMicro(created), fromMicro(updated)
	return d, err
}

// Stages returns the pipeline stages in order.
func (tx *dealRows) Stages(ctx context.Context) ([]crm.Stage, error) {
	rows, err := tx.query(ctx, "SELECT id, probability, outcome FROM pipeline_stages ORDER BY position")
	if err != nil {
		return nil, classify("store.Stages", err)
	}
	defer rows.Close()
	var out []crm.Stage
	for rows.Next() {
		var s crm.Stage
		if err := rows.Scan(&s.ID, &s.Probability, &s.Outcome); err != nil {
			return nil, classify("store.Stages", err)
		}
		out = append(out, s)
	}
	return out, classify("store.Stages", rows.Err())
}

// ReplaceStages sets the pipeline to stages, in order. Stages that deals
// still use must be among them (the foreign key refuses otherwise).
func (tx *dealRows) ReplaceStages(ctx context.Context, stages []crm.Stage) error {
	keep := make([]any, 0, len(stages))
	for _, s := range stages {
		keep = append(keep, s.ID)
	}
	if _, err := tx.exec(ctx, "DELETE FROM pipeline_stages WHERE id NOT IN ("+placeholders(len(keep))+")", keep...); err != nil {
		return classify("store.ReplaceStages", err)
	}
	for i, s := range stages {
		res, err := tx.exec(ctx, "UPDATE pipeline_stages SET position = ?, probability = ?, outcome = ? WHERE id = ?", i+1, s.Probability, s.Outcome, s.ID)
		if err != nil {
			return classify("store.ReplaceStages", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			if _, err := tx.exec(ctx, "INSERT INTO pipeline_stages (id, position, probability, outcome) VALUES (?, ?, ?, ?)", s.ID, i+1, s.Probability, s.Outcome); err != nil {
				return classify("store.ReplaceStages", err)
			}
		}
	}
	return nil
}

// StageInUse reports whether any deal is in stage id.
func (tx *dealRows) StageInUse(ctx context.Context, id string) (bool, error) {
	var n int
	err := tx.queryRow(ctx, "SELECT count(*) FROM deals WHERE stage = ?", id).Scan(&n)
	return n > 0, classify("store.StageInUse", err)
}

// InsertDeal stores a new deal.
func (tx *dealRows) InsertDeal(ctx context.Context, d DealRow) error {
	_, err := tx.exec(ctx, `INSERT INTO deals (id, customer_id, owner_id, stage, currency, title_ct, amount_ct, probability, expected_close, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		d.ID, d.CustomerID, d.OwnerID, d.Stage, d.Currency, d.TitleSealed, d.AmountSealed, d.Probability, nullString(d.ExpectedClose), d.CreatedAt.UnixMicro(), d.UpdatedAt.UnixMicro())
	return classify("store.InsertDeal", err)
}

// UpdateDeal rewrites a deal.
func (tx *dealRows) UpdateDeal(ctx context.Context, d DealRow) error {
	return tx.updateOne(ctx, "store.UpdateDeal", `UPDATE deals SET stage = ?, currency = ?, title_ct = ?, amount_ct = ?, probability = ?, expected_close = ?, updated_at = ? WHERE id = ?`,
		d.Stage, d.Currency, d.TitleSealed, d.AmountSealed, d.Probability, nullString(d.ExpectedClose), d.UpdatedAt.UnixMicro(), d.ID)
}

// DeleteDeal removes a deal.
func (tx *dealRows) DeleteDeal(ctx context.Context, id string) error {
	return tx.updateOne(ctx, "store.DeleteDeal", "DELETE FROM deals WHERE id = ?", id)
}

// DealByID returns one deal.
func (tx *dealRows) DealByID(ctx context.Context, id string) (DealRow, error) {
	d, err := scanDeal(tx.queryRow(ctx, dealSelect+" WHERE d.id = ?", id))
	return d, classify("store.DealByID", err)
}

// DealFilter selects deals.
type DealFilter struct {
	OwnerID    string
	Teams      []string
	CustomerID string
	Limit      int
}

// ListDeals returns deals matching f, newest first.
func (tx *dealRows) ListDeals(ctx context.Context, f DealFilter) ([]DealRow, error) {
	q := dealSelect + " WHERE 1 = 1"
	var args []any
	if f.OwnerID != "" {
		q, args = q+" AND d.owner_id = ?", append(args, f.OwnerID)
	}
	if len(f.Teams) > 0 {
		cond, vals := in("ou.team", f.Teams)
		q, args = q+" AND "+cond, append(args, vals...)
	}
	if f.CustomerID == "" { // the pipeline: no deal of a customer whose processing is restricted
		q += " AND NOT EXISTS (SELECT 1 FROM customers rc WHERE rc.id = d.customer_id AND rc.restricted <> 0)"
	}
	if f.CustomerID != "" {
		q, args = q+" AND d.customer_id = ?", append(args, f.CustomerID)
	}
	rows, err := tx.query(ctx, q+" ORDER BY d.updated_at DESC, d.id LIMIT ?", append(args, f.Limit)...)
	if err != nil {
		return nil, classify("store.ListDeals", err)
	}
	defer rows.Close()
	var out []DealRow
	for rows.Next() {
		d, err := scanDeal(rows)
		if err != nil {
			return nil, classify("store.ListDeals", err)
		}
		out = append(out, d)
	}
	return out, classify("store.ListDeals", rows.Err())
}

// dealRows are the rows of deals and pipeline stages, one part of a Tx.
type dealRows struct{ *conn }
