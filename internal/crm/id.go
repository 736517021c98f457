package crm

import (
	"crypto/rand"
	"encoding/hex"
)

// NewID returns a random 128-bit identifier with a type prefix, e.g.
// "cus_4f3c…". Identifiers reveal neither order nor count.
func NewID(prefix string) string {
	var b [16]byte
	rand.Read(b[:])
	return prefix + "_" + hex.EncodeToString(b[:])
}

// ValidID reports whether s has the shape NewID produces.
func ValidID(s string) bool {
	i := len(s) - 33
	if i < 1 || s[i] != '_' {
		return false
	}
	for _, c := range s[:i] {
		if c < 'a' || c > 'z' {
			return false
		}
	}
	_, err := hex.DecodeString(s[i+1:])
	return err == nil && s[i+1:] == lowerHex(s[i+1:])
}

func lowerHex(s string) string {
	for _, c := range s {
		if c >= 'A' && c <= 'F' {
			return ""
		}
	}
	return s
}
