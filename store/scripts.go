package store

import "github.com/redis/go-redis/v9"

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
