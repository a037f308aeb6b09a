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

// CampaignDef is one campaign definition as stored: its canonical YAML (the
// campaigns package owns the format and validation), a version counting its
// saves, and where the current text came from.
type CampaignDef struct {
	ID   string `json:"id"`
	YAML string `json:"yaml"`
	// Version counts the saves of this definition: 1 for the first.
	Version int64 `json:"version"`
	// Source is how the current text arrived: "console" (the form),
	// "import" (an uploaded or CLI-imported file) or "dir" (read from
	// campaigns.dir).
	Source string `json:"source"`
	// SourceFile and SourceHash name the file of campaigns.dir last imported
	// for this id and the sha256 of its bytes then, so a file changed since
	// is noticed and one unchanged is not imported again.
	SourceFile string    `json:"source_file,omitempty"`
	SourceHash string    `json:"source_hash,omitempty"`
	UpdatedBy  string    `json:"updated_by"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// CampaignDefSet is every stored definition and the version of the set.
type CampaignDefSet struct {
	// Version changes with every save; replicas compare it to notice edits
	// made elsewhere.
	Version int64
	// Defs are ordered by id.
	Defs []CampaignDef
	// Unreadable are ids whose record is not a valid CampaignDef.
	Unreadable []string
}

// SaveCampaignDef stores d as the definition of d.ID and bumps the set's
// version, atomically. seen is the definition's version the writer read (0
// for a new id); when another save came first, nothing changes and the
// error is ErrVersion. It returns the definition's new version (seen+1).
func (s *Store) SaveCampaignDef(ctx context.Context, d CampaignDef, seen int64) (int64, error) {
	if d.ID == "" {
		return 0, errors.New("store: save campaign definition: no id")
	}
	d.Version = seen + 1
	b, err := json.Marshal(d)
	if err != nil {
		return 0, fmt.Errorf("store: save campaign definition %s: %w", d.ID, err)
	}
	n, err := campaignDefSaveScript.Run(ctx, s.rdb, []string{s.keyCampaignDefs(), s.keyCampaignDefsVersion()}, d.ID, seen, b).Int64()
	if err != nil {
		return 0, fmt.Errorf("store: save campaign definition %s: %w", d.ID, err)
	}
	if n < 0 {
		return 0, fmt.Errorf("%w: campaign definition %s", ErrVersion, d.ID)
	}
	return d.Version, nil
}

// campaignDefSaveScript replaces a definition only if its version is still
// the one the writer saw: two clerks saving at once, or two replicas
// importing the same new file, never silently overwrite each other.
// KEYS[1] definitions hash, KEYS[2] version counter.
// ARGV[1] id, ARGV[2] version seen, ARGV[3] the definition (JSON).
// Returns the set's new version, or -1 when the definition's version
// differs. An unreadable record counts as version 0.
var campaignDefSaveScript = redis.NewScript(`
local old = redis.call('HGET', KEYS[1], ARGV[1])
local v = 0
if old then
  local ok, rec = pcall(cjson.decode, old)
  if ok and type(rec) == 'table' and tonumber(rec.version) then v = tonumber(rec.version) end
end
if v ~= tonumber(ARGV[2]) then return -1 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return redis.call('INCR', KEYS[2])
`)

// CampaignDefs returns every stored definition with the set's version,
// read in one transaction so the version matches the definitions.
func (s *Store) CampaignDefs(ctx context.Context) (CampaignDefSet, error) {
	var all *redis.MapStringStringCmd
	var ver *redis.StringCmd
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		all = p.HGetAll(ctx, s.keyCampaignDefs())
		ver = p.Get(ctx, s.keyCampaignDefsVersion())
		return nil
	})
	if err == nil || errors.Is(err, redis.Nil) {
		err = wait(all, ver) // a missing version counter is no error
	}
	if err != nil {
		return CampaignDefSet{}, fmt.Errorf("store: campaign definitions: %w", err)
	}
	set := CampaignDefSet{Version: parseVersion(ver.Val())}
	for id, raw := range all.Val() {
		var d CampaignDef
		if err := json.Unmarshal([]byte(raw), &d); err != nil || d.ID != id {
			set.Unreadable = append(set.Unreadable, id)
			continue
		}
		set.Defs = append(set.Defs, d)
	}
	sort.Slice(set.Defs, func(i, j int) bool { return set.Defs[i].ID < set.Defs[j].ID })
	sort.Strings(set.Unreadable)
	return set, nil
}

// CampaignDefsVersion returns the version of the set of definitions: 0
// before the first save. Readers poll it and reload when it moves.
func (s *Store) CampaignDefsVersion(ctx context.Context) (int64, error) {
	v, err := s.rdb.Get(ctx, s.keyCampaignDefsVersion()).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return 0, fmt.Errorf("store: campaign definitions version: %w", err)
	}
	return parseVersion(v), nil
}
