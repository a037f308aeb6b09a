package report

import (
	"context"
	"fmt"
	"time"

	"github.com/pufa-dev/pufa/campaigns"
	"github.com/pufa-dev/pufa/store"
)

// CampaignLister lists campaigns with their runs (implemented by *campaigns.Manager).
type CampaignLister interface {
	List(ctx context.Context) ([]campaigns.Stats, error)
}

// MassReaches reads the MASSSENDJOBFINISH counts of a campaign (implemented by *store.Store).
type MassReaches interface {
	MassReaches(ctx context.Context, id string) ([]store.MassReach, error)
}

// CampaignPushes turns campaign runs into pushes: one push (期) per run, its
// reach being what WeChat reported sent for a mass run (MASSSENDJOBFINISH
// SentCount) and the recipients WeChat accepted for template and
// customer-service runs, the same "sent" figure `pufa campaign stats` shows.
type CampaignPushes struct {
	Campaigns CampaignLister
	Mass      MassReaches
}

// Pushes implements CampaignSource.
func (c CampaignPushes) Pushes(ctx context.Context, from, to time.Time) ([]Push, error) {
	list, err := c.Campaigns.List(ctx)
	if err != nil && list == nil {
		return nil, fmt.Errorf("campaign list: %w", err)
	}
	// Invalid campaign files (err with a list) do not hide the valid ones' runs.
	var out []Push
	for _, s := range list {
		var mass map[int64]int64
		for _, run := range s.Runs {
			if run.Fire.Before(from) || !run.Fire.Before(to) {
				continue
			}
			// An SMS run is listed too; Build counts its texts as 普法短信
			// (Figures.SMSSent), not as a 线上推送.
			p := Push{Campaign: s.ID, Title: s.Title, Theme: s.Theme, Channel: string(run.Channel), Fire: run.Fire, Reach: run.Sent}
			if run.Channel.ReachByCallback() {
				if mass == nil {
					if mass, err = c.massByFire(ctx, s.ID); err != nil {
						return nil, err
					}
				}
				p.Reach = mass[run.Fire.Unix()]
			}
			out = append(out, p)
		}
	}
	return out, nil
}

func (c CampaignPushes) massByFire(ctx context.Context, id string) (map[int64]int64, error) {
	out := map[int64]int64{}
	if c.Mass == nil {
		return out, nil
	}
	rs, err := c.Mass.MassReaches(ctx, id)
	if err != nil {
		return nil, err
	}
	for _, r := range rs {
		if r.Reported {
			out[r.Fire.Unix()] = sum(out[r.Fire.Unix()], r.Sent)
		}
	}
	return out, nil
}
