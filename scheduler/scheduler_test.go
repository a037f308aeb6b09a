package scheduler_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pufa-dev/pufa/campaigns"
	"github.com/pufa-dev/pufa/chinatime"
	"github.com/pufa-dev/pufa/scheduler"
	"github.com/pufa-dev/pufa/store"
	"github.com/pufa-dev/pufa/store/storetest"
)

var bg = context.Background()

// fakeClock is a Clock the test advances by hand.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []waiter
}

type waiter struct {
	at time.Time
	ch chan time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.waiters = append(c.waiters, waiter{c.now.Add(d), ch})
	return ch
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if w.at.After(c.now) {
			kept = append(kept, w)
			continue
		}
		w.ch <- c.now
	}
	c.waiters = kept
}

// waitFor blocks until n goroutines sleep on the clock.
func (c *fakeClock) waitFor(t *testing.T, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Microsecond) {
		c.mu.Lock()
		k := len(c.waiters)
		c.mu.Unlock()
		if k >= n {
			return
		}
	}
	t.Fatalf("schedulers did not go back to sleep")
}

// fakeCampaigns is one replica's view of the campaigns: definitions in
// memory, fire state in the shared Redis, starts recorded.
type fakeCampaigns struct {
	st       *store.Store
	defs     []*campaigns.Campaign
	approved time.Time

	mu     sync.Mutex
	state  map[string]campaigns.State
	starts []string // "id@unix"
	missed []string
}

func (f *fakeCampaigns) Plans(ctx context.Context) ([]campaigns.Plan, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []campaigns.Plan
	for _, c := range f.defs {
		h, err := f.st.Campaign(ctx, c.ID)
		if err != nil {
			return nil, err
		}
		last := h.LastFire
		s := f.state[c.ID]
		if s == "" {
			s = campaigns.Scheduled
		}
		run := h.Run // the latest run, shared by the replicas in Redis as the manager keeps it
		out = append(out, campaigns.Plan{Campaign: c, State: s, Since: f.approved, LastFire: last, RunFire: run})
	}
	return out, nil
}

func (f *fakeCampaigns) Start(ctx context.Context, id string, fire time.Time) (campaigns.RunResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.starts = append(f.starts, fmt.Sprintf("%s@%d", id, fire.Unix()))
	// Record the run as the manager does; the fake keeps its lifecycle
	// state in memory, so the stored state stays what it was.
	rec, err := f.st.Campaign(ctx, id)
	if err != nil {
		return campaigns.RunResult{}, err
	}
	if ok, _, err := f.st.SetCampaignState(ctx, id, store.StateChange{From: rec.State, To: rec.State, Run: fire}); err != nil || !ok {
		return campaigns.RunResult{}, fmt.Errorf("record run: %v %w", ok, err)
	}
	return campaigns.RunResult{State: "finished"}, nil
}

func (f *fakeCampaigns) Join(context.Context, string, time.Time, campaigns.RunOptions) (campaigns.RunResult, error) {
	return campaigns.RunResult{}, nil
}
func (f *fakeCampaigns) MarkScheduled(context.Context, string) error { return nil }
func (f *fakeCampaigns) MarkMissed(_ context.Context, id string, fire time.Time, _ string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.state[id] = campaigns.Missed
	f.missed = append(f.missed, fmt.Sprintf("%s@%d", id, fire.Unix()))
	return nil
}
func (f *fakeCampaigns) MarkFinished(_ context.Context, id, _ string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.state[id] = campaigns.Finished
	return nil
}
func (f *fakeCampaigns) CompleteStale(context.Context, string, time.Time) {}

func (f *fakeCampaigns) started() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.starts)
}

func campaign(t *testing.T, id, schedule string) *campaigns.Campaign {
	t.Helper()
	c, err := campaigns.Parse(id+".yaml", []byte("id: "+id+"\ntitle: t\nchannel: mass\naudience: {all: true}\ncontent: {text: a}\nschedule: "+schedule+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func cst(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04:05", s, chinatime.Zone)
	if err != nil {
		panic(err)
	}
	return t
}

type replica struct {
	c *fakeCampaigns
	s *scheduler.Scheduler
}

func newReplica(t *testing.T, st *store.Store, clock scheduler.Clock, approved time.Time, defs ...*campaigns.Campaign) replica {
	t.Helper()
	fc := &fakeCampaigns{st: st, defs: defs, approved: approved, state: map[string]campaigns.State{}}
	s, err := scheduler.New(scheduler.Options{Campaigns: fc, Store: st, Clock: clock, Logger: testLogger(), Poll: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return replica{fc, s}
}

func testLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// Two replicas on one Redis run a daily (@every 24h, the shortest a channel
// allows) campaign for three days of (fake) time, ticking every ten
// minutes: the fires of each day happen exactly once.
func TestTwoReplicasFireEachTimeOnce(t *testing.T) {
	st := storetest.New(t)
	start := cst("2026-12-04 07:50:00") // @every is epoch-anchored: 08:00 China time
	clock := &fakeClock{now: start}
	c := campaign(t, "every24h", `{cron: "@every 24h"}`)
	a := newReplica(t, st, clock, start, c)
	b := newReplica(t, st, clock, start, c)
	ctx, cancel := context.WithCancel(bg)
	var wg sync.WaitGroup
	wg.Go(func() { a.s.Run(ctx) })
	wg.Go(func() { b.s.Run(ctx) })
	for range 3 * 24 * 6 {
		clock.waitFor(t, 2)
		// A run starts within real milliseconds of its claim. Unless the
		// fake clock waits for it, a loaded machine lets ten fake minutes
		// pass first, and the other replica takes the fire over as if its
		// claimer had died (StartTimeout); the fake's Start, unlike the
		// manager's, would then let both start.
		a.s.Wait()
		b.s.Wait()
		clock.Advance(10 * time.Minute)
	}
	clock.waitFor(t, 2)
	cancel()
	wg.Wait()

	all := append(a.c.started(), b.c.started()...)
	slices.Sort(all)
	want := []string{
		fmt.Sprintf("every24h@%d", cst("2026-12-04 08:00:00").Unix()),
		fmt.Sprintf("every24h@%d", cst("2026-12-05 08:00:00").Unix()),
		fmt.Sprintf("every24h@%d", cst("2026-12-06 08:00:00").Unix()),
	}
	if !slices.Equal(all, want) {
		t.Errorf("fires = %v (a %v, b %v), want %v", all, a.c.started(), b.c.started(), want)
	}
	h, _ := st.Campaign(bg, "every24h")
	if h.Fires != 3 || h.MissedFires != 0 {
		t.Errorf("counters %+v", h)
	}
	t.Logf("replica a fired %d, replica b fired %d", len(a.c.started()), len(b.c.started()))
}

// The same with the wall clock, under PUFA_REALTIME_TEST=1 (35 s). No
// channel may recur within seconds, so the fires are three one-shot
// campaigns 10 s apart.
func TestTwoReplicasRealTime(t *testing.T) {
	if os.Getenv("PUFA_REALTIME_TEST") == "" {
		t.Skip("set PUFA_REALTIME_TEST=1 to run the 35-second real-time test")
	}
	st := storetest.New(t)
	now := time.Now()
	var cs []*campaigns.Campaign
	for i := 1; i <= 3; i++ {
		at := now.Truncate(time.Second).Add(time.Duration(10*i) * time.Second).Format(time.RFC3339)
		cs = append(cs, campaign(t, fmt.Sprintf("rt%d", i), `{at: "`+at+`"}`))
	}
	a := newReplica(t, st, nil, now, cs...)
	b := newReplica(t, st, nil, now, cs...)
	ctx, cancel := context.WithTimeout(bg, 35*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() { a.s.Run(ctx) })
	wg.Go(func() { b.s.Run(ctx) })
	wg.Wait()
	all := append(a.c.started(), b.c.started()...)
	want := len(cs)
	seen := map[string]bool{}
	for _, f := range all {
		if seen[f] {
			t.Errorf("fire %s happened twice", f)
		}
		seen[f] = true
	}
	if len(all) != want {
		t.Errorf("%d fires in 35 s, want %d: %v", len(all), want, all)
	}
	t.Logf("35 s, two replicas: %d fires (a %d, b %d), want %d", len(all), len(a.c.started()), len(b.c.started()), want)
}

func TestCatchUpPolicies(t *testing.T) {
	daily := `{cron: "0 9 * * *", catch_up: %s, grace: 1h}`
	tests := []struct {
		name      string
		schedule  string
		lastFire  string // "" = never fired; approval is on 12-01 08:00
		now       string
		wantStart string // fire time started, "" none
		missed    int
		wantState campaigns.State
	}{
		{"on time", fmt.Sprintf(daily, "once"), "2026-12-03 09:00:00", "2026-12-04 09:00:00", "2026-12-04 09:00:00", 0, ""},
		{"once within grace", fmt.Sprintf(daily, "once"), "2026-12-03 09:00:00", "2026-12-04 09:40:00", "2026-12-04 09:00:00", 0, ""},
		{"once after days down: latest only", fmt.Sprintf(daily, "once"), "2026-12-01 09:00:00", "2026-12-04 09:40:00", "2026-12-04 09:00:00", 2, ""},
		{"skip within grace", fmt.Sprintf(daily, "skip"), "2026-12-03 09:00:00", "2026-12-04 09:40:00", "", 1, ""},
		{"skip after days down", fmt.Sprintf(daily, "skip"), "2026-12-01 09:00:00", "2026-12-04 09:40:00", "", 3, ""},
		{"too late never sends", fmt.Sprintf(daily, "once"), "2026-12-03 09:00:00", "2026-12-04 11:00:01", "", 1, ""},
		{"never fired since approval", fmt.Sprintf(daily, "once"), "", "2026-12-03 09:30:00", "2026-12-03 09:00:00", 2, ""},
		{"one-shot too late is missed", `{at: "2026-12-04 09:00", catch_up: once, grace: 1h}`, "", "2026-12-04 10:30:00", "", 1, campaigns.Missed},
		{"one-shot skip is missed", `{at: "2026-12-04 09:00", catch_up: skip}`, "", "2026-12-04 09:10:00", "", 1, campaigns.Missed},
		{"one-shot caught up", `{at: "2026-12-04 09:00", catch_up: once, grace: 1h}`, "", "2026-12-04 09:59:00", "2026-12-04 09:00:00", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := storetest.New(t)
			c := campaign(t, "c1", tt.schedule)
			if tt.lastFire != "" {
				if _, err := st.ClaimFire(bg, "c1", cst(tt.lastFire), "run", nil); err != nil {
					t.Fatal(err)
				}
			}
			clock := &fakeClock{now: cst(tt.now)}
			// Two replicas tick at the same instant: still one decision.
			a := newReplica(t, st, clock, cst("2026-12-01 08:00:00"), c)
			b := newReplica(t, st, clock, cst("2026-12-01 08:00:00"), c)
			var wg sync.WaitGroup
			wg.Go(func() { a.s.Tick(bg) })
			wg.Go(func() { b.s.Tick(bg) })
			wg.Wait()
			a.s.Wait()
			b.s.Wait()
			starts := append(a.c.started(), b.c.started()...)
			var want []string
			if tt.wantStart != "" {
				want = []string{fmt.Sprintf("c1@%d", cst(tt.wantStart).Unix())}
			}
			if !slices.Equal(starts, want) {
				t.Errorf("starts %v, want %v", starts, want)
			}
			h, _ := st.Campaign(bg, "c1")
			if got := int(h.MissedFires); got != tt.missed {
				t.Errorf("missed_fires %d, want %d", got, tt.missed)
			}
			if tt.wantState != "" {
				if a.c.state["c1"] != tt.wantState && b.c.state["c1"] != tt.wantState {
					t.Errorf("state %v / %v, want %s", a.c.state, b.c.state, tt.wantState)
				}
				if n := len(a.c.missed) + len(b.c.missed); n != 1 {
					t.Errorf("marked missed %d times", n)
				}
			}
			// A second tick changes nothing.
			a.s.Tick(bg)
			a.s.Wait()
			if n := len(a.c.started()) + len(b.c.started()); n != len(want) {
				t.Errorf("second tick started again: %v %v", a.c.started(), b.c.started())
			}
		})
	}
}

// A replica that claimed a fire and died before starting its run leaves
// the fire claimed but unstarted; another replica starts it after
// StartTimeout, once, and not before.
func TestStalledFireIsStartedByAnotherReplica(t *testing.T) {
	tests := []struct {
		name, schedule string
		fire           time.Time
	}{
		{"one-shot", `{at: "2026-12-04 09:00"}`, cst("2026-12-04 09:00:00")},
		{"recurring", `{cron: "0 9 * * *"}`, cst("2026-12-04 09:00:00")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := storetest.New(t)
			c := campaign(t, "c1", tt.schedule)
			// The dead replica's claim: nothing started it.
			if claim, err := st.ClaimFire(bg, "c1", tt.fire, "run", nil); err != nil || !claim.Won {
				t.Fatalf("claim %+v, %v", claim, err)
			}
			clock := &fakeClock{now: tt.fire.Add(2 * time.Second)}
			fc := &fakeCampaigns{st: st, defs: []*campaigns.Campaign{c}, approved: cst("2026-12-01 08:00:00"), state: map[string]campaigns.State{}}
			s, err := scheduler.New(scheduler.Options{Campaigns: fc, Store: st, Clock: clock, Logger: testLogger(), StartTimeout: time.Minute})
			if err != nil {
				t.Fatal(err)
			}
			want := fmt.Sprintf("c1@%d", tt.fire.Unix())
			for _, step := range []struct {
				after  time.Duration
				starts int
			}{
				{0, 0},                // first seen unstarted: its claimer may be starting it
				{30 * time.Second, 0}, // still within StartTimeout
				{31 * time.Second, 1}, // a minute since first seen: started here
				{time.Second, 1},      // started: never again
				{time.Hour, 1},
			} {
				clock.Advance(step.after)
				next := s.Tick(bg)
				s.Wait()
				got := fc.started()
				if len(got) != step.starts || (len(got) > 0 && got[0] != want) {
					t.Fatalf("at fire+%s: starts %v, want %d of %s", clock.Now().Sub(tt.fire), got, step.starts, want)
				}
				if step.starts == 0 && (next.IsZero() || next.After(clock.Now().Add(time.Second))) {
					t.Errorf("at fire+%s: next tick %v, want within a second to watch the stalled fire", clock.Now().Sub(tt.fire), next)
				}
			}
			if !c.Recurring() && fc.state["c1"] != campaigns.Finished {
				t.Errorf("one-shot state %q after its run, want finished", fc.state["c1"])
			}
		})
	}
}
