package webhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"strongroom.dev/strongroom/internal/netguard"
)

// The Standard Webhooks scheme (https://www.standardwebhooks.com): each
// message carries
//
//	webhook-id:        a unique id, the same on every retry (receivers drop repeats)
//	webhook-timestamp: Unix seconds when this attempt was signed
//	webhook-signature: v1,<base64 HMAC-SHA256(secret, "<id>.<timestamp>.<body>")>
//
// and the secret is shown to the partner as whsec_<base64 of its bytes>.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
	SecretPrefix    = "whsec_"
)

// NewSecret returns a new 32-byte secret in its whsec_ form.
func NewSecret() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand)
	return SecretPrefix + base64.StdEncoding.EncodeToString(b)
}

// ParseSecret returns the bytes of a whsec_ secret.
func ParseSecret(s string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, SecretPrefix))
	if err != nil || !strings.HasPrefix(s, SecretPrefix) || len(b) < 24 || len(b) > 64 {
		return nil, errors.New("webhook: a secret is whsec_ and 24 to 64 bytes in base64")
	}
	return b, nil
}

// SignStandard returns the webhook-signature value for a message.
func SignStandard(secret []byte, id string, at time.Time, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(id + "." + strconv.FormatInt(at.Unix(), 10) + "."))
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// SetHeaders puts the three headers of a signed message on h.
func SetHeaders(h http.Header, secret []byte, id string, at time.Time, body []byte) {
	h.Set(HeaderID, id)
	h.Set(HeaderTimestamp, strconv.FormatInt(at.Unix(), 10))
	h.Set(HeaderSignature, SignStandard(secret, id, at, body))
}

// VerifyStandard checks a received message as a receiver would: the
// timestamp within tolerance of now (an old message replayed is refused),
// and one of the space-separated v1 signatures matching.
func VerifyStandard(secret []byte, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	id, ts, sigs := h.Get(HeaderID), h.Get(HeaderTimestamp), h.Get(HeaderSignature)
	if id == "" || ts == "" || sigs == "" {
		return errors.New("webhook: missing webhook-id, webhook-timestamp or webhook-signature")
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return errors.New("webhook: webhook-timestamp is not Unix seconds")
	}
	at := time.Unix(sec, 0)
	if d := now.Sub(at); d > tolerance || d < -tolerance {
		return errors.New("webhook: the message is too old or from the future")
	}
	want := SignStandard(secret, id, at, body)
	for _, s := range strings.Fields(sigs) {
		if hmac.Equal([]byte(s), []byte(want)) {
			return nil
		}
	}
	return errors.New("webhook: no signature matches")
}

// GuardedClient returns an HTTP client for partners' endpoints: every
// connection's address is checked by g when it is dialled (so the address
// checked is the one used: no DNS rebinding), no proxy from the
// environment, no redirect followed (a redirect is an answer like any
// other), TLS 1.2 at least; roots nil trusts the system's authorities.
func GuardedClient(g netguard.Guard, timeout time.Duration, roots *x509.CertPool) *http.Client {
	d := &net.Dialer{Timeout: timeout, Control: g.Control}
	t := &http.Transport{
		Proxy:                 nil,
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          16,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
	}
	t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: roots}
	return &http.Client{
		Transport:     t,
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
