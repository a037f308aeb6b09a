package store_test

import (
	"context"
	"errors"
	"fmt"
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

func TestLoginFailures(t *testing.T) {
	st := storetest.New(t)
	ctx := context.Background()
	for i := 1; i <= 3; i++ {
		if n, err := st.AddLoginFailure(ctx, "ed", "10.0.0.1", time.Minute); err != nil || n != int64(i) {
			t.Fatalf("failure %d counted as %d (%v)", i, n, err)
		}
	}
	if n, _ := st.LoginFailures(ctx, "ed", "10.0.0.2"); n != 0 {
		t.Errorf("another IP has %d failures", n)
	}
	if ttl := st.Client().TTL(ctx, st.Prefix()+"console:fail:ed:10.0.0.1").Val(); ttl <= 0 || ttl > time.Minute {
		t.Errorf("lockout TTL = %v", ttl)
	}
	_ = st.ClearLoginFailures(ctx, "ed", "10.0.0.1")
	if n, _ := st.LoginFailures(ctx, "ed", "10.0.0.1"); n != 0 {
		t.Errorf("after clear: %d", n)
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
