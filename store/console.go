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
	// Cred fingerprints the account's role and password hash at login; the
	// console ends a session whose account no longer matches it.
	Cred string
}

// PutSession stores a session for ttl.
func (s *Store) PutSession(ctx context.Context, id string, sess Session, ttl time.Duration) error {
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, s.keySession(id), "user", sess.User, "role", sess.Role, "csrf", sess.CSRF, "created", sess.Created.Unix(), "cred", sess.Cred)
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
	return Session{User: h["user"], Role: h["role"], CSRF: h["csrf"], Created: time.Unix(created, 0), Cred: h["cred"]}, true, nil
}

// DeleteSession ends a session.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	if err := s.rdb.Del(ctx, s.keySession(id)).Err(); err != nil {
		return fmt.Errorf("store: delete session: %w", err)
	}
	return nil
}

// LoginPolicy is how long an account waits between login attempts once it
// has failed Free times in a row: Base before the next, then twice as long
// after each further failure, never more than Max. The count is forgotten
// Keep after the last attempt, and at once after a success.
type LoginPolicy struct {
	Free int
	Base time.Duration
	Max  time.Duration
	Keep time.Duration
}

// loginAttemptScript admits a login attempt of one account, or says how
// long it must still wait, in one step: it counts the attempt as a failure
// before the password is even checked, so a burst of concurrent guesses
// at the moment a wait ends gets one attempt, not hundreds. A success
// clears the count (ClearLoginFailures).
// KEYS[1] the account's failure hash (n, last_ms).
// ARGV[1] now (ms), ARGV[2] free attempts, ARGV[3] base delay (ms),
// ARGV[4] max delay (ms), ARGV[5] keep (ms).
// Returns 0 when admitted, else the wait in ms.
var loginAttemptScript = redis.NewScript(`
local now = tonumber(ARGV[1])
local n = tonumber(redis.call('HGET', KEYS[1], 'n') or '0')
local last = tonumber(redis.call('HGET', KEYS[1], 'last_ms') or '0')
local free = tonumber(ARGV[2])
if n >= free then
  local delay = tonumber(ARGV[4])
  local steps = n - free
  if steps < 40 then delay = math.min(delay, tonumber(ARGV[3]) * 2 ^ steps) end
  local wait = last + delay - now
  if wait > 0 then return string.format('%.0f', wait) end
end
redis.call('HSET', KEYS[1], 'n', n + 1, 'last_ms', string.format('%.0f', now))
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 0
`)

// LoginAttempt admits a login attempt of user at now under p, counting it
// as a failure until ClearLoginFailures says otherwise; or it returns how
// long the account must still wait, counting nothing. The count is per
// account, whatever address the attempts come from.
func (s *Store) LoginAttempt(ctx context.Context, user string, now time.Time, p LoginPolicy) (time.Duration, error) {
	v, err := loginAttemptScript.Run(ctx, s.rdb, []string{s.keyLoginFail(user)}, now.UnixMilli(), p.Free,
		p.Base.Milliseconds(), p.Max.Milliseconds(), p.Keep.Milliseconds()).Result()
	if err != nil {
		return 0, fmt.Errorf("store: login attempt: %w", err)
	}
	var ms int64
	switch v := v.(type) {
	case int64:
		ms = v
	case string:
		ms, _ = strconv.ParseInt(v, 10, 64)
	}
	return time.Duration(ms) * time.Millisecond, nil
}

// LoginFailures returns the attempts of user counted since the last success.
func (s *Store) LoginFailures(ctx context.Context, user string) (int64, error) {
	n, err := s.rdb.HGet(ctx, s.keyLoginFail(user), "n").Int64()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("store: login failures: %w", err)
	}
	return n, nil
}

// ClearLoginFailures forgets the attempts of user, after a successful login
// or when an operator unlocks the account (pufa console unlock). It
// reports whether there was anything to forget.
func (s *Store) ClearLoginFailures(ctx context.Context, user string) (bool, error) {
	n, err := s.rdb.Del(ctx, s.keyLoginFail(user)).Result()
	if err != nil {
		return false, fmt.Errorf("store: clear login failures: %w", err)
	}
	return n > 0, nil
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

// DeleteAccount removes a Redis-kept console account; it reports whether
// there was one.
func (s *Store) DeleteAccount(ctx context.Context, user string) (bool, error) {
	n, err := s.rdb.Del(ctx, s.keyAccount(user)).Result()
	if err != nil {
		return false, fmt.Errorf("store: delete account: %w", err)
	}
	return n > 0, nil
}

// AuditPage returns up to limit audit entries, newest first, skipping the
// first offset, and how many the log holds.
func (s *Store) AuditPage(ctx context.Context, offset, limit int) ([]AuditEntry, int64, error) {
	if offset < 0 || limit <= 0 {
		return nil, 0, nil
	}
	total, err := s.rdb.LLen(ctx, s.keyAudit()).Result()
	if err != nil {
		return nil, 0, fmt.Errorf("store: audit log: %w", err)
	}
	raw, err := s.rdb.LRange(ctx, s.keyAudit(), int64(offset), int64(offset+limit-1)).Result()
	if err != nil {
		return nil, 0, fmt.Errorf("store: audit log: %w", err)
	}
	out := make([]AuditEntry, 0, len(raw))
	for _, r := range raw {
		var e AuditEntry
		if err := json.Unmarshal([]byte(r), &e); err != nil {
			return nil, 0, fmt.Errorf("store: audit log: %w", err)
		}
		out = append(out, e)
	}
	return out, total, nil
}

// PreviewRecipient is a staff member registered to receive campaign
// previews.
type PreviewRecipient struct {
	OpenID  string    `json:"openid"`
	Name    string    `json:"name"`
	AddedBy string    `json:"added_by,omitempty"`
	AddedAt time.Time `json:"added_at,omitzero"`
}

// PutPreviewRecipient registers (or renames) a preview recipient.
func (s *Store) PutPreviewRecipient(ctx context.Context, r PreviewRecipient) error {
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("store: put preview recipient: %w", err)
	}
	if err := s.rdb.HSet(ctx, s.keyPreviewRecipients(), r.OpenID, b).Err(); err != nil {
		return fmt.Errorf("store: put preview recipient: %w", err)
	}
	return nil
}

// DeletePreviewRecipient removes a preview recipient; it reports whether
// there was one.
func (s *Store) DeletePreviewRecipient(ctx context.Context, openid string) (bool, error) {
	n, err := s.rdb.HDel(ctx, s.keyPreviewRecipients(), openid).Result()
	if err != nil {
		return false, fmt.Errorf("store: delete preview recipient: %w", err)
	}
	return n > 0, nil
}

// PreviewRecipient returns one registered recipient; ok=false when none.
func (s *Store) PreviewRecipient(ctx context.Context, openid string) (PreviewRecipient, bool, error) {
	v, err := s.rdb.HGet(ctx, s.keyPreviewRecipients(), openid).Result()
	if errors.Is(err, redis.Nil) {
		return PreviewRecipient{}, false, nil
	}
	if err != nil {
		return PreviewRecipient{}, false, fmt.Errorf("store: preview recipient: %w", err)
	}
	var r PreviewRecipient
	if err := json.Unmarshal([]byte(v), &r); err != nil {
		return PreviewRecipient{}, false, fmt.Errorf("store: preview recipient: %w", err)
	}
	r.OpenID = openid
	return r, true, nil
}

// PreviewRecipients lists the registered recipients by name. The list is
// staff, a handful of people, so it is read whole.
func (s *Store) PreviewRecipients(ctx context.Context) ([]PreviewRecipient, error) {
	h, err := s.rdb.HGetAll(ctx, s.keyPreviewRecipients()).Result()
	if err != nil {
		return nil, fmt.Errorf("store: preview recipients: %w", err)
	}
	out := make([]PreviewRecipient, 0, len(h))
	for openid, v := range h {
		var r PreviewRecipient
		if err := json.Unmarshal([]byte(v), &r); err != nil {
			return nil, fmt.Errorf("store: preview recipient %s: %w", openid, err)
		}
		r.OpenID = openid
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].OpenID < out[j].OpenID
	})
	return out, nil
}
