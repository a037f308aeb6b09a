package store_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pufa-dev/pufa/store"
	"github.com/pufa-dev/pufa/store/storetest"
)

func TestCallbackClaimLifecycle(t *testing.T) {
	st := storetest.New(t)
	ctx := context.Background()
	steps := []struct {
		name  string
		do    func() (store.Claim, error)
		state store.ClaimState
		reply string
	}{
		{"first delivery claims", func() (store.Claim, error) { return st.ClaimCallback(ctx, "u", "m:u:1", time.Second) }, store.Claimed, ""},
		{"retry while processing sees pending", func() (store.Claim, error) { return st.ClaimCallback(ctx, "u", "m:u:1", time.Second) }, store.Pending, ""},
		{"retry after answer gets the reply", func() (store.Claim, error) {
			if err := st.AnswerCallback(ctx, "u", "m:u:1", []byte("<xml>答</xml>"), time.Minute); err != nil {
				return store.Claim{}, err
			}
			return st.ClaimCallback(ctx, "u", "m:u:1", time.Second)
		}, store.Answered, "<xml>答</xml>"},
		{"release never drops an answer", func() (store.Claim, error) {
			if err := st.ReleaseCallback(ctx, "u", "m:u:1"); err != nil {
				return store.Claim{}, err
			}
			return st.ClaimCallback(ctx, "u", "m:u:1", time.Second)
		}, store.Answered, "<xml>答</xml>"},
		{"other message is independent", func() (store.Claim, error) { return st.ClaimCallback(ctx, "u", "m:u:2", time.Second) }, store.Claimed, ""},
		{"released claim can be taken again", func() (store.Claim, error) {
			if err := st.ReleaseCallback(ctx, "u", "m:u:2"); err != nil {
				return store.Claim{}, err
			}
			return st.ClaimCallback(ctx, "u", "m:u:2", time.Second)
		}, store.Claimed, ""},
	}
	for _, s := range steps {
		c, err := s.do()
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if c.State != s.state || string(c.Reply) != s.reply {
			t.Errorf("%s: got %v %q, want %v %q", s.name, c.State, c.Reply, s.state, s.reply)
		}
	}
}

func TestClaimLeaseExpires(t *testing.T) {
	st := storetest.New(t)
	ctx := context.Background()
	if c, _ := st.ClaimCallback(ctx, "u", "m:u:9", 50*time.Millisecond); c.State != store.Claimed {
		t.Fatal("not claimed")
	}
	time.Sleep(120 * time.Millisecond)
	if c, _ := st.ClaimCallback(ctx, "u", "m:u:9", time.Second); c.State != store.Claimed {
		t.Errorf("a crashed processor's claim must lapse so a retry can process; got %v", c.State)
	}
	if _, ok, _ := st.CallbackReply(ctx, "u", "m:u:9"); ok {
		t.Error("pending claim reported as answered")
	}
}

func TestCommunityMovesAndErasure(t *testing.T) {
	st := storetest.New(t)
	ctx := context.Background()
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(st.Subscribe(ctx, "u1", "c1", now))
	must(st.Subscribe(ctx, "u2", "c1", now))
	must(st.Subscribe(ctx, "u1", "", now)) // re-follow without a QR code keeps the community
	if c, _ := st.UserCommunity(ctx, "u1"); c != "c1" {
		t.Errorf("community %q after plain re-follow", c)
	}
	must(st.SetCommunity(ctx, "u1", "c2"))
	counts := map[string]int64{"c1": 1, "c2": 1}
	for c, want := range counts {
		if n, _ := st.CommunityFollowers(ctx, c); n != want {
			t.Errorf("%s followers %d, want %d", c, n, want)
		}
	}
	must(st.SetLastQuestion(ctx, "u1", "工伤"))
	if _, err := st.AddConsultation(ctx, "u1", "工伤怎么认定", now); err != nil {
		t.Fatal(err)
	}
	must(st.EraseUser(ctx, "u1"))
	if ok, _ := st.UserExists(ctx, "u1"); ok {
		t.Error("u1's personal keys survived erasure")
	}
	if q, _ := st.LastQuestion(ctx, "u1"); q != "" {
		t.Errorf("last question survived: %q", q)
	}
	if n, _ := st.CommunityFollowers(ctx, "c2"); n != 0 {
		t.Error("erased user still counted in c2")
	}
	if ok, _ := st.UserExists(ctx, "u2"); !ok {
		t.Error("erasing u1 touched u2")
	}
	stats, _ := st.DayStats(ctx, now)
	if stats[store.MetricConsultations] != 1 {
		t.Errorf("aggregate consultation count lost: %v", stats)
	}
}

func TestConsultationsByPeriod(t *testing.T) {
	st := storetest.New(t)
	ctx := context.Background()
	base := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	for i, q := range []string{"a", "b", "c"} {
		if _, err := st.AddConsultation(ctx, "u", q, base.Add(time.Duration(i)*24*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	got, err := st.Consultations(ctx, base.Add(time.Hour), base.Add(48*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Question != "b" || got[0].ID != "2" || got[0].Status != "new" {
		t.Errorf("period query returned %+v, want only b", got)
	}
}

func TestDayUsesChinaTime(t *testing.T) {
	tests := []struct {
		at   time.Time
		want string
	}{
		{time.Date(2026, 12, 3, 15, 59, 0, 0, time.UTC), "20261203"},
		{time.Date(2026, 12, 3, 16, 0, 0, 0, time.UTC), "20261204"}, // midnight in Beijing: 12·4 begins
	}
	for _, tt := range tests {
		if got := store.Day(tt.at); got != tt.want {
			t.Errorf("Day(%s) = %s, want %s", tt.at, got, tt.want)
		}
	}
}

func TestCacheCompareAndDelete(t *testing.T) {
	st := storetest.New(t)
	ctx := context.Background()
	if err := st.CacheSet(ctx, "tok", "new-token", time.Minute); err != nil {
		t.Fatal(err)
	}
	if ok, _ := st.CacheCompareAndDelete(ctx, "tok", "old-token"); ok {
		t.Error("deleted a token that another replica had already replaced")
	}
	if v, ok, _ := st.CacheGet(ctx, "tok"); !ok || v != "new-token" {
		t.Errorf("token %q %v", v, ok)
	}
	if ok, _ := st.CacheCompareAndDelete(ctx, "tok", "new-token"); !ok {
		t.Error("failed to delete the failing token")
	}
	if _, ok, _ := st.CacheGet(ctx, "tok"); ok {
		t.Error("token still cached")
	}
}

func TestKeysArePrefixedAndUserKeysShareASlot(t *testing.T) {
	st := storetest.New(t)
	ctx := context.Background()
	now := time.Now()
	st.Subscribe(ctx, "o_abc", "c9", now)
	st.SetLastQuestion(ctx, "o_abc", "q")
	st.AddConsultation(ctx, "o_abc", "q", now)
	keys, err := st.Client().Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	var userKeys int
	for _, k := range keys {
		if !strings.HasPrefix(k, st.Prefix()) {
			continue // other tests share the server
		}
		if strings.Contains(k, "o_abc") && !strings.HasPrefix(k, st.Prefix()+"community:") {
			userKeys++
			// Cluster hashes only the first {...}; it must be the openid.
			if open := strings.Index(k, "{"); open < 0 || !strings.HasPrefix(k[open:], "{o_abc}") {
				t.Errorf("per-user key %q lacks the {openid} hash tag", k)
			}
		}
	}
	if userKeys < 3 {
		t.Errorf("found %d per-user keys, want at least 3", userKeys)
	}
}

func TestClaimReadsTheResidentsSession(t *testing.T) {
	st := storetest.New(t)
	ctx := context.Background()
	if c, err := st.ClaimCallback(ctx, "u", "m:1", time.Second); err != nil || c.Session != "" {
		t.Fatalf("no quiz yet: session %q, %v", c.Session, err)
	}
	now := time.Now()
	if _, _, err := st.StartQuiz(ctx, store.QuizStart{Quiz: "constitution-2026", OpenID: "u", Order: []string{"q1"},
		At: now, Closes: now.Add(time.Hour), Idle: time.Minute}); err != nil {
		t.Fatal(err)
	}
	if c, err := st.ClaimCallback(ctx, "u", "m:2", time.Second); err != nil || c.Session != "constitution-2026" || c.State != store.Claimed {
		t.Errorf("claim %+v, %v: want the quiz as the session", c, err)
	}
	if s, err := st.Session(ctx, "u"); err != nil || s != "constitution-2026" {
		t.Errorf("session %q, %v: want the quiz, as the claim reads it", s, err)
	}
	if s, err := st.Session(ctx, "other"); err != nil || s != "" {
		t.Errorf("session of a resident in no quiz: %q, %v", s, err)
	}
	if c, _ := st.ClaimCallback(ctx, "other", "m:2", time.Second); c.Session != "" || c.State != store.Claimed {
		t.Errorf("another resident's claim %+v: same message id, own record, no session", c)
	}
}

func TestDeleteAllRemovesOnlyItsPrefix(t *testing.T) {
	ctx := context.Background()
	mine, other := storetest.New(t), storetest.New(t)
	for i := range 2500 { // more than one SCAN batch
		if err := mine.AnswerCallback(ctx, "u", strconv.Itoa(i), []byte("r"), time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	if err := other.AnswerCallback(ctx, "u", "1", []byte("kept"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := mine.DeleteAll(ctx); err != nil {
		t.Fatal(err)
	}
	if n, _ := mine.Client().Keys(ctx, mine.Prefix()+"*").Result(); len(n) != 0 {
		t.Errorf("%d keys left under the prefix", len(n))
	}
	if reply, ok, err := other.CallbackReply(ctx, "u", "1"); err != nil || !ok || string(reply) != "kept" {
		t.Errorf("another prefix's key: %q %v %v, want it kept", reply, ok, err)
	}
}

// TestEraseUserForgetsCallbackReplies: the dedup records of a resident's
// callbacks hold the replies sent (a consultation number, a quiz score), so
// erasure deletes them instead of leaving them for bot.dedup_ttl (issue 12,
// item 13). A claim still pending, such as the unsubscribe's own, holds no
// reply and stays, so WeChat's retry of the unsubscribe is not processed
// twice.
func TestEraseUserForgetsCallbackReplies(t *testing.T) {
	st := storetest.New(t)
	ctx := context.Background()
	answered := []string{"m:1001", "m:1002", "e:1700000000:event:CLICK:QUIZ"}
	for _, who := range []string{"u1", "u2"} {
		for _, id := range answered {
			if _, err := st.ClaimCallback(ctx, who, id, time.Second); err != nil {
				t.Fatal(err)
			}
			if err := st.AnswerCallback(ctx, who, id, []byte("<xml>已为您登记人工咨询（编号 7）"+who+"</xml>"), time.Minute); err != nil {
				t.Fatal(err)
			}
		}
	}
	const unsub = "e:1700000001:event:unsubscribe:"
	if _, err := st.ClaimCallback(ctx, "u1", unsub, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := st.EraseUser(ctx, "u1"); err != nil {
		t.Fatal(err)
	}
	for _, id := range answered {
		if _, ok, _ := st.CallbackReply(ctx, "u1", id); ok {
			t.Errorf("u1's reply to %s survived erasure", id)
		}
		if _, ok, _ := st.CallbackReply(ctx, "u2", id); !ok {
			t.Errorf("erasing u1 took u2's reply to %s", id)
		}
	}
	if c, _ := st.ClaimCallback(ctx, "u1", unsub, 5*time.Second); c.State != store.Pending {
		t.Errorf("the unsubscribe's own claim: %v, want still pending", c.State)
	}
	keys, _ := st.Client().Keys(ctx, st.Prefix()+"*u1*").Result()
	if len(keys) != 1 || !strings.HasSuffix(keys[0], unsub) {
		t.Errorf("keys naming u1 after erasure: %v, want only the unsubscribe's pending claim", keys)
	}

	// The index the erasure follows forgets expired records by itself.
	for i := range 5 {
		st.AnswerCallback(ctx, "u3", "m:"+strconv.Itoa(i), []byte("r"), time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond)
	st.AnswerCallback(ctx, "u3", "m:9", []byte("r"), time.Minute)
	if n := st.Client().ZCard(ctx, st.Prefix()+"callbacks:{u3}").Val(); n != 1 {
		t.Errorf("callback index holds %d records, want the 1 live one", n)
	}
}
