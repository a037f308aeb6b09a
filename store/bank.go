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
	ok, err := s.saveVersioned(ctx, s.keyBankEdits(), s.keyBankVersion(), s.keyBankHistory(e.ID), e.ID, seen, b)
	if err != nil {
		return 0, fmt.Errorf("store: save bank edit %s: %w", e.ID, err)
	}
	if !ok {
		return 0, fmt.Errorf("%w: bank entry %s", ErrVersion, e.ID)
	}
	return e.Version, nil
}

// BankEdits returns every stored edit with the set's version, read in one
// transaction so the version matches the edits.
func (s *Store) BankEdits(ctx context.Context) (BankEditSet, error) {
	set, err := readVersioned(ctx, s, s.keyBankEdits(), s.keyBankVersion(), func(e BankEdit) string { return e.ID })
	if err != nil {
		return BankEditSet{}, fmt.Errorf("store: bank edits: %w", err)
	}
	return BankEditSet{Version: set.version, Edits: set.records, Unreadable: set.unreadable}, nil
}

// BankEditsVersion returns the version of the set of edits: 0 before the
// first edit. Replicas poll it and reload the edits when it moves.
func (s *Store) BankEditsVersion(ctx context.Context) (int64, error) {
	v, err := s.setVersion(ctx, s.keyBankVersion())
	if err != nil {
		return 0, fmt.Errorf("store: bank edits version: %w", err)
	}
	return v, nil
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
