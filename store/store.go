// Package store owns pufa's Redis state: every key name, every Lua script and
// the client construction live here so the data model can be read in one
// place and the same code runs on a single node, Sentinel or Cluster.
package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
)

// Options selects a Redis deployment, mirroring the redis.* config keys.
type Options struct {
	Addrs      []string // one = single node, several = cluster
	MasterName string   // non-empty = Sentinel, Addrs are the sentinels
	Password   string
	DB         int
	Prefix     string // prepended to every key, e.g. "pufa:"
}

// Store is pufa's handle on Redis. It is safe for concurrent use.
type Store struct {
	rdb    redis.UniversalClient
	hot    redis.Cmdable // callback-path commands, auto-pipelined (see New)
	prefix string
}

// Open connects according to opts. It does not ping: a service must start
// (and report not-ready) while Redis is down.
func Open(opts Options) (*Store, error) {
	if len(opts.Addrs) == 0 {
		return nil, errors.New("store: no redis address")
	}
	rdb := redis.NewUniversalClient(&redis.UniversalOptions{
		Addrs:      opts.Addrs,
		MasterName: opts.MasterName,
		Password:   opts.Password,
		DB:         opts.DB,
	})
	return New(rdb, opts.Prefix), nil
}

// New wraps an existing client; tests and the demo use it with their own
// servers.
//
// Commands on the callback path go through go-redis's auto-pipeliner, which
// batches the commands of concurrent callbacks into one write and one read:
// on a busy account a syscall per command costs Redis and pufa more CPU than
// the commands themselves (measured with `pufa bench callback`).
func New(rdb redis.UniversalClient, prefix string) *Store {
	s := &Store{rdb: rdb, hot: rdb, prefix: prefix}
	if c, ok := rdb.(interface {
		AutoPipeline() (*redis.AutoPipeliner, error)
	}); ok {
		if ap, err := c.AutoPipeline(); err == nil {
			s.hot = ap
		}
	}
	return s
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
func (s *Store) Close() error { return s.rdb.Close() }

// key joins the prefix and parts with ':'.
func (s *Store) key(parts ...string) string {
	return s.prefix + strings.Join(parts, ":")
}

// tag wraps v in braces so that keys sharing v land in one Cluster slot and
// can be used together in one Lua script or MULTI.
func tag(v string) string { return "{" + v + "}" }
