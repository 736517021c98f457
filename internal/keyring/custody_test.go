package keyring

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testArgon2 is cheap: the tests derive many keys.
var testArgon2 = Argon2Params{Time: 1, MemoryKiB: 64, Threads: 1}

// custodyCase opens one custody twice (a second process: another server,
// or the CLI's `keys rotate`) over the same state.
type custodyCase struct {
	name string
	open func(t *testing.T) *Keyring
}

func custodies(t *testing.T) []custodyCase {
	dir := t.TempDir()
	cases := []custodyCase{
		{"file", func(t *testing.T) *Keyring {
			kr, _, err := LoadOrCreateFile(filepath.Join(dir, "master.key"))
			if err != nil {
				t.Fatal(err)
			}
			return kr
		}},
		{"passphrase", func(t *testing.T) *Keyring {
			kr, _, err := LoadOrCreatePassphrase(filepath.Join(dir, "passphrase.json"), []byte("correct horse battery staple"), testArgon2)
			if err != nil {
				t.Fatal(err)
			}
			return kr
		}},
	}
	if token := softHSM(t); token != nil {
		cases = append(cases, custodyCase{"pkcs11", func(t *testing.T) *Keyring {
			kr, _, err := OpenPKCS11(*token)
			if err != nil {
				t.Fatal(err)
			}
			return kr
		}})
	}
	return cases
}

// softHSM makes a SoftHSM2 token in a temporary SOFTHSM2_CONF directory.
// It skips only when STRONGROOM_TEST_PKCS11_MODULE is unset (.ci/run sets
// it); with it set, a token that cannot be made fails the test.
func softHSM(t testing.TB) *PKCS11Config {
	t.Helper()
	module := os.Getenv("STRONGROOM_TEST_PKCS11_MODULE")
	if module == "" {
		return nil
	}
	dir := t.TempDir()
	conf := filepath.Join(dir, "softhsm2.conf")
	if err := os.MkdirAll(filepath.Join(dir, "tokens"), 0o700); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(conf, []byte("directories.tokendir = "+filepath.Join(dir, "tokens")+"\nobjectstore.backend = file\nlog.level = ERROR\n"), 0o600)
	t.Setenv("SOFTHSM2_CONF", conf)
	out, err := exec.Command("softhsm2-util", "--init-token", "--free", "--label", "strongroom-test", "--pin", "1234", "--so-pin", "5678").CombinedOutput()
	if err != nil {
		t.Fatalf("softhsm2-util: %v: %s", err, out)
	}
	return &PKCS11Config{Module: module, Token: "strongroom-test", PIN: "1234"}
}

func TestCustodyRotation(t *testing.T) {
	for _, c := range custodies(t) {
		t.Run(c.name, func(t *testing.T) {
			kr := c.open(t)
			defer kr.Close()
			if kr.Custody() != c.name || kr.ActiveTerm() != 1 {
				t.Fatalf("custody %s term %d", kr.Custody(), kr.ActiveTerm())
			}
			index := kr.DeriveKey("blind-index/x")
			_, w1, err := kr.NewDataKey("cus_1")
			if err != nil {
				t.Fatal(err)
			}
			// Another process rotates; this one learns of term 2 at the
			// first key wrapped under it.
			other := c.open(t)
			term, err := other.Rotate()
			if err != nil || term != 2 {
				t.Fatalf("rotate: term %d, %v", term, err)
			}
			_, w2, err := other.NewDataKey("cus_2")
			if err != nil || WrappedTerm(w2) != 2 {
				t.Fatalf("new key under term %d, %v", WrappedTerm(w2), err)
			}
			if _, err := kr.OpenDataKey("cus_2", w2); err != nil {
				t.Fatalf("the first keyring does not open a key wrapped under the new term: %v", err)
			}
			if kr.ActiveTerm() != 2 {
				t.Fatalf("active term after reload = %d", kr.ActiveTerm())
			}
			// Rewrap moves cus_1 to term 2 and keeps the key.
			k1, _ := kr.OpenDataKey("cus_1", w1)
			r1, err := kr.Rewrap("cus_1", w1)
			if err != nil || WrappedTerm(r1) != 2 {
				t.Fatalf("rewrap: term %d, %v", WrappedTerm(r1), err)
			}
			k1r, err := kr.OpenDataKey("cus_1", r1)
			if err != nil || !sameKey(k1, k1r) {
				t.Fatalf("re-wrapped key differs or does not open: %v", err)
			}
			if _, err := kr.Rewrap("cus_2", w1); err == nil {
				t.Fatal("rewrap under another subject's id worked")
			}
			// Retire term 1: keys under it no longer open, anywhere,
			// and blind indexes stay.
			if err := kr.Retire(2); err == nil {
				t.Fatal("retired the active term")
			}
			if err := other.Retire(1); err != nil {
				t.Fatal(err)
			}
			other.Close()
			third := c.open(t)
			defer third.Close()
			if got := third.Terms(); len(got) != 1 || got[0] != 2 {
				t.Fatalf("terms after retiring 1 = %v", got)
			}
			if _, err := third.OpenDataKey("cus_1", w1); !errors.Is(err, ErrUnwrap) {
				t.Fatalf("a key under the retired term opened: %v", err)
			}
			if _, err := third.OpenDataKey("cus_1", r1); err != nil {
				t.Fatalf("the re-wrapped key does not open after retirement: %v", err)
			}
			if !bytes.Equal(third.DeriveKey("blind-index/x"), index) {
				t.Fatal("blind-index keys changed with rotation and retirement")
			}
		})
	}
}

func sameKey(a, b DataKey) bool {
	nonce := make([]byte, 12)
	return bytes.Equal(a.AEAD().Seal(nil, nonce, []byte("probe"), nil), b.AEAD().Seal(nil, nonce, []byte("probe"), nil))
}

func TestFileCustodyKeepsOldBlindIndexes(t *testing.T) {
	// A key file written before custodies existed has one term and no
	// index line; its blind-index keys must not change.
	path := filepath.Join(t.TempDir(), "master.key")
	key := bytes.Repeat([]byte{7}, 32)
	kr, err := New(map[uint32][]byte{1: key})
	if err != nil {
		t.Fatal(err)
	}
	want := kr.DeriveKey("blind-index/customer.email")
	if err := kr.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	body, _ := os.ReadFile(path)
	if strings.Contains(string(body), "index ") {
		t.Fatal("a one-term file gained an index line")
	}
	loaded, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(loaded.DeriveKey("blind-index/customer.email"), want) {
		t.Fatal("blind-index key differs")
	}
	// The value the code before custodies derived: hkdf.Key over term 1.
	if got := indexRootOf(key); len(got) != 32 {
		t.Fatal("index root")
	}
}

func TestPassphraseCustody(t *testing.T) {
	path := filepath.Join(t.TempDir(), "passphrase.json")
	pass := []byte("correct horse battery staple")
	kr, created, err := LoadOrCreatePassphrase(path, pass, testArgon2)
	if err != nil || !created {
		t.Fatalf("create: %v %v", created, err)
	}
	_, w, _ := kr.NewDataKey("s")
	kr.Close()
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("state file mode %v %v", fi.Mode().Perm(), err)
	}
	body, _ := os.ReadFile(path)
	if bytes.Contains(body, pass) {
		t.Fatal("the state file holds the passphrase")
	}
	t.Run("wrong passphrase is refused", func(t *testing.T) {
		_, _, err := LoadOrCreatePassphrase(path, []byte("incorrect horse battery staple"), testArgon2)
		if !errors.Is(err, ErrPassphrase) {
			t.Fatalf("err = %v, want ErrPassphrase", err)
		}
	})
	t.Run("short passphrase is refused", func(t *testing.T) {
		if _, _, err := LoadOrCreatePassphrase(path, []byte("short"), testArgon2); err == nil {
			t.Fatal("a short passphrase was taken")
		}
	})
	t.Run("right passphrase opens", func(t *testing.T) {
		kr, created, err := LoadOrCreatePassphrase(path, pass, DefaultArgon2) // the stored costs win
		if err != nil || created {
			t.Fatalf("%v %v", created, err)
		}
		defer kr.Close()
		if _, err := kr.OpenDataKey("s", w); err != nil {
			t.Fatal(err)
		}
	})
}

func TestCache(t *testing.T) {
	kr := mustGenerate(t)
	kr.UseCache(2, time.Minute)
	now := time.Unix(1000, 0)
	kr.cache.now = func() time.Time { return now }
	var ws [][]byte
	for _, s := range []string{"a", "b", "c"} {
		_, w, _ := kr.NewDataKey(s)
		ws = append(ws, w)
		if _, err := kr.OpenDataKey(s, w); err != nil {
			t.Fatal(err)
		}
	}
	st := kr.CacheStats()
	if st.Size != 2 || st.Misses != 3 || st.Hits != 0 {
		t.Fatalf("stats %+v", st)
	}
	kr.OpenDataKey("c", ws[2])
	if kr.CacheStats().Hits != 1 {
		t.Fatal("a cached key was unwrapped again")
	}
	kr.OpenDataKey("a", ws[0]) // pushed out: a miss
	if kr.CacheStats().Misses != 4 {
		t.Fatalf("the least recently used key stayed: %+v", kr.CacheStats())
	}
	// Other wrapped bytes under the same subject are not answered from the cache.
	if _, err := kr.OpenDataKey("a", ws[1]); !errors.Is(err, ErrUnwrap) {
		t.Fatalf("the cache answered for other wrapped bytes: %v", err)
	}
	now = now.Add(2 * time.Minute)
	before := kr.CacheStats().Misses
	kr.OpenDataKey("c", ws[2])
	if kr.CacheStats().Misses != before+1 {
		t.Fatal("an expired key was answered from the cache")
	}
	kr.Forget("c")
	if _, ok := kr.cache.Get("c", ws[2]); ok {
		t.Fatal("Forget kept the key")
	}

	// A subject's older key (its change history's, after a new data key)
	// is kept beside its current one, not in its place; Forget drops both.
	_, older, _ := kr.NewDataKey("d")
	_, current, _ := kr.NewDataKey("d")
	kr.OpenDataKey("d", current)
	kr.OpenDataKey("d", older)
	hits := kr.CacheStats().Hits
	kr.OpenDataKey("d", current)
	if kr.CacheStats().Hits != hits+1 {
		t.Fatal("reading a subject's older key pushed out its current one")
	}
	kr.Forget("d")
	if _, ok := kr.cache.Get("d", older); ok {
		t.Fatal("Forget kept the subject's older key")
	}
	if _, ok := kr.cache.Get("d", current); ok {
		t.Fatal("Forget kept the subject's current key")
	}
}
