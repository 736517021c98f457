package keyring

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func mustGenerate(t *testing.T) *Keyring {
	t.Helper()
	kr, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

func TestDataKeyWrapping(t *testing.T) {
	kr := mustGenerate(t)
	key, wrapped, err := kr.NewDataKey("cus_1")
	if err != nil {
		t.Fatal(err)
	}
	probe := func(k DataKey) []byte {
		nonce := make([]byte, k.AEAD().NonceSize())
		return k.AEAD().Seal(nil, nonce, []byte("probe"), nil)
	}
	t.Run("opens for its subject", func(t *testing.T) {
		got, err := kr.OpenDataKey("cus_1", wrapped)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(probe(got), probe(key)) {
			t.Fatal("unwrapped key differs from the one made")
		}
	})
	t.Run("fails for another subject", func(t *testing.T) {
		if _, err := kr.OpenDataKey("cus_2", wrapped); err != ErrUnwrap {
			t.Fatalf("err = %v, want ErrUnwrap", err)
		}
	})
	t.Run("fails under another master key", func(t *testing.T) {
		if _, err := mustGenerate(t).OpenDataKey("cus_1", wrapped); err != ErrUnwrap {
			t.Fatalf("err = %v, want ErrUnwrap", err)
		}
	})
	for i := range wrapped {
		bad := bytes.Clone(wrapped)
		bad[i] ^= 0x01
		if _, err := kr.OpenDataKey("cus_1", bad); err == nil {
			t.Fatalf("flipping byte %d still opened", i)
		}
	}
	for _, n := range []int{0, 1, 5, 20, len(wrapped) - 1} {
		if _, err := kr.OpenDataKey("cus_1", wrapped[:n]); err != ErrUnwrap {
			t.Fatalf("truncated to %d: err = %v, want ErrUnwrap", n, err)
		}
	}
	t.Run("rotation keeps old keys readable", func(t *testing.T) {
		kr2, err := kr.AddTerm()
		if err != nil {
			t.Fatal(err)
		}
		if kr2.ActiveTerm() != 2 || kr.ActiveTerm() != 1 {
			t.Fatalf("terms: new %d old %d", kr2.ActiveTerm(), kr.ActiveTerm())
		}
		if _, err := kr2.OpenDataKey("cus_1", wrapped); err != nil {
			t.Fatalf("old wrapped key under rotated ring: %v", err)
		}
		_, w2, _ := kr2.NewDataKey("cus_3")
		if WrappedTerm(w2) != 2 {
			t.Fatalf("new key wrapped under term %d, want 2", WrappedTerm(w2))
		}
		if _, err := kr.OpenDataKey("cus_3", w2); err != ErrUnwrap {
			t.Fatal("the old ring opened a key wrapped under a term it does not have")
		}
		if !bytes.Equal(kr.DeriveKey("x"), kr2.DeriveKey("x")) {
			t.Fatal("derived keys changed with rotation; blind indexes would break")
		}
	})
	if bytes.Equal(kr.DeriveKey("a"), kr.DeriveKey("b")) {
		t.Fatal("derived keys for different purposes are equal")
	}
}

func TestMasterKeyFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "master.key")
	kr, created, err := LoadOrCreateFile(path)
	if err != nil || !created {
		t.Fatalf("create: %v, created %v", err, created)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode = %v, want 0600", fi.Mode().Perm())
	}
	_, wrapped, _ := kr.NewDataKey("s")
	kr2, created, err := LoadOrCreateFile(path)
	if err != nil || created {
		t.Fatalf("reload: %v, created %v", err, created)
	}
	if _, err := kr2.OpenDataKey("s", wrapped); err != nil {
		t.Fatal("reloaded key does not open what the first one wrapped")
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadFile(path); err == nil || !strings.Contains(err.Error(), "0600") {
		t.Fatalf("world-readable key file: err = %v, want refusal naming 0600", err)
	}
	bad := filepath.Join(dir, "bad.key")
	for _, body := range []string{"", "not a key file\n", fileHeader + "\n1 !!!\n", fileHeader + "\n1 AAAA\n", fileHeader + "\n"} {
		os.WriteFile(bad, []byte(body), 0o600)
		if _, err := LoadFile(bad); err == nil {
			t.Errorf("file %q loaded", body)
		}
	}
}
