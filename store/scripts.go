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
