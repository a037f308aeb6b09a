package communities_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pufa-dev/pufa/communities"
	"github.com/pufa-dev/pufa/ledger"
	"github.com/pufa-dev/pufa/store"
	"github.com/pufa-dev/pufa/store/storetest"
)

var at = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

func xingfu() communities.Input {
	return communities.Input{ID: "xingfu", Name: "幸福社区", Grids: "第一网格、第二网格", AdviserName: "王律师",
		AdviserFirm: "某某律师事务所", AdviserPhone: "0571-88880000", AdviserHours: "每周三下午", Active: true}
}

func TestCreateValidatesEachField(t *testing.T) {
	ctx := context.Background()
	reg := communities.New(storetest.New(t), func() time.Time { return at })
	if _, err := reg.Create(ctx, xingfu(), "approver"); err != nil {
		t.Fatalf("Create: %v", err)
	}
	tests := []struct {
		name  string
		edit  func(*communities.Input)
		field string
	}{
		{"id with Chinese", func(in *communities.Input) { in.ID = "幸福" }, "社区编号"},
		{"id with a space", func(in *communities.Input) { in.ID = "dong yuan" }, "社区编号"},
		{"id taken", func(in *communities.Input) { in.Name = "新名字" }, "已被“幸福社区”使用"},
		{"name taken", func(in *communities.Input) { in.ID = "xingfu2" }, "社区名称“幸福社区”已被编号 xingfu 使用"},
		{"no name", func(in *communities.Input) { in.ID, in.Name = "dongyuan", " " }, "社区名称不能为空"},
		{"reserved name", func(in *communities.Input) { in.ID, in.Name = "dongyuan", "未命名社区（dongyuan）" }, "未命名社区"},
		{"phone with letters", func(in *communities.Input) { in.ID, in.Name, in.AdviserPhone = "dongyuan", "东园社区", "call me" }, "法律顾问电话"},
		{"adviser without name", func(in *communities.Input) { in.ID, in.Name, in.AdviserName = "dongyuan", "东园社区", "" }, "法律顾问姓名不能为空"},
		{"adviser without phone", func(in *communities.Input) { in.ID, in.Name, in.AdviserPhone = "dongyuan", "东园社区", "" }, "法律顾问电话不能为空"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := xingfu()
			tt.edit(&in)
			_, err := reg.Create(ctx, in, "approver")
			if !errors.Is(err, communities.ErrInvalid) || !strings.Contains(err.Error(), tt.field) {
				t.Fatalf("Create = %v, want ErrInvalid saying %q", err, tt.field)
			}
		})
	}
	list, err := reg.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 {
		t.Fatalf("refused input changed the registry: %+v", list)
	}
	c := list[0]
	if c.Name != "幸福社区" || len(c.Grids) != 2 || c.Adviser.Phone != "0571-88880000" || c.Version != 1 || c.CreatedBy != "approver" {
		t.Errorf("stored = %+v", c)
	}
}

func TestUpdateChecksVersionAndKeepsID(t *testing.T) {
	ctx := context.Background()
	reg := communities.New(storetest.New(t), nil)
	if _, err := reg.Create(ctx, xingfu(), "a"); err != nil {
		t.Fatal(err)
	}
	in := xingfu()
	in.ID = "changed" // ignored: ids never change
	in.AdviserHours = "每周三、周五下午"
	v, err := reg.Update(ctx, "xingfu", in, 1, "b")
	if err != nil || v != 2 {
		t.Fatalf("Update = %d, %v", v, err)
	}
	if _, err := reg.Update(ctx, "xingfu", in, 1, "c"); !errors.Is(err, store.ErrVersion) {
		t.Fatalf("stale Update = %v, want ErrVersion", err)
	}
	c, err := reg.Get(ctx, "xingfu")
	if err != nil {
		t.Fatal(err)
	}
	if c.Adviser.Hours != "每周三、周五下午" || c.UpdatedBy != "b" || c.CreatedBy != "a" || c.Version != 2 {
		t.Errorf("after update: %+v", c)
	}
	if _, err := reg.Get(ctx, "changed"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the id moved: %v", err)
	}
}

func TestEnsureSceneRegistersUnnamedOnceAndNeverOverwrites(t *testing.T) {
	ctx := context.Background()
	reg := communities.New(storetest.New(t), nil)
	c, err := reg.EnsureScene(ctx, "dongyuan")
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "" || !c.Active || communities.DisplayName(c) != "未命名社区（dongyuan）" {
		t.Errorf("auto-registered = %+v", c)
	}
	in := communities.Input{Name: "东园社区", Active: true}
	if _, err := reg.Update(ctx, "dongyuan", in, 0, "staff"); err != nil {
		t.Fatal(err)
	}
	c, err = reg.EnsureScene(ctx, "dongyuan")
	if err != nil || c.Name != "东园社区" {
		t.Errorf("a later scan = %+v, %v; the name must stay", c, err)
	}
	if _, err := reg.EnsureScene(ctx, "not valid!"); err == nil {
		t.Error("an invalid scene was registered")
	}
}

func TestDirectoryNamesIDsAndTypedNames(t *testing.T) {
	d := communities.NewDirectory([]communities.Community{{ID: "xingfu", Name: "幸福社区"}, {ID: "dongyuan"}})
	tests := []struct{ recorded, name string }{
		{"xingfu", "幸福社区"},
		{"幸福社区", "幸福社区"},
		{"dongyuan", "未命名社区（dongyuan）"},
		{"未命名社区（dongyuan）", "未命名社区（dongyuan）"},
		{"老街社区", "老街社区"}, // typed before the registry, unknown: as recorded
		{"", ""},
	}
	for _, tt := range tests {
		if got := d.Name(tt.recorded); got != tt.name {
			t.Errorf("Name(%q) = %q, want %q", tt.recorded, got, tt.name)
		}
	}
	if id, ok := d.Resolve("未命名社区（dongyuan）"); !ok || id != "dongyuan" {
		t.Errorf("Resolve of the shown unnamed name = %q, %v", id, ok)
	}
	var _ communities.Namer = d
}

// TestImportMigratesIDsAndLedgerNames is the migration: ASCII ids seen in
// follower records and the ledger become registry entries, ledger rows
// typed with a registered name move to its id, unknown names are reported.
func TestImportMigratesIDsAndLedgerNames(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	for i, c := range []string{"xingfu", "xingfu", "dongyuan"} {
		if err := st.Subscribe(ctx, "o_"+string(rune('a'+i)), c, at); err != nil {
			t.Fatal(err)
		}
	}
	l := ledger.New(st, nil) // no registry yet: names kept as typed
	var ids []string
	for _, c := range []string{"幸福社区", "xingfu", "laojie", "老街社区", ""} {
		id, err := l.Add(ctx, ledger.Input{Date: "2026-02-01", Community: c, Kind: "讲座", Count: 1}, "clerk")
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	reg := communities.New(st, nil)
	if _, err := reg.Create(ctx, xingfu(), "approver"); err != nil {
		t.Fatal(err)
	}
	res, err := reg.Import(ctx, st, "migration")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(res.Registered, ",") != "dongyuan,laojie" {
		t.Errorf("registered = %v, want dongyuan and laojie (xingfu was registered)", res.Registered)
	}
	if res.Resolved != 1 || res.Unmatched["老街社区"] != 1 || len(res.Unmatched) != 1 {
		t.Errorf("result = %+v", res)
	}
	e, err := st.LedgerEntry(ctx, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	if e.Community != "xingfu" || e.Version != 2 || e.UpdatedBy != "migration" {
		t.Errorf("幸福社区 entry after import = %+v", e)
	}
	h, err := st.LedgerHistory(ctx, ids[0])
	if err != nil || len(h) != 1 || h[0].Community != "幸福社区" {
		t.Errorf("history keeps the typed name: %+v, %v", h, err)
	}
	again, err := reg.Import(ctx, st, "migration")
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Registered) != 0 || again.Resolved != 0 {
		t.Errorf("second import changed things: %+v", again)
	}
	counts, err := reg.FollowerCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, c := range counts {
		got[c.Name] = c.Followers
	}
	if got["幸福社区"] != 2 || got["未命名社区（dongyuan）"] != 1 || got["未命名社区（laojie）"] != 0 {
		t.Errorf("follower counts = %v", got)
	}
}

func TestLedgerWithRegistryRecordsIDs(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	reg := communities.New(st, nil)
	if _, err := reg.Create(ctx, xingfu(), "approver"); err != nil {
		t.Fatal(err)
	}
	l := ledger.New(st, nil).WithCommunities(reg)
	id, err := l.Add(ctx, ledger.Input{Date: "2026-02-01", Community: " 幸福社区 ", Kind: "讲座", Count: 1}, "clerk")
	if err != nil {
		t.Fatal(err)
	}
	e, err := l.Get(ctx, id)
	if err != nil || e.Community != "xingfu" {
		t.Errorf("entry = %+v, %v; want community xingfu", e, err)
	}
}
