package backup

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Target is where backups go: a directory (a mounted NAS) or S3-compatible
// object storage. A Put is whole or absent: a failed or interrupted one
// leaves nothing under key.
type Target interface {
	// Name names the target in listings, the audit log and alerts.
	Name() string
	// Put stores r under key. retain, when not zero, makes the object
	// immutable until then (S3 Object Lock in compliance mode).
	Put(ctx context.Context, key string, r io.Reader, retain time.Time) error
	Get(ctx context.Context, key string) (io.ReadCloser, error)
	// List returns the keys under prefix, sorted.
	List(ctx context.Context, prefix string) ([]string, error)
	Delete(ctx context.Context, key string) error
}

// ErrNotFound is a key the target does not hold.
var ErrNotFound = errors.New("not found")

// Spec is a target as configured: where, how often, how long to keep.
type Spec struct {
	Target Target
	Every  time.Duration // 0: only on demand
	Keep   Keep
	Lock   time.Duration // S3 Object Lock period (0: none)
	Raw    string        // the spec as given, without secrets
}

// Keep is a retention: the newest backup of each of the last Daily days,
// Weekly weeks and Monthly months is kept; the rest are deleted. Zero
// values keep everything.
type Keep struct{ Daily, Weekly, Monthly int }

func (k Keep) zero() bool { return k == Keep{} }

// ParseSpec reads a target:
//
//	/mnt/nas/strongroom?every=24h&keep=7,4,12
//	s3://host:9000/bucket/prefix?every=1h&keep=7,4,12&lock=720h&ca=ca.pem
//
// every is how often to back up (e.g. 1h, 24h, 168h; none: on demand
// only); keep the daily, weekly and monthly copies to keep; lock (S3 only)
// how long each backup stays immutable. S3's credentials come from getenv:
// STRONGROOM_S3_ACCESS_KEY and STRONGROOM_S3_SECRET_KEY.
func ParseSpec(raw string, getenv func(string) string) (Spec, error) {
	s := Spec{Raw: raw}
	loc, query, _ := strings.Cut(raw, "?")
	q, err := url.ParseQuery(query)
	if err != nil {
		return s, fmt.Errorf("backup target %q: %v", raw, err)
	}
	for k := range q {
		if !slices.Contains([]string{"every", "keep", "lock", "ca", "region", "name"}, k) {
			return s, fmt.Errorf("backup target %q: unknown option %q (every, keep, lock, ca, region, name)", raw, k)
		}
	}
	if v := q.Get("every"); v != "" {
		if s.Every, err = time.ParseDuration(v); err != nil || s.Every < time.Minute {
			return s, fmt.Errorf("backup target %q: every=%s is not a duration of at least 1m", raw, v)
		}
	}
	if v := q.Get("keep"); v != "" {
		parts := strings.Split(v, ",")
		nums := make([]int, 3)
		if len(parts) != 3 {
			return s, fmt.Errorf("backup target %q: keep=%s is not daily,weekly,monthly counts (e.g. 7,4,12)", raw, v)
		}
		for i, p := range parts {
			if nums[i], err = strconv.Atoi(p); err != nil || nums[i] < 0 || nums[i] > 1000 {
				return s, fmt.Errorf("backup target %q: keep=%s is not daily,weekly,monthly counts (e.g. 7,4,12)", raw, v)
			}
		}
		s.Keep = Keep{nums[0], nums[1], nums[2]}
	}
	if v := q.Get("lock"); v != "" {
		if s.Lock, err = time.ParseDuration(v); err != nil || s.Lock < 24*time.Hour {
			return s, fmt.Errorf("backup target %q: lock=%s is not a duration of at least 24h", raw, v)
		}
	}
	switch {
	case strings.HasPrefix(loc, "s3://"):
		t, err := newS3(loc, q, getenv)
		if err != nil {
			return s, fmt.Errorf("backup target %q: %v", raw, err)
		}
		s.Target = t
	case strings.Contains(loc, "://"):
		return s, fmt.Errorf("backup target %q: a directory path or s3://host/bucket", raw)
	default:
		if s.Lock > 0 {
			return s, fmt.Errorf("backup target %q: lock needs S3 Object Lock (a directory cannot hold a backup immutable)", raw)
		}
		if !filepath.IsAbs(loc) {
			return s, fmt.Errorf("backup target %q: give the directory as an absolute path", raw)
		}
		s.Target = Dir{Path: loc, name: q.Get("name")}
	}
	return s, nil
}

// Dir is a directory target: a mounted NAS or another disk. A Put writes
// a temporary file, syncs it and renames it into place.
type Dir struct {
	Path string
	name string
}

func (d Dir) Name() string {
	if d.name != "" {
		return d.name
	}
	return "dir:" + d.Path
}

func (d Dir) path(key string) (string, error) {
	if key == "" || strings.Contains(key, "..") || strings.HasPrefix(key, "/") {
		return "", fmt.Errorf("backup: bad key %q", key)
	}
	return filepath.Join(d.Path, filepath.FromSlash(key)), nil
}

func (d Dir) Put(ctx context.Context, key string, r io.Reader, _ time.Time) error {
	p, err := d.path(key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return err
	}
	var b [6]byte
	rand.Read(b[:])
	tmp := p + ".partial-" + hex.EncodeToString(b[:])
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, contextReader{ctx, r})
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, p)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	if dir, err := os.Open(filepath.Dir(p)); err == nil {
		dir.Sync() // the rename itself durable
		dir.Close()
	}
	return nil
}

func (d Dir) Get(_ context.Context, key string) (io.ReadCloser, error) {
	p, err := d.path(key)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", key, ErrNotFound)
	}
	return f, err
}

func (d Dir) List(_ context.Context, prefix string) ([]string, error) {
	var keys []string
	err := filepath.WalkDir(d.Path, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if e.IsDir() || strings.Contains(e.Name(), ".partial-") {
			return nil
		}
		rel, err := filepath.Rel(d.Path, p)
		if err != nil {
			return err
		}
		if k := filepath.ToSlash(rel); strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
		return nil
	})
	slices.Sort(keys)
	return keys, err
}

func (d Dir) Delete(_ context.Context, key string) error {
	p, err := d.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	os.Remove(filepath.Dir(p)) // the backup's directory, once empty
	return nil
}

// contextReader stops a copy when ctx ends.
type contextReader struct {
	ctx context.Context
	r   io.Reader
}

func (c contextReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// Short writes a duration without its zero parts: 24h, 168h, 90m.
func Short(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
