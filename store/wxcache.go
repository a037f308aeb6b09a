package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// CacheGet reads a WeChat SDK cache entry; ok=false when absent.
func (s *Store) CacheGet(ctx context.Context, name string) (val string, ok bool, err error) {
	v, err := s.rdb.Get(ctx, s.keyWXCache(name)).Result()
	if errors.Is(err, redis.Nil) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("store: cache get: %w", err)
	}
	return v, true, nil
}

// CacheSet writes a WeChat SDK cache entry; ttl 0 keeps it forever.
func (s *Store) CacheSet(ctx context.Context, name, val string, ttl time.Duration) error {
	if err := s.rdb.Set(ctx, s.keyWXCache(name), val, ttl).Err(); err != nil {
		return fmt.Errorf("store: cache set: %w", err)
	}
	return nil
}

// CacheDelete removes a WeChat SDK cache entry.
func (s *Store) CacheDelete(ctx context.Context, name string) error {
	if err := s.rdb.Del(ctx, s.keyWXCache(name)).Err(); err != nil {
		return fmt.Errorf("store: cache delete: %w", err)
	}
	return nil
}

// compareAndDeleteScript deletes KEYS[1] only while it still holds ARGV[1]:
// a replica that saw an expired token must not delete the fresh one another
// replica just stored.
var compareAndDeleteScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`)

// CacheCompareAndDelete removes the entry only while it still holds val and
// reports whether it did.
func (s *Store) CacheCompareAndDelete(ctx context.Context, name, val string) (bool, error) {
	n, err := compareAndDeleteScript.Run(ctx, s.rdb, []string{s.keyWXCache(name)}, val).Int()
	if err != nil {
		return false, fmt.Errorf("store: cache compare-and-delete: %w", err)
	}
	return n == 1, nil
}
