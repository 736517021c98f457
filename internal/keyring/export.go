package keyring

import (
	"fmt"
	"io"
	"os"

	"filippo.io/age"
	"filippo.io/age/armor"
)

// ExportFile writes the master key file at path encrypted with age to the
// recipients ("age1…" public keys), ASCII-armored: a copy to keep apart
// from the backups, which never hold the master key. `age -d -i
// identity.txt` turns it back into the key file. It refuses a key file
// that others may read, as LoadFile does.
func ExportFile(path string, recipients []string, w io.Writer) error {
	if len(recipients) == 0 {
		return fmt.Errorf("keyring: give at least one age recipient (age1…)")
	}
	var rs []age.Recipient
	for _, r := range recipients {
		x, err := age.ParseX25519Recipient(r)
		if err != nil {
			return fmt.Errorf("keyring: %q is not an age recipient (age1…): %v", r, err)
		}
		rs = append(rs, x)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("keyring: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("keyring: %s is mode %v; the master key file must be 0600", path, fi.Mode().Perm())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("keyring: %w", err)
	}
	defer clear(data)
	if _, err := LoadFile(path); err != nil { // only a key file that loads is exported
		return err
	}
	aw := armor.NewWriter(w)
	ew, err := age.Encrypt(aw, rs...)
	if err != nil {
		return fmt.Errorf("keyring: %w", err)
	}
	if _, err := ew.Write(data); err != nil {
		return fmt.Errorf("keyring: %w", err)
	}
	if err := ew.Close(); err != nil {
		return fmt.Errorf("keyring: %w", err)
	}
	return aw.Close()
}
