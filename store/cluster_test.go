package store_test

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pufa-dev/pufa/store"
	"github.com/pufa-dev/pufa/store/storetest"
)

// The README promises that pufa runs on Redis Cluster because the keys one
// Lua script or MULTI touches share a hash tag. TestStoreOnCluster holds the
// store to it: every exported method that runs a script, a transaction, a
// pipeline, a multi-key command or a SCAN runs on a single node and on a real
// three-master cluster, and must pass the same assertions on both.
//
// Checklist (method → what makes it interesting on Cluster):
//
//	ClaimCallback, Session          claimScript on the auto-pipeliner: callback record + session pointer
//	ReleaseCallback                 releaseScript
//	AnswerCallback                  answerScript: callback record + the resident's callback index
//	CacheCompareAndDelete           compareAndDeleteScript
//	Subscribe, SetCommunity         separate commands on the user's and the community's slots
//	AddConsultation,
//	RequestConsultation             pipelines over consult:day:<day>, then consult:*,
//	                                user:{openid}:consults, user:{openid}:case and stats:<day>
//	SetConsultationStatus, MoveCase caseStatusScript on consult:<id>, then compareAndDeleteScript
//	                                on user:{openid}:case when closed
//	RecordConversation              pipeline over user:{openid}:*, then caseAppendScript on consult:<id>
//	AddCaseMessage, SetCaseFields   caseAppendScript / caseFieldScript on consult:<id>, then the
//	                                transcript's pipeline
//	RecordQuestion                  pipeline on the auto-pipeliner over user:{openid}:*, stats and topics
//	SetMore                         MULTI on user:{openid}:more
//	UserExists                      EXISTS over every user:{openid}* key
//	EraseUser                       DEL over the user's keys, a MULTI per quiz taken,
//	                                eraseRepliesScript over the callback index and records
//	Communities                     SCAN on every master
//	SetCampaignState                campaignStateScript: campaign, log and run hash
//	ClaimFire                       claimFireScript: fire key and campaign hash
//	BeginRun, AppendRun, ReadyRun   run snapshot scripts (BeginRun DELs five keys)
//	ClaimRunItems                   claimItemsScript; EXPIRE pipeline when the run finishes
//	RecordRunItem, ReleaseRunItem,
//	RenewRunItem, TemplateFinished  per-recipient scripts over run, status, inflight, retry, campaign
//	RunStatuses                     HSCAN of the status hash
//	ForgetRunRecipients, RunStatus  HSCAN, then forgetRecipientsScript on the status hash
//	TakeRate                        rateScript (GCRA)
//	EditLedgerEntry                 ledgerEditScript: entry and its history
//	SaveBankEdit                    versionedSaveScript: edits hash, version counter, entry history
//	BankEdits                       MULTI over the edits hash and the version counter
//	StartQuiz                       pipeline over the user's slot, quizStartScript in the quiz's slot
//	RecordQuizAnswer                quizAnswerScript: progress, stats, communities, board
//	QuizRank                        quizRankScript
//	QuizStats                       pipeline over the quiz's stats and communities
//	PutSession                      MULTI on the session hash
//	Audit                           LPUSH + LTRIM pipeline
//	AddArticle, EditArticle         articleSaveScript: article hash and its history
//	UnlockArticleSync               articleUnlockScript
//	PutArticleImage                 HSETNX pipeline on the image hash
func TestStoreOnCluster(t *testing.T) {
	addrs := storetest.StartCluster(t)

	t.Run("fixture ids spread over every master", func(t *testing.T) {
		st := storetest.NewOnCluster(t, addrs)
		cc := st.Client().(*redis.ClusterClient)
		families := []struct {
			name string
			ids  []string
		}{
			{"openids", residents()},
			{"campaign ids", campaignIDs()},
			{"quiz ids", quizIDs()},
		}
		for _, f := range families {
			masters := map[string]bool{}
			for _, id := range f.ids {
				// Only the hash tag decides the slot, so "{id}" stands for
				// every key carrying id as its tag.
				node, err := cc.MasterForKey(ctx, "{"+id+"}")
				if err != nil {
					t.Fatalf("%s %s: %v", f.name, id, err)
				}
				masters[node.Options().Addr] = true
			}
			if len(masters) != len(addrs) {
				t.Errorf("%s %v reach %d of %d masters; the cluster test would not cross nodes", f.name, f.ids, len(masters), len(addrs))
			}
		}
	})

	deployments := []struct {
		name string
		open func(t *testing.T) *store.Store
	}{
		{"single node", func(t *testing.T) *store.Store { return storetest.New(t) }},
		{"cluster", func(t *testing.T) *store.Store { return storetest.NewOnCluster(t, addrs) }},
	}
	scenarios := []struct {
		name string
		run  func(t *testing.T, st *store.Store)
	}{
		{"callbacks are claimed, answered and released once", clusterCallbacks},
		{"the token cache deletes only the value it saw", clusterCache},
		{"residents follow, ask, consult and are erased", clusterResidents},
		{"campaigns move, fire once and deliver every recipient once", clusterCampaigns},
		{"a lapsed lease hands its recipient out again", clusterLapsedLease},
		{"rate limits are shared and independent", clusterRates},
		{"ledger edits keep their history", clusterLedger},
		{"answer bank edits keep their history", clusterBank},
		{"quizzes score, rank and count", clusterQuizzes},
		{"console sessions and audit log", clusterConsole},
		{"articles keep their history", articleStorage},
		{"article images are kept once", articleImagesOnce},
		{"an article's sync lease", articleSyncLease},
		{"article sends by run and month", articleSends},
		{"article sends recorded by replicas at once", articleSendsConcurrently},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			for _, d := range deployments {
				t.Run(d.name, func(t *testing.T) { sc.run(t, d.open(t)) })
			}
		})
	}
}

// Fixture ids: realistic, and chosen so that each family's hash tags fall on
// every master of the test cluster (the first subtest checks this).

func residents() []string {
	return []string{
		"oLVPpjqs9BhvzwPj5A-vTYAX3GLc",
		"o6_bmjrPTlm6_2sgVt7hMZOPfL2M",
		"oq5Gr5m0Ayg0LtXw0bwfmkhvWh2E",
		"oTkMm5MXgd7aSP3kQxiEwEPFXyqU",
		"o3ddd5LmjK8ZXk1dnyUeUAF8l0Nw",
		"oYwNt6CR1u02Pzjb4V9xYs9LmQ7c",
	}
}

func campaignIDs() []string {
	return []string{"constitution-day-2026", "civil-code-month", "anti-fraud-weekly", "national-security-day"}
}

func quizIDs() []string {
	return []string{"constitution-2026", "civil-code-2026", "youth-law-2026"}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func clusterCallbacks(t *testing.T, st *store.Store) {
	for i, o := range residents() {
		msg := fmt.Sprint(24710012345678900 + i)
		reply := fmt.Sprintf("<xml>答复 %d</xml>", i)
		steps := []struct {
			name  string
			do    func() (store.Claim, error)
			state store.ClaimState
			reply string
		}{
			{"first delivery claims", func() (store.Claim, error) { return st.ClaimCallback(ctx, o, msg, time.Minute) }, store.Claimed, ""},
			{"retry while processing sees pending", func() (store.Claim, error) { return st.ClaimCallback(ctx, o, msg, time.Minute) }, store.Pending, ""},
			{"a released claim is taken again", func() (store.Claim, error) {
				must(t, st.ReleaseCallback(ctx, o, msg))
				return st.ClaimCallback(ctx, o, msg, time.Minute)
			}, store.Claimed, ""},
			{"retry after the answer gets it byte for byte", func() (store.Claim, error) {
				must(t, st.AnswerCallback(ctx, o, msg, []byte(reply), time.Minute))
				return st.ClaimCallback(ctx, o, msg, time.Minute)
			}, store.Answered, reply},
			{"release never drops an answer", func() (store.Claim, error) {
				must(t, st.ReleaseCallback(ctx, o, msg))
				return st.ClaimCallback(ctx, o, msg, time.Minute)
			}, store.Answered, reply},
		}
		for _, s := range steps {
			c, err := s.do()
			if err != nil {
				t.Fatalf("%s, %s: %v", o, s.name, err)
			}
			if c.State != s.state || string(c.Reply) != s.reply || c.Session != "" {
				t.Errorf("%s, %s: got %v %q session %q, want %v %q", o, s.name, c.State, c.Reply, c.Session, s.state, s.reply)
			}
		}
		if got, ok, err := st.CallbackReply(ctx, o, msg); err != nil || !ok || string(got) != reply {
			t.Errorf("%s: stored reply %q %v %v, want %q", o, got, ok, err, reply)
		}
	}

	// Concurrent deliveries of one message (WeChat retries, several
	// replicas) through the auto-pipeliner: exactly one is processed.
	o := residents()[1]
	var wg sync.WaitGroup
	var mu sync.Mutex
	states := map[store.ClaimState]int{}
	for range 20 {
		wg.Go(func() {
			c, err := st.ClaimCallback(ctx, o, "race", time.Minute)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			states[c.State]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if states[store.Claimed] != 1 || states[store.Pending] != 19 {
		t.Errorf("20 concurrent deliveries: %v, want 1 claimed and 19 pending", states)
	}

	// Session and the claim read the resident's quiz pointer from the
	// resident's own slot.
	inQuiz := residents()[2]
	now := time.Now()
	if _, _, err := st.StartQuiz(ctx, store.QuizStart{Quiz: quizIDs()[0], OpenID: inQuiz, Order: []string{"q1"},
		At: now, Closes: now.Add(time.Hour), Idle: time.Minute}); err != nil {
		t.Fatal(err)
	}
	for _, openid := range residents() {
		want := ""
		if openid == inQuiz {
			want = quizIDs()[0]
		}
		if s, err := st.Session(ctx, openid); err != nil || s != want {
			t.Errorf("session of %s: %q, %v; want %q", openid, s, err, want)
		}
		if c, err := st.ClaimCallback(ctx, openid, "after-start", time.Minute); err != nil || c.Session != want {
			t.Errorf("claim of %s: session %q, %v; want %q", openid, c.Session, err, want)
		}
	}
}

func clusterCache(t *testing.T, st *store.Store) {
	for _, name := range []string{"access_token", "jsapi_ticket", "wx_card_ticket"} {
		must(t, st.CacheSet(ctx, name, "new-"+name, time.Minute))
		if ok, err := st.CacheCompareAndDelete(ctx, name, "old-"+name); err != nil || ok {
			t.Errorf("%s: deleted a value another replica had replaced (%v, %v)", name, ok, err)
		}
		if v, ok, _ := st.CacheGet(ctx, name); !ok || v != "new-"+name {
			t.Errorf("%s: cached %q %v", name, v, ok)
		}
		if ok, err := st.CacheCompareAndDelete(ctx, name, "new-"+name); err != nil || !ok {
			t.Errorf("%s: the failing value was not deleted (%v, %v)", name, ok, err)
		}
		if _, ok, _ := st.CacheGet(ctx, name); ok {
			t.Errorf("%s: still cached", name)
		}
	}
}

func clusterResidents(t *testing.T, st *store.Store) {
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC) // 国家宪法日
	rs := residents()
	communities := []string{"幸福社区", "和平社区", "光明社区"}
	for i, o := range rs {
		must(t, st.Subscribe(ctx, o, communities[i%len(communities)], now))
	}
	must(t, st.SetCommunity(ctx, rs[0], "光明社区")) // 幸福 → 光明
	followers := map[string]int64{"幸福社区": 1, "和平社区": 2, "光明社区": 3}
	for c, want := range followers {
		if n, err := st.CommunityFollowers(ctx, c); err != nil || n != want {
			t.Errorf("%s: %d followers (%v), want %d", c, n, err, want)
		}
	}
	if got, err := st.Communities(ctx); err != nil || !slices.Equal(got, []string{"光明社区", "和平社区", "幸福社区"}) {
		t.Errorf("Communities = %v, %v: the SCAN must reach every master", got, err)
	}

	// Every resident asks; those with more hits keep a "更多" cursor.
	questions := []store.Question{
		{OpenID: rs[0], Text: "工伤怎么认定", Answered: true, Topic: "工伤保险条例", Next: 3},
		{OpenID: rs[1], Text: "离婚冷静期多久", Answered: true, Topic: "民法典·婚姻家庭编", Next: 0},
		{OpenID: rs[2], Text: "邻居噪音扰民怎么办", Answered: false},
		{OpenID: rs[3], Text: "劳动合同试用期", Answered: true, Topic: "劳动合同法", Next: 2},
		{OpenID: rs[4], Text: "电信诈骗怎么报警", Answered: true, Topic: "工伤保险条例", Next: 0},
		{OpenID: rs[5], Text: "宅基地纠纷", Answered: false},
	}
	for _, q := range questions {
		q.At = now
		must(t, st.RecordQuestion(ctx, q))
	}
	for _, q := range questions {
		text, next, ok, err := st.More(ctx, q.OpenID)
		if err != nil || ok != (q.Next > 0) || (ok && (text != q.Text || next != q.Next)) {
			t.Errorf("%s: more cursor %q %d %v %v, want %q %d", q.OpenID, text, next, ok, err, q.Text, q.Next)
		}
		if last, _ := st.LastQuestion(ctx, q.OpenID); last != q.Text {
			t.Errorf("%s: last question %q, want %q", q.OpenID, last, q.Text)
		}
	}
	must(t, st.SetMore(ctx, rs[0], "工伤怎么认定", 6))
	if _, next, ok, _ := st.More(ctx, rs[0]); !ok || next != 6 {
		t.Errorf("moved cursor: %d %v, want 6", next, ok)
	}
	if ttl := st.Client().TTL(ctx, st.Prefix()+"user:{"+rs[0]+"}:more").Val(); ttl <= 0 || ttl > time.Hour {
		t.Errorf("more cursor TTL %v, want up to an hour", ttl)
	}
	must(t, st.SetMore(ctx, rs[3], "", 0))
	if _, _, ok, _ := st.More(ctx, rs[3]); ok {
		t.Error("a cleared cursor still pages")
	}
	top, err := st.TopTopics(ctx, now, 2)
	if err != nil || len(top) != 2 || top[0] != (store.TopicCount{Topic: "工伤保险条例", Count: 2}) || top[1].Count != 1 {
		t.Errorf("top topics %+v, %v", top, err)
	}

	// Two consultations, and the resident to be erased takes two quizzes
	// that live on other masters than the resident's own keys.
	gone, kept := rs[0], rs[1]
	for _, o := range []string{gone, kept} {
		if _, err := st.AddConsultation(ctx, o, "想咨询律师", now); err != nil {
			t.Fatal(err)
		}
	}
	if r, err := st.RequestConsultation(ctx, store.ConsultRequest{OpenID: gone, Question: "再问", At: now, DailyLimit: 1}); err != nil || !r.Limited {
		t.Errorf("a second request of the day under a limit of one: %+v, %v", r, err)
	}
	for _, quiz := range quizIDs()[1:] {
		_, p, err := st.StartQuiz(ctx, store.QuizStart{Quiz: quiz, OpenID: gone, Order: []string{"x0"},
			At: now, Closes: now.Add(time.Hour), Idle: time.Minute})
		must(t, err)
		r, err := st.RecordQuizAnswer(ctx, store.QuizAnswer{Quiz: quiz, OpenID: gone, Attempt: p.Attempt, Pos: 0,
			Question: "x0", Answer: "A", Correct: "A", Total: 1, At: now, Closes: now.Add(time.Hour)})
		if err != nil || !r.Finished {
			t.Fatalf("%s: %+v %v", quiz, r, err)
		}
	}
	before, err := st.DayStats(ctx, now)
	must(t, err)
	want := map[string]int64{store.MetricQuestions: 6, store.MetricAnswered: 4, store.MetricUnanswered: 2, store.MetricConsultations: 2}
	for k, n := range want {
		if before[k] != n {
			t.Errorf("day stats %s = %d, want %d (all: %v)", k, before[k], n, before)
		}
	}

	must(t, st.AnswerCallback(ctx, gone, "m:42", []byte("<xml>答复</xml>"), time.Minute))
	must(t, st.EraseUser(ctx, gone))
	if _, ok, err := st.CallbackReply(ctx, gone, "m:42"); err != nil || ok {
		t.Errorf("the erased resident's stored reply survives (%v, %v)", ok, err)
	}
	if ok, err := st.UserExists(ctx, gone); err != nil || ok {
		t.Errorf("erased resident's keys survive (%v, %v)", ok, err)
	}
	if q, _ := st.LastQuestion(ctx, gone); q != "" {
		t.Errorf("last question survives: %q", q)
	}
	if _, _, ok, _ := st.More(ctx, gone); ok {
		t.Error("more cursor survives")
	}
	for _, quiz := range quizIDs()[1:] {
		if p, _ := st.QuizProgress(ctx, quiz, gone); p.State != "" {
			t.Errorf("%s: progress survives: %+v", quiz, p)
		}
		if _, total, ok, _ := st.QuizRank(ctx, quiz, gone); ok || total != 0 {
			t.Errorf("%s: board entry survives (ok %v, %d on the board)", quiz, ok, total)
		}
		if stats, _ := st.QuizStats(ctx, quiz); stats.Participants != 1 || stats.Completions != 1 {
			t.Errorf("%s: aggregates must survive erasure: %+v", quiz, stats)
		}
	}
	if n, _ := st.CommunityFollowers(ctx, "光明社区"); n != 2 {
		t.Errorf("光明社区 has %d followers after the erasure, want 2", n)
	}
	cs, err := st.Consultations(ctx, now, now.Add(time.Second))
	if err != nil || len(cs) != 2 {
		t.Fatalf("consultations %+v, %v", cs, err)
	}
	byID := map[string]string{cs[0].OpenID: cs[0].Question, cs[1].OpenID: cs[1].Question}
	if byID[kept] != "想咨询律师" || byID[""] != "（用户已取消关注，内容已删除）" {
		t.Errorf("consultations after erasure %+v: the erased one loses openid and text, the other stays", cs)
	}
	for _, o := range rs[1:] {
		if ok, _ := st.UserExists(ctx, o); !ok {
			t.Errorf("erasing %s touched %s", gone, o)
		}
	}
	if after, _ := st.DayStats(ctx, now); !mapsEqual(after, before) {
		t.Errorf("day stats changed by the erasure: %v, was %v", after, before)
	}
}

func mapsEqual(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func clusterCampaigns(t *testing.T, st *store.Store) {
	for _, id := range campaignIDs() {
		t.Run(id, func(t *testing.T) { campaignLifecycle(t, st, id) })
	}
	ids, err := st.CampaignIDs(ctx)
	slices.Sort(ids)
	want := slices.Sorted(slices.Values(campaignIDs()))
	if err != nil || !slices.Equal(ids, want) {
		t.Errorf("campaign ids %v, %v, want %v", ids, err, want)
	}
}

func campaignLifecycle(t *testing.T, st *store.Store, id string) {
	t1 := time.Unix(1_800_000_000, 0)
	t2 := t1.Add(10 * time.Second)
	fire := t1

	ok, found, err := st.SetCampaignState(ctx, id, store.StateChange{From: "", To: "approved",
		Log: "1|draft|approved|approve|张三|", Approval: &store.Approval{By: "张三", At: t1, Hash: "h1"}})
	if err != nil || !ok || found != "" {
		t.Fatalf("approve: %v %q %v", ok, found, err)
	}
	if ok, found, _ := st.SetCampaignState(ctx, id, store.StateChange{From: "", To: "approved"}); ok || found != "approved" {
		t.Errorf("a stale transition applied: %v %q", ok, found)
	}

	// Ten replicas race for one fire: one wins; a later fire supersedes it.
	if won := raceForFire(t, st, id, t1, 10); won != 1 {
		t.Errorf("%d replicas won one fire", won)
	}
	if mode, _ := st.FireClaimed(ctx, id, t1); mode != "run" {
		t.Errorf("fire key holds %q", mode)
	}
	if c, _ := st.ClaimFire(ctx, id, t2, "run", nil); !c.Won {
		t.Error("the later fire was not won")
	}
	if c, _ := st.ClaimFire(ctx, id, t1.Add(5*time.Second), "run", nil); c.Won {
		t.Error("a fire older than the last handled one was claimed")
	}
	t5 := t2.Add(30 * time.Second)
	if c, err := st.ClaimFire(ctx, id, t5, "skip", []time.Time{t1, t2, t2.Add(10 * time.Second), t2.Add(20 * time.Second)}); err != nil || !c.Won || c.Missed != 3 {
		t.Errorf("skip: %+v %v, want 3 missed (2 older + itself)", c, err)
	}

	// The audience snapshot: owned by one replica, then ready for all.
	if b, err := st.BeginRun(ctx, id, fire, "replica-a", time.Minute, store.RunStart{Channel: "template"}); err != nil || b != store.RunBeginNew {
		t.Fatalf("begin: %q %v", b, err)
	}
	if b, _ := st.BeginRun(ctx, id, fire, "replica-b", time.Minute, store.RunStart{}); b != store.RunBeginBusy {
		t.Errorf("second replica while the first snapshots: %q", b)
	}
	must(t, st.AppendRun(ctx, id, fire, "replica-a", map[string]string{"0": "o1\no2"}, []string{"o1", "o2"}))
	must(t, st.AppendRun(ctx, id, fire, "replica-a", nil, []string{"o3", "o4"}))
	if err := st.AppendRun(ctx, id, fire, "replica-b", nil, []string{"intruder"}); !errors.Is(err, store.ErrSnapshotLost) {
		t.Errorf("a non-owner appended: %v", err)
	}
	if n, err := st.ReadyRun(ctx, id, fire, "replica-a"); err != nil || n != 4 {
		t.Fatalf("ready: %d %v", n, err)
	}
	if b, _ := st.BeginRun(ctx, id, fire, "replica-b", time.Minute, store.RunStart{}); b != store.RunBeginReady {
		t.Errorf("after ready: %q", b)
	}
	if b, err := st.RunBatch(ctx, id, fire, "0"); err != nil || b != "o1\no2" {
		t.Errorf("batch 0: %q %v", b, err)
	}

	claim := func(n int) store.RunClaim {
		t.Helper()
		c, err := st.ClaimRunItems(ctx, id, fire, n, time.Minute, 0)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	if c := claim(2); c.Kind != store.ClaimItems || !slices.Equal(c.Items, []string{"o1", "o2"}) {
		t.Fatalf("first claim %+v", c)
	}
	if _, rec, _ := st.RecordRunItem(ctx, id, fire, "o1", store.StatusSentMsg(1001)); !rec {
		t.Error("o1 not recorded")
	}
	if _, rec, _ := st.RecordRunItem(ctx, id, fire, "o1", store.StatusSentMsg(1001)); rec {
		t.Error("o1 recorded twice")
	}
	if ok, err := st.RenewRunItem(ctx, id, fire, "o2", time.Minute); err != nil || !ok {
		t.Errorf("renew o2: %v %v", ok, err)
	}
	if ok, _ := st.RenewRunItem(ctx, id, fire, "o1", time.Minute); ok {
		t.Error("renewed a recorded item")
	}
	// o2 hit a rate limit: back in line, and the whole run holds.
	must(t, st.ReleaseRunItem(ctx, id, fire, "o2", time.Now().Add(time.Hour)))
	if c := claim(1); c.Kind != store.ClaimWait || c.Wait < 59*time.Minute {
		t.Errorf("held run: %+v", c)
	}
	must(t, st.HoldRun(ctx, id, fire, time.Time{}))

	// Pausing the campaign pauses its run in the same script.
	if ok, _, err := st.SetCampaignState(ctx, id, store.StateChange{From: "approved", To: "paused", RunFire: fire, RunState: store.RunPaused}); err != nil || !ok {
		t.Fatalf("pause: %v %v", ok, err)
	}
	if c := claim(1); c.Kind != store.ClaimStop || c.State != "paused" {
		t.Errorf("paused run: %+v", c)
	}
	if ok, _, err := st.SetCampaignState(ctx, id, store.StateChange{From: "paused", To: "approved", RunFire: fire, RunState: store.RunRunning}); err != nil || !ok {
		t.Fatalf("resume: %v %v", ok, err)
	}
	if c := claim(5); c.Kind != store.ClaimItems || !slices.Equal(c.Items, []string{"o2", "o3", "o4"}) {
		t.Fatalf("after resume %+v, want the released o2 first", c)
	}
	if consec, _, _ := st.RecordRunItem(ctx, id, fire, "o2", store.StatusFailedCode(43004)); consec != 1 {
		t.Errorf("consecutive failures %d, want 1", consec)
	}
	st.RecordRunItem(ctx, id, fire, "o3", store.StatusSentMsg(1003))
	if c := claim(5); c.Kind != store.ClaimDrain {
		t.Errorf("with o4 in flight: %+v", c)
	}
	if consec, _, _ := st.RecordRunItem(ctx, id, fire, "o4", store.StatusSentMsg(1004)); consec != 0 {
		t.Errorf("a success must reset the failure streak, got %d", consec)
	}
	if c := claim(5); c.Kind != store.ClaimFinished {
		t.Errorf("last claim %+v, want finished", c)
	}
	if c := claim(5); c.Kind != store.ClaimStop || c.State != "finished" {
		t.Errorf("after the finish %+v", c)
	}

	// WeChat reports template deliveries later, once each.
	reports := []struct {
		openid string
		msgID  int64
		want   bool
	}{{"o3", 1003, true}, {"o3", 1003, false}, {"o1", 9999, false}, {"o1", 1001, true}}
	for _, r := range reports {
		if ok, err := st.TemplateFinished(ctx, id, fire, r.openid, r.msgID, store.StatusDelivered); err != nil || ok != r.want {
			t.Errorf("template finish %s/%d: %v %v, want %v", r.openid, r.msgID, ok, err, r.want)
		}
	}
	run, _ := st.Run(ctx, id, fire)
	if run.Total != 4 || run.Done != 4 || run.Sent != 3 || run.Failed != 1 || run.Delivered != 2 ||
		run.State != store.RunFinished || run.Channel != "template" {
		t.Errorf("run %+v, want 4 total and done, 3 sent, 1 failed, 2 delivered, finished template", run)
	}
	statuses, err := st.RunStatuses(ctx, id, fire)
	wantStatuses := map[string]store.ItemStatus{"o1": "d", "o2": "f:43004", "o3": "d", "o4": "s:1004"}
	if err != nil || len(statuses) != len(wantStatuses) {
		t.Errorf("statuses %v %v, want %v", statuses, err, wantStatuses)
	}
	for o, s := range wantStatuses {
		if statuses[o] != s {
			t.Errorf("status of %s = %q, want %q", o, statuses[o], s)
		}
	}
	if ttl := st.Client().TTL(ctx, fmt.Sprintf("%scampaign:{%s}:run:%d:status", st.Prefix(), id, fire.Unix())).Val(); ttl < 80*24*time.Hour {
		t.Errorf("per-recipient statuses kept %v after the run, want ~90 days", ttl)
	}
	// The finished run forgets its openids; statuses are found by openid still.
	must(t, st.ForgetRunRecipients(ctx, id, fire, true))
	if raw, _ := st.RunStatuses(ctx, id, fire); len(raw) != len(wantStatuses) || raw["o1"] != "" {
		t.Errorf("statuses after forgetting %v, want %d under pseudonyms", raw, len(wantStatuses))
	}
	for o, s := range wantStatuses {
		if got, err := st.RunStatus(ctx, id, fire, o); err != nil || got != s {
			t.Errorf("status of %s after forgetting = %q (%v), want %q", o, got, err, s)
		}
	}
	h, _ := st.Campaign(ctx, id)
	if h.State != "approved" || h.ApprovedBy != "张三" || h.Fires != 2 || h.MissedFires != 3 ||
		h.LastFire.Unix() != 1800000040 || h.Delivered != 2 {
		t.Errorf("campaign %+v, want approved by 张三, 2 fires, 3 missed, last 1800000040, 2 delivered", h)
	}
	if log, _ := st.CampaignLog(ctx, id); len(log) != 1 {
		t.Errorf("log %v, want the one logged transition", log)
	}
	if fires, _ := st.RunFires(ctx, id); len(fires) != 1 || !fires[0].Equal(fire) {
		t.Errorf("run fires %v", fires)
	}
}

func clusterLapsedLease(t *testing.T, st *store.Store) {
	id, fire := campaignIDs()[1], time.Unix(1_800_000_000, 0)
	if b, err := st.BeginRun(ctx, id, fire, "a", time.Minute, store.RunStart{}); err != nil || b != store.RunBeginNew {
		t.Fatalf("begin: %q %v", b, err)
	}
	must(t, st.AppendRun(ctx, id, fire, "a", nil, []string{"o1", "o2"}))
	if _, err := st.ReadyRun(ctx, id, fire, "a"); err != nil {
		t.Fatal(err)
	}
	c, err := st.ClaimRunItems(ctx, id, fire, 1, 50*time.Millisecond, time.Minute)
	if err != nil || !slices.Equal(c.Items, []string{"o1"}) {
		t.Fatalf("claim %+v %v", c, err)
	}
	// o1's holder dies. The next claimer gets o2, then waits as the script
	// says until o1's lease lapses and o1 comes back.
	var got []string
	for deadline := time.Now().Add(5 * time.Second); len(got) < 2; {
		c, err := st.ClaimRunItems(ctx, id, fire, 2, time.Minute, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case c.Kind == store.ClaimItems:
			got = append(got, c.Items...)
		case c.Kind != store.ClaimDrain:
			t.Fatalf("claim %+v", c)
		case time.Now().After(deadline):
			t.Fatalf("o1 not handed out again within 5s; got %v", got)
		default:
			time.Sleep(c.Wait)
		}
	}
	if !slices.Equal(got, []string{"o2", "o1"}) {
		t.Errorf("claimed %v, want o2 then the lapsed o1", got)
	}
	if _, rec, _ := st.RecordRunItem(ctx, id, fire, "o1", store.StatusSentMsg(1)); !rec {
		t.Error("the slow first holder's report was lost")
	}
	if _, rec, _ := st.RecordRunItem(ctx, id, fire, "o1", store.StatusSentMsg(2)); rec {
		t.Error("the second report counted")
	}
	if h, _ := st.Run(ctx, id, fire); h.Sent != 1 || h.Requeued != 1 {
		t.Errorf("run %v", h)
	}
}

func clusterRates(t *testing.T, st *store.Store) {
	for _, name := range []string{"template", "custom", "mass"} {
		if w, err := st.TakeRate(ctx, name, 100, 1, 1); err != nil || w != 0 {
			t.Errorf("%s: the first token waited %v (%v)", name, w, err)
		}
		// 100 more tokens at 100/s are due a second after the first.
		w, err := st.TakeRate(ctx, name, 100, 1, 100)
		if err != nil || w <= 800*time.Millisecond || w > time.Second {
			t.Errorf("%s: 100 tokens at 100/s wait %v (%v), want just under 1s", name, w, err)
		}
	}
}

func clusterLedger(t *testing.T, st *store.Store) {
	at := time.Unix(1_770_000_000, 0)
	entries := []store.LedgerEntry{
		{Date: "2026-03-05", Community: "幸福社区", Kind: "lecture", Count: 2, Participants: 80, Note: "含\"引号\"与换行\n"},
		{Date: "2026-03-15", Community: "和平社区", Kind: "stall", Count: 1, Participants: 200},
		{Date: "2026-04-15", Community: "光明社区", Kind: "lecture", Count: 1, Participants: 45},
		{Date: "2026-12-04", Community: "幸福社区", Kind: "performance", Count: 1, Participants: 300},
	}
	var ids []string
	for _, e := range entries {
		e.CreatedBy, e.CreatedAt = "ed", at
		id, err := st.AddLedgerEntry(ctx, e)
		must(t, err)
		ids = append(ids, id)
	}
	for i, id := range ids {
		e := entries[i]
		e.ID, e.Count, e.UpdatedBy, e.UpdatedAt = id, e.Count+10, "ap", at.Add(time.Hour)
		if v, err := st.EditLedgerEntry(ctx, e, 1); err != nil || v != 2 {
			t.Errorf("edit %s: version %d, %v", id, v, err)
		}
		if _, err := st.EditLedgerEntry(ctx, e, 1); !errors.Is(err, store.ErrVersion) {
			t.Errorf("stale edit of %s: %v", id, err)
		}
		h, err := st.LedgerHistory(ctx, id)
		if err != nil || len(h) != 1 || h[0].Count != entries[i].Count || h[0].Version != 1 || h[0].Note != entries[i].Note || h[0].CreatedAt != at {
			t.Errorf("history of %s: %+v, %v", id, h, err)
		}
	}
	if _, err := st.EditLedgerEntry(ctx, store.LedgerEntry{ID: "999", Date: "2026-03-05"}, 0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("edit of a missing entry: %v", err)
	}
	march, err := st.LedgerEntries(ctx, "2026-03-01", "2026-03-31")
	if err != nil || len(march) != 2 || march[0].Count != 12 || march[1].Count != 11 || march[0].Version != 2 || march[0].UpdatedBy != "ap" {
		t.Errorf("March entries %+v, %v", march, err)
	}
	page, total, err := st.LedgerPage(ctx, "2026-01-01", "2026-12-31", 1, 2)
	if err != nil || total != 4 || len(page) != 2 || page[0].Date != "2026-04-15" || page[1].Date != "2026-03-15" {
		t.Errorf("ledger page %+v of %d, %v", page, total, err)
	}
}

func clusterQuizzes(t *testing.T, st *store.Store) {
	opens := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	closes := opens.Add(72 * time.Hour)
	rs := residents()
	communities := map[string]string{rs[0]: "东城社区", rs[1]: "东城社区", rs[2]: "西城社区"}
	for o, c := range communities {
		must(t, st.Subscribe(ctx, o, c, opens))
	}
	// take runs a whole attempt of n questions with the first right ones right.
	take := func(quiz, openid string, n, right int, at time.Time) store.AnswerResult {
		t.Helper()
		status, p, err := st.StartQuiz(ctx, store.QuizStart{Quiz: quiz, OpenID: openid, Order: order(n),
			At: at, Closes: closes, Idle: time.Hour})
		if err != nil || status != store.QuizStarted {
			t.Fatalf("%s/%s start: %s %v", quiz, openid, status, err)
		}
		var r store.AnswerResult
		for i := range n {
			given := "B"
			if i < right {
				given = "A"
			}
			r, err = st.RecordQuizAnswer(ctx, store.QuizAnswer{Quiz: quiz, OpenID: openid, Attempt: p.Attempt, Pos: i,
				Question: fmt.Sprintf("x%d", i), Answer: given, Correct: "A", Total: n,
				At: at.Add(time.Duration(i-n+1) * 5 * time.Second), RepeatWindow: 2 * time.Second, Closes: closes})
			if err != nil || r.Status != store.AnswerRecorded {
				t.Fatalf("%s/%s answer %d: %+v %v", quiz, openid, i, r, err)
			}
		}
		return r
	}
	at := opens.Add(time.Hour)
	for qi, quiz := range quizIDs() {
		// The same residents rank differently in each quiz.
		scores := []int{3, 2, 1}
		for i, o := range rs[:3] {
			right := scores[(i+qi)%3]
			if r := take(quiz, o, 3, right, at.Add(time.Duration(i)*time.Minute)); !r.Finished || r.Correct != right || r.Best != right {
				t.Errorf("%s/%s: %+v, want %d right", quiz, o, r, right)
			}
		}
		// A worse second attempt keeps the best score on the board.
		best := scores[qi%3]
		if r := take(quiz, rs[0], 3, 0, at.Add(time.Hour)); !r.Finished || r.Best != best {
			t.Errorf("%s: second attempt %+v, want best %d kept", quiz, r, best)
		}
		top, err := st.QuizTop(ctx, quiz, 10)
		if err != nil || len(top) != 3 {
			t.Fatalf("%s: top %+v %v", quiz, top, err)
		}
		for rank, e := range top {
			if e.Rank != rank+1 || e.Correct != 3-rank {
				t.Errorf("%s: entry %d %+v, want rank %d with %d right", quiz, rank, e, rank+1, 3-rank)
			}
			if mine, total, ok, err := st.QuizRank(ctx, quiz, e.OpenID); err != nil || !ok || total != 3 || mine != e {
				t.Errorf("%s: rank of %s %+v of %d (%v %v), want %+v", quiz, e.OpenID, mine, total, ok, err, e)
			}
		}
		if _, total, ok, _ := st.QuizRank(ctx, quiz, rs[5]); ok || total != 3 {
			t.Errorf("%s: an absent resident is ranked (ok %v, %d)", quiz, ok, total)
		}
		stats, err := st.QuizStats(ctx, quiz)
		must(t, err)
		if stats.Participants != 3 || stats.Attempts != 4 || stats.Finished != 4 || stats.Completions != 3 ||
			stats.ScoreSum != 6 || stats.BestSum != 6 || stats.FullMarks != 1 {
			t.Errorf("%s: stats %+v", quiz, stats)
		}
		if q := stats.Questions["x0"]; q.Answered != 4 || q.Right != 3 || q.Answers["A"] != 3 || q.Answers["B"] != 1 {
			t.Errorf("%s: question x0 %+v", quiz, q)
		}
		east := stats.Communities["东城社区"]
		if east.Participants != 2 || east.Completions != 2 || east.BestSum != int64(scores[qi%3]+scores[(1+qi)%3]) {
			t.Errorf("%s: 东城社区 %+v", quiz, east)
		}
	}

	// Limits, the session pointer, and concurrent duplicates of one answer.
	quiz, o := quizIDs()[1], rs[3]
	if status, _, _ := st.StartQuiz(ctx, store.QuizStart{Quiz: quiz, OpenID: rs[1], Order: order(3), MaxAttempts: 1,
		At: at, Closes: closes, Idle: time.Hour}); status != store.QuizNoAttempt {
		t.Errorf("start beyond the attempts limit: %s", status)
	}
	if _, _, err := st.StartQuiz(ctx, store.QuizStart{Quiz: quiz, OpenID: o, Order: order(3), At: at, Closes: closes, Idle: time.Hour}); err != nil {
		t.Fatal(err)
	}
	if active, _ := st.ActiveQuiz(ctx, o, time.Hour); active != quiz {
		t.Errorf("active quiz %q, want %q", active, quiz)
	}
	var wg sync.WaitGroup
	var recorded atomic.Int32
	for range 32 {
		wg.Go(func() {
			r, err := st.RecordQuizAnswer(ctx, store.QuizAnswer{Quiz: quiz, OpenID: o, Attempt: 1, Pos: 0,
				Question: "x0", Answer: "A", Correct: "A", Total: 3, At: at, Closes: closes})
			if err != nil {
				t.Error(err)
			}
			if r.Status == store.AnswerRecorded {
				recorded.Add(1)
			}
		})
	}
	wg.Wait()
	p, err := st.QuizProgress(ctx, quiz, o)
	if n := recorded.Load(); err != nil || n != 1 || p.Pos != 1 || p.Correct != 1 || p.State != store.QuizActive {
		t.Errorf("32 concurrent copies of one answer recorded %d times, progress %+v (%v); want once", n, p, err)
	}
	must(t, st.LeaveQuiz(ctx, o))
	if active, _ := st.ActiveQuiz(ctx, o, time.Hour); active != "" {
		t.Errorf("left quiz still active: %q", active)
	}
	if status, p, _ := st.StartQuiz(ctx, store.QuizStart{Quiz: quiz, OpenID: o, Order: order(9), At: at, Closes: closes, Idle: time.Hour}); status != store.QuizResumed || p.Pos != 1 || len(p.Order) != 3 {
		t.Errorf("resume: %s %+v", status, p)
	}
}

func clusterConsole(t *testing.T, st *store.Store) {
	created := time.Unix(1_700_000_000, 0)
	sessions := map[string]store.Session{
		"3q2+7w==": {User: "ed", Role: "editor", CSRF: "c0ffee", Created: created, Cred: "0123abcd"},
		"rO0ABXQ=": {User: "ap", Role: "approver", CSRF: "beef", Created: created},
		"AAECAwQ=": {User: "admin", Role: "admin", CSRF: "f00d", Created: created},
	}
	for id, s := range sessions {
		must(t, st.PutSession(ctx, id, s, time.Minute))
	}
	for id, want := range sessions {
		if got, ok, err := st.GetSession(ctx, id); err != nil || !ok || got != want {
			t.Errorf("session %s: %+v %v %v, want %+v", id, got, ok, err, want)
		}
		if ttl := st.Client().TTL(ctx, st.Prefix()+"console:session:"+id).Val(); ttl <= 0 || ttl > time.Minute {
			t.Errorf("session %s TTL %v", id, ttl)
		}
		must(t, st.DeleteSession(ctx, id))
		if _, ok, _ := st.GetSession(ctx, id); ok {
			t.Errorf("deleted session %s still found", id)
		}
	}
	for i := range 3 {
		must(t, st.Audit(ctx, store.AuditEntry{At: time.Unix(int64(i), 0), User: "ed", Action: fmt.Sprint("a", i)}))
	}
	if log, err := st.AuditLog(ctx, 2); err != nil || len(log) != 2 || log[0].Action != "a2" || log[1].Action != "a1" {
		t.Errorf("audit log %+v, %v", log, err)
	}
	id, err := st.AddConsultation(ctx, residents()[2], "问题", time.Now())
	must(t, err)
	must(t, st.SetConsultationStatus(ctx, id, "answered"))
	if err := st.SetConsultationStatus(ctx, "999", "closed"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("status of a missing consultation: %v", err)
	}
	cs, _ := st.Consultations(ctx, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	if len(cs) != 1 || cs[0].Status != "answered" || cs[0].OpenID != residents()[2] {
		t.Errorf("consultations %+v", cs)
	}
	// A case's conversation, fields and status cross the resident's and
	// the case's slots.
	joined, err := st.RecordConversation(ctx, residents()[2], store.CaseMessage{At: time.Now(), From: store.FromResident, Text: "还有问题"})
	must(t, err)
	must(t, st.AddCaseMessage(ctx, id, store.CaseMessage{At: time.Now(), From: store.FromStaff, By: "ed", Text: "答复"}))
	must(t, st.SetCaseFields(ctx, id, nil, ptr("其他"), time.Now()))
	must(t, st.MoveCase(ctx, store.CaseMove{ID: id, From: store.CaseWorking, To: store.CaseAnswered, At: time.Now()}))
	if c, err := st.Case(ctx, id); err != nil || joined != id || len(c.Messages) != 2 || c.Category != "其他" || c.Status != store.CaseAnswered {
		t.Errorf("case on Cluster: joined %q, %+v, %v", joined, c, err)
	}
	if tr, err := st.Transcript(ctx, residents()[2]); err != nil || len(tr) != 2 {
		t.Errorf("transcript on Cluster %+v, %v", tr, err)
	}
	clusterConsolePages(t, st)
}

// clusterConsolePages runs the console's paged reads, whose pipelines
// cross slots, the login-delay script and account removal.
func clusterConsolePages(t *testing.T, st *store.Store) {
	for i, o := range residents() {
		id, err := st.AddConsultation(ctx, o, fmt.Sprint("问题", i), time.Now().Add(time.Duration(i)*time.Second))
		must(t, err)
		if i%2 == 1 {
			must(t, st.SetConsultationStatus(ctx, id, "closed"))
		}
	}
	n := int64(len(residents()) + 1)
	page, total, err := st.ConsultationPage(ctx, "", 1, 3)
	if err != nil || total != n || len(page) != 3 || page[0].Question != fmt.Sprint("问题", len(residents())-2) {
		t.Errorf("consultation page: %+v total %d, %v", page, total, err)
	}
	closed, total, err := st.ConsultationPage(ctx, "closed", 0, 100)
	if err != nil || total != int64(len(residents())/2) || len(closed) != len(residents())/2 {
		t.Errorf("closed consultations: %d of %d, %v", len(closed), total, err)
	}
	counts, err := st.ConsultationCounts(ctx)
	if err != nil || counts["closed"] != int64(len(residents())/2) || counts["new"]+counts["closed"]+counts["answered"] != n {
		t.Errorf("consultation counts %v, %v", counts, err)
	}
	if log, total, err := st.AuditPage(ctx, 1, 1); err != nil || total != 3 || len(log) != 1 || log[0].Action != "a1" {
		t.Errorf("audit page %+v of %d, %v", log, total, err)
	}
	p := store.LoginPolicy{Free: 1, Base: time.Second, Max: time.Minute, Keep: time.Hour}
	now := time.Now()
	for i, want := range []time.Duration{0, time.Second} {
		if wait, err := st.LoginAttempt(ctx, "ed", now, p); err != nil || wait != want {
			t.Errorf("login attempt %d: wait %s, %v", i, wait, err)
		}
	}
	if had, err := st.ClearLoginFailures(ctx, "ed"); !had || err != nil {
		t.Errorf("clear login failures: %v %v", had, err)
	}
	must(t, st.PutAccount(ctx, "rd", "$2a$10$x", "editor"))
	if had, err := st.DeleteAccount(ctx, "rd"); !had || err != nil {
		t.Errorf("delete account: %v %v", had, err)
	}
}
