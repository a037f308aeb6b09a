package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Dispute is one 矛盾纠纷 recorded in 排查调处; the ledger package owns
// validation and the meaning of Type and Status. It names no party.
type Dispute struct {
	ID        string    `json:"id"`
	Date      string    `json:"date"` // yyyy-mm-dd, China time
	Community string    `json:"community"`
	Type      string    `json:"type"`
	Parties   int64     `json:"parties"`
	Status    string    `json:"status"`
	AmountFen int64     `json:"amount_fen"` // amount involved, in fen
	Note      string    `json:"note"`
	Version   int64     `json:"version"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedBy string    `json:"updated_by,omitempty"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// LegalAidReferral is one resident referred to legal aid (法律援助).
type LegalAidReferral struct {
	ID         string    `json:"id"`
	Date       string    `json:"date"`
	Community  string    `json:"community"`
	Matter     string    `json:"matter"`
	ReferredTo string    `json:"referred_to"`
	Note       string    `json:"note"`
	Version    int64     `json:"version"`
	CreatedBy  string    `json:"created_by"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedBy  string    `json:"updated_by,omitempty"`
	UpdatedAt  time.Time `json:"updated_at,omitzero"`
}

// addRecord stores doc as record 1 of a new id in b, indexed by date.
func (s *Store) addRecord(ctx context.Context, b book, date string, doc func(id string) any) (string, error) {
	day, err := ledgerDay(date)
	if err != nil {
		return "", err
	}
	seq, err := s.rdb.Incr(ctx, s.keyBookSeq(b)).Result()
	if err != nil {
		return "", fmt.Errorf("store: add %s: %w", b, err)
	}
	id := strconv.FormatInt(seq, 10)
	raw, err := json.Marshal(doc(id))
	if err != nil {
		return "", fmt.Errorf("store: add %s: %w", b, err)
	}
	if err := s.rdb.HSet(ctx, s.keyBookRecord(b, id), "doc", raw, "version", 1).Err(); err != nil {
		return "", fmt.Errorf("store: add %s: %w", b, err)
	}
	// The index is written last: a crash in between leaves an unindexed
	// record, never an index member without its record.
	if err := s.rdb.ZAdd(ctx, s.keyBookIndex(b), redis.Z{Score: float64(day.Unix()), Member: id}).Err(); err != nil {
		return "", fmt.Errorf("store: add %s: %w", b, err)
	}
	return id, nil
}

// recordEditScript replaces a record's doc if its version is the one the
// editor saw, appending the doc it replaces to the history, atomically.
// KEYS[1] record hash, KEYS[2] history list.
// ARGV[1] expected version ("" = any), ARGV[2] new doc (JSON).
// Returns the new version, -1 when the record does not exist, -2 when the
// version differs.
var recordEditScript = redis.NewScript(`
local cur = redis.call('HMGET', KEYS[1], 'doc', 'version')
if not cur[1] then return -1 end
if ARGV[1] ~= '' and cur[2] ~= ARGV[1] then return -2 end
redis.call('RPUSH', KEYS[2], cur[1])
local nv = tonumber(cur[2]) + 1
redis.call('HSET', KEYS[1], 'doc', ARGV[2], 'version', nv)
return nv
`)

// editRecord replaces record id of b; version 0 = any.
func (s *Store) editRecord(ctx context.Context, b book, id, date string, doc any, version int64) (int64, error) {
	day, err := ledgerDay(date)
	if err != nil {
		return 0, err
	}
	raw, err := json.Marshal(doc)
	if err != nil {
		return 0, fmt.Errorf("store: edit %s %s: %w", b, id, err)
	}
	want := ""
	if version > 0 {
		want = strconv.FormatInt(version, 10)
	}
	n, err := recordEditScript.Run(ctx, s.rdb, []string{s.keyBookRecord(b, id), s.keyBookHistory(b, id)}, want, string(raw)).Int64()
	if err != nil {
		return 0, fmt.Errorf("store: edit %s %s: %w", b, id, err)
	}
	switch n {
	case -1:
		return 0, fmt.Errorf("%w: %s %s", ErrNotFound, b, id)
	case -2:
		return 0, fmt.Errorf("%w: %s %s", ErrVersion, b, id)
	}
	if err := s.rdb.ZAdd(ctx, s.keyBookIndex(b), redis.Z{Score: float64(day.Unix()), Member: id}).Err(); err != nil {
		return 0, fmt.Errorf("store: edit %s %s: %w", b, id, err)
	}
	return n, nil
}

// record reads record id of b into out and returns its version.
func (s *Store) record(ctx context.Context, b book, id string, out any) (int64, error) {
	v, err := s.rdb.HMGet(ctx, s.keyBookRecord(b, id), "doc", "version").Result()
	if err != nil {
		return 0, fmt.Errorf("store: %s %s: %w", b, id, err)
	}
	doc, _ := v[0].(string)
	if doc == "" {
		return 0, fmt.Errorf("%w: %s %s", ErrNotFound, b, id)
	}
	if err := json.Unmarshal([]byte(doc), out); err != nil {
		return 0, fmt.Errorf("store: %s %s: %w", b, id, err)
	}
	ver, _ := v[1].(string)
	n, _ := strconv.ParseInt(ver, 10, 64)
	return n, nil
}

// recordIDs lists the ids of b's records dated in [from, to], by date then id.
func (s *Store) recordIDs(ctx context.Context, b book, from, to string) ([]string, error) {
	return s.datedIDs(ctx, s.keyBookIndex(b), from, to, string(b)+" list")
}

// datedIDs lists the members of a date index (scored by the day's Unix
// time) dated in [from, to], by date then id; what names the list in the
// error.
func (s *Store) datedIDs(ctx context.Context, index, from, to, what string) ([]string, error) {
	f, err := ledgerDay(from)
	if err != nil {
		return nil, err
	}
	t, err := ledgerDay(to)
	if err != nil {
		return nil, err
	}
	ids, err := s.rdb.ZRangeByScore(ctx, index, &redis.ZRangeBy{
		Min: strconv.FormatInt(f.Unix(), 10), Max: strconv.FormatInt(t.Unix(), 10),
	}).Result()
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", what, err)
	}
	return ids, nil
}

// history returns the earlier docs of record id of b, oldest first.
func (s *Store) history(ctx context.Context, b book, id string) ([]string, error) {
	raw, err := s.rdb.LRange(ctx, s.keyBookHistory(b, id), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("store: %s %s history: %w", b, id, err)
	}
	return raw, nil
}

// addRecordOnce is addRecord for a record made from source (e.g.
// "case:12"): however often it is called, and wherever a call was cut off,
// source gets one record. The id is reserved under source first; a retry
// finds it and writes the record if the cut-off call had not.
func (s *Store) addRecordOnce(ctx context.Context, b book, source, date string, doc func(id string) any) (id string, created bool, err error) {
	day, err := ledgerDay(date)
	if err != nil {
		return "", false, err
	}
	seq, err := s.rdb.Incr(ctx, s.keyBookSeq(b)).Result()
	if err != nil {
		return "", false, fmt.Errorf("store: add %s: %w", b, err)
	}
	fresh := strconv.FormatInt(seq, 10)
	ok, err := s.rdb.SetNX(ctx, s.keyBookSource(b, source), fresh, 0).Result()
	if err != nil {
		return "", false, fmt.Errorf("store: add %s from %s: %w", b, source, err)
	}
	id = fresh
	if !ok {
		if id, err = s.rdb.Get(ctx, s.keyBookSource(b, source)).Result(); err != nil {
			return "", false, fmt.Errorf("store: add %s from %s: %w", b, source, err)
		}
	}
	raw, err := json.Marshal(doc(id))
	if err != nil {
		return "", false, fmt.Errorf("store: add %s: %w", b, err)
	}
	// HSETNX: a record already written (and perhaps edited since) stays;
	// the version goes first so that a doc never stands without one.
	if err := s.rdb.HSetNX(ctx, s.keyBookRecord(b, id), "version", 1).Err(); err != nil {
		return "", false, fmt.Errorf("store: add %s: %w", b, err)
	}
	created, err = s.rdb.HSetNX(ctx, s.keyBookRecord(b, id), "doc", raw).Result()
	if err != nil {
		return "", false, fmt.Errorf("store: add %s: %w", b, err)
	}
	if err := s.rdb.ZAdd(ctx, s.keyBookIndex(b), redis.Z{Score: float64(day.Unix()), Member: id}).Err(); err != nil {
		return "", false, fmt.Errorf("store: add %s: %w", b, err)
	}
	return id, created, nil
}

// AddDisputeOnce stores the dispute made from source once (see
// addRecordOnce); created is false when source already had its record.
func (s *Store) AddDisputeOnce(ctx context.Context, source string, d Dispute) (string, bool, error) {
	return s.addRecordOnce(ctx, bookDisputes, source, d.Date, func(id string) any { d.ID, d.Version = id, 0; return d })
}

// AddLegalAidOnce stores the referral made from source once.
func (s *Store) AddLegalAidOnce(ctx context.Context, source string, l LegalAidReferral) (string, bool, error) {
	return s.addRecordOnce(ctx, bookLegalAid, source, l.Date, func(id string) any { l.ID, l.Version = id, 0; return l })
}

// AddDispute stores a new dispute and returns its id.
func (s *Store) AddDispute(ctx context.Context, d Dispute) (string, error) {
	return s.addRecord(ctx, bookDisputes, d.Date, func(id string) any { d.ID, d.Version = id, 0; return d })
}

// EditDispute replaces dispute d.ID; version is the one the editor saw
// (0 = any). It returns the new version.
func (s *Store) EditDispute(ctx context.Context, d Dispute, version int64) (int64, error) {
	d.Version = 0
	return s.editRecord(ctx, bookDisputes, d.ID, d.Date, d, version)
}

// Dispute returns one dispute, or ErrNotFound.
func (s *Store) Dispute(ctx context.Context, id string) (Dispute, error) {
	var d Dispute
	v, err := s.record(ctx, bookDisputes, id, &d)
	d.ID, d.Version = id, v
	return d, err
}

// Disputes lists disputes dated in [from, to] (yyyy-mm-dd, inclusive).
func (s *Store) Disputes(ctx context.Context, from, to string) ([]Dispute, error) {
	ids, err := s.recordIDs(ctx, bookDisputes, from, to)
	if err != nil {
		return nil, err
	}
	return readEach(ctx, ids, s.Dispute)
}

// readEach reads the record of each id with one, in order; a record gone
// since its id was listed is left out.
func readEach[T any](ctx context.Context, ids []string, one func(context.Context, string) (T, error)) ([]T, error) {
	out := make([]T, 0, len(ids))
	for _, id := range ids {
		rec, err := one(ctx, id)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, rec)
	}
	return out, nil
}

// DisputeHistory returns the earlier versions of a dispute, oldest first.
func (s *Store) DisputeHistory(ctx context.Context, id string) ([]Dispute, error) {
	raw, err := s.history(ctx, bookDisputes, id)
	if err != nil {
		return nil, err
	}
	out := make([]Dispute, len(raw))
	for i, r := range raw {
		if err := json.Unmarshal([]byte(r), &out[i]); err != nil {
			return nil, fmt.Errorf("store: dispute %s history: %w", id, err)
		}
		out[i].ID, out[i].Version = id, int64(i+1)
	}
	return out, nil
}

// AddLegalAid stores a new legal-aid referral and returns its id.
func (s *Store) AddLegalAid(ctx context.Context, l LegalAidReferral) (string, error) {
	return s.addRecord(ctx, bookLegalAid, l.Date, func(id string) any { l.ID, l.Version = id, 0; return l })
}

// EditLegalAid replaces referral l.ID; version 0 = any.
func (s *Store) EditLegalAid(ctx context.Context, l LegalAidReferral, version int64) (int64, error) {
	l.Version = 0
	return s.editRecord(ctx, bookLegalAid, l.ID, l.Date, l, version)
}

// LegalAid returns one referral, or ErrNotFound.
func (s *Store) LegalAid(ctx context.Context, id string) (LegalAidReferral, error) {
	var l LegalAidReferral
	v, err := s.record(ctx, bookLegalAid, id, &l)
	l.ID, l.Version = id, v
	return l, err
}

// LegalAids lists referrals dated in [from, to] (inclusive).
func (s *Store) LegalAids(ctx context.Context, from, to string) ([]LegalAidReferral, error) {
	ids, err := s.recordIDs(ctx, bookLegalAid, from, to)
	if err != nil {
		return nil, err
	}
	return readEach(ctx, ids, s.LegalAid)
}
