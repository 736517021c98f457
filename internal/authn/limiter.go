package authn

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limiter bounds each key (a client address, an account) to a steady rate
// of requests with bursts of twice that. State is in memory, per server.
type Limiter struct {
	perSecond int
	mu        sync.Mutex
	keys      map[string]*rate.Limiter
}

// maxLimited bounds the keys a Limiter remembers; it starts again empty
// when full, so a flood of keys cannot exhaust memory.
const maxLimited = 100_000

// NewLimiter allows each key perSecond requests a second on average.
func NewLimiter(perSecond int) *Limiter {
	return &Limiter{perSecond: perSecond, keys: map[string]*rate.Limiter{}}
}

// Allow spends one request of key's allowance, reporting whether there was
// one.
func (l *Limiter) Allow(key string, now time.Time) bool {
	l.mu.Lock()
	if len(l.keys) >= maxLimited {
		clear(l.keys)
	}
	lim := l.keys[key]
	if lim == nil {
		lim = rate.NewLimiter(rate.Limit(l.perSecond), 2*l.perSecond)
		l.keys[key] = lim
	}
	l.mu.Unlock()
	return lim.AllowN(now, 1)
}
