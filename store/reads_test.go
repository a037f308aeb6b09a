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

func TestArticleSends(t *testing.T) { articleSends(t, storetest.New(t)) }

func articleSends(t *testing.T, st *store.Store) {
	ctx := context.Background()
	nov := time.Date(2026, 11, 28, 10, 0, 0, 0, chinatime.Zone)
	dec := time.Date(2026, 12, 4, 10, 0, 0, 0, chinatime.Zone)
	send := store.ArticleSend{Campaign: "xfz", Fire: nov, ArticleID: "3", Title: "宪法宣传周", SentAt: nov}
	for _, id := range []int64{2247483650, 2247483650, 2247483651} { // the second is a retried record
		if err := st.RecordArticleSend(ctx, send, id); err != nil {
			t.Fatal(err)
		}
	}
	rs, err := st.ArticleSends(ctx, "xfz")
	if err != nil || len(rs) != 1 {
		t.Fatalf("ArticleSends = %+v, %v", rs, err)
	}
	if got := rs[0].MsgDataIDs; len(got) != 2 || got[0] != 2247483650 || got[1] != 2247483651 {
		t.Errorf("msg_data_ids = %v, want both batches once", got)
	}
	filled := rs[0]
	filled.Total = store.ArticleFigures{Reads: 7, Readers: 5, Shares: 1, Favourites: 2}
	filled.AsOf, filled.FetchedAt = "2026-11-28", nov.Add(24*time.Hour)
	if err := st.PutArticleSend(ctx, filled); err != nil {
		t.Fatal(err)
	}
	// A later record of the same send keeps the fetched figures.
	if err := st.RecordArticleSend(ctx, send, 2247483651); err != nil {
		t.Fatal(err)
	}
	if rs, _ := st.ArticleSends(ctx, "xfz"); len(rs) != 1 || rs[0].Total.Reads != 7 || rs[0].AsOf != "2026-11-28" {
		t.Errorf("after a repeated record: %+v", rs)
	}
	if err := st.PutArticleSend(ctx, store.ArticleSend{Campaign: "xfz", Fire: dec, Title: "第二次", MsgDataIDs: []int64{9}}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		from, to time.Time
		want     []string
	}{
		{"november", time.Date(2026, 11, 1, 0, 0, 0, 0, chinatime.Zone), time.Date(2026, 12, 1, 0, 0, 0, 0, chinatime.Zone), []string{"宪法宣传周"}},
		{"december", time.Date(2026, 12, 1, 0, 0, 0, 0, chinatime.Zone), time.Date(2027, 1, 1, 0, 0, 0, 0, chinatime.Zone), []string{"第二次"}},
		{"end excluded", time.Date(2026, 11, 1, 0, 0, 0, 0, chinatime.Zone), nov, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := st.ArticleSendsBetween(ctx, tt.from, tt.to)
			if err != nil {
				t.Fatal(err)
			}
			var titles []string
			for _, r := range got {
				titles = append(titles, r.Title)
			}
			if len(titles) != len(tt.want) || (len(titles) > 0 && titles[0] != tt.want[0]) {
				t.Errorf("titles %v, want %v", titles, tt.want)
			}
		})
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
	base := store.ArticleSend{Campaign: "xfz", Fire: fire, Title: "宪法宣传周"}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 10 {
				if err := st.RecordArticleSend(ctx, base, int64(100*w+i)); err != nil {
					t.Error(err)
				}
				if w == 0 && i%3 == 0 {
					if err := st.PutArticleSend(ctx, store.ArticleSend{Campaign: "xfz", Fire: fire, Title: "宪法宣传周", Total: store.ArticleFigures{Reads: i}}); err != nil {
						t.Error(err)
					}
				}
			}
		})
	}
	wg.Wait()
	rs, err := st.ArticleSends(ctx, "xfz")
	if err != nil || len(rs) != 1 {
		t.Fatalf("ArticleSends = %+v, %v", rs, err)
	}
	if n := len(rs[0].MsgDataIDs); n != 40 {
		t.Errorf("%d msg_data_ids recorded, want all 40", n)
	}
}

func TestClaimJobOncePerPeriod(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	for i, want := range []bool{true, false, false} {
		if got, err := st.ClaimJob(ctx, "datacube", "20261204", time.Hour); err != nil || got != want {
			t.Errorf("claim %d = %v, %v; want %v", i, got, err, want)
		}
	}
	if got, _ := st.ClaimJob(ctx, "datacube", "20261205", time.Hour); !got {
		t.Error("the next day's claim was refused")
	}
}
