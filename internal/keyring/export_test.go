package keyring_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
	"filippo.io/age/armor"

	"strongroom.dev/strongroom/internal/keyring"
)

// TestExportFile: the exported key decrypts, with the recipient's
// identity alone, to the very key file; nothing else can open it.
func TestExportFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "master.key")
	if _, _, err := keyring.LoadOrCreateFile(path); err != nil {
		t.Fatal(err)
	}
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	other, _ := age.GenerateX25519Identity()
	var out bytes.Buffer
	if err := keyring.ExportFile(path, []string{id.Recipient().String()}, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "-----BEGIN AGE ENCRYPTED FILE-----") {
		t.Fatalf("not armored: %.60s", out.String())
	}
	want, _ := os.ReadFile(path)
	if bytes.Contains(out.Bytes(), want[len(want)-20:]) {
		t.Fatal("the export holds the key in the clear")
	}
	r, err := age.Decrypt(armor.NewReader(bytes.NewReader(out.Bytes())), id)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(r)
	if !bytes.Equal(got, want) {
		t.Fatal("the export does not decrypt to the key file")
	}
	if _, err := age.Decrypt(armor.NewReader(bytes.NewReader(out.Bytes())), other); err == nil {
		t.Error("another identity opened the export")
	}
	for _, bad := range [][]string{nil, {"age1notakey"}, {"ssh-ed25519 AAAA"}} {
		if err := keyring.ExportFile(path, bad, io.Discard); err == nil {
			t.Errorf("recipients %q: accepted", bad)
		}
	}
	os.Chmod(path, 0o644)
	if err := keyring.ExportFile(path, []string{id.Recipient().String()}, io.Discard); err == nil {
		t.Error("a key file others can read was exported")
	}
}
