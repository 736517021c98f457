package store

import (
	"context"
	"time"
)

// Preferences returns a customer's sealed preferences, or NotExist.
func (tx *preferenceRows) Preferences(ctx context.Context, customerID string) ([]byte, error) {
	var ct []byte
	err := tx.queryRow(ctx, "SELECT data_ct FROM preferences WHERE customer_id = ?", customerID).Scan(&ct)
	return ct, classify("store.Preferences", err)
}

// SetPreferences stores a customer's sealed preferences.
func (tx *preferenceRows) SetPreferences(ctx context.Context, customerID string, ct []byte, now time.Time) error {
	res, err := tx.exec(ctx, "UPDATE preferences SET data_ct = ?, updated_at = ? WHERE customer_id = ?", ct, now.UnixMicro(), customerID)
	if err != nil {
		return classify("store.SetPreferences", err)
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return nil
	}
	_, err = tx.exec(ctx, "INSERT INTO preferences (customer_id, data_ct, updated_at) VALUES (?, ?, ?)", customerID, ct, now.UnixMicro())
	return classify("store.SetPreferences", err)
}

// FeedbackRow is one piece of stored feedback.
type FeedbackRow struct {
	ID         string
	CustomerID string
	Channel    string
	RatingCT   []byte
	CommentCT  []byte
	CreatedBy  string
	CreatedAt  time.Time
}

// InsertFeedback stores feedback.
func (tx *preferenceRows) InsertFeedback(ctx context.Context, f FeedbackRow) error {
	_, err := tx.exec(ctx, "INSERT INTO feedback (id, customer_id, channel, rating_ct, comment_ct, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
		f.ID, f.CustomerID, f.Channel, f.RatingCT, f.CommentCT, f.CreatedBy, f.CreatedAt.UnixMicro())
	return classify("store.InsertFeedback", err)
}

// CustomerFeedback returns a customer's feedback, newest first.
func (tx *preferenceRows) CustomerFeedback(ctx context.Context, customerID string, limit int) ([]FeedbackRow, error) {
	rows, err := tx.query(ctx, "SELECT id, customer_id, channel, rating_ct, comment_ct, created_by, created_at FROM feedback WHERE customer_id = ? ORDER BY created_at DESC LIMIT ?", customerID, limit)
	if err != nil {
		return nil, classify("store.CustomerFeedback", err)
	}
	defer rows.Close()
	var out []FeedbackRow
	for rows.Next() {
		var f FeedbackRow
		var created int64
		if err := rows.Scan(&f.ID, &f.CustomerID, &f.Channel, &f.RatingCT, &f.CommentCT, &f.CreatedBy, &created); err != nil {
			return nil, classify("store.CustomerFeedback", err)
		}
		f.CreatedAt = fromMicro(created)
		out = append(out, f)
	}
	return out, classify("store.CustomerFeedback", rows.Err())
}

// preferenceRows are the rows of marketing preferences and feedback, one part of a Tx.
type preferenceRows struct{ *conn }
