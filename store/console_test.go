package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pufa-dev/pufa/store"
	"github.com/pufa-dev/pufa/store/storetest"
)

func TestSessions(t *testing.T) {
	st := storetest.New(t)
	ctx := context.Background()
	want := store.Session{User: "ed", Role: "editor", CSRF: "c0ffee", Created: time.Unix(1700000000, 0)}
	if err := st.PutSession(ctx, "abc", want, time.Minute); err != nil {
		t.Fatal(err)
	}
	got, ok, err := st.GetSession(ctx, "abc")
	if err != nil || !ok || got != want {
		t.Fatalf("GetSession = %+v, %v, %v", got, ok, err)
	}
	if ttl := st.Client().TTL(ctx, st.Prefix()+"console:session:abc").Val(); ttl <= 0 || ttl > time.Minute {
		t.Errorf("session TTL = %v", ttl)
	}
	if err := st.DeleteSession(ctx, "abc"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := st.GetSession(ctx, "abc"); ok {
		t.Error("deleted session still found")
	}
}

// Attempts are admitted while free, then one per growing delay; an attempt
// during a delay is refused and not counted.
func TestLoginAttempts(t *testing.T) {
	st := storetest.New(t)
	ctx := context.Background()
	p := store.LoginPolicy{Free: 3, Base: time.Second, Max: 5 * time.Second, Keep: time.Hour}
	t0 := time.Unix(1_800_000_000, 0)
	steps := []struct {
		at   time.Duration // after t0
		wait time.Duration // 0 = admitted
	}{
		{0, 0}, {0, 0}, {0, 0}, // free
		{0, time.Second}, {999 * time.Millisecond, time.Millisecond}, {time.Second, 0}, // 1 s after the 3rd
		{2 * time.Second, time.Second}, {3 * time.Second, 0}, // 2 s after
		{6 * time.Second, time.Second}, {7 * time.Second, 0}, // 4 s after
		{11 * time.Second, time.Second}, {12 * time.Second, 0}, // capped at 5 s
		{17 * time.Second, 0},
	}
	for i, s := range steps {
		wait, err := st.LoginAttempt(ctx, "ed", t0.Add(s.at), p)
		if err != nil || wait != s.wait {
			t.Fatalf("step %d at +%s: wait %s (%v), want %s", i, s.at, wait, err, s.wait)
		}
	}
	if n, _ := st.LoginFailures(ctx, "ed"); n != 8 {
		t.Errorf("counted %d attempts, want the 8 admitted", n)
	}
	if ttl := st.Client().PTTL(ctx, st.Prefix()+"console:fail:ed").Val(); ttl <= 0 || ttl > time.Hour {
		t.Errorf("failure record TTL = %v", ttl)
	}
	if n, _ := st.LoginFailures(ctx, "ap"); n != 0 {
		t.Errorf("another account has %d failures", n)
	}
	// A burst at the moment a delay ends gets one attempt, not many.
	at := t0.Add(22 * time.Second)
	var admitted atomic.Int32
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if wait, err := st.LoginAttempt(ctx, "ed", at, p); err == nil && wait == 0 {
				admitted.Add(1)
			}
		}()
	}
	wg.Wait()
	if admitted.Load() != 1 {
		t.Errorf("%d concurrent attempts admitted, want 1", admitted.Load())
	}
	if had, err := st.ClearLoginFailures(ctx, "ed"); !had || err != nil {
		t.Errorf("clear: %v %v", had, err)
	}
	if wait, _ := st.LoginAttempt(ctx, "ed", at, p); wait != 0 {
		t.Errorf("after clear: wait %s", wait)
	}
}

func TestAuditAndAccounts(t *testing.T) {
	st := storetest.New(t)
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if err := st.Audit(ctx, store.AuditEntry{At: time.Unix(int64(i), 0), User: "ed", Action: fmt.Sprint("a", i)}); err != nil {
			t.Fatal(err)
		}
	}
	log, err := st.AuditLog(ctx, 2)
	if err != nil || len(log) != 2 || log[0].Action != "a2" || log[1].Action != "a1" {
		t.Fatalf("AuditLog = %+v, %v", log, err)
	}
	if _, _, ok, _ := st.Account(ctx, "ap"); ok {
		t.Fatal("account before PutAccount")
	}
	_ = st.PutAccount(ctx, "ap", "$2a$hash", "approver")
	if h, r, ok, err := st.Account(ctx, "ap"); !ok || err != nil || h != "$2a$hash" || r != "approver" {
		t.Errorf("Account = %q %q %v %v", h, r, ok, err)
	}
}

func TestConsultationStatusAndCommunities(t *testing.T) {
	st := storetest.New(t)
	ctx := context.Background()
	id, _ := st.AddConsultation(ctx, "o1", "问题", time.Now())
	if err := st.SetConsultationStatus(ctx, id, "closed"); err != nil {
		t.Fatal(err)
	}
	cs, _ := st.Consultations(ctx, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	if len(cs) != 1 || cs[0].Status != "closed" {
		t.Errorf("consultations = %+v", cs)
	}
	if err := st.SetConsultationStatus(ctx, id, "lost"); err == nil {
		t.Error("unknown status accepted")
	}
	if err := st.SetConsultationStatus(ctx, "999", "closed"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing consultation: %v", err)
	}
	_ = st.SetCommunity(ctx, "o1", "和平社区")
	_ = st.SetCommunity(ctx, "o2", "幸福社区")
	if got, err := st.Communities(ctx); err != nil || fmt.Sprint(got) != "[和平社区 幸福社区]" {
		t.Errorf("Communities = %v, %v", got, err)
	}
}

func TestPreviewRecipients(t *testing.T) {
	st := storetest.New(t)
	ctx := context.Background()
	at := time.Unix(1_800_000_000, 0)
	for _, r := range []store.PreviewRecipient{
		{OpenID: "oB", Name: "张三", AddedBy: "ap", AddedAt: at},
		{OpenID: "oA", Name: "李四", AddedBy: "ap", AddedAt: at},
		{OpenID: "oB", Name: "张三（法治办）", AddedBy: "ap2", AddedAt: at},
	} {
		if err := st.PutPreviewRecipient(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	list, err := st.PreviewRecipients(ctx)
	if err != nil || len(list) != 2 || list[0].OpenID != "oB" || list[0].Name != "张三（法治办）" || list[1].AddedBy != "ap" || !list[1].AddedAt.Equal(at) {
		t.Fatalf("list %+v, %v", list, err)
	}
	if r, ok, err := st.PreviewRecipient(ctx, "oA"); !ok || err != nil || r.Name != "李四" {
		t.Errorf("oA: %+v %v %v", r, ok, err)
	}
	if _, ok, _ := st.PreviewRecipient(ctx, "oResident"); ok {
		t.Error("an unregistered openid is found")
	}
	if had, err := st.DeletePreviewRecipient(ctx, "oA"); !had || err != nil {
		t.Errorf("delete: %v %v", had, err)
	}
	if had, _ := st.DeletePreviewRecipient(ctx, "oA"); had {
		t.Error("deleted twice")
	}
}
