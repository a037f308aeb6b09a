package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/redis/go-redis/v9"
)

// Adviser is a community's legal adviser (一社区一法律顾问) as the office
// registered them; empty fields are unknown and never filled in.
type Adviser struct {
	Name  string `json:"name,omitempty"`
	Firm  string `json:"firm,omitempty"`
	Phone string `json:"phone,omitempty"`
	Hours string `json:"hours,omitempty"` // duty hours as the office writes them
}

// Community is one registry record; the communities package owns
// validation and display.
type Community struct {
	ID        string    `json:"id"`   // QR scene string, ASCII, never changes
	Name      string    `json:"name"` // Chinese name; "" until staff name an auto-registered id
	Grids     []string  `json:"grids,omitempty"`
	Adviser   Adviser   `json:"adviser,omitzero"`
	Active    bool      `json:"active"`
	Version   int64     `json:"version"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedBy string    `json:"updated_by,omitempty"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// ErrExists is returned when creating a record whose id is taken.
var ErrExists = errors.New("store: already exists")

// AddCommunity stores a new community (version 1); ErrExists when the id is
// registered already, so an auto-registration never overwrites a name.
func (s *Store) AddCommunity(ctx context.Context, c Community) error {
	c.Version = 1
	b, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("store: add community %s: %w", c.ID, err)
	}
	ok, err := s.rdb.HSetNX(ctx, s.keyCommunities(), c.ID, b).Result()
	if err != nil {
		return fmt.Errorf("store: add community %s: %w", c.ID, err)
	}
	if !ok {
		return fmt.Errorf("%w: community %s", ErrExists, c.ID)
	}
	return nil
}

// communityEditScript replaces a community's record if its version is the
// one the editor saw, so two staff saving at once cannot lose an edit.
// KEYS[1] registry hash. ARGV[1] id, ARGV[2] expected version ("" = any),
// ARGV[3] the new record as JSON without version.
// Returns the new version, -1 when the community does not exist, -2 when
// the version differs.
var communityEditScript = redis.NewScript(`
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if not cur then return -1 end
local old = cjson.decode(cur)
local v = tonumber(old['version'] or 0)
if ARGV[2] ~= '' and tostring(v) ~= ARGV[2] then return -2 end
local new = cjson.decode(ARGV[3])
new['version'] = v + 1
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(new))
return v + 1
`)

// EditCommunity replaces community c.ID; version is the version the editor
// saw (0 = any). It returns the new version.
func (s *Store) EditCommunity(ctx context.Context, c Community, version int64) (int64, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return 0, fmt.Errorf("store: edit community %s: %w", c.ID, err)
	}
	want := ""
	if version > 0 {
		want = fmt.Sprint(version)
	}
	n, err := communityEditScript.Run(ctx, s.rdb, []string{s.keyCommunities()}, c.ID, want, string(b)).Int64()
	if err != nil {
		return 0, fmt.Errorf("store: edit community %s: %w", c.ID, err)
	}
	switch n {
	case -1:
		return 0, fmt.Errorf("%w: community %s", ErrNotFound, c.ID)
	case -2:
		return 0, fmt.Errorf("%w: community %s", ErrVersion, c.ID)
	}
	return n, nil
}

// Community returns one registered community, or ErrNotFound.
func (s *Store) Community(ctx context.Context, id string) (Community, error) {
	raw, err := s.rdb.HGet(ctx, s.keyCommunities(), id).Result()
	if errors.Is(err, redis.Nil) {
		return Community{}, fmt.Errorf("%w: community %s", ErrNotFound, id)
	}
	if err != nil {
		return Community{}, fmt.Errorf("store: community %s: %w", id, err)
	}
	return decodeCommunity(id, raw)
}

func decodeCommunity(id, raw string) (Community, error) {
	var c Community
	if err := json.Unmarshal([]byte(raw), &c); err != nil {
		return Community{}, fmt.Errorf("store: community %s: %w", id, err)
	}
	c.ID = id
	return c, nil
}

// RegisteredCommunities lists the registry by id.
func (s *Store) RegisteredCommunities(ctx context.Context) ([]Community, error) {
	all, err := s.rdb.HGetAll(ctx, s.keyCommunities()).Result()
	if err != nil {
		return nil, fmt.Errorf("store: communities: %w", err)
	}
	out := make([]Community, 0, len(all))
	for id, raw := range all {
		c, err := decodeCommunity(id, raw)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// QRTicket is a community's permanent QR code as WeChat issued it.
type QRTicket struct {
	Ticket  string    `json:"ticket"`
	URL     string    `json:"url"` // what the code encodes
	Created time.Time `json:"created"`
}

// CommunityQR returns the cached QR ticket of a community; ok is false when
// none was created yet.
func (s *Store) CommunityQR(ctx context.Context, id string) (QRTicket, bool, error) {
	raw, err := s.rdb.HGet(ctx, s.keyCommunityQR(), id).Result()
	if errors.Is(err, redis.Nil) {
		return QRTicket{}, false, nil
	}
	if err != nil {
		return QRTicket{}, false, fmt.Errorf("store: community qr %s: %w", id, err)
	}
	var t QRTicket
	if err := json.Unmarshal([]byte(raw), &t); err != nil {
		return QRTicket{}, false, fmt.Errorf("store: community qr %s: %w", id, err)
	}
	return t, true, nil
}

// SetCommunityQR caches a community's permanent QR ticket: a permanent
// code never expires, so it is kept until replaced.
func (s *Store) SetCommunityQR(ctx context.Context, id string, t QRTicket) error {
	b, err := json.Marshal(t)
	if err != nil {
		return fmt.Errorf("store: set community qr %s: %w", id, err)
	}
	if err := s.rdb.HSet(ctx, s.keyCommunityQR(), id, b).Err(); err != nil {
		return fmt.Errorf("store: set community qr %s: %w", id, err)
	}
	return nil
}
