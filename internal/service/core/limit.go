package core

import (
	"sync"
	"time"

	"golang.org/x/time/rate"

	"strongroom.dev/strongroom/internal/errs"
)

// AccountLimiter bounds each logged-in account to a steady request rate
// with bursts of twice that, on this server: one account (a stolen session,
// a runaway script) cannot take the server from everyone else, while an
// office behind one address is limited per person, not as one.
type AccountLimiter struct {
	perSecond int
	mu        sync.Mutex
	accounts  map[string]*rate.Limiter
}

// NewAccountLimiter limits each account to perSecond requests a second.
func NewAccountLimiter(perSecond int) *AccountLimiter {
	return &AccountLimiter{perSecond: perSecond, accounts: map[string]*rate.Limiter{}}
}

// Allow spends one request of userID's allowance, or answers TooMany.
func (l *AccountLimiter) Allow(userID string, now time.Time) error {
	l.mu.Lock()
	if len(l.accounts) > 100_000 {
		clear(l.accounts)
	}
	lim := l.accounts[userID]
	if lim == nil {
		lim = rate.NewLimiter(rate.Limit(l.perSecond), 2*l.perSecond)
		l.accounts[userID] = lim
	}
	l.mu.Unlock()
	if !lim.AllowN(now, 1) {
		e := errs.E(errs.TooMany, "too many requests from this account; slow down")
		e.RetryAfter = time.Second
		return e
	}
	return nil
}
