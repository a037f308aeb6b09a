package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// BankEdit is a staff edit of one answer-bank entry (问答库) as stored: the
// whole entry as staff left it, plus who changed it. The knowledge package
// owns the meaning and validation of the entry fields; the console converts.
// The JSON names of the entry fields are those of knowledge.EntryRecord.
type BankEdit struct {
	ID          string     `json:"id"`
	Topic       string     `json:"topic"`
	Question    string     `json:"question"`
	Paraphrases []string   `json:"paraphrases"`
	Answer      string     `json:"answer"`
	Next        string     `json:"next,omitempty"`
	Cites       []BankCite `json:"cites"`
	Author      string     `json:"author,omitempty"`
	ReviewedBy  string     `json:"reviewed_by,omitempty"`
	ReviewedAt  string     `json:"reviewed_at,omitempty"`
	Disabled    bool       `json:"disabled,omitempty"`

	// Version counts the edits of this entry: 1 for the first.
	Version int64 `json:"version"`
	// Change names what the edit did (edit, create, review, disable, enable).
	Change   string    `json:"change,omitempty"`
	EditedBy string    `json:"edited_by"`
	EditedAt time.Time `json:"edited_at"`
}

// BankCite is one citation of a BankEdit: 劳动合同法第三十条 and its quote.
type BankCite struct {
	Ref   string `json:"ref"`
	Quote string `json:"quote,omitempty"`
}

// BankEditSet is every stored edit and the version of the set.
type BankEditSet struct {
	// Version changes with every saved edit; replicas compare it to notice
	// edits made elsewhere.
	Version int64
	// Edits are ordered by id.
	Edits []BankEdit
	// Unreadable are ids whose record is not a valid BankEdit (written by
	// hand, or by a version of pufa that no longer exists); they are left
	// out of Edits rather than failing the whole set.
	Unreadable []string
}

// SaveBankEdit stores e as the current edit of entry e.ID, keeps the edit it
// replaces in the entry's history and bumps the set's version, atomically.
// seen is the entry's edit version the editor saw (0 when it had no edit);
// when another edit was saved meanwhile, nothing changes and the error is
// ErrVersion. It returns the entry's new edit version (seen+1).
func (s *Store) SaveBankEdit(ctx context.Context, e BankEdit, seen int64) (int64, error) {
	if e.ID == "" {
		return 0, errors.New("store: save bank edit: no id")
	}
	e.Version = seen + 1
	b, err := json.Marshal(e)
	if err != nil {
		return 0, fmt.Errorf("store: save bank edit %s: %w", e.ID, err)
	}
	keys := []string{s.keyBankEdits(), s.keyBankVersion(), s.keyBankHistory(e.ID)}
	n, err := bankSaveScript.Run(ctx, s.rdb, keys, e.ID, seen, b).Int64()
	if err != nil {
		return 0, fmt.Errorf("store: save bank edit %s: %w", e.ID, err)
	}
	if n < 0 {
		return 0, fmt.Errorf("%w: bank entry %s", ErrVersion, e.ID)
	}
	return e.Version, nil
}

// bankSaveScript replaces one entry's edit only if its version is still the
// one the editor saw, so two staff members saving at once never silently
// overwrite each other, and a reviewer never marks reviewed a text that
// changed after they read it.
// KEYS[1] edits hash, KEYS[2] version counter, KEYS[3] the entry's history.
// ARGV[1] id, ARGV[2] version seen, ARGV[3] the new edit (JSON).
// Returns the set's new version, or -1 when the entry's version differs. A
// record cjson cannot read counts as version 0, so staff can replace it.
var bankSaveScript = redis.NewScript(`
local old = redis.call('HGET', KEYS[1], ARGV[1])
local v = 0
if old then
  local ok, rec = pcall(cjson.decode, old)
  if ok and type(rec) == 'table' and tonumber(rec.version) then v = tonumber(rec.version) end
end
if v ~= tonumber(ARGV[2]) then return -1 end
if old then redis.call('RPUSH', KEYS[3], old) end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return redis.call('INCR', KEYS[2])
`)

// BankEdits returns every stored edit with the set's version, read in one
// transaction so the version matches the edits.
func (s *Store) BankEdits(ctx context.Context) (BankEditSet, error) {
	var all *redis.MapStringStringCmd
	var ver *redis.StringCmd
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		all = p.HGetAll(ctx, s.keyBankEdits())
		ver = p.Get(ctx, s.keyBankVersion())
		return nil
	})
	if err == nil || errors.Is(err, redis.Nil) {
		err = wait(all, ver) // a missing version counter is no error
	}
	if err != nil {
		return BankEditSet{}, fmt.Errorf("store: bank edits: %w", err)
	}
	set := BankEditSet{Version: parseVersion(ver.Val())}
	for id, raw := range all.Val() {
		var e BankEdit
		if err := json.Unmarshal([]byte(raw), &e); err != nil || e.ID != id {
			set.Unreadable = append(set.Unreadable, id)
			continue
		}
		set.Edits = append(set.Edits, e)
	}
	sort.Slice(set.Edits, func(i, j int) bool { return set.Edits[i].ID < set.Edits[j].ID })
	sort.Strings(set.Unreadable)
	return set, nil
}

// BankEditsVersion returns the version of the set of edits: 0 before the
// first edit. Replicas poll it and reload the edits when it moves.
func (s *Store) BankEditsVersion(ctx context.Context) (int64, error) {
	v, err := s.rdb.Get(ctx, s.keyBankVersion()).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return 0, fmt.Errorf("store: bank edits version: %w", err)
	}
	return parseVersion(v), nil
}

func parseVersion(v string) int64 {
	n, _ := strconv.ParseInt(v, 10, 64)
	return n
}

// BankEdit returns the current edit of one entry; ok=false when staff never
// edited it, or when its record is unreadable (BankEdits reports those, and
// a save with version 0 replaces them).
func (s *Store) BankEdit(ctx context.Context, id string) (BankEdit, bool, error) {
	raw, err := s.rdb.HGet(ctx, s.keyBankEdits(), id).Result()
	if errors.Is(err, redis.Nil) {
		return BankEdit{}, false, nil
	}
	if err != nil {
		return BankEdit{}, false, fmt.Errorf("store: bank edit %s: %w", id, err)
	}
	var e BankEdit
	if err := json.Unmarshal([]byte(raw), &e); err != nil || e.ID != id {
		return BankEdit{}, false, nil
	}
	return e, true, nil
}

// BankEditHistory returns the edits an entry's current edit replaced,
// oldest first. Unreadable versions are skipped: history is for reading.
func (s *Store) BankEditHistory(ctx context.Context, id string) ([]BankEdit, error) {
	raw, err := s.rdb.LRange(ctx, s.keyBankHistory(id), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("store: bank edit history %s: %w", id, err)
	}
	out := make([]BankEdit, 0, len(raw))
	for _, r := range raw {
		var e BankEdit
		if json.Unmarshal([]byte(r), &e) == nil {
			out = append(out, e)
		}
	}
	return out, nil
}
