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
	"sort"
	"strconv"
	"strings"
)

const fileHeader = "strongroom-master-key v1"

// LoadFile reads a master-key file written by CreateFile. It refuses a file
// that others than its owner can read or write.
func LoadFile(path string) (*Keyring, error) {
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
	kr, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("keyring: %s: %w", path, err)
	}
	return kr, nil
}

// Parse reads a master-key file's content (as restore gets it from keys
// export's age file). The caller clears data.
func Parse(data []byte) (*Keyring, error) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	if !sc.Scan() || sc.Text() != fileHeader {
		return nil, errors.New("not a Strongroom master key file")
	}
	terms := map[uint32][]byte{}
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		termText, b64, ok := strings.Cut(line, " ")
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
	kr, err := New(terms)
	for _, k := range terms {
		clear(k)
	}
	return kr, err
}

// WriteFile stores kr's terms in path with mode 0600, atomically.
func (kr *Keyring) WriteFile(path string) error {
	var b bytes.Buffer
	b.WriteString(fileHeader + "\n# Strongroom master key. Keep it secret and back it up apart from the database:\n# without it no encrypted field can be read.\n")
	terms := make([]int, 0, len(kr.terms))
	for t := range kr.terms {
		terms = append(terms, int(t))
	}
	sort.Ints(terms)
	for _, t := range terms {
		fmt.Fprintf(&b, "%d %s\n", t, base64.StdEncoding.EncodeToString(kr.terms[uint32(t)]))
	}
	defer clear(b.Bytes())
	tmp, err := os.CreateTemp(filepath.Dir(path), ".master-key-*")
	if err != nil {
		return fmt.Errorf("keyring: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("keyring: %w", err)
	}
	if _, err := tmp.Write(b.Bytes()); err != nil {
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

// LoadOrCreateFile loads the master key at path, or generates and stores a
// new one when no file exists. created reports which happened.
func LoadOrCreateFile(path string) (kr *Keyring, created bool, err error) {
	kr, err = LoadFile(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return kr, false, err
	}
	if kr, err = Generate(); err != nil {
		return nil, false, err
	}
	if err := kr.WriteFile(path); err != nil {
		return nil, false, err
	}
	return kr, true, nil
}
