package report

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pufa-dev/pufa/chinatime"
	"github.com/pufa-dev/pufa/store"
)

// ArticleReadsSource is the article figures the daily data-cube job stored
// with each campaign run (*store.Store).
type ArticleReadsSource interface {
	ArticleReadsBetween(ctx context.Context, from, to time.Time) ([]store.ArticleReads, error)
}

// MonthReads is 阅读量 and the other figures of one campaign's article
// runs fired in one month (China time).
type MonthReads struct {
	Month    string // 2026-12
	Campaign string
	Title    string // the article's title at its last send that month
	Runs     int    // article runs that month
	// Fetched is false while no run of the month has figures yet (the
	// data cube has a day's figures the next morning).
	Fetched bool
	store.ArticleFigures
}

// ReadsByMonth sums the article figures of the runs fired in [from, to)
// by month and campaign, months in order, campaigns by id within a month.
// Readers are summed over runs: a resident reading two sends counts twice.
func ReadsByMonth(ctx context.Context, src ArticleReadsSource, from, to time.Time) ([]MonthReads, error) {
	runs, err := src.ArticleReadsBetween(ctx, from, to)
	if err != nil {
		return nil, fmt.Errorf("report: article reads: %w", err)
	}
	byKey := map[[2]string]*MonthReads{}
	for _, r := range runs {
		month := r.Fire.In(chinatime.Zone).Format("2006-01")
		k := [2]string{month, r.Campaign}
		m, ok := byKey[k]
		if !ok {
			m = &MonthReads{Month: month, Campaign: r.Campaign}
			byKey[k] = m
		}
		m.Title = r.Title
		m.Runs++
		m.Fetched = m.Fetched || !r.FetchedAt.IsZero()
		m.ArticleFigures = m.ArticleFigures.Add(r.Total)
	}
	out := make([]MonthReads, 0, len(byKey))
	for _, m := range byKey {
		out = append(out, *m)
	}
	slices.SortFunc(out, func(a, b MonthReads) int {
		if c := strings.Compare(a.Month, b.Month); c != 0 {
			return c
		}
		return strings.Compare(a.Campaign, b.Campaign)
	})
	return out, nil
}
