package keyring

import (
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
)

// softTerms are master-key terms held in memory as AES-256-GCM keys: the
// file, passphrase and memory custodies. A wrapped body is nonce | ct+tag.
type softTerms struct {
	mu    sync.RWMutex
	terms map[uint32][]byte
	aeads map[uint32]cipher.AEAD
	root  []byte // index root (PRK)
}

// newSoftTerms copies terms; root nil means the PRK of the lowest term.
func newSoftTerms(terms map[uint32][]byte, root []byte) (*softTerms, error) {
	if len(terms) == 0 {
		return nil, errors.New("keyring: no master key terms")
	}
	s := &softTerms{terms: map[uint32][]byte{}, aeads: map[uint32]cipher.AEAD{}}
	for term, key := range terms {
		if err := s.add(term, key); err != nil {
			return nil, err
		}
	}
	if root == nil {
		root = indexRootOf(s.terms[slices.Min(slices.Collect(maps.Keys(s.terms)))])
	}
	s.root = slices.Clone(root)
	return s, nil
}

func (s *softTerms) add(term uint32, key []byte) error {
	if len(key) != keySize {
		return fmt.Errorf("keyring: master key term %d is %d bytes, want %d", term, len(key), keySize)
	}
	if term == 0 {
		return errors.New("keyring: term 0 is reserved")
	}
	k := slices.Clone(key)
	aead, err := newGCM(k)
	if err != nil {
		return err
	}
	s.terms[term] = k
	s.aeads[term] = aead
	return nil
}

func (s *softTerms) Terms() []uint32 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Sorted(maps.Keys(s.terms))
}

func (s *softTerms) aead(term uint32) (cipher.AEAD, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	a, ok := s.aeads[term]
	return a, ok
}

func (s *softTerms) Wrap(term uint32, key, aad []byte) ([]byte, error) {
	kek, ok := s.aead(term)
	if !ok {
		return nil, fmt.Errorf("no term %d", term)
	}
	out := make([]byte, kek.NonceSize(), kek.NonceSize()+len(key)+kek.Overhead())
	rand.Read(out)
	return kek.Seal(out, out, key, aad), nil
}

func (s *softTerms) Unwrap(term uint32, body, aad []byte) ([]byte, error) {
	kek, ok := s.aead(term)
	if !ok {
		return nil, fmt.Errorf("no term %d", term)
	}
	if len(body) < kek.NonceSize()+kek.Overhead() {
		return nil, errors.New("short")
	}
	return kek.Open(nil, body[:kek.NonceSize()], body[kek.NonceSize():], aad)
}

func (s *softTerms) IndexRoot() ([]byte, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Clone(s.root), nil
}

// keys copies the terms' key bytes; the caller clears them.
func (s *softTerms) keys() map[uint32][]byte {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make(map[uint32][]byte, len(s.terms))
	for t, k := range s.terms {
		out[t] = slices.Clone(k)
	}
	return out
}

// replace swaps in terms (a reload), clearing those dropped.
func (s *softTerms) replace(terms map[uint32][]byte) error {
	n, err := newSoftTerms(terms, s.root)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for t, k := range s.terms {
		if _, kept := n.terms[t]; !kept {
			clear(k)
		}
	}
	s.terms, s.aeads = n.terms, n.aeads
	return nil
}

func (s *softTerms) remove(term uint32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.terms[term])
	delete(s.terms, term)
	delete(s.aeads, term)
}

func (s *softTerms) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range s.terms {
		clear(k)
	}
	clear(s.root)
	s.aeads = map[uint32]cipher.AEAD{}
}

// memoryCustody is softTerms kept nowhere but memory (tests; a key file's
// content read from a backup's export).
type memoryCustody struct{ *softTerms }

func (m *memoryCustody) Name() string { return "memory" }

func (m *memoryCustody) AddTerm() (uint32, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	next := slices.Max(slices.Collect(maps.Keys(m.terms))) + 1
	k := randomKey()
	defer clear(k)
	return next, m.add(next, k)
}

func (m *memoryCustody) RetireTerm(term uint32) error { m.remove(term); return nil }
func (m *memoryCustody) Reload() error                { return nil }
