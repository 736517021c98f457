// Package webhook sends signed JSON events to a receiver's HTTPS endpoint
// and checks such signatures. Each request carries
//
//	Strongroom-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
//
// so that the receiver can tell it came from this Strongroom (the shared
// secret) and is recent (t), and no one can replay an old body with a new
// time. Delivery retries a failed or non-2xx answer with growing waits.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Header names the signature header.
const Header = "Strongroom-Signature"

// Sender posts events to one endpoint.
type Sender struct {
	URL    string
	Secret []byte
	Client *http.Client    // default: a client with a 10-second timeout
	Waits  []time.Duration // between tries; default 1 s, 5 s, 30 s
	Now    func() time.Time
}

// New checks the endpoint (https only) and the secret (at least 32 bytes).
func New(endpoint string, secret []byte) (*Sender, error) {
	u, err := url.Parse(endpoint)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("webhook: %q must be an https:// URL", endpoint)
	}
	if len(secret) < 32 {
		return nil, errors.New("webhook: the secret must be at least 32 bytes")
	}
	return &Sender{URL: endpoint, Secret: secret}, nil
}

// Sign returns the signature header's value for body at t.
func Sign(secret, body []byte, t time.Time) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts + "."))
	m.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(m.Sum(nil))
}

// Verify checks a signature header against body: the MAC, and that t is
// within tolerance of now.
func Verify(secret, body []byte, header string, now time.Time, tolerance time.Duration) error {
	var ts, sig string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sig = v
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || sig == "" {
		return errors.New("webhook: no t= and v1= in the signature")
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return errors.New("webhook: the signature is too old or from the future")
	}
	want := Sign(secret, body, time.Unix(sec, 0))
	if !hmac.Equal([]byte(want), []byte("t="+ts+",v1="+sig)) {
		return errors.New("webhook: the signature does not match")
	}
	return nil
}

// Send posts {"event": event, "data": data} and retries until a 2xx answer
// or the waits run out; it returns the last failure.
func (s *Sender) Send(ctx context.Context, event string, data any) error {
	body, err := json.Marshal(map[string]any{"event": event, "data": data})
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	client := s.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	// A redirect would send the signed body elsewhere (even to http://):
	// it is an answer like any other non-2xx.
	noRedirect := *client
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	client = &noRedirect
	waits := s.Waits
	if waits == nil {
		waits = []time.Duration{time.Second, 5 * time.Second, 30 * time.Second}
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	for try := 0; ; try++ {
		err = s.post(ctx, client, body, now())
		if err == nil || try == len(waits) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(waits[try]):
		}
	}
}

func (s *Sender) post(ctx context.Context, client *http.Client, body []byte, at time.Time) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(Header, Sign(s.Secret, body, at))
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("webhook: %s answered %d", s.URL, resp.StatusCode)
	}
	return nil
}
