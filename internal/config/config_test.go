package config

import (
	"maps"
	"testing"
)

// --request-days shortens a law's deadline and never lengthens it.
func TestRequestDeadlines(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want map[string]int
		ok   bool
	}{
		{"", map[string]int{}, true},
		{"pipl=10", map[string]int{"pipl": 10}, true},
		{" pipl = 7 , gdpr=30", map[string]int{"pipl": 7, "gdpr": 30}, true},
		{"pipl=16", nil, false}, // longer than the 15 days taken for "promptly"
		{"ccpa=46", nil, false},
		{"hipaa=5", nil, false},
		{"pipl", nil, false},
		{"pipl=0", nil, false},
		{"pipl=ten", nil, false},
	} {
		got, err := Config{RequestDays: tt.in}.RequestDeadlines()
		if (err == nil) != tt.ok || tt.ok && !maps.Equal(got, tt.want) {
			t.Errorf("%q: %v %v", tt.in, got, err)
		}
	}
}
