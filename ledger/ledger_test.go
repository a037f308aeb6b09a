package ledger_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/pufa-dev/pufa/ledger"
	"github.com/pufa-dev/pufa/store"
	"github.com/pufa-dev/pufa/store/storetest"
)

func TestValidation(t *testing.T) {
	l := ledger.New(storetest.New(t), nil)
	ctx := context.Background()
	good := ledger.Input{Date: "2026-03-05", Community: "幸福社区", Kind: "讲座", Count: 1, Participants: 40}
	tests := []struct {
		name string
		edit func(*ledger.Input)
		ok   bool
	}{
		{"good, Chinese label", func(*ledger.Input) {}, true},
		{"good, code", func(in *ledger.Input) { in.Kind = "led" }, true},
		{"label without space", func(in *ledger.Input) { in.Kind = "LED标语" }, true},
		{"bad date", func(in *ledger.Input) { in.Date = "2026/03/05" }, false},
		{"impossible date", func(in *ledger.Input) { in.Date = "2026-02-30" }, false},
		{"unknown kind", func(in *ledger.Input) { in.Kind = "跳舞" }, false},
		{"negative count", func(in *ledger.Input) { in.Count = -1 }, false},
		{"negative participants", func(in *ledger.Input) { in.Participants = -3 }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := good
			tt.edit(&in)
			_, err := l.Add(ctx, in, "editor")
			if tt.ok && err != nil {
				t.Fatalf("Add: %v", err)
			}
			if !tt.ok && !errors.Is(err, ledger.ErrInvalid) {
				t.Fatalf("Add = %v, want ErrInvalid", err)
			}
		})
	}
}

func TestEditKeepsHistory(t *testing.T) {
	now := time.Date(2026, 3, 6, 9, 0, 0, 0, time.UTC)
	l := ledger.New(storetest.New(t), func() time.Time { return now })
	ctx := context.Background()
	id, err := l.Add(ctx, ledger.Input{Date: "2026-03-05", Community: "幸福社区", Kind: "banner", Count: 2}, "alice")
	if err != nil {
		t.Fatal(err)
	}
	v, err := l.Edit(ctx, id, ledger.Input{Date: "2026-04-01", Community: "幸福社区", Kind: "banner", Count: 3, Note: "补登"}, 1, "bob")
	if err != nil || v != 2 {
		t.Fatalf("Edit = %d, %v; want version 2", v, err)
	}
	if _, err := l.Edit(ctx, id, ledger.Input{Date: "2026-04-01", Kind: "banner", Count: 9}, 1, "carol"); !errors.Is(err, store.ErrVersion) {
		t.Fatalf("stale edit = %v, want ErrVersion", err)
	}
	if _, err := l.Edit(ctx, "999", ledger.Input{Date: "2026-04-01", Kind: "banner"}, 0, "bob"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("edit of missing entry = %v, want ErrNotFound", err)
	}
	e, err := l.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if e.Count != 3 || e.Date != "2026-04-01" || e.Note != "补登" || e.UpdatedBy != "bob" || e.CreatedBy != "alice" || e.Version != 2 {
		t.Fatalf("entry after edit = %+v", e)
	}
	h, err := l.History(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 1 || h[0].Count != 2 || h[0].Date != "2026-03-05" || h[0].Version != 1 || h[0].CreatedBy != "alice" {
		t.Fatalf("history = %+v", h)
	}
	// The date index follows the edit: the entry moved from March to April.
	march, _ := l.List(ctx, "2026-03-01", "2026-03-31")
	april, _ := l.List(ctx, "2026-04-01", "2026-04-30")
	if len(march) != 0 || len(april) != 1 {
		t.Fatalf("March %d entries, April %d; want 0 and 1", len(march), len(april))
	}
}

func TestListRangeInclusive(t *testing.T) {
	l := ledger.New(storetest.New(t), nil)
	ctx := context.Background()
	for _, d := range []string{"2025-12-31", "2026-01-01", "2026-06-15", "2026-12-31", "2027-01-01"} {
		if _, err := l.Add(ctx, ledger.Input{Date: d, Kind: "sms", Count: 1}, "x"); err != nil {
			t.Fatal(err)
		}
	}
	got, err := l.List(ctx, "2026-01-01", "2026-12-31")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].Date != "2026-01-01" || got[2].Date != "2026-12-31" {
		t.Fatalf("List = %+v", got)
	}
}
