package wechat

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/silenceper/wechat/v2/cache"
)

// TokenStore is the shared (Redis) storage behind the SDK cache; *store.Store
// implements it.
type TokenStore interface {
	CacheGet(ctx context.Context, name string) (val string, ok bool, err error)
	CacheSet(ctx context.Context, name, val string, ttl time.Duration) error
	CacheDelete(ctx context.Context, name string) error
	CacheCompareAndDelete(ctx context.Context, name, val string) (bool, error)
}

const (
	// cacheOpTimeout bounds each store call: the SDK's token handle uses the
	// context-free methods, so nothing else would.
	cacheOpTimeout = 2 * time.Second
	// fallbackTTL is how long a value last seen in (or written to) the
	// store is served while the store fails. The SDK caches tokens for
	// expires_in-300 s, so a token seen in Redis stays valid for at least
	// 300 s more.
	fallbackTTL = 5 * time.Minute
)

// Cache adapts a TokenStore to the SDK's cache.ContextCache, mapping SDK keys
// 1:1 onto store names.
//
// The SDK swallows Get errors and fetches a new token on nil, so a store
// outage would otherwise mean one token fetch per API call (WeChat caps
// those per day). Cache therefore keeps the last value of each key in memory
// and serves it, for at most fallbackTTL, while the store errors; a clean
// miss from the store is never answered from memory, so a token deleted by
// another replica stays deleted. For the same reason Set only logs store
// errors: the fresh value is held in memory, and failing the SDK call would
// discard a good token and fetch another on the next call.
type Cache struct {
	ts  TokenStore
	log *slog.Logger
	now func() time.Time

	mu       sync.Mutex
	last     map[string]memEntry
	degraded bool
}

type memEntry struct {
	val   string
	until time.Time
}

var _ cache.ContextCache = (*Cache)(nil)

// NewCache returns a Cache over ts; logger may be nil.
func NewCache(ts TokenStore, logger *slog.Logger) *Cache {
	if logger == nil {
		logger = slog.Default()
	}
	return &Cache{ts: ts, log: logger, now: time.Now, last: make(map[string]memEntry)}
}

// Get implements cache.Cache.
func (c *Cache) Get(key string) any {
	ctx, cancel := context.WithTimeout(context.Background(), cacheOpTimeout)
	defer cancel()
	return c.GetContext(ctx, key)
}

// Set implements cache.Cache.
func (c *Cache) Set(key string, val any, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), cacheOpTimeout)
	defer cancel()
	return c.SetContext(ctx, key, val, timeout)
}

// IsExist implements cache.Cache.
func (c *Cache) IsExist(key string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), cacheOpTimeout)
	defer cancel()
	return c.IsExistContext(ctx, key)
}

// Delete implements cache.Cache.
func (c *Cache) Delete(key string) error {
	ctx, cancel := context.WithTimeout(context.Background(), cacheOpTimeout)
	defer cancel()
	return c.DeleteContext(ctx, key)
}

// GetContext returns the string stored under key, or nil when absent. On a
// store error it logs and falls back to the in-memory copy.
func (c *Cache) GetContext(ctx context.Context, key string) any {
	val, ok, err := c.ts.CacheGet(ctx, key)
	if err != nil {
		if v, hit := c.recall(key); hit {
			// Every API call reads the token: log the outage once, not per call.
			if c.setDegraded(true) {
				c.log.WarnContext(ctx, "wechat cache: get failed, serving last known value",
					slog.String("key", key), slog.Any("err", err))
			}
			return v
		}
		c.log.ErrorContext(ctx, "wechat cache: get failed", slog.String("key", key), slog.Any("err", err))
		return nil
	}
	if c.setDegraded(false) {
		c.log.InfoContext(ctx, "wechat cache: store answers again", slog.String("key", key))
	}
	if !ok {
		return nil
	}
	c.remember(key, val, fallbackTTL)
	return val
}

// setDegraded records whether Get is serving from memory and reports a change.
func (c *Cache) setDegraded(d bool) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	changed := c.degraded != d
	c.degraded = d
	return changed
}

// SetContext stores val (a string, as the SDK only caches tokens and tickets)
// for timeout; 0 keeps it forever.
func (c *Cache) SetContext(ctx context.Context, key string, val any, timeout time.Duration) error {
	s, ok := val.(string)
	if !ok {
		return fmt.Errorf("wechat cache: set %s: unsupported value type %T", key, val)
	}
	keep := fallbackTTL
	if timeout > 0 {
		keep = min(timeout, fallbackTTL)
	}
	c.remember(key, s, keep)
	if err := c.ts.CacheSet(ctx, key, s, timeout); err != nil {
		c.log.ErrorContext(ctx, "wechat cache: set failed, value kept in memory only",
			slog.String("key", key), slog.Any("err", err))
	}
	return nil
}

// IsExistContext reports whether key is stored, falling back to memory on
// store errors.
func (c *Cache) IsExistContext(ctx context.Context, key string) bool {
	_, ok, err := c.ts.CacheGet(ctx, key)
	if err != nil {
		c.log.ErrorContext(ctx, "wechat cache: exists failed", slog.String("key", key), slog.Any("err", err))
		_, ok = c.recall(key)
	}
	return ok
}

// DeleteContext removes key from the store and from memory.
func (c *Cache) DeleteContext(ctx context.Context, key string) error {
	c.mu.Lock()
	delete(c.last, key)
	c.mu.Unlock()
	if err := c.ts.CacheDelete(ctx, key); err != nil {
		return fmt.Errorf("wechat cache: delete %s: %w", key, err)
	}
	return nil
}

// compareAndDelete removes key from the store and from memory only while it
// still holds val, so a value another replica wrote meanwhile survives.
func (c *Cache) compareAndDelete(ctx context.Context, key, val string) (bool, error) {
	c.mu.Lock()
	if e, ok := c.last[key]; ok && e.val == val {
		delete(c.last, key)
	}
	c.mu.Unlock()
	deleted, err := c.ts.CacheCompareAndDelete(ctx, key, val)
	if err != nil {
		return false, fmt.Errorf("wechat cache: compare-and-delete %s: %w", key, err)
	}
	return deleted, nil
}

func (c *Cache) remember(key, val string, keep time.Duration) {
	c.mu.Lock()
	c.last[key] = memEntry{val: val, until: c.now().Add(keep)}
	c.mu.Unlock()
}

func (c *Cache) recall(key string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.last[key]
	if !ok || !c.now().Before(e.until) {
		return "", false
	}
	return e.val, true
}
