package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/pufa-dev/pufa/campaigns"
	"github.com/pufa-dev/pufa/communities"
	"github.com/pufa-dev/pufa/config"
	"github.com/pufa-dev/pufa/demo"
	"github.com/pufa-dev/pufa/ledger"
	"github.com/pufa-dev/pufa/store"
)

// seedDemo seeds the demo's year through pufa's own functions (package
// demo) into the running service's store. It runs before pufa serves, so
// the scheduler cannot take a seeded campaign between its approval and
// its run; WeChat's reach callbacks for the mass sends wait for pufa to
// listen (the simulator retries them).
func seedDemo(ctx context.Context, cfg config.Config, svc *service, st *store.Store, year, followers int, logger *slog.Logger) error {
	start := time.Now()
	cat, err := loadQuizzes(demoQuizzes, svc.kb.Corpus(), start)
	if err != nil {
		return err
	}
	runner, err := newSeedCampaigns(cfg, svc, st, logger)
	if err != nil {
		return err
	}
	registry := communities.New(st, nil)
	mediation := ledger.NewMediation(st, registry, nil)
	deps := demo.Deps{Store: st, Ledger: ledger.New(st, nil).WithCommunities(registry), Registry: registry,
		Mediation: mediation, Campaigns: runner, SMS: st, Quizzes: cat, Logger: logger,
		Cases: st, Referrer: ledger.CaseReferrals{Mediation: mediation, Store: st}}
	if err := demo.Seed(ctx, deps, year, demo.DefaultPlan(year), demo.Followers(followers)); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	logger.Info("demo year seeded", "year", year, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// seedCampaigns is the campaign manager with a clock the seed sets: each
// campaign is approved and sent at its own time in the seeded year, as the
// scheduler would have sent it then.
type seedCampaigns struct {
	lib *campaigns.Library
	mgr *campaigns.Manager

	mu  sync.Mutex
	now time.Time
}

func newSeedCampaigns(cfg config.Config, svc *service, st *store.Store, logger *slog.Logger) (*seedCampaigns, error) {
	lib, err := newLibrary(cfg, st, logger)
	if err != nil {
		return nil, err
	}
	sc := &seedCampaigns{lib: lib}
	sc.mgr, err = newCampaigns(cfg, st, svc.wx, svc.quizzes.Catalog(), logger, nil, func(o *campaigns.Options) {
		o.Definitions = lib.Definitions
		o.Now = sc.clock
		o.Rate, o.SMSRate = 0, 0 // a year's sends in seconds
	})
	if err != nil {
		return nil, err
	}
	return sc, nil
}

func (sc *seedCampaigns) clock() time.Time {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return sc.now
}

func (sc *seedCampaigns) set(t time.Time) {
	sc.mu.Lock()
	sc.now = t
	sc.mu.Unlock()
}

func (sc *seedCampaigns) Define(ctx context.Context, yaml string) error {
	c, err := sc.lib.Save(ctx, "演示活动", []byte(yaml), 0, "demo", "演示数据")
	if err != nil {
		return err
	}
	_, err = sc.lib.Load(ctx) // the manager reads definitions through the library's cache
	if err == nil && c == nil {
		err = fmt.Errorf("campaign not stored")
	}
	return err
}

func (sc *seedCampaigns) Approve(ctx context.Context, id string, at time.Time) error {
	sc.set(at)
	return sc.mgr.Approve(ctx, id, "演示数据")
}

func (sc *seedCampaigns) Start(ctx context.Context, id string, fire time.Time) (int64, error) {
	sc.set(fire)
	res, err := sc.mgr.Start(ctx, id, fire)
	if err != nil {
		return 0, err
	}
	if res.State != campaigns.RunEndFinished {
		return 0, fmt.Errorf("run of %s ended %s (%s)", id, res.State, res.Stopped)
	}
	return res.Counts.Sent, nil
}
