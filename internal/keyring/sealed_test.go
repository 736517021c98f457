package keyring

import (
	"bytes"
	"errors"
	"testing"
)

func TestSealedNoteFormats(t *testing.T) {
	alice, err := NewSealKey()
	if err != nil {
		t.Fatal(err)
	}
	bob, _ := NewSealKey()
	key := NewNoteKey()
	ct, nonce, err := SealNote(key, "snt_1", []byte("private words"))
	if err != nil {
		t.Fatal(err)
	}
	env, err := SealEnvelope(key, alice.PublicKey().Bytes(), "snt_1", "usr_a")
	if err != nil {
		t.Fatal(err)
	}
	if len(env) != EnvelopeSize || CheckEnvelope(env) != nil {
		t.Fatalf("envelope of %d bytes, check %v", len(env), CheckEnvelope(env))
	}
	got, err := OpenEnvelope(alice, env, "snt_1", "usr_a")
	if err != nil || !bytes.Equal(got, key) {
		t.Fatalf("open envelope: %v", err)
	}
	body, err := OpenNote(got, "snt_1", ct, nonce)
	if err != nil || string(body) != "private words" {
		t.Fatalf("open note: %q %v", body, err)
	}
	flip := func(b []byte, i int) []byte { c := bytes.Clone(b); c[i] ^= 1; return c }
	for name, try := range map[string]func() error{
		"other recipient's key":                 func() error { _, err := OpenEnvelope(bob, env, "snt_1", "usr_a"); return err },
		"envelope moved to another note":        func() error { _, err := OpenEnvelope(alice, env, "snt_2", "usr_a"); return err },
		"envelope claimed by another recipient": func() error { _, err := OpenEnvelope(alice, env, "snt_1", "usr_b"); return err },
		"tampered envelope":                     func() error { _, err := OpenEnvelope(alice, flip(env, len(env)-1), "snt_1", "usr_a"); return err },
		"truncated envelope":                    func() error { _, err := OpenEnvelope(alice, env[:100], "snt_1", "usr_a"); return err },
		"tampered ciphertext":                   func() error { _, err := OpenNote(key, "snt_1", flip(ct, 0), nonce); return err },
		"ciphertext moved to another note":      func() error { _, err := OpenNote(key, "snt_2", ct, nonce); return err },
		"wrong note key":                        func() error { _, err := OpenNote(NewNoteKey(), "snt_1", ct, nonce); return err },
	} {
		t.Run(name, func(t *testing.T) {
			if err := try(); !errors.Is(err, ErrSealOpen) {
				t.Fatalf("got %v, want ErrSealOpen", err)
			}
		})
	}
	if CheckSealPublicKey(bytes.Repeat([]byte{4}, 65)) == nil {
		t.Fatal("a point off the curve passed")
	}
}

func TestSealKeyWrapping(t *testing.T) {
	priv, _ := NewSealKey()
	w, err := WrapSealKey(priv, "correct horse", "usr_a")
	if err != nil {
		t.Fatal(err)
	}
	got, err := UnwrapSealKey(w, "correct horse", "usr_a")
	if err != nil || !got.Equal(priv) {
		t.Fatalf("unwrap: %v", err)
	}
	if _, err := UnwrapSealKey(w, "wrong horse", "usr_a"); !errors.Is(err, ErrSealOpen) {
		t.Fatalf("wrong passphrase: %v", err)
	}
	if _, err := UnwrapSealKey(w, "correct horse", "usr_b"); !errors.Is(err, ErrSealOpen) {
		t.Fatalf("another user's row: %v", err)
	}
}

func TestRecoveryKeyPEM(t *testing.T) {
	priv, _ := NewSealKey()
	p, q, err := MarshalRecoveryKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseRecoveryPrivateKey(p)
	if err != nil || !back.Equal(priv) {
		t.Fatalf("private: %v", err)
	}
	pub, err := ParseRecoveryPublicKey(q)
	if err != nil || !bytes.Equal(pub, priv.PublicKey().Bytes()) {
		t.Fatalf("public: %v", err)
	}
	if _, err := ParseRecoveryPrivateKey(q); err == nil {
		t.Fatal("a public key read as private")
	}
}
