package main

import (
	"context"
	"log/slog"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/pufa-dev/pufa/config"
	"github.com/pufa-dev/pufa/store"
	"github.com/pufa-dev/pufa/store/storetest"
)

// A replica starting applies the staff edits kept in Redis; an edit that no
// longer validates is skipped, not fatal; a dead Redis does not stop start.
func TestServiceAppliesStoredBankEdits(t *testing.T) {
	st := storetest.New(t)
	ctx := context.Background()
	good := store.BankEdit{ID: "wage-arbitration-time-limit", Topic: "劳动报酬", Question: "劳动仲裁有时效吗？",
		Paraphrases: []string{"欠薪多久不告就过期了", "劳动仲栽时效多长", "劳动仲裁过了时效怎么办"}, Answer: "有，一般是一年。",
		Cites: []store.BankCite{{Ref: "劳动争议调解仲裁法第二十七条", Quote: "劳动争议申请仲裁的时效期间为一年。"}}}
	bad := good
	bad.ID, bad.Answer = "wage-arrears-what-to-do", "请拨打88886666。"
	for _, e := range []store.BankEdit{good, bad} {
		if _, err := st.SaveBankEdit(ctx, e, 0); err != nil {
			t.Fatal(err)
		}
	}
	cfg := config.Default()
	cfg.WeChat.AppID, cfg.WeChat.AppSecret, cfg.WeChat.Token = "wxtest", "secret", "tok"
	svc, err := newService(cfg, st, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if got := svc.kb.Entry(good.ID); got.Answer != good.Answer {
		t.Errorf("the stored edit is not in force: %q", got.Answer)
	}
	if svc.kb.Entry(bad.ID) != svc.kb.ShippedEntry(bad.ID) {
		t.Error("an invalid stored edit is in force")
	}
	// What the poll does every bankPollInterval.
	fixed := bad
	fixed.Answer = "可以依法讨要。"
	if _, err := st.SaveBankEdit(ctx, fixed, 1); err != nil {
		t.Fatal(err)
	}
	if err := svc.bank.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if got := svc.kb.Entry(bad.ID).Answer; got != fixed.Answer {
		t.Errorf("after the poll residents get %q", got)
	}

	// A dead Redis costs the start at most bankLoadTimeout; it never stops it.
	down := store.New(redis.NewClient(&redis.Options{Addr: deadRedis(t), MaxRetries: -1}), "pufa:")
	if _, err := newService(cfg, down, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatalf("a dead Redis stopped the start: %v", err)
	}
}
