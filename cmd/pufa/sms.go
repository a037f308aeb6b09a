package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"

	"github.com/pufa-dev/pufa/sms"
)

const smsUsage = `usage: pufa sms <subcommand>

  add LIST NUMBER...   add residents who agreed to receive the office's text messages
                       to LIST (an sms campaign's audience.sms_list); 11-digit mobile numbers
  lists                the lists and how many numbers each holds
  erase NUMBER         a resident withdraws: remove the number from every list`

// runSMS is `pufa sms`: the lists of numbers the sms campaign channel sends to.
func runSMS(ctx context.Context, args []string, stdout io.Writer) error {
	sub, args, ok, err := subcommand("sms", smsUsage, args, stdout)
	if !ok {
		return err
	}
	fs := newFlagSet("sms " + sub)
	path := configFlag(fs)
	cfg, pos, err := parseInterleaved(fs, path, args)
	if err != nil {
		return err
	}
	switch sub {
	case "add":
		if len(pos) < 2 {
			return errors.New("sms add: want LIST and at least one NUMBER")
		}
		for _, n := range pos[1:] {
			if !sms.ValidPhone(n) {
				return fmt.Errorf("sms add: %q is not an 11-digit mobile number (号码应为 11 位手机号); nothing was added", n)
			}
		}
	case "erase":
		if len(pos) != 1 {
			return errors.New("sms erase: want exactly one NUMBER")
		}
	case "lists":
	default:
		return fmt.Errorf("sms: unknown subcommand %q\n%s", sub, smsUsage)
	}
	st, err := openStore(cfg.Redis)
	if err != nil {
		return err
	}
	defer st.Close()
	switch sub {
	case "add":
		n, err := st.AddSMSNumbers(ctx, pos[0], pos[1:])
		if err != nil {
			return fmt.Errorf("sms add: %w", err)
		}
		fmt.Fprintf(stdout, "%s: %d added, %d already listed\n", pos[0], n, len(pos)-1-n)
	case "erase":
		n, err := st.EraseSMSNumber(ctx, pos[0])
		if err != nil {
			return fmt.Errorf("sms erase: %w", err)
		}
		fmt.Fprintf(stdout, "removed from %d lists\n", n)
	case "lists":
		lists, err := st.SMSLists(ctx)
		if err != nil {
			return fmt.Errorf("sms lists: %w", err)
		}
		for _, name := range slices.Sorted(maps.Keys(lists)) {
			fmt.Fprintf(stdout, "%s\t%d\n", name, lists[name])
		}
	}
	return nil
}
