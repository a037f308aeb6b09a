package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/pufa-dev/pufa/communities"
	"github.com/pufa-dev/pufa/demo"
	"github.com/pufa-dev/pufa/ledger"
	"github.com/pufa-dev/pufa/store"
)

// seedDemo seeds the demo's year through pufa's own functions (package
// demo) into the running service's store.
func seedDemo(ctx context.Context, svc *service, st *store.Store, year, followers int, logger *slog.Logger) error {
	start := time.Now()
	cat, err := loadQuizzes(demoQuizzes, svc.kb.Corpus(), start)
	if err != nil {
		return err
	}
	registry := communities.New(st, nil)
	deps := demo.Deps{Store: st, Ledger: ledger.New(st, nil).WithCommunities(registry), Registry: registry,
		Mediation: ledger.NewMediation(st, registry, nil), Quizzes: cat, Logger: logger}
	if err := demo.Seed(ctx, deps, year, demo.DefaultPlan(year), demo.Followers(followers)); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	logger.Info("demo year seeded", "year", year, "took", time.Since(start).Round(time.Millisecond))
	return nil
}
