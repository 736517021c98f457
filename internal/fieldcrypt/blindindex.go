package fieldcrypt

import (
	"crypto/hmac"
	"crypto/sha256"
	"hash"
	"sync"

	"strongroom.dev/strongroom/internal/keyring"
)

// IndexSize is the length of a blind index in bytes. 16 bytes (128 bits) keep
// accidental collisions out of reach while leaking no more than equality.
const IndexSize = 16

// Blind index names. Each has its own key, so equal values in different
// indexes do not produce equal index bytes.
const (
	IndexCustomerEmail      = "customer.email"
	IndexCustomerPhone      = "customer.phone"
	IndexCustomerNationalID = "customer.national_id"
	IndexUserEmail          = "user.email"
	IndexNameToken          = "name.token" // tokens of customer and company names
	IndexTag                = "tag"        // customer and company tags, lower-cased
	// IndexDeviceCookie is not an index of personal data: it is the MAC of
	// a device cookie (a user id and a random nonce), keyed like the others
	// from the master key, so a browser proves it logged in before.
	IndexDeviceCookie = "device.cookie"
	// Single sign-on: an identity at an OpenID Connect provider (its issuer
	// and subject together), the issuer alone, and the secrets of a login
	// in flight (its nonce and PKCE verifier, MACs of its random state), so
	// the server keeps nothing between the two legs of the redirect.
	IndexSSOSubject = "sso.subject"
	IndexSSOIssuer  = "sso.issuer"
	IndexSSOFlow    = "sso.flow"
)

var indexNames = []string{IndexCustomerEmail, IndexCustomerPhone, IndexCustomerNationalID, IndexUserEmail, IndexNameToken, IndexTag, IndexDeviceCookie, IndexSSOSubject, IndexSSOIssuer, IndexSSOFlow}

// Indexer computes blind indexes: a truncated HMAC-SHA256 of a normalised
// value under a key derived from the master key for that index alone.
//
// What an index leaks: whether two rows hold the same normalised value in
// the same column, and nothing about the value itself without the key.
type Indexer struct {
	pools map[string]*sync.Pool
}

// NewIndexer derives one key per index from kr.
func NewIndexer(kr *keyring.Keyring) *Indexer {
	ix := &Indexer{pools: map[string]*sync.Pool{}}
	for _, name := range indexNames {
		key := kr.DeriveKey("blind-index/" + name)
		ix.pools[name] = &sync.Pool{New: func() any { return hmac.New(sha256.New, key) }}
	}
	return ix
}

// Index returns the blind index of an already normalised value, or nil for
// the empty value. It panics on an unknown index name: that is a programming
// error, not an input error.
func (ix *Indexer) Index(name, normalised string) []byte {
	if normalised == "" {
		return nil
	}
	pool, ok := ix.pools[name]
	if !ok {
		panic("fieldcrypt: unknown blind index " + name)
	}
	h := pool.Get().(hash.Hash)
	h.Reset()
	h.Write([]byte(normalised))
	var sum [sha256.Size]byte
	out := h.Sum(sum[:0])[:IndexSize]
	pool.Put(h)
	return out
}
