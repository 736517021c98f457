package checkpoint

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Checkpoint is a signed statement of the tree: its origin (the log's
// name), its size in events and its root hash. Its text is the C2SP
// tlog-checkpoint body:
//
//	<origin>
//	<size>
//	<base64 root hash>
type Checkpoint struct {
	Origin string
	Size   int64
	Root   tlog.Hash
}

func (c Checkpoint) text() string {
	return fmt.Sprintf("%s\n%d\n%s\n", c.Origin, c.Size, base64.StdEncoding.EncodeToString(c.Root[:]))
}

// sign returns c as a signed note.
func (s *Signer) sign(c Checkpoint) (string, error) {
	b, err := note.Sign(&note.Note{Text: c.text()}, s.signer)
	if err != nil {
		return "", fmt.Errorf("checkpoint: sign: %w", err)
	}
	return string(b), nil
}

// Open checks a signed checkpoint against verifierKey and parses it.
func Open(signed, verifierKey string) (Checkpoint, error) {
	v, err := note.NewVerifier(verifierKey)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("the verifier key is not a signed-note key: %v", err)
	}
	n, err := note.Open([]byte(signed), note.VerifierList(v))
	if err != nil {
		return Checkpoint{}, fmt.Errorf("the checkpoint is not signed by the key %s: %v", verifierKey, err)
	}
	return parseText(n.Text)
}

// unverified parses a signed checkpoint's text without checking its
// signature, for a verifier that has no key.
func unverified(signed string) (Checkpoint, error) {
	i := strings.Index(signed, "\n\n")
	if i < 0 {
		return Checkpoint{}, fmt.Errorf("the checkpoint is not a signed note")
	}
	return parseText(signed[:i+1])
}

// parseText reads a tlog-checkpoint body: origin, size, root.
func parseText(text string) (Checkpoint, error) {
	lines := strings.Split(text, "\n")
	if len(lines) < 4 {
		return Checkpoint{}, fmt.Errorf("the checkpoint's text is not origin, size and root")
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 {
		return Checkpoint{}, fmt.Errorf("the checkpoint's size %q is not a number", lines[1])
	}
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != tlog.HashSize {
		return Checkpoint{}, fmt.Errorf("the checkpoint's root is not a base64 SHA-256 hash")
	}
	c := Checkpoint{Origin: lines[0], Size: size}
	copy(c.Root[:], root)
	return c, nil
}

// statementPrefix begins every other statement the audit key signs (a
// backup's manifest, an erasure): no checkpoint's text starts with it, so
// no signed statement can be taken for a checkpoint, nor one kind of
// statement for another (each names its kind on the first line).
const statementPrefix = "strongroom-statement "

// SignStatement signs a statement of kind (one word) with body as a
// signed note: the first line "strongroom-statement <kind>", then body.
func (s *Signer) SignStatement(kind, body string) (string, error) {
	if kind == "" || strings.ContainsAny(kind, " \n") {
		return "", fmt.Errorf("checkpoint: a statement's kind is one word")
	}
	if !strings.HasSuffix(body, "\n") {
		body += "\n"
	}
	b, err := note.Sign(&note.Note{Text: statementPrefix + kind + "\n" + body}, s.signer)
	if err != nil {
		return "", fmt.Errorf("checkpoint: sign: %w", err)
	}
	return string(b), nil
}

// OpenStatement checks a signed statement of kind against verifierKey and
// returns its body.
func OpenStatement(signed []byte, kind, verifierKey string) (string, error) {
	v, err := note.NewVerifier(verifierKey)
	if err != nil {
		return "", fmt.Errorf("the verifier key is not a signed-note key: %v", err)
	}
	n, err := note.Open(signed, note.VerifierList(v))
	if err != nil {
		return "", fmt.Errorf("not signed by the key %s: %v", verifierKey, err)
	}
	head := statementPrefix + kind + "\n"
	if !strings.HasPrefix(n.Text, head) {
		return "", fmt.Errorf("not a signed %s", kind)
	}
	return strings.TrimPrefix(n.Text, head), nil
}
