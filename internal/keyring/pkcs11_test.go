//go:build cgo

package keyring

import (
	"bytes"
	"testing"
)

func TestPKCS11KeysStayInTheToken(t *testing.T) {
	cfg := softHSM(t)
	if cfg == nil {
		t.Skip("STRONGROOM_TEST_PKCS11_MODULE is not set")
	}
	kr, created, err := OpenPKCS11(*cfg)
	if err != nil || !created {
		t.Fatalf("open: %v %v", created, err)
	}
	ext, sens, err := TokenKeyAttributes(kr, 1)
	if err != nil {
		t.Fatal(err)
	}
	if ext || !sens {
		t.Fatalf("term 1 key: extractable %v sensitive %v; want not extractable, sensitive", ext, sens)
	}
	k, w, err := kr.NewDataKey("cus_1")
	if err != nil {
		t.Fatal(err)
	}
	got, err := kr.OpenDataKey("cus_1", w)
	if err != nil || !sameKey(k, got) {
		t.Fatalf("unwrap: %v", err)
	}
	if _, err := kr.OpenDataKey("cus_2", w); err == nil {
		t.Fatal("the token unwrapped a key for another subject")
	}
	bad := bytes.Clone(w)
	bad[len(bad)-1] ^= 1
	if _, err := kr.OpenDataKey("cus_1", bad); err == nil {
		t.Fatal("a tampered wrapped key opened")
	}
	kr.Close() // a process logged in stays so: the wrong PIN must be the first
	wrong := &PKCS11Config{Module: cfg.Module, Token: cfg.Token, PIN: "9999"}
	if _, _, err := OpenPKCS11(*wrong); err == nil {
		t.Fatal("a wrong PIN logged in")
	}
}
