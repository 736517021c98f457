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

// aadPrefix names the scheme in the associated data.
const aadPrefix = "strongroom/field/v1|"

// aadLen is the length of p's associated data.
func (p Place) aadLen() int { return len(aadPrefix) + len(p.Table) + len(p.Column) + len(p.Row) + 2 }

// appendAAD appends p's associated data to b.
func (p Place) appendAAD(b []byte) []byte {
	b = append(b, aadPrefix...)
	b = append(b, p.Table...)
	b = append(b, '|')
	b = append(b, p.Column...)
	b = append(b, '|')
	return append(b, p.Row...)
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
	// One allocation holds the sealed value and, after it, the associated
	// data (a list page opens hundreds of fields).
	size := 1 + ns + len(plaintext) + aead.Overhead()
	buf := make([]byte, 1+ns, size+p.aadLen())
	buf[0] = version
	rand.Read(buf[1:])
	aad := p.appendAAD(buf[size:size])
	return aead.Seal(buf, buf[1:1+ns], plaintext, aad)[:size:size], nil
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
	// One allocation holds the associated data and, after it, the
	// plaintext.
	n := p.aadLen()
	aad := p.appendAAD(make([]byte, 0, n+len(sealed)-1-ns-aead.Overhead()))
	pt, err := aead.Open(aad[n:], sealed[1:1+ns], sealed[1+ns:], aad)
	if err != nil {
		return nil, ErrOpen
	}
	return pt, nil
}
