package backup

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"filippo.io/age"
	"github.com/klauspost/compress/zstd"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/store"
)

// Restorer restores backups from a target.
type Restorer struct {
	Target      Target
	Identities  []age.Identity
	VerifierKey string // the audit verifier key the manifest must be signed with
	Now         func() time.Time
}

func (r *Restorer) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// restoreStore is what a restore does in the loaded database's
// transaction beside loading it.
type restoreStore interface {
	audit.Appender
	EraseAgain(ctx context.Context, e store.Erasure) (bool, error)
}

func restoreStoreOf(tx *store.Tx) restoreStore { return tx }

// Restored is what a restore did.
type Restored struct {
	Manifest      Manifest
	Rows          int64
	ErasedAgain   int // subjects in the ledger that the backup still held, erased again
	LedgerEntries int // signed ledger entries read from the target
	LedgerRefused int // ledger entries whose signature failed (ignored)
	Duration      time.Duration
}

// RefusedError is a backup that fails a check: which check, in one line.
type RefusedError struct {
	ID     string
	Reason string
}

func (e *RefusedError) Error() string { return "backup " + e.ID + " refused: " + e.Reason }

func refuse(id, format string, args ...any) error {
	return &RefusedError{ID: id, Reason: fmt.Sprintf(format, args...)}
}

// ParseIdentities reads age identities (AGE-SECRET-KEY-1…) from a file's
// text, as age-keygen writes it.
func ParseIdentities(r io.Reader) ([]age.Identity, error) {
	ids, err := age.ParseIdentities(r)
	if err != nil {
		return nil, fmt.Errorf("backup: the identity file: %v", err)
	}
	return ids, nil
}

// Restore writes backup id into a new database at dsn (a SQLite file that
// does not exist yet, or an empty PostgreSQL schema): it checks the
// manifest's signature, then loads the data in one transaction while
// checking each table's checksum and row count and the data object's
// checksum, erases again every subject in the target's erasure ledger, and
// records the restore in the restored audit log. Any failed check leaves
// nothing behind. The database is then migrated to this strongroom's
// schema.
func (r *Restorer) Restore(ctx context.Context, id, dsn string) (Restored, error) {
	start := r.now()
	var out Restored
	man, err := ReadManifest(ctx, r.Target, id, r.VerifierKey)
	if err != nil {
		var re *RefusedError
		if errors.As(err, &re) {
			return out, err
		}
		return out, refuse(id, "%v", err)
	}
	out.Manifest = man
	if man.Data.Key != dataKey(id) {
		return out, refuse(id, "the manifest names data %q, not this backup's", man.Data.Key)
	}
	ledger, refused, err := ReadLedger(ctx, r.Target, r.VerifierKey)
	if err != nil {
		return out, err
	}
	out.LedgerEntries, out.LedgerRefused = len(ledger), refused

	_, statErr := os.Stat(dsn)
	db, err := store.CreateAt(ctx, dsn, man.SchemaVersion)
	if err != nil {
		if !store.IsPostgresDSN(dsn) && os.IsNotExist(statErr) {
			removeSQLite(dsn) // a file this restore began
		}
		return out, err
	}
	ok := false
	defer func() {
		if !ok {
			db.DropAll(context.WithoutCancel(ctx))
			db.Close()
			if db.Engine() == store.SQLite {
				removeSQLite(dsn)
			}
		}
	}()
	err = db.Load(ctx, func(l *store.Loader) error {
		if err := r.load(ctx, l, man, &out); err != nil {
			return err
		}
		tx := restoreStoreOf(l.Tx())
		for _, e := range ledger {
			found, err := tx.EraseAgain(ctx, e)
			if err != nil {
				return err
			}
			if found {
				out.ErasedAgain++
			}
		}
		reason := fmt.Sprintf("restored backup %s (made %s on %s) from %s; %d erased again from the ledger",
			id, man.Created.Format(time.RFC3339), man.Host, r.Target.Name(), out.ErasedAgain)
		return audit.Append(ctx, tx, r.now(), event("backup.restore", "backup", id, audit.Success, reason))
	})
	if err != nil {
		return out, err
	}
	if err := db.Close(); err != nil {
		return out, err
	}
	if db.Engine() == store.SQLite {
		if err := store.SyncFile(dsn); err != nil { // loaded without syncing: make it durable now
			return out, fmt.Errorf("backup: %w", err)
		}
	}
	final, err := store.Open(ctx, dsn) // the migrations after the backup's version
	if err != nil {
		return out, fmt.Errorf("backup: migrating the restored database: %w", err)
	}
	final.Close()
	ok = true
	out.Duration = r.now().Sub(start)
	return out, nil
}

// load reads the data object and writes its tables, checking each against
// the manifest.
func (r *Restorer) load(ctx context.Context, l *store.Loader, man Manifest, out *Restored) error {
	id := man.ID
	var want []string
	for _, t := range man.Tables {
		want = append(want, t.Name)
	}
	for _, have := range l.Tables() {
		if have != "schema_migrations" && !slices.Contains(want, have) {
			return refuse(id, "the manifest lacks table %s, which schema version %d has", have, man.SchemaVersion)
		}
	}
	obj, err := r.Target.Get(ctx, man.Data.Key)
	if err != nil {
		return refuse(id, "its data cannot be read: %v", err)
	}
	defer obj.Close()
	hr := &hashingReader{r: obj, sum: sha256.New()}
	var zr *zstd.Decoder
	// checkWhole drains the object and compares its checksum: a stream
	// that fails to decrypt or parse is first of all a changed object. The
	// decoder is closed first, so that nothing else reads the object.
	checkWhole := func(cause error) error {
		if zr != nil {
			zr.Close()
		}
		io.Copy(io.Discard, hr)
		if got := hex.EncodeToString(hr.sum.Sum(nil)); got != man.Data.SHA256 || hr.n != man.Data.Size {
			return refuse(id, "the data's checksum does not match the manifest (%d bytes, sha256 %.16s…; the manifest says %d bytes, %.16s…): it was changed or damaged", hr.n, got, man.Data.Size, man.Data.SHA256)
		}
		if cause != nil {
			var re *RefusedError
			if errors.As(cause, &re) {
				return cause
			}
			return refuse(id, "%v", cause)
		}
		return nil
	}
	dr, err := age.Decrypt(hr, r.Identities...)
	if err != nil {
		var noMatch *age.NoIdentityMatchError
		if errors.As(err, &noMatch) {
			return refuse(id, "none of the identities given can decrypt it (it is encrypted to %v)", man.Data.Recipients)
		}
		return checkWhole(fmt.Errorf("it does not decrypt: %v", err))
	}
	// The decoder reads ahead on a goroutine of its own (decompressing
	// beside the inserts); checkWhole closes it, which waits for that
	// goroutine, before it reads the rest of the object itself.
	zr, err = zstd.NewReader(dr, zstd.WithDecoderConcurrency(2), zstd.WithDecoderMaxMemory(1<<30))
	if err != nil {
		zr = nil
		return checkWhole(err)
	}
	defer zr.Close()
	dec, err := newDecoder(zr)
	if err != nil {
		return checkWhole(err)
	}
	next := 0
	for {
		tag, p, err := dec.next()
		if err != nil {
			return checkWhole(err)
		}
		if tag == frameDone {
			break
		}
		if tag != frameTable {
			return checkWhole(errDamaged)
		}
		t, err := parseTable(p)
		if err != nil {
			return checkWhole(err)
		}
		if next >= len(man.Tables) || man.Tables[next].Name != t.Name {
			return checkWhole(refuse(id, "its data holds table %s where the manifest has %s", t.Name, nameAt(man.Tables, next)))
		}
		if err := r.loadTable(ctx, l, dec, t, man.Tables[next], out); err != nil {
			return checkWhole(err)
		}
		next++
	}
	if next < len(man.Tables) {
		return checkWhole(refuse(id, "table %s is missing from its data", man.Tables[next].Name))
	}
	return checkWhole(nil)
}

func nameAt(ts []TableSum, i int) string {
	if i < len(ts) {
		return ts[i].Name
	}
	return "no more tables"
}

// loadTable writes one table's rows and checks its count and checksum.
func (r *Restorer) loadTable(ctx context.Context, l *store.Loader, dec *decoder, t store.Table, want TableSum, out *Restored) error {
	id := out.Manifest.ID
	tl, err := l.Table(ctx, t)
	if err != nil {
		return err
	}
	vals := make([]any, len(t.Columns))
	for {
		tag, p, err := dec.next()
		if err != nil {
			return err
		}
		if tag == frameEnd {
			break
		}
		if tag != frameRow {
			return errDamaged
		}
		if err := parseRow(p, t.Columns, vals); err != nil {
			return err
		}
		if err := tl.Add(ctx, vals); err != nil {
			return err
		}
	}
	n, err := tl.Close(ctx)
	if err != nil {
		return err
	}
	sum := dec.checksum()
	if got := hex.EncodeToString(sum[:]); got != want.SHA256 {
		return refuse(id, "table %s's checksum does not match the manifest", t.Name)
	}
	if n != want.Rows {
		return refuse(id, "table %s has %d rows; the manifest says %d", t.Name, n, want.Rows)
	}
	if have, err := l.CountRows(ctx, t.Name); err != nil {
		return err
	} else if have != want.Rows {
		return refuse(id, "table %s holds %d rows after loading; the manifest says %d", t.Name, have, want.Rows)
	}
	out.Rows += n
	return nil
}

// removeSQLite removes a SQLite database file and its companions.
func removeSQLite(path string) {
	for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
		os.Remove(path + suffix)
	}
}
