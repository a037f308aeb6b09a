package report

import (
	"context"
	"fmt"
	"time"

	"github.com/pufa-dev/pufa/campaigns"
	"github.com/pufa-dev/pufa/store"
)

// RunArchive is the campaign runs as they were archived when they ran, with
// their counters and WeChat's reach reports (implemented by *store.Store).
type RunArchive interface {
	ArchivedRuns(ctx context.Context, from, to time.Time) ([]store.ArchivedRun, error)
	Run(ctx context.Context, id string, fire time.Time) (store.RunRecord, error)
	MassReaches(ctx context.Context, id string) ([]store.MassReach, error)
}

// ArchivedPushes implements CampaignSource over the run archive alone, so
// a campaign whose definition was moved, renamed or deleted still counts
// in the year it ran, under the title it ran with. Reach is the same
// figure CampaignPushes gives: WeChat's reported SentCount for channels
// whose reach comes by callback, the recipients accepted otherwise.
type ArchivedPushes struct {
	Store RunArchive
}

// Pushes implements CampaignSource.
func (a ArchivedPushes) Pushes(ctx context.Context, from, to time.Time) ([]Push, error) {
	runs, err := a.Store.ArchivedRuns(ctx, from, to)
	if err != nil {
		return nil, err
	}
	mass := map[string]map[int64]int64{}
	out := make([]Push, 0, len(runs))
	for _, ar := range runs {
		run, err := a.Store.Run(ctx, ar.Campaign, ar.Fire)
		if err != nil {
			return nil, fmt.Errorf("run %s: %w", ar.Campaign, err)
		}
		p := Push{Campaign: ar.Campaign, Title: ar.Title, Theme: ar.Theme, Channel: ar.Channel, Fire: ar.Fire, Reach: run.Sent}
		if campaigns.Channel(ar.Channel).ReachByCallback() {
			m, ok := mass[ar.Campaign]
			if !ok {
				if m, err = (CampaignPushes{Mass: a.Store}).massByFire(ctx, ar.Campaign); err != nil {
					return nil, err
				}
				mass[ar.Campaign] = m
			}
			p.Reach = m[ar.Fire.Unix()]
		}
		out = append(out, p)
	}
	return out, nil
}
