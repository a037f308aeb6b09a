package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/pufa-dev/pufa/store"
	"github.com/pufa-dev/pufa/store/storetest"
)

// A definition is saved only over the version its writer read, and every
// save moves the set's version so other replicas reload.
func TestCampaignDefsSaveByVersion(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	def := func(yaml string) store.CampaignDef {
		return store.CampaignDef{ID: "tip", YAML: yaml, Source: "console", UpdatedBy: "张三", UpdatedAt: time.Unix(1795000000, 0)}
	}
	if v, _ := st.CampaignDefsVersion(ctx); v != 0 {
		t.Fatalf("empty version = %d", v)
	}
	for _, step := range []struct {
		name    string
		yaml    string
		seen    int64
		want    int64
		wantErr error
	}{
		{"create", "a", 0, 1, nil},
		{"create again", "b", 0, 0, store.ErrVersion},
		{"edit what was read", "c", 1, 2, nil},
		{"edit a stale read", "d", 1, 0, store.ErrVersion},
	} {
		got, err := st.SaveCampaignDef(ctx, def(step.yaml), step.seen)
		if got != step.want || !errors.Is(err, step.wantErr) {
			t.Errorf("%s: version %d err %v, want %d %v", step.name, got, err, step.want, step.wantErr)
		}
	}
	set, err := st.CampaignDefs(ctx)
	if err != nil || set.Version != 2 || len(set.Defs) != 1 || set.Defs[0].YAML != "c" || set.Defs[0].Version != 2 || set.Defs[0].UpdatedBy != "张三" {
		t.Errorf("set %+v %v", set, err)
	}
}

// A binding code is stored once and taken once.
func TestStaffBindCodeOnce(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	c := store.StaffBindCode{User: "ed", Name: "王五", Expires: time.Unix(1795000600, 0)}
	if ok, err := st.PutStaffBindCode(ctx, "123456", c, time.Minute); !ok || err != nil {
		t.Fatalf("put: %v %v", ok, err)
	}
	if ok, _ := st.PutStaffBindCode(ctx, "123456", c, time.Minute); ok {
		t.Error("a live code was issued twice")
	}
	got, ok, err := st.TakeStaffBindCode(ctx, "123456")
	if !ok || err != nil || got.Name != "王五" || got.User != "ed" || !got.Expires.Equal(c.Expires) {
		t.Errorf("take: %+v %v %v", got, ok, err)
	}
	if _, ok, _ := st.TakeStaffBindCode(ctx, "123456"); ok {
		t.Error("a code was taken twice")
	}
}
