package backup

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"filippo.io/age"
)

// LoadOrCreateIdentity reads the server's drill identity (an age X25519
// identity, mode 0600) from path, or makes one. Every backup is encrypted
// to it as well as to the operator's recipients, so that drills can
// decrypt on the server; the operator's identities stay elsewhere. The
// second result says whether it was made.
func LoadOrCreateIdentity(path string) (*age.X25519Identity, bool, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		id, err := age.GenerateX25519Identity()
		if err != nil {
			return nil, false, fmt.Errorf("backup: %w", err)
		}
		text := "# strongroom drill identity; public key: " + id.Recipient().String() + "\n" + id.String() + "\n"
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, false, fmt.Errorf("backup: %w", err)
		}
		_, err = f.WriteString(text)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, false, fmt.Errorf("backup: %w", err)
		}
		return id, true, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("backup: %w", err)
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		return nil, false, fmt.Errorf("backup: %s is readable by others (mode %v); chmod 600 it", path, fi.Mode().Perm())
	}
	ids, err := age.ParseIdentities(strings.NewReader(string(b)))
	if err != nil || len(ids) != 1 {
		return nil, false, fmt.Errorf("backup: %s does not hold one age identity", path)
	}
	x, ok := ids[0].(*age.X25519Identity)
	if !ok {
		return nil, false, fmt.Errorf("backup: %s does not hold an X25519 identity", path)
	}
	return x, false, nil
}
