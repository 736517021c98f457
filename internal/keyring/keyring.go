// Package keyring is the only holder of key bytes in Strongroom.
//
// A Keyring wraps and unwraps data keys through a Custody: the provider
// that holds the master key (key-encryption key, KEK) in one or more
// numbered terms. The newest term wraps new data keys and older terms stay
// for unwrapping, so rotation never needs downtime; a background job
// (internal/rewrap) re-wraps every data key to the newest term, after which
// old terms can be retired. Custody providers: the key file (file.go), a
// passphrase (passphrase.go, argon2id) and a PKCS#11 token (pkcs11.go),
// where the master key never leaves the token.
//
// Each data subject (a customer, a user) has its own data key (DEK), stored
// only wrapped by the KEK with the subject's id as associated data, so a
// wrapped key moved to another subject fails to open. Unwrapped data keys
// may be kept in a bounded cache (cache.go) so that a slow custody (an HSM)
// is not asked on every read. Blind-index keys are derived from an index
// root the custody keeps apart from the terms, and are never data keys.
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
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

const (
	keySize        = 32 // AES-256
	wrapVersion    = 1
	wrapHeaderSize = 1 + 4 // version | KEK term
)

// Custody holds the master key's terms and wraps and unwraps data keys
// under them. Key bytes of the master key never leave it (a PKCS#11 token
// keeps them inside the token; the software providers keep them in memory
// only, and clear them on Close).
type Custody interface {
	// Name says which provider this is: "file", "passphrase", "pkcs11", "memory".
	Name() string
	// Terms lists the terms held, ascending.
	Terms() []uint32
	// Wrap seals key under term with aad; the result is what follows the
	// keyring's header (version | term) in a wrapped key.
	Wrap(term uint32, key, aad []byte) ([]byte, error)
	// Unwrap opens what Wrap made; any failure is reported as an error and
	// the keyring answers ErrUnwrap.
	Unwrap(term uint32, body, aad []byte) ([]byte, error)
	// AddTerm makes a new term, one above the highest, and keeps it
	// (in the key file, the passphrase state, the token).
	AddTerm() (uint32, error)
	// RetireTerm destroys a term for good. The keyring checks nothing:
	// callers make sure that nothing is wrapped under it (rewrap.Retire).
	RetireTerm(term uint32) error
	// Reload picks up terms another process added or retired.
	Reload() error
	// IndexRoot is the HKDF pseudorandom key (RFC 5869's PRK) from which
	// blind-index keys are expanded. It survives rotation and retirement.
	IndexRoot() ([]byte, error)
	// Close clears the key bytes held and releases the provider.
	Close()
}

// Keyring wraps and unwraps data keys through its custody. It is safe for
// concurrent use; after a rotation by another process it picks up the new
// term at the first key it cannot place (Reload).
type Keyring struct {
	custody Custody
	active  atomic.Uint32
	index   []byte // IndexRoot, read once
	cache   *Cache // nil: no cache

	reloadMu   sync.Mutex
	lastReload time.Time
}

// Open builds a keyring over custody. The custody's highest term is active.
func Open(c Custody) (*Keyring, error) {
	terms := c.Terms()
	if len(terms) == 0 {
		return nil, errors.New("keyring: no master key terms")
	}
	root, err := c.IndexRoot()
	if err != nil {
		return nil, fmt.Errorf("keyring: index root: %w", err)
	}
	kr := &Keyring{custody: c, index: root}
	kr.active.Store(slices.Max(terms))
	return kr, nil
}

// New builds an in-memory keyring from master-key terms (the "memory"
// custody: tests, restore's check). The highest term is active.
func New(terms map[uint32][]byte) (*Keyring, error) {
	soft, err := newSoftTerms(terms, nil)
	if err != nil {
		return nil, err
	}
	return Open(&memoryCustody{softTerms: soft})
}

// Generate returns an in-memory keyring with one fresh random term.
func Generate() (*Keyring, error) {
	return New(map[uint32][]byte{1: randomKey()})
}

// UseCache makes kr keep up to size unwrapped data keys for ttl each.
// size 0 turns the cache off. Call it before kr is shared.
func (kr *Keyring) UseCache(size int, ttl time.Duration) {
	if size <= 0 {
		kr.cache = nil
		return
	}
	kr.cache = NewCache(size, ttl)
}

// CacheStats reports the cache's size and hits and misses so far.
func (kr *Keyring) CacheStats() CacheStats {
	if kr.cache == nil {
		return CacheStats{}
	}
	return kr.cache.Stats()
}

// Custody names the provider that holds the master key.
func (kr *Keyring) Custody() string { return kr.custody.Name() }

// Terms lists the master key's terms, ascending.
func (kr *Keyring) Terms() []uint32 { return kr.custody.Terms() }

// ActiveTerm is the term that wraps new data keys.
func (kr *Keyring) ActiveTerm() uint32 { return kr.active.Load() }

// Rotate adds a new term to the custody and makes it active.
func (kr *Keyring) Rotate() (uint32, error) {
	term, err := kr.custody.AddTerm()
	if err != nil {
		return 0, fmt.Errorf("keyring: rotate: %w", err)
	}
	kr.active.Store(max(kr.active.Load(), term))
	return term, nil
}

// Retire destroys term in the custody. It refuses the active term; whether
// anything is still wrapped under term is the caller's to check.
func (kr *Keyring) Retire(term uint32) error {
	if term == kr.ActiveTerm() {
		return fmt.Errorf("keyring: term %d is the active term", term)
	}
	if !slices.Contains(kr.custody.Terms(), term) {
		return fmt.Errorf("keyring: there is no term %d", term)
	}
	if err := kr.custody.RetireTerm(term); err != nil {
		return fmt.Errorf("keyring: retire term %d: %w", term, err)
	}
	if kr.cache != nil {
		kr.cache.Purge()
	}
	return nil
}

// Reload asks the custody for terms another process added (a `keys
// rotate` while this server runs) and makes the highest active. It asks
// at most once a second unless force is set.
func (kr *Keyring) Reload(force bool) error {
	kr.reloadMu.Lock()
	defer kr.reloadMu.Unlock()
	if !force && time.Since(kr.lastReload) < time.Second {
		return nil
	}
	kr.lastReload = time.Now()
	if err := kr.custody.Reload(); err != nil {
		return fmt.Errorf("keyring: reload: %w", err)
	}
	if terms := kr.custody.Terms(); len(terms) > 0 {
		kr.active.Store(slices.Max(terms))
	}
	return nil
}

// AddTerm returns a clone of an in-memory kr with a new random active
// term; kr is unchanged. Other custodies rotate with Rotate.
func (kr *Keyring) AddTerm() (*Keyring, error) {
	m, ok := kr.custody.(*memoryCustody)
	if !ok {
		return nil, errors.New("keyring: AddTerm clones in-memory keyrings only; use Rotate")
	}
	terms := m.keys()
	terms[slices.Max(m.Terms())+1] = randomKey()
	soft, err := newSoftTerms(terms, m.root)
	if err != nil {
		return nil, err
	}
	return Open(&memoryCustody{softTerms: soft})
}

// Close overwrites the key bytes held by kr. kr must not be used afterwards.
func (kr *Keyring) Close() {
	if kr.cache != nil {
		kr.cache.Purge()
	}
	clear(kr.index)
	kr.custody.Close()
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
// wrapped form (version | KEK term | custody's body), the only form that
// may be stored.
func (kr *Keyring) NewDataKey(subject string) (DataKey, []byte, error) {
	raw := randomKey()
	defer clear(raw)
	aead, err := newGCM(raw)
	if err != nil {
		return DataKey{}, nil, err
	}
	out, err := kr.wrap(kr.ActiveTerm(), subject, raw)
	if err != nil {
		return DataKey{}, nil, err
	}
	return DataKey{aead: aead}, out, nil
}

func (kr *Keyring) wrap(term uint32, subject string, raw []byte) ([]byte, error) {
	body, err := kr.custody.Wrap(term, raw, wrapAAD(subject))
	if err != nil {
		return nil, fmt.Errorf("keyring: wrap under term %d: %w", term, err)
	}
	out := make([]byte, wrapHeaderSize, wrapHeaderSize+len(body))
	out[0] = wrapVersion
	binary.BigEndian.PutUint32(out[1:], term)
	return append(out, body...), nil
}

// ErrUnwrap means a wrapped data key could not be opened: wrong subject,
// unknown term, or tampered bytes.
var ErrUnwrap = errors.New("keyring: data key does not open")

// OpenDataKey unwraps subject's data key, from the cache when it holds it.
func (kr *Keyring) OpenDataKey(subject string, wrapped []byte) (DataKey, error) {
	if kr.cache != nil {
		if k, ok := kr.cache.Get(subject, wrapped); ok {
			return k, nil
		}
	}
	raw, err := kr.unwrap(subject, wrapped)
	if err != nil {
		return DataKey{}, err
	}
	defer clear(raw)
	aead, err := newGCM(raw)
	if err != nil {
		return DataKey{}, err
	}
	k := DataKey{aead: aead}
	if kr.cache != nil {
		kr.cache.Put(subject, wrapped, k)
	}
	return k, nil
}

func (kr *Keyring) unwrap(subject string, wrapped []byte) ([]byte, error) {
	if len(wrapped) < wrapHeaderSize || wrapped[0] != wrapVersion {
		return nil, ErrUnwrap
	}
	term := binary.BigEndian.Uint32(wrapped[1:])
	if term == 0 {
		return nil, ErrUnwrap
	}
	if !slices.Contains(kr.custody.Terms(), term) && term > kr.ActiveTerm() {
		// Another process may have rotated since this one started.
		_ = kr.Reload(false)
	}
	raw, err := kr.custody.Unwrap(term, wrapped[wrapHeaderSize:], wrapAAD(subject))
	if err != nil || len(raw) != keySize {
		clear(raw)
		return nil, ErrUnwrap
	}
	return raw, nil
}

// Rewrap re-wraps subject's data key under the active term. It returns the
// new wrapped form, or wrapped itself (same slice) when it is already under
// the active term.
func (kr *Keyring) Rewrap(subject string, wrapped []byte) ([]byte, error) {
	active := kr.ActiveTerm()
	if WrappedTerm(wrapped) == active {
		return wrapped, nil
	}
	raw, err := kr.unwrap(subject, wrapped)
	if err != nil {
		return nil, err
	}
	defer clear(raw)
	return kr.wrap(active, subject, raw)
}

// Forget drops subject's data key from the cache (after it was shredded
// or replaced).
func (kr *Keyring) Forget(subject string) {
	if kr.cache != nil {
		kr.cache.Forget(subject)
	}
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
// from the custody's index root, so derived keys survive KEK rotation.
// Derived keys are never data keys and never wrap anything.
func (kr *Keyring) DeriveKey(purpose string) []byte {
	k, err := hkdf.Expand(sha256.New, kr.index, "strongroom/v1/"+purpose, keySize)
	if err != nil { // only possible for absurd lengths
		panic(err)
	}
	return k
}

// indexRootOf is the index root of the software custodies: the PRK of the
// first term, so that a key file made before custodies existed derives
// the same blind-index keys (hkdf.Key is Extract then Expand).
func indexRootOf(firstTerm []byte) []byte {
	prk, err := hkdf.Extract(sha256.New, firstTerm, nil)
	if err != nil {
		panic(err)
	}
	return prk
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
