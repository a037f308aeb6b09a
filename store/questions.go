package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// moreTTL bounds how long "更多" can page through an earlier answer.
const moreTTL = time.Hour

// conversationTTL bounds how long a follow-up ("那孩子呢") is read in the
// context of the previous answer, and how long numbered readings stand.
const conversationTTL = 10 * time.Minute

// Question is one question put to the knowledge base, as recorded.
type Question struct {
	OpenID   string
	Text     string
	At       time.Time
	Answered bool   // answered with confidence
	Topic    string // FAQ entry or law chapter of the best hit; "" when none
	Next     int    // offset of the first hit not yet shown, for "更多"; 0 = nothing more
	// GotEntry marks a question given an answer entry, with confidence or
	// on a likely reading: a follow-up given one becomes the context.
	GotEntry bool
	// Choices are the answer ids offered as numbered readings; they replace
	// any earlier ones, and none clears them.
	Choices []string
	// Picked marks a reading the resident chose by number: the question was
	// counted when it was asked, so it is not counted again.
	Picked bool
	// FollowUp marks a question read in the context of an earlier one
	// ("那孩子呢"). Unless answered, it leaves that context as it is, so the
	// next follow-up is read against the same question; any other question
	// becomes the context, answered or not: a resident offered readings for
	// "离婚财产怎么分" who asks "那孩子呢" asks about the divorce, not about
	// an earlier question answered minutes before.
	FollowUp bool
}

// Conversation is what the bot remembers of a resident's last few minutes.
type Conversation struct {
	// Question is the last question a follow-up is read against (see
	// Question.FollowUp), "" when none is recent.
	Question string
	// Choices are the answer ids offered as numbered readings, in order.
	Choices []string
}

// RecordQuestion counts a question for the day and its topic, remembers it
// for a later 转人工 and keeps the "更多" cursor, in one round trip.
func (s *Store) RecordQuestion(ctx context.Context, q Question) error {
	day := Day(q.At)
	a := s.async
	outcome := MetricUnanswered
	if q.Answered {
		outcome = MetricAnswered
	}
	cmds := []redis.Cmder{a.Set(ctx, s.keyUserLast(q.OpenID), q.Text, lastQuestionTTL)}
	if !q.Picked {
		cmds = append(cmds, a.HIncrBy(ctx, s.keyStats(day), MetricQuestions, 1),
			a.HIncrBy(ctx, s.keyStats(day), outcome, 1))
	}
	if q.Topic != "" {
		cmds = append(cmds, a.ZIncrBy(ctx, s.keyTopics(day), 1, q.Topic))
	}
	if q.GotEntry || !q.FollowUp {
		cmds = append(cmds, a.HSet(ctx, s.keyUserContext(q.OpenID), "q", q.Text),
			a.Expire(ctx, s.keyUserContext(q.OpenID), conversationTTL))
	}
	cmds = append(cmds, a.Del(ctx, s.keyUserChoices(q.OpenID)))
	if len(q.Choices) > 0 {
		ids := make([]any, len(q.Choices))
		for i, c := range q.Choices {
			ids[i] = c
		}
		cmds = append(cmds, a.RPush(ctx, s.keyUserChoices(q.OpenID), ids...),
			a.Expire(ctx, s.keyUserChoices(q.OpenID), conversationTTL))
	}
	if q.Next > 0 {
		// In submit order, so the expiry follows the write.
		cmds = append(cmds, a.HSet(ctx, s.keyUserMore(q.OpenID), "q", q.Text, "next", q.Next),
			a.Expire(ctx, s.keyUserMore(q.OpenID), moreTTL))
	} else {
		cmds = append(cmds, a.Del(ctx, s.keyUserMore(q.OpenID)))
	}
	if err := wait(cmds...); err != nil {
		return fmt.Errorf("store: record question: %w", err)
	}
	return nil
}

// Conversation reads the resident's recent context and offered readings.
func (s *Store) Conversation(ctx context.Context, openid string) (Conversation, error) {
	ctxCmd := s.hot.HGetAll(ctx, s.keyUserContext(openid))
	chCmd := s.hot.LRange(ctx, s.keyUserChoices(openid), 0, -1)
	if err := wait(ctxCmd, chCmd); err != nil {
		return Conversation{}, fmt.Errorf("store: conversation: %w", err)
	}
	return Conversation{Question: ctxCmd.Val()["q"], Choices: chCmd.Val()}, nil
}

// More returns the resident's "更多" cursor; ok=false when there is none.
func (s *Store) More(ctx context.Context, openid string) (question string, next int, ok bool, err error) {
	h, err := s.hot.HGetAll(ctx, s.keyUserMore(openid)).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return "", 0, false, fmt.Errorf("store: more: %w", err)
	}
	n, convErr := strconv.Atoi(h["next"])
	if h["q"] == "" || convErr != nil || n <= 0 {
		return "", 0, false, nil
	}
	return h["q"], n, true, nil
}

// SetMore moves the "更多" cursor; next 0 clears it.
func (s *Store) SetMore(ctx context.Context, openid, question string, next int) error {
	var err error
	if next <= 0 {
		err = s.rdb.Del(ctx, s.keyUserMore(openid)).Err()
	} else {
		_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.HSet(ctx, s.keyUserMore(openid), "q", question, "next", next)
			p.Expire(ctx, s.keyUserMore(openid), moreTTL)
			return nil
		})
	}
	if err != nil {
		return fmt.Errorf("store: set more: %w", err)
	}
	return nil
}

// TopicCount is one topic and how often it was asked.
type TopicCount struct {
	Topic string
	Count int64
}

// TopTopics returns the n most asked topics of a day.
func (s *Store) TopTopics(ctx context.Context, day time.Time, n int) ([]TopicCount, error) {
	zs, err := s.rdb.ZRevRangeWithScores(ctx, s.keyTopics(Day(day)), 0, int64(n-1)).Result()
	if err != nil {
		return nil, fmt.Errorf("store: top topics: %w", err)
	}
	out := make([]TopicCount, len(zs))
	for i, z := range zs {
		out[i] = TopicCount{Topic: fmt.Sprint(z.Member), Count: int64(z.Score)}
	}
	return out, nil
}
