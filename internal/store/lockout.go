package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// LoginFailures is an account's run of consecutive failed attempts.
type LoginFailures struct {
	Count int
	Until time.Time // no attempt before this; zero when none is due
}

// LoginFailures reads account's failures; none is the zero value.
func (tx *lockoutRows) LoginFailures(ctx context.Context, account []byte) (LoginFailures, error) {
	var out LoginFailures
	var until int64
	err := tx.queryRow(ctx, "SELECT failures, until_at FROM login_failures WHERE account = ?", account).Scan(&out.Count, &until)
	if errors.Is(err, sql.ErrNoRows) {
		return LoginFailures{}, nil
	}
	if until > 0 {
		out.Until = fromMicro(until)
	}
	return out, classify("store.LoginFailures", err)
}

// AddLoginFailure counts one more failure on account and returns the new
// count. The count is atomic across servers.
func (tx *lockoutRows) AddLoginFailure(ctx context.Context, account []byte, now time.Time) (int, error) {
	var n int
	err := tx.queryRow(ctx, `INSERT INTO login_failures (account, failures, until_at, last_at) VALUES (?, 1, 0, ?)
		ON CONFLICT (account) DO UPDATE SET failures = login_failures.failures + 1, last_at = excluded.last_at
		RETURNING failures`, account, now.UnixMicro()).Scan(&n)
	return n, classify("store.AddLoginFailure", err)
}

// DelayLogin bars attempts on account until the given time.
func (tx *lockoutRows) DelayLogin(ctx context.Context, account []byte, until time.Time) error {
	_, err := tx.exec(ctx, "UPDATE login_failures SET until_at = ? WHERE account = ?", until.UnixMicro(), account)
	return classify("store.DelayLogin", err)
}

// ClearLoginFailures forgets account's failures (a success, a reset).
func (tx *lockoutRows) ClearLoginFailures(ctx context.Context, account []byte) error {
	_, err := tx.exec(ctx, "DELETE FROM login_failures WHERE account = ?", account)
	return classify("store.ClearLoginFailures", err)
}

// ForgetLoginFailures deletes runs of failures whose last attempt was
// before before and that bar nothing any more.
func (db *DB) ForgetLoginFailures(ctx context.Context, before, now time.Time) error {
	_, err := db.write.ExecContext(ctx, db.q("DELETE FROM login_failures WHERE last_at < ? AND until_at < ?"), before.UnixMicro(), now.UnixMicro())
	return classify("store.ForgetLoginFailures", err)
}

// lockoutRows are the rows of failed-login counters, one part of a Tx.
type lockoutRows struct{ *conn }
