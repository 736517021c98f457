//go:build linux

package store

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"testing"
)

// Building indexes in a running server must not leave the memory SQLite
// sorted them in behind: a restore (the drill each backup gets) rebuilds
// every index after its rows, and a migration at start may build one on a
// large table. SQLite sorts each index in one buffer that doubles as it
// grows, up to the connection's page cache; the driver's allocator
// (modernc.org/memory) keeps a freed region of each size it saw committed,
// for reuse. With the restore's 32 MiB cache, a drill at 1,000,000
// customers left 64 + 32 + 16 + … MiB in the server for good
// (docs/PERFORMANCE.md).
//
// SQLite only: the memory is the embedded engine's. Each case runs in a
// process of its own, because the allocator is the process's: regions an
// earlier test left would be reused and hide what the build keeps.
func TestIndexBuildsKeepNoSortBuffer(t *testing.T) {
	for _, c := range []struct {
		name string
		// build makes rows whose index sorts about 20 MB (40,000 of 500
		// characters) in db, then measure(), then builds the index.
		build func(t *testing.T, ctx context.Context, db *DB, dir string, measure func())
	}{
		{"restore", restoreLargeIndexes},
		{"migration", migrateLargeIndex},
	} {
		t.Run(c.name, func(t *testing.T) {
			if os.Getenv(indexBuildChild) == c.name {
				indexBuildInChild(t, c.build)
				return
			}
			cmd := exec.Command(os.Args[0], "-test.run=^TestIndexBuildsKeepNoSortBuffer$/^"+c.name+"$", "-test.v")
			cmd.Env = append(os.Environ(), indexBuildChild+"="+c.name)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("the build's process: %v\n%s", err, out)
			}
			var kept int64
			found := false
			for line := range strings.SplitSeq(string(out), "\n") {
				if v, ok := strings.CutPrefix(strings.TrimSpace(line), "kept outside Go's heap: "); ok {
					if kept, err = strconv.ParseInt(v, 10, 64); err != nil {
						t.Fatalf("the build's process printed %q", line)
					}
					found = true
				}
			}
			if !found {
				t.Fatalf("the build's process did not say what it kept:\n%s", out)
			}
			// A buffer that could grow to the restore's whole cache of 32
			// MiB kept 74 MiB here, and one that could grow to the
			// writer's 16 MiB kept 52 MiB (the migration). Capped at 4 MiB,
			// the sort's regions add up to about 8 MiB; the runs here
			// measured −10 to 16 MiB, as the page caches before and after
			// differ.
			const limit = 32 << 20
			if kept > limit {
				t.Errorf("building the index kept %d MiB outside Go's heap afterwards, want at most %d MiB", kept>>20, limit>>20)
			}
			t.Logf("kept %d MiB outside Go's heap", kept>>20)
		})
	}
}

const indexBuildChild = "STRONGROOM_TEST_INDEX_BUILD_CHILD"

func indexBuildInChild(t *testing.T, build func(t *testing.T, ctx context.Context, db *DB, dir string, measure func())) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := Open(ctx, filepath.Join(dir, "src.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var before int64
	build(t, ctx, db, dir, func() { before = outsideGoHeap(t) })
	fmt.Printf("kept outside Go's heap: %d\n", outsideGoHeap(t)-before)
}

// restoreLargeIndexes loads a log of 40,000 events about records with
// 500-character ids into a new database: each of the log's indexes on the
// object sorts about 20 MB when it is rebuilt.
func restoreLargeIndexes(t *testing.T, ctx context.Context, src *DB, dir string, measure func()) {
	if _, err := src.write.ExecContext(ctx, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40000)
		INSERT INTO audit_events (seq, at, actor_id, session_id, ip, action, object_type, object_id, fields, outcome, reason, prev_hash, hash)
		SELECT i, i, 'u', 's', '127.0.0.1', 'customer.read', 'customer', printf('%08d', i) || hex(zeroblob(246)), '', 'success', '', x'00', x'01' FROM n`); err != nil {
		t.Fatal(err)
	}
	if _, err := src.write.ExecContext(ctx, "UPDATE audit_head SET seq = 40000, hash = x'01' WHERE id = 1"); err != nil {
		t.Fatal(err)
	}
	var version int
	if err := src.Snapshot(ctx, func(s *Snapshot) error { version = s.Version(); return nil }); err != nil {
		t.Fatal(err)
	}
	measure()
	dst, err := CreateAt(ctx, filepath.Join(dir, "dst.db"), version)
	if err != nil {
		t.Fatal(err)
	}
	err = src.Snapshot(ctx, func(s *Snapshot) error {
		return dst.Load(ctx, func(l *Loader) error {
			for _, tab := range s.Tables() {
				tl, err := l.Table(ctx, tab)
				if err != nil {
					return err
				}
				if err := s.Rows(ctx, tab, func(vals []any) error { return tl.Add(ctx, vals) }); err != nil {
					return err
				}
				if _, err := tl.Close(ctx); err != nil {
					return err
				}
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := dst.read.QueryRowContext(ctx, "SELECT count(*) FROM audit_events INDEXED BY audit_object WHERE object_type = 'customer'").Scan(&n); err != nil || n != 40000 {
		t.Fatalf("the restored log's index finds %d events (%v), want 40000", n, err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
}

// migrateLargeIndex runs a migration that builds an index on a table of
// 40,000 rows of 500 characters, on the server's own writer.
func migrateLargeIndex(t *testing.T, ctx context.Context, db *DB, _ string, measure func()) {
	if _, err := db.write.ExecContext(ctx, `CREATE TABLE wide (v TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.write.ExecContext(ctx, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40000)
		INSERT INTO wide (v) SELECT printf('%08d', i) || hex(zeroblob(246)) FROM n`); err != nil {
		t.Fatal(err)
	}
	measure()
	if err := db.migrate(ctx, files(map[string]string{"9001_wide_index.sql": "CREATE INDEX wide_v ON wide(v);"})); err != nil {
		t.Fatal(err)
	}
	var n, cache int
	if err := db.read.QueryRowContext(ctx, "SELECT count(*) FROM wide INDEXED BY wide_v WHERE v > ''").Scan(&n); err != nil || n != 40000 {
		t.Fatalf("the new index finds %d rows (%v), want 40000", n, err)
	}
	// The writer has its own cache again (Open's migrations bounded it
	// too, before this one).
	if err := db.write.QueryRowContext(ctx, "PRAGMA cache_size").Scan(&cache); err != nil || cache != -writerCacheKiB {
		t.Fatalf("the writer's page cache after the migrations: %d (%v), want %d", cache, err, -writerCacheKiB)
	}
}

// outsideGoHeap is the process's anonymous resident memory less what Go's
// runtime holds from the system, after a collection that returns its free
// pages: mostly what SQLite allocated.
func outsideGoHeap(t *testing.T) int64 {
	runtime.GC()
	debug.FreeOSMemory()
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	var anon int64 = -1
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "RssAnon:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			anon = kb << 10
		}
	}
	if anon < 0 {
		t.Fatal("no RssAnon in /proc/self/status")
	}
	s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	metrics.Read(s)
	return anon - int64(s[0].Value.Uint64()-s[1].Value.Uint64())
}
