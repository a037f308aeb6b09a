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

// Runs: one fire of a campaign, its audience snapshot, and the
// per-recipient claim / record / lease machinery that makes delivery
// exactly-once where WeChat allows it (see package campaigns).

// Run phases and claim outcomes.
const (
	RunBeginNew   = "new"   // the caller owns the snapshot and must fill it
	RunBeginBusy  = "busy"  // another live replica is taking the snapshot
	RunBeginReady = "ready" // the snapshot exists: claim items
)

// ErrSnapshotLost means another replica took over a run's snapshot after the
// caller's lease lapsed; the caller must stop writing to it.
var ErrSnapshotLost = errors.New("store: run snapshot taken over by another replica")

// RunState is where a run is; the campaign's own state is the campaigns
// package's, a run's only says whether items may still be claimed.
type RunState string

// Run states.
const (
	RunRunning   RunState = "running"
	RunPaused    RunState = "paused"
	RunCancelled RunState = "cancelled"
	RunFinished  RunState = "finished" // set by claimItemsScript when nothing is left
)

// The run hash's fields, named once here and in the Lua beside them.
const (
	runFieldState      = "state"
	runFieldChannel    = "channel"
	runFieldDef        = "def"
	runFieldFire       = "fire"
	runFieldStartedAt  = "started_at"
	runFieldFinishedAt = "finished_at" // claimItemsScript
	runFieldTotal      = "total"       // readyRunScript
	runFieldDone       = "done"
	runFieldRequeued   = "requeued"
	runFieldNotBefore  = "not_before" // ms, releaseItemScript
)

// RunStart is what a run records when its snapshot starts: what it sends
// (the campaigns package's snapshot of the definition) and by which channel.
type RunStart struct {
	Def     string // opaque to the store
	Channel string
	Started time.Time
}

// RunRecord is a run's hash: its state, what it sends and its counters.
// Items are recipients, or mass batches for mass runs.
type RunRecord struct {
	State    RunState // "" when the run does not exist
	Channel  string
	Def      string
	Started  time.Time
	Finished time.Time
	Total    int64 // items in the snapshot
	Done     int64 // items with a final outcome
	Sent     int64
	Failed   int64
	Unknown  int64
	Requeued int64     // lapsed idempotent claims handed out again
	HeldTill time.Time // the run holds until then (WeChat asked to wait, quota)
	// TEMPLATESENDJOBFINISH outcomes.
	Delivered, Blocked, AsyncFailed int64
}

// ItemStatus is the recorded status of one run item, encoded as the Lua
// scripts read it: "i:<ms>" in flight, "r" handed back, then a final
// outcome built by the constructors below. Only this file knows the codes.
type ItemStatus string

// Final item statuses without parameters.
const (
	// StatusSent: sent, WeChat returned no message id (customer service).
	StatusSent ItemStatus = "s"
	// StatusUnknown: the request may or may not have reached WeChat and
	// will never be resent (recordItemScript, claimItemsScript).
	StatusUnknown ItemStatus = "u"
	// StatusFailedError: certainly not sent, without an errcode.
	StatusFailedError ItemStatus = "f:error"
	// Later outcomes of a template message, from TEMPLATESENDJOBFINISH.
	StatusDelivered   ItemStatus = "d"
	StatusBlocked     ItemStatus = "b:block"
	StatusAsyncFailed ItemStatus = "b:failed"
)

// StatusSentMsg is a message WeChat accepted with msgID (template, SMS).
func StatusSentMsg(msgID int64) ItemStatus {
	return ItemStatus("s:" + strconv.FormatInt(msgID, 10))
}

// StatusSentMass is a mass batch WeChat accepted as msgID / msgDataID.
func StatusSentMass(msgID, msgDataID int64) ItemStatus {
	return ItemStatus("s:" + strconv.FormatInt(msgID, 10) + ":" + strconv.FormatInt(msgDataID, 10))
}

// StatusFailedCode is a refusal with an error code (WeChat errcode, or a
// gateway's numeric code); it was certainly not sent.
func StatusFailedCode(code int) ItemStatus { return ItemStatus("f:" + strconv.Itoa(code)) }

// StatusFailedReason is a refusal with a gateway's textual code (an SMS
// gateway's "isv.MOBILE_NUMBER_ILLEGAL"); spaces and colons are kept out.
func StatusFailedReason(reason string) ItemStatus {
	return ItemStatus("f:" + strings.NewReplacer(" ", "_", ":", "_").Replace(reason))
}

// Outcome is what an item status counts as in a run's counters.
type Outcome string

// Outcomes; each is also the name of the run counter it increments.
const (
	OutcomeSent    Outcome = "sent"
	OutcomeFailed  Outcome = "failed"
	OutcomeUnknown Outcome = "unknown"
	OutcomePending Outcome = "" // in flight or handed back
)

// Outcome classifies a recorded status.
func (s ItemStatus) Outcome() Outcome {
	switch {
	case s == StatusUnknown:
		return OutcomeUnknown
	case s == "s" || strings.HasPrefix(string(s), "s:") || s == StatusDelivered || strings.HasPrefix(string(s), "b:"):
		return OutcomeSent // WeChat accepted it; what happened later is reach
	case strings.HasPrefix(string(s), "f:"):
		return OutcomeFailed
	}
	return OutcomePending
}

// MsgID is the message id a sent status carries, if any.
func (s ItemStatus) MsgID() (int64, bool) {
	rest, ok := strings.CutPrefix(string(s), "s:")
	if !ok {
		return 0, false
	}
	rest, _, _ = strings.Cut(rest, ":")
	n, err := strconv.ParseInt(rest, 10, 64)
	return n, err == nil
}

// Code is the error code of a failed status ("43004", "error", …).
func (s ItemStatus) Code() (string, bool) { return strings.CutPrefix(string(s), "f:") }

// ReachCounter is a TEMPLATESENDJOBFINISH outcome counter, on the run and
// (prefixed "reach_") on the campaign.
type ReachCounter string

// Reach counters.
const (
	ReachDelivered   ReachCounter = "delivered"
	ReachBlocked     ReachCounter = "blocked"
	ReachAsyncFailed ReachCounter = "async_failed"
)

func (s ItemStatus) reachCounter() (ReachCounter, bool) {
	switch s {
	case StatusDelivered:
		return ReachDelivered, true
	case StatusBlocked:
		return ReachBlocked, true
	case StatusAsyncFailed:
		return ReachAsyncFailed, true
	}
	return "", false
}

func (s *Store) runKeys(id string, fire int64) (run, queue, status, inflight, retry, batches string) {
	run = s.keyRun(id, fire)
	return run, run + ":queue", run + ":status", run + ":inflight", run + ":retry", run + ":batches"
}

// beginRunScript starts the audience snapshot of a run, or reports that it
// is ready or being taken by a live owner. An owner whose lease lapsed
// (crashed mid-snapshot) is replaced and its partial snapshot dropped.
// KEYS[1] run hash, KEYS[2] queue, KEYS[3] status, KEYS[4] inflight,
// KEYS[5] retry, KEYS[6] batches, KEYS[7] runs zset.
// ARGV[1] fire, ARGV[2] owner, ARGV[3] lease (ms), ARGV[4..] field/value pairs.
// Returns "ready", "busy" or "new".
var beginRunScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local phase = redis.call('HGET', KEYS[1], 'phase')
if phase == 'ready' then return 'ready' end
if phase == 'snapshot' then
  local lu = tonumber(redis.call('HGET', KEYS[1], 'lease_until') or '0')
  if lu > now and redis.call('HGET', KEYS[1], 'owner') ~= ARGV[2] then return 'busy' end
end
redis.call('DEL', KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6])
redis.call('HSET', KEYS[1], 'phase', 'snapshot', 'owner', ARGV[2],
  'lease_until', string.format('%.0f', now + tonumber(ARGV[3])))
for i = 4, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i+1]) end
redis.call('ZADD', KEYS[7], ARGV[1], ARGV[1])
return 'new'
`)

// BeginRun starts or joins run fire of campaign id. "new" makes the caller
// the snapshot owner for lease: it must AppendRun and ReadyRun. start is
// stored on the run hash (state running) when the snapshot starts.
func (s *Store) BeginRun(ctx context.Context, id string, fire time.Time, owner string, lease time.Duration, start RunStart) (string, error) {
	run, queue, status, inflight, retry, batches := s.runKeys(id, fire.Unix())
	args := []any{fire.Unix(), owner, lease.Milliseconds(),
		runFieldDef, start.Def, runFieldChannel, start.Channel, runFieldState, string(RunRunning),
		runFieldStartedAt, unixValue(start.Started), runFieldFire, fire.Unix()}
	res, err := beginRunScript.Run(ctx, s.rdb,
		[]string{run, queue, status, inflight, retry, batches, s.keyCampaignRuns(id)}, args...).Text()
	if err != nil {
		return "", fmt.Errorf("store: begin run %s@%d: %w", id, fire.Unix(), err)
	}
	return res, nil
}

// appendRunScript adds snapshot items while the caller still owns the
// snapshot. KEYS[1] run hash, KEYS[2] queue, KEYS[3] batches.
// ARGV[1] owner, ARGV[2] number of batch pairs, then batch field/value
// pairs, then queue items. Returns 1, or 0 when the snapshot was taken over.
var appendRunScript = redis.NewScript(`
if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] or redis.call('HGET', KEYS[1], 'phase') ~= 'snapshot' then return 0 end
local nb = tonumber(ARGV[2])
local i = 3
for _ = 1, nb do
  redis.call('HSET', KEYS[3], ARGV[i], ARGV[i+1])
  i = i + 2
end
local items = {}
for j = i, #ARGV do
  items[#items+1] = ARGV[j]
  if #items == 1000 then redis.call('RPUSH', KEYS[2], unpack(items)); items = {} end
end
if #items > 0 then redis.call('RPUSH', KEYS[2], unpack(items)) end
return 1
`)

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

// readyRunScript ends the snapshot: from now on any replica may claim.
// KEYS[1] run hash, KEYS[2] queue. ARGV[1] owner. Returns the item count, or
// -1 when the snapshot was taken over.
var readyRunScript = redis.NewScript(`
if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] or redis.call('HGET', KEYS[1], 'phase') ~= 'snapshot' then return -1 end
local n = redis.call('LLEN', KEYS[2])
redis.call('HSET', KEYS[1], 'phase', 'ready', 'total', n)
return n
`)

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

// Run returns a run's record (zero when the run does not exist).
func (s *Store) Run(ctx context.Context, id string, fire time.Time) (RunRecord, error) {
	h, err := s.rdb.HGetAll(ctx, s.keyRun(id, fire.Unix())).Result()
	if err != nil {
		return RunRecord{}, fmt.Errorf("store: run %s@%d: %w", id, fire.Unix(), err)
	}
	r := RunRecord{
		State: RunState(h[runFieldState]), Channel: h[runFieldChannel], Def: h[runFieldDef],
		Started: unixField(h, runFieldStartedAt), Finished: unixField(h, runFieldFinishedAt),
		Total: intField(h, runFieldTotal), Done: intField(h, runFieldDone), Requeued: intField(h, runFieldRequeued),
		Sent: intField(h, string(OutcomeSent)), Failed: intField(h, string(OutcomeFailed)), Unknown: intField(h, string(OutcomeUnknown)),
		Delivered: intField(h, string(ReachDelivered)), Blocked: intField(h, string(ReachBlocked)),
		AsyncFailed: intField(h, string(ReachAsyncFailed)),
	}
	if ms := intField(h, runFieldNotBefore); ms > 0 {
		r.HeldTill = time.UnixMilli(ms)
	}
	return r, nil
}

// HoldRun sets (or, with a zero until, lifts) the time before which no item
// of the run is handed out.
func (s *Store) HoldRun(ctx context.Context, id string, fire time.Time, until time.Time) error {
	var ms int64
	if !until.IsZero() {
		ms = until.UnixMilli()
	}
	if err := s.rdb.HSet(ctx, s.keyRun(id, fire.Unix()), runFieldNotBefore, ms).Err(); err != nil {
		return fmt.Errorf("store: hold run %s@%d: %w", id, fire.Unix(), err)
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
	State RunState // ClaimStop: the run's state
}

// claimItemsScript hands out the next recipients of a running run, marking
// each in flight ("i:<claimed ms>") with a lease. Before that it reaps
// claims whose lease lapsed (their holder died): one claimed less than
// ARGV[3] ms ago goes back to the retry list (the caller's sends are
// idempotent for that long), any other becomes "u", unknown, and is never
// sent again. When nothing is left and nothing is in flight, the first
// caller marks the run finished.
// KEYS[1] run hash, KEYS[2] queue, KEYS[3] status, KEYS[4] inflight, KEYS[5] retry.
// ARGV[1] max items, ARGV[2] lease (ms), ARGV[3] retry window (ms, 0 = never).
// Returns {"items", o1, ...}, {"wait", ms}, {"drain", ms}, {"stop", state}
// or {"finished"}.
var claimItemsScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if redis.call('HGET', KEYS[1], 'phase') ~= 'ready' then return {'wait', '200'} end
local st = redis.call('HGET', KEYS[1], 'state') or ''
if st ~= 'running' then return {'stop', st} end
local lease = tonumber(ARGV[2])
local within = tonumber(ARGV[3])
local expired = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', string.format('%.0f', now), 'LIMIT', 0, 100)
for _, o in ipairs(expired) do
  redis.call('ZREM', KEYS[4], o)
  local cur = redis.call('HGET', KEYS[3], o) or ''
  if string.sub(cur, 1, 2) == 'i:' then
    local claimed = tonumber(string.sub(cur, 3)) or 0
    if within > 0 and now - claimed <= within then
      redis.call('HSET', KEYS[3], o, 'r')
      redis.call('RPUSH', KEYS[5], o)
      redis.call('HINCRBY', KEYS[1], 'requeued', 1)
    else
      redis.call('HSET', KEYS[3], o, 'u')
      redis.call('HINCRBY', KEYS[1], 'unknown', 1)
      redis.call('HINCRBY', KEYS[1], 'done', 1)
    end
  end
end
local nb = tonumber(redis.call('HGET', KEYS[1], 'not_before') or '0')
if nb > now then return {'wait', string.format('%.0f', nb - now)} end
local out = {'items'}
local want = tonumber(ARGV[1])
local mark = 'i:' .. string.format('%.0f', now)
local deadline = string.format('%.0f', now + lease)
while #out - 1 < want do
  local o = redis.call('LPOP', KEYS[5])
  if not o then o = redis.call('LPOP', KEYS[2]) end
  if not o then break end
  local cur = redis.call('HGET', KEYS[3], o)
  if not cur or cur == 'r' then
    redis.call('HSET', KEYS[3], o, mark)
    redis.call('ZADD', KEYS[4], deadline, o)
    out[#out+1] = o
  end
end
if #out > 1 then return out end
local first = redis.call('ZRANGE', KEYS[4], 0, 0, 'WITHSCORES')
if #first > 0 then
  return {'drain', string.format('%.0f', math.max(tonumber(first[2]) - now, 1))}
end
redis.call('HSET', KEYS[1], 'state', 'finished', 'finished_at', t[1])
return {'finished'}
`)

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
		c.State = RunState(res[1])
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

// recordItemScript stores the outcome of one claimed item and counts it.
// An item reaped as unknown while its sender was merely slow gets its real
// outcome; an item already recorded is left alone. The consecutive-failure
// counter feeds auto-pause.
// After the run ended its statuses are under pseudonyms (see
// forgetRecipientsScript): a reaped item's late outcome is looked up there.
// KEYS[1] run hash, KEYS[2] status, KEYS[3] inflight, KEYS[4] retry.
// ARGV[1] item, ARGV[2] result, ARGV[3] counter (sent|failed|unknown),
// ARGV[4] "1" when the send succeeded, ARGV[5] the item's pseudonym.
// Returns {recorded 1|0, consecutive failures}.
var recordItemScript = redis.NewScript(`
local f = ARGV[1]
local cur = redis.call('HGET', KEYS[2], f) or ''
if cur == '' and redis.call('HGET', KEYS[2], ARGV[5]) == 'u' then
  f = ARGV[5]
  cur = 'u'
end
local p = string.sub(cur, 1, 2)
if p ~= 'i:' and cur ~= 'u' and cur ~= 'r' then return {0, 0} end
redis.call('ZREM', KEYS[3], ARGV[1])
if cur == 'u' then
  redis.call('HINCRBY', KEYS[1], 'unknown', -1)
else
  redis.call('HINCRBY', KEYS[1], 'done', 1)
end
if cur == 'r' then redis.call('LREM', KEYS[4], 0, ARGV[1]) end
redis.call('HSET', KEYS[2], f, ARGV[2])
redis.call('HINCRBY', KEYS[1], ARGV[3], 1)
local consec = 0
if ARGV[4] == '1' then
  redis.call('HSET', KEYS[1], 'consec', 0)
else
  consec = redis.call('HINCRBY', KEYS[1], 'consec', 1)
end
return {1, consec}
`)

// RecordRunItem stores the final status of a claimed item and bumps the
// run counter of its Outcome. It returns the run's consecutive failures;
// recorded is false when the item had already been recorded.
func (s *Store) RecordRunItem(ctx context.Context, id string, fire time.Time, item string, result ItemStatus) (consecutive int64, recorded bool, err error) {
	counter := result.Outcome()
	if counter == OutcomePending {
		return 0, false, fmt.Errorf("store: record %s@%d: %q is not a final status", id, fire.Unix(), result)
	}
	run, _, status, inflight, retry, _ := s.runKeys(id, fire.Unix())
	okArg := "0"
	if counter == OutcomeSent {
		okArg = "1"
	}
	res, err := recordItemScript.Run(ctx, s.rdb, []string{run, status, inflight, retry}, item, string(result), string(counter), okArg,
		s.recipientPseudonym(id, fire, item)).Int64Slice()
	if err != nil {
		return 0, false, fmt.Errorf("store: record %s@%d: %w", id, fire.Unix(), err)
	}
	return res[1], res[0] == 1, nil
}

// releaseItemScript puts a claimed item that was certainly not sent back in
// line, optionally holding the whole run until ARGV[2] (ms).
// KEYS[1] run hash, KEYS[2] status, KEYS[3] inflight, KEYS[4] retry.
// ARGV[1] item, ARGV[2] not-before (ms, 0 = none). Returns 1 or 0.
var releaseItemScript = redis.NewScript(`
local cur = redis.call('HGET', KEYS[2], ARGV[1]) or ''
if string.sub(cur, 1, 2) ~= 'i:' then return 0 end
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], 'r')
redis.call('RPUSH', KEYS[4], ARGV[1])
local nb = tonumber(ARGV[2])
if nb > tonumber(redis.call('HGET', KEYS[1], 'not_before') or '0') then
  redis.call('HSET', KEYS[1], 'not_before', ARGV[2])
end
return 1
`)

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

// renewItemScript extends the lease of an item its sender still holds (a
// retry with backoff). KEYS[1] status, KEYS[2] inflight. ARGV[1] item,
// ARGV[2] lease (ms). Returns 1, or 0 when the claim was lost.
var renewItemScript = redis.NewScript(`
local cur = redis.call('HGET', KEYS[1], ARGV[1]) or ''
if string.sub(cur, 1, 2) ~= 'i:' then return 0 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[2], 'XX', string.format('%.0f', now + tonumber(ARGV[2])), ARGV[1])
return 1
`)

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
func (s *Store) RunStatus(ctx context.Context, id string, fire time.Time, openid string) (ItemStatus, error) {
	_, _, status, _, _, _ := s.runKeys(id, fire.Unix())
	v, err := s.rdb.HMGet(ctx, status, openid, s.recipientPseudonym(id, fire, openid)).Result()
	if err != nil {
		return "", fmt.Errorf("store: status %s@%d: %w", id, fire.Unix(), err)
	}
	for _, x := range v {
		if str, ok := x.(string); ok {
			return ItemStatus(str), nil
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

// forgetRecipientsScript moves per-recipient statuses from openids to their
// pseudonyms, each in one step, so that a concurrent report or record finds
// a status under one name or the other, never under both or neither.
// KEYS[1] status. ARGV openid, pseudonym pairs. Returns the number moved.
var forgetRecipientsScript = redis.NewScript(`
local n = 0
for i = 1, #ARGV, 2 do
  local v = redis.call('HGET', KEYS[1], ARGV[i])
  if v then
    redis.call('HSET', KEYS[1], ARGV[i+1], v)
    redis.call('HDEL', KEYS[1], ARGV[i])
    n = n + 1
  end
end
return n
`)

// ForgetRunRecipients removes the openids (or phone numbers) a finished run
// still holds: when people is set (its items are recipients, not mass
// batches), each per-recipient status moves to a keyed hash of the
// recipient (see recipientPseudonym); a mass run's batches (lists of
// openids) are deleted. The run's counters and every status stay, and TemplateFinished,
// RunStatus and a slow sender's RecordRunItem still find a recipient by
// openid. Nothing sends for the run any more, so no claim reads the openids:
// the delivery guarantees do not depend on them. It is idempotent; the
// caller that finished the run calls it.
func (s *Store) ForgetRunRecipients(ctx context.Context, id string, fire time.Time, people bool) error {
	run, _, status, _, _, batches := s.runKeys(id, fire.Unix())
	state, err := s.rdb.HGet(ctx, run, runFieldState).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("store: forget recipients %s@%d: %w", id, fire.Unix(), err)
	}
	if RunState(state) != RunFinished {
		return fmt.Errorf("store: forget recipients %s@%d: run is %q, not finished", id, fire.Unix(), state)
	}
	if err := s.rdb.Del(ctx, batches).Err(); err != nil {
		return fmt.Errorf("store: forget recipients %s@%d: %w", id, fire.Unix(), err)
	}
	if !people {
		return nil // its items are batches ("all", "tag:<id>", "b:<n>"), not recipients
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
func (s *Store) RunStatuses(ctx context.Context, id string, fire time.Time) (map[string]ItemStatus, error) {
	_, _, status, _, _, _ := s.runKeys(id, fire.Unix())
	out := map[string]ItemStatus{}
	iter := s.rdb.HScan(ctx, status, 0, "", 5000).Iterator()
	for iter.Next(ctx) {
		k := iter.Val()
		if !iter.Next(ctx) {
			break
		}
		out[k] = ItemStatus(iter.Val())
	}
	if err := iter.Err(); err != nil {
		return nil, fmt.Errorf("store: statuses %s@%d: %w", id, fire.Unix(), err)
	}
	return out, nil
}

// templateFinishScript applies a TEMPLATESENDJOBFINISH to the recipient it
// names, once: only a status still "s:<msgid>" changes. The status is under
// the openid while the run goes on, under its pseudonym once it ended.
// KEYS[1] run hash, KEYS[2] status, KEYS[3] campaign hash.
// ARGV[1] openid, ARGV[2] msgid, ARGV[3] new status, ARGV[4] counter,
// ARGV[5] the openid's pseudonym.
var templateFinishScript = redis.NewScript(`
local f = ARGV[1]
if not redis.call('HGET', KEYS[2], f) then f = ARGV[5] end
if redis.call('HGET', KEYS[2], f) ~= 's:' .. ARGV[2] then return 0 end
redis.call('HSET', KEYS[2], f, ARGV[3])
redis.call('HINCRBY', KEYS[1], ARGV[4], 1)
redis.call('HINCRBY', KEYS[3], 'reach_' .. ARGV[4], 1)
return 1
`)

// TemplateFinished applies a TEMPLATESENDJOBFINISH to one recipient of a
// run once: status is the recipient's new status, counter the run and
// campaign counter to bump. It reports whether anything changed.
func (s *Store) TemplateFinished(ctx context.Context, id string, fire time.Time, openid string, msgID int64, status ItemStatus) (bool, error) {
	counter, ok := status.reachCounter()
	if !ok {
		return false, fmt.Errorf("store: template finish %s: %q is not a reach status", id, status)
	}
	run, _, st, _, _, _ := s.runKeys(id, fire.Unix())
	n, err := templateFinishScript.Run(ctx, s.rdb, []string{run, st, s.keyCampaign(id)},
		openid, msgID, string(status), string(counter), s.recipientPseudonym(id, fire, openid)).Int()
	if err != nil {
		return false, fmt.Errorf("store: template finish %s: %w", id, err)
	}
	return n == 1, nil
}
