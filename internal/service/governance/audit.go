package governance

import (
	"context"
	"strings"
	"time"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/checkpoint"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service/core"
	"strongroom.dev/strongroom/internal/store"
)

// AuditQuery filters and pages the audit log.
type AuditQuery struct {
	ActorID    string
	ObjectType string
	ObjectID   string
	Since      time.Time
	Until      time.Time
	AfterSeq   int64
	Limit      int // 1..1000, default 100
}

// AuditPage is one page of events; NextAfter continues it (0 on the last).
type AuditPage struct {
	Events    []audit.Event
	NextAfter int64
}

// Events returns audit events for roles allowed to read the log. Reading
// the log is itself audited.
func (s *AuditLog) Events(ctx context.Context, a authz.Actor, q AuditQuery) (AuditPage, error) {
	if err := core.May(a, authz.ActionRead, authz.ObjectAudit, "you may not read the audit log"); err != nil {
		return AuditPage{}, err
	}
	switch {
	case q.Limit == 0:
		q.Limit = 100
	case q.Limit < 0 || q.Limit > 1000:
		return AuditPage{}, errs.InvalidField("limit", "limit must be between 1 and 1000")
	}
	if q.AfterSeq < 0 {
		return AuditPage{}, errs.InvalidField("after", "after must not be negative")
	}
	for _, f := range []struct{ name, v string }{{"actor", q.ActorID}, {"object_type", q.ObjectType}, {"object_id", q.ObjectID}} {
		if _, err := crm.Label(f.name, f.v, 200); err != nil {
			return AuditPage{}, err
		}
	}
	var page AuditPage
	err := core.Change(ctx, s.c, auditStoreOf, func(tx auditStore) error {
		events, err := tx.ListAudit(ctx, store.AuditFilter{
			ActorID: q.ActorID, ObjectType: q.ObjectType, ObjectID: q.ObjectID,
			Since: q.Since, Until: q.Until, AfterSeq: q.AfterSeq, Limit: q.Limit + 1,
		})
		if err != nil {
			return err
		}
		if len(events) > q.Limit {
			events = events[:q.Limit]
			page.NextAfter = events[q.Limit-1].Seq
		}
		page.Events = events
		return s.c.Record(ctx, tx, a, "audit.read", "audit", "", nil, audit.Success, "")
	})
	if err != nil {
		return AuditPage{}, err
	}
	return page, nil
}

// Verify checks the whole chain. It returns how many events are good and
// the first problem, if any; an error means the log could not be read.
func (s *AuditLog) Verify(ctx context.Context) (int64, *audit.Problem, error) {
	return VerifyAudit(ctx, s.c.DB)
}

// VerifyAudit checks db's audit log without needing the master key: the
// chain and its head, the index of subjects (so that no subject's reads
// were hidden from a search by its id), and that the checkpoints in the
// database state the tree of the events as they are
// (checkpoint.Verify, which also checks signatures and witnesses).
func VerifyAudit(ctx context.Context, db *store.DB) (int64, *audit.Problem, error) {
	rep, problem, err := checkpoint.Verify(ctx, db, "", nil)
	return rep.Events, problem, err
}

// auditStore is what the methods in audit.go read and write.
type auditStore interface {
	audit.Appender
	ListAudit(ctx context.Context, f store.AuditFilter) ([]audit.Event, error)
}

// auditStoreOf is the compiler's check that the store has every method of auditStore.
func auditStoreOf(tx *store.Tx) auditStore { return tx }

// RecordKeyExport records that the master key was exported, wrapped for
// age recipients (strongroom keys export, as the system). The export is
// handed out only once this is recorded.
func (s *AuditLog) RecordKeyExport(ctx context.Context, a authz.Actor, recipients []string) error {
	if err := core.May(a, authz.ActionUpdate, authz.ObjectUser, "you may not export the master key"); err != nil {
		return err
	}
	return core.Change(ctx, s.c, auditStoreOf, func(tx auditStore) error {
		return s.c.Record(ctx, tx, a, "keys.export", "keyring", "", nil, audit.Success, "wrapped for age recipients "+strings.Join(recipients, ", "))
	})
}
