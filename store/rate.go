package store

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// The rate limiter shared by every replica (campaign sends, mass requests).

// rateScript is a GCRA shared by all replicas, on Redis's clock: it reserves
// ARGV[3] tokens and returns how long (µs) the caller must wait before
// using them. KEYS[1] theoretical arrival time (µs).
// ARGV[1] interval per token (µs), ARGV[2] burst (tokens), ARGV[3] tokens.
var rateScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local new = tat + tonumber(ARGV[3]) * interval
local wait = new - now - tonumber(ARGV[2]) * interval
if wait < 0 then wait = 0 end
redis.call('SET', KEYS[1], string.format('%.0f', new), 'PX', string.format('%.0f', math.ceil((new - now) / 1000) + 1000))
return string.format('%.0f', wait)
`)

// TakeRate reserves n tokens of the rate limit name (perSecond tokens per
// second, up to burst at once), shared by every replica, and returns how
// long the caller must wait before using them.
func (s *Store) TakeRate(ctx context.Context, name string, perSecond float64, burst, n int) (time.Duration, error) {
	if perSecond <= 0 {
		return 0, nil
	}
	interval := int64(1e6 / perSecond)
	res, err := rateScript.Run(ctx, s.rdb, []string{s.keyRateLimit(name)}, max(interval, 1), burst, n).Text()
	if err != nil {
		return 0, fmt.Errorf("store: rate %s: %w", name, err)
	}
	us, err := strconv.ParseInt(res, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("store: rate %s: bad reply %q", name, res)
	}
	return time.Duration(us) * time.Microsecond, nil
}
