// Package checkpoint makes the audit log verifiable from outside the
// database, as Certificate Transparency does: a Merkle tree in RFC 6962
// form over the events' chain hashes (golang.org/x/mod/sumdb/tlog),
// checkpoints of it signed with an Ed25519 audit key in the C2SP
// tlog-checkpoint signed-note format (golang.org/x/mod/sumdb/note), and
// witnesses outside the database that keep the latest checkpoint and
// refuse one that is not consistent with it. Whoever can write the
// database can still rewrite the events, but no longer without the
// witnesses' checkpoints disagreeing with the rewritten log.
package checkpoint

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// Signer signs checkpoints with the audit key, which is separate from the
// master key and never enters the database.
type Signer struct {
	signer   note.Signer
	verifier string
	origin   string
}

// LoadOrCreateKey reads the audit key from path (a signed-note private
// key, mode 0600), or makes one named origin if there is no file yet. The
// second result says whether it was made.
func LoadOrCreateKey(path, origin string) (*Signer, bool, error) {
	b, err := os.ReadFile(path)
	created := false
	switch {
	case errors.Is(err, fs.ErrNotExist):
		skey, vkey, err := note.GenerateKey(rand.Reader, origin)
		if err != nil {
			return nil, false, fmt.Errorf("audit key: %w", err)
		}
		if err := os.WriteFile(path, []byte(skey+"\n"+vkey+"\n"), 0o600); err != nil {
			return nil, false, fmt.Errorf("audit key: %w", err)
		}
		b, created = []byte(skey+"\n"+vkey+"\n"), true
	case err != nil:
		return nil, false, fmt.Errorf("audit key: %w", err)
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		return nil, false, fmt.Errorf("audit key %s: readable by others (mode %v); chmod 600 it", path, fi.Mode().Perm())
	}
	lines := strings.Fields(string(b))
	if len(lines) != 2 {
		return nil, false, fmt.Errorf("audit key %s: want the private and the verifier key, one per line", path)
	}
	s, err := note.NewSigner(lines[0])
	if err != nil {
		return nil, false, fmt.Errorf("audit key %s: %w", path, err)
	}
	v, err := note.NewVerifier(lines[1])
	if err != nil || v.Name() != s.Name() || v.KeyHash() != s.KeyHash() {
		return nil, false, fmt.Errorf("audit key %s: the verifier key does not belong to the private key", path)
	}
	return &Signer{signer: s, verifier: lines[1], origin: s.Name()}, created, nil
}

// VerifierKey is the public key that checks this signer's checkpoints, in
// signed-note form ("origin+hash+base64"): what verifiers and witnesses
// are given.
func (s *Signer) VerifierKey() string { return s.verifier }

// Origin names the log in its checkpoints.
func (s *Signer) Origin() string { return s.origin }

// ReadVerifierKey reads the verifier key from an audit key file, for a
// verifier that has the file at hand.
func ReadVerifierKey(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("audit key: %w", err)
	}
	lines := strings.Fields(string(b))
	if len(lines) != 2 {
		return "", fmt.Errorf("audit key %s: want the private and the verifier key, one per line", path)
	}
	return lines[1], nil
}
