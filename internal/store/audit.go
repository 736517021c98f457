package store

import (
	"cmp"
	"context"
	"database/sql"
	"iter"
	"slices"
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
	return tx.updateOne(ctx, "store.InsertAuditEvents", updateAuditHeadQuery, head.Seq, head.Hash)
}

// IndexAuditSubjects fills the index of subjects (audit_subjects) from
// the events after its mark, in one transaction: the subject rows of up
// to maxRows (whole events; fewer if they name many different subjects,
// subjectsAfter), sorted by subject, so that each page of the index is
// written once a batch rather than once an event. It returns how many
// seqs the mark is still behind the head (0: the index is up to date).
// Queries read the events after the mark directly (listAuditQuery), so an
// event is found by its subjects from the moment it is appended.
// Concurrent indexers (two servers on PostgreSQL) take turns on the
// mark's row.
func (db *DB) IndexAuditSubjects(ctx context.Context, maxRows int) (int64, error) {
	// Most calls find nothing to do: ask the reader pool first, without
	// taking the writer.
	indexed, err := db.AuditSubjectsIndexed(ctx)
	if err != nil {
		return 0, err
	}
	if h, err := db.AuditHead(ctx); err != nil || h.Seq <= indexed {
		return 0, err
	}
	var behind int64
	err = db.WithTx(ctx, func(tx *Tx) error {
		// A database whose log was empty when migration 0064 ran has no
		// mark yet: nothing in it is indexed.
		if _, err := tx.exec(ctx, "INSERT INTO audit_subjects_indexed (id, through) VALUES (1, 0) ON CONFLICT (id) DO NOTHING"); err != nil {
			return classify("store.IndexAuditSubjects", err)
		}
		q := "SELECT through FROM audit_subjects_indexed WHERE id = 1"
		if db.engine == Postgres {
			q += " FOR UPDATE"
		}
		var through, head int64
		if err := tx.queryRow(ctx, q).Scan(&through); err != nil {
			return classify("store.IndexAuditSubjects", err)
		}
		// Every event up to the committed head is committed (the head moves
		// in the events' own transaction).
		if err := tx.queryRow(ctx, auditHeadQuery).Scan(&head, new([]byte)); err != nil {
			return classify("store.IndexAuditSubjects", err)
		}
		if head <= through {
			return nil
		}
		pairs, upto, err := tx.subjectsAfter(ctx, through, head, maxRows)
		if err != nil {
			return err
		}
		slices.SortFunc(pairs, func(a, b subjectRow) int {
			if c := strings.Compare(a.id, b.id); c != 0 {
				return c
			}
			return cmp.Compare(a.seq, b.seq)
		})
		if err := tx.insertAuditSubjects(ctx, pairs); err != nil {
			return err
		}
		behind = head - upto
		return tx.updateOne(ctx, "store.IndexAuditSubjects", "UPDATE audit_subjects_indexed SET through = ? WHERE id = 1", upto)
	})
	return behind, err
}

type subjectRow struct {
	id  string
	seq int64
}

// subjectsAfter reads the subjects named by the events after through, up
// to head, stopping after the event that brings them to maxRows, or to
// maxRows/4 different subjects (each may be a page of the index to write:
// pages of a list of the same customers share pages, pages of different
// customers do not); upto is the last seq they cover.
func (tx *auditRows) subjectsAfter(ctx context.Context, through, head int64, maxRows int) ([]subjectRow, int64, error) {
	rows, err := tx.query(ctx, "SELECT seq, subjects FROM audit_events WHERE seq > ? AND seq <= ? AND subjects <> '' ORDER BY seq", through, head)
	if err != nil {
		return nil, 0, classify("store.IndexAuditSubjects", err)
	}
	defer rows.Close()
	var pairs []subjectRow
	distinct := map[string]bool{}
	upto := head
	for rows.Next() {
		var seq int64
		var subjects string
		if err := rows.Scan(&seq, &subjects); err != nil {
			return nil, 0, classify("store.IndexAuditSubjects", err)
		}
		for id := range strings.SplitSeq(subjects, ",") {
			pairs = append(pairs, subjectRow{id, seq})
			distinct[id] = true
		}
		if len(pairs) >= maxRows || len(distinct) >= maxRows/4 {
			upto = seq
			break
		}
	}
	return pairs, upto, classify("store.IndexAuditSubjects", rows.Err())
}

// insertAuditSubjects stores index rows, subjectChunk a statement on
// SQLite (a statement prepared at open) and 4,500 on PostgreSQL. The
// table's foreign key makes SQLite keep a statement journal even under
// INSERT OR FAIL; sorted rows keep it to the few pages each statement
// changes.
func (tx *auditRows) insertAuditSubjects(ctx context.Context, pairs []subjectRow) error {
	per := 4500
	if tx.db.engine == SQLite {
		per = subjectChunk
	}
	args := make([]any, 0, 2*per)
	for start := 0; start < len(pairs); start += per {
		args = args[:0]
		for _, p := range pairs[start:min(start+per, len(pairs))] {
			args = append(args, p.id, p.seq)
		}
		if _, err := tx.exec(ctx, insertAuditSubjectsQuery(tx.bulkInsert(), len(args)/2), args...); err != nil {
			return classify("store.IndexAuditSubjects", err)
		}
	}
	return nil
}

// subjectChunk is how many subject rows one prepared insert stores on
// SQLite: BenchmarkIndexAuditSubjects was fastest at 50 of 1, 10, 50 and
// 250 (docs/PERFORMANCE.md).
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
	q, args := listAuditQuery(tx.db.engine, f)
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
// the order and the page on seq (keyset, never OFFSET). Events about
// records are found by their object, by the index of subjects, and among
// the few events after the index's mark by the subjects they name.
func listAuditQuery(engine Engine, f AuditFilter) (string, []any) {
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
		named, namedVals := namesAny(engine, ids)
		where = append(where, "("+cond+" OR seq IN (SELECT seq FROM audit_subjects WHERE "+sub+" AND seq > ?)"+
			" OR seq IN (SELECT seq FROM audit_events WHERE seq > "+indexedThrough+" AND ("+named+")))")
		args = append(append(append(append(args, vals...), subVals...), f.AfterSeq), namedVals...)
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

// indexedThrough is the SQL for the index of subjects' mark (0 before
// it has one).
const indexedThrough = "COALESCE((SELECT through FROM audit_subjects_indexed WHERE id = 1), 0)"

// namesAny is the SQL condition that an event's subjects column names any
// of ids, and its arguments.
func namesAny(engine Engine, ids []string) (string, []any) {
	find := "instr"
	if engine == Postgres {
		find = "strpos"
	}
	conds := make([]string, len(ids))
	args := make([]any, len(ids))
	for i, id := range ids {
		conds[i] = find + "(',' || subjects || ',', ?) > 0"
		args[i] = "," + id + ","
	}
	return strings.Join(conds, " OR "), args
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

// AuditSubjectsIndexed is the last seq whose subjects the index of
// subjects holds (IndexAuditSubjects).
func (db *DB) AuditSubjectsIndexed(ctx context.Context) (int64, error) {
	var n int64
	err := db.read.QueryRowContext(ctx, "SELECT "+indexedThrough).Scan(&n)
	return n, classify("store.AuditSubjectsIndexed", err)
}

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
