package wechat

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pufa-dev/pufa/store"
	"github.com/pufa-dev/pufa/store/storetest"
)

var _ TokenStore = (*store.Store)(nil)

func TestCacheAgainstRedis(t *testing.T) {
	s := storetest.New(t)
	c := NewCache(s, nil)
	ctx := context.Background()

	if v := c.Get("k"); v != nil {
		t.Fatalf("Get on empty = %v", v)
	}
	if c.IsExist("k") {
		t.Fatal("IsExist on empty")
	}
	if err := c.Set("k", "v1", time.Minute); err != nil {
		t.Fatal(err)
	}
	if v := c.Get("k"); v != "v1" {
		t.Errorf("Get = %#v, want \"v1\" as a string (the SDK type-asserts)", v)
	}
	if !c.IsExistContext(ctx, "k") {
		t.Error("IsExist = false")
	}
	// SDK keys map 1:1 onto store names.
	if v, ok, err := s.CacheGet(ctx, "k"); err != nil || !ok || v != "v1" {
		t.Errorf("store.CacheGet = %q %v %v", v, ok, err)
	}
	ttl, err := s.Client().TTL(ctx, s.Prefix()+"wxcache:k").Result()
	if err != nil || ttl <= 50*time.Second || ttl > time.Minute {
		t.Errorf("TTL = %v, %v; want about 1m", ttl, err)
	}
	if err := c.Set("k", 42, time.Minute); err == nil {
		t.Error("Set(int) accepted")
	}

	if ok, err := c.compareAndDelete(ctx, "k", "other"); err != nil || ok {
		t.Errorf("compareAndDelete(other) = %v, %v; want false", ok, err)
	}
	if v := c.GetContext(ctx, "k"); v != "v1" {
		t.Errorf("value gone after a non-matching compare-and-delete: %v", v)
	}
	if ok, err := c.compareAndDelete(ctx, "k", "v1"); err != nil || !ok {
		t.Errorf("compareAndDelete(v1) = %v, %v; want true", ok, err)
	}
	if v := c.Get("k"); v != nil {
		t.Errorf("Get after compare-and-delete = %v", v)
	}

	if err := c.SetContext(ctx, "k2", "v2", 0); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete("k2"); err != nil {
		t.Fatal(err)
	}
	if c.IsExist("k2") {
		t.Error("IsExist after Delete")
	}
}

// flakyStore fails every call while down is set, like Redis being away.
type flakyStore struct {
	TokenStore
	down atomic.Bool
}

var errRedisDown = errors.New("dial tcp 10.0.0.7:6379: connect: connection refused")

func (f *flakyStore) CacheGet(ctx context.Context, name string) (string, bool, error) {
	if f.down.Load() {
		return "", false, errRedisDown
	}
	return f.TokenStore.CacheGet(ctx, name)
}

func (f *flakyStore) CacheSet(ctx context.Context, name, val string, ttl time.Duration) error {
	if f.down.Load() {
		return errRedisDown
	}
	return f.TokenStore.CacheSet(ctx, name, val, ttl)
}

func (f *flakyStore) CacheDelete(ctx context.Context, name string) error {
	if f.down.Load() {
		return errRedisDown
	}
	return f.TokenStore.CacheDelete(ctx, name)
}

func (f *flakyStore) CacheCompareAndDelete(ctx context.Context, name, val string) (bool, error) {
	if f.down.Load() {
		return false, errRedisDown
	}
	return f.TokenStore.CacheCompareAndDelete(ctx, name, val)
}

// sendMany sends n messages from 8 goroutines and fails on any error.
func sendMany(t *testing.T, c *Client, n int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	work := make(chan struct{}, n)
	for range n {
		work <- struct{}{}
	}
	close(work)
	for range 8 {
		wg.Go(func() {
			for range work {
				errs <- c.SendText(context.Background(), "o1", "x")
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestRedisOutageDoesNotStormTokenEndpoint(t *testing.T) {
	f := newFake(t)
	fs := &flakyStore{TokenStore: storetest.New(t)}
	c, logs := newClient(t, fs)
	clock := time.Now()
	var clockMu sync.Mutex
	c.cache.now = func() time.Time { clockMu.Lock(); defer clockMu.Unlock(); return clock }
	advance := func(d time.Duration) { clockMu.Lock(); clock = clock.Add(d); clockMu.Unlock() }

	sendMany(t, c, 5)
	fs.down.Store(true)
	sendMany(t, c, 50)
	if n := f.count("/cgi-bin/stable_token"); n != 1 {
		t.Errorf("stable_token calls during outage = %d, want 1", n)
	}
	if n := strings.Count(logs.String(), "serving last known value"); n != 1 {
		t.Errorf("outage logged %d times, want once:\n%s", n, logs)
	}

	// Past the fallback window: one fetch, then served from memory again
	// although Redis cannot store it.
	advance(fallbackTTL + time.Second)
	sendMany(t, c, 50)
	if n := f.count("/cgi-bin/stable_token"); n != 2 {
		t.Errorf("stable_token calls after the fallback window = %d, want 2", n)
	}

	// Redis back: the memory copy never hides a clean miss, so a token
	// deleted by another replica is not resurrected.
	fs.down.Store(false)
	if err := fs.CacheDelete(context.Background(), c.tokenKey); err != nil {
		t.Fatal(err)
	}
	if v := c.cache.Get(c.tokenKey); v != nil {
		t.Errorf("Get after a replica's delete = %v, want nil", v)
	}
	if !strings.Contains(logs.String(), "store answers again") {
		t.Errorf("recovery not logged:\n%s", logs)
	}
	if strings.Contains(logs.String(), "tok-1") {
		t.Errorf("token value logged:\n%s", logs)
	}
}

func TestRedisDownFromStart(t *testing.T) {
	f := newFake(t)
	fs := &flakyStore{TokenStore: storetest.New(t)}
	fs.down.Store(true)
	c, _ := newClient(t, fs)
	sendMany(t, c, 50)
	if n := f.count("/cgi-bin/stable_token"); n != 1 {
		t.Errorf("stable_token calls = %d, want 1", n)
	}
}

// With Redis down, a rejected token must not be served again from memory.
func TestTokenErrorDuringOutage(t *testing.T) {
	f := newFake(t)
	f.tokens = []string{"tok-1", "tok-2"}
	fs := &flakyStore{TokenStore: storetest.New(t)}
	c, _ := newClient(t, fs)
	ctx := context.Background()
	if err := c.SendText(ctx, "o1", "x"); err != nil {
		t.Fatal(err)
	}
	fs.down.Store(true)
	f.mu.Lock()
	f.invalid["tok-1"] = true
	f.mu.Unlock()
	if err := c.SendText(ctx, "o1", "x"); err != nil {
		t.Fatal(err)
	}
	if n := f.count("/cgi-bin/stable_token"); n != 2 {
		t.Errorf("stable_token calls = %d, want 2", n)
	}
	reqs := f.requests("/cgi-bin/message/custom/send")
	if last := reqs[len(reqs)-1].Token; last != "tok-2" {
		t.Errorf("retry used %q, want tok-2", last)
	}
}
