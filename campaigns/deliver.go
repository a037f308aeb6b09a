package campaigns

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/pufa-dev/pufa/chinatime"
	"github.com/pufa-dev/pufa/store"
	"github.com/pufa-dev/pufa/wechat"
)

// Sender is what delivery needs from the WeChat client.
type Sender interface {
	MassSend(ctx context.Context, r wechat.MassRequest) (wechat.MassResult, error)
	SendTemplate(ctx context.Context, m wechat.TemplateMessage) (int64, error)
	SendText(ctx context.Context, openid, content string) error
}

// AudienceSource lists followers from WeChat.
type AudienceSource interface {
	AllFollowers(ctx context.Context) ([]string, error)
	AllTagFollowers(ctx context.Context, tagID int64) ([]string, error)
}

// Store is what campaigns needs from package store.
type Store interface {
	Campaign(ctx context.Context, id string) (store.CampaignRecord, error)
	CampaignIDs(ctx context.Context) ([]string, error)
	SetCampaignState(ctx context.Context, id string, c store.StateChange) (bool, string, error)
	SetCampaignPreview(ctx context.Context, id string, p store.Preview) error
	CampaignLog(ctx context.Context, id string) ([]string, error)
	ClaimFire(ctx context.Context, id string, at time.Time, mode string, older []time.Time) (store.FireClaim, error)
	BeginRun(ctx context.Context, id string, fire time.Time, owner string, lease time.Duration, start store.RunStart) (string, error)
	AppendRun(ctx context.Context, id string, fire time.Time, owner string, batches map[string]string, items []string) error
	ReadyRun(ctx context.Context, id string, fire time.Time, owner string) (int, error)
	Run(ctx context.Context, id string, fire time.Time) (store.RunRecord, error)
	RunFires(ctx context.Context, id string) ([]time.Time, error)
	RunBatch(ctx context.Context, id string, fire time.Time, n string) (string, error)
	ClaimRunItems(ctx context.Context, id string, fire time.Time, n int, lease, retryWithin time.Duration) (store.RunClaim, error)
	RecordRunItem(ctx context.Context, id string, fire time.Time, item string, result store.ItemStatus) (int64, bool, error)
	ReleaseRunItem(ctx context.Context, id string, fire time.Time, item string, notBefore time.Time) error
	RenewRunItem(ctx context.Context, id string, fire time.Time, item string, lease time.Duration) (bool, error)
	ForgetRunRecipients(ctx context.Context, id string, fire time.Time, people bool) error
	IndexMsg(ctx context.Context, msgID int64, id string, fire time.Time, kind string) error
	MsgCampaign(ctx context.Context, msgID int64) (string, time.Time, string, bool, error)
	SetMassReach(ctx context.Context, id string, r store.MassReach) error
	SubmitMass(ctx context.Context, id string, msgID int64, fire time.Time) error
	MassReaches(ctx context.Context, id string) ([]store.MassReach, error)
	TemplateFinished(ctx context.Context, id string, fire time.Time, openid string, msgID int64, status store.ItemStatus) (bool, error)
	TakeRate(ctx context.Context, name string, perSecond float64, burst, n int) (time.Duration, error)
	ClaimMassQuota(ctx context.Context, day, holder string) (bool, string, error)
	CommunityMembers(ctx context.Context, community string) ([]string, error)
	Audit(ctx context.Context, e store.AuditEntry) error
	ArchiveRun(ctx context.Context, a store.ArchivedRun) error
	RecordArticleSend(ctx context.Context, r store.ArticleSend, msgDataID int64) error
	AddArticleCampaign(ctx context.Context, id, campaign string) error
}

const (
	snapshotLease = 2 * time.Minute
	massPerMinute = 60
	maxAttempts   = 5
	// Lapsed claims are resent only within these windows, safely inside
	// WeChat's own dedup windows (24 h for clientmsgid, 10 min for
	// client_msg_id).
	massRetryWindow     = 23 * time.Hour
	templateRetryWindow = 9 * time.Minute
	massBatchMax        = 10000
)

// runDef is the snapshot of what a run sends, stored with the run so that a
// resumed run never picks up later edits.
type runDef struct {
	ID        string   `json:"id"`
	Channel   Channel  `json:"channel"`
	Audience  Audience `json:"audience"`
	Content   Content  `json:"content"`
	QuietFrom int      `json:"quiet_from"`
	QuietTo   int      `json:"quiet_to"`
	QuietSet  bool     `json:"quiet_set"`
	Hash      string   `json:"hash"`
}

func defOf(c *Campaign) runDef {
	return runDef{ID: c.ID, Channel: c.Channel, Audience: c.Audience, Content: c.Content,
		QuietFrom: c.QuietHours.From, QuietTo: c.QuietHours.To, QuietSet: c.QuietHours.Set, Hash: c.Hash()}
}

func (d runDef) quiet() QuietHours {
	return QuietHours{From: d.QuietFrom, To: d.QuietTo, Set: d.QuietSet}
}

// RunOptions adjust one run.
type RunOptions struct {
	IgnoreQuietHours bool // staff sending by hand (or the demo) outside the quiet hours rule
}

// RunEnd is how a run ended for this process.
type RunEnd string

// Run ends. A run stopped by its campaign's state ends as that run state
// (store.RunPaused, store.RunCancelled).
const (
	RunEndFinished    RunEnd = "finished"
	RunEndInterrupted RunEnd = "interrupted" // ctx ended; the run is resumable
	RunEndRunning     RunEnd = "running"     // this process already works on it
)

// RunResult is how a run ended for this process.
type RunResult struct {
	State   RunEnd // finished, paused, cancelled, or interrupted
	Counts  RunStats
	Stopped string // why it stopped, when not finished
}

// deliverer runs the workers of one run in this process.
type deliverer struct {
	m      *Manager
	ch     *channel
	def    runDef
	fire   time.Time
	opts   RunOptions
	log    *slog.Logger
	quotaM sync.Mutex
	quota  bool // the subscription account's daily mass send is ours
}

// snapshot fills a new run's queue: recipients for per-recipient channels,
// batches for batched ones. Only the snapshot owner calls it.
func (m *Manager) snapshot(ctx context.Context, def runDef, fire time.Time) error {
	ch, ok := channels[def.Channel]
	if !ok {
		return fmt.Errorf("campaigns: %s: unknown channel %q", def.ID, def.Channel)
	}
	var batches map[string]string
	var items []string
	var err error
	if ch.batched {
		batches, items, err = ch.plan(ctx, m, def)
	} else {
		items, err = ch.recipients(ctx, m, def.Audience)
	}
	if err != nil {
		return err
	}
	if err := m.opts.Store.AppendRun(ctx, def.ID, fire, m.owner, batches, items); err != nil {
		return err
	}
	n, err := m.opts.Store.ReadyRun(ctx, def.ID, fire, m.owner)
	if err != nil {
		return err
	}
	m.log.InfoContext(ctx, "campaigns: audience snapshot ready", slog.String("campaign", def.ID),
		slog.Int64("fire", fire.Unix()), slog.Int("items", n), slog.String("channel", string(def.Channel)))
	return nil
}

// followers lists the audience's openids, deduplicated, in a stable order.
func followers(ctx context.Context, m *Manager, a Audience) ([]string, error) {
	if m.opts.Audience == nil {
		return nil, errors.New("campaigns: no WeChat client to list followers")
	}
	if a.All {
		ids, err := m.opts.Audience.AllFollowers(ctx)
		if err != nil {
			return nil, fmt.Errorf("campaigns: list followers: %w", err)
		}
		return dedup(ids), nil
	}
	var ids []string
	for _, t := range a.Tags {
		l, err := m.opts.Audience.AllTagFollowers(ctx, t)
		if err != nil {
			return nil, fmt.Errorf("campaigns: list followers of tag %d: %w", t, err)
		}
		ids = append(ids, l...)
	}
	for _, c := range a.Communities {
		l, err := m.opts.Store.CommunityMembers(ctx, c)
		if err != nil {
			return nil, fmt.Errorf("campaigns: list community %s: %w", c, err)
		}
		slices.Sort(l) // sets come back in no order
		ids = append(ids, l...)
	}
	ids = append(ids, a.OpenIDs...)
	return dedup(ids), nil
}

func dedup(ids []string) []string {
	seen := make(map[string]struct{}, len(ids))
	out := ids[:0:0]
	for _, id := range ids {
		if _, ok := seen[id]; ok || id == "" {
			continue
		}
		seen[id] = struct{}{}
		out = append(out, id)
	}
	return out
}

// splitBatches cuts ids into as few mass/send batches as possible, of
// balanced sizes so that none falls below WeChat's minimum of 2.
func splitBatches(ids []string) [][]string {
	if len(ids) < 2 {
		return nil
	}
	n := (len(ids) + massBatchMax - 1) / massBatchMax
	size := (len(ids) + n - 1) / n
	var out [][]string
	for len(ids) > 0 {
		k := min(size, len(ids))
		out = append(out, ids[:k])
		ids = ids[k:]
	}
	return out
}

// work runs the workers of a ready run until it finishes, stops or ctx ends.
func (d *deliverer) work(ctx context.Context) RunResult {
	workers := d.m.opts.Workers
	if d.ch.batched {
		workers = 1 // 60 requests a minute leave nothing to parallelise
	}
	var wg sync.WaitGroup
	results := make(chan RunResult, workers)
	for range workers {
		wg.Go(func() { results <- d.worker(ctx) })
	}
	wg.Wait()
	close(results)
	res := RunResult{State: RunEndInterrupted}
	for r := range results {
		// "finished" from the worker that closed the run wins; then a stop
		// reason; "interrupted" only if nothing else was seen.
		if r.State == RunEndFinished || res.State == RunEndInterrupted {
			res = r
		}
	}
	return res
}

func (d *deliverer) worker(ctx context.Context) RunResult {
	st := d.m.opts.Store
	rate := 0.0
	if d.ch.rate != nil {
		rate = d.ch.rate(&d.m.opts)
	}
	for {
		if ctx.Err() != nil {
			return RunResult{State: RunEndInterrupted}
		}
		if !d.opts.IgnoreQuietHours {
			if quiet, until := d.def.quiet().Quiet(d.m.now()); quiet {
				d.log.InfoContext(ctx, "campaigns: quiet hours, waiting", slog.Time("until", until))
				if sleep(ctx, until.Sub(d.m.now())) != nil {
					return RunResult{State: RunEndInterrupted}
				}
				continue
			}
		}
		// Pace before claiming: the claim-to-send window, in which a crash
		// leaves an unknown, stays as short as one request.
		if rate > 0 {
			wait, err := st.TakeRate(ctx, d.ch.limiter, rate, max(1, int(rate/20)), 1)
			if err != nil {
				d.log.WarnContext(ctx, "campaigns: rate limit", slog.Any("err", err))
				wait = time.Second
			}
			if sleep(ctx, wait) != nil {
				return RunResult{State: RunEndInterrupted}
			}
		}
		c, err := st.ClaimRunItems(ctx, d.def.ID, d.fire, 1, d.m.opts.Lease, d.ch.retryWindow)
		if err != nil {
			if ctx.Err() != nil {
				return RunResult{State: RunEndInterrupted}
			}
			d.log.WarnContext(ctx, "campaigns: claim", slog.String("campaign", d.def.ID), slog.Any("err", err))
			if sleep(ctx, time.Second) != nil {
				return RunResult{State: RunEndInterrupted}
			}
			continue
		}
		switch c.Kind {
		case store.ClaimItems:
			for _, item := range c.Items {
				d.send(ctx, item)
			}
		case store.ClaimWait, store.ClaimDrain:
			if sleep(ctx, min(c.Wait, time.Second)) != nil {
				return RunResult{State: RunEndInterrupted}
			}
		case store.ClaimStop:
			return RunResult{State: RunEnd(c.State), Stopped: string(c.State)}
		case store.ClaimFinished:
			// Nothing sends for the run any more, so its records need no
			// openid: they keep their statuses under pseudonyms. Should this
			// fail, the records keep openids until they expire with the run.
			if err := st.ForgetRunRecipients(context.WithoutCancel(ctx), d.def.ID, d.fire, !d.ch.batched); err != nil {
				d.log.ErrorContext(ctx, "campaigns: run recipients keep their openids until the run expires",
					slog.String("campaign", d.def.ID), slog.Any("err", err))
			}
			return RunResult{State: RunEndFinished}
		}
	}
}

// send delivers one claimed item and records the outcome. It uses a context
// detached from cancellation: once a request may be on its way, shutting
// down waits for the answer and records it rather than leaving an unknown.
//
// An error the API answered means nothing was sent: transient ones are
// retried with backoff, permanent ones recorded and never retried. An error
// that may hide a send (timeout, 5xx, connection lost) is retried only on
// channels with an idempotency key, and recorded unknown on the others.
func (d *deliverer) send(parent context.Context, item string) {
	ctx := context.WithoutCancel(parent)
	st := d.m.opts.Store
	for attempt := 1; ; attempt++ {
		status, err := d.ch.send(ctx, d, item)
		if err == nil {
			d.record(ctx, item, status, nil)
			return
		}
		f := d.ch.classify(err, d.m.now())
		switch {
		case !f.holdUntil.IsZero():
			d.log.WarnContext(ctx, "campaigns: quota used, holding the run",
				slog.String("campaign", d.def.ID), slog.Time("until", f.holdUntil), slog.Any("err", err))
			d.release(ctx, item, f.holdUntil)
			return
		case f.certain && f.permanent:
			d.record(ctx, item, f.status, err)
			if f.account != "" {
				d.m.autoPause(ctx, d.def.ID, d.fire, f.account)
			}
			return
		case !f.certain && d.ch.retryWindow == 0:
			// No idempotency key: never risk a second copy.
			d.record(ctx, item, store.StatusUnknown, err)
			return
		case attempt >= maxAttempts:
			if f.certain {
				d.record(ctx, item, f.status, err)
			} else {
				d.record(ctx, item, store.StatusUnknown, err)
			}
			return
		}
		// Transient (or maybe-sent and idempotent): back off and retry.
		wait := f.retryAfter
		if wait > d.m.opts.Lease/2 {
			// Too long to hold a claim: hand it back and hold the run.
			d.log.InfoContext(ctx, "campaigns: the API asks to wait, holding the run",
				slog.String("campaign", d.def.ID), slog.String("code", f.code), slog.Duration("wait", wait))
			d.release(ctx, item, d.m.now().Add(wait))
			return
		}
		wait = max(wait, backoff(attempt))
		if ok, err := st.RenewRunItem(ctx, d.def.ID, d.fire, item, d.m.opts.Lease+wait); err != nil || !ok {
			return // lost the claim: whoever holds it now records it
		}
		d.log.DebugContext(ctx, "campaigns: retrying", slog.String("campaign", d.def.ID), slog.Int("attempt", attempt),
			slog.String("code", f.code), slog.Duration("wait", wait))
		if sleep(parent, wait) != nil {
			// Shutting down: the item was certainly not sent if certain,
			// else it stays in flight and its lease decides.
			if f.certain {
				d.release(ctx, item, time.Time{})
			}
			return
		}
	}
}

var errQuotaUsed = errors.New("campaigns: daily mass send already used")

// takeMassQuota claims the subscription account's one mass send of the day
// (China time) for this run; its batches all share it.
func (d *deliverer) takeMassQuota(ctx context.Context) error {
	d.quotaM.Lock()
	defer d.quotaM.Unlock()
	if d.quota {
		return nil
	}
	holder := d.def.ID + " " + strconv.FormatInt(d.fire.Unix(), 10)
	ok, found, err := d.m.opts.Store.ClaimMassQuota(ctx, store.Day(d.m.now()), holder)
	if err != nil {
		return err
	}
	if !ok {
		d.log.WarnContext(ctx, "campaigns: mass quota used today", slog.String("by", found))
		return errQuotaUsed
	}
	d.quota = true
	return nil
}

// record stores an item's outcome; a run of consecutive failures pauses the
// campaign. Openids are logged only at debug level.
func (d *deliverer) record(ctx context.Context, item string, result store.ItemStatus, cause error) {
	ok := result.Outcome() == store.OutcomeSent
	consec, recorded, err := d.m.opts.Store.RecordRunItem(ctx, d.def.ID, d.fire, item, result)
	if err != nil {
		d.log.ErrorContext(ctx, "campaigns: record outcome", slog.String("campaign", d.def.ID), slog.Any("err", err))
		return
	}
	if !ok {
		d.log.DebugContext(ctx, "campaigns: recipient not sent", slog.String("campaign", d.def.ID),
			slog.String("recipient", item), slog.String("result", string(result)), slog.Any("err", cause))
	}
	if !recorded || ok || (d.ch.refusal != nil && d.ch.refusal(result)) {
		return
	}
	if limit := d.m.opts.MaxConsecutiveErrors; limit > 0 && consec >= int64(limit) {
		d.m.autoPause(ctx, d.def.ID, d.fire, fmt.Sprintf("%d consecutive errors, last: %v", consec, cause))
	}
}

func (d *deliverer) release(ctx context.Context, item string, notBefore time.Time) {
	if err := d.m.opts.Store.ReleaseRunItem(ctx, d.def.ID, d.fire, item, notBefore); err != nil {
		d.log.ErrorContext(ctx, "campaigns: release", slog.String("campaign", d.def.ID), slog.Any("err", err))
	}
}

// notSent reports whether err proves the request had no effect: WeChat
// answered with an errcode, pufa refused it locally, or no connection was
// made. Anything else (timeouts, 5xx, a connection lost mid-request) may
// have been sent.
func notSent(err error) bool {
	if _, ok := wechat.ErrCode(err); ok {
		return true
	}
	if errors.Is(err, wechat.ErrInvalidRequest) || errors.Is(err, errQuotaUsed) {
		return true
	}
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// accountLevel errcodes fail every recipient alike: continuing only burns
// quota and logs.
func accountLevel(code int) bool {
	switch code {
	case 45028, 48003, 48001, 40037, 40007:
		return true
	}
	return false
}

func backoff(attempt int) time.Duration {
	d := 200 * time.Millisecond << min(attempt-1, 6)
	d = min(d, 10*time.Second)
	return d/2 + rand.N(d/2+1)
}

func nextMidnight(t time.Time) time.Time {
	t = t.In(chinatime.Zone)
	return time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, chinatime.Zone)
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func encodeDef(d runDef) string {
	b, _ := json.Marshal(d) // plain data: cannot fail
	return string(b)
}

func decodeDef(s string) (runDef, error) {
	var d runDef
	if err := json.Unmarshal([]byte(s), &d); err != nil {
		return d, fmt.Errorf("campaigns: run snapshot: %w", err)
	}
	return d, nil
}
