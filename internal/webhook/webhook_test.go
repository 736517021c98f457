package webhook_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"strongroom.dev/strongroom/internal/webhook"
)

var secret = []byte("0123456789abcdef0123456789abcdef-test")

// TestSendSignedAndRetried: a receiver over HTTPS checks each request's
// signature; a first failure is retried.
func TestSendSignedAndRetried(t *testing.T) {
	var calls atomic.Int32
	got := make(chan string, 1)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := webhook.Verify(secret, body, r.Header.Get(webhook.Header), time.Now(), 5*time.Minute); err != nil {
			t.Errorf("receiver: %v", err)
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		if calls.Add(1) == 1 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		got <- string(body)
	}))
	defer srv.Close()
	s, err := webhook.New(srv.URL, secret)
	if err != nil {
		t.Fatal(err)
	}
	s.Client, s.Waits = srv.Client(), []time.Duration{10 * time.Millisecond}
	if err := s.Send(context.Background(), "alert.raise", map[string]string{"rule": "failed_login_burst"}); err != nil {
		t.Fatal(err)
	}
	if body := <-got; !strings.Contains(body, `"event":"alert.raise"`) || !strings.Contains(body, "failed_login_burst") {
		t.Errorf("body %s", body)
	}
}

func TestVerifyRefuses(t *testing.T) {
	body := []byte(`{"event":"x"}`)
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	good := webhook.Sign(secret, body, now)
	tests := []struct {
		name, header string
		body         []byte
		secret       []byte
	}{
		{"another body", good, []byte(`{"event":"y"}`), secret},
		{"another secret", good, body, []byte("another secret of thirty-two bytes!!")},
		{"too old", webhook.Sign(secret, body, now.Add(-10*time.Minute)), body, secret},
		{"replayed with a new time", strings.Replace(good, "t=", "t=1", 1), body, secret},
		{"no signature", "", body, secret},
	}
	if err := webhook.Verify(secret, body, good, now, 5*time.Minute); err != nil {
		t.Fatalf("the good signature: %v", err)
	}
	for _, tt := range tests {
		if err := webhook.Verify(tt.secret, tt.body, tt.header, now, 5*time.Minute); err == nil {
			t.Errorf("%s: accepted", tt.name)
		}
	}
	for _, bad := range []string{"http://hooks.example.com/x", "not a url", "https://"} {
		if _, err := webhook.New(bad, secret); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
	if _, err := webhook.New("https://hooks.example.com/x", []byte("short")); err == nil {
		t.Error("a short secret was accepted")
	}
}
