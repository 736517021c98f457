package authn

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/url"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// DPoP (RFC 9449): a field device proves, on every request, that it holds
// the private key its token is bound to. The proof is a JWT signed with
// that key (ES256), carrying the key in its header; the token is bound to
// the key's RFC 7638 thumbprint (cnf.jkt), kept on the device's row.

// DPoPWindow is how far a proof's iat may be from the server's clock.
const DPoPWindow = 2 * time.Minute

// DPoPProof is what a verified proof tells.
type DPoPProof struct {
	JKT      string    // the thumbprint of the key that signed it (base64url SHA-256, RFC 7638)
	JTI      string    // its unique id
	IssuedAt time.Time // its iat
}

var errDPoP = errors.New("invalid DPoP proof")

// DPoPError is why a proof was refused; its text is safe to show.
type DPoPError struct{ Reason string }

func (e *DPoPError) Error() string { return "DPoP proof refused: " + e.Reason }

func dpopErr(reason string) error { return &DPoPError{Reason: reason} }

// VerifyDPoP checks proof (the DPoP header's value) for a request of method
// to target (scheme, host and path; query and fragment are ignored), made
// at now with accessToken ("" for a request without a token, such as
// enrolment, where ath must be absent). It checks the JWS (one signature,
// ES256, typ dpop+jwt, a public P-256 jwk in the header that verifies it),
// htm, htu, iat within DPoPWindow, a jti, and ath = base64url(SHA-256 of
// the token). It does not check jti for replay: the caller does
// (ReplayCache), after it has checked the thumbprint.
func VerifyDPoP(proof, method, target, accessToken string, now time.Time) (DPoPProof, error) {
	if len(proof) > 4096 {
		return DPoPProof{}, dpopErr("the proof is too long")
	}
	jws, err := jose.ParseSigned(proof, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		return DPoPProof{}, dpopErr("not a compact JWS signed with ES256")
	}
	if len(jws.Signatures) != 1 {
		return DPoPProof{}, dpopErr("exactly one signature is required")
	}
	h := jws.Signatures[0].Protected
	if typ, _ := h.ExtraHeaders[jose.HeaderType].(string); typ != "dpop+jwt" {
		return DPoPProof{}, dpopErr("typ must be dpop+jwt")
	}
	if h.Algorithm != string(jose.ES256) {
		return DPoPProof{}, dpopErr("alg must be ES256")
	}
	jwk := h.JSONWebKey
	if jwk == nil || !jwk.Valid() || !jwk.IsPublic() {
		return DPoPProof{}, dpopErr("the header must carry the public key as jwk")
	}
	pub, ok := jwk.Key.(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		return DPoPProof{}, dpopErr("the key must be an EC P-256 public key")
	}
	payload, err := jws.Verify(jwk)
	if err != nil {
		return DPoPProof{}, dpopErr("the signature does not verify with the key in the header")
	}
	var c struct {
		HTM string   `json:"htm"`
		HTU string   `json:"htu"`
		IAT *float64 `json:"iat"`
		JTI string   `json:"jti"`
		ATH string   `json:"ath"`
	}
	if err := json.Unmarshal(payload, &c); err != nil {
		return DPoPProof{}, dpopErr("the claims are not a JSON object")
	}
	if c.HTM != method {
		return DPoPProof{}, dpopErr("htm does not match the request's method")
	}
	if !sameTarget(c.HTU, target) {
		return DPoPProof{}, dpopErr("htu does not match the request's URL")
	}
	if c.IAT == nil {
		return DPoPProof{}, dpopErr("iat is missing")
	}
	iat := time.Unix(int64(*c.IAT), 0)
	if d := now.Sub(iat); d > DPoPWindow || d < -DPoPWindow {
		return DPoPProof{}, dpopErr("iat is too far from the server's time")
	}
	if c.JTI == "" || len(c.JTI) > 128 {
		return DPoPProof{}, dpopErr("jti is missing")
	}
	switch {
	case accessToken == "" && c.ATH != "":
		return DPoPProof{}, dpopErr("ath is for requests with an access token")
	case accessToken != "":
		sum := sha256.Sum256([]byte(accessToken))
		if c.ATH != base64.RawURLEncoding.EncodeToString(sum[:]) {
			return DPoPProof{}, dpopErr("ath does not match the access token")
		}
	}
	jkt, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		return DPoPProof{}, errDPoP
	}
	return DPoPProof{JKT: base64.RawURLEncoding.EncodeToString(jkt), JTI: c.JTI, IssuedAt: iat}, nil
}

// sameTarget compares htu with the request's URL, without query and
// fragment (RFC 9449 section 4.3), scheme and host case-insensitively.
func sameTarget(htu, target string) bool {
	a, err1 := url.Parse(htu)
	b, err2 := url.Parse(target)
	if err1 != nil || err2 != nil || a.Opaque != "" || a.User != nil {
		return false
	}
	return equalFold(a.Scheme, b.Scheme) && equalFold(a.Host, b.Host) && a.EscapedPath() == b.EscapedPath()
}

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range len(a) {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// ReplayCache remembers the jti of each proof seen within twice
// DPoPWindow, per key, so a captured proof cannot be sent again. It is
// per server: with several servers, a proof could be replayed once on
// each, within the window, for the same method and URL.
type ReplayCache struct {
	mu   sync.Mutex
	seen map[string]time.Time
	last time.Time
}

// NewReplayCache returns an empty cache.
func NewReplayCache() *ReplayCache { return &ReplayCache{seen: map[string]time.Time{}} }

// Fresh records p's jti under its key and reports whether it was unseen.
func (c *ReplayCache) Fresh(p DPoPProof, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if now.Sub(c.last) > DPoPWindow {
		for k, t := range c.seen {
			if now.Sub(t) > 2*DPoPWindow {
				delete(c.seen, k)
			}
		}
		c.last = now
	}
	k := p.JKT + " " + p.JTI
	if _, ok := c.seen[k]; ok {
		return false
	}
	c.seen[k] = now
	return true
}
