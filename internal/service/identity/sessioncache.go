package identity

import (
	"sync"

	"strongroom.dev/strongroom/internal/store"
)

// sessionCache keeps the sessions this server has looked up, each with
// the auth epoch read before its lookup. An entry is used only while the
// epoch stands, and the epoch moves with every change to what the lookup
// reads (migration 0033's triggers: a session ended or re-keyed; a user's
// roles, team, password, second factor or disabled state; the policy and
// its acceptances; second-factor rules; networks; break-glass; roles), so
// such a change, made by any server or command, takes effect at the next
// request. What depends on the time (expiry, idleness, break-glass
// windows) is still decided at each request, and a refusal is decided on
// a fresh lookup.
type sessionCache struct {
	mu      sync.Mutex
	entries map[string]cachedSession // by token hash
}

type cachedSession struct {
	sw    store.SessionWithUser
	epoch int64
}

// maxCachedSessions bounds the cache; it starts again empty when full.
const maxCachedSessions = 10_000

// get returns the session of token hash if it was looked up under epoch.
func (c *sessionCache) get(hash []byte, epoch int64) (store.SessionWithUser, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[string(hash)]
	if !ok || e.epoch != epoch {
		return store.SessionWithUser{}, false
	}
	return e.sw, true
}

// keep remembers sw as looked up under epoch, without what authenticating
// does not need (password hash, second-factor secrets, sealed email, the
// user's wrapped key), so that no secret lingers in the cache.
func (c *sessionCache) keep(hash []byte, sw store.SessionWithUser, epoch int64) {
	u := &sw.User
	u.PasswordHash, u.TOTPSealed, u.RecoveryHashes, u.EmailSealed, u.WrappedKey = "", nil, "", nil, nil
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= maxCachedSessions {
		c.entries = map[string]cachedSession{}
	}
	c.entries[string(hash)] = cachedSession{sw: sw, epoch: epoch}
}

// drop forgets the session of token hash.
func (c *sessionCache) drop(hash []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, string(hash))
}
