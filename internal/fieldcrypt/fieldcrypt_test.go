package fieldcrypt

import (
	"bytes"
	"strings"
	"testing"

	"strongroom.dev/strongroom/internal/keyring"
)

func TestSealOpen(t *testing.T) {
	kr, _ := keyring.Generate()
	key, _, _ := kr.NewDataKey("cus_1")
	other, _, _ := kr.NewDataKey("cus_2")
	place := Place{Table: "customers", Column: "email_ct", Row: "cus_1"}
	const secret = "wang.xiaoming@example.cn"
	sealed, err := Seal(key, place, secret)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte(secret)) || bytes.Contains(sealed, []byte("wang")) {
		t.Fatal("sealed value contains the plaintext")
	}
	again, _ := Seal(key, place, secret)
	if bytes.Equal(again, sealed) {
		t.Fatal("sealing twice gave the same bytes: nonces are not fresh")
	}
	t.Run("round trip", func(t *testing.T) {
		got, err := Open(key, place, sealed)
		if err != nil || got != secret {
			t.Fatalf("Open = %q, %v", got, err)
		}
	})
	tests := []struct {
		name  string
		key   keyring.DataKey
		place Place
		data  []byte
	}{
		{"wrong key", other, place, sealed},
		{"moved to another row", key, Place{"customers", "email_ct", "cus_2"}, sealed},
		{"moved to another column", key, Place{"customers", "phone_ct", "cus_1"}, sealed},
		{"moved to another table", key, Place{"users", "email_ct", "cus_1"}, sealed},
		{"truncated", key, place, sealed[:len(sealed)-1]},
		{"header only", key, place, sealed[:1]},
		{"tampered body", key, place, flip(sealed, len(sealed)/2)},
		{"tampered tag", key, place, flip(sealed, len(sealed)-1)},
		{"unknown version", key, place, flip(sealed, 0)},
		{"no key", keyring.DataKey{}, place, sealed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := Open(tt.key, tt.place, tt.data); err != ErrOpen || got != "" {
				t.Fatalf("Open = %q, %v; want ErrOpen", got, err)
			}
		})
	}
	t.Run("empty stays empty", func(t *testing.T) {
		s, err := Seal(key, place, "")
		if err != nil || s != nil {
			t.Fatalf("Seal(\"\") = %v, %v", s, err)
		}
		if v, err := Open(key, place, nil); err != nil || v != "" {
			t.Fatalf("Open(nil) = %q, %v", v, err)
		}
	})
}

func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 0x80
	return c
}

func TestBlindIndex(t *testing.T) {
	kr, _ := keyring.Generate()
	ix := NewIndexer(kr)
	a := ix.Index(IndexCustomerEmail, "a@example.com")
	if len(a) != IndexSize {
		t.Fatalf("len = %d", len(a))
	}
	if !bytes.Equal(a, ix.Index(IndexCustomerEmail, "a@example.com")) {
		t.Fatal("not deterministic")
	}
	if bytes.Equal(a, ix.Index(IndexCustomerEmail, "b@example.com")) {
		t.Fatal("different values, same index")
	}
	if bytes.Equal(a, ix.Index(IndexUserEmail, "a@example.com")) {
		t.Fatal("same value in two indexes gives the same bytes: indexes are linkable")
	}
	kr2, _ := keyring.Generate()
	if bytes.Equal(a, NewIndexer(kr2).Index(IndexCustomerEmail, "a@example.com")) {
		t.Fatal("index does not depend on the master key")
	}
	if ix.Index(IndexCustomerEmail, "") != nil {
		t.Fatal("empty value must have no index")
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "unknown blind index") {
			t.Fatalf("unknown index name: recover = %v", r)
		}
	}()
	ix.Index("nope", "x")
}

func BenchmarkSealOpen(b *testing.B) {
	kr, _ := keyring.Generate()
	key, _, _ := kr.NewDataKey("cus_1")
	place := Place{"customers", "email_ct", "cus_1"}
	for b.Loop() {
		s, _ := Seal(key, place, "wang.xiaoming@example.cn")
		Open(key, place, s)
	}
}

func BenchmarkBlindIndex(b *testing.B) {
	kr, _ := keyring.Generate()
	ix := NewIndexer(kr)
	for b.Loop() {
		ix.Index(IndexCustomerEmail, "wang.xiaoming@example.cn")
	}
}
