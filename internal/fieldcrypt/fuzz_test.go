package fieldcrypt

import (
	"testing"

	"strongroom.dev/strongroom/internal/keyring"
)

// FuzzOpen: any bytes given as a sealed value either open (only what was
// sealed there) or fail with ErrOpen; never a panic.
func FuzzOpen(f *testing.F) {
	kr, _ := keyring.Generate()
	key, _, _ := kr.NewDataKey("cus_1")
	place := Place{"customers", "email_ct", "cus_1"}
	good, _ := Seal(key, place, "x@example.com")
	f.Add(good)
	f.Add([]byte{})
	f.Add([]byte{1})
	f.Add(good[:13])
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := Open(key, place, b)
		if err != nil && err != ErrOpen {
			t.Fatalf("unexpected error %v", err)
		}
		if err == nil && len(b) > 0 && v != "x@example.com" {
			t.Fatalf("forged ciphertext opened to %q", v)
		}
	})
}
