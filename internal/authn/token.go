package authn

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strings"
)

// Prefixes mark Strongroom's tokens so that leaked ones can be recognised
// by secret scanners: session tokens, and single-use links sent by email
// (password resets, invitations).
const (
	TokenPrefix = "srs_"
	LinkPrefix  = "srl_"
)

// NewToken returns a fresh opaque session token (256 random bits) and the
// hash under which it is stored. The token itself is never stored.
func NewToken() (token string, hash []byte) { return newToken(TokenPrefix) }

// NewLinkToken is NewToken for a link sent by email.
func NewLinkToken() (token string, hash []byte) { return newToken(LinkPrefix) }

func newToken(prefix string) (string, []byte) {
	var b [32]byte
	rand.Read(b[:])
	token := prefix + base64.RawURLEncoding.EncodeToString(b[:])
	return token, HashToken(token)
}

// HashToken is the stored form of a token.
func HashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// WellFormedToken reports whether token could have come from NewToken, so
// that garbage is refused without a database lookup.
func WellFormedToken(token string) bool { return wellFormed(token, TokenPrefix) }

// WellFormedLinkToken is WellFormedToken for NewLinkToken.
func WellFormedLinkToken(token string) bool { return wellFormed(token, LinkPrefix) }

func wellFormed(token, prefix string) bool {
	rest, ok := strings.CutPrefix(token, prefix)
	if !ok || len(rest) != 43 {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(rest)
	return err == nil
}

// NewTokenKey returns a fresh per-user secret. Sessions remember the key
// they began under; changing the user's key ends all of them.
func NewTokenKey() []byte {
	k := make([]byte, 16)
	rand.Read(k)
	return k
}
