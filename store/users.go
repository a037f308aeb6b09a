package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

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

// EraseUser deletes every piece of personal data held about a resident, as
// the platform requires on unsubscribe. Aggregate counters are kept;
// consultation records stay for the office's count but lose the openid and
// the question text; quiz progress and leaderboard entries are deleted while
// quiz aggregates stay; the replies kept for WeChat's retries are deleted,
// but not a claim still pending (the unsubscribe's own, whose reply holds
// nothing of the resident). What a finished campaign run kept is under
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
		err := anonymiseConsultScript.Run(ctx, s.rdb, []string{s.keyConsult(id)}, "（用户已取消关注，内容已删除）").Err()
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

// Consultation is a resident's request to talk to a person (转人工).
type Consultation struct {
	ID       string
	OpenID   string
	Question string
	Status   string // new, answered, closed
	Created  time.Time
}

// ConsultMaxRunes bounds the text of a consultation, mark included: a
// question for staff fits in far less, and the inbox shows every one whole.
const ConsultMaxRunes = 500

// consultCut ends a consultation text cut at ConsultMaxRunes.
const consultCut = "…（内容过长，已截断）"

// DefaultConsultRetention is how long an answered or closed consultation is
// kept when Options.ConsultRetention is not set: a year covers a follow-up
// question and the annual report's review, whose figures come from the daily
// counters, which stay.
const DefaultConsultRetention = 365 * 24 * time.Hour

// consultDayTTL keeps a China day's per-resident consultation counts until
// that day is surely over.
const consultDayTTL = 48 * time.Hour

// ConsultRequest is a resident's request for a human (转人工).
type ConsultRequest struct {
	OpenID     string
	Question   string // cut to ConsultMaxRunes
	At         time.Time
	DailyLimit int // requests recorded per resident and China day; 0 = no limit
}

// ConsultResult is the outcome of RequestConsultation.
type ConsultResult struct {
	ID      string // the consultation recorded; "" when Limited
	Limited bool   // the resident reached DailyLimit today: nothing was recorded
}

// RequestConsultation records a request for a human unless the resident
// already made DailyLimit of them today. The day's consultation counter (the
// annual report's 转人工 人次) counts a resident once a day however many they
// make. The per-day count is kept under a keyed hash of the openid, so that
// unfollowing and following again neither resets the limit nor counts the
// resident twice, and it holds no openid.
func (s *Store) RequestConsultation(ctx context.Context, r ConsultRequest) (ConsultResult, error) {
	dayKey := s.keyConsultDay(Day(r.At))
	n := s.async.HIncrBy(ctx, dayKey, s.pseudonym("consult day", r.OpenID), 1)
	exp := s.async.Expire(ctx, dayKey, consultDayTTL)
	if err := wait(n, exp); err != nil {
		return ConsultResult{}, fmt.Errorf("store: add consultation: %w", err)
	}
	if r.DailyLimit > 0 && n.Val() > int64(r.DailyLimit) {
		return ConsultResult{Limited: true}, nil
	}
	seq, err := s.hot.Incr(ctx, s.keyConsultSeq()).Result()
	if err != nil {
		return ConsultResult{}, fmt.Errorf("store: add consultation: %w", err)
	}
	id := strconv.FormatInt(seq, 10)
	a := s.async
	cmds := []redis.Cmder{
		a.HSet(ctx, s.keyConsult(id), "openid", r.OpenID, "question", cutRunes(r.Question, ConsultMaxRunes, consultCut),
			"status", "new", "created", r.At.Unix()),
		a.ZAdd(ctx, s.keyConsultIndex(), redis.Z{Score: float64(r.At.Unix()), Member: id}),
		a.SAdd(ctx, s.keyUserConsults(r.OpenID), id),
	}
	if n.Val() == 1 {
		cmds = append(cmds, a.HIncrBy(ctx, s.keyStats(Day(r.At)), MetricConsultations, 1))
	}
	if err := wait(cmds...); err != nil {
		return ConsultResult{}, fmt.Errorf("store: add consultation: %w", err)
	}
	return ConsultResult{ID: id}, nil
}

// AddConsultation records a request for a human with no daily limit, as
// RequestConsultation does otherwise.
func (s *Store) AddConsultation(ctx context.Context, openid, question string, at time.Time) (string, error) {
	r, err := s.RequestConsultation(ctx, ConsultRequest{OpenID: openid, Question: question, At: at})
	return r.ID, err
}

// cutRunes returns s, or its beginning and mark within max runes.
func cutRunes(s string, max int, mark string) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	keep := max - utf8.RuneCountInString(mark)
	for i := range s {
		if keep == 0 {
			return s[:i] + mark
		}
		keep--
	}
	return s
}

// Consultations lists requests created in [from, to), oldest first.
func (s *Store) Consultations(ctx context.Context, from, to time.Time) ([]Consultation, error) {
	ids, err := s.rdb.ZRangeByScore(ctx, s.keyConsultIndex(), &redis.ZRangeBy{
		Min: strconv.FormatInt(from.Unix(), 10), Max: "(" + strconv.FormatInt(to.Unix(), 10),
	}).Result()
	if err != nil {
		return nil, fmt.Errorf("store: consultations: %w", err)
	}
	out := make([]Consultation, 0, len(ids))
	for _, id := range ids {
		h, err := s.rdb.HGetAll(ctx, s.keyConsult(id)).Result()
		if err != nil {
			return nil, fmt.Errorf("store: consultation %s: %w", id, err)
		}
		if len(h) == 0 {
			// Past its retention: the index forgets it too.
			if err := s.rdb.ZRem(ctx, s.keyConsultIndex(), id).Err(); err != nil {
				return nil, fmt.Errorf("store: consultation %s: %w", id, err)
			}
			continue
		}
		created, _ := strconv.ParseInt(h["created"], 10, 64)
		out = append(out, Consultation{ID: id, OpenID: h["openid"], Question: h["question"],
			Status: h["status"], Created: time.Unix(created, 0)})
	}
	return out, nil
}
