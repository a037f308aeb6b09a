// Package scheduler fires campaigns on their schedules inside `pufa serve`:
// every fire happens once across any number of replicas sharing Redis,
// fires missed while every replica was down follow the campaign's catch-up
// policy, and runs interrupted by a crash are picked up again.
//
// Schedules are parsed by robfig/cron v3 (5 fields, CRON_TZ=, descriptors,
// @every) and evaluated in China time, but the timing loop is pufa's own:
// robfig's runner reads the wall clock directly and hands a job neither its
// scheduled time nor a way to be driven by a test clock, and fire-once needs
// the scheduled time (not "now") as the key every replica agrees on. For the
// same reason @every schedules are anchored to the Unix epoch (see
// campaigns.Campaign.Next), not to the moment a replica started.
//
// # Fire-once
//
// When a fire time T of campaign C is due, every replica runs one Lua script
// (store.ClaimFire): SET campaign:{C}:fire:T NX with a 30-day TTL, refused
// as well when T is not later than C's last handled fire. Exactly one
// replica wins and sends; the keys are never deleted early, so a replica
// whose clock lags, or that restarts, cannot fire T again. Should the winner
// die between its claim and the start of the run, the fire stays claimed but
// unstarted; any replica that sees it so for StartTimeout starts it.
//
// # Missed fires
//
// On every tick the due fires of a campaign are those after its last handled
// fire (or its approval) up to now. The latest one is
//
//   - on time if at most OnTime late: it runs;
//   - within the grace window (campaign schedule.grace, else Options.Grace):
//     it runs once under catch_up: once, is skipped under catch_up: skip;
//   - beyond the grace window: never sent ("late").
//
// Older due fires are never sent. Every fire not sent is counted in the
// campaign's missed_fires and logged; a one-shot campaign whose only fire was
// not sent becomes missed.
//
// A fire due while the campaign's previous run is still going is skipped
// and counted missed, including while that run waits for the quiet hours
// to end (campaigns.RunStats.QuietUntil). Validation refuses schedules
// whose fires fall in the quiet hours and fires closer than a day apart, so
// this happens only to a run that waited or ran for more than a day.
package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/pufa-dev/pufa/campaigns"
	"github.com/pufa-dev/pufa/store"
)

// Clock is the scheduler's time source; tests drive a fake one.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// FireStore claims fires once across replicas (*store.Store).
type FireStore interface {
	ClaimFire(ctx context.Context, id string, at time.Time, mode string, older []time.Time) (store.FireClaim, error)
	FireClaimed(ctx context.Context, id string, at time.Time) (string, error)
}

// Campaigns is what the scheduler drives (*campaigns.Manager).
type Campaigns interface {
	Plans(ctx context.Context) ([]campaigns.Plan, error)
	Start(ctx context.Context, id string, fire time.Time) (campaigns.RunResult, error)
	Join(ctx context.Context, id string, fire time.Time, opts campaigns.RunOptions) (campaigns.RunResult, error)
	MarkScheduled(ctx context.Context, id string) error
	MarkMissed(ctx context.Context, id string, fire time.Time, why string) error
	MarkFinished(ctx context.Context, id, why string) error
	CompleteStale(ctx context.Context, id string, fire time.Time)
}

// Options configure a Scheduler.
type Options struct {
	Campaigns Campaigns
	Store     FireStore
	Clock     Clock // default: the wall clock
	Logger    *slog.Logger
	Grace     time.Duration // catch-up window when a campaign sets none; default 1h
	OnTime    time.Duration // lateness still counted as on time; default 1m
	Poll      time.Duration // longest sleep between ticks, to notice new approvals; default 30s
	// StartTimeout is how long a fire may stay claimed to run with no run
	// begun before another replica starts it (its claimer died between
	// claim and start); default 1m.
	StartTimeout time.Duration
}

// Scheduler fires campaigns. Run it in every replica.
type Scheduler struct {
	opts Options
	log  *slog.Logger

	wg     sync.WaitGroup
	mu     sync.Mutex
	busy   map[string]bool  // runs started or joined by this process, "id@fire"
	stalls map[string]stall // by campaign id: a claimed fire seen unstarted
}

// stall is when this process first saw fire claimed to run but unstarted.
type stall struct {
	fire, since time.Time
}

// New checks opts and returns a Scheduler.
func New(opts Options) (*Scheduler, error) {
	if opts.Campaigns == nil || opts.Store == nil {
		return nil, errors.New("scheduler: Campaigns and Store are required")
	}
	if opts.Clock == nil {
		opts.Clock = realClock{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Grace <= 0 {
		opts.Grace = time.Hour
	}
	if opts.OnTime <= 0 {
		opts.OnTime = time.Minute
	}
	if opts.Poll <= 0 {
		opts.Poll = 30 * time.Second
	}
	if opts.StartTimeout <= 0 {
		opts.StartTimeout = time.Minute
	}
	return &Scheduler{opts: opts, log: opts.Logger, busy: map[string]bool{}, stalls: map[string]stall{}}, nil
}

// Run ticks until ctx ends, then waits for the runs it started: their
// workers stop claiming, finish the request in flight and record it; the
// rest of a run is resumed by another replica or the next start.
func (s *Scheduler) Run(ctx context.Context) error {
	s.log.InfoContext(ctx, "scheduler: started")
	for {
		next := s.Tick(ctx)
		wait := s.opts.Poll
		if !next.IsZero() {
			wait = min(wait, max(next.Sub(s.opts.Clock.Now()), 0))
		}
		select {
		case <-ctx.Done():
			s.wg.Wait()
			s.log.Info("scheduler: stopped")
			return nil
		case <-s.opts.Clock.After(wait):
		}
	}
}

// Wait blocks until the runs started by Tick have returned.
func (s *Scheduler) Wait() { s.wg.Wait() }

// maxDue bounds the older due fires passed to the claim script.
const maxDue = 1000

// Tick handles everything due now and returns the next fire time of any
// campaign (zero when none).
func (s *Scheduler) Tick(ctx context.Context) time.Time {
	now := s.opts.Clock.Now()
	plans, err := s.opts.Campaigns.Plans(ctx)
	if err != nil {
		s.log.WarnContext(ctx, "scheduler: campaign definitions", slog.Any("err", err))
	}
	var earliest time.Time
	for _, p := range plans {
		if next := s.plan(ctx, p, now); !next.IsZero() && (earliest.IsZero() || next.Before(earliest)) {
			earliest = next
		}
	}
	return earliest
}

func (s *Scheduler) plan(ctx context.Context, p campaigns.Plan, now time.Time) time.Time {
	c := p.Campaign
	log := s.log.With(slog.String("campaign", c.ID))
	switch {
	case p.RunDone:
		s.opts.Campaigns.CompleteStale(ctx, c.ID, p.RunFire)
		return time.Time{}
	case p.RunActive && p.State.Sends():
		s.spawn(ctx, c.ID, p.RunFire, true)
	}
	if !p.State.Sends() || (c.Schedule.At.IsZero() && c.Schedule.Cron == "") {
		return time.Time{}
	}
	if p.State == campaigns.Approved {
		if err := s.opts.Campaigns.MarkScheduled(ctx, c.ID); err != nil {
			log.WarnContext(ctx, "scheduler: mark scheduled", slog.Any("err", err))
		}
	}
	cursor := p.LastFire
	if p.Since.After(cursor) {
		cursor = p.Since
	}
	// The last fire was claimed to run, but its run has not begun: the
	// replica that claimed it is starting it, or died doing so. Look again
	// in a second, and take it over once it has stalled for StartTimeout.
	unstarted := s.unstarted(ctx, p)
	s.watchStall(ctx, log, p, unstarted, now)
	due, total := dueFires(c, cursor, now)
	if len(due) == 0 {
		next := c.Next(now)
		if unstarted && (next.IsZero() || next.After(now.Add(time.Second))) {
			return now.Add(time.Second)
		}
		if next.IsZero() && !p.RunActive && p.State != campaigns.Running {
			if !c.Recurring() && p.LastFire.IsZero() {
				s.mark(ctx, log, s.opts.Campaigns.MarkMissed(ctx, c.ID, c.Schedule.At, "approved after its fire time"))
			} else {
				s.mark(ctx, log, s.opts.Campaigns.MarkFinished(ctx, c.ID, "no fire left in the window"))
			}
		}
		return next
	}
	latest, older := due[len(due)-1], due[:len(due)-1]
	grace := c.Schedule.Grace
	if grace <= 0 {
		grace = s.opts.Grace
	}
	late := now.Sub(latest)
	mode, why := "run", "on time"
	switch {
	case p.State == campaigns.Running || p.RunActive:
		mode, why = "skip", "the previous run is still in progress"
	case late <= s.opts.OnTime:
	case late > grace:
		mode, why = "late", fmt.Sprintf("%s late, beyond the grace window of %s", late.Round(time.Second), grace)
	case c.Schedule.CatchUp == campaigns.CatchUpOnce:
		why = fmt.Sprintf("catch-up: %s late, within the grace window", late.Round(time.Second))
	default:
		mode, why = "skip", "missed while pufa was down (catch_up: skip)"
	}
	claim, err := s.opts.Store.ClaimFire(ctx, c.ID, latest, mode, older)
	if err != nil {
		log.ErrorContext(ctx, "scheduler: claim fire", slog.Any("err", err))
		return now.Add(time.Second) // Redis trouble: try again soon
	}
	if claim.Won {
		if claim.Missed > 0 || total > len(due) {
			log.WarnContext(ctx, "scheduler: fires missed", slog.Int("missed", claim.Missed), slog.Int("due", total),
				slog.Time("latest", latest), slog.String("policy", string(c.Schedule.CatchUp)), slog.String("why", why))
		}
		if mode == "run" {
			log.InfoContext(ctx, "scheduler: fire", slog.Time("at", latest), slog.String("why", why))
			s.spawn(ctx, c.ID, latest, false)
		} else if !c.Recurring() {
			s.mark(ctx, log, s.opts.Campaigns.MarkMissed(ctx, c.ID, latest, why))
		}
	}
	return c.Next(now)
}

// unstarted reports whether the campaign's last fire was claimed to run but
// no run for it exists yet.
func (s *Scheduler) unstarted(ctx context.Context, p campaigns.Plan) bool {
	if p.LastFire.IsZero() || !p.RunFire.Before(p.LastFire) {
		return false
	}
	mode, err := s.opts.Store.FireClaimed(ctx, p.Campaign.ID, p.LastFire)
	if err != nil {
		s.log.WarnContext(ctx, "scheduler: reading fire claim", slog.String("campaign", p.Campaign.ID), slog.Any("err", err))
		return true // don't finish on a guess; the next tick looks again
	}
	return mode == "run"
}

// watchStall starts the campaign's last fire here when it has been claimed
// to run but unstarted for StartTimeout, as seen by this process. Should
// its claimer be alive after all, only one Start gets the campaign from
// scheduled to running, and a run's recipients are claimed once.
func (s *Scheduler) watchStall(ctx context.Context, log *slog.Logger, p campaigns.Plan, unstarted bool, now time.Time) {
	id := p.Campaign.ID
	s.mu.Lock()
	st, seen := s.stalls[id]
	switch {
	case !unstarted:
		delete(s.stalls, id)
	case !seen || !st.fire.Equal(p.LastFire):
		s.stalls[id] = stall{fire: p.LastFire, since: now}
	}
	s.mu.Unlock()
	if !unstarted || !seen || !st.fire.Equal(p.LastFire) || now.Sub(st.since) < s.opts.StartTimeout {
		return
	}
	log.WarnContext(ctx, "scheduler: fire claimed but never started; starting it here",
		slog.Time("fire", p.LastFire), slog.Duration("stalled", now.Sub(st.since)))
	s.spawn(ctx, id, p.LastFire, false)
}

func (s *Scheduler) mark(ctx context.Context, log *slog.Logger, err error) {
	if err != nil && !errors.Is(err, campaigns.ErrConflict) {
		log.WarnContext(ctx, "scheduler: state change", slog.Any("err", err))
	}
}

// dueFires lists the fires in (after, now], keeping the last maxDue+1, and
// counts them all.
func dueFires(c *campaigns.Campaign, after, now time.Time) ([]time.Time, int) {
	var out []time.Time
	total := 0
	for t := after; total < 1_000_000; total++ {
		n := c.Next(t)
		if n.IsZero() || n.After(now) {
			break
		}
		out = append(out, n)
		if len(out) > 2*maxDue {
			out = append(out[:0], out[len(out)-maxDue-1:]...)
		}
		t = n
	}
	if len(out) > maxDue+1 {
		out = out[len(out)-maxDue-1:]
	}
	return out, total
}

// spawn starts (or joins) a run in the background unless this process is
// already working on it.
func (s *Scheduler) spawn(ctx context.Context, id string, fire time.Time, join bool) {
	key := id + "@" + strconv.FormatInt(fire.Unix(), 10)
	s.mu.Lock()
	if s.busy[key] {
		s.mu.Unlock()
		return
	}
	s.busy[key] = true
	s.mu.Unlock()
	s.wg.Go(func() {
		defer func() {
			s.mu.Lock()
			delete(s.busy, key)
			s.mu.Unlock()
		}()
		var res campaigns.RunResult
		var err error
		if join {
			s.log.InfoContext(ctx, "scheduler: joining an unfinished run", slog.String("campaign", id), slog.Time("fire", fire))
			res, err = s.opts.Campaigns.Join(ctx, id, fire, campaigns.RunOptions{})
		} else {
			res, err = s.opts.Campaigns.Start(ctx, id, fire)
		}
		if err != nil && ctx.Err() == nil {
			s.log.ErrorContext(ctx, "scheduler: run", slog.String("campaign", id), slog.Time("fire", fire), slog.Any("err", err))
			return
		}
		s.log.InfoContext(ctx, "scheduler: run returned", slog.String("campaign", id), slog.Time("fire", fire),
			slog.String("state", string(res.State)))
	})
}
