package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/pufa-dev/pufa/store"
	"github.com/pufa-dev/pufa/store/storetest"
)

func TestLedgerStorage(t *testing.T) {
	st := storetest.New(t)
	ctx := context.Background()
	at := time.Unix(1770000000, 0)
	id, err := st.AddLedgerEntry(ctx, store.LedgerEntry{Date: "2026-03-05", Community: "幸福社区", Kind: "lecture", Count: 2,
		Participants: 80, Note: "含\"引号\"与换行\n", CreatedBy: "ed", CreatedAt: at})
	if err != nil {
		t.Fatal(err)
	}
	v, err := st.EditLedgerEntry(ctx, store.LedgerEntry{ID: id, Date: "2026-03-05", Kind: "lecture", Count: 3, UpdatedBy: "ap", UpdatedAt: at}, 1)
	if err != nil || v != 2 {
		t.Fatalf("edit = %d, %v", v, err)
	}
	if _, err := st.EditLedgerEntry(ctx, store.LedgerEntry{ID: id, Date: "2026-03-05", Kind: "lecture"}, 1); !errors.Is(err, store.ErrVersion) {
		t.Errorf("stale edit: %v", err)
	}
	if _, err := st.AddLedgerEntry(ctx, store.LedgerEntry{Date: "5 March"}); err == nil {
		t.Error("bad date stored")
	}
	h, err := st.LedgerHistory(ctx, id)
	if err != nil || len(h) != 1 {
		t.Fatalf("history = %+v, %v", h, err)
	}
	// The history round-trips through Lua's cjson: text and numbers intact.
	old := h[0]
	if old.Count != 2 || old.Participants != 80 || old.Note != "含\"引号\"与换行\n" || old.CreatedAt != at || old.Version != 1 || old.Community != "幸福社区" {
		t.Errorf("history entry = %+v", old)
	}
	cur, _ := st.LedgerEntry(ctx, id)
	if cur.Count != 3 || cur.Version != 2 || cur.UpdatedBy != "ap" || cur.CreatedBy != "ed" {
		t.Errorf("current = %+v", cur)
	}
}
