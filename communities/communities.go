// Package communities is the office's community registry: each community's
// id (the ASCII scene string printed in its QR code, stable for ever), its
// Chinese name, the 网格 it covers, its legal adviser (一社区一法律顾问) and
// whether it is active. Everything that shows a community to staff or
// residents — ledger, report, console, bot — goes through the registry for
// its name, so a community is one row however it was typed or scanned.
package communities

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/pufa-dev/pufa/store"
)

// Community is one registered community.
type Community = store.Community

// Adviser is a community's legal adviser.
type Adviser = store.Adviser

// Namer gives a community's display name; the small interface other
// packages depend on.
type Namer interface {
	Name(id string) string
}

// Store is the persistence the registry needs (implemented by *store.Store).
type Store interface {
	AddCommunity(ctx context.Context, c store.Community) error
	EditCommunity(ctx context.Context, c store.Community, version int64) (int64, error)
	Community(ctx context.Context, id string) (store.Community, error)
	RegisteredCommunities(ctx context.Context) ([]store.Community, error)
	CommunityFollowers(ctx context.Context, community string) (int64, error)
	Communities(ctx context.Context) ([]string, error) // ids with follower sets
}

// Registry validates and keeps the communities.
type Registry struct {
	st  Store
	now func() time.Time
}

// New returns the registry over st; now may be nil (time.Now).
func New(st Store, now func() time.Time) *Registry {
	if now == nil {
		now = time.Now
	}
	return &Registry{st: st, now: now}
}

// idPattern is what a QR scene string may be and what the bot accepts.
var idPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// ValidID reports whether s can be a community id (QR scene string).
func ValidID(s string) bool { return idPattern.MatchString(s) }

// UnnamedName is how a community registered from a scanned QR code before
// staff named it is shown: 未命名社区（xingfu）.
func UnnamedName(id string) string { return "未命名社区（" + id + "）" }

// DisplayName is c's name, or UnnamedName until it has one.
func DisplayName(c Community) string {
	if c.Name != "" {
		return c.Name
	}
	return UnnamedName(c.ID)
}

// ErrInvalid wraps every validation failure; the message names the field
// in Chinese.
var ErrInvalid = errors.New("社区信息有误")

// Input is what staff enter for a community.
type Input struct {
	ID           string // only on create; ids never change
	Name         string
	Grids        string // names separated by 、，, or new lines
	AdviserName  string
	AdviserFirm  string
	AdviserPhone string
	AdviserHours string
	Active       bool
}

// InputOf is the form of an existing community, for editing.
func InputOf(c Community) Input {
	return Input{ID: c.ID, Name: c.Name, Grids: strings.Join(c.Grids, "、"), AdviserName: c.Adviser.Name,
		AdviserFirm: c.Adviser.Firm, AdviserPhone: c.Adviser.Phone, AdviserHours: c.Adviser.Hours, Active: c.Active}
}

const (
	maxName  = 30
	maxGrids = 100
	maxField = 60
	maxHours = 100
)

var phonePattern = regexp.MustCompile(`^[0-9][0-9 ()（）-]{4,24}$`)

func splitGrids(s string) []string {
	f := strings.FieldsFunc(s, func(r rune) bool {
		return r == '、' || r == ',' || r == '，' || r == ';' || r == '；' || r == '\n' || r == '\r'
	})
	var out []string
	seen := map[string]bool{}
	for _, g := range f {
		if g = strings.TrimSpace(g); g != "" && !seen[g] {
			seen[g] = true
			out = append(out, g)
		}
	}
	return out
}

func printable(s string) bool {
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// validate checks in against the registry's other communities (self = the
// id being edited, "" on create).
func validate(in Input, others []Community, self string) (Community, error) {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w：%s", ErrInvalid, fmt.Sprintf(format, args...)))
	}
	text := func(label, v string, max int, required bool) string {
		v = strings.TrimSpace(v)
		switch n := utf8.RuneCountInString(v); {
		case n == 0 && required:
			bad("%s不能为空", label)
		case n > max:
			bad("%s超过 %d 个字", label, max)
		case !printable(v):
			bad("%s含有不可见字符", label)
		}
		return v
	}
	c := Community{ID: strings.TrimSpace(in.ID), Active: in.Active}
	if self == "" && !ValidID(c.ID) {
		bad("社区编号（二维码场景值）“%s”须为 1–64 位英文字母、数字、下划线或连字符，如 xingfu", in.ID)
	}
	c.Name = text("社区名称", in.Name, maxName, true)
	if c.Name != "" && strings.HasPrefix(c.Name, "未命名社区") {
		bad("社区名称不能以“未命名社区”开头，请填写正式名称")
	}
	for _, o := range others {
		if o.ID == self {
			continue
		}
		if self == "" && o.ID == c.ID {
			bad("社区编号“%s”已被“%s”使用", c.ID, DisplayName(o))
		}
		if c.Name != "" && o.Name == c.Name {
			bad("社区名称“%s”已被编号 %s 使用", c.Name, o.ID)
		}
	}
	c.Grids = splitGrids(in.Grids)
	if len(c.Grids) > maxGrids {
		bad("网格超过 %d 个", maxGrids)
	}
	for _, g := range c.Grids {
		if utf8.RuneCountInString(g) > maxName || !printable(g) {
			bad("网格名称“%s”须为 %d 个字以内", g, maxName)
		}
	}
	c.Adviser = Adviser{
		Name:  text("法律顾问姓名", in.AdviserName, maxField, false),
		Firm:  text("法律顾问所在律所", in.AdviserFirm, maxField, false),
		Phone: text("法律顾问电话", in.AdviserPhone, maxField, false),
		Hours: text("法律顾问值班时间", in.AdviserHours, maxHours, false),
	}
	if c.Adviser.Phone != "" && !phonePattern.MatchString(c.Adviser.Phone) {
		bad("法律顾问电话“%s”须为电话号码（数字，可含 - 和空格）", c.Adviser.Phone)
	}
	if c.Adviser != (Adviser{}) && c.Adviser.Name == "" {
		bad("法律顾问姓名不能为空（已填写了律所、电话或值班时间）")
	}
	if c.Adviser.Name != "" && c.Adviser.Phone == "" {
		bad("法律顾问电话不能为空：居民询问法律顾问时会看到它")
	}
	return c, errors.Join(errs...)
}

// Create registers a new community by user.
func (r *Registry) Create(ctx context.Context, in Input, by string) (Community, error) {
	all, err := r.st.RegisteredCommunities(ctx)
	if err != nil {
		return Community{}, fmt.Errorf("communities: create: %w", err)
	}
	c, err := validate(in, all, "")
	if err != nil {
		return Community{}, err
	}
	c.CreatedBy, c.CreatedAt = by, r.now()
	if err := r.st.AddCommunity(ctx, c); err != nil {
		if errors.Is(err, store.ErrExists) {
			return Community{}, fmt.Errorf("%w：社区编号“%s”已登记", ErrInvalid, c.ID)
		}
		return Community{}, fmt.Errorf("communities: create: %w", err)
	}
	c.Version = 1
	return c, nil
}

// Update replaces community id with in; version is the version the editor
// saw (0 = no check); a concurrent edit yields store.ErrVersion.
func (r *Registry) Update(ctx context.Context, id string, in Input, version int64, by string) (int64, error) {
	all, err := r.st.RegisteredCommunities(ctx)
	if err != nil {
		return 0, fmt.Errorf("communities: update: %w", err)
	}
	var old *Community
	for i := range all {
		if all[i].ID == id {
			old = &all[i]
		}
	}
	if old == nil {
		return 0, fmt.Errorf("communities: update: %w: community %s", store.ErrNotFound, id)
	}
	c, err := validate(in, all, id)
	if err != nil {
		return 0, err
	}
	c.ID, c.CreatedBy, c.CreatedAt, c.UpdatedBy, c.UpdatedAt = id, old.CreatedBy, old.CreatedAt, by, r.now()
	v, err := r.st.EditCommunity(ctx, c, version)
	if err != nil {
		return 0, fmt.Errorf("communities: update: %w", err)
	}
	return v, nil
}

// Get returns one community, or an error wrapping store.ErrNotFound.
func (r *Registry) Get(ctx context.Context, id string) (Community, error) {
	c, err := r.st.Community(ctx, id)
	if err != nil {
		return Community{}, fmt.Errorf("communities: %w", err)
	}
	return c, nil
}

// EnsureScene returns the community of a scanned scene id, registering an
// unknown one as active and unnamed (shown as 未命名社区（id）) until staff
// name it. A concurrent registration of the same id is no error.
func (r *Registry) EnsureScene(ctx context.Context, id string) (Community, error) {
	if !ValidID(id) {
		return Community{}, fmt.Errorf("communities: scene %q is no community id", id)
	}
	c, err := r.st.Community(ctx, id)
	if err == nil {
		return c, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return Community{}, fmt.Errorf("communities: ensure %s: %w", id, err)
	}
	c = Community{ID: id, Active: true, CreatedBy: "扫码自动登记", CreatedAt: r.now(), Version: 1}
	if err := r.st.AddCommunity(ctx, c); err != nil && !errors.Is(err, store.ErrExists) {
		return Community{}, fmt.Errorf("communities: ensure %s: %w", id, err)
	} else if err != nil {
		return r.Get(ctx, id)
	}
	return c, nil
}

// Directory is a snapshot of the registry for naming many records at once
// (a page, a report). It implements Namer.
type Directory struct {
	byID   map[string]Community
	byName map[string]string // name → id
}

// Directory reads the registry once.
func (r *Registry) Directory(ctx context.Context) (Directory, error) {
	all, err := r.st.RegisteredCommunities(ctx)
	if err != nil {
		return Directory{}, fmt.Errorf("communities: directory: %w", err)
	}
	return NewDirectory(all), nil
}

// NewDirectory indexes cs.
func NewDirectory(cs []Community) Directory {
	d := Directory{byID: map[string]Community{}, byName: map[string]string{}}
	for _, c := range cs {
		d.byID[c.ID] = c
		if c.Name != "" {
			d.byName[c.Name] = c.ID
		}
	}
	return d
}

// Resolve returns the registry id of what was recorded or typed as a
// community: an id, or a registered name (before the registry, ledgers were
// typed with names). ok is false when neither matches.
func (d Directory) Resolve(typed string) (string, bool) {
	typed = strings.TrimSpace(typed)
	if _, ok := d.byID[typed]; ok {
		return typed, true
	}
	if id, ok := d.byName[typed]; ok {
		return id, true
	}
	// An unnamed community as pages show it, typed back by staff.
	if rest, ok := strings.CutPrefix(typed, "未命名社区（"); ok {
		if id, ok := strings.CutSuffix(rest, "）"); ok {
			if _, ok := d.byID[id]; ok {
				return id, true
			}
		}
	}
	return "", false
}

// IDs lists the registered ids, sorted.
func (d Directory) IDs() []string {
	out := make([]string, 0, len(d.byID))
	for id := range d.byID {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

// Name is the display name of a recorded community: the registry's name of
// an id or registered name, 未命名社区（id） for an unnamed one, and what was
// recorded, unchanged, for anything the registry does not know.
func (d Directory) Name(recorded string) string {
	id, ok := d.Resolve(recorded)
	if !ok {
		return recorded
	}
	return DisplayName(d.byID[id])
}

// Get returns a registered community by id.
func (d Directory) Get(id string) (Community, bool) {
	c, ok := d.byID[id]
	return c, ok
}

// Resolve is Directory.Resolve against the registry now (for ledger input).
func (r *Registry) Resolve(ctx context.Context, typed string) (string, bool, error) {
	d, err := r.Directory(ctx)
	if err != nil {
		return "", false, err
	}
	id, ok := d.Resolve(typed)
	return id, ok, nil
}

// Listed is a community with its current followers, for the console list.
type Listed struct {
	Community
	DisplayName string `json:"display_name"`
	Followers   int64  `json:"followers"`
}

// List returns every registered community with its follower count, active
// ones first, then by name.
func (r *Registry) List(ctx context.Context) ([]Listed, error) {
	all, err := r.st.RegisteredCommunities(ctx)
	if err != nil {
		return nil, fmt.Errorf("communities: list: %w", err)
	}
	out := make([]Listed, 0, len(all))
	for _, c := range all {
		n, err := r.st.CommunityFollowers(ctx, c.ID)
		if err != nil {
			return nil, fmt.Errorf("communities: list: %w", err)
		}
		out = append(out, Listed{Community: c, DisplayName: DisplayName(c), Followers: n})
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Active != out[j].Active {
			return out[i].Active
		}
		return out[i].DisplayName < out[j].DisplayName
	})
	return out, nil
}

// Followers are one community's current followers, from pufa's own records
// (follows through its QR code, less unfollows and moves).
type Followers struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Followers int64  `json:"followers"`
}

// FollowerCounts returns the current followers of every community that is
// registered or has followers, by display name.
func (r *Registry) FollowerCounts(ctx context.Context) ([]Followers, error) {
	d, err := r.Directory(ctx)
	if err != nil {
		return nil, err
	}
	ids, err := r.st.Communities(ctx)
	if err != nil {
		return nil, fmt.Errorf("communities: followers: %w", err)
	}
	seen := map[string]bool{}
	for _, id := range ids {
		seen[id] = true
	}
	for id := range d.byID {
		seen[id] = true
	}
	out := make([]Followers, 0, len(seen))
	for id := range seen {
		n, err := r.st.CommunityFollowers(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("communities: followers: %w", err)
		}
		out = append(out, Followers{ID: id, Name: d.Name(id), Followers: n})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
