// Package fieldcrypt seals and opens single field values under a subject's
// data key, and computes blind indexes for exact-match search.
//
// A sealed value is version(1) | nonce(12) | ciphertext+tag, encrypted with
// AES-256-GCM; the associated data binds it to its table, column and row, so
// a ciphertext copied to another row, column or table does not open.
package fieldcrypt

import (
	"crypto/rand"
	"errors"
	"strings"

	"strongroom.dev/strongroom/internal/keyring"
)

const version = 1

// ErrOpen means a sealed value did not open: wrong key, wrong place, or
// tampered bytes. It never says which.
var ErrOpen = errors.New("fieldcrypt: value does not open")

// Place is where a sealed value lives; it is the associated data.
type Place struct {
	Table, Column, Row string
}

func (p Place) aad() []byte {
	var b strings.Builder
	b.Grow(len(p.Table) + len(p.Column) + len(p.Row) + 24)
	b.WriteString("strongroom/field/v1|")
	b.WriteString(p.Table)
	b.WriteByte('|')
	b.WriteString(p.Column)
	b.WriteByte('|')
	b.WriteString(p.Row)
	return []byte(b.String())
}

// Seal encrypts plaintext for place under key. The empty string seals to
// nil so that absent values stay absent (and reveal only their absence).
func Seal(key keyring.DataKey, p Place, plaintext string) ([]byte, error) {
	return SealBytes(key, p, []byte(plaintext))
}

// Open decrypts a value sealed by Seal for the same place.
func Open(key keyring.DataKey, p Place, sealed []byte) (string, error) {
	b, err := OpenBytes(key, p, sealed)
	return string(b), err
}

// SealBytes is Seal for binary data, such as an attachment.
func SealBytes(key keyring.DataKey, p Place, plaintext []byte) ([]byte, error) {
	if len(plaintext) == 0 {
		return nil, nil
	}
	if !key.Valid() {
		return nil, errors.New("fieldcrypt: no data key")
	}
	aead := key.AEAD()
	ns := aead.NonceSize()
	out := make([]byte, 1+ns, 1+ns+len(plaintext)+aead.Overhead())
	out[0] = version
	rand.Read(out[1:])
	return aead.Seal(out, out[1:1+ns], plaintext, p.aad()), nil
}

// OpenBytes decrypts a value sealed by SealBytes for the same place.
func OpenBytes(key keyring.DataKey, p Place, sealed []byte) ([]byte, error) {
	if len(sealed) == 0 {
		return nil, nil
	}
	if !key.Valid() {
		return nil, ErrOpen
	}
	aead := key.AEAD()
	ns := aead.NonceSize()
	if sealed[0] != version || len(sealed) < 1+ns+aead.Overhead() {
		return nil, ErrOpen
	}
	pt, err := aead.Open(nil, sealed[1:1+ns], sealed[1+ns:], p.aad())
	if err != nil {
		return nil, ErrOpen
	}
	return pt, nil
}
