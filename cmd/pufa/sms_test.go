package main

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/pufa-dev/pufa/store/storetest"
)

// `pufa sms` keeps the lists an sms campaign sends to: a malformed number
// adds nothing, and erase removes a resident from every list.
func TestSMSListCommands(t *testing.T) {
	st := storetest.New(t)
	cfg := consoleConfig(t, st, "")
	cli := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := runSMS(context.Background(), append(args, "--config", cfg), &out)
		return out.String(), err
	}
	if out, err := cli("add", "agreed", "13900000001", "13900000002"); err != nil || !strings.Contains(out, "2 added") {
		t.Fatalf("add: %q %v", out, err)
	}
	if out, err := cli("add", "agreed", "13900000003", "139-0000-0004"); err == nil || !strings.Contains(err.Error(), "号码应为 11 位手机号") {
		t.Errorf("malformed number: %q %v", out, err)
	}
	cli("add", "elders", "13900000002")
	if out, err := cli("erase", "13900000002"); err != nil || !strings.Contains(out, "removed from 2 lists") {
		t.Errorf("erase: %q %v", out, err)
	}
	nums, _ := st.SMSNumbers(context.Background(), "agreed")
	if !slices.Equal(nums, []string{"13900000001"}) {
		t.Errorf("agreed %v, want only 13900000001 (nothing of the refused add, the erased one gone)", nums)
	}
	if out, _ := cli("lists"); out != "agreed\t1\nelders\t0\n" {
		t.Errorf("lists %q", out)
	}
}
