package audit

import (
	"bytes"
	"fmt"
	"iter"
)

// Problem names the first bad event found by Verify.
type Problem struct {
	Seq    int64
	Reason string
}

func (p *Problem) Error() string { return fmt.Sprintf("audit event %d: %s", p.Seq, p.Reason) }

// Verify walks events in seq order and checks the chain and the head,
// showing each good event to observe (if not nil). It returns the number
// of good events and the first problem, or nil.
func Verify(events iter.Seq2[Event, error], head Head, observe func(Event)) (int64, *Problem, error) {
	return VerifyFrom(events, head, 0, nil, observe)
}

// VerifyFrom is Verify for a log whose first after events were archived:
// the first event must be after+1 and chain onto prev, the last archived
// event's hash. The count it returns includes the archived events.
func VerifyFrom(events iter.Seq2[Event, error], head Head, after int64, prev []byte, observe func(Event)) (int64, *Problem, error) {
	want := after + 1
	for e, err := range events {
		if err != nil {
			return want - 1, nil, err
		}
		switch {
		case e.Seq != want:
			return want - 1, &Problem{Seq: want, Reason: fmt.Sprintf("missing: the next event in the log is %d", e.Seq)}, nil
		case !bytes.Equal(e.PrevHash, prev):
			return want - 1, &Problem{Seq: e.Seq, Reason: "prev_hash does not match the previous event (deleted, inserted or reordered)"}, nil
		case !bytes.Equal(e.hash(), e.Hash):
			return want - 1, &Problem{Seq: e.Seq, Reason: "contents do not match its hash (altered)"}, nil
		}
		if observe != nil {
			observe(e)
		}
		prev = e.Hash
		want++
	}
	last := want - 1
	switch {
	case head.Seq > last:
		return last, &Problem{Seq: last + 1, Reason: fmt.Sprintf("missing: the log ends at %d but its head says %d", last, head.Seq)}, nil
	case head.Seq < last:
		return last, &Problem{Seq: head.Seq + 1, Reason: fmt.Sprintf("not covered by the head, which says the log ends at %d", head.Seq)}, nil
	case !bytes.Equal(head.Hash, prev):
		return last, &Problem{Seq: last, Reason: "hash does not match the log head"}, nil
	}
	return last, nil, nil
}
