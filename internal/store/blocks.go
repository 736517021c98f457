package store

import (
	"context"
	"time"
)

// BlockRow is a network whose requests are refused until Until.
type BlockRow struct {
	Network   string // a CIDR prefix
	Until     time.Time
	Reason    string
	CreatedBy string
	CreatedAt time.Time
}

// blockRows are the blocked networks, one part of a Tx.
type blockRows struct{ *conn }

// BlockNetwork blocks a network, or extends an existing block: a block
// never ends sooner because of a later, shorter one (lift it instead).
func (tx *blockRows) BlockNetwork(ctx context.Context, b BlockRow) error {
	_, err := tx.exec(ctx, "INSERT INTO blocked_networks (network, until, reason, created_by, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (network) DO UPDATE SET until = CASE WHEN excluded.until > blocked_networks.until THEN excluded.until ELSE blocked_networks.until END, reason = excluded.reason, created_by = excluded.created_by, created_at = excluded.created_at",
		b.Network, b.Until.UnixMicro(), b.Reason, b.CreatedBy, b.CreatedAt.UnixMicro())
	return classify("store.BlockNetwork", err)
}

// UnblockNetwork lifts a block.
func (tx *blockRows) UnblockNetwork(ctx context.Context, network string) error {
	return tx.updateOne(ctx, "store.UnblockNetwork", "DELETE FROM blocked_networks WHERE network = ?", network)
}

// Blocks returns the blocks in force at now.
func (tx *blockRows) Blocks(ctx context.Context, now time.Time) ([]BlockRow, error) {
	return scanBlocks(tx.query(ctx, "SELECT network, until, reason, created_by, created_at FROM blocked_networks WHERE until > ? ORDER BY network", now.UnixMicro()))
}

// ActiveBlocks is Blocks outside a transaction, on the read pool, for the
// server's refreshes of what it refuses.
func (db *DB) ActiveBlocks(ctx context.Context, now time.Time) ([]BlockRow, error) {
	return scanBlocks(db.readQuery(ctx, "SELECT network, until, reason, created_by, created_at FROM blocked_networks WHERE until > ? ORDER BY network", now.UnixMicro()))
}

func scanBlocks(rows interface {
	Next() bool
	Scan(...any) error
	Err() error
	Close() error
}, err error) ([]BlockRow, error) {
	if err != nil {
		return nil, classify("store.Blocks", err)
	}
	defer rows.Close()
	var out []BlockRow
	for rows.Next() {
		var b BlockRow
		var until, created int64
		if err := rows.Scan(&b.Network, &until, &b.Reason, &b.CreatedBy, &created); err != nil {
			return nil, classify("store.Blocks", err)
		}
		b.Until, b.CreatedAt = fromMicro(until), fromMicro(created)
		out = append(out, b)
	}
	return out, classify("store.Blocks", rows.Err())
}
