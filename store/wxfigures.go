package store

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pufa-dev/pufa/chinatime"
)

// Figures WeChat reports about the account (its data cube: followers per
// day, article reads per day), kept for the annual report. They hold no
// resident and never expire. Each day's record is replaced when fetched
// again, since WeChat may still correct yesterday's figures, so storing
// them twice never counts them twice.

// FollowerDay is the account's followers on one day (China time), from
// WeChat's user summary (new, cancelled) and cumulate (total).
type FollowerDay struct {
	Day       string `json:"day"` // yyyy-mm-dd
	New       int64  `json:"new"`
	Cancelled int64  `json:"cancelled"`
	Total     int64  `json:"total"` // followers at the end of the day
}

// RecordFollowerDay stores (or replaces) one day's follower figures.
func (s *Store) RecordFollowerDay(ctx context.Context, d FollowerDay) error {
	t, err := time.ParseInLocation("2006-01-02", d.Day, chinatime.Zone)
	if err != nil {
		return fmt.Errorf("store: follower day %q: %w", d.Day, err)
	}
	if d.New < 0 || d.Cancelled < 0 || d.Total < 0 {
		return fmt.Errorf("store: follower day %s: negative figure", d.Day)
	}
	err = s.rdb.HSet(ctx, s.keyFollowerDay(Day(t)), "new", d.New, "cancelled", d.Cancelled, "total", d.Total).Err()
	if err != nil {
		return fmt.Errorf("store: follower day %s: %w", d.Day, err)
	}
	return nil
}

// FollowerDays returns the recorded days from..to (inclusive, China
// calendar days), oldest first; days without a record are left out.
func (s *Store) FollowerDays(ctx context.Context, from, to time.Time) ([]FollowerDay, error) {
	var days []time.Time
	for d := dayStart(from); !d.After(dayStart(to)); d = d.AddDate(0, 0, 1) {
		days = append(days, d)
	}
	cmds := make([]*redis.MapStringStringCmd, len(days))
	// Pipelined per key, not one multi-key command: each day's key may sit
	// on another Cluster slot.
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, d := range days {
			cmds[i] = p.HGetAll(ctx, s.keyFollowerDay(Day(d)))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: follower days: %w", err)
	}
	var out []FollowerDay
	for i, c := range cmds {
		h := c.Val()
		if len(h) == 0 {
			continue
		}
		fd := FollowerDay{Day: days[i].Format("2006-01-02")}
		for field, p := range map[string]*int64{"new": &fd.New, "cancelled": &fd.Cancelled, "total": &fd.Total} {
			if *p, err = strconv.ParseInt(h[field], 10, 64); err != nil {
				return nil, fmt.Errorf("store: follower day %s %s: %w", fd.Day, field, err)
			}
		}
		out = append(out, fd)
	}
	return out, nil
}

func dayStart(t time.Time) time.Time {
	t = t.In(chinatime.Zone)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, chinatime.Zone)
}

// ArticleRead is what WeChat counted on one day for the article(s) one
// campaign run sent.
type ArticleRead struct {
	Campaign  string    `json:"campaign"`
	Fire      time.Time `json:"fire"`
	Day       string    `json:"day"`        // yyyy-mm-dd, the day of the reads
	Reads     int64     `json:"reads"`      // 阅读量 (int_page_read_count)
	ReadUsers int64     `json:"read_users"` // 阅读人数
	Shares    int64     `json:"shares"`
	Favorites int64     `json:"favorites"`
}

// RecordArticleRead stores (or replaces) one day's reads of a run.
func (s *Store) RecordArticleRead(ctx context.Context, r ArticleRead) error {
	if r.Campaign == "" || r.Fire.IsZero() {
		return fmt.Errorf("store: article read: campaign and fire are required")
	}
	if _, err := time.ParseInLocation("2006-01-02", r.Day, chinatime.Zone); err != nil {
		return fmt.Errorf("store: article read day %q: %w", r.Day, err)
	}
	if r.Reads < 0 || r.ReadUsers < 0 || r.Shares < 0 || r.Favorites < 0 {
		return fmt.Errorf("store: article read %s %s: negative figure", r.Campaign, r.Day)
	}
	r.Fire = r.Fire.UTC()
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("store: article read: %w", err)
	}
	field := strconv.FormatInt(r.Fire.Unix(), 10) + " " + r.Day
	if err := s.rdb.HSet(ctx, s.keyCampaignReads(r.Campaign), field, b).Err(); err != nil {
		return fmt.Errorf("store: article read %s: %w", r.Campaign, err)
	}
	return nil
}

// ArticleReads returns a campaign's recorded reads, by fire then day.
func (s *Store) ArticleReads(ctx context.Context, campaign string) ([]ArticleRead, error) {
	h, err := s.rdb.HGetAll(ctx, s.keyCampaignReads(campaign)).Result()
	if err != nil {
		return nil, fmt.Errorf("store: article reads %s: %w", campaign, err)
	}
	out := make([]ArticleRead, 0, len(h))
	for field, v := range h {
		var r ArticleRead
		if err := json.Unmarshal([]byte(v), &r); err != nil {
			return nil, fmt.Errorf("store: article reads %s %s: %w", campaign, field, err)
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Fire.Equal(out[j].Fire) {
			return out[i].Fire.Before(out[j].Fire)
		}
		return out[i].Day < out[j].Day
	})
	return out, nil
}
