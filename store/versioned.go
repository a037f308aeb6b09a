package store

import (
	"context"
	"encoding/json"
	"errors"
	"sort"

	"github.com/redis/go-redis/v9"
)

// A versioned set is a hash of JSON records by id, each carrying its
// "version" (1 for the first save), plus a counter that moves with every
// save so that replicas notice edits made elsewhere. Campaign definitions
// and answer-bank edits are kept this way.

// saveVersioned stores rec as field id of the hash set, only if the record
// stored there still has the version seen, keeps the record it replaces in
// the list history when history is not "", and bumps the counter version,
// atomically. It reports false, changing nothing, when another save came
// first.
func (s *Store) saveVersioned(ctx context.Context, set, version, history, id string, seen int64, rec []byte) (bool, error) {
	keys := []string{set, version}
	if history != "" {
		keys = append(keys, history)
	}
	n, err := versionedSaveScript.Run(ctx, s.rdb, keys, id, seen, rec).Int64()
	if err != nil {
		return false, err
	}
	return n >= 0, nil
}

// versionedSaveScript replaces a record only if its version is still the
// one the writer saw: two clerks saving at once, or two replicas importing
// the same new file, never silently overwrite each other, and a reviewer
// never marks reviewed a text that changed after they read it.
// KEYS[1] records hash, KEYS[2] version counter, KEYS[3] (optional) the
// record's history list.
// ARGV[1] id, ARGV[2] version seen, ARGV[3] the record (JSON).
// Returns the set's new version, or -1 when the record's version differs.
// A record cjson cannot read counts as version 0, so staff can replace it.
var versionedSaveScript = redis.NewScript(`
local old = redis.call('HGET', KEYS[1], ARGV[1])
local v = 0
if old then
  local ok, rec = pcall(cjson.decode, old)
  if ok and type(rec) == 'table' and tonumber(rec.version) then v = tonumber(rec.version) end
end
if v ~= tonumber(ARGV[2]) then return -1 end
if old and KEYS[3] then redis.call('RPUSH', KEYS[3], old) end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return redis.call('INCR', KEYS[2])
`)

// versionedSet is every record of a versioned set, ordered by id, with the
// set's version.
type versionedSet[T any] struct {
	version int64
	records []T
	// unreadable are ids whose record is not a valid T (written by hand, or
	// by a version of pufa that no longer exists); they are left out of
	// records rather than failing the whole set.
	unreadable []string
}

// readVersioned reads a versioned set in one transaction, so that the
// version matches the records; id names the id a record carries, which
// must be its field's.
func readVersioned[T any](ctx context.Context, s *Store, set, version string, id func(T) string) (versionedSet[T], error) {
	var all *redis.MapStringStringCmd
	var ver *redis.StringCmd
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		all = p.HGetAll(ctx, set)
		ver = p.Get(ctx, version)
		return nil
	})
	if err == nil || errors.Is(err, redis.Nil) {
		err = wait(all, ver) // a missing version counter is no error
	}
	if err != nil {
		return versionedSet[T]{}, err
	}
	out := versionedSet[T]{version: parseVersion(ver.Val())}
	for field, raw := range all.Val() {
		var rec T
		if err := json.Unmarshal([]byte(raw), &rec); err != nil || id(rec) != field {
			out.unreadable = append(out.unreadable, field)
			continue
		}
		out.records = append(out.records, rec)
	}
	sort.Slice(out.records, func(i, j int) bool { return id(out.records[i]) < id(out.records[j]) })
	sort.Strings(out.unreadable)
	return out, nil
}

// setVersion reads a versioned set's counter: 0 before the first save.
func (s *Store) setVersion(ctx context.Context, version string) (int64, error) {
	v, err := s.rdb.Get(ctx, version).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return 0, err
	}
	return parseVersion(v), nil
}
