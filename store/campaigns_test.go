package store_test

import (
	"context"
	"errors"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pufa-dev/pufa/store"
	"github.com/pufa-dev/pufa/store/storetest"
)

// ctx is the background context of the campaign store tests.
var ctx = context.Background()

func TestClaimFireOnceAndSuperseded(t *testing.T) {
	st := storetest.New(t)
	t1 := time.Unix(1_800_000_000, 0)
	t2 := t1.Add(10 * time.Second)
	// Ten replicas race for the same fire: one wins.
	if won := raceForFire(t, st, "c", t1, 10); won != 1 {
		t.Fatalf("%d replicas won fire t1", won)
	}
	if mode, _ := st.FireClaimed(ctx, "c", t1); mode != "run" {
		t.Errorf("fire key holds %q", mode)
	}
	if ttl := st.Client().TTL(ctx, st.Prefix()+"campaign:{c}:fire:1800000000").Val(); ttl < 29*24*time.Hour {
		t.Errorf("fire key TTL %v, want about 30 days", ttl)
	}
	// t2 supersedes; a lagging replica can then not claim anything older.
	if c, _ := st.ClaimFire(ctx, "c", t2, "run", nil); !c.Won {
		t.Fatal("t2 not won")
	}
	if c, _ := st.ClaimFire(ctx, "c", t1.Add(5*time.Second), "run", nil); c.Won {
		t.Error("a fire older than the last handled one was claimed")
	}
	// A skip counts itself plus the older fires newer than the last one.
	t5 := t2.Add(30 * time.Second)
	c, err := st.ClaimFire(ctx, "c", t5, "skip", []time.Time{t1, t2, t2.Add(10 * time.Second), t2.Add(20 * time.Second)})
	if err != nil || !c.Won || c.Missed != 3 {
		t.Errorf("skip claim %+v %v, want 3 missed (2 older + itself)", c, err)
	}
	h, _ := st.Campaign(ctx, "c")
	if h.Fires != 2 || h.MissedFires != 3 || h.LastFire.Unix() != 1800000040 {
		t.Errorf("campaign record %+v", h)
	}
}

func TestCampaignStateCompareAndSet(t *testing.T) {
	st := storetest.New(t)
	ok, found, err := st.SetCampaignState(ctx, "c", store.StateChange{From: "", To: "approved", Log: "1|draft|approved|approve|张三|",
		Approval: &store.Approval{By: "张三", At: time.Unix(1_800_000_000, 0), Hash: "h1"}})
	if err != nil || !ok || found != "" {
		t.Fatalf("first transition: %v %q %v", ok, found, err)
	}
	ok, found, _ = st.SetCampaignState(ctx, "c", store.StateChange{From: "", To: "approved"})
	if ok || found != "approved" {
		t.Errorf("stale transition applied: %v %q", ok, found)
	}
	if h, _ := st.Campaign(ctx, "c"); h.State != "approved" || h.ApprovedBy != "张三" || h.ApprovedHash != "h1" || h.ApprovedAt.Unix() != 1_800_000_000 {
		t.Errorf("record after approval %+v", h)
	}
	ids, _ := st.CampaignIDs(ctx)
	log, _ := st.CampaignLog(ctx, "c")
	if !slices.Equal(ids, []string{"c"}) || len(log) != 1 {
		t.Errorf("ids %v log %v", ids, log)
	}
}

// newRun creates a ready run with the given items.
func newRun(t *testing.T, st *store.Store, fire time.Time, items ...string) {
	t.Helper()
	if b, err := st.BeginRun(ctx, "c", fire, "owner-a", time.Minute, store.RunStart{Channel: "custom"}); err != nil || b != store.RunBeginNew {
		t.Fatalf("begin: %q %v", b, err)
	}
	if err := st.AppendRun(ctx, "c", fire, "owner-a", nil, items); err != nil {
		t.Fatal(err)
	}
	if n, err := st.ReadyRun(ctx, "c", fire, "owner-a"); err != nil || n != len(items) {
		t.Fatalf("ready: %d %v", n, err)
	}
}

func TestRunSnapshotOwnership(t *testing.T) {
	st := storetest.New(t)
	fire := time.Unix(1_800_000_000, 0)
	if b, _ := st.BeginRun(ctx, "c", fire, "a", 100*time.Millisecond, store.RunStart{}); b != store.RunBeginNew {
		t.Fatalf("a: %s", b)
	}
	if b, _ := st.BeginRun(ctx, "c", fire, "b", time.Minute, store.RunStart{}); b != store.RunBeginBusy {
		t.Errorf("b while a snapshots: %s", b)
	}
	if err := st.AppendRun(ctx, "c", fire, "a", map[string]string{"0": "all"}, []string{"x"}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(150 * time.Millisecond) // a's lease lapses (a crashed)
	if b, _ := st.BeginRun(ctx, "c", fire, "b", time.Minute, store.RunStart{}); b != store.RunBeginNew {
		t.Fatalf("b after a's lease: %s", b)
	}
	if err := st.AppendRun(ctx, "c", fire, "a", nil, []string{"late"}); !errors.Is(err, store.ErrSnapshotLost) {
		t.Errorf("a wrote into b's snapshot: %v", err)
	}
	if err := st.AppendRun(ctx, "c", fire, "b", nil, []string{"y", "z"}); err != nil {
		t.Fatal(err)
	}
	if n, err := st.ReadyRun(ctx, "c", fire, "b"); n != 2 || err != nil {
		t.Errorf("ready %d %v: a's partial snapshot must be dropped", n, err)
	}
	if b, _ := st.BeginRun(ctx, "c", fire, "a", time.Minute, store.RunStart{}); b != store.RunBeginReady {
		t.Errorf("after ready: %s", b)
	}
	fires, _ := st.RunFires(ctx, "c")
	if len(fires) != 1 || !fires[0].Equal(fire) {
		t.Errorf("fires %v", fires)
	}
}

func TestRunClaimsRecordsAndLapsedLeases(t *testing.T) {
	st := storetest.New(t)
	fire := time.Unix(1_800_000_000, 0)
	newRun(t, st, fire, "o1", "o2", "o3", "o1") // a repeated item is sent once
	claim := func(lease, within time.Duration) store.RunClaim {
		t.Helper()
		c, err := st.ClaimRunItems(ctx, "c", fire, 2, lease, within)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	c := claim(50*time.Millisecond, 0)
	if c.Kind != store.ClaimItems || !slices.Equal(c.Items, []string{"o1", "o2"}) {
		t.Fatalf("first claim %+v", c)
	}
	if _, rec, _ := st.RecordRunItem(ctx, "c", fire, "o1", store.StatusSent); !rec {
		t.Error("o1 not recorded")
	}
	if _, rec, _ := st.RecordRunItem(ctx, "c", fire, "o1", store.StatusSent); rec {
		t.Error("o1 recorded twice")
	}
	// o2's holder dies. Its lease lapses; with no retry window it becomes
	// unknown and is never handed out again.
	time.Sleep(80 * time.Millisecond)
	c = claim(time.Minute, 0)
	if c.Kind != store.ClaimItems || !slices.Equal(c.Items, []string{"o3"}) {
		t.Fatalf("second claim %+v", c)
	}
	if c := claim(time.Minute, 0); c.Kind != store.ClaimDrain {
		t.Errorf("with o3 in flight: %+v", c)
	}
	if consec, _, _ := st.RecordRunItem(ctx, "c", fire, "o3", store.StatusFailedCode(43004)); consec != 1 {
		t.Errorf("consecutive failures %d", consec)
	}
	if c := claim(time.Minute, 0); c.Kind != store.ClaimFinished {
		t.Errorf("last claim %+v, want finished", c)
	}
	if c := claim(time.Minute, 0); c.Kind != store.ClaimStop || c.State != "finished" {
		t.Errorf("after finish %+v", c)
	}
	h, _ := st.Run(ctx, "c", fire)
	if h.Total != 4 || h.Done != 3 || h.Sent != 1 || h.Failed != 1 || h.Unknown != 1 || h.State != store.RunFinished {
		t.Errorf("run counters %+v", h)
	}
	statuses, _ := st.RunStatuses(ctx, "c", fire)
	if statuses["o2"] != "u" || statuses["o3"] != "f:43004" {
		t.Errorf("statuses %v", statuses)
	}
	if ttl := st.Client().TTL(ctx, st.Prefix()+"campaign:{c}:run:1800000000:status").Val(); ttl < 80*24*time.Hour {
		t.Errorf("per-recipient statuses kept %v after the run, want ~90 days", ttl)
	}
}

func TestLapsedLeaseWithinRetryWindowIsResent(t *testing.T) {
	st := storetest.New(t)
	fire := time.Unix(1_800_000_000, 0)
	newRun(t, st, fire, "o1", "o2")
	c, _ := st.ClaimRunItems(ctx, "c", fire, 1, 30*time.Millisecond, time.Minute)
	if !slices.Equal(c.Items, []string{"o1"}) {
		t.Fatalf("claim %+v", c)
	}
	time.Sleep(60 * time.Millisecond)
	c, _ = st.ClaimRunItems(ctx, "c", fire, 2, time.Minute, time.Minute)
	sort.Strings(c.Items)
	if !slices.Equal(c.Items, []string{"o1", "o2"}) {
		t.Errorf("after the lapse %+v, want o1 again (idempotent channel) and o2", c)
	}
	// The slow first holder reports after all: recorded once.
	if _, rec, _ := st.RecordRunItem(ctx, "c", fire, "o1", store.StatusSentMsg(1)); !rec {
		t.Error("first report lost")
	}
	if _, rec, _ := st.RecordRunItem(ctx, "c", fire, "o1", store.StatusSentMsg(2)); rec {
		t.Error("second report counted")
	}
	h, _ := st.Run(ctx, "c", fire)
	if h.Sent != 1 || h.Requeued != 1 {
		t.Errorf("run %+v", h)
	}
}

func TestReleaseHoldsTheRun(t *testing.T) {
	st := storetest.New(t)
	fire := time.Unix(1_800_000_000, 0)
	newRun(t, st, fire, "o1")
	st.ClaimRunItems(ctx, "c", fire, 1, time.Minute, 0)
	if err := st.ReleaseRunItem(ctx, "c", fire, "o1", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	c, _ := st.ClaimRunItems(ctx, "c", fire, 1, time.Minute, 0)
	if c.Kind != store.ClaimWait || c.Wait < 59*time.Minute {
		t.Errorf("held run: %+v", c)
	}
	if h, _ := st.Run(ctx, "c", fire); h.HeldTill.Before(time.Now().Add(59 * time.Minute)) {
		t.Errorf("hold %v, want about an hour", h.HeldTill)
	}
	if err := st.HoldRun(ctx, "c", fire, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if c, _ := st.ClaimRunItems(ctx, "c", fire, 1, time.Minute, 0); !slices.Equal(c.Items, []string{"o1"}) {
		t.Errorf("released item not handed out again: %+v", c)
	}
}

func TestSharedRateLimit(t *testing.T) {
	st := storetest.New(t)
	const perSecond = 200.0
	start := time.Now()
	var total time.Duration
	for range 100 {
		wait, err := st.TakeRate(ctx, "t", perSecond, 1, 1)
		if err != nil {
			t.Fatal(err)
		}
		total = wait
	}
	// 100 tokens at 200/s: the last one is due ~0.5 s after the first.
	elapsed := time.Since(start) + total
	if elapsed < 450*time.Millisecond || elapsed > 650*time.Millisecond {
		t.Errorf("100 tokens at 200/s reserved over %v, want about 500ms", elapsed)
	}
	if w, _ := st.TakeRate(ctx, "other", perSecond, 1, 1); w != 0 {
		t.Errorf("an independent limit waited %v", w)
	}
}

func TestMassQuotaAndMsgIndex(t *testing.T) {
	st := storetest.New(t)
	if ok, _, _ := st.ClaimMassQuota(ctx, "20261204", "a 1"); !ok {
		t.Fatal("first")
	}
	if ok, _, _ := st.ClaimMassQuota(ctx, "20261204", "a 1"); !ok {
		t.Error("the holder itself must keep its quota (resumed run)")
	}
	if ok, found, _ := st.ClaimMassQuota(ctx, "20261204", "b 2"); ok || found != "a 1" {
		t.Errorf("second campaign got the day's quota: %v %q", ok, found)
	}
	fire := time.Unix(1_800_000_000, 0)
	st.IndexMsg(ctx, 77, "c", fire, "mass")
	id, f, kind, ok, err := st.MsgCampaign(ctx, 77)
	if err != nil || !ok || id != "c" || !f.Equal(fire) || kind != "mass" {
		t.Errorf("msg index: %q %v %q %v %v", id, f, kind, ok, err)
	}
	st.SubmitMass(ctx, "c", 77, fire)
	st.SetMassReach(ctx, "c", store.MassReach{MsgID: 77, Fire: fire, Total: 10, Filtered: 9, Sent: 8, Errors: 1, Status: "send success", Reported: true})
	st.SubmitMass(ctx, "c", 77, fire) // a late duplicate submit must not erase the report
	r, _ := st.MassReaches(ctx, "c")
	if len(r) != 1 || !r[0].Reported || r[0].Sent != 8 || r[0].Status != "send success" {
		t.Errorf("mass reach %+v", r)
	}
}

// raceForFire has replicas claim the fire at once and counts the winners.
func raceForFire(t *testing.T, st *store.Store, id string, fire time.Time, replicas int) int {
	t.Helper()
	var wg sync.WaitGroup
	var won atomic.Int32
	for range replicas {
		wg.Go(func() {
			c, err := st.ClaimFire(context.Background(), id, fire, "run", nil)
			if err != nil {
				t.Error(err)
			}
			if c.Won {
				won.Add(1)
			}
		})
	}
	wg.Wait()
	return int(won.Load())
}

// TestFinishedRunForgetsOpenids: a finished run's per-recipient records
// kept the openid for 90 days (issue 12, item 13). ForgetRunRecipients moves
// each status to a keyed hash of the openid; nothing of the run names a
// resident any more, while WeChat's late reports and a slow sender's late
// record still find their recipient, and the delivery counts stay.
func TestFinishedRunForgetsOpenids(t *testing.T) {
	st := storetest.New(t)
	fire := time.Unix(1_800_000_000, 0)
	recipients := []string{"o_res_1", "o_res_2", "o_res_3", "o_res_4"}
	newRun(t, st, fire, recipients...)
	claim := func(n int, lease time.Duration) store.RunClaim {
		t.Helper()
		c, err := st.ClaimRunItems(ctx, "c", fire, n, lease, 0)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	if c := claim(1, 20*time.Millisecond); !slices.Equal(c.Items, []string{"o_res_1"}) {
		t.Fatalf("claim %+v", c)
	}
	time.Sleep(50 * time.Millisecond) // o_res_1's sender stalls past its lease: reaped as unknown
	if c := claim(3, time.Minute); !slices.Equal(c.Items, []string{"o_res_2", "o_res_3", "o_res_4"}) {
		t.Fatalf("claim %+v", c)
	}
	st.RecordRunItem(ctx, "c", fire, "o_res_2", store.StatusSentMsg(1002))
	st.RecordRunItem(ctx, "c", fire, "o_res_3", store.StatusFailedCode(43004))
	st.RecordRunItem(ctx, "c", fire, "o_res_4", store.StatusSentMsg(1004))
	if c := claim(1, time.Minute); c.Kind != store.ClaimFinished {
		t.Fatalf("claim %+v, want finished", c)
	}
	for range 2 { // a second call changes nothing
		if err := st.ForgetRunRecipients(ctx, "c", fire, true); err != nil {
			t.Fatal(err)
		}
	}

	keys, _ := st.Client().Keys(ctx, st.Prefix()+"campaign:*").Result()
	for _, k := range keys {
		for _, o := range recipients {
			if strings.Contains(k+storetest.KeyContents(t, st, k), o) {
				t.Errorf("%s still holds %s", k, o)
			}
		}
	}
	// WeChat's reports and the stalled sender come after the run ended.
	if ok, err := st.TemplateFinished(ctx, "c", fire, "o_res_2", 1002, store.StatusDelivered); err != nil || !ok {
		t.Errorf("template report after the run: %v %v", ok, err)
	}
	if ok, _ := st.TemplateFinished(ctx, "c", fire, "o_res_2", 1002, store.StatusDelivered); ok {
		t.Error("a repeated report counted twice")
	}
	if _, rec, err := st.RecordRunItem(ctx, "c", fire, "o_res_1", store.StatusSentMsg(1001)); err != nil || !rec {
		t.Errorf("late record of the reaped o_res_1: %v %v", rec, err)
	}
	want := map[string]store.ItemStatus{"o_res_1": "s:1001", "o_res_2": "d", "o_res_3": "f:43004", "o_res_4": "s:1004"}
	for o, w := range want {
		if got, err := st.RunStatus(ctx, "c", fire, o); err != nil || got != w {
			t.Errorf("status of %s: %q %v, want %q", o, got, err, w)
		}
	}
	run, _ := st.Run(ctx, "c", fire)
	for k, v := range map[string][2]int64{"done": {run.Done, 4}, "sent": {run.Sent, 3}, "failed": {run.Failed, 1},
		"unknown": {run.Unknown, 0}, "delivered": {run.Delivered, 1}} {
		if v[0] != v[1] {
			t.Errorf("run %s = %d, want %d", k, v[0], v[1])
		}
	}
	// Another run's pseudonyms differ: runs cannot be linked by them.
	statuses, _ := st.RunStatuses(ctx, "c", fire)
	next := fire.Add(time.Hour)
	newRunWithID(t, st, "c", next, "o_res_2")
	st.ClaimRunItems(ctx, "c", next, 1, time.Minute, 0)
	st.RecordRunItem(ctx, "c", next, "o_res_2", store.StatusSentMsg(1))
	if c, _ := st.ClaimRunItems(ctx, "c", next, 1, time.Minute, 0); c.Kind != store.ClaimFinished {
		t.Fatalf("second run: %+v", c)
	}
	if err := st.ForgetRunRecipients(ctx, "c", next, true); err != nil {
		t.Fatal(err)
	}
	nextStatuses, _ := st.RunStatuses(ctx, "c", next)
	for k := range nextStatuses {
		if _, same := statuses[k]; same || strings.Contains(k, "o_res") {
			t.Errorf("the pseudonym %s appears in two runs, or is none", k)
		}
	}
}

// TestFinishedMassRunForgetsItsBatches: a mass run's items are batches,
// whose openid lists go when it has finished; the batch statuses stay.
func TestFinishedMassRunForgetsItsBatches(t *testing.T) {
	st := storetest.New(t)
	fire := time.Unix(1_800_000_000, 0)
	if b, err := st.BeginRun(ctx, "m", fire, "owner", time.Minute, store.RunStart{Channel: "mass"}); err != nil || b != store.RunBeginNew {
		t.Fatalf("begin %q %v", b, err)
	}
	must(t, st.AppendRun(ctx, "m", fire, "owner", map[string]string{"0": "o_res_1\no_res_2"}, []string{"b:0"}))
	if _, err := st.ReadyRun(ctx, "m", fire, "owner"); err != nil {
		t.Fatal(err)
	}
	st.ClaimRunItems(ctx, "m", fire, 1, time.Minute, 0)
	st.RecordRunItem(ctx, "m", fire, "b:0", store.StatusSentMass(77, 88))
	if c, _ := st.ClaimRunItems(ctx, "m", fire, 1, time.Minute, 0); c.Kind != store.ClaimFinished {
		t.Fatalf("claim %+v", c)
	}
	must(t, st.ForgetRunRecipients(ctx, "m", fire, false))
	if n := st.Client().Exists(ctx, st.Prefix()+"campaign:{m}:run:1800000000:batches").Val(); n != 0 {
		t.Error("the batches' openids survived the run")
	}
	if s, _ := st.RunStatus(ctx, "m", fire, "b:0"); s != "s:77:88" {
		t.Errorf("batch status %q", s)
	}
}

// newRunWithID is newRun for campaign id.
func newRunWithID(t *testing.T, st *store.Store, id string, fire time.Time, items ...string) {
	t.Helper()
	if b, err := st.BeginRun(ctx, id, fire, "owner-a", time.Minute, store.RunStart{}); err != nil || b != store.RunBeginNew {
		t.Fatalf("begin: %q %v", b, err)
	}
	if err := st.AppendRun(ctx, id, fire, "owner-a", nil, items); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ReadyRun(ctx, id, fire, "owner-a"); err != nil {
		t.Fatal(err)
	}
}
