package store

import "github.com/redis/go-redis/v9"

// claimScript claims a callback and reads the resident's session in one
// call. KEYS[1] callback record, KEYS[2] session pointer (same {openid} slot);
// ARGV[1] lease in ms. Returns {previous record or nil, session or nil}.
var claimScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if not v then redis.call('SET', KEYS[1], 'p', 'PX', ARGV[1]) end
return {v, redis.call('GET', KEYS[2])}
`)

// answerScript stores a callback's reply and indexes it under the
// resident, scored by its expiry, dropping index entries whose records have
// expired so that the index of a resident who writes all day stays small.
// KEYS[1] callback record, KEYS[2] the resident's callback index (same
// {openid} slot). ARGV[1] record, ARGV[2] TTL in ms, ARGV[3] dedup id.
var answerScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[2])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', string.format('%.0f', now))
redis.call('ZADD', KEYS[2], string.format('%.0f', now + ttl), ARGV[3])
redis.call('PEXPIRE', KEYS[2], ttl)
return 1
`)

// eraseRepliesScript deletes the answered callback records of a resident
// and the index that listed them; pending claims ("p") stay.
// KEYS[1] index, KEYS[2..] the records it lists (one {openid} slot).
var eraseRepliesScript = redis.NewScript(`
for i = 2, #KEYS do
  local v = redis.call('GET', KEYS[i])
  if v and string.sub(v, 1, 1) == 'r' then redis.call('DEL', KEYS[i]) end
end
redis.call('DEL', KEYS[1])
return 1
`)

// releaseScript drops a claim that is still pending so a retry can process
// the message; it never removes a stored reply.
// KEYS[1] dedup key.
var releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == 'p' then return redis.call('DEL', KEYS[1]) end
return 0
`)

// compareAndDeleteScript deletes KEYS[1] only while it still holds ARGV[1]:
// a replica that saw an expired token must not delete the fresh one another
// replica just stored.
var compareAndDeleteScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
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

// Ledger (store/ledger.go).

// ledgerEditScript replaces fields of a ledger entry and appends the version
// it replaces to the entry's history, atomically, so no edit is lost or
// recorded twice when two staff members save at once.
// KEYS[1] entry hash, KEYS[2] history list.
// ARGV[1] expected version ("" = any), ARGV[2..] field/value pairs.
// Returns the new version, -1 when the entry does not exist, -2 when the
// version differs.
var ledgerEditScript = redis.NewScript(`
local v = redis.call('HGET', KEYS[1], 'version')
if not v then return -1 end
if ARGV[1] ~= '' and v ~= ARGV[1] then return -2 end
local old = redis.call('HGETALL', KEYS[1])
local t = {}
for i = 1, #old, 2 do t[old[i]] = old[i+1] end
redis.call('RPUSH', KEYS[2], cjson.encode(t))
for i = 2, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i+1]) end
local nv = tonumber(v) + 1
redis.call('HSET', KEYS[1], 'version', nv)
return nv
`)

// Quizzes (store/quiz.go). All keys of one call share the quiz's hash tag.

// quizStartScript resumes a resident's active attempt or starts a new one
// (within the attempts limit), counting first-time participants once. The
// attempts record (KEYS[4], under a keyed hash of openid and quiz) outlives
// the resident's erasure: attempts started there count against the limit,
// and a resident it knows is no new participant and stays with the
// community first credited, whatever QR code they followed again from.
// KEYS[1] progress hash, KEYS[2] stats hash, KEYS[3] communities hash,
// KEYS[4] attempts record.
// ARGV[1] question order (ids joined by ','), ARGV[2] max attempts (0 = no
// limit), ARGV[3] community, ARGV[4] now (unix s), ARGV[5] expire-at (unix s),
// ARGV[6] attempts record expire-at (unix s).
// Returns {"new"|"resume"|"limit", progress field, value, ...}.
var quizStartScript = redis.NewScript(`
local st = redis.call('HMGET', KEYS[1], 'state', 'attempt', 'pos')
local seen = redis.call('HMGET', KEYS[4], 'n', 'c')
local status = 'resume'
if st[1] ~= 'active' then
  local attempt = math.max(tonumber(st[2] or '0'), tonumber(seen[1] or '0'))
  local max = tonumber(ARGV[2])
  if max > 0 and attempt >= max then
    status = 'limit'
  else
    status = 'new'
    if not st[1] then
      local c = ARGV[3]
      if seen[1] then
        c = seen[2] or ''
      else
        redis.call('HINCRBY', KEYS[2], 'participants', 1)
        if c ~= '' then redis.call('HINCRBY', KEYS[3], c .. ':participants', 1) end
      end
      redis.call('HSET', KEYS[1], 'community', c)
    end
    for i = 0, tonumber(st[3] or '0') - 1 do redis.call('HDEL', KEYS[1], 'a' .. i) end
    redis.call('HINCRBY', KEYS[2], 'attempts', 1)
    redis.call('HSET', KEYS[1], 'state', 'active', 'attempt', attempt + 1, 'pos', 0, 'correct', 0,
      'order', ARGV[1], 'started', ARGV[4], 'last_at', 0, 'last_ans', '')
    redis.call('HDEL', KEYS[1], 'finished')
    redis.call('EXPIREAT', KEYS[1], ARGV[5])
    redis.call('HSET', KEYS[4], 'n', attempt + 1)
    redis.call('HSETNX', KEYS[4], 'c', redis.call('HGET', KEYS[1], 'community') or '')
    redis.call('EXPIREAT', KEYS[4], ARGV[6])
  end
end
local h = redis.call('HGETALL', KEYS[1])
if status == 'limit' and not st[1] then
  -- erased and back: the best the attempts record kept is all there is
  h = {'state', 'done', 'attempt', seen[1]}
  local b = redis.call('HGET', KEYS[4], 'b')
  if b then table.insert(h, 'best'); table.insert(h, b) end
end
table.insert(h, 1, status)
return h
`)

// quizAnswerScript records one answer at most once per question and
// attempt: it counts only when the attempt and position the caller read are
// still current, so a concurrent duplicate or a late retry finds the
// position moved ("stale"). An answer equal to the previous one that comes
// within the repeat window is the resident's repeated reply to the previous
// question ("repeat"), not an answer to the next. A recorded answer updates
// the per-question counters; the last one closes the attempt, updates the
// completion counters and, when the attempt beats the resident's best, the
// best-score sums and the leaderboard (more right answers first, then the
// earlier finish).
// The aggregates (completions, best-score sums, full marks) go by the best
// the attempts record remembers across erasures, so a resident who
// unfollowed and came back is not counted again; the progress hash and the
// leaderboard show the attempts since.
// KEYS[1] progress, KEYS[2] stats, KEYS[3] communities, KEYS[4] board,
// KEYS[5] attempts record.
// ARGV[1] attempt, ARGV[2] position, ARGV[3] question id, ARGV[4] answer,
// ARGV[5] correct answer, ARGV[6] questions in the attempt, ARGV[7] now (ms),
// ARGV[8] repeat window (ms), ARGV[9] openid, ARGV[10] board expire-at (unix s),
// ARGV[11] attempts record expire-at (unix s).
// Returns {status, position after, right answers, this one right 0|1,
// finished 0|1, best}; status is recorded, stale, repeat or inactive.
var quizAnswerScript = redis.NewScript(`
local p = redis.call('HMGET', KEYS[1], 'state', 'attempt', 'pos', 'correct', 'last_at', 'last_ans', 'community', 'best')
local pos = tonumber(p[3] or '0')
local correct = tonumber(p[4] or '0')
if p[1] ~= 'active' or p[2] ~= ARGV[1] then return {'inactive', pos, correct, 0, 0, 0} end
if pos ~= tonumber(ARGV[2]) then return {'stale', pos, correct, 0, 0, 0} end
local now = tonumber(ARGV[7])
if pos > 0 and p[6] == ARGV[4] and now - tonumber(p[5] or '0') < tonumber(ARGV[8]) then
  return {'repeat', pos, correct, 0, 0, 0}
end
local right = 0
if ARGV[4] == ARGV[5] then right = 1 end
correct = correct + right
redis.call('HSET', KEYS[1], 'a' .. pos, ARGV[4], 'pos', pos + 1, 'correct', correct,
  'last_at', ARGV[7], 'last_ans', ARGV[4])
pos = pos + 1
local q = 'q:' .. ARGV[3]
redis.call('HINCRBY', KEYS[2], q .. ':n', 1)
redis.call('HINCRBY', KEYS[2], q .. ':ok', right)
redis.call('HINCRBY', KEYS[2], q .. ':a:' .. ARGV[4], 1)
local total = tonumber(ARGV[6])
if pos < total then return {'recorded', pos, correct, right, 0, 0} end
local sec = math.floor(now / 1000)
redis.call('HSET', KEYS[1], 'state', 'done', 'finished', sec)
redis.call('HINCRBY', KEYS[2], 'finished', 1)
redis.call('HINCRBY', KEYS[2], 'score_sum', correct)
local c = p[7] or ''
local prior = p[8]
local sb = redis.call('HGET', KEYS[5], 'b')
if sb and (not prior or tonumber(sb) > tonumber(prior)) then prior = sb end
local first = not prior
local best = tonumber(prior or '0')
if first then
  redis.call('HINCRBY', KEYS[2], 'completions', 1)
  if c ~= '' then redis.call('HINCRBY', KEYS[3], c .. ':completions', 1) end
end
if first or correct > best then
  redis.call('HINCRBY', KEYS[2], 'best_sum', correct - best)
  if c ~= '' then redis.call('HINCRBY', KEYS[3], c .. ':best_sum', correct - best) end
  if correct == total then redis.call('HINCRBY', KEYS[2], 'full_marks', 1) end
  best = correct
end
redis.call('HSET', KEYS[5], 'b', best)
redis.call('HSETNX', KEYS[5], 'n', ARGV[1])
redis.call('HSETNX', KEYS[5], 'c', c)
redis.call('EXPIREAT', KEYS[5], ARGV[11])
local own = tonumber(p[8] or '-1')
if correct > own then
  own = correct
  redis.call('HSET', KEYS[1], 'best', own)
  redis.call('ZADD', KEYS[4], string.format('%.0f', correct * 1e10 + (9999999999 - sec)), ARGV[9])
  redis.call('EXPIREAT', KEYS[4], ARGV[10])
end
return {'recorded', pos, correct, right, 1, own}
`)

// quizRankScript reads a resident's leaderboard entry and rank in one step:
// the rank is one more than the entries strictly ahead, so true ties share it.
// KEYS[1] board. ARGV[1] openid. Returns {score or "", entries ahead, entries}.
var quizRankScript = redis.NewScript(`
local n = redis.call('ZCARD', KEYS[1])
local s = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not s then return {'', 0, n} end
return {s, redis.call('ZCOUNT', KEYS[1], '(' .. s, '+inf'), n}
`)
