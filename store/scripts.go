package store

import "github.com/redis/go-redis/v9"

// claimScript claims a callback for processing in one round trip.
// KEYS[1] dedup key; ARGV[1] lease in ms.
// Returns false when claimed now, else the stored value ("p" or "r"+reply).
var claimScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v then return v end
redis.call('SET', KEYS[1], 'p', 'PX', ARGV[1])
return false
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
