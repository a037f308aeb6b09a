package store

import "github.com/redis/go-redis/v9"

// consultStatusScript sets a consultation's status and its expiry in one
// step, and only while the record exists: a record that expired meanwhile
// must not come back as a stub holding only a status.
// KEYS[1] consultation hash. ARGV[1] status, ARGV[2] TTL in ms (0 = keep).
// Returns 1, or 0 when there is no such consultation.
var consultStatusScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'status', ARGV[1])
if ARGV[2] == '0' then redis.call('PERSIST', KEYS[1]) else redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1
`)

// anonymiseConsultScript drops the openid and the question of a
// consultation whose resident is erased, if the record still exists.
// KEYS[1] consultation hash. ARGV[1] text standing in for the question.
var anonymiseConsultScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'openid', '', 'question', ARGV[1])
return 1
`)

// Campaigns. Lua formats numbers with 14 significant digits, so every
// millisecond or microsecond timestamp is written with string.format('%.0f').

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

// readyRunScript ends the snapshot: from now on any replica may claim.
// KEYS[1] run hash, KEYS[2] queue. ARGV[1] owner. Returns the item count, or
// -1 when the snapshot was taken over.
var readyRunScript = redis.NewScript(`
if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] or redis.call('HGET', KEYS[1], 'phase') ~= 'snapshot' then return -1 end
local n = redis.call('LLEN', KEYS[2])
redis.call('HSET', KEYS[1], 'phase', 'ready', 'total', n)
return n
`)

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

// rateScript is a GCRA shared by all replicas, on Redis's clock: it reserves
// ARGV[3] tokens and returns how long (µs) the caller must wait before
// using them. KEYS[1] theoretical arrival time (µs).
// ARGV[1] interval per token (µs), ARGV[2] burst (tokens), ARGV[3] tokens.
var rateScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local new = tat + tonumber(ARGV[3]) * interval
local wait = new - now - tonumber(ARGV[2]) * interval
if wait < 0 then wait = 0 end
redis.call('SET', KEYS[1], string.format('%.0f', new), 'PX', string.format('%.0f', math.ceil((new - now) / 1000) + 1000))
return string.format('%.0f', wait)
`)
