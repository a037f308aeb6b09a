package report_test

import (
	"context"
	"testing"
	"time"

	"github.com/pufa-dev/pufa/communities"
	"github.com/pufa-dev/pufa/report"
	"github.com/pufa-dev/pufa/store"
	"github.com/pufa-dev/pufa/store/storetest"
)

// TestCommunitiesByRegistryName: an id scanned from a QR code and the name
// typed in the ledger are one row under the registry's name, with the
// followers of the id; a registered community with followers and no other
// figures has its row too.
func TestCommunitiesByRegistryName(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	reg := communities.New(st, nil)
	for _, in := range []communities.Input{{ID: "xingfu", Name: "幸福社区", Active: true}, {ID: "dongyuan", Name: "东园社区", Active: true}} {
		if _, err := reg.Create(ctx, in, "ap"); err != nil {
			t.Fatal(err)
		}
	}
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	for i, c := range []string{"xingfu", "xingfu", "dongyuan", "dongyuan", "dongyuan"} {
		if err := st.Subscribe(ctx, "o_"+string(rune('a'+i)), c, at); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []string{"xingfu", "幸福社区", "老街社区"} {
		if _, err := st.AddLedgerEntry(ctx, store.LedgerEntry{Date: "2026-03-02", Community: c, Kind: "lecture", Count: 1,
			Participants: 10, CreatedAt: at}); err != nil {
			t.Fatal(err)
		}
	}
	from, _ := report.ParseDate("2026-01-01")
	to, _ := report.ParseDate("2026-12-31")
	r, err := report.Build(ctx, report.Sources{Ledger: st, Followers: st, Communities: reg}, from, to)
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]report.Community{}
	for _, c := range r.Communities {
		if _, dup := rows[c.Community]; dup {
			t.Errorf("two rows named %s", c.Community)
		}
		rows[c.Community] = c
	}
	if len(rows) != 3 {
		t.Errorf("rows = %+v, want 幸福社区, 东园社区, 老街社区", r.Communities)
	}
	if xf := rows["幸福社区"]; xf.Lectures != 2 || xf.Followers != 2 {
		t.Errorf("幸福社区 = %+v, want 2 lectures and 2 followers", xf)
	}
	if dy := rows["东园社区"]; dy.Followers != 3 || dy.Lectures != 0 {
		t.Errorf("东园社区 = %+v, want its 3 followers", dy)
	}
	if lj := rows["老街社区"]; lj.Lectures != 1 {
		t.Errorf("unregistered name kept as recorded: %+v", lj)
	}
	for _, e := range r.Entries {
		if e.Community == "xingfu" {
			t.Errorf("the ledger table prints the id: %+v", e)
		}
	}
}
