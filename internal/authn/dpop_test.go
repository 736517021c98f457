package authn

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// TestVerifyDPoP checks the proof as an attacker would try to bend it:
// each case changes one thing of a good proof.
func TestVerifyDPoP(t *testing.T) {
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	const target, token = "https://crm.example.com/api/v1/visits", "srs_token"
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	sum := sha256.Sum256([]byte(token))
	ath := base64.RawURLEncoding.EncodeToString(sum[:])
	claims := func(over map[string]any) []byte {
		c := map[string]any{"htm": "GET", "htu": target + "?from=2026-12-01", "iat": now.Unix(), "jti": "j1", "ath": ath}
		for k, v := range over {
			if v == nil {
				delete(c, k)
			} else {
				c[k] = v
			}
		}
		b, _ := json.Marshal(c)
		return b
	}
	sign := func(alg jose.SignatureAlgorithm, key any, typ string, embed bool, payload []byte) string {
		opts := &jose.SignerOptions{EmbedJWK: embed}
		if typ != "" {
			opts = opts.WithType(jose.ContentType(typ))
		}
		s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
		if err != nil {
			t.Fatal(err)
		}
		jws, err := s.Sign(payload)
		if err != nil {
			t.Fatal(err)
		}
		out, _ := jws.CompactSerialize()
		return out
	}
	good := sign(jose.ES256, ec, "dpop+jwt", true, claims(nil))
	parts := strings.Split(good, ".")
	for _, c := range []struct {
		name, proof, method, target, token, want string
	}{
		{"good", good, "GET", target, token, ""},
		{"query ignored, host case", good, "GET", "https://CRM.example.com/api/v1/visits", token, ""},
		{"tampered claims", parts[0] + "." + base64.RawURLEncoding.EncodeToString(claims(map[string]any{"htm": "POST"})) + "." + parts[2], "POST", target, token, "signature"},
		{"wrong typ", sign(jose.ES256, ec, "JWT", true, claims(nil)), "GET", target, token, "typ"},
		{"no jwk", sign(jose.ES256, ec, "dpop+jwt", false, claims(nil)), "GET", target, token, "jwk"},
		{"P-384 key", sign(jose.ES384, p384, "dpop+jwt", true, claims(nil)), "GET", target, token, "ES256"},
		{"RSA key", sign(jose.RS256, rsaKey, "dpop+jwt", true, claims(nil)), "GET", target, token, "ES256"},
		{"another method", good, "POST", target, token, "htm"},
		{"another path", good, "GET", "https://crm.example.com/api/v1/customers", token, "htu"},
		{"another host", good, "GET", "https://evil.example.com/api/v1/visits", token, "htu"},
		{"too old", sign(jose.ES256, ec, "dpop+jwt", true, claims(map[string]any{"iat": now.Add(-3 * time.Minute).Unix()})), "GET", target, token, "iat"},
		{"from the future", sign(jose.ES256, ec, "dpop+jwt", true, claims(map[string]any{"iat": now.Add(3 * time.Minute).Unix()})), "GET", target, token, "iat"},
		{"no iat", sign(jose.ES256, ec, "dpop+jwt", true, claims(map[string]any{"iat": nil})), "GET", target, token, "iat"},
		{"no jti", sign(jose.ES256, ec, "dpop+jwt", true, claims(map[string]any{"jti": nil})), "GET", target, token, "jti"},
		{"another token", good, "GET", target, "srs_other", "ath"},
		{"no ath", sign(jose.ES256, ec, "dpop+jwt", true, claims(map[string]any{"ath": nil})), "GET", target, token, "ath"},
		{"ath without a token", good, "GET", target, "", "ath"},
		{"garbage", "a.b.c", "GET", target, token, "JWS"},
		{"empty", "", "GET", target, token, "JWS"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := VerifyDPoP(c.proof, c.method, c.target, c.token, now)
			if c.want == "" {
				if err != nil || p.JTI != "j1" || len(p.JKT) != 43 {
					t.Fatalf("a good proof: %+v %v", p, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error about %s", err, c.want)
			}
		})
	}
	// The thumbprint is RFC 7638's, the same for every proof by one key.
	a, _ := VerifyDPoP(good, "GET", target, token, now)
	b, _ := VerifyDPoP(sign(jose.ES256, ec, "dpop+jwt", true, claims(map[string]any{"jti": "j2"})), "GET", target, token, now)
	if a.JKT != b.JKT {
		t.Fatal("one key, two thumbprints")
	}
	// The replay cache refuses a jti seen before, per key.
	rc := NewReplayCache()
	if !rc.Fresh(a, now) || rc.Fresh(a, now.Add(time.Second)) || !rc.Fresh(b, now) {
		t.Fatal("replay cache")
	}
}
