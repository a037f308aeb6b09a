package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pufa-dev/pufa/store"
	"github.com/pufa-dev/pufa/store/storetest"
)

// consoleConfig writes a config pointing at st's Redis and prefix.
func consoleConfig(t *testing.T, st *store.Store, extra string) string {
	t.Helper()
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	body := fmt.Sprintf("redis:\n  addrs: [%s]\n  prefix: %q\n%slog:\n  level: warn\n", storetest.Addr(t), st.Prefix(), extra)
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// `pufa console unlock USER` clears an account's login delay at once, and
// the audit log says who did.
func TestConsoleUnlock(t *testing.T) {
	st := storetest.New(t)
	cfg := consoleConfig(t, st, "")
	ctx := context.Background()
	policy := store.LoginPolicy{Free: 5, Base: 2 * time.Second, Max: 15 * time.Minute, Keep: 24 * time.Hour}
	now := time.Now()
	for i := 0; i < 12; i++ {
		now = now.Add(15 * time.Minute)
		if _, err := st.LoginAttempt(ctx, "ed", now, policy); err != nil {
			t.Fatal(err)
		}
	}
	if wait, _ := st.LoginAttempt(ctx, "ed", now, policy); wait == 0 {
		t.Fatal("no delay after 12 failures")
	}
	var out bytes.Buffer
	if err := runConsole(ctx, []string{"unlock", "ed", "--config", cfg}, &out); err != nil {
		t.Fatalf("unlock: %v", err)
	}
	if !strings.Contains(out.String(), "ed") {
		t.Errorf("unlock output: %s", out.String())
	}
	if wait, _ := st.LoginAttempt(ctx, "ed", now, policy); wait != 0 {
		t.Errorf("still waiting %s after unlock", wait)
	}
	log, _ := st.AuditLog(ctx, 5)
	if len(log) == 0 || log[0].Action != "account.unlock" || log[0].Target != "ed" {
		t.Errorf("audit %+v", log)
	}
	out.Reset()
	if err := runConsole(ctx, []string{"unlock", "nobody", "--config", cfg}, &out); err != nil || !strings.Contains(out.String(), "no login delay") {
		t.Errorf("unlock of an account without failures: %v %s", err, out.String())
	}
	if err := runConsole(ctx, []string{"unlock", "--config", cfg}, &out); err == nil {
		t.Error("unlock without a user accepted")
	}
}

// `pufa console adduser` on an existing account changes it and `deluser`
// removes it; either way the account's sessions end (the console checks
// the account on every request, see console's session tests).
func TestConsoleAddAndDeleteUser(t *testing.T) {
	st := storetest.New(t)
	cfg := consoleConfig(t, st, "")
	ctx := context.Background()
	var out bytes.Buffer
	if err := runConsole(ctx, []string{"adduser", "--user", "rd", "--role", "editor", "--password", "first-pass", "--config", cfg}, &out); err != nil {
		t.Fatal(err)
	}
	if err := runConsole(ctx, []string{"adduser", "--user", "bad:name", "--role", "editor", "--password", "first-pass", "--config", cfg}, &out); err == nil {
		t.Error("a user name with ':' accepted")
	}
	if err := runConsole(ctx, []string{"deluser", "rd", "--config", cfg}, &out); err != nil {
		t.Fatalf("deluser: %v", err)
	}
	if _, _, ok, _ := st.Account(ctx, "rd"); ok {
		t.Error("account still stored after deluser")
	}
	if err := runConsole(ctx, []string{"deluser", "rd", "--config", cfg}, &out); err == nil {
		t.Error("deleting a missing account succeeded")
	}
	log, _ := st.AuditLog(ctx, 5)
	if len(log) == 0 || log[0].Action != "account.delete" || log[0].Target != "rd" {
		t.Errorf("audit %+v", log)
	}
}
