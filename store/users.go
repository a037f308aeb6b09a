package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// lastQuestionTTL bounds how long a resident's last question is kept for a
// later "转人工"; personal data is kept no longer than it is useful.
const lastQuestionTTL = 24 * time.Hour

// Subscribe records a follow: the time and, when the QR code named one, the
// resident's community. An empty community keeps any community known before.
func (s *Store) Subscribe(ctx context.Context, openid, community string, at time.Time) error {
	prev, err := s.UserCommunity(ctx, openid)
	if err != nil {
		return err
	}
	if err := s.rdb.HSet(ctx, s.keyUser(openid), "subscribed_at", at.Unix()).Err(); err != nil {
		return fmt.Errorf("store: subscribe: %w", err)
	}
	if community == "" || community == prev {
		return nil
	}
	return s.SetCommunity(ctx, openid, community)
}

// SetCommunity moves a resident to a community (from a QR scene).
func (s *Store) SetCommunity(ctx context.Context, openid, community string) error {
	prev, err := s.UserCommunity(ctx, openid)
	if err != nil {
		return err
	}
	// Separate commands, not one script: the community sets live in other
	// Cluster slots than the user's hash.
	if prev != "" && prev != community {
		if err := s.rdb.SRem(ctx, s.keyCommunityFollowers(prev), openid).Err(); err != nil {
			return fmt.Errorf("store: set community: %w", err)
		}
	}
	if err := s.rdb.HSet(ctx, s.keyUser(openid), "community", community).Err(); err != nil {
		return fmt.Errorf("store: set community: %w", err)
	}
	if err := s.rdb.SAdd(ctx, s.keyCommunityFollowers(community), openid).Err(); err != nil {
		return fmt.Errorf("store: set community: %w", err)
	}
	return nil
}

// UserCommunity returns the resident's community id, or "" when unknown.
func (s *Store) UserCommunity(ctx context.Context, openid string) (string, error) {
	return optional(s.rdb.HGet(ctx, s.keyUser(openid), "community"), "user community")
}

// CommunityFollowers counts the current followers known to be from a community.
func (s *Store) CommunityFollowers(ctx context.Context, community string) (int64, error) {
	n, err := s.rdb.SCard(ctx, s.keyCommunityFollowers(community)).Result()
	if err != nil {
		return 0, fmt.Errorf("store: community followers: %w", err)
	}
	return n, nil
}

// SetLastQuestion remembers what a resident last asked, for a later 转人工.
func (s *Store) SetLastQuestion(ctx context.Context, openid, question string) error {
	if err := s.hot.Set(ctx, s.keyUserLast(openid), question, lastQuestionTTL).Err(); err != nil {
		return fmt.Errorf("store: last question: %w", err)
	}
	return nil
}

// LastQuestion returns the resident's last question, or "".
func (s *Store) LastQuestion(ctx context.Context, openid string) (string, error) {
	return optional(s.hot.Get(ctx, s.keyUserLast(openid)), "last question")
}

// UserExists reports whether any personal record of the resident is stored.
func (s *Store) UserExists(ctx context.Context, openid string) (bool, error) {
	n, err := s.rdb.Exists(ctx, s.userKeys(openid)...).Result()
	if err != nil {
		return false, fmt.Errorf("store: user exists: %w", err)
	}
	return n > 0, nil
}

// anonymiseConsultScript drops what a consultation holds of the resident
// (openid, nickname, question, conversation) when the resident is erased,
// if the record still exists: one past its retention must not come back as
// a stub without an expiry. The office keeps the case's community,
// category, status and dates for its figures.
// KEYS[1] consultation hash. ARGV[1] text standing in for the question.
var anonymiseConsultScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'openid', '', 'question', ARGV[1])
redis.call('HDEL', KEYS[1], 'nickname', 'log')
return 1
`)

// erasedText stands in for what an erased resident wrote.
const erasedText = "（用户已取消关注，内容已删除）"

// EraseUser deletes every piece of personal data held about a resident, as
// the platform requires on unsubscribe. Aggregate counters are kept;
// consultation records stay for the office's count but lose the openid,
// the question text and the conversation; the resident's transcript,
// open-case pointer and last-message time go with the user's keys; quiz
// progress and leaderboard entries are deleted while quiz aggregates stay;
// the replies kept for WeChat's retries are deleted, but not a claim still
// pending (the unsubscribe's own, whose reply holds nothing of the
// resident). What a finished campaign run kept is under
// pseudonyms already (ForgetRunRecipients).
func (s *Store) EraseUser(ctx context.Context, openid string) error {
	community, err := s.UserCommunity(ctx, openid)
	if err != nil {
		return err
	}
	if community != "" {
		if err := s.rdb.SRem(ctx, s.keyCommunityFollowers(community), openid).Err(); err != nil {
			return fmt.Errorf("store: erase user: %w", err)
		}
	}
	ids, err := s.rdb.SMembers(ctx, s.keyUserConsults(openid)).Result()
	if err != nil {
		return fmt.Errorf("store: erase user: %w", err)
	}
	for _, id := range ids {
		// Only where the record still exists: one past its retention must
		// not come back as a stub without an expiry.
		err := anonymiseConsultScript.Run(ctx, s.rdb, []string{s.keyConsult(id)}, erasedText).Err()
		if err != nil && !errors.Is(err, redis.Nil) {
			return fmt.Errorf("store: erase user consultation %s: %w", id, err)
		}
	}
	// Quiz progress and leaderboard entries sit in the quizzes' slots; the
	// index that finds them is among userKeys, so they go first.
	if err := s.eraseQuizRecords(ctx, openid); err != nil {
		return err
	}
	if err := s.eraseCallbackReplies(ctx, openid); err != nil {
		return err
	}
	if err := s.rdb.Del(ctx, s.userKeys(openid)...).Err(); err != nil {
		return fmt.Errorf("store: erase user: %w", err)
	}
	return nil
}
