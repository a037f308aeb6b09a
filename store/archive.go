package store

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"time"
)

// ArchivedRun is what a campaign run was, written when it starts and kept
// for ever, so the annual report of a past year does not depend on the
// campaign's definition still existing or still saying what it said then.
// Its figures are the run's own counters (campaign:{<id>}:run:<fire>) and
// WeChat's reach reports (campaign:{<id>}:mass), which are kept too.
type ArchivedRun struct {
	Campaign string    `json:"campaign"`
	Title    string    `json:"title"`
	Theme    string    `json:"theme,omitempty"`
	Channel  string    `json:"channel"`
	Quiz     string    `json:"quiz,omitempty"`
	Fire     time.Time `json:"fire"`
	Started  time.Time `json:"started"`
}

func archiveField(id string, fire time.Time) string {
	return id + " " + strconv.FormatInt(fire.Unix(), 10)
}

// ArchiveRun records a run unless it is recorded already: the first record
// (the run as it started) stays, so a retried start or a backfill never
// renames a past run.
func (s *Store) ArchiveRun(ctx context.Context, a ArchivedRun) error {
	if a.Campaign == "" || a.Fire.IsZero() {
		return fmt.Errorf("store: archive run: campaign and fire are required")
	}
	a.Fire, a.Started = a.Fire.UTC(), a.Started.UTC()
	b, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("store: archive run: %w", err)
	}
	if err := s.rdb.HSetNX(ctx, s.keyCampaignArchive(), archiveField(a.Campaign, a.Fire), b).Err(); err != nil {
		return fmt.Errorf("store: archive run %s: %w", a.Campaign, err)
	}
	return nil
}

// ArchivedRuns returns the runs fired in [from, to), by fire time then id.
func (s *Store) ArchivedRuns(ctx context.Context, from, to time.Time) ([]ArchivedRun, error) {
	h, err := s.rdb.HGetAll(ctx, s.keyCampaignArchive()).Result()
	if err != nil {
		return nil, fmt.Errorf("store: archived runs: %w", err)
	}
	var out []ArchivedRun
	for field, v := range h {
		var a ArchivedRun
		if err := json.Unmarshal([]byte(v), &a); err != nil {
			return nil, fmt.Errorf("store: archived run %s: %w", field, err)
		}
		if !a.Fire.Before(from) && a.Fire.Before(to) {
			out = append(out, a)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Fire.Equal(out[j].Fire) {
			return out[i].Fire.Before(out[j].Fire)
		}
		return out[i].Campaign < out[j].Campaign
	})
	return out, nil
}
