package store_test

import (
	"slices"
	"testing"

	"github.com/pufa-dev/pufa/store/storetest"
)

// A resident who withdraws is removed from every SMS list at once.
func TestSMSListsAndErasure(t *testing.T) {
	st := storetest.New(t)
	if n, err := st.AddSMSNumbers(ctx, "agreed", []string{"13900000001", "13900000002"}); err != nil || n != 2 {
		t.Fatalf("add: %d %v", n, err)
	}
	if n, _ := st.AddSMSNumbers(ctx, "agreed", []string{"13900000002"}); n != 0 {
		t.Errorf("a listed number added again: %d", n)
	}
	st.AddSMSNumbers(ctx, "elders", []string{"13900000002", "13900000003"})
	if n, err := st.EraseSMSNumber(ctx, "13900000002"); err != nil || n != 2 {
		t.Errorf("erase: removed from %d lists (%v), want 2", n, err)
	}
	agreed, _ := st.SMSNumbers(ctx, "agreed")
	elders, _ := st.SMSNumbers(ctx, "elders")
	if !slices.Equal(agreed, []string{"13900000001"}) || !slices.Equal(elders, []string{"13900000003"}) {
		t.Errorf("after erasure: agreed %v, elders %v", agreed, elders)
	}
	lists, err := st.SMSLists(ctx)
	if err != nil || lists["agreed"] != 1 || lists["elders"] != 1 || len(lists) != 2 {
		t.Errorf("lists %v %v", lists, err)
	}
}
