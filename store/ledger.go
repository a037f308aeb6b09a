package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pufa-dev/pufa/chinatime"
)

// LedgerEntry is one offline publicity activity as stored; the ledger
// package owns validation and the meaning of Kind.
type LedgerEntry struct {
	ID           string    `json:"id"`
	Date         string    `json:"date"` // yyyy-mm-dd, China time
	Community    string    `json:"community"`
	Kind         string    `json:"kind"`
	Count        int64     `json:"count"`
	Participants int64     `json:"participants"`
	Note         string    `json:"note"`
	Version      int64     `json:"version"`
	CreatedBy    string    `json:"created_by"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedBy    string    `json:"updated_by,omitempty"`
	UpdatedAt    time.Time `json:"updated_at,omitzero"`
}

// ErrNotFound is returned for a record that does not exist.
var ErrNotFound = errors.New("store: not found")

// ErrVersion means a record changed since the caller read it.
var ErrVersion = errors.New("store: record changed meanwhile")

// ledgerDay parses an entry date as China midnight, the index score.
func ledgerDay(date string) (time.Time, error) {
	d, err := time.ParseInLocation("2006-01-02", date, chinatime.Zone)
	if err != nil {
		return time.Time{}, fmt.Errorf("store: ledger date %q: %w", date, err)
	}
	return d, nil
}

func (e LedgerEntry) fields() []any {
	return []any{"date", e.Date, "community", e.Community, "kind", e.Kind,
		"count", e.Count, "participants", e.Participants, "note", e.Note}
}

// AddLedgerEntry stores a new entry (version 1) and returns its id.
func (s *Store) AddLedgerEntry(ctx context.Context, e LedgerEntry) (string, error) {
	day, err := ledgerDay(e.Date)
	if err != nil {
		return "", err
	}
	seq, err := s.rdb.Incr(ctx, s.keyLedgerSeq()).Result()
	if err != nil {
		return "", fmt.Errorf("store: add ledger entry: %w", err)
	}
	id := strconv.FormatInt(seq, 10)
	f := append(e.fields(), "version", 1, "created_by", e.CreatedBy, "created_at", e.CreatedAt.Unix())
	if err := s.rdb.HSet(ctx, s.keyLedger(id), f...).Err(); err != nil {
		return "", fmt.Errorf("store: add ledger entry: %w", err)
	}
	// The index is written last: a crash in between leaves an unindexed
	// entry, never an index member without its entry.
	if err := s.rdb.ZAdd(ctx, s.keyLedgerIndex(), redis.Z{Score: float64(day.Unix()), Member: id}).Err(); err != nil {
		return "", fmt.Errorf("store: add ledger entry: %w", err)
	}
	return id, nil
}

// EditLedgerEntry replaces the editable fields of entry e.ID, keeping the
// previous version in its history. version is the version the editor saw
// (0 = overwrite whatever is there). It returns the new version.
func (s *Store) EditLedgerEntry(ctx context.Context, e LedgerEntry, version int64) (int64, error) {
	day, err := ledgerDay(e.Date)
	if err != nil {
		return 0, err
	}
	want := ""
	if version > 0 {
		want = strconv.FormatInt(version, 10)
	}
	args := append([]any{want}, e.fields()...)
	args = append(args, "updated_by", e.UpdatedBy, "updated_at", e.UpdatedAt.Unix())
	n, err := ledgerEditScript.Run(ctx, s.rdb, []string{s.keyLedger(e.ID), s.keyLedgerHistory(e.ID)}, args...).Int64()
	if err != nil {
		return 0, fmt.Errorf("store: edit ledger entry %s: %w", e.ID, err)
	}
	switch n {
	case -1:
		return 0, fmt.Errorf("%w: ledger entry %s", ErrNotFound, e.ID)
	case -2:
		return 0, fmt.Errorf("%w: ledger entry %s", ErrVersion, e.ID)
	}
	if err := s.rdb.ZAdd(ctx, s.keyLedgerIndex(), redis.Z{Score: float64(day.Unix()), Member: e.ID}).Err(); err != nil {
		return 0, fmt.Errorf("store: edit ledger entry %s: %w", e.ID, err)
	}
	return n, nil
}

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

func ledgerFromHash(id string, h map[string]string) LedgerEntry {
	num := func(k string) int64 { n, _ := strconv.ParseInt(h[k], 10, 64); return n }
	unix := func(k string) time.Time {
		if n := num(k); n > 0 {
			return time.Unix(n, 0)
		}
		return time.Time{}
	}
	return LedgerEntry{ID: id, Date: h["date"], Community: h["community"], Kind: h["kind"],
		Count: num("count"), Participants: num("participants"), Note: h["note"], Version: num("version"),
		CreatedBy: h["created_by"], CreatedAt: unix("created_at"), UpdatedBy: h["updated_by"], UpdatedAt: unix("updated_at")}
}

// LedgerEntry returns one entry, or ErrNotFound.
func (s *Store) LedgerEntry(ctx context.Context, id string) (LedgerEntry, error) {
	h, err := s.rdb.HGetAll(ctx, s.keyLedger(id)).Result()
	if err != nil {
		return LedgerEntry{}, fmt.Errorf("store: ledger entry %s: %w", id, err)
	}
	if len(h) == 0 {
		return LedgerEntry{}, fmt.Errorf("%w: ledger entry %s", ErrNotFound, id)
	}
	return ledgerFromHash(id, h), nil
}

// LedgerEntries lists entries dated in [from, to] (yyyy-mm-dd, inclusive),
// by date then id.
func (s *Store) LedgerEntries(ctx context.Context, from, to string) ([]LedgerEntry, error) {
	ids, err := s.datedIDs(ctx, s.keyLedgerIndex(), from, to, "ledger entries")
	if err != nil {
		return nil, err
	}
	return readEach(ctx, ids, s.LedgerEntry)
}

// LedgerPage returns up to limit entries dated in [from, to], latest date
// first, skipping the first offset, and how many the period holds. Entries
// are read in one round trip.
func (s *Store) LedgerPage(ctx context.Context, from, to string, offset, limit int) ([]LedgerEntry, int64, error) {
	f, err := ledgerDay(from)
	if err != nil {
		return nil, 0, err
	}
	t, err := ledgerDay(to)
	if err != nil {
		return nil, 0, err
	}
	if offset < 0 || limit <= 0 {
		return nil, 0, nil
	}
	lo, hi := strconv.FormatInt(f.Unix(), 10), strconv.FormatInt(t.Unix(), 10)
	total, err := s.rdb.ZCount(ctx, s.keyLedgerIndex(), lo, hi).Result()
	if err != nil {
		return nil, 0, fmt.Errorf("store: ledger page: %w", err)
	}
	ids, err := s.rdb.ZRevRangeByScore(ctx, s.keyLedgerIndex(), &redis.ZRangeBy{
		Min: lo, Max: hi, Offset: int64(offset), Count: int64(limit),
	}).Result()
	if err != nil {
		return nil, 0, fmt.Errorf("store: ledger page: %w", err)
	}
	cmds := make([]*redis.MapStringStringCmd, len(ids))
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.HGetAll(ctx, s.keyLedger(id))
		}
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("store: ledger page: %w", err)
	}
	out := make([]LedgerEntry, 0, len(ids))
	for i, id := range ids {
		if h := cmds[i].Val(); len(h) > 0 {
			out = append(out, ledgerFromHash(id, h))
		}
	}
	return out, total, nil
}

// LedgerHistory returns the earlier versions of an entry, oldest first.
func (s *Store) LedgerHistory(ctx context.Context, id string) ([]LedgerEntry, error) {
	raw, err := s.rdb.LRange(ctx, s.keyLedgerHistory(id), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("store: ledger history %s: %w", id, err)
	}
	out := make([]LedgerEntry, 0, len(raw))
	for _, r := range raw {
		h, err := decodeFlatJSON(r)
		if err != nil {
			return nil, fmt.Errorf("store: ledger history %s: %w", id, err)
		}
		out = append(out, ledgerFromHash(id, h))
	}
	return out, nil
}
