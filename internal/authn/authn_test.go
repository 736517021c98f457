package authn

import (
	"context"
	"fmt"
	"runtime/metrics"
	"strings"
	"testing"
	"time"

	"strongroom.dev/strongroom/internal/errs"
)

func TestHasher(t *testing.T) {
	ctx := context.Background()
	cheap := Params{Time: 1, MemoryKiB: 1024, Threads: 1}
	h := NewHasher(cheap, 2)
	phc, err := h.Hash(ctx, "correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(phc, "$argon2id$v=19$m=1024,t=1,p=1$") {
		t.Fatalf("hash %q is not a PHC argon2id string with its parameters", phc)
	}
	if again, _ := h.Hash(ctx, "correct horse battery staple"); again == phc {
		t.Fatal("equal hashes for one password: salt is not random")
	}
	for _, tt := range []struct {
		name, password, hash string
		ok, rehash           bool
	}{
		{"right password", "correct horse battery staple", phc, true, false},
		{"wrong password", "correct horse battery stapler", phc, false, false},
		{"unknown user", "correct horse battery staple", "", false, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ok, rehash, err := h.Verify(ctx, tt.password, tt.hash)
			if err != nil || ok != tt.ok || rehash != tt.rehash {
				t.Fatalf("Verify = %v, %v, %v", ok, rehash, err)
			}
		})
	}
	t.Run("parameters changed: rehash on success only", func(t *testing.T) {
		stronger := NewHasher(Params{Time: 2, MemoryKiB: 2048, Threads: 1}, 1)
		if ok, rehash, _ := stronger.Verify(ctx, "correct horse battery staple", phc); !ok || !rehash {
			t.Fatalf("ok=%v rehash=%v; want true true", ok, rehash)
		}
		if ok, rehash, _ := stronger.Verify(ctx, "wrong", phc); ok || rehash {
			t.Fatal("a wrong password must never ask for a rehash")
		}
	})
	for _, bad := range []string{"x", "$argon2i$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", "$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"} {
		if _, _, err := h.Verify(ctx, "p", bad); err == nil {
			t.Errorf("malformed hash %q accepted", bad)
		}
	}
	t.Run("bounded concurrency honours cancellation", func(t *testing.T) {
		busy := NewHasher(cheap, 1)
		busy.sem <- struct{}{} // the one slot is taken
		cctx, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
		defer cancel()
		if _, err := busy.Hash(cctx, "whatever password"); !errs.Is(err, errs.Unavailable) {
			t.Fatalf("err = %v, want unavailable", err)
		}
	})
}

func TestCheckPassword(t *testing.T) {
	for _, tt := range []struct {
		password string
		ok       bool
	}{
		{"correct horse battery staple", true},
		{"密码必须足够长才能安全使用哦", true},
		{longPhrase(256), true},
		{longPhrase(257), false},
		{"short", false},
		{"elevenchars", false},
		// NIST SP 800-63B: repetitive and sequential strings, keyboard walks.
		{"123456789012", false},
		{"aaaaaaaaaaaa", false},
		{"qwertyuiopasdf", false},
		{"abcdefghijklmnop", false},
		{"zyxwvutsrqpo", false},
		{"abcabcabcabc", false},
		{"asdfghjkl;'zxcvbnm", false},
		{"1qaz2wsx3edc4rfv", false},
		{"tundra kettle tundra kettle tundra kettle ", false},
		{"kettle 123 lantern", true},
		{"abc tundra xyz kettle", true},
		{"aaaaaaaaaaaaaaaa", false},
		{"password1234", false},
		{"iloveyou12345", false}, // a common password with digits after it
		{"baseball1234!", false},
		{"qwertyuiop123", false},
		{"1qaz2wsx3edc", false}, // in the breach lists as is
		{"tremendous-kettle-lantern", true},
		{"my strongroom password", false},
		{"lihua-is-my-name", false},
		{"bad\xffutf8 password", false},
	} {
		err := CheckPassword(tt.password, 0, "lihua@example.com", "lihua")
		if (err == nil) != tt.ok {
			t.Errorf("CheckPassword(%q) = %v, want ok=%v", tt.password, err, tt.ok)
		}
		if err != nil && !errs.Is(err, errs.Invalid) {
			t.Errorf("CheckPassword(%q): kind %v, want invalid", tt.password, errs.KindOf(err))
		}
	}
}

// longPhrase is n characters of words that repeat no unit three times.
func longPhrase(n int) string {
	var b strings.Builder
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "tundra%d kettle ", i)
	}
	return b.String()[:n]
}

func TestCheckPasswordMinimum(t *testing.T) {
	cases := []struct {
		min      int
		password string
		ok       bool
	}{
		{8, "tundra42x", true},
		{8, "tundra4", false},
		{20, "tremendous-kettle", false},
		{20, "tremendous-kettle-lamp", true},
	}
	for _, c := range cases {
		if err := CheckPassword(c.password, c.min); (err == nil) != c.ok {
			t.Errorf("min %d, %q: %v, want ok=%v", c.min, c.password, err, c.ok)
		}
	}
}

func TestTokens(t *testing.T) {
	tok, hash := NewToken()
	if !WellFormedToken(tok) || string(HashToken(tok)) != string(hash) {
		t.Fatal("a fresh token is not well formed or does not hash to its hash")
	}
	other, _ := NewToken()
	if other == tok {
		t.Fatal("two equal tokens")
	}
	for _, bad := range []string{"", "srs_", tok[:len(tok)-1], "xyz" + tok[3:], tok + "A", "srs_" + strings.Repeat("!", 43)} {
		if WellFormedToken(bad) {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestLockout(t *testing.T) {
	cases := []struct {
		failures int
		wait     time.Duration
		locked   bool
	}{
		{0, 0, false},
		{4, 0, false},
		{5, time.Second, false},
		{6, 2 * time.Second, false},
		{9, 16 * time.Second, false},
		{10, 30 * time.Minute, true},
		{25, 30 * time.Minute, true},
	}
	for _, c := range cases {
		wait, locked := Lockout(c.failures)
		if wait != c.wait || locked != c.locked {
			t.Errorf("Lockout(%d) = %v, %v; want %v, %v", c.failures, wait, locked, c.wait, c.locked)
		}
	}
}

func TestThrottlePerAddress(t *testing.T) {
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	perIP := NewThrottle(60, 3) // one failure a second, bursts of three
	for i := range 3 {
		if _, ok := perIP.Allow("ip9", now); !ok {
			t.Fatalf("burst attempt %d refused", i)
		}
		perIP.Failure("ip9", now)
	}
	if _, ok := perIP.Allow("ip9", now); ok {
		t.Fatal("credential stuffing across accounts from one address not limited")
	}
	if _, ok := perIP.Allow("ip9", now.Add(1100*time.Millisecond)); !ok {
		t.Fatal("the address is still refused after its bucket refilled")
	}
	if _, ok := perIP.Allow("ip8", now); !ok {
		t.Fatal("another address was limited")
	}
}

func BenchmarkLoginHash(b *testing.B) {
	h := NewHasher(DefaultParams, 0)
	phc, _ := h.Hash(context.Background(), "correct horse battery staple")
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			h.Verify(context.Background(), "correct horse battery staple", phc)
		}
	})
}

// heapBytes reads the heap's memory that the process still holds: live
// and dead objects, and free pages not yet returned to the system.
func heapBytes(t *testing.T) (objects, retained uint64) {
	t.Helper()
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/free:bytes"}}
	metrics.Read(s)
	for _, v := range s {
		if v.Value.Kind() != metrics.KindUint64 {
			t.Fatalf("runtime metric %s is not supported", v.Name)
		}
	}
	return s[0].Value.Uint64(), s[1].Value.Uint64()
}

// A hash at the default parameters allocates 64 MiB. The hasher collects
// it before the next hash may start, so that a login storm's heap holds one
// block rather than two, and gives it back to the system once no hash runs.
func TestHasherGivesItsMemoryBack(t *testing.T) {
	const block = 64 << 20
	if DefaultParams.MemoryKiB*1024 != block {
		t.Fatalf("DefaultParams.MemoryKiB = %d; this test expects 64 MiB", DefaultParams.MemoryKiB)
	}
	ctx := context.Background()
	h := NewHasher(DefaultParams, 1)
	phc, err := h.Hash(ctx, "correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if ok, _, err := h.Verify(ctx, "correct horse battery staple", phc); !ok || err != nil {
			t.Fatalf("Verify = %v, %v", ok, err)
		}
		if objects, _ := heapBytes(t); objects > block/2 {
			t.Fatalf("after hash %d the heap holds %d MiB of objects: the hash's block was not collected", i+1, objects>>20)
		}
	}
	h.returned.Wait()
	if _, retained := heapBytes(t); retained > block/2 {
		t.Fatalf("with no hash running the heap keeps %d MiB of free pages from the system", retained>>20)
	}
}
