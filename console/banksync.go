package console

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/pufa-dev/pufa/knowledge"
	"github.com/pufa-dev/pufa/store"
)

// KnowledgeBank is what the 问答库 page needs of the knowledge base
// (*knowledge.Base): the entries residents get, the shipped ones for
// comparison, and validating and layering staff edits.
type KnowledgeBank interface {
	Entries() []*knowledge.Entry
	Entry(id string) *knowledge.Entry
	ShippedEntry(id string) *knowledge.Entry
	ValidateEdit(r knowledge.EntryRecord) (*knowledge.Entry, error)
	ApplyEdits(recs []knowledge.EntryRecord) error
}

// BankSync keeps a knowledge base's staff edits in step with Redis. Every
// replica loads the edits at start and polls their version, so an edit saved
// in one replica's console reaches residents on all of them. An edit that no
// longer validates (say a cited law was replaced since) is logged and left
// out, and the entry falls back to the shipped text; it never blocks the
// other edits or the start. It is safe for concurrent use.
type BankSync struct {
	st  *store.Store
	kb  KnowledgeBank
	log *slog.Logger

	// mu serialises loads, so that a slow load never applies an older set
	// over a newer one.
	mu      sync.Mutex
	applied int64            // version of the set in force; -1 before the first load
	skipped map[string]error // id → why its stored edit is not in force
}

// errUnreadableEdit means a stored edit is not a record pufa can read.
var errUnreadableEdit = errors.New("console: stored bank edit is unreadable")

// NewBankSync returns a BankSync; nothing is loaded until Load or Refresh.
func NewBankSync(st *store.Store, kb KnowledgeBank, logger *slog.Logger) *BankSync {
	if logger == nil {
		logger = slog.Default()
	}
	return &BankSync{st: st, kb: kb, log: logger.With("component", "bank-edits"), applied: -1}
}

// KB returns the knowledge base the edits are applied to.
func (b *BankSync) KB() KnowledgeBank { return b.kb }

// Load reads every stored edit and applies the valid ones. It fails only
// when Redis does; invalid and unreadable edits are logged and skipped.
func (b *BankSync) Load(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.load(ctx)
}

func (b *BankSync) load(ctx context.Context) error {
	set, err := b.st.BankEdits(ctx)
	if err != nil {
		return fmt.Errorf("console: load bank edits: %w", err)
	}
	skipped := make(map[string]error)
	for _, id := range set.Unreadable {
		skipped[id] = errUnreadableEdit
		b.log.Error("bank edit skipped", "entry", id, "err", errUnreadableEdit)
	}
	recs := make([]knowledge.EntryRecord, 0, len(set.Edits))
	for _, e := range set.Edits {
		r := recordFromEdit(e)
		if _, err := b.kb.ValidateEdit(r); err != nil {
			skipped[e.ID] = err
			b.log.Error("bank edit skipped", "entry", e.ID, "version", e.Version, "err", err)
			continue
		}
		recs = append(recs, r)
	}
	if err := b.kb.ApplyEdits(recs); err != nil {
		// Each record was valid a moment ago against the same corpus;
		// this would be a bug, and the previous edits stay in force.
		return fmt.Errorf("console: apply bank edits: %w", err)
	}
	b.applied, b.skipped = set.Version, skipped
	b.log.Info("bank edits applied", "version", set.Version, "edits", len(recs), "skipped", len(skipped))
	return nil
}

// Refresh loads the edits when their version moved since the last load.
func (b *BankSync) Refresh(ctx context.Context) error {
	v, err := b.st.BankEditsVersion(ctx)
	if err != nil {
		return fmt.Errorf("console: bank edits version: %w", err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if v == b.applied {
		return nil
	}
	return b.load(ctx)
}

// Run refreshes every interval until ctx ends; failures are logged and
// retried at the next tick.
func (b *BankSync) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := b.Refresh(ctx); err != nil && ctx.Err() == nil {
				b.log.Warn("bank edits not refreshed", "err", err)
			}
		}
	}
}

// Skipped returns why the stored edit of id is not in force, or nil.
func (b *BankSync) Skipped(id string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.skipped[id]
}

// SkippedCount is how many stored edits are not in force.
func (b *BankSync) SkippedCount() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.skipped)
}

// recordFromEdit is the knowledge record of a stored edit.
func recordFromEdit(e store.BankEdit) knowledge.EntryRecord {
	r := knowledge.EntryRecord{
		ID: e.ID, Topic: e.Topic, Question: e.Question, Paraphrases: e.Paraphrases, Answer: e.Answer, Next: e.Next,
		Author: e.Author, ReviewedBy: e.ReviewedBy, ReviewedAt: e.ReviewedAt, Disabled: e.Disabled,
	}
	for _, c := range e.Cites {
		r.Cites = append(r.Cites, knowledge.CiteRecord{Ref: c.Ref, Quote: c.Quote})
	}
	return r
}

// editFromRecord is the stored form of a knowledge record; the caller adds
// who changed it and how.
func editFromRecord(r knowledge.EntryRecord) store.BankEdit {
	e := store.BankEdit{
		ID: r.ID, Topic: r.Topic, Question: r.Question, Paraphrases: r.Paraphrases, Answer: r.Answer, Next: r.Next,
		Author: r.Author, ReviewedBy: r.ReviewedBy, ReviewedAt: r.ReviewedAt, Disabled: r.Disabled,
	}
	for _, c := range r.Cites {
		e.Cites = append(e.Cites, store.BankCite{Ref: c.Ref, Quote: c.Quote})
	}
	return e
}
