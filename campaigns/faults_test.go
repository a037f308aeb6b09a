package campaigns_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	sdkutil "github.com/silenceper/wechat/v2/util"

	"github.com/pufa-dev/pufa/campaigns"
	"github.com/pufa-dev/pufa/chinatime"
	"github.com/pufa-dev/pufa/store"
	"github.com/pufa-dev/pufa/wechat"
	"github.com/pufa-dev/pufa/wechat/wxsim"
)

// onNthRequest calls do once, just before the nth request to path reaches
// the simulator: a fault that starts part-way through a run, at a
// deterministic point.
type onNthRequest struct {
	next http.Handler
	path string
	at   []int32 // request numbers (1-based) at which do runs
	do   func()
	seen atomic.Int32
}

func (o *onNthRequest) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == o.path {
		n := o.seen.Add(1)
		for _, at := range o.at {
			if n == at {
				o.do()
			}
		}
	}
	o.next.ServeHTTP(w, r)
}

// answerTooLate lets WeChat act on requests from the from-th on (count of
// them) but holds the answer until the client gives up: a timeout after the
// message was delivered, which the simulator's own Latency fault (it drops
// the request when the client goes away) cannot show.
type answerTooLate struct {
	next        http.Handler
	path        string
	from, count int32
	seen        atomic.Int32
}

func (a *answerTooLate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == a.path {
		if n := a.seen.Add(1); n >= a.from && n < a.from+a.count {
			a.next.ServeHTTP(httptest.NewRecorder(), r.WithContext(context.WithoutCancel(r.Context())))
			<-r.Context().Done()
			return
		}
	}
	a.next.ServeHTTP(w, r)
}

const (
	templateSendAPI = "/cgi-bin/message/template/send"
	customSendAPI   = "/cgi-bin/message/custom/send"
)

// TestFaultsMidRun: whatever the WeChat API does part-way through a run
// (token invalidated, system busy, daily quota, 502, timeouts), every
// follower gets the message exactly once and nothing is recorded failed.
// Issue 7.
func TestFaultsMidRun(t *testing.T) {
	const followers = 200
	cases := []struct {
		name string
		doc  string
		kind string
		api  string
		at   []int32 // request numbers at which the fault starts
		// fault is set at each of at; nil means InvalidateTokens instead.
		fault *wxsim.Fault
		// clientTimeout, when set, replaces the SDK's HTTP client for the
		// case (the TestMain one times out after 10 s).
		clientTimeout time.Duration
		// lateAnswers: instead of a simulator fault, this many requests
		// from the at[0]-th on are delivered but answered after the client
		// timed out (needs clientTimeout).
		lateAnswers int32
		// held: the fault holds the run (45009: until midnight, Beijing
		// time) instead of being retried at once.
		held bool
		// unknown: requests that may have been sent and, the channel having
		// no idempotency key, are recorded unknown and never resent.
		unknown int64
		// extraCalls: exact number of API requests beyond one per
		// follower, or -1 when it depends on timing.
		extraCalls int
	}{
		{name: "template/invalidate-tokens", doc: templateAllYAML, kind: wxsim.KindTemplate, api: templateSendAPI,
			at: []int32{50, 130}, extraCalls: -1},
		{name: "template/40001", doc: templateAllYAML, kind: wxsim.KindTemplate, api: templateSendAPI,
			at: []int32{50}, fault: &wxsim.Fault{API: templateSendAPI, Errcode: 40001, Count: 6}, extraCalls: 6},
		// Rate 0.3 over the 150 remaining requests: fewer than 10 hits has
		// a probability of about 1e-9.
		{name: "template/-1", doc: templateAllYAML, kind: wxsim.KindTemplate, api: templateSendAPI,
			at: []int32{50}, fault: &wxsim.Fault{API: templateSendAPI, Errcode: -1, Rate: 0.3, Count: 10}, extraCalls: 10},
		{name: "template/45009", doc: templateAllYAML, kind: wxsim.KindTemplate, api: templateSendAPI,
			at: []int32{50}, fault: &wxsim.Fault{API: templateSendAPI, Errcode: 45009, Count: 2}, held: true, extraCalls: -1},
		{name: "template/502", doc: templateAllYAML, kind: wxsim.KindTemplate, api: templateSendAPI,
			at: []int32{50}, fault: &wxsim.Fault{API: templateSendAPI, HTTPStatus: 502, Count: 10}, extraCalls: 10},
		{name: "template/timeout", doc: templateAllYAML, kind: wxsim.KindTemplate, api: templateSendAPI,
			at: []int32{50}, fault: &wxsim.Fault{API: templateSendAPI, Latency: 2 * time.Second, Count: 4},
			clientTimeout: 300 * time.Millisecond, extraCalls: 4},
		// The client_msg_id makes the retry of a delivered-but-unanswered
		// template harmless: WeChat drops it as a repeat.
		{name: "template/timeout-after-delivery", doc: templateAllYAML, kind: wxsim.KindTemplate, api: templateSendAPI,
			at: []int32{50}, lateAnswers: 4, clientTimeout: 300 * time.Millisecond, extraCalls: 4},
		{name: "custom/invalidate-tokens", doc: customAllYAML, kind: wxsim.KindCustom, api: customSendAPI,
			at: []int32{50, 130}, extraCalls: -1},
		{name: "custom/-1", doc: customAllYAML, kind: wxsim.KindCustom, api: customSendAPI,
			at: []int32{50}, fault: &wxsim.Fault{API: customSendAPI, Errcode: -1, Count: 10}, extraCalls: 10},
		// By design (package doc): a 5xx may have been sent and a custom
		// message has no idempotency key, so it is recorded unknown and
		// skipped: at most once, never twice.
		{name: "custom/502-at-most-once", doc: customAllYAML, kind: wxsim.KindCustom, api: customSendAPI,
			at: []int32{50}, fault: &wxsim.Fault{API: customSendAPI, HTTPStatus: 502, Count: 3}, unknown: 3, extraCalls: 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.clientTimeout > 0 {
				// Safe: no test runs in parallel and no request is in
				// flight between tests (see TestMain).
				old := sdkutil.DefaultHTTPClient
				sdkutil.DefaultHTTPClient = wechat.HTTPClient(tc.clientTimeout)
				t.Cleanup(func() { sdkutil.DefaultHTTPClient = old })
			}
			e := newEnv(t, envOpts{followers: followers, files: []string{tc.doc}})
			id := e.defs[0].ID
			var fired atomic.Int32
			h := http.Handler(&onNthRequest{next: e.sim, path: tc.api, at: tc.at, do: func() {
				fired.Add(1)
				if tc.fault == nil {
					e.sim.InvalidateTokens()
				} else {
					e.sim.SetFault(*tc.fault)
				}
			}})
			if tc.lateAnswers > 0 {
				fired.Store(int32(len(tc.at))) // nothing to set: the wrapper is the fault
				h = &answerTooLate{next: e.sim, path: tc.api, from: tc.at[0], count: tc.lateAnswers}
			}
			apiTarget.Store(&h)
			e.approve(id)

			var fire time.Time
			var res campaigns.RunResult
			if tc.held {
				fire, res = runHeld(t, e, id, tc.kind)
			} else {
				fire, res = runNow(t, e, id)
			}
			if int(fired.Load()) != len(tc.at) {
				t.Fatalf("fault fired %d times, want %d", fired.Load(), len(tc.at))
			}

			c := res.Counts
			if res.State != "finished" || c.Total != followers || c.Done != followers ||
				c.Sent != followers-tc.unknown || c.Failed != 0 || c.Unknown != tc.unknown {
				t.Errorf("result %+v, want finished with %d sent, %d unknown, 0 failed", res, followers-int(tc.unknown), tc.unknown)
			}
			k := e.kind(tc.kind)
			want := followers - int(tc.unknown)
			if k.Messages != want || k.UniqueRecipients != want || k.Duplicates != 0 {
				t.Errorf("simulator %s stats %+v, want %d messages to %d followers, no duplicates", tc.kind, k, want, want)
			}
			st, err := e.m.Stats(bg, id)
			if err != nil {
				t.Fatal(err)
			}
			if st.State != campaigns.Finished || len(st.Runs) != 1 || !st.Runs[0].Fire.Equal(fire) {
				t.Errorf("campaign %s, runs %+v: want finished with one run", st.State, st.Runs)
			}
			statuses := recipientStatuses(t, e, id, fire, simFollowers(followers)...)
			var ok, unknown int
			for o, s := range statuses {
				switch {
				case s == store.StatusUnknown:
					unknown++
					if n := len(e.sim.Inbox(o)); n != 0 {
						t.Errorf("%s recorded unknown but has %d messages (the fault never delivers)", o, n)
					}
				case s.Outcome() == store.OutcomeSent:
					ok++
					if n := len(e.sim.Inbox(o)); n != 1 {
						t.Errorf("%s recorded %q, inbox has %d messages", o, s, n)
					}
				default:
					t.Errorf("%s: status %q", o, s)
				}
			}
			if ok != want || unknown != int(tc.unknown) {
				t.Errorf("statuses: %d sent, %d unknown; want %d, %d", ok, unknown, want, tc.unknown)
			}
			calls := e.sim.Stats().APICalls[tc.api]
			if tc.extraCalls >= 0 && calls != followers+tc.extraCalls {
				t.Errorf("%d %s requests, want %d + %d faulted", calls, tc.api, followers, tc.extraCalls)
			}
			if tc.fault == nil && tc.lateAnswers == 0 {
				// The first token, then one per invalidation, however many
				// workers saw the 40001 at once (stable_token).
				if got := e.sim.Stats().TokensIssued; got != 1+len(tc.at) {
					t.Errorf("%d tokens issued, want %d (one, then one per invalidation)", got, 1+len(tc.at))
				}
			}
			if tc.lateAnswers > 0 && (k.Repeats != int(tc.lateAnswers) || c.Resent != 0) {
				// Resent counts lapsed leases; these were retried by the
				// sender itself, so only the simulator's repeats show them.
				t.Errorf("%d repeats dropped by client_msg_id (resent %d), want %d", k.Repeats, c.Resent, tc.lateAnswers)
			}
			t.Logf("%s: %d requests for %d followers, %d repeats dropped by client_msg_id, %d resent",
				tc.name, calls, followers, k.Repeats, c.Resent)
		})
	}
}

// runHeld runs id while a 45009 (daily API quota) holds it: by design the
// run is neither failed nor paused but held until midnight, Beijing time,
// with the campaign still running. The test then lets "midnight" come by
// clearing the hold and runs again, as the scheduler would.
func runHeld(t *testing.T, e *env, id, kind string) (time.Time, campaigns.RunResult) {
	t.Helper()
	ctx, cancel := context.WithTimeout(bg, time.Second)
	defer cancel()
	fire, res, err := e.m.RunNow(ctx, id, campaigns.RunOptions{IgnoreQuietHours: true})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	c := res.Counts
	if res.State != "interrupted" || c.Failed != 0 || c.Unknown != 0 || c.Sent == 0 || c.Sent >= c.Total {
		t.Fatalf("under 45009: %+v, want the run held part-way with nothing failed", res)
	}
	if k := e.kind(kind); k.Messages != int(c.Sent) || k.Duplicates != 0 {
		t.Errorf("held at %d sent, simulator %+v", c.Sent, k)
	}
	st, err := e.m.Stats(bg, id)
	if err != nil {
		t.Fatal(err)
	}
	if st.State != campaigns.Running || st.PauseReason != "" {
		t.Errorf("campaign %s (%q) under 45009, want running (held, not paused)", st.State, st.PauseReason)
	}
	h, err := e.st.Run(bg, id, fire)
	if err != nil {
		t.Fatal(err)
	}
	until := h.HeldTill
	now := time.Now()
	cst := now.In(chinatime.Zone)
	midnight := time.Date(cst.Year(), cst.Month(), cst.Day()+1, 0, 0, 0, 0, chinatime.Zone)
	if latest := now.Add(time.Minute); midnight.Before(latest) {
		midnight = latest // WeChat's quota wait is at least a minute
	}
	if until.Before(now.Add(55*time.Second)) || until.After(midnight.Add(5*time.Second)) {
		t.Errorf("run held until %v, want the next midnight Beijing time (%v)", until, midnight)
	}
	// Midnight: the quota is back. A second armed 45009 that no request of
	// the first run reached (a slow machine sends fewer at once) must not
	// hold the resumed run until tonight.
	e.sim.SetFault(wxsim.Fault{})
	if err := e.st.HoldRun(bg, id, fire, time.Time{}); err != nil {
		t.Fatal(err)
	}
	fire2, res := runNow(t, e, id)
	if !fire2.Equal(fire) {
		t.Errorf("resumed fire %v, want the held run %v", fire2, fire)
	}
	return fire, res
}
