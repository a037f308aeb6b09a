// Package ledger records the office's offline legal-publicity work (talks,
// banners, LED slogans, mediations …) that no counter sees, so the annual
// report can include it. Entries are validated here and kept in Redis by
// store; every edit keeps the version it replaces.
package ledger

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pufa-dev/pufa/store"
)

// Kind is the type of an offline activity.
type Kind string

// Kinds of activity, in the order the report lists them.
const (
	KindLecture   Kind = "lecture"   // 讲座
	KindEvent     Kind = "event"     // 宣传活动
	KindBanner    Kind = "banner"    // 横幅
	KindLED       Kind = "led"       // LED 标语
	KindSMS       Kind = "sms"       // 短信
	KindMaterial  Kind = "material"  // 宣传材料
	KindTraining  Kind = "training"  // 培训
	KindConsult   Kind = "consult"   // 法律咨询
	KindMediation Kind = "mediation" // 矛盾纠纷调解
	KindLegalAid  Kind = "legal_aid" // 法律援助
	KindMingbai   Kind = "mingbai"   // 法律明白人/法治带头人培训
	KindCadre     Kind = "cadre"     // 领导干部学法
	KindVolunteer Kind = "volunteer" // 普法志愿者活动
	KindCulture   Kind = "culture"   // 法治文化阵地建设
)

// kinds holds each kind's Chinese label and the unit its count is in.
var kinds = []struct {
	kind         Kind
	label, unit  string
	isActivities bool // counts as a 法治宣传活动 in the report's total
}{
	{KindLecture, "讲座", "场", true},
	{KindEvent, "宣传活动", "场", true},
	{KindBanner, "横幅", "条", false},
	{KindLED, "LED 标语", "条", false},
	{KindSMS, "短信", "条", false},
	{KindMaterial, "宣传材料", "份", false},
	{KindTraining, "培训", "场", true},
	{KindConsult, "法律咨询", "人次", false},
	{KindMediation, "矛盾纠纷调解", "件", false},
	{KindLegalAid, "法律援助", "件", false},
	{KindMingbai, "法律明白人/法治带头人培训", "场", true},
	{KindCadre, "领导干部学法", "场", true},
	{KindVolunteer, "普法志愿者活动", "场", true},
	{KindCulture, "法治文化阵地建设", "处", false},
}

// Kinds lists every kind in display order.
func Kinds() []Kind {
	out := make([]Kind, len(kinds))
	for i, k := range kinds {
		out[i] = k.kind
	}
	return out
}

// Label is the kind's Chinese name ("" for an unknown kind).
func (k Kind) Label() string {
	for _, d := range kinds {
		if d.kind == k {
			return d.label
		}
	}
	return ""
}

// Unit is the Chinese measure word of the kind's count (场, 条, 份 …).
func (k Kind) Unit() string {
	for _, d := range kinds {
		if d.kind == k {
			return d.unit
		}
	}
	return ""
}

// IsActivity reports whether the kind is an event counted among the
// 法治宣传活动 (lectures, publicity events, trainings).
func (k Kind) IsActivity() bool {
	for _, d := range kinds {
		if d.kind == k {
			return d.isActivities
		}
	}
	return false
}

// ParseKind accepts a kind's code or its Chinese label.
func ParseKind(s string) (Kind, error) {
	s = strings.TrimSpace(s)
	for _, d := range kinds {
		if string(d.kind) == s || d.label == s || strings.ReplaceAll(d.label, " ", "") == s {
			return d.kind, nil
		}
	}
	codes := make([]string, len(kinds))
	for i, d := range kinds {
		codes[i] = fmt.Sprintf("%s (%s)", d.kind, d.label)
	}
	return "", fmt.Errorf("“%s”不是已知类别，可选：%s", s, strings.Join(codes, "、"))
}

// Entry is one recorded activity.
type Entry = store.LedgerEntry

// Input is what a staff member enters for an activity.
type Input struct {
	Date         string // yyyy-mm-dd
	Community    string
	Kind         string // code or Chinese label
	Count        int64
	Participants int64
	Note         string
}

// ErrInvalid wraps every validation failure; the message names the field
// in Chinese, for the staff who typed it.
var ErrInvalid = errors.New("台账内容有误")

// maxNote bounds a note so a paste accident cannot bloat Redis.
const maxNote = 2000

// MaxCount and MaxParticipants bound one entry's figures. They are far
// above any real activity (a district-wide SMS campaign is a few hundred
// thousand messages) and far below where sums could overflow: even a
// million entries at the bound add up to 10^12.
const (
	MaxCount        = 1_000_000
	MaxParticipants = 1_000_000
)

// validate checks in and returns the normalised entry fields.
func validate(in Input) (store.LedgerEntry, error) {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w：%s", ErrInvalid, fmt.Sprintf(format, args...)))
	}
	d, err := time.Parse("2006-01-02", strings.TrimSpace(in.Date))
	if err != nil {
		bad("日期“%s”不是 yyyy-mm-dd 格式的有效日期", in.Date)
	} else if d.Year() < 2000 || d.Year() > 2100 {
		bad("日期“%s”超出 2000–2100 年", in.Date)
	}
	kind, err := ParseKind(in.Kind)
	if err != nil {
		bad("类别：%v", err)
	}
	switch {
	case in.Count < 0:
		bad("数量不能为负数")
	case in.Count > MaxCount:
		bad("数量 %d 超过上限 %d，请核对（可分多条登记）", in.Count, MaxCount)
	}
	switch {
	case in.Participants < 0:
		bad("参与人次不能为负数")
	case in.Participants > MaxParticipants:
		bad("参与人次 %d 超过上限 %d，请核对（可分多条登记）", in.Participants, MaxParticipants)
	}
	if len([]rune(in.Note)) > maxNote {
		bad("备注超过 %d 个字", maxNote)
	}
	if err := errors.Join(errs...); err != nil {
		return store.LedgerEntry{}, err
	}
	return store.LedgerEntry{Date: d.Format("2006-01-02"), Community: strings.TrimSpace(in.Community), Kind: string(kind),
		Count: in.Count, Participants: in.Participants, Note: strings.TrimSpace(in.Note)}, nil
}

// Store is the persistence the ledger needs (implemented by *store.Store).
type Store interface {
	AddLedgerEntry(ctx context.Context, e store.LedgerEntry) (string, error)
	EditLedgerEntry(ctx context.Context, e store.LedgerEntry, version int64) (int64, error)
	LedgerEntry(ctx context.Context, id string) (store.LedgerEntry, error)
	LedgerEntries(ctx context.Context, from, to string) ([]store.LedgerEntry, error)
	LedgerHistory(ctx context.Context, id string) ([]store.LedgerEntry, error)
	LedgerPage(ctx context.Context, from, to string, offset, limit int) ([]store.LedgerEntry, int64, error)
}

// Ledger validates and records activities.
type Ledger struct {
	st    Store
	names Communities // nil: communities are kept as typed
	now   func() time.Time
}

// New returns a ledger over st; now may be nil (time.Now).
func New(st Store, now func() time.Time) *Ledger {
	if now == nil {
		now = time.Now
	}
	return &Ledger{st: st, now: now}
}

// WithCommunities makes the ledger record a community typed by its
// registry name under its registry id, so one community is one row in the
// report whatever staff typed.
func (l *Ledger) WithCommunities(c Communities) *Ledger {
	l.names = c
	return l
}

func (l *Ledger) resolve(ctx context.Context, e *store.LedgerEntry) error {
	if l.names == nil || e.Community == "" {
		return nil
	}
	id, ok, err := l.names.Resolve(ctx, e.Community)
	if err != nil {
		return fmt.Errorf("ledger: community: %w", err)
	}
	if ok {
		e.Community = id
	}
	return nil
}

// Add records a new activity by user and returns its id.
func (l *Ledger) Add(ctx context.Context, in Input, by string) (string, error) {
	e, err := validate(in)
	if err != nil {
		return "", err
	}
	if err := l.resolve(ctx, &e); err != nil {
		return "", err
	}
	e.CreatedBy, e.CreatedAt = by, l.now()
	id, err := l.st.AddLedgerEntry(ctx, e)
	if err != nil {
		return "", fmt.Errorf("ledger: add: %w", err)
	}
	return id, nil
}

// Edit replaces entry id with in. version is the version the editor saw
// (0 = no check); a concurrent edit yields store.ErrVersion.
func (l *Ledger) Edit(ctx context.Context, id string, in Input, version int64, by string) (int64, error) {
	e, err := validate(in)
	if err != nil {
		return 0, err
	}
	if err := l.resolve(ctx, &e); err != nil {
		return 0, err
	}
	e.ID, e.UpdatedBy, e.UpdatedAt = id, by, l.now()
	v, err := l.st.EditLedgerEntry(ctx, e, version)
	if err != nil {
		return 0, fmt.Errorf("ledger: edit: %w", err)
	}
	return v, nil
}

// Get returns one entry.
func (l *Ledger) Get(ctx context.Context, id string) (Entry, error) { return l.st.LedgerEntry(ctx, id) }

// History returns the versions an entry had before its current one.
func (l *Ledger) History(ctx context.Context, id string) ([]Entry, error) {
	return l.st.LedgerHistory(ctx, id)
}

// Page returns up to limit entries dated from..to inclusive, latest first,
// skipping the first offset, and how many the period holds.
func (l *Ledger) Page(ctx context.Context, from, to string, offset, limit int) ([]Entry, int64, error) {
	return l.st.LedgerPage(ctx, from, to, offset, limit)
}

// List returns entries dated from..to inclusive (yyyy-mm-dd).
func (l *Ledger) List(ctx context.Context, from, to string) ([]Entry, error) {
	return l.st.LedgerEntries(ctx, from, to)
}
