package crm

import (
	"testing"
	"time"
)

func TestNewIDSortsByTimeAndStaysUnguessable(t *testing.T) {
	at := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	earlier, later := newID("cus", at), newID("cus", at.Add(time.Millisecond))
	if !(earlier < later) {
		t.Errorf("an identifier made a millisecond later sorts first: %s, %s", earlier, later)
	}
	seen := map[string]bool{}
	for range 1000 {
		id := newID("cus", at)
		if !ValidID(id) {
			t.Fatalf("NewID made %q, which ValidID refuses", id)
		}
		if seen[id] {
			t.Fatalf("two identifiers made in the same millisecond are equal: %s", id)
		}
		seen[id] = true
	}
	if a, b := newID("cus", at), newID("cus", at); a[:len("cus_")+12] != b[:len("cus_")+12] || a == b {
		t.Errorf("same millisecond: want the same time prefix and different random parts, got %s and %s", a, b)
	}
}
