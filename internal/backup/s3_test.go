package backup

import (
	"context"
	"crypto/rand"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"strongroom.dev/strongroom/internal/backup/s3test"
	"strongroom.dev/strongroom/internal/testkit"
)

// Against a real S3 server (MinIO on loopback, over TLS): a backup goes up
// in multipart, locked in compliance mode; nobody can delete or overwrite
// it, a delete marker does not hide it, and it restores.
func TestS3BackupIsImmutableAndRestores(t *testing.T) {
	ctx := context.Background()
	srv := s3test.Start(t)
	f := newFixture(t, testkit.NewSQLite(t))
	spec, err := ParseSpec(srv.Spec("nightly", "lock=24h&keep=7,4,12"), srv.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	s3 := spec.Target.(*S3)
	run := &Runner{Maker: f.maker, Targets: []Spec{spec}}
	got, err := run.Backup(ctx, spec)
	if err != nil || !got.OK {
		t.Fatalf("backup to S3: %v %+v", err, got)
	}
	for _, key := range []string{dataKey(got.BackupID), manifestKey(got.BackupID)} {
		mode, until, err := s3.Retention(ctx, key)
		if err != nil || mode != "COMPLIANCE" || until.Before(time.Now().Add(23*time.Hour)) {
			t.Fatalf("%s: lock %q until %v (%v); want COMPLIANCE for 24h", key, mode, until, err)
		}
		// A thief with the credential (here even the root one) tries to remove it.
		if err := s3.Delete(ctx, key); err == nil || !strings.Contains(err.Error(), "WORM") {
			t.Fatalf("deleting %s under Object Lock: %v; want a refusal (WORM protected)", key, err)
		}
	}
	// Overwriting the manifest, and a plain delete (a delete marker), leave the backup as it was.
	if err := s3.Put(ctx, manifestKey(got.BackupID), strings.NewReader("forged"), time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := srv.Client(t).RemoveObject(ctx, srv.Bucket, "nightly/"+dataKey(got.BackupID), minio.RemoveObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	ids, err := List(ctx, s3)
	if err != nil || len(ids) != 1 || ids[0] != got.BackupID {
		t.Fatalf("listed %v (%v)", ids, err)
	}
	restored, err := f.restorer(s3).Restore(ctx, got.BackupID, testkit.NewSQLite(t).DSN)
	if err != nil || restored.Rows != got.Rows {
		t.Fatalf("restore from S3 after the attack: %v (%d rows, backed up %d)", err, restored.Rows, got.Rows)
	}
	// With a lock the server does not prune: the bucket's lifecycle does.
	if pruned, err := Prune(ctx, spec, time.Now().AddDate(1, 0, 0)); err != nil || len(pruned) != 0 {
		t.Fatalf("pruned a locked target: %v %v", pruned, err)
	}
}

// An upload that fails after its first parts is never completed: no
// object, no backup listed.
func TestS3FailedMultipartUploadLeavesNothing(t *testing.T) {
	ctx := context.Background()
	srv := s3test.Start(t)
	spec, err := ParseSpec(srv.Spec("partial", ""), srv.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	s3 := spec.Target.(*S3)
	body := io.MultiReader(io.LimitReader(rand.Reader, 3*partSize/2), errReader{})
	if err := s3.Put(ctx, dataKey("20261130T000000Z-00000000"), body, time.Time{}); err == nil {
		t.Fatal("a failed upload reported success")
	}
	keys, err := s3.List(ctx, "")
	if err != nil || len(keys) != 0 {
		t.Fatalf("after a failed upload the bucket holds %v (%v)", keys, err)
	}
}
