package store_test

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/pufa-dev/pufa/store"
	"github.com/pufa-dev/pufa/store/storetest"
)

// TestConsultationFloodIsBounded: one resident could record 20,000
// consultations of 39,000 bytes in 24 s, each counted for the annual report
// (issue 12, item 5). A request's text is capped, a resident gets a few a
// day, and the day's counter counts a resident once.
func TestConsultationFloodIsBounded(t *testing.T) {
	st := storetest.New(t)
	day := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	ask := func(openid, q string, at time.Time) store.ConsultResult {
		t.Helper()
		r, err := st.RequestConsultation(ctx, store.ConsultRequest{OpenID: openid, Question: q, At: at, DailyLimit: 3})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	steps := []struct {
		name        string
		openid      string
		at          time.Time
		wantLimited bool
	}{
		{"first", "o_flood", day, false},
		{"second", "o_flood", day.Add(time.Minute), false},
		{"third", "o_flood", day.Add(2 * time.Minute), false},
		{"fourth: over the limit", "o_flood", day.Add(3 * time.Minute), true},
		{"fifth: over the limit", "o_flood", day.Add(4 * time.Minute), true},
		{"another resident", "o_other", day.Add(5 * time.Minute), false},
		{"the next day", "o_flood", day.Add(24 * time.Hour), false},
	}
	for _, s := range steps {
		r := ask(s.openid, strings.Repeat("押金不退", 10000), s.at)
		if r.Limited != s.wantLimited || (r.ID == "") != s.wantLimited {
			t.Errorf("%s: %+v, want limited %v", s.name, r, s.wantLimited)
		}
	}
	all, err := st.Consultations(ctx, day.Add(-time.Hour), day.Add(48*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 5 {
		t.Errorf("%d consultations recorded, want 5 (3 + 1 + 1 on the next day)", len(all))
	}
	for _, c := range all {
		if n := utf8.RuneCountInString(c.Question); n > store.ConsultMaxRunes || !strings.HasSuffix(c.Question, "（内容过长，已截断）") {
			t.Errorf("consultation %s: %d runes, ends %q; want at most %d, marked as cut", c.ID, n, c.Question[len(c.Question)-30:], store.ConsultMaxRunes)
		}
	}
	for d, want := range map[time.Time]int64{day: 2, day.Add(24 * time.Hour): 1} {
		if stats, _ := st.DayStats(ctx, d); stats[store.MetricConsultations] != want {
			t.Errorf("%s: %d consultations counted, want %d (one per resident per day)", store.Day(d), stats[store.MetricConsultations], want)
		}
	}

	// Unfollowing erases the resident, but not the day's count: following
	// again does not open the flood gate.
	if err := st.EraseUser(ctx, "o_flood"); err != nil {
		t.Fatal(err)
	}
	if r := ask("o_flood", "again", day.Add(24*time.Hour+time.Minute)); r.Limited {
		t.Errorf("second of the day after re-following refused: %+v", r)
	}
	ask("o_flood", "again", day.Add(24*time.Hour+2*time.Minute))
	if r := ask("o_flood", "again", day.Add(24*time.Hour+3*time.Minute)); !r.Limited {
		t.Errorf("fourth of the day after re-following accepted: %+v", r)
	}
	if stats, _ := st.DayStats(ctx, day.Add(24*time.Hour)); stats[store.MetricConsultations] != 1 {
		t.Errorf("re-following counted the resident again: %d", stats[store.MetricConsultations])
	}
	if keys, _ := st.Client().Keys(ctx, st.Prefix()+"consult:day:*").Result(); len(keys) == 0 {
		t.Error("no daily count")
	} else if ttl := st.Client().TTL(ctx, keys[0]).Val(); ttl <= 0 || ttl > 72*time.Hour {
		t.Errorf("daily count TTL %v, want it gone within days", ttl)
	}
}

// TestClosedConsultationsExpire: an answered or closed consultation is kept
// for the retention, then goes; reopening it keeps it; the day's counters
// stay; an expired one leaves no trace in the list or after erasure.
func TestClosedConsultationsExpire(t *testing.T) {
	st := storetest.New(t)
	now := time.Now()
	id, err := st.AddConsultation(ctx, "o1", "邻里纠纷", now)
	if err != nil {
		t.Fatal(err)
	}
	key := st.Prefix() + "consult:" + id
	steps := []struct {
		status  string
		wantTTL func(time.Duration) bool
	}{
		{"new", func(d time.Duration) bool { return d == -1 }},
		{"answered", func(d time.Duration) bool {
			return d > store.DefaultConsultRetention-time.Minute && d <= store.DefaultConsultRetention
		}},
		{"new", func(d time.Duration) bool { return d == -1 }},
		{"closed", func(d time.Duration) bool {
			return d > store.DefaultConsultRetention-time.Minute && d <= store.DefaultConsultRetention
		}},
	}
	for _, s := range steps {
		if err := st.SetConsultationStatus(ctx, id, s.status); err != nil {
			t.Fatal(err)
		}
		if ttl := st.Client().TTL(ctx, key).Val(); !s.wantTTL(ttl) {
			t.Errorf("%s: TTL %v", s.status, ttl)
		}
	}
	st.Client().Del(ctx, key) // as if the retention had passed
	cs, err := st.Consultations(ctx, now.Add(-time.Hour), now.Add(time.Hour))
	if err != nil || len(cs) != 0 {
		t.Errorf("expired consultation listed: %+v (%v)", cs, err)
	}
	if n := st.Client().ZCard(ctx, st.Prefix()+"consult:index").Val(); n != 0 {
		t.Errorf("index keeps %d expired ids", n)
	}
	if err := st.SetConsultationStatus(ctx, id, "closed"); err == nil {
		t.Error("status of an expired consultation set")
	}
	if err := st.EraseUser(ctx, "o1"); err != nil {
		t.Fatal(err)
	}
	if n := st.Client().Exists(ctx, key).Val(); n != 0 {
		t.Error("erasure brought an expired consultation back")
	}
	if stats, _ := st.DayStats(ctx, now); stats[store.MetricConsultations] != 1 {
		t.Errorf("the day's count went with the record: %v", stats)
	}
}
