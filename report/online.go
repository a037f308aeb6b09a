package report

import (
	"context"
	"sort"
	"strconv"
	"time"

	"github.com/pufa-dev/pufa/campaigns"
	"github.com/pufa-dev/pufa/chinatime"
	"github.com/pufa-dev/pufa/ledger"
	"github.com/pufa-dev/pufa/store"
)

// channelSMS is the SMS channel's name in campaign runs.
const channelSMS = string(campaigns.ChannelSMS)

// ReadSource gives the 阅读量 WeChat counted for what one campaign run sent
// (implemented by RunReads over *store.Store).
type ReadSource interface {
	RunReads(ctx context.Context, campaign string, fire time.Time) (int64, error)
}

// FollowerSummarySource gives the account's follower figures per day from
// WeChat's user summary and cumulate (implemented by *store.Store).
type FollowerSummarySource interface {
	FollowerDays(ctx context.Context, from, to time.Time) ([]store.FollowerDay, error)
}

// ArticleReadStore is what StoredReads reads (implemented by *store.Store).
type ArticleReadStore interface {
	ArticleReads(ctx context.Context, campaign string) ([]store.ArticleRead, error)
}

// StoredReads implements ReadSource over the reads stored per run and day:
// a run's 阅读量 is the sum of its days.
type StoredReads struct {
	Store ArticleReadStore
}

// RunReads implements ReadSource.
func (s StoredReads) RunReads(ctx context.Context, campaign string, fire time.Time) (int64, error) {
	rs, err := s.Store.ArticleReads(ctx, campaign)
	if err != nil {
		return 0, err
	}
	var total int64
	for _, r := range rs {
		if r.Fire.Equal(fire) {
			add(&total, r.Reads)
		}
	}
	return total, nil
}

// FollowerTotal is the account's follower count at the end of the period,
// as of the last day WeChat reported.
type FollowerTotal struct {
	Total int64  `json:"total"`
	AsOf  string `json:"as_of,omitempty"` // yyyy-mm-dd
}

// addFollowerDays adds new and cancelled follows to the totals and months
// and returns the last day's total.
func addFollowerDays(tot *Figures, month func(time.Time) *Figures, days []store.FollowerDay) FollowerTotal {
	var out FollowerTotal
	for _, d := range days {
		t, err := ParseDate(d.Day)
		if err != nil {
			continue
		}
		for _, f := range []*Figures{tot, month(t)} {
			add(&f.NewFollowers, d.New)
			add(&f.CancelledFollowers, d.Cancelled)
		}
		if d.Day >= out.AsOf {
			out = FollowerTotal{Total: d.Total, AsOf: d.Day}
		}
	}
	return out
}

// Theme is a themed campaign (宪法宣传周, 民法典宣传月 …) with its dates and
// what was done during them: the pushes of campaigns of that theme, and the
// ledger's activities and the quizzes that fall within the dates.
type Theme struct {
	Theme                string        `json:"theme"`
	Name                 string        `json:"name"`
	From                 string        `json:"from"` // yyyy-mm-dd
	To                   string        `json:"to"`
	Pushes               int64         `json:"pushes"`
	Reach                int64         `json:"reach"`
	Reads                int64         `json:"reads"`
	SMS                  int64         `json:"sms"`
	Activities           int64         `json:"activities"`
	ActivityParticipants int64         `json:"activity_participants"`
	Quizzes              []QuizSummary `json:"quizzes,omitempty"`
}

// themes groups the period's pushes by their campaign's theme. The dates
// are the observance's own (the calendar's 12月1日至7日 for 宪法宣传周) in
// the year of the first push, widened to any push outside them; a theme
// the calendar does not know is named by its first campaign's title and
// dated by its pushes.
func themes(r Report, withQuizzes bool) []Theme {
	cal := campaigns.Calendar()
	byKey := map[string]*Theme{}
	var order []string
	for _, p := range r.Pushes {
		if p.Theme == "" {
			continue
		}
		fire := p.Fire.In(chinatime.Zone)
		key := p.Theme + " " + strconv.Itoa(fire.Year())
		th, ok := byKey[key]
		if !ok {
			th = &Theme{Theme: p.Theme, Name: p.Title, From: fire.Format("2006-01-02"), To: fire.Format("2006-01-02")}
			if o, ok := cal[p.Theme]; ok {
				f, t, _ := o.Dates(fire.Year())
				th.Name, th.From, th.To = o.Name, f.In(chinatime.Zone).Format("2006-01-02"), t.In(chinatime.Zone).Format("2006-01-02")
			}
			byKey[key] = th
			order = append(order, key)
		}
		d := fire.Format("2006-01-02")
		th.From, th.To = min(th.From, d), max(th.To, d)
		if p.Channel == channelSMS {
			add(&th.SMS, p.Reach)
			continue
		}
		add(&th.Pushes, 1)
		add(&th.Reach, p.Reach)
		add(&th.Reads, p.Reads)
	}
	out := make([]Theme, 0, len(order))
	for _, key := range order {
		th := byKey[key]
		for _, e := range r.Entries {
			if e.Date >= th.From && e.Date <= th.To && isActivityKind(e.Kind) {
				add(&th.Activities, e.Count)
				add(&th.ActivityParticipants, e.Participants)
			}
		}
		if withQuizzes {
			for _, q := range r.Quizzes {
				if d := q.Start.In(chinatime.Zone).Format("2006-01-02"); d >= th.From && d <= th.To {
					th.Quizzes = append(th.Quizzes, q)
				}
			}
		}
		out = append(out, *th)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].From < out[j].From })
	return out
}

func round1(v float64) float64 {
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'f', 1, 64), 64)
	return r
}

// isActivityKind reports whether a ledger kind counts among the 法治宣传活动.
func isActivityKind(kind string) bool { return ledger.Kind(kind).IsActivity() }
