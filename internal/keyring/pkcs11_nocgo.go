//go:build !cgo

package keyring

import "errors"

// PKCS11Config says which token holds the master key and how to log in.
type PKCS11Config struct {
	Module, Token, PIN, Label string
}

// OpenPKCS11 needs cgo: this binary was built without it.
func OpenPKCS11(PKCS11Config) (*Keyring, bool, error) {
	return nil, false, errors.New("keyring: this strongroom was built without cgo, so it has no PKCS#11 custody")
}

// TokenKeyAttributes needs cgo.
func TokenKeyAttributes(*Keyring, uint32) (bool, bool, error) {
	return false, false, errors.New("keyring: built without cgo")
}
