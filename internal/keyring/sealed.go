package keyring

// Sealed notes (end to end). The browser (static/sealed.js, WebCrypto) does
// this work for staff; this Go implementation of the same formats serves
// the tests, the demo and the offline recovery command. The server itself
// only checks shapes (CheckSealPublicKey, CheckEnvelope): it never holds a
// key that opens a note.
//
//   - A note's body: AES-256-GCM under a random 32-byte note key, 12-byte
//     random nonce, associated data "strongroom/sealed-note/v1|<note id>".
//   - An envelope (the note key for one recipient): an ephemeral ECDH P-256
//     key pair; the shared secret (the x coordinate, 32 bytes) through
//     HKDF-SHA256 with the ephemeral public key as salt and
//     "strongroom/sealed-envelope/v1|<note id>|<recipient id>" as info gives
//     an AES-256-GCM key that wraps the note key, with the same string as
//     associated data. Layout: 0x01 | ephemeral public key (65, uncompressed)
//     | nonce (12) | wrapped key and tag (48) = 126 bytes.
//   - A staff member's private key: its JWK, AES-256-GCM under a key derived
//     by PBKDF2-SHA256 from their passphrase (SealKDFIterations, 16-byte
//     salt), associated data "strongroom/seal-key/v1|<user id>".
//   - The recovery key pair: PKCS#8 and PKIX PEM files.

import (
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
)

const (
	// SealKDFIterations is PBKDF2-SHA256's iteration count for a seal key's
	// passphrase (OWASP's recommendation, 2023).
	SealKDFIterations = 600_000
	// SealKDF names the passphrase KDF as stored with the key.
	SealKDF = "PBKDF2-SHA256"
	// SealPublicKeySize is an uncompressed P-256 point.
	SealPublicKeySize = 65
	// EnvelopeSize is the size of every envelope.
	EnvelopeSize    = 1 + SealPublicKeySize + 12 + keySize + 16
	envelopeVersion = 1
	// NoteNonceSize is the nonce of a note's body.
	NoteNonceSize = 12
	// RecoveryRecipient is the recipient id of the organisation's recovery key.
	RecoveryRecipient = "recovery"
)

// ErrSealOpen is any failure to open a sealed value: wrong key, wrong
// passphrase, tampered ciphertext or envelope, or one moved elsewhere.
var ErrSealOpen = errors.New("keyring: sealed value does not open (wrong key, or tampered)")

func noteAAD(noteID string) []byte { return []byte("strongroom/sealed-note/v1|" + noteID) }

func envelopeInfo(noteID, recipientID string) string {
	return "strongroom/sealed-envelope/v1|" + noteID + "|" + recipientID
}

func sealKeyAAD(userID string) []byte { return []byte("strongroom/seal-key/v1|" + userID) }

// CheckSealPublicKey refuses what is not an uncompressed P-256 point on the curve.
func CheckSealPublicKey(pub []byte) error {
	if len(pub) != SealPublicKeySize || pub[0] != 4 {
		return errors.New("a seal public key is an uncompressed P-256 point (65 bytes)")
	}
	if _, err := ecdh.P256().NewPublicKey(pub); err != nil {
		return errors.New("the seal public key is not a point on P-256")
	}
	return nil
}

// CheckEnvelope refuses what is not shaped as an envelope: its size,
// version and ephemeral public key. Whether it opens only its recipient
// can tell.
func CheckEnvelope(env []byte) error {
	if len(env) != EnvelopeSize || env[0] != envelopeVersion {
		return fmt.Errorf("an envelope is %d bytes of version %d", EnvelopeSize, envelopeVersion)
	}
	return CheckSealPublicKey(env[1 : 1+SealPublicKeySize])
}

// NewSealKey makes a P-256 key pair for sealed notes.
func NewSealKey() (*ecdh.PrivateKey, error) { return ecdh.P256().GenerateKey(rand.Reader) }

// NewNoteKey makes a random note key.
func NewNoteKey() []byte { return randomKey() }

// SealNote encrypts a note's body under noteKey, bound to noteID.
func SealNote(noteKey []byte, noteID string, plaintext []byte) (ciphertext, nonce []byte, err error) {
	aead, err := newGCM(noteKey)
	if err != nil {
		return nil, nil, err
	}
	nonce = make([]byte, NoteNonceSize)
	rand.Read(nonce)
	return aead.Seal(nil, nonce, plaintext, noteAAD(noteID)), nonce, nil
}

// OpenNote decrypts a note's body.
func OpenNote(noteKey []byte, noteID string, ciphertext, nonce []byte) ([]byte, error) {
	if len(noteKey) != keySize || len(nonce) != NoteNonceSize || len(ciphertext) < 16 {
		return nil, ErrSealOpen
	}
	aead, err := newGCM(noteKey)
	if err != nil {
		return nil, err
	}
	out, err := aead.Open(nil, nonce, ciphertext, noteAAD(noteID))
	if err != nil {
		return nil, ErrSealOpen
	}
	return out, nil
}

func envelopeKey(shared, ephemeral []byte, info string) (cipher.AEAD, error) {
	k, err := hkdf.Key(sha256.New, shared, ephemeral, info, keySize)
	if err != nil {
		return nil, err
	}
	return newGCM(k)
}

// SealEnvelope wraps noteKey to the recipient's public key, bound to the
// note and the recipient.
func SealEnvelope(noteKey, recipientPub []byte, noteID, recipientID string) ([]byte, error) {
	if len(noteKey) != keySize {
		return nil, errors.New("keyring: a note key is 32 bytes")
	}
	pub, err := ecdh.P256().NewPublicKey(recipientPub)
	if err != nil {
		return nil, fmt.Errorf("keyring: recipient key: %w", err)
	}
	eph, err := NewSealKey()
	if err != nil {
		return nil, err
	}
	shared, err := eph.ECDH(pub)
	if err != nil {
		return nil, err
	}
	ephPub := eph.PublicKey().Bytes()
	info := envelopeInfo(noteID, recipientID)
	aead, err := envelopeKey(shared, ephPub, info)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, 12)
	rand.Read(nonce)
	out := append([]byte{envelopeVersion}, ephPub...)
	out = append(out, nonce...)
	return aead.Seal(out, nonce, noteKey, []byte(info)), nil
}

// OpenEnvelope unwraps a note key with the recipient's private key.
func OpenEnvelope(priv *ecdh.PrivateKey, env []byte, noteID, recipientID string) ([]byte, error) {
	if CheckEnvelope(env) != nil {
		return nil, ErrSealOpen
	}
	ephPub := env[1 : 1+SealPublicKeySize]
	pub, err := ecdh.P256().NewPublicKey(ephPub)
	if err != nil {
		return nil, ErrSealOpen
	}
	shared, err := priv.ECDH(pub)
	if err != nil {
		return nil, ErrSealOpen
	}
	info := envelopeInfo(noteID, recipientID)
	aead, err := envelopeKey(shared, ephPub, info)
	if err != nil {
		return nil, err
	}
	nonce := env[1+SealPublicKeySize : 1+SealPublicKeySize+12]
	key, err := aead.Open(nil, nonce, env[1+SealPublicKeySize+12:], []byte(info))
	if err != nil {
		return nil, ErrSealOpen
	}
	return key, nil
}

// sealJWK is a P-256 private key as WebCrypto imports and exports it.
type sealJWK struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
	D   string `json:"d"`
}

// WrappedSealKey is a private key encrypted under a passphrase.
type WrappedSealKey struct {
	PrivateCT  []byte
	Nonce      []byte
	Salt       []byte
	Iterations int
}

func passphraseKey(passphrase string, salt []byte, iterations int) (cipher.AEAD, error) {
	if iterations < 100_000 || iterations > 10_000_000 || len(salt) < 16 {
		return nil, errors.New("keyring: unreasonable passphrase KDF parameters")
	}
	k, err := pbkdf2.Key(sha256.New, passphrase, salt, iterations, keySize)
	if err != nil {
		return nil, err
	}
	return newGCM(k)
}

// WrapSealKey encrypts priv (as its JWK, the browser's format) under a key
// derived from passphrase, bound to userID.
func WrapSealKey(priv *ecdh.PrivateKey, passphrase, userID string) (WrappedSealKey, error) {
	w := WrappedSealKey{Salt: make([]byte, 16), Nonce: make([]byte, 12), Iterations: SealKDFIterations}
	rand.Read(w.Salt)
	rand.Read(w.Nonce)
	aead, err := passphraseKey(passphrase, w.Salt, w.Iterations)
	if err != nil {
		return w, err
	}
	pub := priv.PublicKey().Bytes()
	b64 := base64.RawURLEncoding.EncodeToString
	jwk, err := json.Marshal(sealJWK{Kty: "EC", Crv: "P-256", X: b64(pub[1:33]), Y: b64(pub[33:65]), D: b64(priv.Bytes())})
	if err != nil {
		return w, err
	}
	w.PrivateCT = aead.Seal(nil, w.Nonce, jwk, sealKeyAAD(userID))
	return w, nil
}

// UnwrapSealKey opens a private key wrapped by WrapSealKey or by the browser.
func UnwrapSealKey(w WrappedSealKey, passphrase, userID string) (*ecdh.PrivateKey, error) {
	aead, err := passphraseKey(passphrase, w.Salt, w.Iterations)
	if err != nil {
		return nil, err
	}
	if len(w.Nonce) != 12 {
		return nil, ErrSealOpen
	}
	jwk, err := aead.Open(nil, w.Nonce, w.PrivateCT, sealKeyAAD(userID))
	if err != nil {
		return nil, ErrSealOpen
	}
	var k sealJWK
	if err := json.Unmarshal(jwk, &k); err != nil || k.Kty != "EC" || k.Crv != "P-256" {
		return nil, ErrSealOpen
	}
	d, err := base64.RawURLEncoding.DecodeString(k.D)
	if err != nil {
		return nil, ErrSealOpen
	}
	priv, err := ecdh.P256().NewPrivateKey(d)
	if err != nil {
		return nil, ErrSealOpen
	}
	return priv, nil
}

// MarshalRecoveryKey writes the recovery key pair as PEM: the private half
// (PKCS#8) and the public half (PKIX).
func MarshalRecoveryKey(priv *ecdh.PrivateKey) (private, public []byte, err error) {
	p8, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, nil, err
	}
	pk, err := x509.MarshalPKIXPublicKey(priv.PublicKey())
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p8}), pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pk}), nil
}

// ParseRecoveryPrivateKey reads the private half written by MarshalRecoveryKey.
func ParseRecoveryPrivateKey(data []byte) (*ecdh.PrivateKey, error) {
	b, _ := pem.Decode(data)
	if b == nil || b.Type != "PRIVATE KEY" {
		return nil, errors.New("keyring: not a PEM private key")
	}
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("keyring: recovery private key: %w", err)
	}
	switch k := k.(type) {
	case *ecdh.PrivateKey:
		if k.Curve() == ecdh.P256() {
			return k, nil
		}
	case interface {
		ECDH() (*ecdh.PrivateKey, error)
	}:
		if e, err := k.ECDH(); err == nil && e.Curve() == ecdh.P256() {
			return e, nil
		}
	}
	return nil, errors.New("keyring: the recovery key is not a P-256 key")
}

// ParseRecoveryPublicKey reads the public half written by MarshalRecoveryKey
// and returns it as an uncompressed point.
func ParseRecoveryPublicKey(data []byte) ([]byte, error) {
	b, _ := pem.Decode(data)
	if b == nil || b.Type != "PUBLIC KEY" {
		return nil, errors.New("keyring: not a PEM public key")
	}
	k, err := x509.ParsePKIXPublicKey(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("keyring: recovery public key: %w", err)
	}
	var pub []byte
	switch k := k.(type) {
	case *ecdh.PublicKey:
		pub = k.Bytes()
	case interface {
		ECDH() (*ecdh.PublicKey, error)
	}:
		e, err := k.ECDH()
		if err != nil {
			return nil, err
		}
		pub = e.Bytes()
	}
	if err := CheckSealPublicKey(pub); err != nil {
		return nil, fmt.Errorf("keyring: recovery public key: %w", err)
	}
	return pub, nil
}
