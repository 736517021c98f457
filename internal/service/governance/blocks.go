package governance

import (
	"context"
	"net/netip"
	"time"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service/core"
	"strongroom.dev/strongroom/internal/store"
)

// Block is a network whose requests the server refuses until Until.
type Block struct {
	Network   string    `json:"network"`
	Until     time.Time `json:"until"`
	Reason    string    `json:"reason"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
}

// How long a block may last.
const (
	MinBlock = time.Minute
	MaxBlock = 30 * 24 * time.Hour
)

// ParseNetwork reads a network to block: a CIDR prefix, or an address (its
// own /32 or /128). It refuses prefixes wider than /8 (IPv4) or /32
// (IPv6), which would shut out much of the world.
func ParseNetwork(s string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		a, aerr := netip.ParseAddr(s)
		if aerr != nil {
			return netip.Prefix{}, errs.InvalidField("network", "give an address or a CIDR prefix, like 203.0.113.0/24")
		}
		a = a.Unmap()
		p = netip.PrefixFrom(a, a.BitLen())
	}
	p = p.Masked()
	if (p.Addr().Is4() && p.Bits() < 8) || (!p.Addr().Is4() && p.Bits() < 32) {
		return netip.Prefix{}, errs.InvalidField("network", "a block may not be wider than a /8 (IPv4) or a /32 (IPv6)")
	}
	return p, nil
}

// BlockNetwork refuses requests from a network for d (administrators, or
// the system as a detector's response). Audited with the reason.
func (s *Roles) BlockNetwork(ctx context.Context, a authz.Actor, network string, d time.Duration, reason string) (Block, error) {
	if err := core.May(a, authz.ActionUpdate, authz.ObjectUser, "you may not block networks"); err != nil {
		return Block{}, err
	}
	p, err := ParseNetwork(network)
	if err != nil {
		return Block{}, err
	}
	if d < MinBlock || d > MaxBlock {
		return Block{}, errs.InvalidField("duration", "a block lasts from a minute to 30 days")
	}
	if a.IP != "" {
		if ip, err := netip.ParseAddr(a.IP); err == nil && p.Contains(ip.Unmap()) {
			return Block{}, errs.InvalidField("network", "this would block your own address")
		}
	}
	if len(reason) > 500 {
		return Block{}, errs.InvalidField("reason", "at most 500 characters")
	}
	now := s.c.Now()
	b := store.BlockRow{Network: p.String(), Until: now.Add(d), Reason: reason, CreatedBy: a.UserID, CreatedAt: now}
	err = core.Change(ctx, s.c, blockStoreOf, func(tx blockStore) error {
		if err := tx.BlockNetwork(ctx, b); err != nil {
			return err
		}
		return s.c.Record(ctx, tx, a, "network.block", "network", b.Network, nil, audit.Success, "until "+b.Until.UTC().Format(time.RFC3339)+": "+reason)
	})
	return blockOf(b), err
}

// UnblockNetwork lifts a block (administrators). Audited.
func (s *Roles) UnblockNetwork(ctx context.Context, a authz.Actor, network string) error {
	if err := core.May(a, authz.ActionUpdate, authz.ObjectUser, "you may not unblock networks"); err != nil {
		return err
	}
	p, err := ParseNetwork(network)
	if err != nil {
		return err
	}
	return core.Change(ctx, s.c, blockStoreOf, func(tx blockStore) error {
		if err := tx.UnblockNetwork(ctx, p.String()); err != nil {
			return core.NotFound(err, "block")
		}
		return s.c.Record(ctx, tx, a, "network.unblock", "network", p.String(), nil, audit.Success, "")
	})
}

// Blocks lists the blocks in force, for those who may read the audit log.
func (s *Roles) Blocks(ctx context.Context, a authz.Actor) ([]Block, error) {
	if err := core.May(a, authz.ActionRead, authz.ObjectAudit, "you may not see blocked networks"); err != nil {
		return nil, err
	}
	var out []Block
	err := core.Look(ctx, s.c, blockStoreOf, func(tx blockStore) error {
		rows, err := tx.Blocks(ctx, s.c.Now())
		for _, r := range rows {
			out = append(out, blockOf(r))
		}
		return err
	})
	return out, err
}

// ActiveBlocks is what the server refuses now: the blocks in force, as
// prefixes with their ends. It needs no actor: the server asks.
func (s *Roles) ActiveBlocks(ctx context.Context) (map[netip.Prefix]time.Time, error) {
	rows, err := s.c.DB.ActiveBlocks(ctx, s.c.Now())
	if err != nil {
		return nil, err
	}
	out := make(map[netip.Prefix]time.Time, len(rows))
	for _, r := range rows {
		if p, err := netip.ParsePrefix(r.Network); err == nil {
			out[p] = r.Until
		}
	}
	return out, nil
}

func blockOf(r store.BlockRow) Block {
	return Block{Network: r.Network, Until: r.Until, Reason: r.Reason, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt}
}

// blockStore is what the methods in blocks.go read and write.
type blockStore interface {
	audit.Appender
	BlockNetwork(ctx context.Context, b store.BlockRow) error
	UnblockNetwork(ctx context.Context, network string) error
	Blocks(ctx context.Context, now time.Time) ([]store.BlockRow, error)
}

// blockStoreOf is the compiler's check that the store has every method of blockStore.
func blockStoreOf(tx *store.Tx) blockStore { return tx }
