package checkpoint

import (
	"fmt"
	"math/bits"

	"golang.org/x/mod/sumdb/tlog"
)

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

// compact is the tree's compact range: the roots of its complete
// subtrees, largest first; with n it lets the tree grow on without the
// leaves before it (an archive's anchor).
func (t *tree) compact() [][]byte {
	out := make([][]byte, len(t.stack))
	for i, h := range t.stack {
		out[i] = append([]byte(nil), h[:]...)
	}
	return out
}

// treeFrom resumes a tree of n leaves from its compact range.
func treeFrom(n int64, stack [][]byte) (tree, error) {
	if bits.OnesCount64(uint64(n)) != len(stack) {
		return tree{}, fmt.Errorf("a tree of %d leaves has %d complete subtrees, not %d", n, bits.OnesCount64(uint64(n)), len(stack))
	}
	t := tree{n: n, stack: make([]tlog.Hash, len(stack))}
	for i, h := range stack {
		if len(h) != tlog.HashSize {
			return tree{}, fmt.Errorf("a subtree hash of %d bytes", len(h))
		}
		copy(t.stack[i][:], h)
	}
	return t, nil
}
