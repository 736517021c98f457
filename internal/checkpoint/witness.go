package checkpoint

import (
	"bufio"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/sumdb/tlog"
)

// A Witness keeps checkpoints outside the database.
type Witness interface {
	// Name identifies the witness in the log and in the database.
	Name() string
	// Held returns the checkpoint it holds ("" if none).
	Held() (string, error)
	// Add gives it a newer checkpoint, signed by verifierKey's key, with
	// a proof that the tree it states extends the one the witness holds
	// (empty when it holds none). A witness that checks refuses a
	// checkpoint that is not signed by the key it first saw, is older
	// than the one it holds, or is not consistent with it.
	Add(signed, verifierKey string, proof tlog.TreeProof) error
}

// ErrRefused wraps a witness's refusal.
var ErrRefused = errors.New("the witness refused the checkpoint")

// Dir is a witness in a directory (another disk, a mounted share): it
// holds the key it first saw (verifier.key), the latest checkpoint
// (checkpoint) and every checkpoint it accepted, one base64 line each
// (history), and checks each new checkpoint against them.
type Dir string

// Name is the directory on this host: servers of one database each keep
// what they delivered to theirs, so one server's deliveries never look
// like a rollback to another's.
func (d Dir) Name() string {
	host, _ := os.Hostname()
	return "dir:" + host + ":" + string(d)
}

func (d Dir) path(name string) string { return filepath.Join(string(d), name) }

// Held returns the checkpoint in the directory.
func (d Dir) Held() (string, error) {
	b, err := os.ReadFile(d.path("checkpoint"))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	return string(b), err
}

// Key returns the verifier key the witness trusts ("" before its first
// checkpoint).
func (d Dir) Key() (string, error) {
	b, err := os.ReadFile(d.path("verifier.key"))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	return strings.TrimSpace(string(b)), err
}

// History returns every checkpoint the witness accepted, oldest first.
func (d Dir) History() ([]string, error) {
	f, err := os.Open(d.path("history"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		b, err := base64.StdEncoding.DecodeString(sc.Text())
		if err != nil {
			return nil, fmt.Errorf("witness %s: history: %v", d, err)
		}
		out = append(out, string(b))
	}
	return out, sc.Err()
}

// Add checks and keeps a new checkpoint. It holds an exclusive lock on
// the directory while it reads, checks and writes, so that servers sharing
// one witness directory never move it backwards.
func (d Dir) Add(signed, verifierKey string, proof tlog.TreeProof) error {
	if err := os.MkdirAll(string(d), 0o700); err != nil {
		return err
	}
	unlock, err := lockFile(d.path("lock"))
	if err != nil {
		return err
	}
	defer unlock()
	key, err := d.Key()
	if err != nil {
		return err
	}
	if key == "" { // the first checkpoint: trust its key from now on
		if err := writeFile(d.path("verifier.key"), verifierKey+"\n"); err != nil {
			return err
		}
		key = verifierKey
	}
	next, err := Open(signed, key)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrRefused, err)
	}
	held, err := d.Held()
	if err != nil {
		return err
	}
	if held != "" {
		old, err := Open(held, key)
		if err != nil {
			return fmt.Errorf("%w: the checkpoint it holds does not verify: %v", ErrRefused, err)
		}
		switch {
		case next.Size < old.Size:
			return fmt.Errorf("%w: it states %d events, but the witness holds a checkpoint of %d", ErrRefused, next.Size, old.Size)
		case next.Size == old.Size && next.Root != old.Root:
			return fmt.Errorf("%w: it states another tree of the same %d events", ErrRefused, next.Size)
		case next.Size > old.Size && old.Size > 0:
			if err := tlog.CheckTree(proof, next.Size, next.Root, old.Size, old.Root); err != nil {
				return fmt.Errorf("%w: its tree of %d events does not extend the witness's tree of %d (%v)", ErrRefused, next.Size, old.Size, err)
			}
		}
	}
	if err := writeFile(d.path("checkpoint"), signed); err != nil {
		return err
	}
	f, err := os.OpenFile(d.path("history"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(base64.StdEncoding.EncodeToString([]byte(signed)) + "\n"); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// writeFile replaces path atomically (a temporary file, synced, renamed).
func writeFile(path, content string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(content); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// Log is a witness that writes each checkpoint to the server's log
// (stdout or stderr, JSON with --log-json), for a log shipper or syslog
// to carry elsewhere. It holds nothing and refuses nothing.
type Log struct{ Logger *slog.Logger }

func (l Log) Name() string          { return "log" }
func (l Log) Held() (string, error) { return "", nil }
func (l Log) Add(signed, _ string, _ tlog.TreeProof) error {
	l.Logger.Info("audit checkpoint", slog.String("checkpoint", signed))
	return nil
}
