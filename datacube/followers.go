package datacube

// The followers part of the job: WeChat's figures kept after its own
// limits on how far back it answers.

import (
	"context"
	"fmt"

	"github.com/pufa-dev/pufa/store"
	"github.com/pufa-dev/pufa/wechat"
)

// FollowerAPI is WeChat's user analysis (implemented by *wechat.Client).
type FollowerAPI interface {
	UserSummary(ctx context.Context, begin, end wechat.Day) ([]wechat.UserSummary, error)
	UserCumulate(ctx context.Context, begin, end wechat.Day) ([]wechat.UserCumulate, error)
}

// FollowerStore keeps the days (implemented by *store.Store).
type FollowerStore interface {
	RecordFollowerDay(ctx context.Context, d store.FollowerDay) error
}

// SyncFollowers fetches the follower figures of the days begin..end
// (inclusive) in the 7-day spans WeChat allows and records each day: new
// and cancelled follows summed over every source (WeChat reports them per
// source), and the total at the end of the day. A day WeChat reports no
// total for is not recorded. It returns the days recorded. Recording a day
// again replaces it, so overlapping runs are harmless.
func SyncFollowers(ctx context.Context, api FollowerAPI, st FollowerStore, begin, end wechat.Day) (int, error) {
	recorded := 0
	for from := begin; !from.After(end.Time); from = from.AddDays(wechat.SpanUserSummary) {
		to := from.AddDays(wechat.SpanUserSummary - 1)
		if to.After(end.Time) {
			to = end
		}
		sums, err := api.UserSummary(ctx, from, to)
		if err != nil {
			return recorded, fmt.Errorf("datacube: user summary %s..%s: %w", from, to, err)
		}
		totals, err := api.UserCumulate(ctx, from, to)
		if err != nil {
			return recorded, fmt.Errorf("datacube: user cumulate %s..%s: %w", from, to, err)
		}
		days := map[string]*store.FollowerDay{}
		for _, c := range totals {
			days[c.RefDate] = &store.FollowerDay{Day: c.RefDate, Total: int64(c.CumulateUser)}
		}
		for _, s := range sums {
			if d, ok := days[s.RefDate]; ok {
				d.New += int64(s.NewUser)
				d.Cancelled += int64(s.CancelUser)
			}
		}
		for d := from; !d.After(to.Time); d = d.AddDays(1) {
			fd, ok := days[d.String()]
			if !ok {
				continue
			}
			if err := st.RecordFollowerDay(ctx, *fd); err != nil {
				return recorded, fmt.Errorf("datacube: %w", err)
			}
			recorded++
		}
	}
	return recorded, nil
}
