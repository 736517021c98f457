package store

import (
	"context"
	"database/sql"
	"iter"
	"strings"
	"time"

	"strongroom.dev/strongroom/internal/audit"
)

var _ audit.Appender = (*Tx)(nil)

// AuditHead reads the chain head. On PostgreSQL it locks the head row until
// the transaction ends, so concurrent servers append one after another; on
// SQLite the write transaction already holds the database's write lock.
const (
	auditHeadQuery       = "SELECT seq, hash FROM audit_head WHERE id = 1"
	updateAuditHeadQuery = "UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1"
	auditBatch           = 50
	auditCols            = 16
)

func insertAuditQuery(rows int) string {
	row := "(" + placeholders(auditCols) + ")"
	return "INSERT INTO audit_events (seq, at, actor_id, session_id, ip, action, object_type, object_id, fields, outcome, reason, subjects, client_id, device_id, prev_hash, hash) VALUES " +
		strings.TrimSuffix(strings.Repeat(row+", ", rows), ", ")
}

func (tx *auditRows) AuditHead(ctx context.Context) (audit.Head, error) {
	q := auditHeadQuery
	if tx.db.engine == Postgres {
		q += " FOR UPDATE"
	}
	var h audit.Head
	err := tx.queryRow(ctx, q).Scan(&h.Seq, &h.Hash)
	if len(h.Hash) == 0 {
		h.Hash = nil
	}
	return h, classify("store.AuditHead", err)
}

// InsertAuditEvents appends chained events and moves the head.
func (tx *auditRows) InsertAuditEvents(ctx context.Context, events []audit.Event, head audit.Head) error {
	// On SQLite, where a statement costs no round trip, each event goes in
	// by the one-row insert prepared at open: parsing a statement for every
	// batch size costs more than the rows it saves (BenchmarkAuditAppend).
	per := auditBatch
	if tx.db.engine == SQLite {
		per = 1
	}
	for start := 0; start < len(events); start += per {
		batch := events[start:min(start+per, len(events))]
		args := make([]any, 0, auditCols*len(batch))
		for _, e := range batch {
			prev := e.PrevHash
			if prev == nil {
				prev = []byte{}
			}
			args = append(args, e.Seq, e.At.UnixMicro(), e.ActorID, e.SessionID, e.IP, e.Action, e.ObjectType, e.ObjectID,
				strings.Join(e.Fields, ","), e.Outcome, e.Reason, strings.Join(e.Subjects, ","), e.ClientID, e.DeviceID, prev, e.Hash)
		}
		if _, err := tx.exec(ctx, insertAuditQuery(len(batch)), args...); err != nil {
			return classify("store.InsertAuditEvents", err)
		}
	}
	if err := tx.insertAuditSubjects(ctx, events); err != nil {
		return err
	}
	return tx.updateOne(ctx, "store.InsertAuditEvents", updateAuditHeadQuery, head.Seq, head.Hash)
}

// insertAuditSubjects indexes each subject of events that record several.
//
// On SQLite the rows go in as INSERT OR FAIL (a failure rolls the whole
// transaction back anyway), by a statement of subjectChunk rows prepared
// at open: a page of customers is one execution. The table's foreign key
// still makes SQLite journal every page the statement changes, in case it
// fails halfway, and spill that journal to a temporary file past 64 KiB.
// Keeping it in memory (temp_store) was tried: lists gained about a sixth,
// but imports, whose chunks journal far more, took a quarter longer at
// 100,000 rows and more than twice as long at 1,000,000
// (docs/PERFORMANCE.md), so it is not done.
func (tx *auditRows) insertAuditSubjects(ctx context.Context, events []audit.Event) error {
	per := 4500 // rows a statement on PostgreSQL
	if tx.db.engine == SQLite {
		per = subjectChunk
	}
	args := make([]any, 0, 2*per)
	flush := func() error {
		if len(args) == 0 {
			return nil
		}
		_, err := tx.exec(ctx, insertAuditSubjectsQuery(tx.bulkInsert(), len(args)/2), args...)
		args = args[:0]
		return classify("store.InsertAuditEvents", err)
	}
	for _, e := range events {
		for _, id := range e.Subjects {
			args = append(args, id, e.Seq)
			if len(args) == 2*per {
				if err := flush(); err != nil {
					return err
				}
			}
		}
	}
	return flush()
}

// subjectChunk is how many subject rows one prepared insert stores on
// SQLite: a page of customers.
const subjectChunk = 50

func insertAuditSubjectsQuery(insert string, rows int) string {
	return insert + " audit_subjects (subject_id, seq) VALUES " + strings.TrimSuffix(strings.Repeat("(?, ?), ", rows), ", ")
}

// AuditFilter selects audit events. Zero fields do not filter.
type AuditFilter struct {
	ActorID    string
	ObjectType string
	ObjectID   string
	// ObjectIDs: events about any of these records (as object or among
	// the subjects); ObjectID and ObjectIDs may not both be set.
	ObjectIDs []string
	Action    string
	Outcome   string
	Since     time.Time // inclusive
	Until     time.Time // exclusive
	AfterSeq  int64     // only events with a seq above it
	BeforeSeq int64     // only events with a seq below it (0: no bound)
	Newest    bool      // newest first (default: oldest first)
	Limit     int
}

const auditColumns = "seq, at, actor_id, session_id, ip, action, object_type, object_id, fields, outcome, reason, subjects, client_id, device_id, prev_hash, hash"

func scanAudit(row interface{ Scan(...any) error }) (audit.Event, error) {
	var d auditDest
	err := row.Scan(d.targets()...)
	return d.event(), err
}

// auditDest scans the auditColumns of one event.
type auditDest struct {
	e                audit.Event
	at               int64
	fields, subjects string
}

func (d *auditDest) targets() []any {
	e := &d.e
	return []any{&e.Seq, &d.at, &e.ActorID, &e.SessionID, &e.IP, &e.Action, &e.ObjectType, &e.ObjectID, &d.fields, &e.Outcome, &e.Reason, &d.subjects, &e.ClientID, &e.DeviceID, &e.PrevHash, &e.Hash}
}

func (d *auditDest) event() audit.Event {
	e := d.e
	e.At = fromMicro(d.at)
	if d.fields != "" {
		e.Fields = strings.Split(d.fields, ",")
	}
	if d.subjects != "" {
		e.Subjects = strings.Split(d.subjects, ",")
	}
	if len(e.PrevHash) == 0 {
		e.PrevHash = nil
	}
	return e
}

// prefixed puts prefix before each of the comma-separated columns.
func prefixed(prefix, columns string) string {
	parts := strings.Split(columns, ", ")
	for i, c := range parts {
		parts[i] = prefix + c
	}
	return strings.Join(parts, ", ")
}

// ListAudit returns events matching f in seq order (descending when
// f.Newest).
func (tx *auditRows) ListAudit(ctx context.Context, f AuditFilter) ([]audit.Event, error) {
	q, args := listAuditQuery(f)
	rows, err := tx.query(ctx, q, args...)
	if err != nil {
		return nil, classify("store.ListAudit", err)
	}
	defer rows.Close()
	var out []audit.Event
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return nil, classify("store.ListAudit", err)
		}
		out = append(out, e)
	}
	return out, classify("store.ListAudit", rows.Err())
}

// listAuditQuery is ListAudit's SQL: every condition an indexed column,
// the order and the page on seq (keyset, never OFFSET).
func listAuditQuery(f AuditFilter) (string, []any) {
	where := []string{"seq > ?"}
	args := []any{f.AfterSeq}
	add := func(cond string, v any) { where, args = append(where, cond), append(args, v) }
	if f.BeforeSeq > 0 {
		add("seq < ?", f.BeforeSeq)
	}
	if f.ActorID != "" {
		add("actor_id = ?", f.ActorID)
	}
	if f.ObjectType != "" {
		add("object_type = ?", f.ObjectType)
	}
	if f.Action != "" {
		add("action = ?", f.Action)
	}
	if f.Outcome != "" {
		add("outcome = ?", f.Outcome)
	}
	ids := f.ObjectIDs
	if f.ObjectID != "" {
		ids = []string{f.ObjectID}
	}
	if len(ids) > 0 {
		cond, vals := in("object_id", ids)
		sub, subVals := in("subject_id", ids)
		where = append(where, "("+cond+" OR seq IN (SELECT seq FROM audit_subjects WHERE "+sub+" AND seq > ?))")
		args = append(append(append(args, vals...), subVals...), f.AfterSeq)
	}
	if !f.Since.IsZero() {
		add("at >= ?", f.Since.UnixMicro())
	}
	if !f.Until.IsZero() {
		add("at < ?", f.Until.UnixMicro())
	}
	order := " ORDER BY seq LIMIT ?"
	if f.Newest {
		order = " ORDER BY seq DESC LIMIT ?"
	}
	return "SELECT " + auditColumns + " FROM audit_events WHERE " + strings.Join(where, " AND ") + order, append(args, f.Limit)
}

// AuditEvent returns the event at seq.
func (tx *auditRows) AuditEvent(ctx context.Context, seq int64) (audit.Event, error) {
	e, err := scanAudit(tx.queryRow(ctx, "SELECT "+auditColumns+" FROM audit_events WHERE seq = ?", seq))
	return e, classify("store.AuditEvent", err)
}

// AuditActions lists the distinct actions in the log, in order: a loose
// index scan over audit_action (one index probe an action, not a read of
// every event), the same SQL on both engines.
func (tx *auditRows) AuditActions(ctx context.Context) ([]string, error) {
	rows, err := tx.query(ctx, auditActionsQuery)
	if err != nil {
		return nil, classify("store.AuditActions", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			return nil, classify("store.AuditActions", err)
		}
		out = append(out, a)
	}
	return out, classify("store.AuditActions", rows.Err())
}

const auditActionsQuery = "WITH RECURSIVE a(action) AS (SELECT MIN(action) FROM audit_events UNION ALL " +
	"SELECT (SELECT MIN(action) FROM audit_events WHERE action > a.action) FROM a WHERE a.action IS NOT NULL) " +
	"SELECT action FROM a WHERE action IS NOT NULL"

// AuditSubjectCount counts the rows of the index of subjects that name
// events up to seq through.
func (db *DB) AuditSubjectCount(ctx context.Context, through int64) (int64, error) {
	var n int64
	err := db.read.QueryRowContext(ctx, db.q("SELECT count(*) FROM audit_subjects WHERE seq <= ?"), through).Scan(&n)
	return n, classify("store.AuditSubjectCount", err)
}

// AuditLog streams the whole log in seq order, with its head, for
// verification. It reads in pages so that a long log is never held whole.
func (db *DB) AuditLog(ctx context.Context) (iter.Seq2[audit.Event, error], audit.Head, error) {
	head, err := db.AuditHead(ctx)
	if err != nil {
		return nil, head, err
	}
	return db.AuditEvents(ctx, -1<<62, 1<<62), head, nil
}

// AuditHead reads the log's head without a lock.
func (db *DB) AuditHead(ctx context.Context) (audit.Head, error) {
	var head audit.Head
	err := db.read.QueryRowContext(ctx, "SELECT seq, hash FROM audit_head WHERE id = 1").Scan(&head.Seq, &head.Hash)
	return head, classify("store.AuditHead", err)
}

// AuditEvents streams the events with after < seq <= upto in seq order,
// a page at a time, on the read pool; several may run at once.
func (db *DB) AuditEvents(ctx context.Context, after, upto int64) iter.Seq2[audit.Event, error] {
	return func(yield func(audit.Event, error) bool) {
		for {
			rows, err := db.read.QueryContext(ctx, db.q("SELECT "+auditColumns+" FROM audit_events WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT 1000"), after, upto)
			if err != nil {
				yield(audit.Event{}, classify("store.AuditEvents", err))
				return
			}
			n := 0
			for rows.Next() {
				e, err := scanAudit(rows)
				if err != nil {
					rows.Close()
					yield(e, classify("store.AuditEvents", err))
					return
				}
				n++
				after = e.Seq
				if !yield(e, nil) {
					rows.Close()
					return
				}
			}
			err = rows.Err()
			rows.Close()
			if err != nil {
				yield(audit.Event{}, classify("store.AuditEvents", err))
				return
			}
			if n < 1000 {
				return
			}
		}
	}
}

// AuditReasonRow is a reason kept beside audit event Seq, sealed under the
// data key of SubjectID. WrappedKey is nil once the subject is erased.
type AuditReasonRow struct {
	Seq        int64
	SubjectID  string
	ReasonCT   []byte
	WrappedKey []byte
	Event      audit.Event
}

// InsertAuditReason keeps the sealed reason of the event at seq.
func (tx *auditRows) InsertAuditReason(ctx context.Context, seq int64, subjectID string, reasonCT []byte) error {
	_, err := tx.exec(ctx, "INSERT INTO audit_reasons (seq, subject_id, reason_ct) VALUES (?, ?, ?)", seq, subjectID, reasonCT)
	return classify("store.InsertAuditReason", err)
}

// AuditReason returns the sealed reason of the event at seq, with the
// event and its subject's wrapped key (nil if the key was destroyed).
func (tx *auditRows) AuditReason(ctx context.Context, seq int64) (AuditReasonRow, error) {
	r := AuditReasonRow{Seq: seq}
	row := tx.queryRow(ctx, "SELECT r.subject_id, r.reason_ct, k.wrapped FROM audit_reasons r LEFT JOIN subject_keys k ON k.subject_id = r.subject_id WHERE r.seq = ?", seq)
	if err := row.Scan(&r.SubjectID, &r.ReasonCT, &r.WrappedKey); err != nil {
		return r, classify("store.AuditReason", err)
	}
	events, err := tx.ListAudit(ctx, AuditFilter{AfterSeq: seq - 1, Limit: 1})
	if err != nil {
		return r, err
	}
	if len(events) != 1 || events[0].Seq != seq {
		return r, classify("store.AuditReason", sql.ErrNoRows)
	}
	r.Event = events[0]
	return r, nil
}

// auditRows are the rows of the audit log and sealed reasons, one part of a Tx.
type auditRows struct{ *conn }

// AuditHasAfter reports whether any event has a seq above seq.
// AuditLastSeq is the largest seq in the log (0 when it is empty).
func (db *DB) AuditLastSeq(ctx context.Context) (int64, error) {
	var n sql.NullInt64
	err := db.read.QueryRowContext(ctx, "SELECT MAX(seq) FROM audit_events").Scan(&n)
	return n.Int64, classify("store.AuditLastSeq", err)
}

func (db *DB) AuditHasAfter(ctx context.Context, seq int64) (bool, error) {
	var n int
	err := db.read.QueryRowContext(ctx, db.q("SELECT count(*) FROM (SELECT 1 FROM audit_events WHERE seq > ? LIMIT 1) x"), seq).Scan(&n)
	return n > 0, classify("store.AuditHasAfter", err)
}

// SessionEvents returns the last n events of one session of a user,
// newest first.
func (tx *auditRows) SessionEvents(ctx context.Context, actorID, sessionID string, n int) ([]audit.Event, error) {
	rows, err := tx.query(ctx, "SELECT "+auditColumns+" FROM audit_events WHERE actor_id = ? AND session_id = ? ORDER BY seq DESC LIMIT ?", actorID, sessionID, n)
	if err != nil {
		return nil, classify("store.SessionEvents", err)
	}
	defer rows.Close()
	var out []audit.Event
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return nil, classify("store.SessionEvents", err)
		}
		out = append(out, e)
	}
	return out, classify("store.SessionEvents", rows.Err())
}
