package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// decodeFlatJSON decodes a JSON object of scalars (as Lua's cjson writes a
// hash) into strings.
func decodeFlatJSON(s string) (map[string]string, error) {
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return nil, err
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		switch v := v.(type) {
		case string:
			out[k] = v
		case float64:
			out[k] = strconv.FormatFloat(v, 'f', -1, 64)
		default:
			out[k] = fmt.Sprint(v)
		}
	}
	return out, nil
}

// Session is a signed-in console user.
type Session struct {
	User    string
	Role    string
	CSRF    string
	Created time.Time
}

// PutSession stores a session for ttl.
func (s *Store) PutSession(ctx context.Context, id string, sess Session, ttl time.Duration) error {
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, s.keySession(id), "user", sess.User, "role", sess.Role, "csrf", sess.CSRF, "created", sess.Created.Unix())
		p.Expire(ctx, s.keySession(id), ttl)
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: put session: %w", err)
	}
	return nil
}

// GetSession returns a live session; ok=false when it expired or never was.
func (s *Store) GetSession(ctx context.Context, id string) (Session, bool, error) {
	h, err := s.rdb.HGetAll(ctx, s.keySession(id)).Result()
	if err != nil {
		return Session{}, false, fmt.Errorf("store: get session: %w", err)
	}
	if h["user"] == "" {
		return Session{}, false, nil
	}
	created, _ := strconv.ParseInt(h["created"], 10, 64)
	return Session{User: h["user"], Role: h["role"], CSRF: h["csrf"], Created: time.Unix(created, 0)}, true, nil
}

// DeleteSession ends a session.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	if err := s.rdb.Del(ctx, s.keySession(id)).Err(); err != nil {
		return fmt.Errorf("store: delete session: %w", err)
	}
	return nil
}

// LoginFailures returns the failed logins of user from ip within the lockout window.
func (s *Store) LoginFailures(ctx context.Context, user, ip string) (int64, error) {
	n, err := s.rdb.Get(ctx, s.keyLoginFail(user, ip)).Int64()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("store: login failures: %w", err)
	}
	return n, nil
}

// AddLoginFailure counts a failed login; the count expires window after the
// first failure, which is when a lockout ends.
func (s *Store) AddLoginFailure(ctx context.Context, user, ip string, window time.Duration) (int64, error) {
	k := s.keyLoginFail(user, ip)
	n, err := s.rdb.Incr(ctx, k).Result()
	if err != nil {
		return 0, fmt.Errorf("store: login failure: %w", err)
	}
	if n == 1 {
		if err := s.rdb.Expire(ctx, k, window).Err(); err != nil {
			return 0, fmt.Errorf("store: login failure: %w", err)
		}
	}
	return n, nil
}

// ClearLoginFailures forgets failures after a successful login.
func (s *Store) ClearLoginFailures(ctx context.Context, user, ip string) error {
	if err := s.rdb.Del(ctx, s.keyLoginFail(user, ip)).Err(); err != nil {
		return fmt.Errorf("store: clear login failures: %w", err)
	}
	return nil
}

// PutAccount stores a console account kept in Redis (hash is a bcrypt hash).
func (s *Store) PutAccount(ctx context.Context, user, hash, role string) error {
	if err := s.rdb.HSet(ctx, s.keyAccount(user), "hash", hash, "role", role).Err(); err != nil {
		return fmt.Errorf("store: put account: %w", err)
	}
	return nil
}

// Account returns a Redis-kept console account; ok=false when none.
func (s *Store) Account(ctx context.Context, user string) (hash, role string, ok bool, err error) {
	h, err := s.rdb.HGetAll(ctx, s.keyAccount(user)).Result()
	if err != nil {
		return "", "", false, fmt.Errorf("store: account: %w", err)
	}
	if h["hash"] == "" {
		return "", "", false, nil
	}
	return h["hash"], h["role"], true, nil
}

// AuditEntry is one state-changing console action.
type AuditEntry struct {
	At     time.Time `json:"at"`
	User   string    `json:"user"`
	Action string    `json:"action"`
	Target string    `json:"target,omitempty"`
	Detail string    `json:"detail,omitempty"`
}

// auditKeep bounds the audit list; older actions are dropped.
const auditKeep = 10000

// Audit appends an action to the audit log.
func (s *Store) Audit(ctx context.Context, e AuditEntry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("store: audit: %w", err)
	}
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.LPush(ctx, s.keyAudit(), b)
		p.LTrim(ctx, s.keyAudit(), 0, auditKeep-1)
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: audit: %w", err)
	}
	return nil
}

// AuditLog returns the n latest actions, newest first.
func (s *Store) AuditLog(ctx context.Context, n int) ([]AuditEntry, error) {
	raw, err := s.rdb.LRange(ctx, s.keyAudit(), 0, int64(n-1)).Result()
	if err != nil {
		return nil, fmt.Errorf("store: audit log: %w", err)
	}
	out := make([]AuditEntry, 0, len(raw))
	for _, r := range raw {
		var e AuditEntry
		if err := json.Unmarshal([]byte(r), &e); err != nil {
			return nil, fmt.Errorf("store: audit log: %w", err)
		}
		out = append(out, e)
	}
	return out, nil
}

// SetConsultationStatus moves a consultation to new, answered or closed.
// An answered or closed one expires after the store's consultation
// retention; one reopened (new) is kept until it is closed again.
func (s *Store) SetConsultationStatus(ctx context.Context, id, status string) error {
	var ttl int64
	switch status {
	case "new":
	case "answered", "closed":
		ttl = s.consultRetention.Milliseconds()
	default:
		return fmt.Errorf("store: consultation status %q is not new, answered or closed", status)
	}
	n, err := consultStatusScript.Run(ctx, s.rdb, []string{s.keyConsult(id)}, status, ttl).Int()
	if err != nil {
		return fmt.Errorf("store: consultation %s: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("%w: consultation %s", ErrNotFound, id)
	}
	return nil
}

// Communities lists the communities that have follower sets, sorted. It
// scans the keyspace (every master on Cluster), which is cheap at the scale
// of one office and keeps the follow path free of extra writes.
func (s *Store) Communities(ctx context.Context) ([]string, error) {
	seen := map[string]bool{}
	err := s.scan(ctx, s.keyCommunityFollowers("*"), func(_ redis.Cmdable, keys []string) error {
		for _, k := range keys {
			seen[strings.TrimSuffix(strings.TrimPrefix(k, s.key("community")+":"), ":followers")] = true
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: communities: %w", err)
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out, nil
}
