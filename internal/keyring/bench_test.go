package keyring

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// benchCustodies are the file custody and, with
// STRONGROOM_TEST_PKCS11_MODULE set, a SoftHSM2 token.
func benchCustodies(b *testing.B) map[string]*Keyring {
	out := map[string]*Keyring{}
	kr, _, err := LoadOrCreateFile(filepath.Join(b.TempDir(), "master.key"))
	if err != nil {
		b.Fatal(err)
	}
	out["file"] = kr
	if cfg := softHSM(b); cfg != nil {
		kr, _, err := OpenPKCS11(*cfg)
		if err != nil {
			b.Fatal(err)
		}
		out["pkcs11"] = kr
	}
	b.Cleanup(func() {
		for _, kr := range out {
			kr.Close()
		}
	})
	return out
}

// BenchmarkRewrap: re-wrapping one data key from term 1 to term 2 (unwrap
// under the old term, wrap under the new), the keyring's part of
// `keys rewrap`; keys/s is the rate without the database.
func BenchmarkRewrap(b *testing.B) {
	for _, name := range []string{"file", "pkcs11"} {
		b.Run(name, func(b *testing.B) {
			kr, ok := benchCustodies(b)[name]
			if !ok {
				b.Skip("STRONGROOM_TEST_PKCS11_MODULE is not set")
			}
			var ws [][]byte
			for i := range 256 {
				_, w, err := kr.NewDataKey(fmt.Sprint("s", i))
				if err != nil {
					b.Fatal(err)
				}
				ws = append(ws, w)
			}
			if _, err := kr.Rotate(); err != nil {
				b.Fatal(err)
			}
			i := 0
			start := time.Now()
			for b.Loop() {
				if _, err := kr.Rewrap(fmt.Sprint("s", i%256), ws[i%256]); err != nil {
					b.Fatal(err)
				}
				i++
			}
			b.ReportMetric(float64(i)/time.Since(start).Seconds(), "keys/s")
		})
	}
}

// BenchmarkOpenDataKey: unwrapping a data key, as every read of a record
// does: the file custody, the token without a cache, and the token with
// the cache (every key after the first found in it).
func BenchmarkOpenDataKey(b *testing.B) {
	for _, c := range []struct {
		name  string
		cache int
	}{{"file", 0}, {"pkcs11", 0}, {"pkcs11-cached", 1024}} {
		b.Run(c.name, func(b *testing.B) {
			kr, ok := benchCustodies(b)[map[bool]string{true: "file", false: "pkcs11"}[c.name == "file"]]
			if !ok {
				b.Skip("STRONGROOM_TEST_PKCS11_MODULE is not set")
			}
			kr.UseCache(c.cache, time.Minute)
			var ws [][]byte
			for i := range 256 {
				_, w, _ := kr.NewDataKey(fmt.Sprint("s", i))
				ws = append(ws, w)
			}
			subjects := make([]string, 256)
			for i := range subjects {
				subjects[i] = fmt.Sprint("s", i)
			}
			i := 0
			for b.Loop() {
				if _, err := kr.OpenDataKey(subjects[i%256], ws[i%256]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
