package keyring

import (
	"bytes"
	"container/list"
	"sync"
	"time"
)

// Cache keeps unwrapped data keys, at most size of them, each for at most
// ttl after it was unwrapped, the least recently used dropped first. A key
// is found only with the exact wrapped bytes it was unwrapped from, so a
// re-wrapped or replaced key is unwrapped again.
type Cache struct {
	mu      sync.Mutex
	size    int
	ttl     time.Duration
	now     func() time.Time
	order   *list.List // front: most recently used; values *cacheEntry
	entries map[string]*list.Element
	hits    uint64
	misses  uint64
}

type cacheEntry struct {
	subject string
	wrapped []byte
	key     DataKey
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

// Get returns subject's key if it was unwrapped from wrapped and has not expired.
func (c *Cache) Get(subject string, wrapped []byte) (DataKey, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[subject]
	if !ok {
		c.misses++
		return DataKey{}, false
	}
	e := el.Value.(*cacheEntry)
	if !bytes.Equal(e.wrapped, wrapped) || (c.ttl > 0 && c.now().After(e.expires)) {
		c.order.Remove(el)
		delete(c.entries, subject)
		c.misses++
		return DataKey{}, false
	}
	c.order.MoveToFront(el)
	c.hits++
	return e.key, true
}

// Put keeps subject's key unwrapped from wrapped.
func (c *Cache) Put(subject string, wrapped []byte, key DataKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := &cacheEntry{subject: subject, wrapped: bytes.Clone(wrapped), key: key, expires: c.now().Add(c.ttl)}
	if el, ok := c.entries[subject]; ok {
		el.Value = e
		c.order.MoveToFront(el)
		return
	}
	c.entries[subject] = c.order.PushFront(e)
	for c.order.Len() > c.size {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.entries, last.Value.(*cacheEntry).subject)
	}
}

// Forget drops subject's key.
func (c *Cache) Forget(subject string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[subject]; ok {
		c.order.Remove(el)
		delete(c.entries, subject)
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
