package audit

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// memLog is an in-memory Appender.
type memLog struct {
	events []Event
	head   Head
}

func (m *memLog) AuditHead(context.Context) (Head, error) { return m.head, nil }
func (m *memLog) InsertAuditEvents(_ context.Context, ev []Event, h Head) error {
	m.events = append(m.events, ev...)
	m.head = h
	return nil
}

func (m *memLog) all() func(func(Event, error) bool) {
	return func(yield func(Event, error) bool) {
		for _, e := range m.events {
			if !yield(e, nil) {
				return
			}
		}
	}
}

func newLog(t *testing.T, n int) *memLog {
	t.Helper()
	m := &memLog{}
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	for i := range n {
		e := Event{ActorID: "usr_1", Action: "customer.read", ObjectType: "customer", ObjectID: "cus_" + string(rune('a'+i)), Fields: []string{"name", "email"}, Outcome: Success}
		if i == 2 { // a read by a partner's client through a rep's device
			e.ClientID, e.DeviceID = "cli_pay", "dev_1"
		}
		if err := Append(context.Background(), m, now.Add(time.Duration(i)*time.Second), e); err != nil {
			t.Fatal(err)
		}
	}
	return m
}

func TestVerify(t *testing.T) {
	tests := []struct {
		name    string
		tamper  func(m *memLog)
		wantSeq int64 // 0 = intact
		reason  string
	}{
		{"intact", func(*memLog) {}, 0, ""},
		{"altered field", func(m *memLog) { m.events[2].ObjectID = "cus_zzz" }, 3, "altered"},
		{"altered field list", func(m *memLog) { m.events[1].Fields = []string{"name"} }, 2, "altered"},
		{"altered time", func(m *memLog) { m.events[3].At = m.events[3].At.Add(time.Second) }, 4, "altered"},
		{"client removed", func(m *memLog) { m.events[2].ClientID = "" }, 3, "altered"},
		{"client added", func(m *memLog) { m.events[1].ClientID = "cli_pay" }, 2, "altered"},
		{"device moved", func(m *memLog) { m.events[2].DeviceID, m.events[3].DeviceID = "", "dev_1" }, 3, "altered"},
		{"client and device swapped", func(m *memLog) { m.events[2].ClientID, m.events[2].DeviceID = "dev_1", "cli_pay" }, 3, "altered"},
		{"deleted middle", func(m *memLog) { m.events = slices.Delete(m.events, 2, 3) }, 3, "missing"},
		{"deleted last", func(m *memLog) { m.events = m.events[:len(m.events)-1] }, 5, "missing"},
		{"deleted first", func(m *memLog) { m.events = m.events[1:] }, 1, "missing"},
		{"swapped contents", func(m *memLog) {
			m.events[1].ObjectID, m.events[2].ObjectID = m.events[2].ObjectID, m.events[1].ObjectID
		}, 2, "altered"},
		{"renumbered after delete", func(m *memLog) {
			m.events = slices.Delete(m.events, 1, 2)
			for i := range m.events {
				m.events[i].Seq = int64(i + 1)
			}
		}, 2, "prev_hash"},
		{"rehashed one event", func(m *memLog) {
			m.events[2].ObjectID = "cus_zzz"
			m.events[2].Hash = m.events[2].hash()
		}, 4, "prev_hash"},
		{"appended without head", func(m *memLog) {
			e := m.events[4]
			e.Seq, e.PrevHash = 6, e.Hash
			e.Hash = e.hash()
			m.events = append(m.events, e)
		}, 6, "head"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newLog(t, 5)
			tt.tamper(m)
			n, p, err := Verify(m.all(), m.head, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantSeq == 0 {
				if p != nil || n != 5 {
					t.Fatalf("intact log: n=%d problem=%v", n, p)
				}
				return
			}
			if p == nil {
				t.Fatal("tampering not detected")
			}
			if p.Seq != tt.wantSeq || !strings.Contains(p.Error(), tt.reason) {
				t.Fatalf("problem = %v; want event %d, %q", p, tt.wantSeq, tt.reason)
			}
		})
	}
}

// An event that names no client or device hashes exactly as events did
// before those fields existed, so older logs still verify: the hash below
// was computed by the code before them.
func TestHashWithoutClientOrDeviceUnchanged(t *testing.T) {
	e := Event{Seq: 7, At: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC), ActorID: "usr_1", SessionID: "ses_1", IP: "192.0.2.7", Action: "customer.read",
		ObjectType: "customer", ObjectID: "cus_a", Fields: []string{"name"}, Outcome: Success, PrevHash: []byte("prev")}
	if got := fmt.Sprintf("%x", e.hash()); got != "da9abb2db1a134ceba460795c32a76604a2a3adaa65c6d1949079e8921aca426" {
		t.Fatalf("hash of an event without client or device = %s; it changed", got)
	}
	e.ClientID = "cli_pay"
	if fmt.Sprintf("%x", e.hash()) == "da9abb2db1a134ceba460795c32a76604a2a3adaa65c6d1949079e8921aca426" {
		t.Fatal("the client is not hashed")
	}
}

func TestChainLinks(t *testing.T) {
	m := newLog(t, 3)
	if m.events[0].PrevHash != nil || m.events[0].Seq != 1 {
		t.Fatal("first event must start the chain")
	}
	for i := 1; i < 3; i++ {
		if !bytes.Equal(m.events[i].PrevHash, m.events[i-1].Hash) || m.events[i].Seq != int64(i+1) {
			t.Fatalf("event %d not linked", i+1)
		}
	}
}
