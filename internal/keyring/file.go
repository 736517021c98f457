package keyring

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
)

const fileHeader = "strongroom-master-key v1"

// fileCustody keeps the terms in a 0600 key file beside the data (the
// default custody). Rotation appends a term to the file; retirement
// rewrites it without the term. The index root is written as its own line
// ("index …") once the first term could be retired, so that blind indexes
// survive it.
type fileCustody struct {
	*softTerms
	path string
	mu   sync.Mutex // serialises writes of the file
}

func (f *fileCustody) Name() string { return "file" }

// LoadFile reads a master-key file written by CreateFile. It refuses a file
// that others than its owner can read or write.
func LoadFile(path string) (*Keyring, error) {
	soft, err := readKeyFile(path)
	if err != nil {
		return nil, err
	}
	return Open(&fileCustody{softTerms: soft, path: path})
}

func readKeyFile(path string) (*softTerms, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("keyring: %s is mode %v; the master key file must be 0600", path, fi.Mode().Perm())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	defer clear(data)
	soft, err := parseTerms(data)
	if err != nil {
		return nil, fmt.Errorf("keyring: %s: %w", path, err)
	}
	return soft, nil
}

// Parse reads a master-key file's content (as restore gets it from keys
// export's age file) into an in-memory keyring. The caller clears data.
func Parse(data []byte) (*Keyring, error) {
	soft, err := parseTerms(data)
	if err != nil {
		return nil, err
	}
	return Open(&memoryCustody{softTerms: soft})
}

func parseTerms(data []byte) (*softTerms, error) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	if !sc.Scan() || sc.Text() != fileHeader {
		return nil, errors.New("not a Strongroom master key file")
	}
	terms := map[uint32][]byte{}
	var root []byte
	defer func() {
		for _, k := range terms {
			clear(k)
		}
		clear(root)
	}()
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		termText, b64, ok := strings.Cut(line, " ")
		if termText == "index" {
			r, err := base64.StdEncoding.DecodeString(b64)
			if err != nil || len(r) != keySize {
				return nil, errors.New("malformed index line")
			}
			root = r
			continue
		}
		term, err := strconv.ParseUint(termText, 10, 32)
		if !ok || err != nil {
			return nil, errors.New("malformed line")
		}
		key, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			return nil, fmt.Errorf("term %d: %w", term, err)
		}
		terms[uint32(term)] = key
	}
	return newSoftTerms(terms, root)
}

// WriteFile stores kr's terms in path with mode 0600, atomically. kr must
// hold its terms in software (a key file, or one read from an export).
func (kr *Keyring) WriteFile(path string) error {
	var soft *softTerms
	switch c := kr.custody.(type) {
	case *fileCustody:
		soft = c.softTerms
	case *memoryCustody:
		soft = c.softTerms
	default:
		return fmt.Errorf("keyring: a %s custody has no key file", kr.custody.Name())
	}
	return writeKeyFile(path, soft)
}

func writeKeyFile(path string, soft *softTerms) error {
	terms := soft.keys()
	defer func() {
		for _, k := range terms {
			clear(k)
		}
	}()
	root, _ := soft.IndexRoot()
	defer clear(root)
	var b bytes.Buffer
	b.WriteString(fileHeader + "\n# Strongroom master key. Keep it secret and back it up apart from the database:\n# without it no encrypted field can be read.\n")
	ts := slices.Sorted(func(yield func(uint32) bool) {
		for t := range terms {
			if !yield(t) {
				return
			}
		}
	})
	if len(ts) != 1 || ts[0] != 1 {
		// A rotated file names its index root (blind indexes), which no
		// longer follows from the lowest term once term 1 is retired.
		fmt.Fprintf(&b, "index %s\n", base64.StdEncoding.EncodeToString(root))
	}
	for _, t := range ts {
		fmt.Fprintf(&b, "%d %s\n", t, base64.StdEncoding.EncodeToString(terms[t]))
	}
	defer clear(b.Bytes())
	return writeSecret(path, b.Bytes())
}

// writeSecret writes data to path with mode 0600, atomically.
func writeSecret(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".master-key-*")
	if err != nil {
		return fmt.Errorf("keyring: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("keyring: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("keyring: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("keyring: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("keyring: %w", err)
	}
	return os.Rename(tmp.Name(), path)
}

func (f *fileCustody) AddTerm() (uint32, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.reloadLocked(); err != nil {
		return 0, err
	}
	next := slices.Max(f.Terms()) + 1
	k := randomKey()
	defer clear(k)
	f.softTerms.mu.Lock()
	err := f.add(next, k)
	f.softTerms.mu.Unlock()
	if err != nil {
		return 0, err
	}
	if err := writeKeyFile(f.path, f.softTerms); err != nil {
		f.remove(next)
		return 0, err
	}
	return next, nil
}

func (f *fileCustody) RetireTerm(term uint32) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.reloadLocked(); err != nil {
		return err
	}
	terms := f.keys()
	defer func() {
		for _, k := range terms {
			clear(k)
		}
	}()
	delete(terms, term)
	if len(terms) == 0 {
		return errors.New("the last term cannot be retired")
	}
	next, err := newSoftTerms(terms, f.root)
	if err != nil {
		return err
	}
	if err := writeKeyFile(f.path, next); err != nil {
		next.Close()
		return err
	}
	next.Close()
	f.remove(term)
	return nil
}

func (f *fileCustody) Reload() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reloadLocked()
}

func (f *fileCustody) reloadLocked() error {
	soft, err := readKeyFile(f.path)
	if err != nil {
		return err
	}
	defer soft.Close()
	terms := soft.keys()
	defer func() {
		for _, k := range terms {
			clear(k)
		}
	}()
	return f.replace(terms)
}

// LoadOrCreateFile loads the master key at path, or generates and stores a
// new one when no file exists. created reports which happened.
func LoadOrCreateFile(path string) (kr *Keyring, created bool, err error) {
	kr, err = LoadFile(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return kr, false, err
	}
	k := randomKey()
	defer clear(k)
	soft, err := newSoftTerms(map[uint32][]byte{1: k}, nil)
	if err != nil {
		return nil, false, err
	}
	if err := writeKeyFile(path, soft); err != nil {
		return nil, false, err
	}
	kr, err = Open(&fileCustody{softTerms: soft, path: path})
	return kr, err == nil, err
}
