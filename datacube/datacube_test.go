package datacube_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/pufa-dev/pufa/chinatime"
	"github.com/pufa-dev/pufa/datacube"
	"github.com/pufa-dev/pufa/store"
	"github.com/pufa-dev/pufa/store/storetest"
	"github.com/pufa-dev/pufa/wechat"
)

// fakeCube answers as WeChat's data cube would for a few sends.
type fakeCube struct {
	mu       sync.Mutex
	totals   map[string][]wechat.ArticleTotal // by send day
	calls    []string                         // send days asked for
	cumulate []wechat.UserCumulate
	summary  []wechat.UserSummary
}

func (f *fakeCube) ArticleTotal(_ context.Context, day wechat.Day) ([]wechat.ArticleTotal, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, day.String())
	return f.totals[day.String()], nil
}

func (f *fakeCube) UserSummary(context.Context, wechat.Day, wechat.Day) ([]wechat.UserSummary, error) {
	return f.summary, nil
}

func (f *fakeCube) UserCumulate(context.Context, wechat.Day, wechat.Day) ([]wechat.UserCumulate, error) {
	return f.cumulate, nil
}

type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time                     { return c.t }
func (fixedClock) After(time.Duration) <-chan time.Time { return make(chan time.Time) }

func figures(reads, readers, shares, favs int) wechat.ArticleFigures {
	return wechat.ArticleFigures{IntPageReadCount: reads, IntPageReadUser: readers, ShareCount: shares, AddToFavCount: favs}
}

func TestFetchMapsArticleFiguresToCampaignRuns(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	sent := time.Date(2026, 12, 1, 10, 0, 0, 0, chinatime.Zone)
	now := time.Date(2026, 12, 4, 9, 0, 0, 0, chinatime.Zone) // 12-01..12-03 finished
	runs := []store.ArticleSend{
		{Campaign: "xfz", Fire: sent, ArticleID: "1", Title: "宪法宣传周", SentAt: sent, MsgDataIDs: []int64{501, 502}},
		{Campaign: "mfd", Fire: sent.Add(time.Hour), ArticleID: "2", Title: "民法典", SentAt: sent.Add(time.Hour), MsgDataIDs: []int64{600}},
		{Campaign: "today", Fire: now, ArticleID: "3", Title: "今天", SentAt: now, MsgDataIDs: []int64{700}},
		{Campaign: "old", Fire: sent.AddDate(0, 0, -20), Title: "太早", SentAt: sent.AddDate(0, 0, -20), MsgDataIDs: []int64{800}},
	}
	for _, r := range runs {
		if err := st.PutArticleSend(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	cube := &fakeCube{totals: map[string][]wechat.ArticleTotal{
		"2026-12-01": {
			{RefDate: "2026-12-01", MsgID: "501_1", Title: "宪法宣传周", Details: []wechat.ArticleDay{
				{StatDate: "2026-12-01", TargetUser: 100, ArticleFigures: figures(10, 8, 1, 0)},
				{StatDate: "2026-12-02", TargetUser: 100, ArticleFigures: figures(15, 11, 2, 1)},
				{StatDate: "2026-12-03", TargetUser: 100, ArticleFigures: figures(16, 12, 2, 1)},
			}},
			{RefDate: "2026-12-01", MsgID: "502_1", Title: "宪法宣传周", Details: []wechat.ArticleDay{
				{StatDate: "2026-12-01", TargetUser: 50, ArticleFigures: figures(4, 4, 0, 0)},
				{StatDate: "2026-12-02", TargetUser: 50, ArticleFigures: figures(4, 4, 0, 0)},
				{StatDate: "2026-12-03", TargetUser: 50, ArticleFigures: figures(5, 5, 1, 0)},
			}},
			{RefDate: "2026-12-01", MsgID: "999_1", Title: "别人发的", Details: []wechat.ArticleDay{
				{StatDate: "2026-12-01", TargetUser: 9, ArticleFigures: figures(90, 90, 9, 9)},
			}},
		},
	}, cumulate: []wechat.UserCumulate{{RefDate: "2026-12-02", CumulateUser: 150}, {RefDate: "2026-12-03", CumulateUser: 153}},
		summary: []wechat.UserSummary{
			{RefDate: "2026-12-03", UserSource: 0, NewUser: 2, CancelUser: 1},
			{RefDate: "2026-12-03", UserSource: 17, NewUser: 3},
		}}
	f, err := datacube.New(datacube.Options{API: cube, Store: st, Clock: fixedClock{now}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := f.Fetch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Runs != 1 || res.FollowerDays != 2 {
		t.Errorf("Fetch = %+v, want 1 run (mfd has no figures yet, today and old are not asked) and 2 follower days", res)
	}
	if len(cube.calls) != 1 || cube.calls[0] != "2026-12-01" {
		t.Errorf("asked for send days %v, want only 2026-12-01 (one request for both runs of the day)", cube.calls)
	}
	got, err := st.ArticleSends(ctx, "xfz")
	if err != nil || len(got) != 1 {
		t.Fatalf("ArticleSends = %v, %v", got, err)
	}
	r := got[0]
	wantTotal := store.ArticleFigures{Reads: 21, Readers: 17, Shares: 3, Favourites: 1}
	if r.Total != wantTotal || r.Target != 150 || r.AsOf != "2026-12-03" || !r.FetchedAt.Equal(now) {
		t.Errorf("total %+v target %d as of %s fetched %v, want %+v of both batches, 150, 2026-12-03", r.Total, r.Target, r.AsOf, r.FetchedAt, wantTotal)
	}
	wantDays := []store.ArticleRead{
		{Campaign: "xfz", Fire: sent.UTC(), Day: "2026-12-01", Reads: 14, ReadUsers: 12, Shares: 1},
		{Campaign: "xfz", Fire: sent.UTC(), Day: "2026-12-02", Reads: 5, ReadUsers: 3, Shares: 1, Favorites: 1},
		{Campaign: "xfz", Fire: sent.UTC(), Day: "2026-12-03", Reads: 2, ReadUsers: 2, Shares: 1},
	}
	days0, err := st.ArticleReads(ctx, "xfz")
	if err != nil || len(days0) != len(wantDays) {
		t.Fatalf("per-day reads %+v, %v; want %+v", days0, err, wantDays)
	}
	for i := range wantDays {
		if !days0[i].Fire.Equal(wantDays[i].Fire) || days0[i].Day != wantDays[i].Day || days0[i].Reads != wantDays[i].Reads ||
			days0[i].ReadUsers != wantDays[i].ReadUsers || days0[i].Shares != wantDays[i].Shares || days0[i].Favorites != wantDays[i].Favorites {
			t.Errorf("day %d = %+v, want %+v (what that day added)", i, days0[i], wantDays[i])
		}
	}
	if m, _ := st.ArticleSends(ctx, "mfd"); len(m) != 1 || !m[0].FetchedAt.IsZero() {
		t.Errorf("a run without figures was changed: %+v", m)
	}
	days, err := st.FollowerDays(ctx, now.AddDate(0, 0, -7), now)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.FollowerDay{{Day: "2026-12-02", Total: 150}, {Day: "2026-12-03", Total: 153, New: 5, Cancelled: 1}}
	if len(days) != 2 || days[0] != want[0] || days[1] != want[1] {
		t.Errorf("follower days %+v, want %+v (sources summed)", days, want)
	}
}

func TestTickFetchesOnceADayAcrossReplicas(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	tests := []struct {
		name      string
		at        time.Time
		wantCalls int
		wantNext  time.Time
	}{
		{"before 09:00 nothing", time.Date(2026, 12, 4, 8, 59, 0, 0, chinatime.Zone), 0, time.Date(2026, 12, 4, 9, 0, 0, 0, chinatime.Zone)},
		{"at 09:00 one replica of two", time.Date(2026, 12, 4, 9, 0, 0, 0, chinatime.Zone), 1, time.Date(2026, 12, 5, 9, 0, 0, 0, chinatime.Zone)},
		{"later the same day nothing more", time.Date(2026, 12, 4, 18, 0, 0, 0, chinatime.Zone), 0, time.Date(2026, 12, 5, 9, 0, 0, 0, chinatime.Zone)},
		{"a replica started after 09:00 the next day catches up", time.Date(2026, 12, 5, 11, 0, 0, 0, chinatime.Zone), 1, time.Date(2026, 12, 6, 9, 0, 0, 0, chinatime.Zone)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var cubes [2]*countingCube
			for i := range cubes {
				cubes[i] = &countingCube{}
				f, err := datacube.New(datacube.Options{API: cubes[i], Store: st, Clock: fixedClock{tt.at}})
				if err != nil {
					t.Fatal(err)
				}
				if next := f.Tick(ctx); !next.Equal(tt.wantNext) {
					t.Errorf("replica %d: next = %v, want %v", i, next, tt.wantNext)
				}
			}
			if n := cubes[0].n + cubes[1].n; n != tt.wantCalls {
				t.Errorf("fetches = %d, want %d", n, tt.wantCalls)
			}
		})
	}
}

// countingCube counts fetches (one UserCumulate call per fetch).
type countingCube struct {
	fakeCube
	n int
}

func (c *countingCube) UserCumulate(context.Context, wechat.Day, wechat.Day) ([]wechat.UserCumulate, error) {
	c.n++
	return nil, nil
}
