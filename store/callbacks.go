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
}

// ClaimCallback records that callback id is being processed unless a record
// exists; lease bounds how long a crashed processor blocks retries. It is one
// SET NX GET (Redis 7+), the cheapest atomic claim Redis offers: the callback
// path runs it for every message.
func (s *Store) ClaimCallback(ctx context.Context, id string, lease time.Duration) (Claim, error) {
	v, err := s.hot.SetArgs(ctx, s.keyCallback(id), "p", redis.SetArgs{Mode: "NX", Get: true, TTL: lease}).Result()
	switch {
	case errors.Is(err, redis.Nil):
		return Claim{State: Claimed}, nil
	case err != nil:
		return Claim{}, fmt.Errorf("store: claim callback: %w", err)
	case v == "p":
		return Claim{State: Pending}, nil
	case len(v) > 0 && v[0] == 'r':
		return Claim{State: Answered, Reply: []byte(v[1:])}, nil
	default:
		return Claim{}, fmt.Errorf("store: claim callback: unexpected record %q", v)
	}
}

// CallbackReply returns the stored reply of an answered callback, or
// ok=false while it is pending or unknown.
func (s *Store) CallbackReply(ctx context.Context, id string) (reply []byte, ok bool, err error) {
	v, err := s.hot.Get(ctx, s.keyCallback(id)).Bytes()
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

// AnswerCallback stores the reply body sent for callback id, kept for ttl so
// that retries receive it byte for byte.
func (s *Store) AnswerCallback(ctx context.Context, id string, reply []byte, ttl time.Duration) error {
	v := make([]byte, 1+len(reply))
	v[0] = 'r'
	copy(v[1:], reply)
	if err := s.hot.Set(ctx, s.keyCallback(id), v, ttl).Err(); err != nil {
		return fmt.Errorf("store: answer callback: %w", err)
	}
	return nil
}

// ReleaseCallback forgets a pending claim after processing failed, so that
// WeChat's next retry is processed afresh.
func (s *Store) ReleaseCallback(ctx context.Context, id string) error {
	if err := releaseScript.Run(ctx, s.rdb, []string{s.keyCallback(id)}).Err(); err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("store: release callback: %w", err)
	}
	return nil
}
