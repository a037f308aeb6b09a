package campaigns

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/pufa-dev/pufa/store"
	"github.com/pufa-dev/pufa/validation"
)

// DefinitionStore keeps campaign definitions (store.Store implements it).
type DefinitionStore interface {
	CampaignDefs(ctx context.Context) (store.CampaignDefSet, error)
	CampaignDefsVersion(ctx context.Context) (int64, error)
	SaveCampaignDef(ctx context.Context, d store.CampaignDef, seen int64) (int64, error)
}

// Sources of a stored definition.
const (
	SourceConsole = "console" // saved from the console's form
	SourceImport  = "import"  // an uploaded or CLI-imported file
	SourceDir     = "dir"     // read from campaigns.dir
)

// Library is the office's campaign definitions, kept in Redis: the one
// source of truth that every replica, the console and the report read.
// YAML files are an import and export format only.
//
// Dir, when set, is campaigns.dir, read as an inbox on every refresh:
//   - a file whose id Redis does not know is imported;
//   - a file changed since it was last imported is imported again, unless
//     the definition was saved from the console (or an upload) since: then
//     both sides changed, and the file is reported as a conflict and not
//     applied, so a clerk's edit is never overwritten by a stale file;
//   - a file that is unchanged, deleted or invalid changes nothing (an
//     invalid one is reported).
//
// Deleting a file never deletes a definition, so the report does not depend
// on a file still existing.
type Library struct {
	st      DefinitionStore
	dir     string
	quizzes QuizCatalog
	log     *slog.Logger
	now     func() time.Time

	mu      sync.Mutex
	version int64 // of the cached set; -1 = nothing cached
	defs    []*Campaign
	stored  map[string]store.CampaignDef
	bad     error                // unreadable or invalid stored definitions
	files   map[string]fileState // campaigns.dir by file name
}

type fileState struct {
	size  int64
	mod   time.Time
	hash  string
	c     *Campaign
	err   error
	canon []byte
}

// LibraryOptions configure a Library; Store is required.
type LibraryOptions struct {
	Store DefinitionStore
	Dir   string // campaigns.dir, imported as described on Library; "" = none
	// Quizzes checks a definition's quiz: on every save and import (nil =
	// unchecked), so no path stores a campaign that sends residents to a
	// quiz that does not exist.
	Quizzes QuizCatalog
	Logger  *slog.Logger
	Now     func() time.Time
}

// NewLibrary returns a Library.
func NewLibrary(opts LibraryOptions) *Library {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Library{st: opts.Store, dir: opts.Dir, quizzes: opts.Quizzes, log: opts.Logger, now: opts.Now, version: -1, files: map[string]fileState{}}
}

// definitionTimeout bounds one refresh made for a caller without a context
// (Options.Definitions).
const definitionTimeout = 10 * time.Second

// Definitions returns every valid definition, sorted by id, and an error
// joining every problem (invalid stored definitions, invalid or conflicting
// files). It fits Options.Definitions.
func (l *Library) Definitions() ([]*Campaign, error) {
	ctx, cancel := context.WithTimeout(context.Background(), definitionTimeout)
	defer cancel()
	return l.Load(ctx)
}

// Load is Definitions with a context.
func (l *Library) Load(ctx context.Context) ([]*Campaign, error) {
	var fileErr error
	if l.dir != "" {
		fileErr = l.syncDir(ctx)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.refreshLocked(ctx); err != nil {
		if l.version < 0 {
			return nil, err
		}
		// Redis is failing over or unreachable: the definitions last read
		// are still the best knowledge, as a file read was before. Anything
		// that changes state needs Redis and fails on its own.
		l.log.WarnContext(ctx, "campaigns: definitions not refreshed, using the last read", slog.Any("err", err))
	}
	return l.defs, errors.Join(l.bad, fileErr)
}

// refreshLocked reparses the stored definitions when their version moved:
// one GET per call while nothing changes.
func (l *Library) refreshLocked(ctx context.Context) error {
	v, err := l.st.CampaignDefsVersion(ctx)
	if err != nil {
		return fmt.Errorf("campaigns: definitions: %w", err)
	}
	if v == l.version {
		return nil
	}
	set, err := l.st.CampaignDefs(ctx)
	if err != nil {
		return fmt.Errorf("campaigns: definitions: %w", err)
	}
	var defs []*Campaign
	var errs []error
	stored := make(map[string]store.CampaignDef, len(set.Defs))
	for _, d := range set.Defs {
		stored[d.ID] = d
		c, err := Parse(d.ID+".yaml", []byte(d.YAML))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if c.ID != d.ID {
			errs = append(errs, &validation.Problem{File: d.ID + ".yaml", Field: "id", Msg: fmt.Sprintf("%q is stored under %q", c.ID, d.ID)})
			continue
		}
		defs = append(defs, c)
	}
	for _, id := range set.Unreadable {
		errs = append(errs, &validation.Problem{File: id + ".yaml", Msg: "stored definition is unreadable"})
	}
	l.version, l.defs, l.stored, l.bad = set.Version, defs, stored, errors.Join(errs...)
	return nil
}

// Stored returns the stored record of id; ok=false when there is none.
func (l *Library) Stored(ctx context.Context, id string) (store.CampaignDef, bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.refreshLocked(ctx); err != nil {
		return store.CampaignDef{}, false, err
	}
	d, ok := l.stored[id]
	return d, ok, nil
}

// ErrExists refuses to create a definition whose id is taken.
var ErrExists = errors.New("campaigns: a campaign with this id exists")

// Save validates data (YAML) as the definition of its id and stores it in
// canonical form. seen is the version the writer read (0 = a new id, which
// fails with ErrExists if it is taken; another save meanwhile fails with
// store.ErrVersion). name names the text in errors. It returns the
// campaign as stored.
func (l *Library) Save(ctx context.Context, name string, data []byte, seen int64, source, by string) (*Campaign, error) {
	c, err := Parse(name, data)
	if err != nil {
		return nil, err
	}
	if err := CheckQuiz(c, l.quizzes); err != nil {
		return nil, err
	}
	rec := store.CampaignDef{ID: c.ID, YAML: string(c.CanonicalYAML()), Source: source, UpdatedBy: by, UpdatedAt: l.now()}
	if old, ok, err := l.Stored(ctx, c.ID); err != nil {
		return nil, err
	} else if ok {
		rec.SourceFile, rec.SourceHash = old.SourceFile, old.SourceHash
	}
	if _, err := l.st.SaveCampaignDef(ctx, rec, seen); err != nil {
		if errors.Is(err, store.ErrVersion) && seen == 0 {
			return nil, fmt.Errorf("%w: %s", ErrExists, c.ID)
		}
		return nil, err
	}
	return c, nil
}

// Import stores one YAML file's definition, replacing the stored one of the
// same id whatever its version: an import is a deliberate overwrite. It
// returns the campaign and whether its id was new.
func (l *Library) Import(ctx context.Context, name string, data []byte, by string) (*Campaign, bool, error) {
	c, err := Parse(name, data)
	if err != nil {
		return nil, false, err
	}
	old, ok, err := l.Stored(ctx, c.ID)
	if err != nil {
		return nil, false, err
	}
	if _, err := l.Save(ctx, name, data, old.Version, SourceImport, by); err != nil {
		return nil, false, err
	}
	return c, !ok, nil
}

// Export writes every stored definition as <id>.yaml into dir, creating it.
// It returns the file names written.
func (l *Library) Export(ctx context.Context, dir string) ([]string, error) {
	defs, err := l.Load(ctx)
	if defs == nil && err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("campaigns: export: %w", err)
	}
	var names []string
	for _, c := range defs {
		name := filepath.Join(dir, c.ID+".yaml")
		if err := os.WriteFile(name, c.CanonicalYAML(), 0o644); err != nil {
			return names, fmt.Errorf("campaigns: export: %w", err)
		}
		names = append(names, name)
	}
	return names, err
}

// syncDir imports campaigns.dir by the rules on Library. Files are parsed
// again only when their size or time changed.
func (l *Library) syncDir(ctx context.Context) error {
	entries, err := os.ReadDir(l.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("campaigns: %w", err)
	}
	var errs []error
	seen := map[string]string{}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		ext := filepath.Ext(e.Name())
		if !e.IsDir() && (ext == ".yaml" || ext == ".yml") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	for _, n := range names {
		f, err := l.readFile(n)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if f.err != nil {
			errs = append(errs, f.err)
			continue
		}
		if other, dup := seen[f.c.ID]; dup {
			errs = append(errs, &validation.Problem{File: f.c.File, Field: "id", Msg: fmt.Sprintf("%q is also the id of %s", f.c.ID, other)})
			continue
		}
		seen[f.c.ID] = f.c.File
		if err := l.importFile(ctx, n, f); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (l *Library) readFile(n string) (fileState, error) {
	path := filepath.Join(l.dir, n)
	info, err := os.Stat(path)
	if err != nil {
		return fileState{}, fmt.Errorf("campaigns: %w", err)
	}
	l.mu.Lock()
	f, ok := l.files[n]
	l.mu.Unlock()
	if ok && f.size == info.Size() && f.mod.Equal(info.ModTime()) {
		return f, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return fileState{}, fmt.Errorf("campaigns: %w", err)
	}
	sum := sha256.Sum256(data)
	f = fileState{size: info.Size(), mod: info.ModTime(), hash: hex.EncodeToString(sum[:])}
	f.c, f.err = Parse(path, data)
	if f.err == nil {
		f.err = CheckQuiz(f.c, l.quizzes)
	}
	if f.err == nil {
		f.canon = f.c.CanonicalYAML()
	}
	l.mu.Lock()
	l.files[n] = f
	l.mu.Unlock()
	return f, nil
}

// ErrFileConflict reports a file of campaigns.dir that changed while the
// stored definition was also edited; it is not applied.
var ErrFileConflict = errors.New("file changed since it was imported, and the campaign was also edited in the console; the file was not applied (import it to overwrite, or export to see the current definition)")

func (l *Library) importFile(ctx context.Context, name string, f fileState) error {
	old, ok, err := l.Stored(ctx, f.c.ID)
	if err != nil {
		return err
	}
	if ok && old.SourceHash == f.hash {
		return nil // imported before and unchanged: a console edit since stands
	}
	if ok && (old.Source != SourceDir || old.SourceFile != name) {
		if old.YAML == string(f.canon) {
			return nil // same definition by another way: nothing to apply
		}
		return &validation.Problem{File: f.c.File, Msg: ErrFileConflict.Error()}
	}
	rec := store.CampaignDef{ID: f.c.ID, YAML: string(f.canon), Source: SourceDir, SourceFile: name, SourceHash: f.hash,
		UpdatedBy: "campaigns.dir", UpdatedAt: l.now()}
	if _, err := l.st.SaveCampaignDef(ctx, rec, old.Version); err != nil {
		if errors.Is(err, store.ErrVersion) {
			return nil // another replica or a clerk saved first; the next refresh compares again
		}
		return err
	}
	verb := "imported"
	if ok {
		verb = "re-imported (file changed)"
	}
	l.log.InfoContext(ctx, "campaigns: "+verb+" from campaigns.dir", slog.String("campaign", f.c.ID), slog.String("file", name))
	return nil
}

// CanonicalYAML renders c in the one form stored in Redis and exported:
// fixed key order, times in RFC 3339 with the offset they were written
// with. Parse of the result gives back c (File aside) with the same Hash, so
// importing an approved campaign's file does not send it back to draft.
func (c *Campaign) CanonicalYAML() []byte {
	doc := mapping()
	doc.add("id", scalar(c.ID))
	doc.add("title", scalar(c.Title))
	if c.Theme != "" {
		doc.add("theme", scalar(c.Theme))
	}
	doc.add("channel", scalar(string(c.Channel)))
	a := mapping()
	if c.Audience.All {
		a.add("all", plain("true"))
	}
	if len(c.Audience.Tags) > 0 {
		tags := make([]string, len(c.Audience.Tags))
		for i, t := range c.Audience.Tags {
			tags[i] = strconv.FormatInt(t, 10)
		}
		a.add("tags", plainSeq(tags))
	}
	if len(c.Audience.Communities) > 0 {
		a.add("communities", seq(c.Audience.Communities))
	}
	if len(c.Audience.OpenIDs) > 0 {
		a.add("openids", seq(c.Audience.OpenIDs))
	}
	if c.Audience.SMSList != "" {
		a.add("sms_list", scalar(c.Audience.SMSList))
	}
	doc.add("audience", a.Node)
	ct := mapping()
	if c.Content.Text != "" {
		ct.add("text", scalar(c.Content.Text))
	}
	if c.Content.MediaID != "" {
		ct.add("media_id", scalar(c.Content.MediaID))
	}
	if c.Content.Article != "" {
		ct.add("article", scalar(c.Content.Article))
	}
	if t := c.Content.Template; t != nil {
		tm := mapping()
		tm.add("id", scalar(t.ID))
		if t.URL != "" {
			tm.add("url", scalar(t.URL))
		}
		keys := make([]string, 0, len(t.Fields))
		for k := range t.Fields {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		fm := mapping()
		for _, k := range keys {
			fm.add(k, scalar(t.Fields[k]))
		}
		tm.add("fields", fm.Node)
		ct.add("template", tm.Node)
	}
	if m := c.Content.SMS; m != nil {
		sm := mapping()
		sm.add("template", scalar(m.Template))
		if len(m.Params) > 0 {
			keys := make([]string, 0, len(m.Params))
			for k := range m.Params {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			pm := mapping()
			for _, k := range keys {
				pm.add(k, scalar(m.Params[k]))
			}
			sm.add("params", pm.Node)
		}
		ct.add("sms", sm.Node)
	}
	doc.add("content", ct.Node)
	s := c.Schedule
	if !s.At.IsZero() || s.Cron != "" || s.Grace != 0 || s.CatchUp == CatchUpSkip {
		sm := mapping()
		if !s.At.IsZero() {
			sm.add("at", scalar(s.At.Format(time.RFC3339Nano)))
		}
		if s.Cron != "" {
			sm.add("cron", scalar(s.Cron))
		}
		if s.CatchUp != "" {
			sm.add("catch_up", scalar(string(s.CatchUp)))
		}
		if s.Grace != 0 {
			sm.add("grace", scalar(s.Grace.String()))
		}
		doc.add("schedule", sm.Node)
	}
	if !c.Window.From.IsZero() || !c.Window.To.IsZero() {
		wm := mapping()
		if !c.Window.From.IsZero() {
			wm.add("from", scalar(c.Window.From.Format(time.RFC3339Nano)))
		}
		if !c.Window.To.IsZero() {
			wm.add("to", scalar(c.Window.To.Format(time.RFC3339Nano)))
		}
		doc.add("window", wm.Node)
	}
	if q := c.QuietHours; q.Set {
		qm := mapping()
		qm.add("from", scalar(fmt.Sprintf("%02d:%02d", q.From/60, q.From%60)))
		qm.add("to", scalar(fmt.Sprintf("%02d:%02d", q.To/60, q.To%60)))
		doc.add("quiet_hours", qm.Node)
	}
	if c.Quiz != "" {
		doc.add("quiz", scalar(c.Quiz))
	}
	return encodeYAML(doc.Node)
}

func encodeYAML(n *yaml.Node) []byte {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	_ = enc.Encode(n) // a tree of strings: cannot fail
	_ = enc.Close()
	return b.Bytes()
}

// node builders for documents written in a fixed key order.
type mapNode struct{ *yaml.Node }

func mapping() mapNode { return mapNode{&yaml.Node{Kind: yaml.MappingNode}} }

func (m mapNode) add(key string, v *yaml.Node) {
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, v)
}

// scalar is a string, quoted where YAML would read it as something else;
// multi-line text is written as a literal block.
func scalar(s string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	if strings.Contains(s, "\n") {
		n.Style = yaml.LiteralStyle
	}
	return n
}

// plain is a scalar written as is (a number or boolean).
func plain(s string) *yaml.Node {
	if _, err := strconv.ParseInt(s, 10, 64); err == nil {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: s}
	}
	if s == "true" || s == "false" {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: s}
	}
	return scalar(s)
}

func seq(items []string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
	for _, s := range items {
		n.Content = append(n.Content, scalar(s))
	}
	return n
}

func plainSeq(items []string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
	for _, s := range items {
		n.Content = append(n.Content, plain(s))
	}
	return n
}

// Seed imports the YAML files at the top of fsys whose id is not stored
// yet (the demo's built-in samples); stored definitions are left alone.
func (l *Library) Seed(ctx context.Context, fsys fs.FS, prefix string) error {
	defs, err := LoadFS(fsys, prefix)
	for _, c := range defs {
		if _, ok, serr := l.Stored(ctx, c.ID); serr != nil {
			return serr
		} else if ok {
			continue
		}
		rec := store.CampaignDef{ID: c.ID, YAML: string(c.CanonicalYAML()), Source: SourceImport, UpdatedBy: "pufa", UpdatedAt: l.now()}
		if _, serr := l.st.SaveCampaignDef(ctx, rec, 0); serr != nil && !errors.Is(serr, store.ErrVersion) {
			return serr
		}
	}
	return err
}
