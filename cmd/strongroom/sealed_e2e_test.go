package main_test

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"strongroom.dev/strongroom/internal/e2e"
	"strongroom.dev/strongroom/internal/keyring"
)

// TestSealedRecoveryCommands: keys recovery-init makes the recovery key
// pair offline (private file 0600, never overwritten), recovery-set gives
// the server only the public half (a private file is refused), and
// recovery-open opens a note a counsellor sealed through the API, with
// the private file, on the host; the database never holds the private
// half nor the plaintext, and the recovery is audited.
func TestSealedRecoveryCommands(t *testing.T) {
	data := t.TempDir()
	storage := []string{"--data", data}
	keys := filepath.Join(t.TempDir(), "offline")

	if code, out, errOut := e2e.Run(t, "", "keys", "recovery-init", "--out", keys); code != 0 || !strings.Contains(out, "keep it offline") {
		t.Fatalf("recovery-init: exit %d\n%s%s", code, out, errOut)
	}
	privPath, pubPath := filepath.Join(keys, "seal-recovery.key"), filepath.Join(keys, "seal-recovery.pub")
	if fi, err := os.Stat(privPath); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("private file: %v %v", err, fi)
	}
	privPEM, _ := os.ReadFile(privPath)
	if code, _, errOut := e2e.Run(t, "", "keys", "recovery-init", "--out", keys); code == 0 || !strings.Contains(errOut, "never overwritten") {
		t.Fatalf("a second recovery-init over the first: exit %d %s", code, errOut)
	}
	if again, _ := os.ReadFile(privPath); !bytes.Equal(again, privPEM) {
		t.Fatal("the private key was overwritten")
	}
	if code, _, errOut := e2e.Run(t, "", append([]string{"keys", "recovery-set", "--public", privPath}, storage...)...); code == 0 || !strings.Contains(errOut, "only the public file") {
		t.Fatalf("recovery-set with the private file: exit %d %s", code, errOut)
	}

	e2e.AddUser(t, storage, "admin@example.com", "admin")
	e2e.AddUser(t, storage, "ann@example.com", "counsellor")
	s := e2e.Start(t, storage)
	if code, out, errOut := e2e.Run(t, "", append([]string{"keys", "recovery-set", "--public", pubPath}, storage...)...); code != 0 {
		t.Fatalf("recovery-set: exit %d\n%s%s", code, out, errOut)
	}

	// A counsellor seals a note (the browser's formats, in Go).
	tok := s.Login(t, "ann@example.com", e2e.Password)
	me := s.Do(t, "GET", "/api/v1/me", tok, nil)
	uid := me.Str("user_id")
	c := s.Do(t, "POST", "/api/v1/customers", tok, map[string]any{"name": "Lin Mei"})
	if c.Status != 201 {
		t.Fatalf("customer: %d %s", c.Status, c.Body)
	}
	priv, _ := keyring.NewSealKey()
	w, _ := keyring.WrapSealKey(priv, "ann's passphrase", uid)
	if r := s.Do(t, "PUT", "/api/v1/me/seal-key", tok, map[string]any{"public_key": priv.PublicKey().Bytes(), "private_ct": w.PrivateCT, "private_nonce": w.Nonce,
		"kdf": keyring.SealKDF, "kdf_salt": w.Salt, "kdf_iterations": w.Iterations}); r.Status != 204 {
		t.Fatalf("seal key: %d %s", r.Status, r.Body)
	}
	rs := s.Do(t, "GET", "/api/v1/customers/"+c.Str("id")+"/sealed-recipients", tok, nil)
	pubPEM, _ := os.ReadFile(pubPath)
	recoveryPub, err := keyring.ParseRecoveryPublicKey(pubPEM)
	if err != nil || rs.Status != 200 || !strings.Contains(string(rs.Body), `"id":"recovery"`) {
		t.Fatalf("recipients: %v %d %s", err, rs.Status, rs.Body)
	}
	b := make([]byte, 16)
	rand.Read(b)
	id := "snt_" + hex.EncodeToString(b)
	plain := "recoverable words " + hex.EncodeToString(b[:4])
	key := keyring.NewNoteKey()
	ct, nonce, _ := keyring.SealNote(key, id, []byte(plain))
	envMe, _ := keyring.SealEnvelope(key, priv.PublicKey().Bytes(), id, uid)
	envRec, _ := keyring.SealEnvelope(key, recoveryPub, id, "recovery")
	if r := s.Do(t, "POST", "/api/v1/customers/"+c.Str("id")+"/sealed-notes", tok, map[string]any{"id": id, "ciphertext": ct, "nonce": nonce,
		"envelopes": map[string][]byte{uid: envMe, "recovery": envRec}}); r.Status != 201 {
		t.Fatalf("note: %d %s", r.Status, r.Body)
	}

	if code, _, errOut := e2e.Run(t, "", append([]string{"keys", "recovery-open", "--private", privPath, "--note", id}, storage...)...); code != 2 || !strings.Contains(errOut, "--reason") {
		t.Fatalf("recovery-open without a reason: exit %d %s", code, errOut)
	}
	code, out, errOut := e2e.Run(t, "", append([]string{"keys", "recovery-open", "--private", privPath, "--note", id, "--reason", "counsellor left; client asked for their file"}, storage...)...)
	if code != 0 || strings.TrimSpace(out) != plain {
		t.Fatalf("recovery-open: exit %d %q %s", code, out, errOut)
	}
	// --out writes a new file of mode 0600 and never an existing one.
	outFile := filepath.Join(t.TempDir(), "recovered.txt")
	openTo := append([]string{"keys", "recovery-open", "--private", privPath, "--note", id, "--reason", "a copy for the client", "--out", outFile}, storage...)
	if code, _, errOut := e2e.Run(t, "", openTo...); code != 0 {
		t.Fatalf("recovery-open --out: exit %d %s", code, errOut)
	}
	if b, err := os.ReadFile(outFile); err != nil || string(b) != plain {
		t.Fatalf("recovery-open --out wrote %q, %v", b, err)
	}
	if fi, err := os.Stat(outFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("recovery-open --out: mode %v, %v", fi.Mode(), err)
	}
	if code, _, errOut := e2e.Run(t, "", openTo...); code == 0 || !strings.Contains(errOut, "must name a new file") {
		t.Fatalf("recovery-open --out over an existing file: exit %d %s", code, errOut)
	}
	other := filepath.Join(t.TempDir(), "other")
	e2e.Run(t, "", "keys", "recovery-init", "--out", other)
	if code, _, errOut := e2e.Run(t, "", append([]string{"keys", "recovery-open", "--private", filepath.Join(other, "seal-recovery.key"), "--note", id, "--reason", "test"}, storage...)...); code == 0 || !strings.Contains(errOut, "does not open") {
		t.Fatalf("recovery-open with another key: exit %d %s", code, errOut)
	}

	admin := s.Login(t, "admin@example.com", e2e.Password)
	if r := s.Do(t, "GET", "/api/v1/audit?action=sealed.recovery_open&limit=10", admin, nil); r.Status != 200 || !strings.Contains(string(r.Body), "counsellor left") {
		t.Fatalf("the recovery is not in the audit log: %d %s", r.Status, r.Body)
	}
	db, _ := os.ReadFile(filepath.Join(data, "strongroom.db"))
	wal, _ := os.ReadFile(filepath.Join(data, "strongroom.db-wal"))
	all := append(db, wal...)
	if !bytes.Contains(all, []byte(id)) {
		t.Fatal("control: the note id is not in the database files")
	}
	d, _ := keyring.ParseRecoveryPrivateKey(privPEM)
	for what, v := range map[string][]byte{"plaintext": []byte(plain), "recovery private key": d.Bytes(), "recovery private PEM": privPEM[30:80]} {
		if bytes.Contains(all, v) {
			t.Errorf("the %s is in the database", what)
		}
	}
}
