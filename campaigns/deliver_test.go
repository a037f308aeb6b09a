package campaigns_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pufa-dev/pufa/campaigns"
	"github.com/pufa-dev/pufa/chinatime"
	"github.com/pufa-dev/pufa/scheduler"
	"github.com/pufa-dev/pufa/store/storetest"
	"github.com/pufa-dev/pufa/wechat"
	"github.com/pufa-dev/pufa/wechat/wxsim"
)

var bg = context.Background()

func runNow(t testing.TB, e *env, id string) (time.Time, campaigns.RunResult) {
	t.Helper()
	fire, res, err := e.m.RunNow(bg, id, campaigns.RunOptions{IgnoreQuietHours: true})
	if err != nil {
		t.Fatalf("run %s: %v", id, err)
	}
	return fire, res
}

func TestTemplateReachesEveryFollowerOnce(t *testing.T) {
	e := newEnv(t, envOpts{followers: 300, files: []string{templateAllYAML}})
	if _, _, err := e.m.RunNow(bg, "tpl-all", campaigns.RunOptions{}); err == nil || !strings.Contains(err.Error(), "approve") {
		t.Fatalf("a draft was run: %v", err)
	}
	e.approve("tpl-all")
	_, res := runNow(t, e, "tpl-all")
	if res.State != "finished" || res.Counts.Sent != 300 || res.Counts.Total != 300 || res.Counts.Failed != 0 {
		t.Errorf("result = %+v", res)
	}
	if k := e.kind(wxsim.KindTemplate); k.Messages != 300 || k.UniqueRecipients != 300 || k.Duplicates != 0 {
		t.Errorf("simulator template stats = %+v", k)
	}
	st, err := e.m.Stats(bg, "tpl-all")
	if err != nil {
		t.Fatal(err)
	}
	if st.State != campaigns.Finished || st.Reach.Total != 300 || st.Reach.Sent != 300 || st.Fires != 1 {
		t.Errorf("stats = %+v", st)
	}
	// A finished one-shot never sends again.
	if _, _, err := e.m.RunNow(bg, "tpl-all", campaigns.RunOptions{}); err == nil {
		t.Error("a finished campaign ran again")
	}
}

func TestPermanentErrorsAreRecordedPerRecipientAndNotRetried(t *testing.T) {
	doc := strings.Replace(templateAllYAML, "audience: {all: true}", "audience: {openids: [o_sim_000001, o_gone_1, o_sim_000002, o_gone_2]}", 1)
	e := newEnv(t, envOpts{followers: 3, files: []string{doc}})
	e.approve("tpl-all")
	fire, res := runNow(t, e, "tpl-all")
	if res.Counts.Sent != 2 || res.Counts.Failed != 2 {
		t.Errorf("counts = %+v", res.Counts)
	}
	statuses := recipientStatuses(t, e, "tpl-all", fire, "o_gone_1", "o_gone_2")
	for _, o := range []string{"o_gone_1", "o_gone_2"} {
		if statuses[o] != "f:43004" {
			t.Errorf("%s: status %q, want f:43004 (unsubscribed)", o, statuses[o])
		}
	}
	if n := e.sim.Stats().APICalls["/cgi-bin/message/template/send"]; n != 4 {
		t.Errorf("%d template requests, want 4 (permanent errors are not retried)", n)
	}
}

func TestTransientErrorsAreRetriedWithBackoff(t *testing.T) {
	e := newEnv(t, envOpts{followers: 20, files: []string{customAllYAML}})
	e.sim.SetFault(wxsim.Fault{API: "/cgi-bin/message/custom/send", Errcode: -1, Count: 6})
	e.approve("custom-all")
	_, res := runNow(t, e, "custom-all")
	if res.Counts.Sent != 20 || res.Counts.Failed != 0 || res.Counts.Unknown != 0 {
		t.Errorf("counts = %+v", res.Counts)
	}
	if k := e.kind(wxsim.KindCustom); k.UniqueRecipients != 20 || k.Duplicates != 0 {
		t.Errorf("custom stats = %+v", k)
	}
	if n := e.sim.Stats().APICalls["/cgi-bin/message/custom/send"]; n != 26 {
		t.Errorf("%d custom requests, want 20 + 6 retried", n)
	}
}

func TestAutoPauseAfterConsecutiveErrorsThenResume(t *testing.T) {
	e := newEnv(t, envOpts{followers: 60, files: []string{templateAllYAML}, mgrOpts: func(o *campaigns.Options) {
		o.MaxConsecutiveErrors = 5
		o.Workers = 2
	}})
	e.sim.SetFault(wxsim.Fault{API: "/cgi-bin/message/template/send", Errcode: 43019}) // blacklisted: permanent, per recipient
	e.approve("tpl-all")
	fire, res := runNow(t, e, "tpl-all")
	st, _ := e.m.Stats(bg, "tpl-all")
	if res.State != "paused" || st.State != campaigns.Paused || !strings.Contains(st.PauseReason, "consecutive errors") {
		t.Fatalf("result %+v, state %s (%s)", res, st.State, st.PauseReason)
	}
	// Two workers may each record a failure before either sees the limit.
	failed := res.Counts.Failed
	if failed < 5 || failed > 7 {
		t.Errorf("%d failures before pausing, want 5..7", failed)
	}
	if _, _, err := e.m.RunNow(bg, "tpl-all", campaigns.RunOptions{}); err == nil || !strings.Contains(err.Error(), "paused") {
		t.Errorf("a paused campaign ran: %v", err)
	}
	e.sim.SetFault(wxsim.Fault{})
	if err := e.m.Resume(bg, "tpl-all", "测试员"); err != nil {
		t.Fatal(err)
	}
	fire2, res := runNow(t, e, "tpl-all")
	if !fire2.Equal(fire) || res.State != "finished" || res.Counts.Sent+res.Counts.Failed != 60 || res.Counts.Failed != failed {
		t.Errorf("resumed run: fire %v (first %v), %+v", fire2, fire, res)
	}
	if k := e.kind(wxsim.KindTemplate); k.Messages != int(res.Counts.Sent) || k.Duplicates != 0 {
		t.Errorf("template stats %+v, sent %d", k, res.Counts.Sent)
	}
}

func TestAccountLevelErrorPausesAtOnce(t *testing.T) {
	e := newEnv(t, envOpts{followers: 30, files: []string{templateAllYAML}, mgrOpts: func(o *campaigns.Options) { o.Workers = 1 }})
	e.sim.SetFault(wxsim.Fault{API: "/cgi-bin/message/template/send", Errcode: 40037})
	e.approve("tpl-all")
	_, res := runNow(t, e, "tpl-all")
	if res.State != "paused" || res.Counts.Failed != 1 {
		t.Errorf("bad template id: %+v, want paused after 1 failure", res)
	}
}

func TestMassToAllAndReachFromCallback(t *testing.T) {
	e := newEnv(t, envOpts{followers: 40, files: []string{massAllYAML}})
	e.approve("mass-all")
	_, res := runNow(t, e, "mass-all")
	if res.State != "finished" || res.Counts.Sent != 1 {
		t.Fatalf("result %+v", res)
	}
	if k := e.kind(wxsim.KindMass); k.Messages != 40 || k.UniqueRecipients != 40 {
		t.Errorf("mass stats %+v", k)
	}
	select {
	case <-e.reach:
	case <-time.After(5 * time.Second):
		t.Fatal("no MASSSENDJOBFINISH")
	}
	st, err := e.m.Stats(bg, "mass-all")
	if err != nil {
		t.Fatal(err)
	}
	if st.Reach.Total != 40 || st.Reach.Filtered != 40 || st.Reach.Sent != 40 || st.Reach.Errors != 0 || st.Reach.Pending != 0 {
		t.Errorf("reach = %+v", st.Reach)
	}
	// A repeated callback does not count twice.
	ms, _ := e.st.MassReaches(bg, "mass-all")
	if err := e.m.MassFinished(bg, ms[0].MsgID, "send success", 40, 40, 40, 0); err != nil {
		t.Fatal(err)
	}
	if st2, _ := e.m.Stats(bg, "mass-all"); st2.Reach != st.Reach {
		t.Errorf("repeated callback changed reach: %+v", st2.Reach)
	}
}

// loseResponses forwards a request but answers 502, as if the connection
// broke after WeChat accepted it.
type loseResponses struct {
	next http.Handler
	path string
	left atomic.Int32
}

func (l *loseResponses) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == l.path && l.left.Add(-1) >= 0 {
		l.next.ServeHTTP(httptest.NewRecorder(), r)
		http.Error(w, "bad gateway", http.StatusBadGateway)
		return
	}
	l.next.ServeHTTP(w, r)
}

func TestMassBatchesAreIdempotentByClientMsgID(t *testing.T) {
	doc := strings.Replace(massAllYAML, "audience: {all: true}", "audience: {tags: [100, 101]}", 1)
	e := newEnv(t, envOpts{followers: 0, files: []string{doc}})
	var a, b []string
	for i := 1; i <= 12001; i++ {
		o := fmt.Sprintf("o_sim_%06d", i)
		if i%2 == 0 {
			a = append(a, o)
		} else {
			b = append(b, o)
		}
	}
	e.sim.AddTag("东园社区", a)
	e.sim.AddTag("西园社区", append(b, a[:100]...)) // overlap: still once each
	lose := &loseResponses{next: e.sim, path: "/cgi-bin/message/mass/send"}
	lose.left.Store(1)
	var h http.Handler = lose
	apiTarget.Store(&h)
	e.approve("mass-all")
	fire, res := runNow(t, e, "mass-all")
	if res.State != "finished" || res.Counts.Total != 2 || res.Counts.Sent != 2 {
		t.Fatalf("result %+v (want 2 batches of ~6000)", res)
	}
	if k := e.kind(wxsim.KindMass); k.Messages != 12001 || k.UniqueRecipients != 12001 || k.Duplicates != 0 {
		t.Errorf("mass stats %+v", k)
	}
	if n := e.sim.Stats().APICalls["/cgi-bin/message/mass/send"]; n != 3 {
		t.Errorf("%d mass requests, want 3 (one lost answer, retried and answered 45065)", n)
	}
	statuses, _ := e.st.RunStatuses(bg, "mass-all", fire)
	for item, s := range statuses {
		if _, ok := s.MsgID(); !ok || strings.Count(string(s), ":") != 2 {
			t.Errorf("batch %s status %q, want s:<msg_id>:<msg_data_id>", item, s)
		}
	}
	if got := wechat.ClientMsgID("mass-all", fire, 0); got != fmt.Sprintf("mass-all-%d-0", fire.Unix()) {
		t.Errorf("clientmsgid %q", got)
	}
}

func TestSharedRateLimitAcrossReplicas(t *testing.T) {
	const rate, followers = 300.0, 600
	e := newEnv(t, envOpts{followers: followers, files: []string{templateAllYAML}, mgrOpts: func(o *campaigns.Options) { o.Rate = rate }})
	e.approve("tpl-all")
	// A second replica: its own Manager on the same Redis and WeChat.
	m2, err := campaigns.New(campaigns.Options{Store: e.st, Definitions: func() ([]*campaigns.Campaign, error) { return e.defs, nil },
		Sender: e.wx, Audience: e.wx, Logger: quietLogger(), Workers: 8, Lease: 2 * time.Second, Rate: rate})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	var wg sync.WaitGroup
	var fire time.Time
	wg.Go(func() { fire, _ = runNow(t, e, "tpl-all") })
	// Join once the first replica has started the run.
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if st, _ := e.m.Stats(bg, "tpl-all"); st.State == campaigns.Running && len(st.Runs) == 1 {
			if _, err := m2.Join(bg, "tpl-all", st.Runs[0].Fire, campaigns.RunOptions{IgnoreQuietHours: true}); err != nil {
				t.Error(err)
			}
			break
		}
	}
	wg.Wait()
	elapsed := time.Since(start)
	got := float64(followers) / elapsed.Seconds()
	t.Logf("%d messages by 2 replicas in %v: %.0f/s at a limit of %.0f/s", followers, elapsed.Round(time.Millisecond), got, rate)
	if got > rate*1.15 {
		t.Errorf("achieved %.0f/s, above the shared limit %.0f/s", got, rate)
	}
	if got < rate*0.6 {
		t.Errorf("achieved only %.0f/s of %.0f/s", got, rate)
	}
	if k := e.kind(wxsim.KindTemplate); k.UniqueRecipients != followers || k.Duplicates != 0 {
		t.Errorf("template stats %+v", k)
	}
	_ = fire
}

func TestTemplateReachCallbacks(t *testing.T) {
	e := newEnv(t, envOpts{followers: 3, files: []string{templateAllYAML}})
	e.approve("tpl-all")
	fire, _ := runNow(t, e, "tpl-all")
	statuses := recipientStatuses(t, e, "tpl-all", fire, simFollowers(3)...)
	msgID := func(o string) int64 {
		id, _ := statuses[o].MsgID()
		return id
	}
	apply := func(o, status string) {
		if err := e.m.TemplateFinished(bg, msgID(o), o, status); err != nil {
			t.Fatal(err)
		}
	}
	apply("o_sim_000001", "success")
	apply("o_sim_000001", "success") // WeChat's retry: counted once
	apply("o_sim_000002", "failed:user block")
	apply("o_sim_000003", "failed: system failed")
	if err := e.m.TemplateFinished(bg, 42, "o_other", "success"); err != nil { // not ours: ignored
		t.Fatal(err)
	}
	st, _ := e.m.Stats(bg, "tpl-all")
	r := st.Runs[0]
	if r.Delivered != 1 || r.Blocked != 1 || r.AsyncFailed != 1 || st.Reach.Errors != 2 || st.Reach.Sent != 3 {
		t.Errorf("run %+v reach %+v", r, st.Reach)
	}
	after := recipientStatuses(t, e, "tpl-all", fire, simFollowers(3)...)
	if after["o_sim_000001"] != "d" || after["o_sim_000002"] != "b:block" {
		t.Errorf("statuses %v", after)
	}
}

func TestEditAfterApprovalNeedsNewApproval(t *testing.T) {
	e := newEnv(t, envOpts{followers: 2, files: []string{massAllYAML}})
	e.approve("mass-all")
	edited, _ := campaigns.Parse("test-0.yaml", []byte(strings.Replace(massAllYAML, "尊法学法守法用法", "改过的内容", 1)))
	e.defs[0] = edited
	if _, _, err := e.m.RunNow(bg, "mass-all", campaigns.RunOptions{}); err == nil || !strings.Contains(err.Error(), "draft") {
		t.Errorf("edited campaign ran on the old approval: %v", err)
	}
	st, _ := e.m.Stats(bg, "mass-all")
	if st.State != campaigns.Draft || !strings.Contains(strings.Join(st.Log, "\n"), "definition changed after approval") {
		t.Errorf("state %s, log %v", st.State, st.Log)
	}
	e.approve("mass-all")
	runNow(t, e, "mass-all")
	if k := e.kind(wxsim.KindMass); k.Messages != 2 {
		t.Errorf("mass stats %+v", k)
	}
}

func TestPreviewGoesToStaffAndDoesNotStick(t *testing.T) {
	e := newEnv(t, envOpts{followers: 5, files: []string{massAllYAML}, mgrOpts: func(o *campaigns.Options) {
		o.PreviewTo = staff{"o_sim_000003": "审核员"}
	}})
	if _, err := e.m.Preview(bg, "mass-all", "o_sim_000003", "审核员"); err != nil {
		t.Fatal(err)
	}
	if k := e.kind(wxsim.KindPreview); k.Messages != 1 {
		t.Errorf("preview stats %+v", k)
	}
	e.approve("mass-all")
	runNow(t, e, "mass-all")
	if k := e.kind(wxsim.KindMass); k.Messages != 5 {
		t.Errorf("after a preview the real send reached %d followers, want 5 (sticky preview?)", k.Messages)
	}
	if e.sim.Stats().APICalls["/cgi-bin/message/mass/sendall"] != 1 {
		t.Errorf("api calls %v", e.sim.Stats().APICalls)
	}
}

func TestSubscriptionAccountQuota(t *testing.T) {
	second := strings.Replace(massAllYAML, "id: mass-all", "id: mass-two", 1)
	byID := strings.Replace(strings.Replace(massAllYAML, "id: mass-all", "id: mass-ids", 1),
		"audience: {all: true}", "audience: {openids: [o_sim_000001, o_sim_000002]}", 1)
	e := newEnv(t, envOpts{followers: 3, files: []string{massAllYAML, second, byID}, mgrOpts: func(o *campaigns.Options) {
		o.AccountType = campaigns.AccountSubscription
	}})
	for _, id := range []string{"mass-all", "mass-two", "mass-ids"} {
		e.approve(id)
	}
	runNow(t, e, "mass-all")
	ctx, cancel := context.WithTimeout(bg, 2*time.Second)
	defer cancel()
	_, res, err := e.m.RunNow(ctx, "mass-two", campaigns.RunOptions{IgnoreQuietHours: true})
	if err != nil || res.State != "interrupted" || res.Counts.Sent != 0 {
		t.Errorf("second mass send the same day: %+v %v, want held until tomorrow", res, err)
	}
	if k := e.kind(wxsim.KindMass); k.Messages != 3 {
		t.Errorf("mass stats %+v", k)
	}
	_, _, err = e.m.RunNow(bg, "mass-ids", campaigns.RunOptions{IgnoreQuietHours: true})
	if err == nil || !strings.Contains(err.Error(), "subscription account") {
		t.Errorf("mass/send by openid on a subscription account: %v", err)
	}
}

func TestDryRunSendsNothing(t *testing.T) {
	e := newEnv(t, envOpts{followers: 25, files: []string{customAllYAML}, mgrOpts: func(o *campaigns.Options) { o.Rate = 5 }})
	d, err := e.m.DryRun(bg, "custom-all")
	if err != nil {
		t.Fatal(err)
	}
	if d.Recipients != 25 || d.Requests != 25 || d.Estimate != 5*time.Second {
		t.Errorf("dry run %+v", d)
	}
	if k := e.kind(wxsim.KindCustom); k.Messages != 0 {
		t.Errorf("dry run sent %+v", k)
	}
}

// Shutting down mid-run (ctx cancelled, as on SIGTERM) records what was in
// flight; the scheduler of the next start joins the run and finishes it.
func TestSchedulerResumesAnInterruptedRun(t *testing.T) {
	e := newEnv(t, envOpts{followers: 200, files: []string{customAllYAML}, mgrOpts: func(o *campaigns.Options) { o.Rate = 200 }})
	e.approve("custom-all")
	ctx, cancel := context.WithTimeout(bg, 400*time.Millisecond)
	defer cancel()
	_, res, err := e.m.RunNow(ctx, "custom-all", campaigns.RunOptions{IgnoreQuietHours: true})
	if err != nil || res.State != "interrupted" || res.Counts.Done == 0 || res.Counts.Done >= 200 {
		t.Fatalf("interrupted run: %+v %v", res, err)
	}
	if res.Counts.Unknown != 0 {
		t.Errorf("a graceful stop left %d unknown", res.Counts.Unknown)
	}
	s, err := scheduler.New(scheduler.Options{Campaigns: e.m, Store: e.st, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	s.Tick(bg)
	s.Wait()
	st, _ := e.m.Stats(bg, "custom-all")
	if st.State != campaigns.Finished || len(st.Runs) != 1 || st.Runs[0].Sent != 200 {
		t.Errorf("after the scheduler joined: state %s runs %+v", st.State, st.Runs)
	}
	if k := e.kind(wxsim.KindCustom); k.UniqueRecipients != 200 || k.Duplicates != 0 {
		t.Errorf("custom stats %+v", k)
	}
}

// TestFinishedRunsKeepNoOpenid: once a run has finished, none of its keys
// names a recipient (issue 12, item 13): statuses are under pseudonyms and
// mass batches are gone, while the counts stay and a recipient's status is
// still found by openid.
func TestFinishedRunsKeepNoOpenid(t *testing.T) {
	for _, doc := range []string{templateAllYAML, customAllYAML, massAllYAML} {
		e := newEnv(t, envOpts{followers: 5, files: []string{doc}})
		id := e.defs[0].ID
		t.Run(id, func(t *testing.T) {
			e.approve(id)
			fire, res := runNow(t, e, id)
			if res.State != "finished" || res.Counts.Sent == 0 {
				t.Fatalf("result %+v", res)
			}
			keys, err := e.st.Client().Keys(bg, e.st.Prefix()+"campaign:*").Result()
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range keys {
				if c := storetest.KeyContents(t, e.st, k); strings.Contains(k+c, "o_sim_") {
					t.Errorf("%s names a recipient after the run:\n%.300s", k, c)
				}
			}
			if e.defs[0].Channel != campaigns.ChannelMass {
				if s := recipientStatuses(t, e, id, fire, simFollowers(5)...); len(s) != 5 {
					t.Errorf("statuses by openid %v, want all 5", s)
				}
			}
			if st, _ := e.m.Stats(bg, id); len(st.Runs) != 1 || st.Runs[0].Sent != res.Counts.Sent || st.Runs[0].Done != res.Counts.Total {
				t.Errorf("run counts lost: %+v, want %+v", st.Runs, res.Counts)
			}
		})
	}
}

// A run that finds itself in its campaign's quiet hours (a catch-up fire,
// a run resumed at night) waits, and says until when.
func TestRunInQuietHoursSaysWhenItContinues(t *testing.T) {
	night := time.Date(2026, 12, 4, 23, 0, 0, 0, chinatime.Zone)
	e := newEnv(t, envOpts{followers: 3, files: []string{customAllYAML + "quiet_hours: {from: \"21:30\", to: \"08:00\"}\n"},
		mgrOpts: func(o *campaigns.Options) { o.Now = func() time.Time { return night } }})
	e.approve("custom-all")
	ctx, cancel := context.WithCancel(bg)
	done := make(chan campaigns.RunResult, 1)
	go func() {
		_, res, _ := e.m.RunNow(ctx, "custom-all", campaigns.RunOptions{})
		done <- res
	}()
	var run campaigns.RunStats
	var stats campaigns.Stats
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		st, err := e.m.Stats(bg, "custom-all")
		if err == nil && len(st.Runs) == 1 && st.Runs[0].Total == 3 {
			run, stats = st.Runs[0], st
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no run: %+v, %v", st, err)
		}
	}
	want := time.Date(2026, 12, 5, 8, 0, 0, 0, chinatime.Zone)
	if !run.QuietUntil.Equal(want) || run.Sent != 0 || !stats.QuietUntil().Equal(want) {
		t.Errorf("run %+v (campaign waits until %v): want waiting until %v with nothing sent", run, stats.QuietUntil(), want)
	}
	cancel()
	if res := <-done; res.State != campaigns.RunEndInterrupted {
		t.Errorf("run ended %s, want interrupted (resumable)", res.State)
	}
	if k := e.kind(wxsim.KindCustom); k.Messages != 0 {
		t.Errorf("%d messages sent in the quiet hours", k.Messages)
	}
}
