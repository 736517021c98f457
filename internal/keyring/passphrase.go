package keyring

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"sync"

	"golang.org/x/crypto/argon2"
)

// Argon2Params are the argon2id costs of a passphrase custody, kept in its
// state file so that a later start derives the same keys.
type Argon2Params struct {
	Time      uint32 `json:"time"`
	MemoryKiB uint32 `json:"memory_kib"`
	Threads   uint8  `json:"threads"`
}

// DefaultArgon2 is RFC 9106's second recommended option's memory (64 MiB)
// with three passes: about 0.1 s per term on this project's 2-core
// machines, paid once per term at start.
var DefaultArgon2 = Argon2Params{Time: 3, MemoryKiB: 64 * 1024, Threads: 2}

// ErrPassphrase means the passphrase given does not derive the keys this
// data directory was set up with.
var ErrPassphrase = errors.New("keyring: wrong passphrase")

// passphraseState is the passphrase custody's file in the data directory:
// salts and costs, and a check value per term; no key bytes. It is not in
// the database, so that a copy of the database alone holds no salt.
type passphraseState struct {
	Version   int              `json:"version"`
	Argon2    Argon2Params     `json:"argon2id"`
	IndexSalt []byte           `json:"index_salt"`
	Terms     []passphraseTerm `json:"terms"`
}

type passphraseTerm struct {
	Term  uint32 `json:"term"`
	Salt  []byte `json:"salt"`
	Check []byte `json:"check"` // HMAC-SHA256(term key, "strongroom/passphrase-check")
}

// passphraseCustody derives each term's key from the passphrase with
// argon2id and the term's own salt. Rotation adds a term with a new salt
// (the same passphrase); the passphrase is kept in memory, cleared on
// Close, so that a term another process added can be derived.
type passphraseCustody struct {
	*softTerms
	path string
	pass []byte
	mu   sync.Mutex
}

func (p *passphraseCustody) Name() string { return "passphrase" }

func salt() []byte {
	s := make([]byte, 16)
	rand.Read(s)
	return s
}

func (st passphraseState) derive(pass, salt []byte) []byte {
	return argon2.IDKey(pass, salt, st.Argon2.Time, st.Argon2.MemoryKiB, st.Argon2.Threads, keySize)
}

func checkValue(key []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("strongroom/passphrase-check"))
	return m.Sum(nil)
}

// LoadOrCreatePassphrase opens the passphrase custody whose state is at
// path, or sets one up with params when there is none. created reports
// which happened. A wrong passphrase is ErrPassphrase.
func LoadOrCreatePassphrase(path string, pass []byte, params Argon2Params) (kr *Keyring, created bool, err error) {
	if len(pass) < 12 {
		return nil, false, errors.New("keyring: the master passphrase must be at least 12 characters")
	}
	st, err := readPassphraseState(path)
	if errors.Is(err, fs.ErrNotExist) {
		st = passphraseState{Version: 1, Argon2: params, IndexSalt: salt()}
		s := salt()
		k := st.derive(pass, s)
		st.Terms = []passphraseTerm{{Term: 1, Salt: s, Check: checkValue(k)}}
		clear(k)
		if err := writePassphraseState(path, st); err != nil {
			return nil, false, err
		}
		created = true
	} else if err != nil {
		return nil, false, err
	}
	c := &passphraseCustody{path: path, pass: slices.Clone(pass)}
	soft, err := c.softFrom(st)
	if err != nil {
		clear(c.pass)
		return nil, false, err
	}
	c.softTerms = soft
	kr, err = Open(c)
	return kr, created, err
}

func (p *passphraseCustody) softFrom(st passphraseState) (*softTerms, error) {
	terms := map[uint32][]byte{}
	defer func() {
		for _, k := range terms {
			clear(k)
		}
	}()
	for _, t := range st.Terms {
		if p.softTerms != nil {
			if a := p.softTerms.keys()[t.Term]; a != nil { // derived already
				terms[t.Term] = a
				continue
			}
		}
		k := st.derive(p.pass, t.Salt)
		if !hmac.Equal(checkValue(k), t.Check) {
			clear(k)
			return nil, ErrPassphrase
		}
		terms[t.Term] = k
	}
	var root []byte
	if p.softTerms != nil {
		root, _ = p.softTerms.IndexRoot()
	} else {
		ik := st.derive(p.pass, st.IndexSalt)
		root = indexRootOf(ik)
		clear(ik)
	}
	defer clear(root)
	return newSoftTerms(terms, root)
}

func readPassphraseState(path string) (passphraseState, error) {
	var st passphraseState
	b, err := os.ReadFile(path)
	if err != nil {
		return st, fmt.Errorf("keyring: %w", err)
	}
	if err := json.Unmarshal(b, &st); err != nil || st.Version != 1 || len(st.Terms) == 0 || st.Argon2.Time == 0 || st.Argon2.MemoryKiB < 8 || st.Argon2.Threads == 0 {
		return st, fmt.Errorf("keyring: %s is not a passphrase custody state file", path)
	}
	return st, nil
}

func writePassphraseState(path string, st passphraseState) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	return writeSecret(path, append(b, '\n'))
}

func (p *passphraseCustody) AddTerm() (uint32, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	st, err := readPassphraseState(p.path)
	if err != nil {
		return 0, err
	}
	next := uint32(0)
	for _, t := range st.Terms {
		next = max(next, t.Term)
	}
	next++
	s := salt()
	k := st.derive(p.pass, s)
	defer clear(k)
	st.Terms = append(st.Terms, passphraseTerm{Term: next, Salt: s, Check: checkValue(k)})
	if err := writePassphraseState(p.path, st); err != nil {
		return 0, err
	}
	p.softTerms.mu.Lock()
	defer p.softTerms.mu.Unlock()
	return next, p.add(next, k)
}

func (p *passphraseCustody) RetireTerm(term uint32) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	st, err := readPassphraseState(p.path)
	if err != nil {
		return err
	}
	st.Terms = slices.DeleteFunc(st.Terms, func(t passphraseTerm) bool { return t.Term == term })
	if len(st.Terms) == 0 {
		return errors.New("the last term cannot be retired")
	}
	if err := writePassphraseState(p.path, st); err != nil {
		return err
	}
	p.remove(term)
	return nil
}

func (p *passphraseCustody) Reload() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	st, err := readPassphraseState(p.path)
	if err != nil {
		return err
	}
	n, err := p.softFrom(st)
	if err != nil {
		return err
	}
	terms := n.keys()
	n.Close()
	defer func() {
		for _, k := range terms {
			clear(k)
		}
	}()
	return p.replace(terms)
}

func (p *passphraseCustody) Close() {
	clear(p.pass)
	p.softTerms.Close()
}
