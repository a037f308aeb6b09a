package wechat

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pufa-dev/pufa/chinatime"
)

// Maximum day spans (end - begin + 1) of the data-cube APIs, as WeChat
// documents them; a wider range gets errcode 61501.
const (
	SpanArticleSummary = 1
	SpanArticleTotal   = 1
	SpanUserRead       = 3
	SpanUserSummary    = 7
	SpanUserCumulate   = 7
)

// dataCubeReadyHour is when WeChat has finished computing yesterday's
// figures (Beijing time); earlier queries may return partial data.
const dataCubeReadyHour = 8

// ErrDataNotReady marks a data-cube range that reaches today, or yesterday
// before 08:00 Beijing time; it also matches ErrInvalidRequest.
var ErrDataNotReady = fmt.Errorf("data-cube figures not ready: %w", ErrInvalidRequest)

// Day is a calendar day in Beijing time, the data cube's only time unit.
type Day struct{ time.Time }

// DayOf returns the Beijing calendar day of t.
func DayOf(t time.Time) Day {
	b := t.In(chinatime.Zone)
	return Day{time.Date(b.Year(), b.Month(), b.Day(), 0, 0, 0, 0, chinatime.Zone)}
}

// ParseDay parses WeChat's YYYY-MM-DD.
func ParseDay(s string) (Day, error) {
	t, err := time.ParseInLocation(time.DateOnly, s, chinatime.Zone)
	if err != nil {
		return Day{}, fmt.Errorf("wechat: day %q: %w", s, err)
	}
	return Day{t}, nil
}

func (d Day) String() string { return d.Format(time.DateOnly) }

// AddDays returns the day n days later.
func (d Day) AddDays(n int) Day { return Day{d.AddDate(0, 0, n)} }

// LatestDataCubeDay is the last day whose figures WeChat has finished at
// now: yesterday from 08:00 Beijing time, the day before until then.
func LatestDataCubeDay(now time.Time) Day {
	latest := DayOf(now).AddDays(-1)
	if now.In(chinatime.Zone).Hour() < dataCubeReadyHour {
		latest = latest.AddDays(-1)
	}
	return latest
}

// checkRange rejects what WeChat would answer with 61501 or with figures
// not yet complete.
func checkRange(api string, begin, end Day, span int, now time.Time) error {
	switch {
	case begin.IsZero() || end.IsZero():
		return fmt.Errorf("wechat: %s: %w: begin and end days are required", api, ErrInvalidRequest)
	case end.Before(begin.Time):
		return fmt.Errorf("wechat: %s: %w: end %s is before begin %s", api, ErrInvalidRequest, end, begin)
	case end.After(begin.AddDays(span - 1).Time):
		return fmt.Errorf("wechat: %s: %w: %s to %s is more than %d days", api, ErrInvalidRequest, begin, end, span)
	}
	if latest := LatestDataCubeDay(now); end.After(latest.Time) {
		return fmt.Errorf("wechat: %s: %w: %s is after %s, the last finished day at %s",
			api, ErrDataNotReady, end, latest, now.In(chinatime.Zone).Format("2006-01-02 15:04"))
	}
	return nil
}

// ArticleFigures are the reading figures of an article (or of all
// articles) over some period.
type ArticleFigures struct {
	IntPageReadUser  int `json:"int_page_read_user"`  // 阅读人数: readers of the article page
	IntPageReadCount int `json:"int_page_read_count"` // 阅读次数 (阅读量)
	OriPageReadUser  int `json:"ori_page_read_user"`  // readers of the "阅读原文" page
	OriPageReadCount int `json:"ori_page_read_count"`
	ShareUser        int `json:"share_user"`
	ShareCount       int `json:"share_count"`
	AddToFavUser     int `json:"add_to_fav_user"`
	AddToFavCount    int `json:"add_to_fav_count"`
}

// ArticleDaySummary is one article's figures on one day (getarticlesummary).
type ArticleDaySummary struct {
	RefDate string `json:"ref_date"`
	// MsgID is "<msg_data_id>_<index>": msg_data_id of the mass send and
	// the article's 1-based position in it.
	MsgID string `json:"msgid"`
	Title string `json:"title"`
	ArticleFigures
}

// ArticleTotal is one mass-sent article's cumulative figures for each day
// since its send, up to 7 days (getarticletotal).
type ArticleTotal struct {
	RefDate string       `json:"ref_date"` // day of the send
	MsgID   string       `json:"msgid"`    // "<msg_data_id>_<index>"
	Title   string       `json:"title"`
	Details []ArticleDay `json:"details"`
}

// ArticleDay is an article's cumulative figures as of StatDate.
type ArticleDay struct {
	StatDate   string `json:"stat_date"`
	TargetUser int    `json:"target_user"` // recipients of the send
	ArticleFigures
}

// UserRead is the account's reading figures for one day and source
// (getuserread); UserSource 99999999 is all sources.
type UserRead struct {
	RefDate    string `json:"ref_date"`
	UserSource int    `json:"user_source"`
	ArticleFigures
}

// UserSummary is one day's new and cancelled followers from one source
// (getusersummary). A day without changes is absent.
type UserSummary struct {
	RefDate    string `json:"ref_date"`
	UserSource int    `json:"user_source"`
	NewUser    int    `json:"new_user"`
	CancelUser int    `json:"cancel_user"`
}

// UserCumulate is the follower total at the end of one day (getusercumulate).
type UserCumulate struct {
	RefDate      string `json:"ref_date"`
	CumulateUser int    `json:"cumulate_user"`
}

// ArticleSummary returns every mass-sent article's figures on one day.
func (c *Client) ArticleSummary(ctx context.Context, day Day) ([]ArticleDaySummary, error) {
	var list []ArticleDaySummary
	err := c.dataCube(ctx, "article summary", "getarticlesummary", day, day, SpanArticleSummary, &list)
	return list, err
}

// ArticleTotal returns the articles mass-sent on day with their figures
// for each following day (at most 7) that has finished.
func (c *Client) ArticleTotal(ctx context.Context, day Day) ([]ArticleTotal, error) {
	var list []ArticleTotal
	err := c.dataCube(ctx, "article total", "getarticletotal", day, day, SpanArticleTotal, &list)
	return list, err
}

// UserRead returns the account's daily reading figures for up to 3 days.
func (c *Client) UserRead(ctx context.Context, begin, end Day) ([]UserRead, error) {
	var list []UserRead
	err := c.dataCube(ctx, "user read", "getuserread", begin, end, SpanUserRead, &list)
	return list, err
}

// UserSummary returns new and cancelled followers per day for up to 7 days.
func (c *Client) UserSummary(ctx context.Context, begin, end Day) ([]UserSummary, error) {
	var list []UserSummary
	err := c.dataCube(ctx, "user summary", "getusersummary", begin, end, SpanUserSummary, &list)
	return list, err
}

// UserCumulate returns the follower total per day for up to 7 days.
func (c *Client) UserCumulate(ctx context.Context, begin, end Day) ([]UserCumulate, error) {
	var list []UserCumulate
	err := c.dataCube(ctx, "user cumulate", "getusercumulate", begin, end, SpanUserCumulate, &list)
	return list, err
}

// dataCube posts {begin_date, end_date} to /datacube/<name> and decodes
// its "list" into out.
func (c *Client) dataCube(ctx context.Context, api, name string, begin, end Day, span int, out any) error {
	if err := checkRange(api, begin, end, span, c.now()); err != nil {
		return err
	}
	body := map[string]string{"begin_date": begin.String(), "end_date": end.String()}
	return c.withToken(ctx, api, func(token string) error {
		raw, err := postJSON(ctx, "/datacube/"+name, token, body)
		if err != nil {
			return err
		}
		return decode(api, raw, &struct {
			List any `json:"list"`
		}{out})
	})
}

// ArticleStat is one article of a mass send with its cumulative figures as
// of AsOf.
type ArticleStat struct {
	Index      int // 1-based position in the send
	Title      string
	AsOf       string // stat_date of the figures
	TargetUser int
	ArticleFigures
}

// ArticleStats returns the latest cumulative figures of each article of
// the mass send msgDataID (MassResult.MsgDataID) sent on sendDay, in index
// order; none before WeChat has finished the send's first day. WeChat
// follows an article for 7 days after its send, so the figures stop
// growing after that.
func (c *Client) ArticleStats(ctx context.Context, sendDay Day, msgDataID int64) ([]ArticleStat, error) {
	totals, err := c.ArticleTotal(ctx, sendDay)
	if err != nil {
		return nil, err
	}
	prefix := strconv.FormatInt(msgDataID, 10) + "_"
	var stats []ArticleStat
	for _, t := range totals {
		rest, ok := strings.CutPrefix(t.MsgID, prefix)
		if !ok || len(t.Details) == 0 {
			continue
		}
		idx, err := strconv.Atoi(rest)
		if err != nil {
			return nil, fmt.Errorf("wechat: article stats: msgid %q: %w", t.MsgID, err)
		}
		last := t.Details[len(t.Details)-1]
		stats = append(stats, ArticleStat{Index: idx, Title: t.Title, AsOf: last.StatDate, TargetUser: last.TargetUser, ArticleFigures: last.ArticleFigures})
	}
	slices.SortFunc(stats, func(a, b ArticleStat) int { return a.Index - b.Index })
	return stats, nil
}
