package ledger_test

import (
	"context"
	"errors"
	"math"
	"strings"
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

// Counts and participants are bounded at input, so no sum of them can
// wrap; a refusal names the field in Chinese and saves nothing.
func TestCountsAreBounded(t *testing.T) {
	st := storetest.New(t)
	l := ledger.New(st, nil)
	ctx := context.Background()
	good := ledger.Input{Date: "2026-03-05", Community: "幸福社区", Kind: "讲座", Count: 1, Participants: 40}
	tests := []struct {
		name  string
		edit  func(*ledger.Input)
		field string // "" = accepted
	}{
		{"count at the bound", func(in *ledger.Input) { in.Count = ledger.MaxCount }, ""},
		{"participants at the bound", func(in *ledger.Input) { in.Participants = ledger.MaxParticipants }, ""},
		{"count past the bound", func(in *ledger.Input) { in.Count = ledger.MaxCount + 1 }, "数量"},
		{"count of int64 max", func(in *ledger.Input) { in.Count = math.MaxInt64 }, "数量"},
		{"participants of int64 max", func(in *ledger.Input) { in.Participants = math.MaxInt64 }, "参与人次"},
		{"negative count", func(in *ledger.Input) { in.Count = math.MinInt64 }, "数量"},
	}
	saved := 0
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := good
			tt.edit(&in)
			_, err := l.Add(ctx, in, "editor")
			if tt.field == "" {
				if err != nil {
					t.Fatalf("Add: %v", err)
				}
				saved++
				return
			}
			if !errors.Is(err, ledger.ErrInvalid) || !strings.Contains(err.Error(), tt.field) {
				t.Fatalf("Add = %v, want ErrInvalid naming %s", err, tt.field)
			}
		})
	}
	got, err := st.LedgerEntries(ctx, "2026-01-01", "2026-12-31")
	if err != nil || len(got) != saved {
		t.Fatalf("%d entries stored (%v), want only the %d accepted", len(got), err, saved)
	}
	// An edit past the bound changes nothing either.
	id := got[0].ID
	if _, err := l.Edit(ctx, id, ledger.Input{Date: "2026-03-05", Kind: "讲座", Count: math.MaxInt64}, 1, "editor"); !errors.Is(err, ledger.ErrInvalid) {
		t.Fatalf("Edit = %v, want ErrInvalid", err)
	}
	if e, _ := l.Get(ctx, id); e.Version != 1 || e.Count > ledger.MaxCount {
		t.Errorf("after a refused edit: %+v", e)
	}
}
