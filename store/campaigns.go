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
// this file only its storage (see the key layout in keys.go). Each Lua
// script sits above the method that runs it. Lua formats numbers with 14
// significant digits, so every millisecond or microsecond timestamp is
// written with string.format('%.0f').

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

// CampaignIDs lists every campaign with recorded state.
func (s *Store) CampaignIDs(ctx context.Context) ([]string, error) {
	ids, err := s.rdb.SMembers(ctx, s.keyCampaignIndex()).Result()
	if err != nil {
		return nil, fmt.Errorf("store: campaign ids: %w", err)
	}
	return ids, nil
}

// The campaign hash's fields, named once here and in the Lua beside them.
const (
	fieldState        = "state"
	fieldStateAt      = "state_at"
	fieldApprovedBy   = "approved_by"
	fieldApprovedAt   = "approved_at"
	fieldApprovedHash = "approved_hash"
	fieldPauseReason  = "pause_reason"
	fieldRun          = "run"
	fieldLastFire     = "last_fire"
	fieldFires        = "fires"
	fieldMissedFires  = "missed_fires"
	fieldPreviewedBy  = "previewed_by"
	fieldPreviewedAt  = "previewed_at"
	fieldPreviewHash  = "previewed_hash"
	// fieldReachPrefix + a ReachCounter counts TEMPLATESENDJOBFINISH
	// outcomes over all runs (templateFinishScript).
	fieldReachPrefix = "reach_"
)

// CampaignRecord is what Redis holds about a campaign: its lifecycle state
// (the campaigns package owns what the states mean), the approval, the fire
// counters and the latest run. The zero record is a campaign never touched.
type CampaignRecord struct {
	State        string // "" = nothing recorded (a draft)
	StateAt      time.Time
	ApprovedBy   string
	ApprovedAt   time.Time
	ApprovedHash string // Campaign.Hash of what was approved
	PauseReason  string
	Run          time.Time // fire of the current or latest run
	LastFire     time.Time // latest fire handled (sent, skipped or missed)
	Fires        int64
	MissedFires  int64
	Preview      Preview
	// TEMPLATESENDJOBFINISH outcomes over all runs.
	Delivered, Blocked, AsyncFailed int64
}

// Preview records the latest preview sent to staff.
type Preview struct {
	By   string
	At   time.Time
	Hash string
}

func unixField(h map[string]string, k string) time.Time {
	n, err := strconv.ParseInt(h[k], 10, 64)
	if err != nil || n == 0 {
		return time.Time{}
	}
	return time.Unix(n, 0)
}

func intField(h map[string]string, k string) int64 {
	n, _ := strconv.ParseInt(h[k], 10, 64)
	return n
}

func unixValue(t time.Time) string {
	if t.IsZero() {
		return "0"
	}
	return strconv.FormatInt(t.Unix(), 10)
}

// Campaign returns a campaign's record (zero when nothing is recorded).
func (s *Store) Campaign(ctx context.Context, id string) (CampaignRecord, error) {
	h, err := s.rdb.HGetAll(ctx, s.keyCampaign(id)).Result()
	if err != nil {
		return CampaignRecord{}, fmt.Errorf("store: campaign %s: %w", id, err)
	}
	return CampaignRecord{
		State: h[fieldState], StateAt: unixField(h, fieldStateAt),
		ApprovedBy: h[fieldApprovedBy], ApprovedAt: unixField(h, fieldApprovedAt), ApprovedHash: h[fieldApprovedHash],
		PauseReason: h[fieldPauseReason], Run: unixField(h, fieldRun), LastFire: unixField(h, fieldLastFire),
		Fires: intField(h, fieldFires), MissedFires: intField(h, fieldMissedFires),
		Preview:   Preview{By: h[fieldPreviewedBy], At: unixField(h, fieldPreviewedAt), Hash: h[fieldPreviewHash]},
		Delivered: intField(h, fieldReachPrefix+string(ReachDelivered)), Blocked: intField(h, fieldReachPrefix+string(ReachBlocked)),
		AsyncFailed: intField(h, fieldReachPrefix+string(ReachAsyncFailed)),
	}, nil
}

// StateChange is one compare-and-set transition of a campaign. Besides the
// state it sets only what the transition names.
type StateChange struct {
	From, To string    // From "" = nothing recorded yet
	At       time.Time // when; recorded as the state's time
	Log      string    // audit entry appended to the campaign's log

	Approval    *Approval // approve: who approved which content
	PauseReason *string   // pause sets it, resume clears it; nil leaves it
	Run         time.Time // non-zero: a run of this fire starts (becomes the campaign's run)

	RunFire  time.Time // non-zero: the run whose state also changes...
	RunState RunState  // ...to this, unless that run has ended
}

// Approval is who approved which content of a campaign, and when.
type Approval struct {
	By   string
	At   time.Time
	Hash string
}

func (c StateChange) fields() []any {
	var f []any
	if !c.At.IsZero() {
		f = append(f, fieldStateAt, unixValue(c.At))
	}
	if a := c.Approval; a != nil {
		f = append(f, fieldApprovedBy, a.By, fieldApprovedAt, unixValue(a.At), fieldApprovedHash, a.Hash)
	}
	if c.PauseReason != nil {
		f = append(f, fieldPauseReason, *c.PauseReason)
	}
	if !c.Run.IsZero() {
		f = append(f, fieldRun, unixValue(c.Run))
	}
	return f
}

// campaignStateScript moves a campaign from one state to another only if it
// is still in the expected one ("" = nothing recorded yet), so that two
// replicas or a person and the scheduler never both win a transition. It
// also sets fields, appends to the audit log and, when ARGV[4] is set,
// changes the state of the current run unless that run has ended.
// KEYS[1] campaign hash, KEYS[2] log list, KEYS[3] run hash.
// ARGV[1] expected state, ARGV[2] new state, ARGV[3] log entry,
// ARGV[4] run state or "", ARGV[5..] field/value pairs.
// Returns {1|0, state before}.
var campaignStateScript = redis.NewScript(`
local cur = redis.call('HGET', KEYS[1], 'state') or ''
if cur ~= ARGV[1] then return {0, cur} end
for i = 5, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i+1]) end
redis.call('HSET', KEYS[1], 'state', ARGV[2])
if ARGV[3] ~= '' then
  redis.call('RPUSH', KEYS[2], ARGV[3])
  redis.call('LTRIM', KEYS[2], -500, -1)
end
if ARGV[4] ~= '' and redis.call('EXISTS', KEYS[3]) == 1 then
  local rs = redis.call('HGET', KEYS[3], 'state')
  if rs ~= 'finished' and rs ~= 'cancelled' then redis.call('HSET', KEYS[3], 'state', ARGV[4]) end
end
return {1, cur}
`)

// SetCampaignState applies c if the campaign is still in c.From. ok=false
// reports the state found instead.
func (s *Store) SetCampaignState(ctx context.Context, id string, c StateChange) (ok bool, found string, err error) {
	args := append([]any{c.From, c.To, c.Log, string(c.RunState)}, c.fields()...)
	var runFire int64
	if !c.RunFire.IsZero() {
		runFire = c.RunFire.Unix()
	}
	keys := []string{s.keyCampaign(id), s.keyCampaignLog(id), s.keyRun(id, runFire)}
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

// SetCampaignPreview records a preview; it takes part in no transition.
func (s *Store) SetCampaignPreview(ctx context.Context, id string, p Preview) error {
	err := s.rdb.HSet(ctx, s.keyCampaign(id), fieldPreviewedBy, p.By, fieldPreviewedAt, unixValue(p.At), fieldPreviewHash, p.Hash).Err()
	if err != nil {
		return fmt.Errorf("store: campaign %s preview: %w", id, err)
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

// claimFireScript makes one fire of a campaign happen once across replicas:
// the fire key is set NX, and a fire not later than the last handled one is
// refused, so a lagging replica cannot run a fire another replica has
// already superseded. The winner counts the missed fires it was given that
// are newer than the last handled one (plus this one unless it runs).
// KEYS[1] fire key, KEYS[2] campaign hash.
// ARGV[1] fire (unix s), ARGV[2] key TTL (ms), ARGV[3] run|skip|late,
// ARGV[4..] older fire times the caller found due.
// Returns {1|0, missed}.
var claimFireScript = redis.NewScript(`
local at = tonumber(ARGV[1])
local last = tonumber(redis.call('HGET', KEYS[2], 'last_fire') or '0')
if at <= last then return {0, 0} end
if not redis.call('SET', KEYS[1], ARGV[3], 'NX', 'PX', ARGV[2]) then return {0, 0} end
local n = 0
for i = 4, #ARGV do
  local t = tonumber(ARGV[i])
  if t > last and t < at then n = n + 1 end
end
if ARGV[3] == 'run' then redis.call('HINCRBY', KEYS[2], 'fires', 1) else n = n + 1 end
if n > 0 then redis.call('HINCRBY', KEYS[2], 'missed_fires', n) end
redis.call('HSET', KEYS[2], 'last_fire', ARGV[1])
return {1, n}
`)

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

// CommunityMembers lists the current followers known to be from a community.
func (s *Store) CommunityMembers(ctx context.Context, community string) ([]string, error) {
	m, err := s.rdb.SMembers(ctx, s.keyCommunityFollowers(community)).Result()
	if err != nil {
		return nil, fmt.Errorf("store: community members: %w", err)
	}
	return m, nil
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
