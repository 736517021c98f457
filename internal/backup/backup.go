// Package backup makes and restores backups: a consistent snapshot of
// every table in a form neither engine owns (a backup of SQLite restores
// into PostgreSQL and the other way round), compressed with zstd,
// encrypted with age to recipients whose private keys need not be on the
// server, described by a manifest the audit key signs, and stored on a
// target (a directory, or S3-compatible storage with Object Lock). A
// restore refuses a backup whose signature, checksums or counts fail, and
// erases again everyone in the erasure ledger. Drills restore the latest
// backup into a scratch database on a schedule and verify it.
//
// Like the checkpointer, it is background work beside the service: it
// reads and writes through store.DB (Snapshot, Load, WithTx) and appends
// its own audit events; the personal data in a backup stays sealed under
// the data keys, and the master key is never in it.
package backup

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"slices"
	"strings"
	"time"

	"filippo.io/age"
	"github.com/klauspost/compress/zstd"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/checkpoint"
	"strongroom.dev/strongroom/internal/store"
)

// Maker makes backups of one database.
type Maker struct {
	DB         *store.DB
	Signer     *checkpoint.Signer
	Recipients []string // age recipients (age1…)
	Host       string
	Now        func() time.Time

	skip string // a table to leave out: tests of what a restore refuses
}

func (m *Maker) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

// ParseRecipients reads age recipients (age1…).
func ParseRecipients(rs []string) ([]age.Recipient, error) {
	if len(rs) == 0 {
		return nil, errors.New("backup: give at least one age recipient (age1…)")
	}
	var out []age.Recipient
	for _, r := range rs {
		x, err := age.ParseX25519Recipient(r)
		if err != nil {
			return nil, fmt.Errorf("backup: %q is not an age recipient (age1…): %v", r, err)
		}
		out = append(out, x)
	}
	return out, nil
}

// newID names a backup by its time, so that keys sort by age.
func newID(t time.Time) string {
	var b [4]byte
	rand.Read(b[:])
	return t.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}

func dataKey(id string) string     { return "backups/" + id + "/data.zst.age" }
func manifestKey(id string) string { return "backups/" + id + "/manifest" }

// Make takes a snapshot and stores it on t: the data first, then the
// signed manifest, which is what lists it. retain, when not zero, makes
// both immutable until then. Nothing is audited here: Run records it.
func (m *Maker) Make(ctx context.Context, t Target, retain time.Time) (Manifest, error) {
	rs, err := ParseRecipients(m.Recipients)
	if err != nil {
		return Manifest{}, err
	}
	start := m.now()
	man := Manifest{Format: formatName, ID: newID(start), Created: start.UTC(), Host: m.Host,
		Engine: string(m.DB.Engine()), Retain: retain.UTC()}
	man.Data = DataObject{Key: dataKey(man.ID), Compression: "zstd", Encryption: "age", Recipients: slices.Clone(m.Recipients)}

	pr, pw := io.Pipe()
	sum := sha256.New()
	counted := &countingWriter{w: io.MultiWriter(pw, sum)}
	produced := make(chan error, 1)
	go func() {
		err := m.write(ctx, counted, rs, &man)
		pw.CloseWithError(err)
		produced <- err
	}()
	putErr := t.Put(ctx, man.Data.Key, pr, retain)
	pr.CloseWithError(errors.New("backup: the upload stopped"))
	if err := <-produced; err != nil {
		return Manifest{}, err
	}
	if putErr != nil {
		return Manifest{}, fmt.Errorf("backup: storing the data on %s: %w", t.Name(), putErr)
	}
	man.Data.Size = counted.n
	man.Data.SHA256 = hex.EncodeToString(sum.Sum(nil))
	man.Duration = JSONDuration(m.now().Sub(start))
	signed, err := man.sign(m.Signer)
	if err != nil {
		return Manifest{}, err
	}
	if err := t.Put(ctx, manifestKey(man.ID), strings.NewReader(string(signed)), retain); err != nil {
		return Manifest{}, fmt.Errorf("backup: storing the manifest on %s: %w", t.Name(), err)
	}
	return man, nil
}

// write streams the snapshot through zstd and age into w, filling in the
// manifest's tables, audit position and key terms.
func (m *Maker) write(ctx context.Context, w io.Writer, rs []age.Recipient, man *Manifest) error {
	ew, err := age.Encrypt(w, rs...)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	zw, err := zstd.NewWriter(ew, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(2))
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	enc, err := newEncoder(zw)
	if err != nil {
		return err
	}
	err = m.DB.Snapshot(ctx, func(s *store.Snapshot) error {
		man.SchemaVersion = s.Version()
		cp, err := s.Tx().LatestCheckpoint(ctx)
		if err != nil {
			return err
		}
		man.Audit.Checkpoint = cp.Note
		terms := map[int64]bool{}
		for _, t := range s.Tables() {
			if t.Name == m.skip {
				continue
			}
			if err := enc.table(t); err != nil {
				return err
			}
			observe := observer(t, man, terms)
			if err := s.Rows(ctx, t, func(vals []any) error {
				if observe != nil {
					observe(vals)
				}
				return enc.row(vals)
			}); err != nil {
				return err
			}
			n, sum, err := enc.end()
			if err != nil {
				return err
			}
			man.Tables = append(man.Tables, TableSum{Name: t.Name, Rows: n, SHA256: hex.EncodeToString(sum[:])})
		}
		for t := range terms {
			man.KeyTerms = append(man.KeyTerms, t)
		}
		slices.Sort(man.KeyTerms)
		return nil
	})
	if err != nil {
		zw.Close()
		return err
	}
	if err := enc.close(); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return ew.Close()
}

// observer picks what the manifest states from the rows going by: the
// audit head, the master key terms in use, the erasure ledger's size.
func observer(t store.Table, man *Manifest, terms map[int64]bool) func([]any) {
	col := func(name string) int {
		return slices.IndexFunc(t.Columns, func(c store.Column) bool { return c.Name == name })
	}
	switch t.Name {
	case "audit_head":
		seq, h := col("seq"), col("hash")
		return func(v []any) {
			if seq >= 0 && h >= 0 {
				man.Audit.Events, _ = v[seq].(int64)
				b, _ := v[h].([]byte)
				man.Audit.Head = hex.EncodeToString(b)
			}
		}
	case "subject_keys":
		term := col("kek_term")
		return func(v []any) {
			if term >= 0 {
				if x, ok := v[term].(int64); ok {
					terms[x] = true
				}
			}
		}
	case "erasure_ledger":
		return func([]any) { man.Erasures++ }
	}
	return nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// hashingReader hashes and counts what is read through it.
type hashingReader struct {
	r   io.Reader
	sum hash.Hash
	n   int64
}

func (h *hashingReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	h.sum.Write(p[:n])
	h.n += int64(n)
	return n, err
}

// List returns the manifests' ids on t (the backups), oldest first. A
// data object without its manifest (an upload that failed or was cut
// off) is not a backup and is not listed.
func List(ctx context.Context, t Target) ([]string, error) {
	keys, err := t.List(ctx, "backups/")
	if err != nil {
		return nil, fmt.Errorf("backup: listing %s: %w", t.Name(), err)
	}
	var ids []string
	for _, k := range keys {
		if id, ok := strings.CutSuffix(strings.TrimPrefix(k, "backups/"), "/manifest"); ok && !strings.Contains(id, "/") {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids, nil
}

// ReadManifest fetches and checks backup id's manifest.
func ReadManifest(ctx context.Context, t Target, id, verifierKey string) (Manifest, error) {
	r, err := t.Get(ctx, manifestKey(id))
	if err != nil {
		return Manifest{}, fmt.Errorf("backup %s: %w", id, err)
	}
	defer r.Close()
	b, err := io.ReadAll(io.LimitReader(r, 4<<20))
	if err != nil {
		return Manifest{}, fmt.Errorf("backup %s: %w", id, err)
	}
	m, err := openManifest(b, verifierKey)
	if err != nil {
		return m, fmt.Errorf("backup %s: %w", id, err)
	}
	if m.ID != id {
		return m, fmt.Errorf("backup %s: the manifest is backup %s's", id, m.ID)
	}
	return m, nil
}

// Pick chooses the backup to restore: id if given, else the newest made
// at or before at (zero: the newest).
func Pick(ctx context.Context, t Target, id string, at time.Time) (string, error) {
	if id != "" {
		return id, nil
	}
	ids, err := List(ctx, t)
	if err != nil {
		return "", err
	}
	for i := len(ids) - 1; i >= 0; i-- {
		created, err := time.Parse("20060102T150405Z", strings.SplitN(ids[i], "-", 2)[0])
		if err != nil {
			continue
		}
		if at.IsZero() || !created.After(at) {
			return ids[i], nil
		}
	}
	if at.IsZero() {
		return "", fmt.Errorf("backup: %s holds no backup", t.Name())
	}
	return "", fmt.Errorf("backup: %s holds no backup made before %s", t.Name(), at.UTC().Format(time.RFC3339))
}

// event is an audit event of the system's.
func event(action, object, id, outcome, reason string) audit.Event {
	return audit.Event{ActorID: authz.SystemUserID, Action: action, ObjectType: object, ObjectID: id, Outcome: outcome, Reason: reason}
}
