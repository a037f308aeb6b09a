package store_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/pufa-dev/pufa/store"
	"github.com/pufa-dev/pufa/store/storetest"
)

func bankEdit(id, answer string) store.BankEdit {
	return store.BankEdit{
		ID: id, Topic: "劳动报酬", Question: "老板拖欠工资怎么办？", Paraphrases: []string{"欠薪咋办", "工钱不给", "含\"引号\"与换行\n"},
		Answer: answer, Next: "拨打12333。", Cites: []store.BankCite{{Ref: "劳动合同法第三十条", Quote: "用人单位应当按照劳动合同约定"}},
		Author: "pufa 内容组", Change: "edit", EditedBy: "ed", EditedAt: time.Unix(1_770_000_000, 0).UTC(),
	}
}

func TestBankEdits(t *testing.T) {
	st := storetest.New(t)
	ctx := context.Background()
	if v, err := st.BankEditsVersion(ctx); err != nil || v != 0 {
		t.Fatalf("version before any edit = %d, %v", v, err)
	}
	if set, err := st.BankEdits(ctx); err != nil || set.Version != 0 || len(set.Edits) != 0 {
		t.Fatalf("empty set = %+v, %v", set, err)
	}
	first := bankEdit("wage-arrears", "可以依法讨要。")
	if v, err := st.SaveBankEdit(ctx, first, 0); err != nil || v != 1 {
		t.Fatalf("first save = %d, %v", v, err)
	}
	second := bankEdit("wage-arrears", "可以要。")
	second.ReviewedBy, second.ReviewedAt = "李律师", "2026-11-28"
	if v, err := st.SaveBankEdit(ctx, second, 1); err != nil || v != 2 {
		t.Fatalf("second save = %d, %v", v, err)
	}
	// A save from a form that saw version 1 is refused and changes nothing.
	if _, err := st.SaveBankEdit(ctx, bankEdit("wage-arrears", "过时的表单"), 1); !errors.Is(err, store.ErrVersion) {
		t.Fatalf("stale save: %v", err)
	}
	// A new entry must be saved as new.
	if _, err := st.SaveBankEdit(ctx, bankEdit("added", "新增"), 3); !errors.Is(err, store.ErrVersion) {
		t.Fatalf("new entry saved with version 3: %v", err)
	}
	if _, err := st.SaveBankEdit(ctx, bankEdit("added", "新增"), 0); err != nil {
		t.Fatal(err)
	}
	set, err := st.BankEdits(ctx)
	if err != nil || set.Version != 3 || len(set.Edits) != 2 || len(set.Unreadable) != 0 {
		t.Fatalf("set = %+v, %v", set, err)
	}
	if set.Edits[0].ID != "added" || set.Edits[1].ID != "wage-arrears" {
		t.Errorf("edits not ordered by id: %s, %s", set.Edits[0].ID, set.Edits[1].ID)
	}
	second.Version = 2
	if got := set.Edits[1]; !reflect.DeepEqual(got, second) {
		t.Errorf("stored edit\n got %+v\nwant %+v", got, second)
	}
	if v, _ := st.BankEditsVersion(ctx); v != 3 {
		t.Errorf("version = %d, want 3", v)
	}
	if got, ok, err := st.BankEdit(ctx, "wage-arrears"); err != nil || !ok || got.Answer != "可以要。" {
		t.Errorf("BankEdit = %+v, %v, %v", got, ok, err)
	}
	if _, ok, err := st.BankEdit(ctx, "never-edited"); err != nil || ok {
		t.Errorf("BankEdit of an unedited entry: %v, %v", ok, err)
	}
	h, err := st.BankEditHistory(ctx, "wage-arrears")
	first.Version = 1
	if err != nil || len(h) != 1 || !reflect.DeepEqual(h[0], first) {
		t.Fatalf("history = %+v, %v", h, err)
	}

	// A record nobody can read is reported, not fatal to the set, and staff
	// can replace it as if there were none.
	must(t, st.Client().HSet(ctx, st.Prefix()+"bank:{edits}", "broken", "{not json").Err())
	set, err = st.BankEdits(ctx)
	if err != nil || len(set.Edits) != 2 || !reflect.DeepEqual(set.Unreadable, []string{"broken"}) {
		t.Fatalf("set with a broken record = %+v, %v", set, err)
	}
	if _, ok, err := st.BankEdit(ctx, "broken"); ok || err != nil {
		t.Errorf("BankEdit of the broken record: %v, %v", ok, err)
	}
	if _, err := st.SaveBankEdit(ctx, bankEdit("broken", "修好了"), 0); err != nil {
		t.Fatalf("replacing the broken record: %v", err)
	}
	if set, _ = st.BankEdits(ctx); len(set.Edits) != 3 || len(set.Unreadable) != 0 {
		t.Errorf("after the repair: %+v", set)
	}
	if h, err := st.BankEditHistory(ctx, "broken"); err != nil || len(h) != 0 {
		t.Errorf("history of the repaired record: %+v, %v", h, err)
	}
}

// clusterBank is the answer-bank part of TestStoreOnCluster.
func clusterBank(t *testing.T, st *store.Store) {
	ids := []string{"wage-arrears", "wage-arbitration-time-limit", "added-by-staff"}
	for _, id := range ids {
		if _, err := st.SaveBankEdit(ctx, bankEdit(id, "第一版"), 0); err != nil {
			t.Fatalf("save %s: %v", id, err)
		}
		if v, err := st.SaveBankEdit(ctx, bankEdit(id, "第二版"), 1); err != nil || v != 2 {
			t.Fatalf("second save of %s: %d, %v", id, v, err)
		}
		if _, err := st.SaveBankEdit(ctx, bankEdit(id, "过时"), 1); !errors.Is(err, store.ErrVersion) {
			t.Errorf("stale save of %s: %v", id, err)
		}
		if h, err := st.BankEditHistory(ctx, id); err != nil || len(h) != 1 || h[0].Answer != "第一版" {
			t.Errorf("history of %s: %+v, %v", id, h, err)
		}
	}
	set, err := st.BankEdits(ctx)
	if err != nil || set.Version != 6 || len(set.Edits) != 3 || set.Edits[0].Answer != "第二版" || set.Edits[0].Version != 2 {
		t.Errorf("set %+v, %v", set, err)
	}
	if v, err := st.BankEditsVersion(ctx); err != nil || v != 6 {
		t.Errorf("version %d, %v", v, err)
	}
}
