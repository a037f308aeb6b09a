package report_test

import (
	"context"
	"testing"
	"time"

	"github.com/pufa-dev/pufa/chinatime"
	"github.com/pufa-dev/pufa/report"
	"github.com/pufa-dev/pufa/store"
)

type fixedReads []store.ArticleReads

func (f fixedReads) ArticleReadsBetween(_ context.Context, from, to time.Time) ([]store.ArticleReads, error) {
	var out []store.ArticleReads
	for _, r := range f {
		if !r.Fire.Before(from) && r.Fire.Before(to) {
			out = append(out, r)
		}
	}
	return out, nil
}

func TestReadsByMonth(t *testing.T) {
	at := func(m time.Month, d, h int) time.Time { return time.Date(2026, m, d, h, 0, 0, 0, chinatime.Zone) }
	fetched := at(12, 31, 9)
	src := fixedReads{
		{Campaign: "xfz", Fire: at(12, 1, 10), Title: "宪法宣传周", FetchedAt: fetched, Total: store.ArticleFigures{Reads: 120, Readers: 90, Shares: 7, Favourites: 3}},
		{Campaign: "xfz", Fire: at(12, 4, 10), Title: "国家宪法日", FetchedAt: fetched, Total: store.ArticleFigures{Reads: 80, Readers: 60, Shares: 2}},
		{Campaign: "aqj", Fire: at(12, 31, 23), Title: "明天见分晓"}, // sent, figures not yet fetched
		{Campaign: "mfd", Fire: at(11, 30, 23), Title: "民法典", FetchedAt: fetched, Total: store.ArticleFigures{Reads: 9}},
		{Campaign: "late", Fire: time.Date(2027, 1, 1, 0, 0, 0, 0, chinatime.Zone), Title: "明年"},
	}
	got, err := report.ReadsByMonth(context.Background(), src, at(11, 1, 0), time.Date(2027, 1, 1, 0, 0, 0, 0, chinatime.Zone))
	if err != nil {
		t.Fatal(err)
	}
	want := []report.MonthReads{
		{Month: "2026-11", Campaign: "mfd", Title: "民法典", Runs: 1, Fetched: true, ArticleFigures: store.ArticleFigures{Reads: 9}},
		{Month: "2026-12", Campaign: "aqj", Title: "明天见分晓", Runs: 1},
		{Month: "2026-12", Campaign: "xfz", Title: "国家宪法日", Runs: 2, Fetched: true, ArticleFigures: store.ArticleFigures{Reads: 200, Readers: 150, Shares: 9, Favourites: 3}},
	}
	if len(got) != len(want) {
		t.Fatalf("ReadsByMonth = %+v\nwant %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("row %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}
