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

// ArticleSend is an article one campaign run mass-sent, and the data cube's
// cumulative figures for it as last fetched. The record is made when WeChat
// accepts the send (figures zero, FetchedAt zero); the daily statistics job
// (package datacube) fills in Total and records what each day added as an
// ArticleRead (store/wxfigures.go), which the report sums. WeChat follows an
// article for 7 days after its send, so it stops growing after that.
type ArticleSend struct {
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
	// Total is the cumulative figures as of AsOf (Readers counts each
	// reader once, which summing the days would not).
	Total     ArticleFigures `json:"total"`
	AsOf      string         `json:"as_of,omitempty"` // the last day Total covers, yyyy-mm-dd
	FetchedAt time.Time      `json:"fetched_at,omitzero"`
}

// RecordArticleSend notes an article mass send of a run (msgDataID from
// WeChat's answer), keeping figures already fetched; calling it again
// with the same msg_data_id changes nothing. Batches of one run sent by
// two replicas at once both end up in MsgDataIDs.
func (s *Store) RecordArticleSend(ctx context.Context, r ArticleSend, msgDataID int64) error {
	return s.updateArticleSend(ctx, r.Campaign, r.Fire, func(old ArticleSend, found bool) ArticleSend {
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

// PutArticleSend stores a run's article send with its figures and indexes
// the run by its fire time. msg_data_ids recorded meanwhile by a send are
// kept.
func (s *Store) PutArticleSend(ctx context.Context, r ArticleSend) error {
	return s.updateArticleSend(ctx, r.Campaign, r.Fire, func(old ArticleSend, _ bool) ArticleSend {
		for _, id := range old.MsgDataIDs {
			if !slices.Contains(r.MsgDataIDs, id) {
				r.MsgDataIDs = append(r.MsgDataIDs, id)
			}
		}
		return r
	})
}

// updateArticleSend changes one run's record with change, optimistically
// (WATCH on the campaign's hash, retried when another writer got there
// first), then indexes the run by its fire time. The index sits in another
// slot: the record is written first, and a reader skips index entries
// without one.
func (s *Store) updateArticleSend(ctx context.Context, campaign string, fire time.Time, change func(old ArticleSend, found bool) ArticleSend) error {
	key, field := s.keyArticleSends(campaign), strconv.FormatInt(fire.Unix(), 10)
	var err error
	for range 20 {
		err = s.rdb.Watch(ctx, func(tx *redis.Tx) error {
			var old ArticleSend
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
		return fmt.Errorf("store: article send %s: %w", campaign, err)
	}
	m := redis.Z{Score: float64(fire.Unix()), Member: campaign + " " + field}
	if err := s.rdb.ZAdd(ctx, s.keyArticleSendIndex(), m).Err(); err != nil {
		return fmt.Errorf("store: article send index %s: %w", campaign, err)
	}
	return nil
}

func (s *Store) articleSend(ctx context.Context, campaign string, fire time.Time) (ArticleSend, bool, error) {
	v, err := s.rdb.HGet(ctx, s.keyArticleSends(campaign), strconv.FormatInt(fire.Unix(), 10)).Result()
	if errors.Is(err, redis.Nil) {
		return ArticleSend{}, false, nil
	}
	if err != nil {
		return ArticleSend{}, false, fmt.Errorf("store: article send %s: %w", campaign, err)
	}
	var r ArticleSend
	if err := json.Unmarshal([]byte(v), &r); err != nil {
		return ArticleSend{}, false, fmt.Errorf("store: article send %s: %w", campaign, err)
	}
	return r, true, nil
}

// ArticleSends returns the article sends of every run of a campaign, oldest
// run first (none for a campaign that sent no article).
func (s *Store) ArticleSends(ctx context.Context, campaign string) ([]ArticleSend, error) {
	h, err := s.rdb.HGetAll(ctx, s.keyArticleSends(campaign)).Result()
	if err != nil {
		return nil, fmt.Errorf("store: article sends %s: %w", campaign, err)
	}
	out := make([]ArticleSend, 0, len(h))
	for _, v := range h {
		var r ArticleSend
		if err := json.Unmarshal([]byte(v), &r); err != nil {
			return nil, fmt.Errorf("store: article sends %s: %w", campaign, err)
		}
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b ArticleSend) int { return a.Fire.Compare(b.Fire) })
	return out, nil
}

// ArticleSendsBetween returns the article sends of every run fired in
// [from, to), oldest first.
func (s *Store) ArticleSendsBetween(ctx context.Context, from, to time.Time) ([]ArticleSend, error) {
	ms, err := s.rdb.ZRangeByScore(ctx, s.keyArticleSendIndex(), &redis.ZRangeBy{
		Min: strconv.FormatInt(from.Unix(), 10), Max: "(" + strconv.FormatInt(to.Unix(), 10),
	}).Result()
	if err != nil {
		return nil, fmt.Errorf("store: article send index: %w", err)
	}
	out := make([]ArticleSend, 0, len(ms))
	for _, m := range ms {
		id, fire, ok := strings.Cut(m, " ")
		if !ok {
			continue
		}
		sec, err := strconv.ParseInt(fire, 10, 64)
		if err != nil {
			continue
		}
		r, ok, err := s.articleSend(ctx, id, time.Unix(sec, 0))
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, r)
		}
	}
	return out, nil
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
