// Package datacube fetches WeChat's data-cube figures into Redis once a
// day: the reads, readers, shares and favourites of every article a
// campaign mass-sent in the last week, kept with the campaign run that sent
// it (matched by msg_data_id), and the account's followers per day (total,
// new, cancelled). The console's campaign page and the annual report read
// them from Redis (store.ArticleSend for the run, store.ArticleRead per day,
// store.FollowerDay).
//
// WeChat finishes a day's figures after 08:00 Beijing time the next day and
// follows an article for 7 days after its send, so the job runs daily at
// 09:00 and looks back 7 days: a day whose fetch failed, or that no replica
// was up for, is fetched again the next day.
//
// Every replica runs the job; a claim in Redis per day (store.ClaimJob)
// lets exactly one fetch.
package datacube

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pufa-dev/pufa/chinatime"
	"github.com/pufa-dev/pufa/store"
	"github.com/pufa-dev/pufa/wechat"
)

// API is the part of WeChat's data cube the job reads (*wechat.Client).
type API interface {
	FollowerAPI
	ArticleTotal(ctx context.Context, day wechat.Day) ([]wechat.ArticleTotal, error)
}

// Store keeps the figures (*store.Store).
type Store interface {
	FollowerStore
	ArticleSendsBetween(ctx context.Context, from, to time.Time) ([]store.ArticleSend, error)
	PutArticleSend(ctx context.Context, r store.ArticleSend) error
	RecordArticleRead(ctx context.Context, r store.ArticleRead) error
	ClaimJob(ctx context.Context, name, period string, ttl time.Duration) (bool, error)
}

// Clock is the job's time source; tests and the demo drive a fake one.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Options configure a Fetcher.
type Options struct {
	API    API
	Store  Store
	Clock  Clock // default: the wall clock
	Logger *slog.Logger
}

// Fetcher fetches the figures. Run it in every replica.
type Fetcher struct {
	api   API
	st    Store
	clock Clock
	log   *slog.Logger
}

// New checks opts and returns a Fetcher.
func New(opts Options) (*Fetcher, error) {
	if opts.API == nil || opts.Store == nil {
		return nil, errors.New("datacube: API and Store are required")
	}
	if opts.Clock == nil {
		opts.Clock = realClock{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Fetcher{api: opts.API, st: opts.Store, clock: opts.Clock, log: opts.Logger.With("component", "datacube")}, nil
}

const (
	// jobHour is when the daily fetch runs (China time): an hour after
	// WeChat has finished the day before.
	jobHour = 9
	// followDays is how long WeChat keeps counting an article after its
	// send, and how far back each fetch looks.
	followDays = 7
	jobName    = "datacube"
	claimTTL   = 3 * 24 * time.Hour
)

// Result says what one fetch stored.
type Result struct {
	Runs         int // campaign runs whose article figures were updated
	FollowerDays int // days of follower figures stored
}

// Fetch fetches the last week's figures now and stores them. A failure of
// one day's or one part's request does not stop the others; the error
// joins them all.
func (f *Fetcher) Fetch(ctx context.Context) (Result, error) {
	now := f.clock.Now()
	var res Result
	runs, errA := f.fetchReads(ctx, now)
	res.Runs = runs
	days, errF := f.fetchFollowers(ctx, now)
	res.FollowerDays = days
	return res, errors.Join(errA, errF)
}

// figuresOf converts WeChat's figures to pufa's.
func figuresOf(w wechat.ArticleFigures) store.ArticleFigures {
	return store.ArticleFigures{Reads: w.IntPageReadCount, Readers: w.IntPageReadUser, Shares: w.ShareCount, Favourites: w.AddToFavCount}
}

func sub(a, b store.ArticleFigures) store.ArticleFigures {
	return store.ArticleFigures{Reads: a.Reads - b.Reads, Readers: a.Readers - b.Readers,
		Shares: a.Shares - b.Shares, Favourites: a.Favourites - b.Favourites}
}

// fetchReads updates the article figures of every run sent in the last
// followDays finished days, with one getarticletotal request per send day:
// the run's cumulative totals (store.ArticleSend) and what each day added
// (store.ArticleRead, which the report sums).
func (f *Fetcher) fetchReads(ctx context.Context, now time.Time) (int, error) {
	latest := wechat.LatestDataCubeDay(now)
	first := latest.AddDays(-followDays)
	runs, err := f.st.ArticleSendsBetween(ctx, first.Time, now.Add(time.Second))
	if err != nil {
		return 0, fmt.Errorf("datacube: %w", err)
	}
	byDay := map[string][]store.ArticleSend{}
	for _, r := range runs {
		sent := r.SentAt
		if sent.IsZero() {
			sent = r.Fire
		}
		d := wechat.DayOf(sent)
		if d.Before(first.Time) || d.After(latest.Time) {
			continue // not finished yet, or no longer followed by WeChat
		}
		byDay[d.String()] = append(byDay[d.String()], r)
	}
	var errs []error
	n := 0
	for _, day := range slices.Sorted(maps.Keys(byDay)) {
		d, _ := wechat.ParseDay(day) // written by Day.String above
		totals, err := f.api.ArticleTotal(ctx, d)
		if err != nil {
			errs = append(errs, fmt.Errorf("datacube: articles sent %s: %w", day, err))
			continue
		}
		for _, r := range byDay[day] {
			days, ok := apply(&r, totals)
			if !ok {
				continue
			}
			if err := f.record(ctx, r, days, now); err != nil {
				errs = append(errs, err)
				continue
			}
			n++
			f.log.InfoContext(ctx, "datacube: article figures", slog.String("campaign", r.Campaign),
				slog.Int64("fire", r.Fire.Unix()), slog.Int("reads", r.Total.Reads), slog.Int("readers", r.Total.Readers))
		}
	}
	return n, errors.Join(errs...)
}

// record stores what each day added, then the run's totals: a fetch cut
// off between the two leaves the totals of the fetch before, and the next
// day's fetch writes both again.
func (f *Fetcher) record(ctx context.Context, r store.ArticleSend, days []dayFigures, now time.Time) error {
	for _, d := range days {
		err := f.st.RecordArticleRead(ctx, store.ArticleRead{Campaign: r.Campaign, Fire: r.Fire, Day: d.day,
			Reads: int64(d.Reads), ReadUsers: int64(d.Readers), Shares: int64(d.Shares), Favorites: int64(d.Favourites)})
		if err != nil {
			return fmt.Errorf("datacube: %w", err)
		}
	}
	r.FetchedAt = now
	if err := f.st.PutArticleSend(ctx, r); err != nil {
		return fmt.Errorf("datacube: %w", err)
	}
	return nil
}

// dayFigures is what one stat day added to a run's figures.
type dayFigures struct {
	day string
	store.ArticleFigures
}

// apply sets r's cumulative figures from the send day's totals: each of
// its mass sends' articles ("<msg_data_id>_<index>") summed, per stat day.
// It returns what each day added, and whether WeChat had any figures for r.
func apply(r *store.ArticleSend, totals []wechat.ArticleTotal) ([]dayFigures, bool) {
	cum := map[string]store.ArticleFigures{} // stat day → cumulative figures
	target, found := 0, false
	for _, t := range totals {
		id, _, ok := strings.Cut(t.MsgID, "_")
		if !ok {
			continue
		}
		msgDataID, err := strconv.ParseInt(id, 10, 64)
		if err != nil || !slices.Contains(r.MsgDataIDs, msgDataID) || len(t.Details) == 0 {
			continue
		}
		found = true
		for _, d := range t.Details {
			cum[d.StatDate] = cum[d.StatDate].Add(figuresOf(d.ArticleFigures))
		}
		target += t.Details[len(t.Details)-1].TargetUser
	}
	if !found {
		return nil, false
	}
	var prev store.ArticleFigures
	var days []dayFigures
	for _, day := range slices.Sorted(maps.Keys(cum)) {
		c := cum[day]
		days = append(days, dayFigures{day, sub(c, prev)})
		prev = c
		r.AsOf = day
	}
	r.Total, r.Target = prev, target
	return days, true
}

// fetchFollowers stores the follower figures of the last followDays
// finished days.
func (f *Fetcher) fetchFollowers(ctx context.Context, now time.Time) (int, error) {
	end := wechat.LatestDataCubeDay(now)
	return SyncFollowers(ctx, f.api, f.st, end.AddDays(-(followDays - 1)), end)
}

// dueAt is the day's fetch time, jobHour China time on t's day.
func dueAt(t time.Time) time.Time {
	c := t.In(chinatime.Zone)
	return time.Date(c.Year(), c.Month(), c.Day(), jobHour, 0, 0, 0, chinatime.Zone)
}

// Tick fetches if today's fetch is due and no replica has claimed it yet,
// and returns when the next one is due.
func (f *Fetcher) Tick(ctx context.Context) time.Time {
	now := f.clock.Now()
	due := dueAt(now)
	if now.Before(due) {
		return due
	}
	next := dueAt(due.Add(25 * time.Hour))
	won, err := f.st.ClaimJob(ctx, jobName, store.Day(now), claimTTL)
	if err != nil {
		f.log.WarnContext(ctx, "datacube: claim", slog.Any("err", err))
		return now.Add(time.Minute)
	}
	if !won {
		return next
	}
	res, err := f.Fetch(ctx)
	if err != nil {
		// The next day's fetch looks back a week: what failed today is
		// fetched again then.
		f.log.WarnContext(ctx, "datacube: fetch incomplete", slog.Any("err", err))
	}
	f.log.InfoContext(ctx, "datacube: fetched", slog.Int("runs", res.Runs), slog.Int("follower_days", res.FollowerDays))
	return next
}

// Run ticks until ctx ends.
func (f *Fetcher) Run(ctx context.Context) {
	for {
		next := f.Tick(ctx)
		wait := max(next.Sub(f.clock.Now()), time.Second)
		select {
		case <-ctx.Done():
			return
		case <-f.clock.After(min(wait, time.Hour)):
		}
	}
}
