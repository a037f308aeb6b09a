package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// ClaimState tells what a callback's dedup record says.
type ClaimState int

// Claim outcomes.
const (
	Claimed  ClaimState = iota // first delivery: the caller processes it
	Pending                    // another delivery is being processed right now
	Answered                   // already answered: Reply holds the exact body sent
)

// Claim is the outcome of ClaimCallback.
type Claim struct {
	State ClaimState
	Reply []byte
	// Session is the multi-step conversation the resident is in (the id of
	// the quiz being answered), "" when none. It is read in the same round
	// trip as the claim, so handlers need not ask Redis for every message.
	Session string
}

// claimScript claims a callback and reads the resident's session in one
// call. KEYS[1] callback record, KEYS[2] session pointer (same {openid} slot);
// ARGV[1] lease in ms. Returns {previous record or nil, session or nil}.
var claimScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if not v then redis.call('SET', KEYS[1], 'p', 'PX', ARGV[1]) end
return {v, redis.call('GET', KEYS[2])}
`)

// ClaimCallback records that callback id of resident openid is being
// processed unless a record exists, and reads the resident's session; lease
// bounds how long a crashed processor blocks retries. The callback path runs
// it for every message it processes, so it is one script call: one command
// instead of a claim and a session lookup.
func (s *Store) ClaimCallback(ctx context.Context, openid, id string, lease time.Duration) (Claim, error) {
	res, err := claimScript.Run(ctx, s.hot, []string{s.keyCallback(openid, id), s.keyUserQuiz(openid)}, lease.Milliseconds()).Slice()
	if err != nil || len(res) != 2 {
		return Claim{}, fmt.Errorf("store: claim callback: %w", err)
	}
	session, _ := res[1].(string)
	v, found := res[0].(string)
	switch {
	case !found:
		return Claim{State: Claimed, Session: session}, nil
	case v == "p":
		return Claim{State: Pending, Session: session}, nil
	case len(v) > 0 && v[0] == 'r':
		return Claim{State: Answered, Reply: []byte(v[1:]), Session: session}, nil
	default:
		return Claim{}, fmt.Errorf("store: claim callback: unexpected record %q", v)
	}
}

// Session returns the multi-step conversation the resident is in (the id of
// the quiz being answered), "" when none: what a reply that needs no dedup
// record depends on.
func (s *Store) Session(ctx context.Context, openid string) (string, error) {
	return optional(s.hot.Get(ctx, s.keyUserQuiz(openid)), "session")
}

// CallbackReply returns the stored reply of an answered callback, or
// ok=false while it is pending or unknown.
func (s *Store) CallbackReply(ctx context.Context, openid, id string) (reply []byte, ok bool, err error) {
	v, err := s.hot.Get(ctx, s.keyCallback(openid, id)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("store: callback reply: %w", err)
	}
	if len(v) > 0 && v[0] == 'r' {
		return v[1:], true, nil
	}
	return nil, false, nil
}

// answerScript stores a callback's reply and indexes it under the
// resident, scored by its expiry, dropping index entries whose records have
// expired so that the index of a resident who writes all day stays small.
// KEYS[1] callback record, KEYS[2] the resident's callback index (same
// {openid} slot). ARGV[1] record, ARGV[2] TTL in ms, ARGV[3] dedup id.
var answerScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[2])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', string.format('%.0f', now))
redis.call('ZADD', KEYS[2], string.format('%.0f', now + ttl), ARGV[3])
redis.call('PEXPIRE', KEYS[2], ttl)
return 1
`)

// AnswerCallback stores the reply body sent for callback id, kept for ttl so
// that retries receive it byte for byte, and indexes it under the resident
// so that erasure can find it. One script, one command on the callback path.
func (s *Store) AnswerCallback(ctx context.Context, openid, id string, reply []byte, ttl time.Duration) error {
	err := answerScript.Run(ctx, s.hot, []string{s.keyCallback(openid, id), s.keyCallbackIndex(openid)},
		replyRecord(reply), ttl.Milliseconds(), id).Err()
	if err != nil {
		return fmt.Errorf("store: answer callback: %w", err)
	}
	return nil
}

// eraseRepliesScript deletes the answered callback records of a resident
// and the index that listed them; pending claims ("p") stay.
// KEYS[1] index, KEYS[2..] the records it lists (one {openid} slot).
var eraseRepliesScript = redis.NewScript(`
for i = 2, #KEYS do
  local v = redis.call('GET', KEYS[i])
  if v and string.sub(v, 1, 1) == 'r' then redis.call('DEL', KEYS[i]) end
end
redis.call('DEL', KEYS[1])
return 1
`)

// eraseCallbackReplies deletes the stored replies of the resident's
// callbacks: they may hold what the bot told the resident. Pending claims
// stay: they hold no reply, and one of them is the unsubscribe being
// processed, whose retries must not run it again.
func (s *Store) eraseCallbackReplies(ctx context.Context, openid string) error {
	index := s.keyCallbackIndex(openid)
	ids, err := s.rdb.ZRange(ctx, index, 0, -1).Result()
	if err != nil {
		return fmt.Errorf("store: erase callback replies: %w", err)
	}
	keys := make([]string, 0, 1+len(ids))
	keys = append(keys, index)
	for _, id := range ids {
		keys = append(keys, s.keyCallback(openid, id))
	}
	if err := eraseRepliesScript.Run(ctx, s.rdb, keys).Err(); err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("store: erase callback replies: %w", err)
	}
	return nil
}

// releaseScript drops a claim that is still pending so a retry can process
// the message; it never removes a stored reply.
// KEYS[1] dedup key.
var releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == 'p' then return redis.call('DEL', KEYS[1]) end
return 0
`)

// ReleaseCallback forgets a pending claim after processing failed, so that
// WeChat's next retry is processed afresh.
func (s *Store) ReleaseCallback(ctx context.Context, openid, id string) error {
	if err := releaseScript.Run(ctx, s.rdb, []string{s.keyCallback(openid, id)}).Err(); err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("store: release callback: %w", err)
	}
	return nil
}

// BindCallbackURL records that the signed callback URL with signature (the
// plain-mode signature over token, timestamp and nonce) carried the body
// whose SHA-256 is bodySum, unless it is already bound, for ttl: until the
// URL's timestamp is too old to be accepted. It reports whether bodySum is
// the URL's body, i.e. this is its first delivery or a retry of it. The URL
// signature covers no body, so without this record one URL from a proxy log
// could carry any message for the clock-skew window.
func (s *Store) BindCallbackURL(ctx context.Context, signature, bodySum string, ttl time.Duration) (bool, error) {
	prev, err := s.hot.SetArgs(ctx, s.keyCallbackURL(signature), bodySum, redis.SetArgs{Mode: "NX", Get: true, TTL: ttl}).Result()
	switch {
	case errors.Is(err, redis.Nil):
		return true, nil // bound now
	case err != nil:
		return false, fmt.Errorf("store: bind callback url: %w", err)
	}
	return prev == bodySum, nil
}

// replyRecord is a stored reply: 'r' and the body, told apart from the
// pending mark 'p'.
func replyRecord(reply []byte) []byte {
	v := make([]byte, 1+len(reply))
	v[0] = 'r'
	copy(v[1:], reply)
	return v
}
