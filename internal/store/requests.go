package store

import (
	"context"
	"database/sql"
	"time"

	"strongroom.dev/strongroom/internal/audit"
)

// RequestRow is one data-subject request.
type RequestRow struct {
	ID         string
	CustomerID string // "" once the customer is erased
	Kind       string
	Law        string
	Status     string
	Channel    string
	ReceivedAt time.Time
	DueAt      time.Time
	Assignee   string
	CreatedBy  string
	ClosedAt   time.Time
	Outcome    string
	DetailsCT  []byte
	// The workflow: when it was assigned; the approval asked ('' none,
	// "requested", "approved") for which step ("erasure", "completion",
	// "rejection"), by whom and who gave it; who closed it; when its
	// deadline reminder was raised.
	AssignedAt  time.Time
	Approval    string
	ApprovalFor string
	RequestedBy string
	ApprovedBy  string
	ApprovedAt  time.Time
	ClosedBy    string
	RemindedAt  time.Time
}

// HoldRow is a legal hold on a customer's data.
type HoldRow struct {
	ID         string
	CustomerID string
	Scope      string
	Reason     string
	Until      time.Time
	CreatedBy  string
	CreatedAt  time.Time
}

// requestRows are the data-subject requests and legal holds, one part of a Tx.
type requestRows struct{ *conn }

const requestColumns = "id, customer_id, kind, law, status, channel, received_at, due_at, assignee, created_by, closed_at, outcome, details_ct, " +
	"assigned_at, approval, approval_for, requested_by, approved_by, approved_at, closed_by, reminded_at"

// InsertRequest records a request.
func (tx *requestRows) InsertRequest(ctx context.Context, r RequestRow) error {
	_, err := tx.exec(ctx, "INSERT INTO privacy_requests (id, customer_id, kind, law, status, channel, received_at, due_at, assignee, created_by, details_ct) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		r.ID, nullString(r.CustomerID), r.Kind, r.Law, r.Status, r.Channel, r.ReceivedAt.UnixMicro(), r.DueAt.UnixMicro(), r.Assignee, r.CreatedBy, r.DetailsCT)
	return classify("store.InsertRequest", err)
}

func scanRequest(row interface{ Scan(...any) error }) (RequestRow, error) {
	var r RequestRow
	var customer sql.NullString
	var received, due, closed, assigned, approved, reminded int64
	err := row.Scan(&r.ID, &customer, &r.Kind, &r.Law, &r.Status, &r.Channel, &received, &due, &r.Assignee, &r.CreatedBy, &closed, &r.Outcome, &r.DetailsCT,
		&assigned, &r.Approval, &r.ApprovalFor, &r.RequestedBy, &r.ApprovedBy, &approved, &r.ClosedBy, &reminded)
	r.CustomerID, r.ReceivedAt, r.DueAt = customer.String, fromMicro(received), fromMicro(due)
	r.ClosedAt, r.AssignedAt, r.ApprovedAt, r.RemindedAt = zeroMicro(closed), zeroMicro(assigned), zeroMicro(approved), zeroMicro(reminded)
	return r, err
}

// RequestByID returns one request.
func (tx *requestRows) RequestByID(ctx context.Context, id string) (RequestRow, error) {
	r, err := scanRequest(tx.queryRow(ctx, "SELECT "+requestColumns+" FROM privacy_requests WHERE id = ?", id))
	return r, classify("store.RequestByID", err)
}

// Requests lists requests, open ones (status open or in_progress) by due
// date when open is set, else every one newest first; at most limit.
func (tx *requestRows) Requests(ctx context.Context, open bool, limit int) ([]RequestRow, error) {
	q := "SELECT " + requestColumns + " FROM privacy_requests ORDER BY received_at DESC, id DESC LIMIT ?"
	if open {
		q = "SELECT " + requestColumns + " FROM privacy_requests WHERE status IN ('open', 'in_progress') ORDER BY due_at, id LIMIT ?"
	}
	rows, err := tx.query(ctx, q, limit)
	if err != nil {
		return nil, classify("store.Requests", err)
	}
	defer rows.Close()
	var out []RequestRow
	for rows.Next() {
		r, err := scanRequest(rows)
		if err != nil {
			return nil, classify("store.Requests", err)
		}
		out = append(out, r)
	}
	return out, classify("store.Requests", rows.Err())
}

// zeroMicro is the time of Unix microseconds, zero for 0.
func zeroMicro(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return fromMicro(us)
}

// UpdateRequest sets a request's status, assignee, outcome, approval and
// closing (what its workflow moves; the reminder has its own method).
func (tx *requestRows) UpdateRequest(ctx context.Context, r RequestRow) error {
	return tx.updateOne(ctx, "store.UpdateRequest", `UPDATE privacy_requests SET status = ?, assignee = ?, outcome = ?, closed_at = ?,
		assigned_at = ?, approval = ?, approval_for = ?, requested_by = ?, approved_by = ?, approved_at = ?, closed_by = ? WHERE id = ?`,
		r.Status, r.Assignee, r.Outcome, micro(r.ClosedAt), micro(r.AssignedAt), r.Approval, r.ApprovalFor, r.RequestedBy, r.ApprovedBy, micro(r.ApprovedAt), r.ClosedBy, r.ID)
}

// RequestsDue lists the open requests due before (overdue ones
// included) whose reminder has not been raised, by due date.
func (tx *requestRows) RequestsDue(ctx context.Context, before time.Time) ([]RequestRow, error) {
	rows, err := tx.query(ctx, "SELECT "+requestColumns+" FROM privacy_requests WHERE status IN ('open', 'in_progress') AND due_at < ? AND reminded_at = 0 ORDER BY due_at, id LIMIT 1000", before.UnixMicro())
	if err != nil {
		return nil, classify("store.RequestsDue", err)
	}
	defer rows.Close()
	var out []RequestRow
	for rows.Next() {
		r, err := scanRequest(rows)
		if err != nil {
			return nil, classify("store.RequestsDue", err)
		}
		out = append(out, r)
	}
	return out, classify("store.RequestsDue", rows.Err())
}

// SetRequestReminded notes that a request's reminder was raised at, if no
// one has yet (compare and set: NotExist when another did first).
func (tx *requestRows) SetRequestReminded(ctx context.Context, id string, at time.Time) error {
	return tx.updateOne(ctx, "store.SetRequestReminded", "UPDATE privacy_requests SET reminded_at = ? WHERE id = ? AND reminded_at = 0", at.UnixMicro(), id)
}

// RequestApprovalSteps lists the steps that need a second handler's
// approval: "rejection", or a request kind.
func (tx *requestRows) RequestApprovalSteps(ctx context.Context) ([]string, error) {
	rows, err := tx.query(ctx, "SELECT step FROM request_approval_steps ORDER BY step")
	if err != nil {
		return nil, classify("store.RequestApprovalSteps", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, classify("store.RequestApprovalSteps", err)
		}
		out = append(out, s)
	}
	return out, classify("store.RequestApprovalSteps", rows.Err())
}

// SetRequestApprovalSteps replaces the steps that need approval.
func (tx *requestRows) SetRequestApprovalSteps(ctx context.Context, steps []string) error {
	if _, err := tx.exec(ctx, "DELETE FROM request_approval_steps"); err != nil {
		return classify("store.SetRequestApprovalSteps", err)
	}
	for _, s := range steps {
		if _, err := tx.exec(ctx, "INSERT INTO request_approval_steps (step) VALUES (?)", s); err != nil {
			return classify("store.SetRequestApprovalSteps", err)
		}
	}
	return nil
}

// RequestTimeline lists the audit events of a request: those on the
// request itself, and those on its customer (when it still has one) whose
// reason names the request's id; in order, at most 500.
func (tx *requestRows) RequestTimeline(ctx context.Context, id, customerID string) ([]audit.Event, error) {
	q := "SELECT " + auditColumns + " FROM audit_events WHERE (object_type = 'request' AND object_id = ?)"
	args := []any{id}
	if customerID != "" {
		q += " OR (object_type = 'customer' AND object_id = ? AND reason LIKE ?)"
		args = append(args, customerID, "%"+id+"%")
	}
	rows, err := tx.query(ctx, q+" ORDER BY seq LIMIT 500", args...)
	if err != nil {
		return nil, classify("store.RequestTimeline", err)
	}
	defer rows.Close()
	var out []audit.Event
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return nil, classify("store.RequestTimeline", err)
		}
		out = append(out, e)
	}
	return out, classify("store.RequestTimeline", rows.Err())
}

// InsertHold places a legal hold.
func (tx *requestRows) InsertHold(ctx context.Context, h HoldRow) error {
	_, err := tx.exec(ctx, "INSERT INTO legal_holds (id, customer_id, scope, reason, until_at, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
		h.ID, h.CustomerID, h.Scope, h.Reason, h.Until.UnixMicro(), h.CreatedBy, h.CreatedAt.UnixMicro())
	return classify("store.InsertHold", err)
}

// Holds lists the holds on a customer that stand at now.
func (tx *requestRows) Holds(ctx context.Context, customerID string, now time.Time) ([]HoldRow, error) {
	rows, err := tx.query(ctx, "SELECT id, customer_id, scope, reason, until_at, created_by, created_at FROM legal_holds WHERE customer_id = ? AND until_at > ? ORDER BY until_at", customerID, now.UnixMicro())
	if err != nil {
		return nil, classify("store.Holds", err)
	}
	defer rows.Close()
	var out []HoldRow
	for rows.Next() {
		var h HoldRow
		var until, created int64
		if err := rows.Scan(&h.ID, &h.CustomerID, &h.Scope, &h.Reason, &until, &h.CreatedBy, &created); err != nil {
			return nil, classify("store.Holds", err)
		}
		h.Until, h.CreatedAt = fromMicro(until), fromMicro(created)
		out = append(out, h)
	}
	return out, classify("store.Holds", rows.Err())
}

// RequestLinkRow is a public request waiting for its emailed link.
type RequestLinkRow struct {
	TokenHash  []byte
	CustomerID string
	Kind       string
	Law        string
	DetailsCT  []byte
	CreatedAt  time.Time
	ExpiresAt  time.Time
	Used       bool
}

// InsertRequestLink stores a public request's link.
func (tx *requestRows) InsertRequestLink(ctx context.Context, l RequestLinkRow) error {
	_, err := tx.exec(ctx, "INSERT INTO request_links (token_hash, customer_id, kind, law, details_ct, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
		l.TokenHash, l.CustomerID, l.Kind, l.Law, l.DetailsCT, l.CreatedAt.UnixMicro(), l.ExpiresAt.UnixMicro())
	return classify("store.InsertRequestLink", err)
}

// RequestLinkByHash finds a public request's link by its token's hash.
func (tx *requestRows) RequestLinkByHash(ctx context.Context, hash []byte) (RequestLinkRow, error) {
	l := RequestLinkRow{TokenHash: hash}
	var created, expires, used int64
	err := tx.queryRow(ctx, "SELECT customer_id, kind, law, details_ct, created_at, expires_at, used_at FROM request_links WHERE token_hash = ?", hash).
		Scan(&l.CustomerID, &l.Kind, &l.Law, &l.DetailsCT, &created, &expires, &used)
	l.CreatedAt, l.ExpiresAt, l.Used = fromMicro(created), fromMicro(expires), used != 0
	return l, classify("store.RequestLinkByHash", err)
}

// UseRequestLink spends a link; one already spent fails with NotExist.
func (tx *requestRows) UseRequestLink(ctx context.Context, hash []byte, now time.Time) error {
	return tx.updateOne(ctx, "store.UseRequestLink", "UPDATE request_links SET used_at = ? WHERE token_hash = ? AND used_at = 0", now.UnixMicro(), hash)
}

// ComplianceCounts are the counts the compliance report checks.
type ComplianceCounts struct {
	Customers               int64
	SensitiveWithoutConsent int64 // customers with a special-category field and no standing sensitive consent
	OpenRequests            int64
	OverdueRequests         int64
	Restricted              int64
	LastBackup, LastDrill   time.Time // the last successful ones (zero: none)
	Erasures                int64
	PrivacyOfficers         int64 // enabled users holding the privacy_officer role
	Staff                   int64 // enabled users
	PolicyVersion           int64 // the current security policy (0: none published)
	PolicyAccepted          int64 // enabled users who accepted the current policy
	RetentionOn             int64 // retention rules switched on
}

// Compliance counts what the compliance report checks, at now.
func (tx *requestRows) Compliance(ctx context.Context, now time.Time) (ComplianceCounts, error) {
	var c ComplianceCounts
	var backup, drill sql.NullInt64
	err := tx.queryRow(ctx, `SELECT
		(SELECT count(*) FROM customers),
		(SELECT count(*) FROM customers c WHERE c.assessment_ct IS NOT NULL AND NOT EXISTS
			(SELECT 1 FROM consents k WHERE k.subject_id = c.id AND k.purpose = 'sensitive' AND k.withdrawn_at = 0)),
		(SELECT count(*) FROM privacy_requests WHERE status IN ('open', 'in_progress')),
		(SELECT count(*) FROM privacy_requests WHERE status IN ('open', 'in_progress') AND due_at < ?),
		(SELECT count(*) FROM customers WHERE restricted <> 0),
		(SELECT MAX(started_at) FROM backup_runs WHERE kind = 'backup' AND outcome = 'ok'),
		(SELECT MAX(started_at) FROM backup_runs WHERE kind = 'drill' AND outcome = 'ok'),
		(SELECT count(*) FROM erasure_ledger),
		(SELECT count(*) FROM users WHERE disabled = 0 AND id <> 'system' AND (',' || role || ',') LIKE '%,privacy_officer,%'),
		(SELECT count(*) FROM users WHERE disabled = 0 AND id <> 'system'),
		(SELECT COALESCE(MAX(version), 0) FROM security_policies),
		(SELECT count(*) FROM users u WHERE u.disabled = 0 AND u.id <> 'system' AND EXISTS (SELECT 1 FROM policy_acceptances p
			WHERE p.user_id = u.id AND p.version = (SELECT MAX(version) FROM security_policies))),
		(SELECT count(*) FROM retention_rules WHERE enabled <> 0)`, now.UnixMicro()).
		Scan(&c.Customers, &c.SensitiveWithoutConsent, &c.OpenRequests, &c.OverdueRequests, &c.Restricted, &backup, &drill, &c.Erasures,
			&c.PrivacyOfficers, &c.Staff, &c.PolicyVersion, &c.PolicyAccepted, &c.RetentionOn)
	if backup.Valid {
		c.LastBackup = fromMicro(backup.Int64)
	}
	if drill.Valid {
		c.LastDrill = fromMicro(drill.Int64)
	}
	return c, classify("store.Compliance", err)
}

// SubjectCounts counts the people and companies held and the enabled staff.
func (tx *requestRows) SubjectCounts(ctx context.Context) (customers, companies, staff int64, err error) {
	err = tx.queryRow(ctx, `SELECT (SELECT count(*) FROM customers), (SELECT count(*) FROM companies),
		(SELECT count(*) FROM users WHERE disabled = 0 AND id <> 'system')`).Scan(&customers, &companies, &staff)
	return customers, companies, staff, classify("store.SubjectCounts", err)
}

// RequestWorkflowCounts are the open requests' workflow, for the
// compliance report.
type RequestWorkflowCounts struct {
	Unassigned       int64 // open requests nobody is assigned
	AwaitingApproval int64 // open requests with a step waiting for a second handler
	DueSoon          int64 // open requests due within the window given, not yet overdue
}

// RequestWorkflow counts the open requests unassigned, awaiting approval,
// and due between now and now+window.
func (tx *requestRows) RequestWorkflow(ctx context.Context, now time.Time, window time.Duration) (RequestWorkflowCounts, error) {
	var c RequestWorkflowCounts
	err := tx.queryRow(ctx, `SELECT
		(SELECT count(*) FROM privacy_requests WHERE status IN ('open', 'in_progress') AND assignee = ''),
		(SELECT count(*) FROM privacy_requests WHERE status IN ('open', 'in_progress') AND approval = 'requested'),
		(SELECT count(*) FROM privacy_requests WHERE status IN ('open', 'in_progress') AND due_at >= ? AND due_at < ?)`,
		now.UnixMicro(), now.Add(window).UnixMicro()).Scan(&c.Unassigned, &c.AwaitingApproval, &c.DueSoon)
	return c, classify("store.RequestWorkflow", err)
}
