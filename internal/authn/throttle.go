package authn

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Account lockout (NIST SP 800-63B §5.2.2 allows at most 100 consecutive
// failures; ASVS asks for a growing delay and a lock): from the 5th
// consecutive failure each attempt must wait a doubling delay, and the 10th
// locks the account for 30 minutes. The counts live in the database, shared
// by every server; Lockout is the rule applied to them.
const (
	FreeFailures = 4
	LockAfter    = 10 // consecutive failures that lock the account
	LockFor      = 30 * time.Minute
	maxDelay     = 15 * time.Minute
)

// Lockout tells, after the failures-th consecutive failure, how long the
// next attempt must wait and whether that wait is a lock.
func Lockout(failures int) (wait time.Duration, locked bool) {
	switch {
	case failures >= LockAfter:
		return LockFor, true
	case failures > FreeFailures:
		return min(time.Second<<min(failures-FreeFailures-1, 20), maxDelay), false
	}
	return 0, false
}

// Throttle limits failed attempts per client address across all accounts
// (credential stuffing), with a token bucket. State is in memory, per
// server: each server of a cluster keeps its own count.
type Throttle struct {
	mu      sync.Mutex
	ips     map[string]*ipLimit
	ipRate  rate.Limit
	ipBurst int
	maxKeys int
}

type ipLimit struct {
	lim  *rate.Limiter
	last time.Time
}

const forgetAfter = time.Hour

// NewThrottle allows each client address perMinute failed attempts on
// average, in bursts of up to burst.
func NewThrottle(perMinute float64, burst int) *Throttle {
	return &Throttle{
		ips:     map[string]*ipLimit{},
		ipRate:  rate.Limit(perMinute / 60),
		ipBurst: burst,
		maxKeys: 100_000,
	}
}

// Allow reports whether an attempt from ip may proceed now, and if not,
// how long to wait.
func (t *Throttle) Allow(ip string, now time.Time) (time.Duration, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.prune(now)
	if l := t.ips[ip]; l != nil {
		if tokens := l.lim.TokensAt(now); tokens < 1 {
			return time.Duration((1 - tokens) / float64(t.ipRate) * float64(time.Second)), false
		}
	}
	return 0, true
}

// Failure records a failed attempt from ip.
func (t *Throttle) Failure(ip string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	l := t.ips[ip]
	if l == nil {
		l = &ipLimit{lim: rate.NewLimiter(t.ipRate, t.ipBurst)}
		t.ips[ip] = l
	}
	l.last = now
	l.lim.AllowN(now, 1)
}

// prune forgets old entries once the map grows large, so that a flood of
// addresses cannot exhaust memory.
func (t *Throttle) prune(now time.Time) {
	if len(t.ips) < t.maxKeys {
		return
	}
	for k, l := range t.ips {
		if now.Sub(l.last) > forgetAfter {
			delete(t.ips, k)
		}
	}
}
