package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// StaffBindCode is a one-time code a staff member sends to the official
// account ("绑定 123456") to register their WeChat as a preview recipient.
type StaffBindCode struct {
	User    string    `json:"user"` // the console account that asked
	Name    string    `json:"name"` // the name previews are chosen by
	Expires time.Time `json:"expires"`
}

// PutStaffBindCode stores code for ttl unless it is taken; ok=false means
// another live code has the same digits and the caller should draw again.
func (s *Store) PutStaffBindCode(ctx context.Context, code string, b StaffBindCode, ttl time.Duration) (bool, error) {
	v, err := json.Marshal(b)
	if err != nil {
		return false, fmt.Errorf("store: put staff bind code: %w", err)
	}
	ok, err := s.rdb.SetNX(ctx, s.keyStaffBindCode(code), v, ttl).Result()
	if err != nil {
		return false, fmt.Errorf("store: put staff bind code: %w", err)
	}
	return ok, nil
}

// TakeStaffBindCode reads and deletes code in one step, so a code binds
// one WeChat account only; ok=false when it is unknown or expired.
func (s *Store) TakeStaffBindCode(ctx context.Context, code string) (StaffBindCode, bool, error) {
	v, err := s.rdb.GetDel(ctx, s.keyStaffBindCode(code)).Result()
	if errors.Is(err, redis.Nil) {
		return StaffBindCode{}, false, nil
	}
	if err != nil {
		return StaffBindCode{}, false, fmt.Errorf("store: take staff bind code: %w", err)
	}
	var b StaffBindCode
	if err := json.Unmarshal([]byte(v), &b); err != nil {
		return StaffBindCode{}, false, fmt.Errorf("store: take staff bind code: %w", err)
	}
	return b, true, nil
}
