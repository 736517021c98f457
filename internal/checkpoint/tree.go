package checkpoint

import "golang.org/x/mod/sumdb/tlog"

// tree computes the RFC 6962 root of a growing list of leaves with one
// hash per complete subtree (at most 64), the way a verifier walks a log
// it does not trust: it needs none of the stored hashes.
type tree struct {
	n     int64
	stack []tlog.Hash // roots of the complete subtrees, largest first
}

// append adds a leaf whose data is data (an event's chain hash).
func (t *tree) append(data []byte) {
	h := tlog.RecordHash(data)
	// Each trailing one bit of n is a complete subtree that the new leaf
	// completes into one twice its size.
	for n := t.n; n&1 == 1; n >>= 1 {
		h = tlog.NodeHash(t.stack[len(t.stack)-1], h)
		t.stack = t.stack[:len(t.stack)-1]
	}
	t.stack = append(t.stack, h)
	t.n++
}

// root is the tree hash of the leaves so far (RFC 6962 MTH): the complete
// subtrees folded from the smallest.
func (t *tree) root() tlog.Hash {
	if len(t.stack) == 0 {
		return tlog.Hash{}
	}
	h := t.stack[len(t.stack)-1]
	for i := len(t.stack) - 2; i >= 0; i-- {
		h = tlog.NodeHash(t.stack[i], h)
	}
	return h
}
