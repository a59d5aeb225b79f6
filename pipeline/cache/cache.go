// Package cache holds Cache, the small in-memory cache that the queue's
// workers and the web server keep of what is costly to make again (a batch's
// local copy, a batch's detail, a page's thumbnail): bounded in size,
// optionally short-lived, and loading a value once however many ask for it at
// the same time (golang.org/x/sync/singleflight).
package cache

import (
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// Cache maps string keys to values of type V. It is safe for concurrent use.
//
// A value is kept until it is older than the cache's time to live (when that
// is not zero), until Forget drops it, or until room must be made for another:
// a full cache drops an arbitrary entry. Failed loads are not kept, so the
// next Get tries again.
type Cache[V any] struct {
	max int
	ttl time.Duration
	now func() time.Time

	mu sync.Mutex
	m  map[string]entry[V]
	g  singleflight.Group
}

type entry[V any] struct {
	val V
	at  time.Time
}

// New returns a cache holding at most n values (at least 1), each for ttl;
// ttl 0 keeps values until they are forgotten or make room.
func New[V any](n int, ttl time.Duration) *Cache[V] {
	return &Cache[V]{max: max(n, 1), ttl: ttl, now: time.Now, m: map[string]entry[V]{}}
}

// Get returns the value under key: the kept one if there is one still alive,
// else the one load returns, which is kept when load succeeds. Concurrent Gets
// of a key that is not kept share one call of load and its result.
func (c *Cache[V]) Get(key string, load func() (V, error)) (V, error) {
	if v, ok := c.Lookup(key); ok {
		return v, nil
	}
	v, err, _ := c.g.Do(key, func() (any, error) {
		if v, ok := c.Lookup(key); ok { // kept by a load that ended just now
			return v, nil
		}
		v, err := load()
		if err == nil {
			c.Add(key, v)
		}
		return v, err
	})
	val, _ := v.(V) // v is nil when V is an interface and load returned nil
	return val, err
}

// Lookup returns the value kept under key, if there is one still alive.
func (c *Cache[V]) Lookup(key string) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	if ok && c.ttl > 0 && c.now().Sub(e.at) >= c.ttl {
		delete(c.m, key)
		ok = false
	}
	return e.val, ok
}

// Add keeps v under key, replacing what was kept there.
func (c *Cache[V]) Add(key string, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[key]; !ok && len(c.m) >= c.max {
		for k := range c.m {
			delete(c.m, k)
			break
		}
	}
	c.m[key] = entry[V]{v, c.now()}
}

// Forget drops the value kept under key, if any.
func (c *Cache[V]) Forget(key string) {
	c.mu.Lock()
	delete(c.m, key)
	c.mu.Unlock()
}

// ForgetPrefix drops every value kept under a key starting with prefix.
func (c *Cache[V]) ForgetPrefix(prefix string) {
	c.mu.Lock()
	for k := range c.m {
		if strings.HasPrefix(k, prefix) {
			delete(c.m, k)
		}
	}
	c.mu.Unlock()
}

// Len returns the number of values kept, alive or not yet found expired.
func (c *Cache[V]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}
