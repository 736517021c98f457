package httpx

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"strongroom.dev/strongroom/internal/errs"
)

// TestClientOf: the address is the connection's peer without its port,
// whatever a header claims; the user agent is kept to 256 bytes.
func TestClientOf(t *testing.T) {
	cases := []struct {
		name, remote, ua, forwarded string
		want                        Client
	}{
		{"IPv4 with port", "203.0.113.7:51234", "Firefox", "", Client{IP: "203.0.113.7", UserAgent: "Firefox"}},
		{"IPv6 with port", "[2001:db8::1]:443", "curl/8", "", Client{IP: "2001:db8::1", UserAgent: "curl/8"}},
		{"no port: taken whole", "192.0.2.1", "", "", Client{IP: "192.0.2.1"}},
		{"a forwarded header is not believed", "198.51.100.2:1", "x", "10.0.0.1", Client{IP: "198.51.100.2", UserAgent: "x"}},
		{"long user agent cut", "192.0.2.3:9", strings.Repeat("a", 300), "", Client{IP: "192.0.2.3", UserAgent: strings.Repeat("a", 256)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = c.remote
			r.Header.Set("User-Agent", c.ua)
			if c.forwarded != "" {
				r.Header.Set("X-Forwarded-For", c.forwarded)
			}
			if got := ClientOf(r); got != c.want {
				t.Errorf("ClientOf = %+v, want %+v", got, c.want)
			}
		})
	}
}

// TestParams: a missing paging parameter is its zero value; one that is
// not a number or a time is refused, naming it.
func TestParams(t *testing.T) {
	q := map[string]string{"limit": "20", "after": "x", "empty": "", "since": "2026-11-24T09:00:00Z", "until": "yesterday"}
	cases := []struct {
		name    string
		read    func() (any, error)
		want    any
		errName string // the field an error names, "" for none
	}{
		{"absent int", func() (any, error) { return Int(q, "cursor") }, int64(0), ""},
		{"int", func() (any, error) { return Int(q, "limit") }, int64(20), ""},
		{"not an int", func() (any, error) { return Int(q, "after") }, int64(0), "after"},
		{"empty int", func() (any, error) { return Int(q, "empty") }, int64(0), "empty"},
		{"whole number", func() (any, error) { return WholeNumber("after", "42") }, int64(42), ""},
		{"not a whole number", func() (any, error) { return WholeNumber("after", "4.2") }, int64(0), "after"},
		{"absent time", func() (any, error) { return Time(q, "before") }, time.Time{}, ""},
		{"time", func() (any, error) { return Time(q, "since") }, time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC), ""},
		{"not a time", func() (any, error) { return Time(q, "until") }, time.Time{}, "until"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.read()
			if c.errName == "" {
				if err != nil {
					t.Fatalf("error %v", err)
				}
				if tm, ok := got.(time.Time); ok && !tm.Equal(c.want.(time.Time)) || !ok && got != c.want {
					t.Errorf("got %v, want %v", got, c.want)
				}
				return
			}
			var e *errs.Error
			if !errors.As(err, &e) || e.Kind != errs.Invalid || e.Field != c.errName {
				t.Fatalf("error %v, want Invalid naming %s", err, c.errName)
			}
			if msg, _ := errs.Public(err); !strings.HasPrefix(msg, c.errName+" must be") {
				t.Errorf("message %q", msg)
			}
		})
	}
}
