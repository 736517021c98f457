// Package audit is Strongroom's tamper-evident log. Each event carries the
// SHA-256 hash of the previous event's hash and its own canonical encoding,
// so altering, deleting or reordering any event breaks the chain from that
// point on; a head record (last seq and hash) catches removal from the end.
//
// Events name fields, never values. Append runs inside the caller's
// transaction, so a change and its event commit together or not at all.
package audit

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strings"
	"time"
)

// Outcomes.
const (
	Success = "success"
	Failure = "failure"
	Denied  = "denied"
)

// Event is one audited happening.
type Event struct {
	Seq        int64     `json:"seq"`
	At         time.Time `json:"at"`
	ActorID    string    `json:"actor_id,omitempty"`
	SessionID  string    `json:"session_id,omitempty"`
	IP         string    `json:"ip,omitempty"`
	Action     string    `json:"action"`
	ObjectType string    `json:"object_type,omitempty"`
	ObjectID   string    `json:"object_id,omitempty"`
	Fields     []string  `json:"fields,omitempty"`
	Outcome    string    `json:"outcome"`
	Reason     string    `json:"reason,omitempty"`
	// Subjects are the records of ObjectType one event records together
	// (a page of a list, an import), when ObjectID names none; each is
	// indexed, so a subject's events are found as readily as by ObjectID.
	Subjects []string `json:"subjects,omitempty"`
	// ClientID is the OAuth client the request came through and DeviceID
	// the field device its session is bound to; "" for neither.
	ClientID string `json:"client_id,omitempty"`
	DeviceID string `json:"device_id,omitempty"`
	PrevHash []byte `json:"prev_hash"`
	Hash     []byte `json:"hash"`
}

// Head is the last event's seq and hash; zero for an empty log.
type Head struct {
	Seq  int64
	Hash []byte
}

// Appender is what Append needs from a store transaction. AuditHead must
// lock the head for the rest of the transaction where the engine allows
// concurrent writers.
type Appender interface {
	AuditHead(ctx context.Context) (Head, error)
	InsertAuditEvents(ctx context.Context, events []Event, head Head) error
}

// Append chains events onto the log inside the caller's transaction. It
// sets each event's Seq, At (when zero), PrevHash and Hash.
func Append(ctx context.Context, tx Appender, now time.Time, events ...Event) error {
	if len(events) == 0 {
		return nil
	}
	head, err := tx.AuditHead(ctx)
	if err != nil {
		return fmt.Errorf("audit: head: %w", err)
	}
	for i := range events {
		e := &events[i]
		if e.At.IsZero() {
			e.At = now
		}
		e.At = e.At.UTC().Truncate(time.Microsecond)
		e.Seq = head.Seq + 1
		e.PrevHash = head.Hash
		e.Hash = e.hash()
		head = Head{Seq: e.Seq, Hash: e.Hash}
	}
	if err := tx.InsertAuditEvents(ctx, events, head); err != nil {
		return fmt.Errorf("audit: append: %w", err)
	}
	return nil
}

// hash is SHA-256 over a domain tag, the previous hash and a canonical,
// length-prefixed encoding of every other field.
func (e *Event) hash() []byte {
	h := sha256.New()
	var n [8]byte
	put := func(b []byte) {
		binary.BigEndian.PutUint64(n[:], uint64(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	put([]byte("strongroom/audit/v1"))
	put(e.PrevHash)
	binary.BigEndian.PutUint64(n[:], uint64(e.Seq))
	h.Write(n[:])
	binary.BigEndian.PutUint64(n[:], uint64(e.At.UnixMicro()))
	h.Write(n[:])
	for _, s := range []string{e.ActorID, e.SessionID, e.IP, e.Action, e.ObjectType, e.ObjectID, strings.Join(e.Fields, ","), e.Outcome, e.Reason} {
		put([]byte(s))
	}
	if len(e.Subjects) > 0 { // events without subjects hash as they always have
		put([]byte("subjects"))
		put([]byte(strings.Join(e.Subjects, ",")))
	}
	// Likewise a client or a device: each is hashed, tagged, only when set.
	if e.ClientID != "" {
		put([]byte("client"))
		put([]byte(e.ClientID))
	}
	if e.DeviceID != "" {
		put([]byte("device"))
		put([]byte(e.DeviceID))
	}
	return h.Sum(nil)
}

// Sum is the hash of e's contents and its PrevHash: what Hash holds in an
// intact log.
func (e *Event) Sum() []byte { return e.hash() }
