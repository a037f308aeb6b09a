package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/pufa-dev/pufa/chinatime"
	"github.com/pufa-dev/pufa/store"
	"github.com/pufa-dev/pufa/store/storetest"
)

func TestArticleReads(t *testing.T) { articleReads(t, storetest.New(t)) }

func articleReads(t *testing.T, st *store.Store) {
	ctx := context.Background()
	nov := time.Date(2026, 11, 28, 10, 0, 0, 0, chinatime.Zone)
	dec := time.Date(2026, 12, 4, 10, 0, 0, 0, chinatime.Zone)
	send := store.ArticleReads{Campaign: "xfz", Fire: nov, ArticleID: "3", Title: "宪法宣传周", SentAt: nov}
	for _, id := range []int64{2247483650, 2247483650, 2247483651} { // the second is a retried record
		if err := st.RecordArticleSend(ctx, send, id); err != nil {
			t.Fatal(err)
		}
	}
	rs, err := st.ArticleReads(ctx, "xfz")
	if err != nil || len(rs) != 1 {
		t.Fatalf("ArticleReads = %+v, %v", rs, err)
	}
	if got := rs[0].MsgDataIDs; len(got) != 2 || got[0] != 2247483650 || got[1] != 2247483651 {
		t.Errorf("msg_data_ids = %v, want both batches once", got)
	}
	filled := rs[0]
	filled.Total = store.ArticleFigures{Reads: 7, Readers: 5, Shares: 1, Favourites: 2}
	filled.Days = []store.ArticleReadDay{{Day: "2026-11-28", ArticleFigures: store.ArticleFigures{Reads: 7, Readers: 5, Shares: 1, Favourites: 2}}}
	filled.FetchedAt = nov.Add(24 * time.Hour)
	if err := st.PutArticleReads(ctx, filled); err != nil {
		t.Fatal(err)
	}
	// A later record of the same send keeps the fetched figures.
	if err := st.RecordArticleSend(ctx, send, 2247483651); err != nil {
		t.Fatal(err)
	}
	if err := st.PutArticleReads(ctx, store.ArticleReads{Campaign: "xfz", Fire: dec, Title: "第二次", MsgDataIDs: []int64{9}}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		from, to time.Time
		want     []string
		reads    int
	}{
		{"november", time.Date(2026, 11, 1, 0, 0, 0, 0, chinatime.Zone), time.Date(2026, 12, 1, 0, 0, 0, 0, chinatime.Zone), []string{"宪法宣传周"}, 7},
		{"december", time.Date(2026, 12, 1, 0, 0, 0, 0, chinatime.Zone), time.Date(2027, 1, 1, 0, 0, 0, 0, chinatime.Zone), []string{"第二次"}, 0},
		{"end excluded", time.Date(2026, 11, 1, 0, 0, 0, 0, chinatime.Zone), nov, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := st.ArticleReadsBetween(ctx, tt.from, tt.to)
			if err != nil {
				t.Fatal(err)
			}
			var titles []string
			reads := 0
			for _, r := range got {
				titles = append(titles, r.Title)
				reads += r.Total.Reads
			}
			if len(titles) != len(tt.want) || (len(titles) > 0 && titles[0] != tt.want[0]) || reads != tt.reads {
				t.Errorf("titles %v reads %d, want %v reads %d", titles, reads, tt.want, tt.reads)
			}
		})
	}
}

func TestFollowerSummary(t *testing.T) { followerSummary(t, storetest.New(t)) }

func followerSummary(t *testing.T, st *store.Store) {
	ctx := context.Background()
	days := []store.FollowerDay{
		{Day: "2026-11-26", Total: 100, New: 3, Cancelled: 1},
		{Day: "2026-11-27", Total: 104, New: 5, Cancelled: 1},
		{Day: "2026-12-01", Total: 110, New: 6, Cancelled: 0},
	}
	if err := st.PutFollowerDays(ctx, days); err != nil {
		t.Fatal(err)
	}
	if err := st.PutFollowerDays(ctx, []store.FollowerDay{{Day: "27/11/2026"}}); err == nil {
		t.Error("a day not written YYYY-MM-DD was stored")
	}
	sum, err := st.FollowerSummary(ctx, time.Date(2026, 11, 1, 0, 0, 0, 0, chinatime.Zone), time.Date(2026, 11, 30, 0, 0, 0, 0, chinatime.Zone))
	if err != nil {
		t.Fatal(err)
	}
	want := store.FollowerSummary{From: "2026-11-26", To: "2026-11-27", Total: 104, New: 8, Cancelled: 2}
	if sum.From != want.From || sum.To != want.To || sum.Total != want.Total || sum.New != want.New || sum.Cancelled != want.Cancelled || len(sum.Days) != 2 {
		t.Errorf("FollowerSummary = %+v, want %+v and 2 days", sum, want)
	}
}

// Two replicas sending batches of one run at once both record their
// msg_data_ids, and a fetch writing figures meanwhile loses neither.
func TestArticleSendsRecordedConcurrently(t *testing.T) {
	articleSendsConcurrently(t, storetest.New(t))
}

func articleSendsConcurrently(t *testing.T, st *store.Store) {
	ctx := context.Background()
	fire := time.Date(2026, 12, 4, 10, 0, 0, 0, chinatime.Zone)
	base := store.ArticleReads{Campaign: "xfz", Fire: fire, Title: "宪法宣传周"}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 10 {
				if err := st.RecordArticleSend(ctx, base, int64(100*w+i)); err != nil {
					t.Error(err)
				}
				if w == 0 && i%3 == 0 {
					if err := st.PutArticleReads(ctx, store.ArticleReads{Campaign: "xfz", Fire: fire, Title: "宪法宣传周", Total: store.ArticleFigures{Reads: i}}); err != nil {
						t.Error(err)
					}
				}
			}
		})
	}
	wg.Wait()
	rs, err := st.ArticleReads(ctx, "xfz")
	if err != nil || len(rs) != 1 {
		t.Fatalf("ArticleReads = %+v, %v", rs, err)
	}
	if n := len(rs[0].MsgDataIDs); n != 40 {
		t.Errorf("%d msg_data_ids recorded, want all 40", n)
	}
}
