package authn

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Throttle slows password guessing. Per account (keyed by the blind index
// of the email typed, so unknown accounts are throttled exactly like real
// ones): from the 5th consecutive failure each attempt must wait a doubling
// delay, and the 10th locks the account for 30 minutes. Per client address: a token bucket across all
// accounts, against credential stuffing. State is in memory, per server.
type Throttle struct {
	mu       sync.Mutex
	accounts map[string]*failures
	ips      map[string]*ipLimit
	ipRate   rate.Limit
	ipBurst  int
	maxKeys  int
}

type failures struct {
	count int
	until time.Time // no attempt before this
	last  time.Time
}

type ipLimit struct {
	lim  *rate.Limiter
	last time.Time
}

const (
	freeFailures = 4
	lockAfter    = 10               // consecutive failures that lock the account
	lockFor      = 30 * time.Minute // NIST SP 800-63B allows at most 100 failures
	maxDelay     = 15 * time.Minute
	forgetAfter  = time.Hour
)

// NewThrottle allows each client address perMinute failed login attempts
// on average, in bursts of up to burst.
func NewThrottle(perMinute float64, burst int) *Throttle {
	return &Throttle{
		accounts: map[string]*failures{},
		ips:      map[string]*ipLimit{},
		ipRate:   rate.Limit(perMinute / 60),
		ipBurst:  burst,
		maxKeys:  100_000,
	}
}

// Allow reports whether a login attempt for account from ip may proceed
// now, and if not, how long to wait.
func (t *Throttle) Allow(account, ip string, now time.Time) (time.Duration, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.prune(now)
	if f := t.accounts[account]; f != nil && now.Before(f.until) {
		return f.until.Sub(now), false
	}
	if l := t.ips[ip]; l != nil {
		if tokens := l.lim.TokensAt(now); tokens < 1 {
			return time.Duration((1 - tokens) / float64(t.ipRate) * float64(time.Second)), false
		}
	}
	return 0, true
}

// Failure records a failed attempt on account from ip.
func (t *Throttle) Failure(account, ip string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	l := t.ips[ip]
	if l == nil {
		l = &ipLimit{lim: rate.NewLimiter(t.ipRate, t.ipBurst)}
		t.ips[ip] = l
	}
	l.last = now
	l.lim.AllowN(now, 1)
	f := t.accounts[account]
	if f == nil {
		f = &failures{}
		t.accounts[account] = f
	}
	f.count++
	f.last = now
	switch {
	case f.count >= lockAfter:
		f.until = now.Add(lockFor)
	case f.count > freeFailures:
		f.until = now.Add(min(time.Second<<min(f.count-freeFailures-1, 20), maxDelay))
	}
}

// Success clears account's failures.
func (t *Throttle) Success(account string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.accounts, account)
}

// prune forgets old entries once the maps grow large, so that a flood of
// made-up accounts or addresses cannot exhaust memory.
func (t *Throttle) prune(now time.Time) {
	if len(t.accounts)+len(t.ips) < t.maxKeys {
		return
	}
	for k, f := range t.accounts {
		if now.Sub(f.last) > forgetAfter && now.After(f.until) {
			delete(t.accounts, k)
		}
	}
	for k, l := range t.ips {
		if now.Sub(l.last) > forgetAfter {
			delete(t.ips, k)
		}
	}
}
