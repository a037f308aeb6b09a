package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/pufa-dev/pufa/store"
	"github.com/pufa-dev/pufa/store/storetest"
)

func TestCommunityRegistryStorage(t *testing.T) {
	st := storetest.New(t)
	ctx := context.Background()
	at := time.Unix(1770000000, 0)
	c := store.Community{ID: "xingfu", Name: "幸福社区", Grids: []string{"一网格", "二网格"}, Active: true,
		Adviser: store.Adviser{Name: "王律师", Phone: "0571-88880000"}, CreatedBy: "ap", CreatedAt: at}
	if err := st.AddCommunity(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := st.AddCommunity(ctx, store.Community{ID: "xingfu"}); !errors.Is(err, store.ErrExists) {
		t.Fatalf("second add of one id = %v, want ErrExists (a scan must not overwrite a name)", err)
	}
	c.Grids = nil // an empty list survives Lua's JSON round trip
	c.Adviser.Hours = "每周三 \"下午\"\n"
	v, err := st.EditCommunity(ctx, c, 1)
	if err != nil || v != 2 {
		t.Fatalf("edit = %d, %v", v, err)
	}
	if _, err := st.EditCommunity(ctx, c, 1); !errors.Is(err, store.ErrVersion) {
		t.Errorf("stale edit: %v", err)
	}
	if _, err := st.EditCommunity(ctx, store.Community{ID: "nosuch"}, 0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("edit of a missing community: %v", err)
	}
	got, err := st.Community(ctx, "xingfu")
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "幸福社区" || len(got.Grids) != 0 || got.Adviser.Hours != "每周三 \"下午\"\n" || got.Version != 2 ||
		!got.CreatedAt.Equal(at) || !got.Active {
		t.Errorf("community = %+v", got)
	}
	if _, err := st.Community(ctx, "nosuch"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing community: %v", err)
	}
	if err := st.AddCommunity(ctx, store.Community{ID: "dongyuan"}); err != nil {
		t.Fatal(err)
	}
	all, err := st.RegisteredCommunities(ctx)
	if err != nil || len(all) != 2 || all[0].ID != "dongyuan" || all[1].ID != "xingfu" {
		t.Errorf("registry = %+v, %v", all, err)
	}
	// The registry's keys are no follower sets.
	ids, err := st.Communities(ctx)
	if err != nil || len(ids) != 0 {
		t.Errorf("follower-set communities = %v, %v", ids, err)
	}

	if _, ok, err := st.CommunityQR(ctx, "xingfu"); ok || err != nil {
		t.Errorf("QR before creation: %v, %v", ok, err)
	}
	qr := store.QRTicket{Ticket: "gQ1", URL: "http://weixin.qq.com/q/gQ1", Created: at}
	if err := st.SetCommunityQR(ctx, "xingfu", qr); err != nil {
		t.Fatal(err)
	}
	if got, ok, err := st.CommunityQR(ctx, "xingfu"); !ok || err != nil || got.Ticket != "gQ1" || !got.Created.Equal(at) {
		t.Errorf("QR = %+v, %v, %v", got, ok, err)
	}
}

func TestDisputeAndLegalAidStorage(t *testing.T) {
	st := storetest.New(t)
	ctx := context.Background()
	at := time.Unix(1770000000, 0)
	var ids []string
	for _, date := range []string{"2026-03-05", "2026-01-02", "2027-01-01"} {
		id, err := st.AddDispute(ctx, store.Dispute{Date: date, Community: "xingfu", Type: "邻里", Parties: 2,
			Status: "调处中", AmountFen: 100, CreatedBy: "ed", CreatedAt: at})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	list, err := st.Disputes(ctx, "2026-01-01", "2026-12-31")
	if err != nil || len(list) != 2 || list[0].ID != ids[1] || list[1].ID != ids[0] || list[0].Version != 1 {
		t.Fatalf("2026 disputes = %+v, %v; want two, by date", list, err)
	}
	d := list[1]
	d.Status, d.Date = "调解成功", "2027-02-01" // moving the date moves it in the index
	if v, err := st.EditDispute(ctx, d, 1); err != nil || v != 2 {
		t.Fatalf("edit = %d, %v", v, err)
	}
	if _, err := st.EditDispute(ctx, d, 1); !errors.Is(err, store.ErrVersion) {
		t.Errorf("stale edit: %v", err)
	}
	if _, err := st.EditDispute(ctx, store.Dispute{ID: "99", Date: "2026-01-01"}, 0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("edit of a missing dispute: %v", err)
	}
	if list, _ := st.Disputes(ctx, "2026-01-01", "2026-12-31"); len(list) != 1 {
		t.Errorf("after moving to 2027, 2026 holds %d", len(list))
	}
	h, err := st.DisputeHistory(ctx, ids[0])
	if err != nil || len(h) != 1 || h[0].Status != "调处中" || h[0].Version != 1 {
		t.Errorf("history = %+v, %v", h, err)
	}
	if _, err := st.AddDispute(ctx, store.Dispute{Date: "March"}); err == nil {
		t.Error("a dispute with a bad date was stored")
	}

	lid, err := st.AddLegalAid(ctx, store.LegalAidReferral{Date: "2026-04-01", Community: "xingfu", Matter: "工伤",
		ReferredTo: "区法律援助中心", CreatedBy: "ed", CreatedAt: at})
	if err != nil {
		t.Fatal(err)
	}
	l, err := st.LegalAid(ctx, lid)
	if err != nil || l.ReferredTo != "区法律援助中心" || l.Version != 1 {
		t.Fatalf("legal aid = %+v, %v", l, err)
	}
	l.Note = "已受理"
	if v, err := st.EditLegalAid(ctx, l, 1); err != nil || v != 2 {
		t.Fatalf("edit = %d, %v", v, err)
	}
	if ls, err := st.LegalAids(ctx, "2026-01-01", "2026-12-31"); err != nil || len(ls) != 1 || ls[0].Note != "已受理" {
		t.Errorf("legal aids = %+v, %v", ls, err)
	}
	// Record books and the activity ledger number their records apart.
	if le, err := st.AddLedgerEntry(ctx, store.LedgerEntry{Date: "2026-01-01", Kind: "lecture"}); err != nil || le != "1" {
		t.Errorf("first ledger entry id = %q, %v", le, err)
	}
}
