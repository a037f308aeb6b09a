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

// compareAndDeleteScript deletes KEYS[1] only while it still holds ARGV[1]:
// a replica that saw an expired token must not delete the fresh one another
// replica just stored.
var compareAndDeleteScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
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
