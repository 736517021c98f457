// Package authn proves who a caller is: password hashing and policy,
// session tokens, login throttling and session authentication.
package authn

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"

	"github.com/trustelem/zxcvbn/frequency"
	"golang.org/x/crypto/argon2"

	"strongroom.dev/strongroom/internal/errs"
)

// Params are argon2id cost parameters. They are written into every hash
// (PHC string format), so a change applies at each user's next login.
type Params struct {
	Time      uint32
	MemoryKiB uint32
	Threads   uint8
}

// DefaultParams: t=1, m=64 MiB, p=1 (above OWASP's m=46 MiB, t=1, p=1).
// One lane keeps a hash on one core: with two lanes a login storm took
// both cores of a two-core server, and the p99 of everyone else's reads
// meanwhile was 49–51 ms against 36–40 ms with one (strongroom bench
// --only get,storm, docs/PERFORMANCE.md). Hashes made with p=2 verify as
// before and are replaced at the user's next login.
var DefaultParams = Params{Time: 1, MemoryKiB: 64 * 1024, Threads: 1}

const (
	saltLen = 16
	keyLen  = 32
)

// Hasher hashes and verifies passwords, running at most a bounded number of
// argon2id computations at once so that a login storm cannot starve the
// rest of the server of CPU and memory.
type Hasher struct {
	params Params
	sem    chan struct{}
	dummy  string // verified against for unknown users, so timing is the same
	// returning is set while the memory of the last hashes goes back to
	// the operating system (release).
	returning atomic.Bool
	returned  sync.WaitGroup
}

// NewHasher returns a hasher with params. Concurrency 0 lets hashes use at
// most half the CPUs (each hash runs params.Threads lanes in parallel), and
// at least one: a login storm then leaves CPU for every other request,
// which otherwise queue behind it (measured by BenchmarkLoginStorm).
func NewHasher(params Params, concurrency int) *Hasher {
	if concurrency <= 0 {
		concurrency = max(1, runtime.NumCPU()/(2*max(1, int(params.Threads))))
	}
	h := &Hasher{params: params, sem: make(chan struct{}, concurrency)}
	h.sem <- struct{}{} // a lane, so that release returns its memory
	h.dummy = h.hash(rand.Text())
	h.release()
	return h
}

func (h *Hasher) acquire(ctx context.Context) error {
	select {
	case h.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return errs.Wrap(errs.Unavailable, "authn.Hasher", "the server is busy; try again", ctx.Err())
	}
}

// release frees a lane. A hash's memory (MemoryKiB, 64 MiB by default:
// by far the largest allocation a server makes) is garbage once the hash
// is done, so release collects it while still holding the lane: the next
// hash then reuses those pages instead of the heap growing by another
// block before the collector runs. When no other hash is running, the
// memory goes back to the operating system, in the background. After 50
// logins at once a server of 1,000,000 customers held 182 MiB instead of
// 255, and at its peak 276 instead of 307 (docs/PERFORMANCE.md, "A login
// storm's memory").
func (h *Hasher) release() {
	if h.params.MemoryKiB < bigHashKiB {
		<-h.sem
		return
	}
	runtime.GC()
	<-h.sem
	if len(h.sem) > 0 || !h.returning.CompareAndSwap(false, true) {
		return
	}
	h.returned.Add(1)
	go func() {
		defer h.returned.Done()
		debug.FreeOSMemory()
		h.returning.Store(false)
	}()
}

// bigHashKiB: a hash that takes less memory is left to the collector.
const bigHashKiB = 16 * 1024

// Hash returns the PHC string of password under the hasher's parameters.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	return h.hash(password), nil
}

func (h *Hasher) hash(password string) string {
	salt := make([]byte, saltLen)
	rand.Read(salt)
	p := h.params
	key := argon2.IDKey([]byte(password), salt, p.Time, p.MemoryKiB, p.Threads, keyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.MemoryKiB, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// Verify checks password against a PHC hash. rehash reports that the hash
// was made with other parameters than the hasher's and should be replaced.
// An empty hash (unknown user) is verified against a dummy so that the
// answer takes as long as for a real user, and is always false.
func (h *Hasher) Verify(ctx context.Context, password, phc string) (ok, rehash bool, err error) {
	known := phc != ""
	if !known {
		phc = h.dummy
	}
	p, salt, want, err := parsePHC(phc)
	if err != nil {
		return false, false, err
	}
	if err := h.acquire(ctx); err != nil {
		return false, false, err
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.MemoryKiB, p.Threads, uint32(len(want)))
	h.release()
	ok = subtle.ConstantTimeCompare(got, want) == 1 && known
	return ok, ok && p != h.params, nil
}

var errBadHash = errors.New("authn: malformed password hash")

func parsePHC(s string) (p Params, salt, key []byte, err error) {
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return p, nil, nil, errBadHash
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return p, nil, nil, errBadHash
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.MemoryKiB, &p.Time, &p.Threads); err != nil {
		return p, nil, nil, errBadHash
	}
	if p.Time == 0 || p.Threads == 0 || p.MemoryKiB < 8*uint32(p.Threads) || p.MemoryKiB > 4<<20 {
		return p, nil, nil, errBadHash
	}
	b64 := base64.RawStdEncoding
	if salt, err = b64.DecodeString(parts[4]); err != nil || len(salt) < 8 {
		return p, nil, nil, errBadHash
	}
	if key, err = b64.DecodeString(parts[5]); err != nil || len(key) < 16 {
		return p, nil, nil, errBadHash
	}
	return p, salt, key, nil
}

// Password length limits, in characters (NIST SP 800-63B: at least 8,
// accept at least 64; Strongroom asks 12 by default, configurable from 8
// to 64, and accepts 256).
const (
	MinPasswordLen    = 12
	MinPasswordLenLow = 8
	MinPasswordLenTop = 64
	MaxPasswordLen    = 256
)

// commonPasswords is zxcvbn's list of the 30,000 most common passwords
// from breach corpora, embedded in the binary, as a set.
var commonPasswords = sync.OnceValue(func() map[string]bool {
	list := frequency.FrequencyLists["passwords"]
	set := make(map[string]bool, len(list))
	for _, p := range list {
		set[p] = true
	}
	return set
})

// isCommon reports whether password, lower-cased, is a common password,
// also once trailing digits and symbols are stripped ("iloveyou12345").
func isCommon(lower string) bool {
	set := commonPasswords()
	if set[lower] {
		return true
	}
	stem := strings.TrimRightFunc(lower, func(r rune) bool { return !unicode.IsLetter(r) })
	return len(stem) >= 6 && stem != lower && set[stem]
}

// keyboardRows are the rows of a US keyboard, whose neighbouring keys make
// "walks" such as qwerty or asdf.
var keyboardRows = []string{"`1234567890-=", "qwertyuiop[]\\", "asdfghjkl;'", "zxcvbnm,./"}

// neighbours reports whether b follows a in a predictable way: the same
// character, the next or previous code point (abc, 321), or the next or
// previous key on a keyboard row (qwe, lkj).
func neighbours(a, b rune) bool {
	if d := b - a; d >= -1 && d <= 1 {
		return true
	}
	for _, row := range keyboardRows {
		i, j := strings.IndexRune(row, a), strings.IndexRune(row, b)
		if i >= 0 && j >= 0 && (i-j == 1 || j-i == 1) {
			return true
		}
	}
	return false
}

// predictable reports whether a (lower-cased) password is built mostly
// from repeated, sequential or neighbouring-key runs of three or more
// characters (NIST SP 800-63B §3.1.1.2: "repetitive or sequential
// characters") — at least three quarters of its characters lie in such
// runs — or is one unit said three times or more (abcabcabc, 12341234x3).
func predictable(lower string) bool {
	r := []rune(lower)
	for unit := 1; unit*3 <= len(r); unit++ {
		if len(r)%unit == 0 && strings.Repeat(string(r[:unit]), len(r)/unit) == lower {
			return true
		}
	}
	covered, run := 0, 1
	for i := 1; i <= len(r); i++ {
		if i < len(r) && neighbours(r[i-1], r[i]) {
			run++
			continue
		}
		if run >= 3 {
			covered += run
		}
		run = 1
	}
	return covered*4 >= len(r)*3
}

// CheckPassword applies the password policy: length over composition, no
// very common passwords, and none built from the account's own words.
func CheckPassword(password string, minLen int, contextWords ...string) error {
	const field = "password"
	if !utf8.ValidString(password) {
		return errs.InvalidField(field, "password is not valid UTF-8")
	}
	n := utf8.RuneCountInString(password)
	if minLen == 0 {
		minLen = MinPasswordLen
	}
	if n < minLen {
		return errs.InvalidField(field, fmt.Sprintf("password must be at least %d characters", minLen))
	}
	if n > MaxPasswordLen {
		return errs.InvalidField(field, fmt.Sprintf("password must be at most %d characters", MaxPasswordLen))
	}
	lower := strings.ToLower(password)
	if strings.Count(lower, string([]rune(lower)[0])) == len(lower) {
		return errs.InvalidField(field, "password must not repeat one character")
	}
	if predictable(lower) {
		return errs.InvalidField(field, "password is mostly repeated, sequential or neighbouring keys (like 123456, aaaa, abcd or qwerty); choose a phrase of unrelated words")
	}
	if isCommon(lower) {
		return errs.InvalidField(field, "password is too common (it appears in lists of breached passwords); choose a longer phrase of unrelated words")
	}
	for _, w := range append(contextWords, "strongroom") {
		w = strings.ToLower(strings.TrimSpace(w))
		if len(w) >= 4 && strings.Contains(lower, w) {
			return errs.InvalidField(field, "password must not contain your name, email or the product's name")
		}
	}
	return nil
}
