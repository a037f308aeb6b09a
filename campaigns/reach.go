package campaigns

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/pufa-dev/pufa/store"
)

// RunStats counts one run. Items are recipients for template and custom
// runs, mass requests (batches) for mass runs.
type RunStats struct {
	Fire     time.Time `json:"fire"`
	State    string    `json:"state"`
	Channel  Channel   `json:"channel"`
	Total    int64     `json:"total"`
	Done     int64     `json:"done"`
	Sent     int64     `json:"sent"`
	Failed   int64     `json:"failed"`
	Unknown  int64     `json:"unknown"`          // interrupted custom sends: possibly delivered, never resent
	Resent   int64     `json:"resent,omitempty"` // interrupted idempotent sends handed out again
	Started  time.Time `json:"started,omitzero"`
	Finished time.Time `json:"finished,omitzero"`
	// QuietUntil is set while an unfinished run waits for its campaign's
	// quiet hours to end (China time): nothing is sent until then.
	QuietUntil time.Time `json:"quiet_until,omitzero"`
	// From TEMPLATESENDJOBFINISH.
	Delivered   int64 `json:"delivered,omitempty"`
	Blocked     int64 `json:"blocked,omitempty"`
	AsyncFailed int64 `json:"async_failed,omitempty"`
}

// Reach is what WeChat reported reaching, summed over a campaign's runs:
// for mass sends the MASSSENDJOBFINISH counts (total, filtered = sent +
// errors, sent, errors); for per-recipient channels the recipients
// (total), those WeChat accepted (sent) and those that failed (errors).
type Reach struct {
	Total    int64 `json:"total"`
	Filtered int64 `json:"filtered"`
	Sent     int64 `json:"sent"`
	Errors   int64 `json:"errors"`
	Unknown  int64 `json:"unknown,omitempty"`
	Pending  int64 `json:"pending_reports,omitempty"` // mass jobs submitted without a MASSSENDJOBFINISH yet
}

// Stats is everything known about one campaign, for `pufa campaign stats`,
// the list and the annual report.
type Stats struct {
	ID          string     `json:"id"`
	Title       string     `json:"title"`
	Theme       string     `json:"theme,omitempty"`
	Channel     Channel    `json:"channel"`
	State       State      `json:"state"`
	StateLabel  string     `json:"state_label"`
	ApprovedBy  string     `json:"approved_by,omitempty"`
	ApprovedAt  time.Time  `json:"approved_at,omitzero"`
	Stale       bool       `json:"definition_changed,omitempty"`
	PauseReason string     `json:"pause_reason,omitempty"`
	NextFire    time.Time  `json:"next_fire,omitzero"`
	LastFire    time.Time  `json:"last_fire,omitzero"`
	Fires       int64      `json:"fires"`
	MissedFires int64      `json:"missed_fires"`
	Runs        []RunStats `json:"runs"`
	Reach       Reach      `json:"reach"`
	Log         []string   `json:"log,omitempty"`
}

// QuietUntil is when the quiet hours end that the campaign's unfinished
// run is waiting for (zero when none waits).
func (s Stats) QuietUntil() time.Time {
	for _, r := range s.Runs {
		if !r.QuietUntil.IsZero() {
			return r.QuietUntil
		}
	}
	return time.Time{}
}

func (m *Manager) runStats(ctx context.Context, id string, fire time.Time) (RunStats, error) {
	r, err := m.opts.Store.Run(ctx, id, fire)
	if err != nil {
		return RunStats{}, err
	}
	rs := RunStats{
		Fire: fire, State: string(r.State), Channel: Channel(r.Channel),
		Total: r.Total, Done: r.Done, Sent: r.Sent, Failed: r.Failed, Unknown: r.Unknown, Resent: r.Requeued,
		Started: r.Started, Finished: r.Finished,
		Delivered: r.Delivered, Blocked: r.Blocked, AsyncFailed: r.AsyncFailed,
	}
	if r.State == store.RunRunning && r.Def != "" {
		if def, err := decodeDef(r.Def); err == nil {
			if quiet, until := def.quiet().Quiet(m.now()); quiet {
				rs.QuietUntil = until
			}
		}
	}
	return rs, nil
}

// Progress returns the counts of run fire of id, for progress displays.
func (m *Manager) Progress(ctx context.Context, id string, fire time.Time) (RunStats, error) {
	return m.runStats(ctx, id, fire)
}

// Stats gathers c's state, runs and reach.
func (m *Manager) Stats(ctx context.Context, id string) (Stats, error) {
	c, st, err := m.load(ctx, id)
	if err != nil {
		return Stats{}, err
	}
	s := Stats{
		ID: c.ID, Title: c.Title, Theme: c.Theme, Channel: c.Channel, State: st.State, StateLabel: st.State.Label(),
		ApprovedBy: st.ApprovedBy, ApprovedAt: st.ApprovedAt, Stale: st.Stale, PauseReason: st.PauseReason,
		LastFire: st.LastFire, Fires: st.Fires, MissedFires: st.MissedFires, Runs: []RunStats{},
	}
	if st.State.Sends() || st.State == Draft {
		after := m.now()
		if st.LastFire.After(after) {
			after = st.LastFire
		}
		s.NextFire = c.Next(after)
	}
	fires, err := m.opts.Store.RunFires(ctx, id)
	if err != nil {
		return Stats{}, err
	}
	for _, f := range fires {
		r, err := m.runStats(ctx, id, f)
		if err != nil {
			return Stats{}, err
		}
		s.Runs = append(s.Runs, r)
		if !r.Channel.ReachByCallback() {
			s.Reach.Total += r.Total
			s.Reach.Filtered += r.Sent + r.Failed
			s.Reach.Sent += r.Sent
			s.Reach.Errors += r.Failed + r.Blocked + r.AsyncFailed
			s.Reach.Unknown += r.Unknown
		}
	}
	mass, err := m.opts.Store.MassReaches(ctx, id)
	if err != nil {
		return Stats{}, err
	}
	for _, r := range mass {
		if !r.Reported {
			s.Reach.Pending++
			continue
		}
		s.Reach.Total += r.Total
		s.Reach.Filtered += r.Filtered
		s.Reach.Sent += r.Sent
		s.Reach.Errors += r.Errors
	}
	if s.Log, err = m.opts.Store.CampaignLog(ctx, id); err != nil {
		return Stats{}, err
	}
	return s, nil
}

// List returns the stats of every valid campaign, sorted by next fire (none
// last) and id; invalid files are reported in err.
func (m *Manager) List(ctx context.Context) ([]Stats, error) {
	defs, defErr := m.opts.Definitions()
	out := make([]Stats, 0, len(defs))
	for _, c := range defs {
		s, err := m.Stats(ctx, c.ID)
		if err != nil {
			return nil, err
		}
		s.Log = nil
		out = append(out, s)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i].NextFire, out[j].NextFire
		if a.IsZero() != b.IsZero() {
			return !a.IsZero()
		}
		if !a.Equal(b) {
			return a.Before(b)
		}
		return out[i].ID < out[j].ID
	})
	return out, defErr
}

// MassFinished applies a MASSSENDJOBFINISH callback: WeChat's final counts
// of one mass job. Unknown msg_ids (sends not made by a campaign) are
// ignored. A repeated callback overwrites the same entry.
func (m *Manager) MassFinished(ctx context.Context, msgID int64, status string, total, filtered, sent, errs int) error {
	id, fire, kind, ok, err := m.opts.Store.MsgCampaign(ctx, msgID)
	if err != nil {
		return err
	}
	if !ok || (kind != string(ChannelMass) && kind != string(ChannelArticle)) {
		m.log.DebugContext(ctx, "campaigns: MASSSENDJOBFINISH for an unknown msg_id", slog.Int64("msg_id", msgID))
		return nil
	}
	r := store.MassReach{MsgID: msgID, Fire: fire, Total: int64(total), Filtered: int64(filtered),
		Sent: int64(sent), Errors: int64(errs), Status: status, Reported: true}
	if err := m.opts.Store.SetMassReach(ctx, id, r); err != nil {
		return err
	}
	m.log.InfoContext(ctx, "campaigns: mass reach", slog.String("campaign", id), slog.Int64("msg_id", msgID),
		slog.String("status", status), slog.Int("total", total), slog.Int("filtered", filtered),
		slog.Int("sent", sent), slog.Int("errors", errs))
	return nil
}

// TemplateFinished applies a TEMPLATESENDJOBFINISH callback to the
// recipient it names: "success" counts as delivered, "failed:user block" as
// blocked, anything else as an asynchronous failure. Each recipient counts
// once however often WeChat repeats the callback.
func (m *Manager) TemplateFinished(ctx context.Context, msgID int64, openid, status string) error {
	id, fire, kind, ok, err := m.opts.Store.MsgCampaign(ctx, msgID)
	if err != nil {
		return err
	}
	if !ok || kind != string(ChannelTemplate) {
		m.log.DebugContext(ctx, "campaigns: TEMPLATESENDJOBFINISH for an unknown msgid", slog.Int64("msg_id", msgID))
		return nil
	}
	newStatus := store.StatusDelivered
	switch s := strings.ToLower(strings.TrimSpace(status)); {
	case s == "success":
	case strings.Contains(s, "block"):
		newStatus = store.StatusBlocked
	default:
		newStatus = store.StatusAsyncFailed
	}
	changed, err := m.opts.Store.TemplateFinished(ctx, id, fire, openid, msgID, newStatus)
	if err != nil {
		return fmt.Errorf("campaigns: template reach %s: %w", id, err)
	}
	if changed {
		m.log.DebugContext(ctx, "campaigns: template reach", slog.String("campaign", id), slog.String("status", string(newStatus)))
	}
	return nil
}

// DryRun is what a run would do, without sending or changing state.
type DryRun struct {
	Channel    Channel       `json:"channel"`
	Recipients int           `json:"recipients"` // -1 when WeChat decides (mass to all or to one tag)
	Requests   int           `json:"requests"`
	Estimate   time.Duration `json:"estimate"`
}

// DryRun reports what running id now would send.
func (m *Manager) DryRun(ctx context.Context, id string) (DryRun, error) {
	c, err := m.Get(id)
	if err != nil {
		return DryRun{}, err
	}
	ch, ok := channels[c.Channel]
	if !ok {
		return DryRun{}, fmt.Errorf("campaigns: %s: unknown channel %q", id, c.Channel)
	}
	if ch.dryRun != nil {
		return ch.dryRun(ctx, m, c)
	}
	ids, err := ch.recipients(ctx, m, c.Audience)
	if err != nil {
		return DryRun{}, err
	}
	d := DryRun{Channel: c.Channel, Recipients: len(ids)}
	d.Requests = len(ids)
	if rate := ch.rate(&m.opts); rate > 0 {
		d.Estimate = time.Duration(float64(len(ids)) / rate * float64(time.Second))
	}
	return d, nil
}
