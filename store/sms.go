package store

import (
	"context"
	"fmt"
)

// SMS lists: the mobile numbers of residents who agreed to receive the
// office's text messages, by list name. The numbers are personal data: a
// resident who withdraws is erased from every list at once
// (EraseSMSNumber), and a finished run keeps their status only under a
// pseudonym (ForgetRunRecipients). Checking that a number is well formed
// is the caller's (package sms).

// AddSMSNumbers adds numbers to list and returns how many were new.
func (s *Store) AddSMSNumbers(ctx context.Context, list string, numbers []string) (int, error) {
	if len(numbers) == 0 {
		return 0, nil
	}
	args := make([]any, len(numbers))
	for i, n := range numbers {
		args[i] = n
	}
	n, err := s.rdb.SAdd(ctx, s.keySMSList(list), args...).Result()
	if err != nil {
		return 0, fmt.Errorf("store: sms list %s: %w", list, err)
	}
	if err := s.rdb.SAdd(ctx, s.keySMSLists(), list).Err(); err != nil {
		return 0, fmt.Errorf("store: sms lists: %w", err)
	}
	return int(n), nil
}

// SMSNumbers returns the numbers of list, in no order.
func (s *Store) SMSNumbers(ctx context.Context, list string) ([]string, error) {
	m, err := s.rdb.SMembers(ctx, s.keySMSList(list)).Result()
	if err != nil {
		return nil, fmt.Errorf("store: sms list %s: %w", list, err)
	}
	return m, nil
}

// SMSLists returns the list names with their sizes.
func (s *Store) SMSLists(ctx context.Context) (map[string]int64, error) {
	names, err := s.rdb.SMembers(ctx, s.keySMSLists()).Result()
	if err != nil {
		return nil, fmt.Errorf("store: sms lists: %w", err)
	}
	out := make(map[string]int64, len(names))
	for _, n := range names {
		c, err := s.rdb.SCard(ctx, s.keySMSList(n)).Result()
		if err != nil {
			return nil, fmt.Errorf("store: sms list %s: %w", n, err)
		}
		out[n] = c
	}
	return out, nil
}

// EraseSMSNumber removes number from every list and returns from how many.
// Lists live on different Cluster slots, so this is one SREM per list; it
// is idempotent, and a run already started still reaches the number once
// (its snapshot was taken with consent) unless the campaign is paused.
func (s *Store) EraseSMSNumber(ctx context.Context, number string) (int, error) {
	names, err := s.rdb.SMembers(ctx, s.keySMSLists()).Result()
	if err != nil {
		return 0, fmt.Errorf("store: sms lists: %w", err)
	}
	removed := 0
	for _, n := range names {
		k, err := s.rdb.SRem(ctx, s.keySMSList(n), number).Result()
		if err != nil {
			return removed, fmt.Errorf("store: sms list %s: %w", n, err)
		}
		removed += int(k)
	}
	return removed, nil
}
