package keyring

import (
	"container/list"
	"sync"
	"time"
)

// Cache keeps unwrapped data keys, at most size of them, each for at most
// ttl after it was unwrapped, the least recently used dropped first. A key
// is kept and found by its subject and the exact wrapped bytes it was
// unwrapped from, so a re-wrapped or replaced key is unwrapped again, and
// a subject's kept older key (read for its change history) does not push
// out its current one.
type Cache struct {
	mu      sync.Mutex
	size    int
	ttl     time.Duration
	now     func() time.Time
	order   *list.List               // front: most recently used; values *cacheEntry
	entries map[string]*list.Element // by cacheKey
	hits    uint64
	misses  uint64
}

type cacheEntry struct {
	subject string
	key     string // cacheKey
	data    DataKey
	expires time.Time
}

// CacheStats is what the cache holds and how often it answered.
type CacheStats struct {
	Size, Capacity int
	TTL            time.Duration
	Hits, Misses   uint64
}

// NewCache makes a cache of size keys kept for ttl (0: until pushed out).
func NewCache(size int, ttl time.Duration) *Cache {
	return &Cache{size: size, ttl: ttl, now: time.Now, order: list.New(), entries: map[string]*list.Element{}}
}

// cacheKey is an entry's key: the subject and the wrapped bytes.
func cacheKey(subject string, wrapped []byte) string {
	return subject + "\x00" + string(wrapped)
}

// Get returns subject's key if it was unwrapped from wrapped and has not expired.
func (c *Cache) Get(subject string, wrapped []byte) (DataKey, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := cacheKey(subject, wrapped)
	el, ok := c.entries[k]
	if !ok {
		c.misses++
		return DataKey{}, false
	}
	e := el.Value.(*cacheEntry)
	if c.ttl > 0 && c.now().After(e.expires) {
		c.order.Remove(el)
		delete(c.entries, k)
		c.misses++
		return DataKey{}, false
	}
	c.order.MoveToFront(el)
	c.hits++
	return e.data, true
}

// Put keeps subject's key unwrapped from wrapped.
func (c *Cache) Put(subject string, wrapped []byte, key DataKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := cacheKey(subject, wrapped)
	e := &cacheEntry{subject: subject, key: k, data: key, expires: c.now().Add(c.ttl)}
	if el, ok := c.entries[k]; ok {
		el.Value = e
		c.order.MoveToFront(el)
		return
	}
	c.entries[k] = c.order.PushFront(e)
	for c.order.Len() > c.size {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.entries, last.Value.(*cacheEntry).key)
	}
}

// Forget drops every key of subject's (erasure, a new data key). It walks
// the cache, which is small and forgets rarely.
func (c *Cache) Forget(subject string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for el := c.order.Front(); el != nil; {
		next := el.Next()
		if e := el.Value.(*cacheEntry); e.subject == subject {
			c.order.Remove(el)
			delete(c.entries, e.key)
		}
		el = next
	}
}

// Purge drops every key.
func (c *Cache) Purge() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.order.Init()
	clear(c.entries)
}

// Stats reports the cache's use.
func (c *Cache) Stats() CacheStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return CacheStats{Size: c.order.Len(), Capacity: c.size, TTL: c.ttl, Hits: c.hits, Misses: c.misses}
}
