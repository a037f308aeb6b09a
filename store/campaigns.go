package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Campaign state kept in Redis; the campaigns package owns its meaning and
// this file only its storage (see the key layout in keys.go).

const (
	// fireTTL keeps a fire-once claim far longer than any catch-up window,
	// so a fire can never be claimed twice.
	fireTTL = 30 * 24 * time.Hour
	// msgIndexTTL keeps msg_id → campaign long enough for WeChat's late
	// MASSSENDJOBFINISH / TEMPLATESENDJOBFINISH callbacks.
	msgIndexTTL = 30 * 24 * time.Hour
	// runRetention is how long a finished run's per-recipient keys are kept
	// for reach statistics (under pseudonyms once ForgetRunRecipients ran);
	// the run's counters stay.
	runRetention = 90 * 24 * time.Hour
	// massQuotaTTL outlives the China calendar day it guards.
	massQuotaTTL = 48 * time.Hour
)

// Run phases and claim outcomes.
const (
	RunBeginNew   = "new"   // the caller owns the snapshot and must fill it
	RunBeginBusy  = "busy"  // another live replica is taking the snapshot
	RunBeginReady = "ready" // the snapshot exists: claim items
)

// ErrSnapshotLost means another replica took over a run's snapshot after the
// caller's lease lapsed; the caller must stop writing to it.
var ErrSnapshotLost = errors.New("store: run snapshot taken over by another replica")

// CampaignIDs lists every campaign with recorded state.
func (s *Store) CampaignIDs(ctx context.Context) ([]string, error) {
	ids, err := s.rdb.SMembers(ctx, s.keyCampaignIndex()).Result()
	if err != nil {
		return nil, fmt.Errorf("store: campaign ids: %w", err)
	}
	return ids, nil
}

// Campaign returns a campaign's state hash (empty when nothing is recorded).
func (s *Store) Campaign(ctx context.Context, id string) (map[string]string, error) {
	h, err := s.rdb.HGetAll(ctx, s.keyCampaign(id)).Result()
	if err != nil {
		return nil, fmt.Errorf("store: campaign %s: %w", id, err)
	}
	return h, nil
}

// StateChange is one compare-and-set transition of a campaign.
type StateChange struct {
	From, To string            // From "" = nothing recorded yet
	Log      string            // audit entry appended to the campaign's log
	RunFire  int64             // when non-zero, the run whose state also changes
	RunState string            // new state of that run unless it has ended
	Fields   map[string]string // set on the campaign hash with the state
}

// SetCampaignState applies c if the campaign is still in c.From. ok=false
// reports the state found instead.
func (s *Store) SetCampaignState(ctx context.Context, id string, c StateChange) (ok bool, found string, err error) {
	args := []any{c.From, c.To, c.Log, c.RunState}
	for k, v := range c.Fields {
		args = append(args, k, v)
	}
	keys := []string{s.keyCampaign(id), s.keyCampaignLog(id), s.keyRun(id, c.RunFire)}
	res, err := campaignStateScript.Run(ctx, s.rdb, keys, args...).Slice()
	if err != nil {
		return false, "", fmt.Errorf("store: campaign %s state: %w", id, err)
	}
	if err := s.rdb.SAdd(ctx, s.keyCampaignIndex(), id).Err(); err != nil {
		return false, "", fmt.Errorf("store: campaign index: %w", err)
	}
	found, _ = res[1].(string)
	return res[0].(int64) == 1, found, nil
}

// SetCampaignFields sets informational fields (preview records, warnings)
// that take part in no transition.
func (s *Store) SetCampaignFields(ctx context.Context, id string, fields map[string]string) error {
	if err := s.rdb.HSet(ctx, s.keyCampaign(id), fields).Err(); err != nil {
		return fmt.Errorf("store: campaign %s: %w", id, err)
	}
	return nil
}

// CampaignLog returns the audit log of state changes, oldest first.
func (s *Store) CampaignLog(ctx context.Context, id string) ([]string, error) {
	l, err := s.rdb.LRange(ctx, s.keyCampaignLog(id), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("store: campaign %s log: %w", id, err)
	}
	return l, nil
}

// FireClaim is the outcome of ClaimFire.
type FireClaim struct {
	Won    bool // this caller handles the fire; false = another replica did, or a later fire superseded it
	Missed int  // fires this claim counted as missed (older ones given, plus this one unless it runs)
}

// ClaimFire claims fire time at of campaign id once across all replicas.
// mode is "run" (the caller sends), "skip" or "late" (counted as missed).
// older lists earlier due fire times the caller is folding into this one.
func (s *Store) ClaimFire(ctx context.Context, id string, at time.Time, mode string, older []time.Time) (FireClaim, error) {
	args := make([]any, 0, 3+len(older))
	args = append(args, at.Unix(), fireTTL.Milliseconds(), mode)
	for _, t := range older {
		args = append(args, t.Unix())
	}
	keys := []string{s.keyCampaignFire(id, at.Unix()), s.keyCampaign(id)}
	res, err := claimFireScript.Run(ctx, s.rdb, keys, args...).Int64Slice()
	if err != nil {
		return FireClaim{}, fmt.Errorf("store: claim fire %s@%d: %w", id, at.Unix(), err)
	}
	if err := s.rdb.SAdd(ctx, s.keyCampaignIndex(), id).Err(); err != nil {
		return FireClaim{}, fmt.Errorf("store: campaign index: %w", err)
	}
	return FireClaim{Won: res[0] == 1, Missed: int(res[1])}, nil
}

// FireClaimed reports what the fire key of at holds ("" = not claimed).
func (s *Store) FireClaimed(ctx context.Context, id string, at time.Time) (string, error) {
	v, err := s.rdb.Get(ctx, s.keyCampaignFire(id, at.Unix())).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("store: fire %s@%d: %w", id, at.Unix(), err)
	}
	return v, nil
}

func (s *Store) runKeys(id string, fire int64) (run, queue, status, inflight, retry, batches string) {
	run = s.keyRun(id, fire)
	return run, run + ":queue", run + ":status", run + ":inflight", run + ":retry", run + ":batches"
}

// BeginRun starts or joins run fire of campaign id. "new" makes the caller
// the snapshot owner for lease: it must AppendRun and ReadyRun. fields are
// stored on the run hash when the snapshot starts.
func (s *Store) BeginRun(ctx context.Context, id string, fire time.Time, owner string, lease time.Duration, fields map[string]string) (string, error) {
	run, queue, status, inflight, retry, batches := s.runKeys(id, fire.Unix())
	args := []any{fire.Unix(), owner, lease.Milliseconds()}
	for k, v := range fields {
		args = append(args, k, v)
	}
	res, err := beginRunScript.Run(ctx, s.rdb,
		[]string{run, queue, status, inflight, retry, batches, s.keyCampaignRuns(id)}, args...).Text()
	if err != nil {
		return "", fmt.Errorf("store: begin run %s@%d: %w", id, fire.Unix(), err)
	}
	return res, nil
}

// AppendRun adds mass batches (n → newline-joined openids) and queue items
// to a snapshot the caller owns.
func (s *Store) AppendRun(ctx context.Context, id string, fire time.Time, owner string, batches map[string]string, items []string) error {
	run, queue, _, _, _, batchKey := s.runKeys(id, fire.Unix())
	const chunk = 5000
	first := true
	for first || len(items) > 0 {
		n := min(chunk, len(items))
		args := []any{owner, 0}
		if first {
			args[1] = len(batches)
			for k, v := range batches {
				args = append(args, k, v)
			}
		}
		for _, it := range items[:n] {
			args = append(args, it)
		}
		items, first = items[n:], false
		ok, err := appendRunScript.Run(ctx, s.rdb, []string{run, queue, batchKey}, args...).Int()
		if err != nil {
			return fmt.Errorf("store: append run %s@%d: %w", id, fire.Unix(), err)
		}
		if ok != 1 {
			return ErrSnapshotLost
		}
	}
	return nil
}

// ReadyRun ends a snapshot the caller owns and returns its size.
func (s *Store) ReadyRun(ctx context.Context, id string, fire time.Time, owner string) (int, error) {
	run, queue, _, _, _, _ := s.runKeys(id, fire.Unix())
	n, err := readyRunScript.Run(ctx, s.rdb, []string{run, queue}, owner).Int()
	if err != nil {
		return 0, fmt.Errorf("store: ready run %s@%d: %w", id, fire.Unix(), err)
	}
	if n < 0 {
		return 0, ErrSnapshotLost
	}
	return n, nil
}

// Run returns a run's hash (empty when the run does not exist).
func (s *Store) Run(ctx context.Context, id string, fire time.Time) (map[string]string, error) {
	h, err := s.rdb.HGetAll(ctx, s.keyRun(id, fire.Unix())).Result()
	if err != nil {
		return nil, fmt.Errorf("store: run %s@%d: %w", id, fire.Unix(), err)
	}
	return h, nil
}

// SetRunFields sets fields of an existing run hash.
func (s *Store) SetRunFields(ctx context.Context, id string, fire time.Time, fields map[string]string) error {
	if err := s.rdb.HSet(ctx, s.keyRun(id, fire.Unix()), fields).Err(); err != nil {
		return fmt.Errorf("store: run %s@%d: %w", id, fire.Unix(), err)
	}
	return nil
}

// RunFires lists the fire times of a campaign's runs, oldest first.
func (s *Store) RunFires(ctx context.Context, id string) ([]time.Time, error) {
	v, err := s.rdb.ZRange(ctx, s.keyCampaignRuns(id), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("store: runs of %s: %w", id, err)
	}
	out := make([]time.Time, 0, len(v))
	for _, f := range v {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("store: runs of %s: bad fire %q", id, f)
		}
		out = append(out, time.Unix(n, 0))
	}
	return out, nil
}

// RunBatch returns what mass batch n of a run targets, as stored by AppendRun.
func (s *Store) RunBatch(ctx context.Context, id string, fire time.Time, n string) (string, error) {
	_, _, _, _, _, batches := s.runKeys(id, fire.Unix())
	v, err := s.rdb.HGet(ctx, batches, n).Result()
	if err != nil {
		return "", fmt.Errorf("store: batch %s of %s@%d: %w", n, id, fire.Unix(), err)
	}
	return v, nil
}

// CommunityMembers lists the current followers known to be from a community.
func (s *Store) CommunityMembers(ctx context.Context, community string) ([]string, error) {
	m, err := s.rdb.SMembers(ctx, s.keyCommunityFollowers(community)).Result()
	if err != nil {
		return nil, fmt.Errorf("store: community members: %w", err)
	}
	return m, nil
}

// ClaimKind tells what ClaimRunItems found.
type ClaimKind string

// Claim outcomes of ClaimRunItems.
const (
	ClaimItems    ClaimKind = "items"    // Items are the caller's to send
	ClaimWait     ClaimKind = "wait"     // the run holds (snapshot not ready, not_before): retry after Wait
	ClaimDrain    ClaimKind = "drain"    // nothing to hand out but claims are in flight: retry after Wait
	ClaimStop     ClaimKind = "stop"     // the run is not running (State: paused, cancelled, finished)
	ClaimFinished ClaimKind = "finished" // this caller finished the run: it ends the campaign's fire
)

// RunClaim is the outcome of ClaimRunItems.
type RunClaim struct {
	Kind  ClaimKind
	Items []string
	Wait  time.Duration
	State string
}

// ClaimRunItems claims up to n items of a running run for lease. Lapsed
// claims claimed less than retryWithin ago are handed out again; older ones
// become unknown (see claimItemsScript).
func (s *Store) ClaimRunItems(ctx context.Context, id string, fire time.Time, n int, lease, retryWithin time.Duration) (RunClaim, error) {
	run, queue, status, inflight, retry, _ := s.runKeys(id, fire.Unix())
	res, err := claimItemsScript.Run(ctx, s.rdb, []string{run, queue, status, inflight, retry},
		n, lease.Milliseconds(), retryWithin.Milliseconds()).StringSlice()
	if err != nil {
		return RunClaim{}, fmt.Errorf("store: claim %s@%d: %w", id, fire.Unix(), err)
	}
	c := RunClaim{Kind: ClaimKind(res[0])}
	switch c.Kind {
	case ClaimItems:
		c.Items = res[1:]
	case ClaimWait, ClaimDrain:
		ms, _ := strconv.ParseInt(res[1], 10, 64)
		c.Wait = time.Duration(ms) * time.Millisecond
	case ClaimStop:
		c.State = res[1]
	case ClaimFinished:
		// Per-recipient keys hold openids: keep them only for the reach
		// statistics' retention.
		_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			_, queue, status, inflight, retry, batches := s.runKeys(id, fire.Unix())
			for _, k := range []string{queue, status, inflight, retry, batches} {
				p.Expire(ctx, k, runRetention)
			}
			return nil
		})
		if err != nil {
			return RunClaim{}, fmt.Errorf("store: expire run %s@%d: %w", id, fire.Unix(), err)
		}
	default:
		return RunClaim{}, fmt.Errorf("store: claim %s@%d: unexpected reply %q", id, fire.Unix(), res)
	}
	return c, nil
}

// RecordRunItem stores the outcome of a claimed item: result is its status
// ("s", "s:<msgid>", "f:<code>", "u"), counter the run counter to bump (sent,
// failed or unknown). It returns the run's consecutive failures; recorded is
// false when the item had already been recorded.
func (s *Store) RecordRunItem(ctx context.Context, id string, fire time.Time, item, result, counter string, ok bool) (consecutive int64, recorded bool, err error) {
	run, _, status, inflight, retry, _ := s.runKeys(id, fire.Unix())
	okArg := "0"
	if ok {
		okArg = "1"
	}
	res, err := recordItemScript.Run(ctx, s.rdb, []string{run, status, inflight, retry}, item, result, counter, okArg,
		s.recipientPseudonym(id, fire, item)).Int64Slice()
	if err != nil {
		return 0, false, fmt.Errorf("store: record %s@%d: %w", id, fire.Unix(), err)
	}
	return res[1], res[0] == 1, nil
}

// ReleaseRunItem returns a claimed item that was certainly not sent to the
// retry list; a non-zero notBefore holds the whole run until then.
func (s *Store) ReleaseRunItem(ctx context.Context, id string, fire time.Time, item string, notBefore time.Time) error {
	run, _, status, inflight, retry, _ := s.runKeys(id, fire.Unix())
	var nb int64
	if !notBefore.IsZero() {
		nb = notBefore.UnixMilli()
	}
	if err := releaseItemScript.Run(ctx, s.rdb, []string{run, status, inflight, retry}, item, nb).Err(); err != nil {
		return fmt.Errorf("store: release %s@%d: %w", id, fire.Unix(), err)
	}
	return nil
}

// RenewRunItem extends the lease of a claimed item; false = claim lost.
func (s *Store) RenewRunItem(ctx context.Context, id string, fire time.Time, item string, lease time.Duration) (bool, error) {
	_, _, status, inflight, _, _ := s.runKeys(id, fire.Unix())
	n, err := renewItemScript.Run(ctx, s.rdb, []string{status, inflight}, item, lease.Milliseconds()).Int()
	if err != nil {
		return false, fmt.Errorf("store: renew %s@%d: %w", id, fire.Unix(), err)
	}
	return n == 1, nil
}

// RunStatus returns one recipient's status in a run, "" when there is none,
// before and after ForgetRunRecipients.
func (s *Store) RunStatus(ctx context.Context, id string, fire time.Time, openid string) (string, error) {
	_, _, status, _, _, _ := s.runKeys(id, fire.Unix())
	v, err := s.rdb.HMGet(ctx, status, openid, s.recipientPseudonym(id, fire, openid)).Result()
	if err != nil {
		return "", fmt.Errorf("store: status %s@%d: %w", id, fire.Unix(), err)
	}
	for _, x := range v {
		if str, ok := x.(string); ok {
			return str, nil
		}
	}
	return "", nil
}

// recipientPseudonym stands in for openid in a run's statuses once the run
// ended. It differs between runs, so that runs cannot be linked by it; "~"
// tells it from an openid.
func (s *Store) recipientPseudonym(id string, fire time.Time, openid string) string {
	return "~" + s.pseudonym("campaign recipient", id, strconv.FormatInt(fire.Unix(), 10), openid)
}

// ForgetRunRecipients removes the openids a finished run still holds: each
// per-recipient status moves to a keyed hash of the openid (see
// recipientPseudonym), and a mass run's batches (lists of openids) are
// deleted. The run's counters and every status stay, and TemplateFinished,
// RunStatus and a slow sender's RecordRunItem still find a recipient by
// openid. Nothing sends for the run any more, so no claim reads the openids:
// the delivery guarantees do not depend on them. It is idempotent; the
// caller that finished the run calls it.
func (s *Store) ForgetRunRecipients(ctx context.Context, id string, fire time.Time) error {
	run, _, status, _, _, batches := s.runKeys(id, fire.Unix())
	h, err := s.rdb.HMGet(ctx, run, "state", "channel").Result()
	if err != nil {
		return fmt.Errorf("store: forget recipients %s@%d: %w", id, fire.Unix(), err)
	}
	if state, _ := h[0].(string); state != "finished" {
		return fmt.Errorf("store: forget recipients %s@%d: run is %q, not finished", id, fire.Unix(), state)
	}
	if err := s.rdb.Del(ctx, batches).Err(); err != nil {
		return fmt.Errorf("store: forget recipients %s@%d: %w", id, fire.Unix(), err)
	}
	if channel, _ := h[1].(string); channel == "mass" {
		return nil // its items are batches ("all", "tag:<id>", "b:<n>"), not openids
	}
	const batch = 500
	var args []any
	flush := func() error {
		if len(args) == 0 {
			return nil
		}
		err := forgetRecipientsScript.Run(ctx, s.rdb, []string{status}, args...).Err()
		args = args[:0]
		return err
	}
	iter := s.rdb.HScan(ctx, status, 0, "", 1000).Iterator()
	for iter.Next(ctx) {
		o := iter.Val()
		if !iter.Next(ctx) { // the field's value
			break
		}
		if strings.HasPrefix(o, "~") {
			continue
		}
		if args = append(args, o, s.recipientPseudonym(id, fire, o)); len(args) >= 2*batch {
			if err := flush(); err != nil {
				return fmt.Errorf("store: forget recipients %s@%d: %w", id, fire.Unix(), err)
			}
		}
	}
	if err := iter.Err(); err != nil {
		return fmt.Errorf("store: forget recipients %s@%d: %w", id, fire.Unix(), err)
	}
	if err := flush(); err != nil {
		return fmt.Errorf("store: forget recipients %s@%d: %w", id, fire.Unix(), err)
	}
	return nil
}

// RunStatuses returns every recipient's status in a run: by openid while it
// runs, by pseudonym ("~…") after ForgetRunRecipients.
func (s *Store) RunStatuses(ctx context.Context, id string, fire time.Time) (map[string]string, error) {
	_, _, status, _, _, _ := s.runKeys(id, fire.Unix())
	out := map[string]string{}
	iter := s.rdb.HScan(ctx, status, 0, "", 5000).Iterator()
	for iter.Next(ctx) {
		k := iter.Val()
		if !iter.Next(ctx) {
			break
		}
		out[k] = iter.Val()
	}
	if err := iter.Err(); err != nil {
		return nil, fmt.Errorf("store: statuses %s@%d: %w", id, fire.Unix(), err)
	}
	return out, nil
}

// IndexMsg remembers which campaign run a WeChat msg_id belongs to, for the
// job-finish callbacks.
func (s *Store) IndexMsg(ctx context.Context, msgID int64, id string, fire time.Time, kind string) error {
	v := id + " " + strconv.FormatInt(fire.Unix(), 10) + " " + kind
	if err := s.rdb.Set(ctx, s.keyCampaignMsg(msgID), v, msgIndexTTL).Err(); err != nil {
		return fmt.Errorf("store: index msg %d: %w", msgID, err)
	}
	return nil
}

// MsgCampaign resolves a msg_id recorded by IndexMsg; ok=false when unknown.
func (s *Store) MsgCampaign(ctx context.Context, msgID int64) (id string, fire time.Time, kind string, ok bool, err error) {
	v, err := s.rdb.Get(ctx, s.keyCampaignMsg(msgID)).Result()
	if errors.Is(err, redis.Nil) {
		return "", time.Time{}, "", false, nil
	}
	if err != nil {
		return "", time.Time{}, "", false, fmt.Errorf("store: msg %d: %w", msgID, err)
	}
	f := strings.Fields(v)
	if len(f) != 3 {
		return "", time.Time{}, "", false, fmt.Errorf("store: msg %d: bad index %q", msgID, v)
	}
	unix, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		return "", time.Time{}, "", false, fmt.Errorf("store: msg %d: bad index %q", msgID, v)
	}
	return f[0], time.Unix(unix, 0), f[2], true, nil
}

// MassReach is what one MASSSENDJOBFINISH reported.
type MassReach struct {
	MsgID                         int64
	Fire                          time.Time
	Total, Filtered, Sent, Errors int64
	Status                        string
	Reported                      bool // false = submitted, no callback yet
}

// SetMassReach stores the counts of a mass job; a repeated callback
// overwrites the same entry, so it never counts twice.
func (s *Store) SetMassReach(ctx context.Context, id string, r MassReach) error {
	v := fmt.Sprintf("%d %d %d %d %d %s", r.Fire.Unix(), r.Total, r.Filtered, r.Sent, r.Errors, strings.ReplaceAll(r.Status, " ", "_"))
	if !r.Reported {
		v = fmt.Sprintf("%d - - - - submitted", r.Fire.Unix())
	}
	if err := s.rdb.HSet(ctx, s.keyCampaignMass(id), strconv.FormatInt(r.MsgID, 10), v).Err(); err != nil {
		return fmt.Errorf("store: mass reach %s: %w", id, err)
	}
	return nil
}

// SubmitMass records a submitted mass job unless a callback already
// reported it.
func (s *Store) SubmitMass(ctx context.Context, id string, msgID int64, fire time.Time) error {
	v := fmt.Sprintf("%d - - - - submitted", fire.Unix())
	if err := s.rdb.HSetNX(ctx, s.keyCampaignMass(id), strconv.FormatInt(msgID, 10), v).Err(); err != nil {
		return fmt.Errorf("store: mass submit %s: %w", id, err)
	}
	return nil
}

// MassReaches returns every mass job recorded for campaign id.
func (s *Store) MassReaches(ctx context.Context, id string) ([]MassReach, error) {
	h, err := s.rdb.HGetAll(ctx, s.keyCampaignMass(id)).Result()
	if err != nil {
		return nil, fmt.Errorf("store: mass reach %s: %w", id, err)
	}
	out := make([]MassReach, 0, len(h))
	for k, v := range h {
		var r MassReach
		r.MsgID, _ = strconv.ParseInt(k, 10, 64)
		f := strings.Fields(v)
		if len(f) != 6 {
			continue
		}
		unix, _ := strconv.ParseInt(f[0], 10, 64)
		r.Fire = time.Unix(unix, 0)
		r.Status = strings.ReplaceAll(f[5], "_", " ")
		if f[1] != "-" {
			r.Reported = true
			r.Total, _ = strconv.ParseInt(f[1], 10, 64)
			r.Filtered, _ = strconv.ParseInt(f[2], 10, 64)
			r.Sent, _ = strconv.ParseInt(f[3], 10, 64)
			r.Errors, _ = strconv.ParseInt(f[4], 10, 64)
		}
		out = append(out, r)
	}
	return out, nil
}

// TemplateFinished applies a TEMPLATESENDJOBFINISH to one recipient of a
// run once: status is the recipient's new status, counter the run and
// campaign counter to bump. It reports whether anything changed.
func (s *Store) TemplateFinished(ctx context.Context, id string, fire time.Time, openid string, msgID int64, status, counter string) (bool, error) {
	run, _, st, _, _, _ := s.runKeys(id, fire.Unix())
	n, err := templateFinishScript.Run(ctx, s.rdb, []string{run, st, s.keyCampaign(id)},
		openid, msgID, status, counter, s.recipientPseudonym(id, fire, openid)).Int()
	if err != nil {
		return false, fmt.Errorf("store: template finish %s: %w", id, err)
	}
	return n == 1, nil
}

// TakeRate reserves n tokens of the rate limit name (perSecond tokens per
// second, up to burst at once), shared by every replica, and returns how
// long the caller must wait before using them.
func (s *Store) TakeRate(ctx context.Context, name string, perSecond float64, burst, n int) (time.Duration, error) {
	if perSecond <= 0 {
		return 0, nil
	}
	interval := int64(1e6 / perSecond)
	res, err := rateScript.Run(ctx, s.rdb, []string{s.keyRateLimit(name)}, max(interval, 1), burst, n).Text()
	if err != nil {
		return 0, fmt.Errorf("store: rate %s: %w", name, err)
	}
	us, err := strconv.ParseInt(res, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("store: rate %s: bad reply %q", name, res)
	}
	return time.Duration(us) * time.Microsecond, nil
}

// ClaimMassQuota takes the day's one mass send of a subscription account
// for holder ("<id> <fire>"); it returns the holder found when another one
// already used it. day is yyyymmdd (see Day).
func (s *Store) ClaimMassQuota(ctx context.Context, day, holder string) (ok bool, found string, err error) {
	prev, err := s.rdb.SetArgs(ctx, s.keyMassQuota(day), holder, redis.SetArgs{Mode: "NX", Get: true, TTL: massQuotaTTL}).Result()
	switch {
	case errors.Is(err, redis.Nil):
		return true, holder, nil
	case err != nil:
		return false, "", fmt.Errorf("store: mass quota: %w", err)
	}
	return prev == holder, prev, nil
}
