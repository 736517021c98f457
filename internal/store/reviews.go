package store

import (
	"context"
	"time"
)

// ReviewRow is an access review campaign.
type ReviewRow struct {
	ID         string
	CreatedBy  string
	CreatedAt  time.Time
	DueAt      time.Time
	Status     string // open or signed_off
	SignedBy   string
	SignedAt   time.Time
	Report     string // JSON, once signed off
	ReportHash string
}

// ReviewItemRow is one user's role under review.
type ReviewItemRow struct {
	ReviewID   string
	UserID     string
	Role       string
	Team       string
	ReviewerID string
	Flags      string // comma-separated
	Decision   string // pending, confirm or revoke
	DecidedBy  string
	DecidedAt  time.Time
}

// InsertReview stores a campaign and its items.
func (tx *reviewRows) InsertReview(ctx context.Context, r ReviewRow, items []ReviewItemRow) error {
	if _, err := tx.exec(ctx, "INSERT INTO access_reviews (id, created_by, created_at, due_at, status) VALUES (?, ?, ?, ?, ?)",
		r.ID, r.CreatedBy, r.CreatedAt.UnixMicro(), r.DueAt.UnixMicro(), r.Status); err != nil {
		return classify("store.InsertReview", err)
	}
	for _, it := range items {
		if _, err := tx.exec(ctx, "INSERT INTO access_review_items (review_id, user_id, role, team, reviewer_id, flags) VALUES (?, ?, ?, ?, ?, ?)",
			r.ID, it.UserID, it.Role, it.Team, it.ReviewerID, it.Flags); err != nil {
			return classify("store.InsertReview", err)
		}
	}
	return nil
}

func scanReview(row interface{ Scan(...any) error }) (ReviewRow, error) {
	var r ReviewRow
	var created, due, signed int64
	err := row.Scan(&r.ID, &r.CreatedBy, &created, &due, &r.Status, &r.SignedBy, &signed, &r.Report, &r.ReportHash)
	r.CreatedAt, r.DueAt = fromMicro(created), fromMicro(due)
	if signed > 0 {
		r.SignedAt = fromMicro(signed)
	}
	return r, err
}

const reviewColumns = "id, created_by, created_at, due_at, status, signed_by, signed_at, report, report_hash"

// Review reads one campaign.
func (tx *reviewRows) Review(ctx context.Context, id string) (ReviewRow, error) {
	r, err := scanReview(tx.queryRow(ctx, "SELECT "+reviewColumns+" FROM access_reviews WHERE id = ?", id))
	return r, classify("store.Review", err)
}

// Reviews lists campaigns, newest first.
func (tx *reviewRows) Reviews(ctx context.Context) ([]ReviewRow, error) {
	rows, err := tx.query(ctx, "SELECT "+reviewColumns+" FROM access_reviews ORDER BY created_at DESC, id")
	if err != nil {
		return nil, classify("store.Reviews", err)
	}
	defer rows.Close()
	var out []ReviewRow
	for rows.Next() {
		r, err := scanReview(rows)
		if err != nil {
			return nil, classify("store.Reviews", err)
		}
		out = append(out, r)
	}
	return out, classify("store.Reviews", rows.Err())
}

// ReviewItems lists a campaign's items.
func (tx *reviewRows) ReviewItems(ctx context.Context, reviewID string) ([]ReviewItemRow, error) {
	rows, err := tx.query(ctx, "SELECT review_id, user_id, role, team, reviewer_id, flags, decision, decided_by, decided_at FROM access_review_items WHERE review_id = ? ORDER BY team, user_id", reviewID)
	if err != nil {
		return nil, classify("store.ReviewItems", err)
	}
	defer rows.Close()
	var out []ReviewItemRow
	for rows.Next() {
		var it ReviewItemRow
		var decided int64
		if err := rows.Scan(&it.ReviewID, &it.UserID, &it.Role, &it.Team, &it.ReviewerID, &it.Flags, &it.Decision, &it.DecidedBy, &decided); err != nil {
			return nil, classify("store.ReviewItems", err)
		}
		if decided > 0 {
			it.DecidedAt = fromMicro(decided)
		}
		out = append(out, it)
	}
	return out, classify("store.ReviewItems", rows.Err())
}

// DecideReviewItem records a pending item's decision.
func (tx *reviewRows) DecideReviewItem(ctx context.Context, reviewID, userID, decision, by string, now time.Time) error {
	return tx.updateOne(ctx, "store.DecideReviewItem", "UPDATE access_review_items SET decision = ?, decided_by = ?, decided_at = ? WHERE review_id = ? AND user_id = ? AND decision = 'pending'",
		decision, by, now.UnixMicro(), reviewID, userID)
}

// SignOffReview closes an open campaign with its report.
func (tx *reviewRows) SignOffReview(ctx context.Context, id, by, report, hash string, now time.Time) error {
	return tx.updateOne(ctx, "store.SignOffReview", "UPDATE access_reviews SET status = 'signed_off', signed_by = ?, signed_at = ?, report = ?, report_hash = ? WHERE id = ? AND status = 'open'",
		by, now.UnixMicro(), report, hash, id)
}

// ActorObjectCounts counts each actor's successful audited actions per
// object type since a time: which rights were used.
func (tx *reviewRows) ActorObjectCounts(ctx context.Context, since time.Time) (map[string]map[string]int, error) {
	rows, err := tx.query(ctx, "SELECT actor_id, object_type, count(*) FROM audit_events WHERE at >= ? AND outcome = 'success' GROUP BY actor_id, object_type", since.UnixMicro())
	if err != nil {
		return nil, classify("store.ActorObjectCounts", err)
	}
	defer rows.Close()
	out := map[string]map[string]int{}
	for rows.Next() {
		var actor, object string
		var n int
		if err := rows.Scan(&actor, &object, &n); err != nil {
			return nil, classify("store.ActorObjectCounts", err)
		}
		if out[actor] == nil {
			out[actor] = map[string]int{}
		}
		out[actor][object] = n
	}
	return out, classify("store.ActorObjectCounts", rows.Err())
}

// reviewRows are the rows of access reviews, one part of a Tx.
type reviewRows struct{ *conn }
