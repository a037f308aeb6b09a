package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// ArticleFigures are reading figures of an article, from WeChat's data cube.
type ArticleFigures struct {
	Reads      int `json:"reads"`      // 阅读量 (int_page_read_count)
	Readers    int `json:"readers"`    // 阅读人数 (int_page_read_user)
	Shares     int `json:"shares"`     // 分享次数 (share_count)
	Favourites int `json:"favourites"` // 收藏次数 (add_to_fav_count)
}

// Add returns the sum of f and g.
func (f ArticleFigures) Add(g ArticleFigures) ArticleFigures {
	return ArticleFigures{Reads: f.Reads + g.Reads, Readers: f.Readers + g.Readers,
		Shares: f.Shares + g.Shares, Favourites: f.Favourites + g.Favourites}
}

// ArticleReadDay is what one day added to an article's figures.
type ArticleReadDay struct {
	Day string `json:"day"` // YYYY-MM-DD, China
	ArticleFigures
}

// ArticleReads is what WeChat's data cube says about the article one
// campaign run mass-sent. The record is made when the send is accepted
// (figures zero, FetchedAt zero) and the daily statistics job fills it in;
// WeChat follows an article for 7 days after its send, so it stops growing
// after that.
type ArticleReads struct {
	Campaign  string    `json:"campaign"`
	Fire      time.Time `json:"fire"` // the run
	ArticleID string    `json:"article_id,omitempty"`
	Title     string    `json:"title"`
	// MsgDataIDs are the run's mass sends (one per batch; one for all
	// followers or one tag): the data cube names an article by
	// "<msg_data_id>_<index>".
	MsgDataIDs []int64   `json:"msg_data_ids"`
	SentAt     time.Time `json:"sent_at"`
	Target     int       `json:"target,omitempty"` // recipients the data cube counted
	// Total is the cumulative figures as of the last finished day (Readers
	// counts each reader once, which summing Days would not).
	Total     ArticleFigures   `json:"total"`
	Days      []ArticleReadDay `json:"days,omitempty"` // oldest first
	FetchedAt time.Time        `json:"fetched_at,omitzero"`
}

// AsOf is the last day the figures cover, "" before the first fetch.
func (r ArticleReads) AsOf() string {
	if len(r.Days) == 0 {
		return ""
	}
	return r.Days[len(r.Days)-1].Day
}

// RecordArticleSend notes an article mass send of a run (msgDataID from
// WeChat's answer), keeping figures already fetched; calling it again
// with the same msg_data_id changes nothing. Batches of one run sent by
// two replicas at once both end up in MsgDataIDs.
func (s *Store) RecordArticleSend(ctx context.Context, r ArticleReads, msgDataID int64) error {
	return s.updateArticleReads(ctx, r.Campaign, r.Fire, func(old ArticleReads, found bool) ArticleReads {
		if !found {
			old = r
			old.MsgDataIDs = nil
		}
		if !slices.Contains(old.MsgDataIDs, msgDataID) {
			old.MsgDataIDs = append(old.MsgDataIDs, msgDataID)
		}
		return old
	})
}

// PutArticleReads stores a run's article figures and indexes the run by
// its fire time. msg_data_ids recorded meanwhile by a send are kept.
func (s *Store) PutArticleReads(ctx context.Context, r ArticleReads) error {
	return s.updateArticleReads(ctx, r.Campaign, r.Fire, func(old ArticleReads, found bool) ArticleReads {
		for _, id := range old.MsgDataIDs {
			if !slices.Contains(r.MsgDataIDs, id) {
				r.MsgDataIDs = append(r.MsgDataIDs, id)
			}
		}
		return r
	})
}

// updateArticleReads changes one run's record with change, optimistically
// (WATCH on the campaign's reads hash, retried when another writer got
// there first), then indexes the run by its fire time. The index sits in
// another slot: the record is written first, and a reader skips index
// entries without one.
func (s *Store) updateArticleReads(ctx context.Context, campaign string, fire time.Time, change func(old ArticleReads, found bool) ArticleReads) error {
	key, field := s.keyCampaignReads(campaign), strconv.FormatInt(fire.Unix(), 10)
	var err error
	for range 20 {
		err = s.rdb.Watch(ctx, func(tx *redis.Tx) error {
			var old ArticleReads
			v, err := tx.HGet(ctx, key, field).Result()
			found := err == nil
			switch {
			case errors.Is(err, redis.Nil):
			case err != nil:
				return err
			default:
				if err := json.Unmarshal([]byte(v), &old); err != nil {
					return err
				}
			}
			b, err := json.Marshal(change(old, found))
			if err != nil {
				return err
			}
			_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.HSet(ctx, key, field, b)
				return nil
			})
			return err
		}, key)
		if !errors.Is(err, redis.TxFailedErr) {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("store: article reads %s: %w", campaign, err)
	}
	m := redis.Z{Score: float64(fire.Unix()), Member: campaign + " " + field}
	if err := s.rdb.ZAdd(ctx, s.keyReadsIndex(), m).Err(); err != nil {
		return fmt.Errorf("store: article reads index %s: %w", campaign, err)
	}
	return nil
}

func (s *Store) articleReads(ctx context.Context, campaign string, fire time.Time) (ArticleReads, bool, error) {
	v, err := s.rdb.HGet(ctx, s.keyCampaignReads(campaign), strconv.FormatInt(fire.Unix(), 10)).Result()
	if errors.Is(err, redis.Nil) {
		return ArticleReads{}, false, nil
	}
	if err != nil {
		return ArticleReads{}, false, fmt.Errorf("store: article reads %s: %w", campaign, err)
	}
	var r ArticleReads
	if err := json.Unmarshal([]byte(v), &r); err != nil {
		return ArticleReads{}, false, fmt.Errorf("store: article reads %s: %w", campaign, err)
	}
	return r, true, nil
}

// ArticleReads returns the article figures of every run of a campaign,
// oldest run first (none for a campaign that sent no article).
func (s *Store) ArticleReads(ctx context.Context, campaign string) ([]ArticleReads, error) {
	h, err := s.rdb.HGetAll(ctx, s.keyCampaignReads(campaign)).Result()
	if err != nil {
		return nil, fmt.Errorf("store: article reads %s: %w", campaign, err)
	}
	out := make([]ArticleReads, 0, len(h))
	for _, v := range h {
		var r ArticleReads
		if err := json.Unmarshal([]byte(v), &r); err != nil {
			return nil, fmt.Errorf("store: article reads %s: %w", campaign, err)
		}
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b ArticleReads) int { return a.Fire.Compare(b.Fire) })
	return out, nil
}

// ArticleReadsBetween returns the article figures of every run fired in
// [from, to), oldest first: the report's 阅读量 by campaign and month.
func (s *Store) ArticleReadsBetween(ctx context.Context, from, to time.Time) ([]ArticleReads, error) {
	ms, err := s.rdb.ZRangeByScore(ctx, s.keyReadsIndex(), &redis.ZRangeBy{
		Min: strconv.FormatInt(from.Unix(), 10), Max: "(" + strconv.FormatInt(to.Unix(), 10),
	}).Result()
	if err != nil {
		return nil, fmt.Errorf("store: article reads index: %w", err)
	}
	out := make([]ArticleReads, 0, len(ms))
	for _, m := range ms {
		id, fire, ok := strings.Cut(m, " ")
		if !ok {
			continue
		}
		sec, err := strconv.ParseInt(fire, 10, 64)
		if err != nil {
			continue
		}
		r, ok, err := s.articleReads(ctx, id, time.Unix(sec, 0))
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, r)
		}
	}
	return out, nil
}

// FollowerDay is the account's followers on one day, from the data cube
// (getusersummary, getusercumulate).
type FollowerDay struct {
	Day       string `json:"day"`       // YYYY-MM-DD, China
	Total     int    `json:"total"`     // followers at the end of the day
	New       int    `json:"new"`       // new follows, all sources
	Cancelled int    `json:"cancelled"` // unfollows
}

// FollowerSummary sums the follower days of a period.
type FollowerSummary struct {
	From, To  string // first and last day with figures (YYYY-MM-DD); empty when none
	Total     int    // followers at the end of the last day
	New       int
	Cancelled int
	Days      []FollowerDay // oldest first
}

// PutFollowerDays stores follower figures by day; a day stored again is
// replaced (the data cube's figures for a finished day do not change).
func (s *Store) PutFollowerDays(ctx context.Context, days []FollowerDay) error {
	if len(days) == 0 {
		return nil
	}
	vals := make([]any, 0, 2*len(days))
	for _, d := range days {
		t, err := time.Parse(time.DateOnly, d.Day)
		if err != nil {
			return fmt.Errorf("store: follower day %q: %w", d.Day, err)
		}
		b, err := json.Marshal(d)
		if err != nil {
			return fmt.Errorf("store: follower day %s: %w", d.Day, err)
		}
		vals = append(vals, t.Format("20060102"), b)
	}
	if err := s.rdb.HSet(ctx, s.keyFollowerDays(), vals...).Err(); err != nil {
		return fmt.Errorf("store: follower days: %w", err)
	}
	return nil
}

// FollowerDays returns the stored follower days from from to to, both
// included (China calendar days), oldest first; days never fetched are
// absent.
func (s *Store) FollowerDays(ctx context.Context, from, to time.Time) ([]FollowerDay, error) {
	h, err := s.rdb.HGetAll(ctx, s.keyFollowerDays()).Result()
	if err != nil {
		return nil, fmt.Errorf("store: follower days: %w", err)
	}
	lo, hi := Day(from), Day(to)
	var out []FollowerDay
	for k, v := range h {
		if k < lo || k > hi {
			continue
		}
		var d FollowerDay
		if err := json.Unmarshal([]byte(v), &d); err != nil {
			return nil, fmt.Errorf("store: follower day %s: %w", k, err)
		}
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b FollowerDay) int { return strings.Compare(a.Day, b.Day) })
	return out, nil
}

// FollowerSummary sums FollowerDays over a period.
func (s *Store) FollowerSummary(ctx context.Context, from, to time.Time) (FollowerSummary, error) {
	days, err := s.FollowerDays(ctx, from, to)
	if err != nil {
		return FollowerSummary{}, err
	}
	sum := FollowerSummary{Days: days}
	for _, d := range days {
		sum.New += d.New
		sum.Cancelled += d.Cancelled
	}
	if n := len(days); n > 0 {
		sum.From, sum.To, sum.Total = days[0].Day, days[n-1].Day, days[n-1].Total
	}
	return sum, nil
}

// ClaimJob claims one run of a scheduled job (name, e.g. "datacube", and
// the period it covers, e.g. a day) for this replica: true for exactly one
// caller across replicas. The claim expires after ttl.
func (s *Store) ClaimJob(ctx context.Context, name, period string, ttl time.Duration) (bool, error) {
	ok, err := s.rdb.SetNX(ctx, s.keyJob(name, period), time.Now().Unix(), ttl).Result()
	if err != nil {
		return false, fmt.Errorf("store: claim job %s %s: %w", name, period, err)
	}
	return ok, nil
}
