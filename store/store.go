// Package store owns pufa's Redis state: every key name, every Lua script and
// the client construction live here so the data model can be read in one
// place and the same code runs on a single node, Sentinel or Cluster.
package store

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Options selects a Redis deployment, mirroring the redis.* config keys.
type Options struct {
	Addrs      []string // one = single node, several = cluster
	MasterName string   // non-empty = Sentinel, Addrs are the sentinels
	Password   string
	DB         int
	Prefix     string // prepended to every key, e.g. "pufa:"
	// PseudonymKey is the secret of the keyed hashes that stand in for
	// openids (see pseudonym). Empty: derived from Prefix, which is no
	// secret; only for tools that store no pseudonyms.
	PseudonymKey string
	// ConsultRetention is how long an answered or closed consultation is
	// kept; 0 = DefaultConsultRetention.
	ConsultRetention time.Duration
}

// Store is pufa's handle on Redis. It is safe for concurrent use.
type Store struct {
	rdb    redis.UniversalClient
	fast   redis.UniversalClient // behind hot and async when Open made one; nil otherwise
	hot    redis.Cmdable         // callback-path commands, auto-pipelined (see New)
	async  redis.Cmdable         // the same, deferred: results block when read, so several go out together
	prefix string
	pkey   []byte // HMAC key of pseudonym

	consultRetention time.Duration
}

// Open connects according to opts. It does not ping: a service must start
// (and report not-ready) while Redis is down.
//
// The callback path gets a client of its own with short timeouts and no
// retries: a reply must reach WeChat within 5 s, so a stalled or dead Redis
// must fail a resident's command within half a second, and the bot then says
// what it cannot record. Campaign delivery, the scheduler and the console keep
// go-redis's patient defaults: a 1 s limit there turned slow writes on a
// loaded machine into "unknown" campaign recipients.
func Open(opts Options) (*Store, error) {
	if len(opts.Addrs) == 0 {
		return nil, errors.New("store: no redis address")
	}
	uo := redis.UniversalOptions{
		Addrs:      opts.Addrs,
		MasterName: opts.MasterName,
		Password:   opts.Password,
		DB:         opts.DB,
	}
	s := &Store{rdb: redis.NewUniversalClient(&uo), prefix: opts.Prefix, pkey: pseudonymKey(opts.PseudonymKey, opts.Prefix),
		consultRetention: opts.ConsultRetention}
	if s.consultRetention <= 0 {
		s.consultRetention = DefaultConsultRetention
	}
	uo.DialTimeout, uo.ReadTimeout, uo.WriteTimeout = 500*time.Millisecond, 500*time.Millisecond, 500*time.Millisecond
	uo.MaxRetries, uo.DialerRetries, uo.DialerRetryTimeout = -1, 1, 50*time.Millisecond
	s.fast = redis.NewUniversalClient(&uo)
	s.hot, s.async = pipeliners(s.fast)
	return s, nil
}

// New wraps an existing client; tests and the demo use it with their own
// servers. Its pseudonym key is derived from prefix: stores sharing a prefix
// agree, as the replicas of a test must, but the key is no secret.
//
// Commands on the callback path go through go-redis's auto-pipeliner, which
// batches the commands of concurrent callbacks into one write and one read:
// on a busy account a syscall per command costs Redis and pufa more CPU than
// the commands themselves (measured with `pufa bench callback`).
//
// Where one callback sends several independent commands, it queues them on
// the deferred face of the same pipeliner and then reads their results
// (see wait), so they join the shared batches instead of each going out
// alone or taking a connection of their own, as Pipelined does.
func New(rdb redis.UniversalClient, prefix string) *Store {
	s := &Store{rdb: rdb, prefix: prefix, pkey: pseudonymKey("", prefix), consultRetention: DefaultConsultRetention}
	s.hot, s.async = pipeliners(rdb)
	return s
}

func pseudonymKey(configured, prefix string) []byte {
	if configured != "" {
		return []byte(configured)
	}
	sum := sha256.Sum256([]byte("pufa pseudonym key of prefix " + prefix))
	return sum[:]
}

// pseudonym is a keyed hash (HMAC-SHA256, the first 128 bits in hex) of a
// purpose and the parts after it, separated by NUL: it stands in for an
// openid where a record must outlive the resident's erasure, or where a
// record no longer needs the openid. Without the key nobody can tell whose
// record it is, even holding a list of openids; the purpose keeps the
// pseudonyms of one resident in different records apart.
func (s *Store) pseudonym(purpose string, parts ...string) string {
	mac := hmac.New(sha256.New, s.pkey)
	mac.Write([]byte(purpose))
	for _, p := range parts {
		mac.Write([]byte{0})
		mac.Write([]byte(p))
	}
	return hex.EncodeToString(mac.Sum(nil)[:16])
}

// pipeliners returns the blocking and the deferred auto-pipeliner of rdb,
// or rdb itself where it has none.
func pipeliners(rdb redis.UniversalClient) (hot, async redis.Cmdable) {
	hot, async = rdb, rdb
	if c, ok := rdb.(interface {
		AutoPipeline() (*redis.AutoPipeliner, error)
		AsyncAutoPipeline() (*redis.AutoPipeliner, error)
	}); ok {
		if ap, err := c.AutoPipeline(); err == nil {
			hot = ap
		}
		if ap, err := c.AsyncAutoPipeline(); err == nil {
			async = ap
		}
	}
	return hot, async
}

// wait returns the first error of commands queued on s.async, reading each
// result (which waits for it); a missing key (redis.Nil) is no error.
func wait(cmds ...redis.Cmder) error {
	for _, c := range cmds {
		if err := c.Err(); err != nil && !errors.Is(err, redis.Nil) {
			return err
		}
	}
	return nil
}

// optional is a GET's or HGET's value, "" when the key or field is
// missing; what names the value in the error.
func optional(cmd *redis.StringCmd, what string) (string, error) {
	v, err := cmd.Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("store: %s: %w", what, err)
	}
	return v, nil
}

// Client exposes the underlying client for packages that need commands the
// store does not wrap yet; they must still build key names with this package.
func (s *Store) Client() redis.UniversalClient { return s.rdb }

// Prefix returns the key prefix.
func (s *Store) Prefix() string { return s.prefix }

// Ping reports whether Redis answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

// Close releases the connections.
func (s *Store) Close() error {
	if s.fast != nil {
		s.fast.Close()
	}
	return s.rdb.Close()
}

// DeleteAll removes every key under the store's prefix, for a benchmark or
// a test that ran under a prefix of its own.
func (s *Store) DeleteAll(ctx context.Context) error {
	err := s.scan(ctx, s.prefix+"*", func(node redis.Cmdable, keys []string) error {
		// One UNLINK per key: a multi-key UNLINK across slots is refused on
		// Cluster even when one node holds them all.
		_, err := node.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, k := range keys {
				p.Unlink(ctx, k)
			}
			return nil
		})
		return err
	})
	if err != nil {
		return fmt.Errorf("store: delete all: %w", err)
	}
	return nil
}

// scan calls fn with the keys matching pattern, in batches of up to 1000,
// on every master when on Cluster (a SCAN walks one node); calls are
// serialised, so fn needs no locking.
func (s *Store) scan(ctx context.Context, pattern string, fn func(node redis.Cmdable, keys []string) error) error {
	var mu sync.Mutex
	one := func(ctx context.Context, node redis.Cmdable) error {
		mu.Lock()
		defer mu.Unlock()
		iter := node.Scan(ctx, 0, pattern, 1000).Iterator()
		batch := make([]string, 0, 1000)
		for iter.Next(ctx) {
			if batch = append(batch, iter.Val()); len(batch) == cap(batch) {
				if err := fn(node, batch); err != nil {
					return err
				}
				batch = batch[:0]
			}
		}
		if err := iter.Err(); err != nil {
			return err
		}
		if len(batch) > 0 {
			return fn(node, batch)
		}
		return nil
	}
	if cc, ok := s.rdb.(*redis.ClusterClient); ok {
		return cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error { return one(ctx, c) })
	}
	return one(ctx, s.rdb)
}

// key joins the prefix and parts with ':'.
func (s *Store) key(parts ...string) string {
	return s.prefix + strings.Join(parts, ":")
}

// tag wraps v in braces so that keys sharing v land in one Cluster slot and
// can be used together in one Lua script or MULTI.
func tag(v string) string { return "{" + v + "}" }
