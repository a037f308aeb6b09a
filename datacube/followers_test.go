package datacube_test

import (
	"context"
	"errors"
	"testing"

	"github.com/pufa-dev/pufa/datacube"
	"github.com/pufa-dev/pufa/store"
	"github.com/pufa-dev/pufa/wechat"
)

// fakeAPI answers from fixed per-day figures and records the spans asked.
type fakeAPI struct {
	summary  map[string][]wechat.UserSummary
	cumulate map[string]int
	spans    [][2]string
	fail     error
}

func (f *fakeAPI) UserSummary(_ context.Context, begin, end wechat.Day) ([]wechat.UserSummary, error) {
	f.spans = append(f.spans, [2]string{begin.String(), end.String()})
	if f.fail != nil {
		return nil, f.fail
	}
	var out []wechat.UserSummary
	for d := begin; !d.After(end.Time); d = d.AddDays(1) {
		out = append(out, f.summary[d.String()]...)
	}
	return out, nil
}

func (f *fakeAPI) UserCumulate(_ context.Context, begin, end wechat.Day) ([]wechat.UserCumulate, error) {
	var out []wechat.UserCumulate
	for d := begin; !d.After(end.Time); d = d.AddDays(1) {
		if n, ok := f.cumulate[d.String()]; ok {
			out = append(out, wechat.UserCumulate{RefDate: d.String(), CumulateUser: n})
		}
	}
	return out, nil
}

type days []store.FollowerDay

func (d *days) RecordFollowerDay(_ context.Context, fd store.FollowerDay) error {
	*d = append(*d, fd)
	return nil
}

func day(t *testing.T, s string) wechat.Day {
	t.Helper()
	d, err := wechat.ParseDay(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestSyncFollowersSumsSourcesInSevenDaySpans(t *testing.T) {
	api := &fakeAPI{
		summary: map[string][]wechat.UserSummary{
			"2026-03-01": {{RefDate: "2026-03-01", UserSource: 0, NewUser: 3, CancelUser: 1}, {RefDate: "2026-03-01", UserSource: 17, NewUser: 5}},
			"2026-03-09": {{RefDate: "2026-03-09", UserSource: 30, NewUser: 2}},
		},
		cumulate: map[string]int{"2026-03-01": 107, "2026-03-02": 107, "2026-03-09": 109},
	}
	var got days
	n, err := datacube.SyncFollowers(context.Background(), api, &got, day(t, "2026-03-01"), day(t, "2026-03-10"))
	if err != nil {
		t.Fatal(err)
	}
	want := days{
		{Day: "2026-03-01", New: 8, Cancelled: 1, Total: 107},
		{Day: "2026-03-02", Total: 107},
		{Day: "2026-03-09", New: 2, Total: 109},
	}
	if n != len(want) || len(got) != len(want) {
		t.Fatalf("recorded %d %+v, want %+v", n, got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("day %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	if wantSpans := [][2]string{{"2026-03-01", "2026-03-07"}, {"2026-03-08", "2026-03-10"}}; len(api.spans) != 2 || api.spans[0] != wantSpans[0] || api.spans[1] != wantSpans[1] {
		t.Errorf("spans %v, want %v (WeChat answers at most 7 days)", api.spans, wantSpans)
	}
}

func TestSyncFollowersStopsAtAnError(t *testing.T) {
	api := &fakeAPI{fail: wechat.ErrDataNotReady}
	var got days
	_, err := datacube.SyncFollowers(context.Background(), api, &got, day(t, "2026-03-01"), day(t, "2026-03-02"))
	if !errors.Is(err, wechat.ErrDataNotReady) || len(got) != 0 {
		t.Errorf("err %v, recorded %v", err, got)
	}
}
