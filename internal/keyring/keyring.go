// Package keyring is the only holder of key bytes in Strongroom.
//
// A Keyring holds the master key (key-encryption key, KEK) in one or more
// numbered terms; the newest term wraps new data keys and older terms stay
// for unwrapping, so rotation never needs downtime. Each data subject (a
// customer, a user) has its own data key (DEK), stored only wrapped by the
// KEK with the subject's id as associated data, so a wrapped key moved to
// another subject fails to open. Blind-index keys are derived from the
// master key with HKDF and are never data keys.
//
// The master key never enters the database: the file provider keeps it in
// a 0600 file beside, not inside, the data.
package keyring

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"
)

const (
	keySize        = 32 // AES-256
	wrapVersion    = 1
	wrapHeaderSize = 1 + 4 // version | KEK term
)

// Keyring is immutable once built; AddTerm returns a new one.
type Keyring struct {
	terms  map[uint32][]byte
	active uint32
	aeads  map[uint32]cipher.AEAD
}

// New builds a keyring from master-key terms. The highest term is active.
func New(terms map[uint32][]byte) (*Keyring, error) {
	if len(terms) == 0 {
		return nil, errors.New("keyring: no master key terms")
	}
	kr := &Keyring{terms: map[uint32][]byte{}, aeads: map[uint32]cipher.AEAD{}}
	for term, key := range terms {
		if len(key) != keySize {
			return nil, fmt.Errorf("keyring: master key term %d is %d bytes, want %d", term, len(key), keySize)
		}
		if term == 0 {
			return nil, errors.New("keyring: term 0 is reserved")
		}
		k := slices.Clone(key)
		aead, err := newGCM(k)
		if err != nil {
			return nil, err
		}
		kr.terms[term] = k
		kr.aeads[term] = aead
		kr.active = max(kr.active, term)
	}
	return kr, nil
}

// Generate returns a keyring with one fresh random term.
func Generate() (*Keyring, error) {
	return New(map[uint32][]byte{1: randomKey()})
}

// ActiveTerm is the term that wraps new data keys.
func (kr *Keyring) ActiveTerm() uint32 { return kr.active }

// AddTerm returns a clone of kr with a new random active term. kr is unchanged.
func (kr *Keyring) AddTerm() (*Keyring, error) {
	terms := make(map[uint32][]byte, len(kr.terms)+1)
	for t, k := range kr.terms {
		terms[t] = k
	}
	terms[kr.active+1] = randomKey()
	return New(terms)
}

// Close overwrites the key bytes held by kr. kr must not be used afterwards.
func (kr *Keyring) Close() {
	for _, k := range kr.terms {
		clear(k)
	}
	kr.aeads = nil
}

// DataKey is one subject's unwrapped data key, usable only as an AEAD.
type DataKey struct {
	aead cipher.AEAD
}

// AEAD is the AES-256-GCM cipher for the key. Only fieldcrypt calls it.
func (k DataKey) AEAD() cipher.AEAD { return k.aead }

// Valid reports whether k holds a key.
func (k DataKey) Valid() bool { return k.aead != nil }

// NewDataKey makes a fresh data key for subject and returns it with its
// wrapped form (version | KEK term | nonce | ciphertext+tag), the only form
// that may be stored.
func (kr *Keyring) NewDataKey(subject string) (DataKey, []byte, error) {
	raw := randomKey()
	defer clear(raw)
	aead, err := newGCM(raw)
	if err != nil {
		return DataKey{}, nil, err
	}
	kek := kr.aeads[kr.active]
	out := make([]byte, wrapHeaderSize, wrapHeaderSize+kek.NonceSize()+keySize+kek.Overhead())
	out[0] = wrapVersion
	binary.BigEndian.PutUint32(out[1:], kr.active)
	nonce := make([]byte, kek.NonceSize())
	rand.Read(nonce)
	out = append(out, nonce...)
	out = kek.Seal(out, nonce, raw, wrapAAD(subject))
	return DataKey{aead: aead}, out, nil
}

// ErrUnwrap means a wrapped data key could not be opened: wrong subject,
// unknown term, or tampered bytes.
var ErrUnwrap = errors.New("keyring: data key does not open")

// OpenDataKey unwraps subject's data key.
func (kr *Keyring) OpenDataKey(subject string, wrapped []byte) (DataKey, error) {
	if len(wrapped) < wrapHeaderSize || wrapped[0] != wrapVersion {
		return DataKey{}, ErrUnwrap
	}
	kek, ok := kr.aeads[binary.BigEndian.Uint32(wrapped[1:])]
	if !ok {
		return DataKey{}, ErrUnwrap
	}
	body := wrapped[wrapHeaderSize:]
	if len(body) < kek.NonceSize()+kek.Overhead() {
		return DataKey{}, ErrUnwrap
	}
	raw, err := kek.Open(nil, body[:kek.NonceSize()], body[kek.NonceSize():], wrapAAD(subject))
	if err != nil || len(raw) != keySize {
		return DataKey{}, ErrUnwrap
	}
	defer clear(raw)
	aead, err := newGCM(raw)
	if err != nil {
		return DataKey{}, err
	}
	return DataKey{aead: aead}, nil
}

// WrappedTerm is the KEK term a wrapped data key was sealed under, for
// re-wrapping after rotation.
func WrappedTerm(wrapped []byte) uint32 {
	if len(wrapped) < wrapHeaderSize {
		return 0
	}
	return binary.BigEndian.Uint32(wrapped[1:])
}

// DeriveKey derives a 32-byte key for purpose (e.g. "blind-index/customer.email")
// from the first master-key term, so derived keys survive KEK rotation.
// Derived keys are never data keys and never wrap anything.
func (kr *Keyring) DeriveKey(purpose string) []byte {
	first := slices.Min(slices.Collect(maps.Keys(kr.terms)))
	k, err := hkdf.Key(sha256.New, kr.terms[first], nil, "strongroom/v1/"+purpose, keySize)
	if err != nil { // only possible for absurd lengths
		panic(err)
	}
	return k
}

func wrapAAD(subject string) []byte { return []byte("strongroom/dek/v1|" + subject) }

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	return cipher.NewGCM(block)
}

func randomKey() []byte {
	k := make([]byte, keySize)
	rand.Read(k) // never fails on supported platforms (Go >= 1.24)
	return k
}
