package communities

import (
	"context"
	"fmt"
	"sort"

	"github.com/pufa-dev/pufa/store"
)

// LedgerStore is the activity ledger as the migration reads and rewrites it.
type LedgerStore interface {
	LedgerEntries(ctx context.Context, from, to string) ([]store.LedgerEntry, error)
	EditLedgerEntry(ctx context.Context, e store.LedgerEntry, version int64) (int64, error)
}

// ImportResult says what Import changed.
type ImportResult struct {
	Registered []string       `json:"registered"` // ids registered unnamed, sorted
	Resolved   int            `json:"resolved"`   // ledger entries moved from a registered name to its id
	Unmatched  map[string]int `json:"unmatched"`  // names in the ledger the registry does not know → entries
}

// Import brings the communities pufa recorded before the registry into it:
// every scene id that has followers or appears in the ledger is registered
// (unnamed until staff name it), and every ledger entry typed with a
// registered name is moved to its id, keeping the old version in the
// entry's history. Names nobody registered are reported, not guessed: staff
// create the community, and a second Import resolves them. Running it again
// changes nothing more.
func (r *Registry) Import(ctx context.Context, led LedgerStore, by string) (ImportResult, error) {
	res := ImportResult{Unmatched: map[string]int{}}
	before, err := r.Directory(ctx)
	if err != nil {
		return res, err
	}
	ensure := func(id string) error {
		if _, ok := before.Get(id); ok {
			return nil
		}
		if _, err := r.EnsureScene(ctx, id); err != nil {
			return err
		}
		before.byID[id] = Community{ID: id}
		res.Registered = append(res.Registered, id)
		return nil
	}
	ids, err := r.st.Communities(ctx)
	if err != nil {
		return res, fmt.Errorf("communities: import: %w", err)
	}
	for _, id := range ids {
		if ValidID(id) {
			if err := ensure(id); err != nil {
				return res, err
			}
		}
	}
	if led != nil {
		entries, err := led.LedgerEntries(ctx, "2000-01-01", "2100-12-31")
		if err != nil {
			return res, fmt.Errorf("communities: import: %w", err)
		}
		for _, e := range entries {
			switch {
			case e.Community == "":
			case ValidID(e.Community):
				if err := ensure(e.Community); err != nil {
					return res, err
				}
			default:
				id, ok := before.Resolve(e.Community)
				if !ok {
					res.Unmatched[e.Community]++
					continue
				}
				e.Community, e.UpdatedBy, e.UpdatedAt = id, by, r.now()
				if _, err := led.EditLedgerEntry(ctx, e, e.Version); err != nil {
					return res, fmt.Errorf("communities: import: ledger entry %s: %w", e.ID, err)
				}
				res.Resolved++
			}
		}
	}
	sort.Strings(res.Registered)
	return res, nil
}
