package backup

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3 is an S3-compatible bucket (AWS S3, MinIO, Ceph, …) over HTTPS.
// Uploads are multipart in 16 MiB parts, each retried on its own by the
// client; an upload that fails or is cut off is never completed, so no
// object appears. With a lock period each object is put under Object Lock
// in compliance mode: nobody, not even the bucket's owner, can delete or
// overwrite that version until it expires, so the server's credential
// needs only to put, get and list.
type S3 struct {
	client *minio.Client
	bucket string
	prefix string
	host   string
}

// S3 credentials come from the environment, never from the target's text
// (which is logged and shown).
const (
	S3AccessKeyEnv = "STRONGROOM_S3_ACCESS_KEY"
	S3SecretKeyEnv = "STRONGROOM_S3_SECRET_KEY"
)

func newS3(loc string, q url.Values, getenv func(string) string) (*S3, error) {
	u, err := url.Parse(loc)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("want s3://host[:port]/bucket[/prefix]")
	}
	bucket, prefix, _ := strings.Cut(strings.Trim(u.Path, "/"), "/")
	if bucket == "" {
		return nil, fmt.Errorf("name the bucket: s3://%s/BUCKET", u.Host)
	}
	ak, sk := getenv(S3AccessKeyEnv), getenv(S3SecretKeyEnv)
	if ak == "" || sk == "" {
		return nil, fmt.Errorf("set %s and %s", S3AccessKeyEnv, S3SecretKeyEnv)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	if ca := q.Get("ca"); ca != "" {
		pem, err := os.ReadFile(ca)
		if err != nil {
			return nil, fmt.Errorf("ca: %v", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ca: %s holds no PEM certificate", ca)
		}
		tr.TLSClientConfig.RootCAs = pool
	}
	c, err := minio.New(u.Host, &minio.Options{
		Creds:     credentials.NewStaticV4(ak, sk, ""),
		Secure:    true,
		Region:    q.Get("region"),
		Transport: tr,
	})
	if err != nil {
		return nil, err
	}
	if prefix != "" {
		prefix += "/"
	}
	return &S3{client: c, bucket: bucket, prefix: prefix, host: u.Host}, nil
}

func (s *S3) Name() string { return "s3://" + s.host + "/" + s.bucket + "/" + s.prefix }

const partSize = 16 << 20

func (s *S3) Put(ctx context.Context, key string, r io.Reader, retain time.Time) error {
	opts := minio.PutObjectOptions{PartSize: partSize, ContentType: "application/octet-stream", SendContentMd5: !retain.IsZero()}
	if !retain.IsZero() {
		opts.Mode = minio.Compliance
		opts.RetainUntilDate = retain.UTC()
	}
	_, err := s.client.PutObject(ctx, s.bucket, s.prefix+key, r, -1, opts)
	return err
}

// Get reads the first version stored under key. A backup's objects are
// written once, so the first version is the real one: a later version
// (an overwrite) or a delete marker, which a thief with the credential
// could add even under Object Lock, changes nothing a restore reads.
func (s *S3) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	versions, err := s.versions(ctx, key)
	if err != nil {
		return nil, err
	}
	if len(versions) == 0 {
		return nil, fmt.Errorf("%s: %w", key, ErrNotFound)
	}
	first := versions[0]
	o, err := s.client.GetObject(ctx, s.bucket, s.prefix+key, minio.GetObjectOptions{VersionID: first.VersionID})
	if err != nil {
		return nil, err
	}
	return o, nil
}

// versions lists key's stored versions (not delete markers), oldest first.
func (s *S3) versions(ctx context.Context, key string) ([]minio.ObjectInfo, error) {
	var out []minio.ObjectInfo
	for o := range s.client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: s.prefix + key, WithVersions: true}) {
		if o.Err != nil {
			return nil, o.Err
		}
		if o.Key == s.prefix+key && !o.IsDeleteMarker {
			out = append(out, o)
		}
	}
	slices.SortStableFunc(out, func(a, b minio.ObjectInfo) int { return a.LastModified.Compare(b.LastModified) })
	return out, nil
}

// List returns the keys under prefix that hold a stored version, so that
// a delete marker does not hide a backup.
func (s *S3) List(ctx context.Context, prefix string) ([]string, error) {
	seen := map[string]bool{}
	var keys []string
	for o := range s.client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: s.prefix + prefix, Recursive: true, WithVersions: true}) {
		if o.Err != nil {
			return nil, o.Err
		}
		if k := strings.TrimPrefix(o.Key, s.prefix); !o.IsDeleteMarker && !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys, nil
}

// Retention reports an object's Object Lock mode and date ("" if none).
func (s *S3) Retention(ctx context.Context, key string) (string, time.Time, error) {
	mode, until, err := s.client.GetObjectRetention(ctx, s.bucket, s.prefix+key, "")
	if err != nil {
		return "", time.Time{}, err
	}
	m, t := "", time.Time{}
	if mode != nil {
		m = string(*mode)
	}
	if until != nil {
		t = *until
	}
	return m, t, nil
}

// Delete removes every stored version of key (pruning a target without
// Object Lock). Under Object Lock it fails until the lock expires, for
// the server's credential and a thief's alike.
func (s *S3) Delete(ctx context.Context, key string) error {
	versions, err := s.versions(ctx, key)
	if err != nil {
		return err
	}
	var failed []error
	for _, v := range versions {
		if err := s.client.RemoveObject(ctx, s.bucket, s.prefix+key, minio.RemoveObjectOptions{VersionID: v.VersionID}); err != nil {
			failed = append(failed, err)
		}
	}
	return errors.Join(failed...)
}
