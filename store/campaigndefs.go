package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
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
	ok, err := s.saveVersioned(ctx, s.keyCampaignDefs(), s.keyCampaignDefsVersion(), "", d.ID, seen, b)
	if err != nil {
		return 0, fmt.Errorf("store: save campaign definition %s: %w", d.ID, err)
	}
	if !ok {
		return 0, fmt.Errorf("%w: campaign definition %s", ErrVersion, d.ID)
	}
	return d.Version, nil
}

// CampaignDefs returns every stored definition with the set's version,
// read in one transaction so the version matches the definitions.
func (s *Store) CampaignDefs(ctx context.Context) (CampaignDefSet, error) {
	set, err := readVersioned(ctx, s, s.keyCampaignDefs(), s.keyCampaignDefsVersion(), func(d CampaignDef) string { return d.ID })
	if err != nil {
		return CampaignDefSet{}, fmt.Errorf("store: campaign definitions: %w", err)
	}
	return CampaignDefSet{Version: set.version, Defs: set.records, Unreadable: set.unreadable}, nil
}

// CampaignDefsVersion returns the version of the set of definitions: 0
// before the first save. Readers poll it and reload when it moves.
func (s *Store) CampaignDefsVersion(ctx context.Context) (int64, error) {
	v, err := s.setVersion(ctx, s.keyCampaignDefsVersion())
	if err != nil {
		return 0, fmt.Errorf("store: campaign definitions version: %w", err)
	}
	return v, nil
}
