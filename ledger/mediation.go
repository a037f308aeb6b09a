package ledger

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pufa-dev/pufa/store"
)

// DisputeTypes are the 矛盾纠纷 types offices report, in display order.
var disputeTypes = []string{"婚姻家庭", "邻里", "物业", "劳动", "借贷", "交通", "其他"}

// DisputeTypes lists the dispute types in display order.
func DisputeTypes() []string { return append([]string(nil), disputeTypes...) }

// Dispute statuses. Only StatusSuccess counts as 调解成功.
const (
	StatusScreened   = "排查"
	StatusMediating  = "调处中"
	StatusSuccess    = "调解成功"
	StatusFailed     = "调解不成功"
	StatusLitigation = "转诉讼"
	StatusArbitrate  = "转仲裁"
)

var disputeStatuses = []string{StatusScreened, StatusMediating, StatusSuccess, StatusFailed, StatusLitigation, StatusArbitrate}

// DisputeStatuses lists the statuses in the order a case moves through them.
func DisputeStatuses() []string { return append([]string(nil), disputeStatuses...) }

// LegalAidMatters are the matter types of legal-aid referrals.
var legalAidMatters = []string{"劳动报酬", "工伤", "婚姻家庭", "赡养抚养", "人身损害", "借贷", "其他"}

// LegalAidMatters lists the matter types in display order.
func LegalAidMatters() []string { return append([]string(nil), legalAidMatters...) }

// Bounds of one record. MaxParties is far above a group dispute yet catches
// a typo; MaxAmountYuan (1 亿元) is above any 街道 mediation and keeps sums of
// a million records far from overflowing int64 fen.
const (
	MaxParties     = 10_000
	MaxAmountYuan  = 100_000_000
	maxReferredTo  = 100
	maxAmountInput = 20
)

// Dispute is one recorded dispute.
type Dispute = store.Dispute

// LegalAid is one legal-aid referral.
type LegalAid = store.LegalAidReferral

// DisputeInput is what staff enter for a dispute. Amount is in yuan as
// typed: "35000", "3.5万", "12,000.50"; "" = none.
type DisputeInput struct {
	Date      string
	Community string
	Type      string
	Parties   string
	Status    string
	Amount    string
	Note      string
}

// LegalAidInput is what staff enter for a referral.
type LegalAidInput struct {
	Date       string
	Community  string
	Matter     string
	ReferredTo string
	Note       string
}

// Communities resolves what staff typed as a community (registry id or
// name) to the registry id; ok is false for a name not registered, which is
// kept as typed.
type Communities interface {
	Resolve(ctx context.Context, typed string) (id string, ok bool, err error)
}

// Mediation records disputes (排查调处) and legal-aid referrals.
type Mediation struct {
	st    MediationStore
	names Communities // nil: communities are kept as typed
	now   func() time.Time
}

// MediationStore is the persistence Mediation needs (*store.Store).
type MediationStore interface {
	AddDispute(ctx context.Context, d store.Dispute) (string, error)
	EditDispute(ctx context.Context, d store.Dispute, version int64) (int64, error)
	Dispute(ctx context.Context, id string) (store.Dispute, error)
	Disputes(ctx context.Context, from, to string) ([]store.Dispute, error)
	DisputeHistory(ctx context.Context, id string) ([]store.Dispute, error)
	AddLegalAid(ctx context.Context, l store.LegalAidReferral) (string, error)
	EditLegalAid(ctx context.Context, l store.LegalAidReferral, version int64) (int64, error)
	LegalAid(ctx context.Context, id string) (store.LegalAidReferral, error)
	LegalAids(ctx context.Context, from, to string) ([]store.LegalAidReferral, error)
}

// NewMediation returns the mediation ledger over st; names and now may be nil.
func NewMediation(st MediationStore, names Communities, now func() time.Time) *Mediation {
	if now == nil {
		now = time.Now
	}
	return &Mediation{st: st, names: names, now: now}
}

// ParseAmountFen reads an amount in yuan as offices write it ("35000",
// "3.5万", "12,000.50", "35000元") into fen; "" is 0.
func ParseAmountFen(s string) (int64, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(s, "元")
	s = strings.ReplaceAll(strings.ReplaceAll(s, ",", ""), "，", "")
	if s == "" {
		return 0, nil
	}
	unit := int64(100) // fen per typed unit
	if t, ok := strings.CutSuffix(s, "万"); ok {
		s, unit = t, 1_000_000
	}
	if len(s) > maxAmountInput {
		return 0, errors.New("too long")
	}
	whole, frac, _ := strings.Cut(s, ".")
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w < 0 || whole == "" {
		return 0, errors.New("not a number")
	}
	if w > MaxAmountYuan*100/unit+1 {
		return 0, errors.New("too large")
	}
	fen := w * unit
	// The fraction is taken digit by digit, so "0.1万" is exactly 1000 元
	// and no float rounding decides a sum.
	scale := unit / 10
	for _, c := range frac {
		if c < '0' || c > '9' {
			return 0, errors.New("not a number")
		}
		if scale == 0 {
			if c != '0' {
				return 0, errors.New("finer than a fen")
			}
			continue
		}
		fen += int64(c-'0') * scale
		scale /= 10
	}
	return fen, nil
}

// validDate parses a yyyy-mm-dd date in 2000–2100.
func validDate(bad func(string, ...any), s string) string {
	d, err := time.Parse("2006-01-02", strings.TrimSpace(s))
	if err != nil {
		bad("日期“%s”不是 yyyy-mm-dd 格式的有效日期", s)
		return ""
	}
	if d.Year() < 2000 || d.Year() > 2100 {
		bad("日期“%s”超出 2000–2100 年", s)
	}
	return d.Format("2006-01-02")
}

func oneOf(v string, list []string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func (m *Mediation) community(ctx context.Context, typed string) (string, error) {
	typed = strings.TrimSpace(typed)
	if m.names == nil || typed == "" {
		return typed, nil
	}
	id, ok, err := m.names.Resolve(ctx, typed)
	if err != nil {
		return "", fmt.Errorf("ledger: community: %w", err)
	}
	if ok {
		return id, nil
	}
	return typed, nil
}

func (m *Mediation) validateDispute(ctx context.Context, in DisputeInput) (store.Dispute, error) {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w：%s", ErrInvalid, fmt.Sprintf(format, args...)))
	}
	d := store.Dispute{Date: validDate(bad, in.Date), Type: strings.TrimSpace(in.Type), Status: strings.TrimSpace(in.Status),
		Note: strings.TrimSpace(in.Note)}
	if !oneOf(d.Type, disputeTypes) {
		bad("纠纷类型“%s”不在可选范围：%s", in.Type, strings.Join(disputeTypes, "、"))
	}
	if !oneOf(d.Status, disputeStatuses) {
		bad("办理状态“%s”不在可选范围：%s", in.Status, strings.Join(disputeStatuses, "、"))
	}
	if p := strings.TrimSpace(in.Parties); p == "" {
		bad("当事人数不能为空（只填人数，不填姓名）")
	} else if n, err := strconv.ParseInt(p, 10, 64); err != nil || n < 2 || n > MaxParties {
		bad("当事人数“%s”须为 2 到 %d 之间的整数", in.Parties, MaxParties)
	} else {
		d.Parties = n
	}
	if fen, err := ParseAmountFen(in.Amount); err != nil || fen > MaxAmountYuan*100 {
		bad("涉及金额“%s”须为 0 到 %d 元之间的金额（如 35000、3.5万、12000.50）", in.Amount, MaxAmountYuan)
	} else {
		d.AmountFen = fen
	}
	if utf8.RuneCountInString(d.Note) > maxNote {
		bad("备注超过 %d 个字", maxNote)
	}
	if err := errors.Join(errs...); err != nil {
		return store.Dispute{}, err
	}
	c, err := m.community(ctx, in.Community)
	if err != nil {
		return store.Dispute{}, err
	}
	d.Community = c
	return d, nil
}

func (m *Mediation) validateLegalAid(ctx context.Context, in LegalAidInput) (store.LegalAidReferral, error) {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w：%s", ErrInvalid, fmt.Sprintf(format, args...)))
	}
	l := store.LegalAidReferral{Date: validDate(bad, in.Date), Matter: strings.TrimSpace(in.Matter),
		ReferredTo: strings.TrimSpace(in.ReferredTo), Note: strings.TrimSpace(in.Note)}
	if !oneOf(l.Matter, legalAidMatters) {
		bad("事项类型“%s”不在可选范围：%s", in.Matter, strings.Join(legalAidMatters, "、"))
	}
	switch n := utf8.RuneCountInString(l.ReferredTo); {
	case n == 0:
		bad("转介去向不能为空（如 区法律援助中心）")
	case n > maxReferredTo:
		bad("转介去向超过 %d 个字", maxReferredTo)
	}
	if utf8.RuneCountInString(l.Note) > maxNote {
		bad("备注超过 %d 个字", maxNote)
	}
	if err := errors.Join(errs...); err != nil {
		return store.LegalAidReferral{}, err
	}
	c, err := m.community(ctx, in.Community)
	if err != nil {
		return store.LegalAidReferral{}, err
	}
	l.Community = c
	return l, nil
}

// AddDispute records a dispute by user and returns its id.
func (m *Mediation) AddDispute(ctx context.Context, in DisputeInput, by string) (string, error) {
	d, err := m.validateDispute(ctx, in)
	if err != nil {
		return "", err
	}
	d.CreatedBy, d.CreatedAt = by, m.now()
	id, err := m.st.AddDispute(ctx, d)
	if err != nil {
		return "", fmt.Errorf("ledger: add dispute: %w", err)
	}
	return id, nil
}

// EditDispute replaces dispute id; version is the one the editor saw (0 =
// no check); a concurrent edit yields store.ErrVersion.
func (m *Mediation) EditDispute(ctx context.Context, id string, in DisputeInput, version int64, by string) (int64, error) {
	d, err := m.validateDispute(ctx, in)
	if err != nil {
		return 0, err
	}
	old, err := m.st.Dispute(ctx, id)
	if err != nil {
		return 0, fmt.Errorf("ledger: edit dispute: %w", err)
	}
	d.ID, d.CreatedBy, d.CreatedAt, d.UpdatedBy, d.UpdatedAt = id, old.CreatedBy, old.CreatedAt, by, m.now()
	v, err := m.st.EditDispute(ctx, d, version)
	if err != nil {
		return 0, fmt.Errorf("ledger: edit dispute: %w", err)
	}
	return v, nil
}

// Dispute returns one dispute.
func (m *Mediation) Dispute(ctx context.Context, id string) (Dispute, error) {
	return m.st.Dispute(ctx, id)
}

// DisputeHistory returns a dispute's earlier versions, oldest first.
func (m *Mediation) DisputeHistory(ctx context.Context, id string) ([]Dispute, error) {
	return m.st.DisputeHistory(ctx, id)
}

// Disputes lists disputes dated from..to inclusive (yyyy-mm-dd).
func (m *Mediation) Disputes(ctx context.Context, from, to string) ([]Dispute, error) {
	return m.st.Disputes(ctx, from, to)
}

// AddLegalAid records a referral by user and returns its id.
func (m *Mediation) AddLegalAid(ctx context.Context, in LegalAidInput, by string) (string, error) {
	l, err := m.validateLegalAid(ctx, in)
	if err != nil {
		return "", err
	}
	l.CreatedBy, l.CreatedAt = by, m.now()
	id, err := m.st.AddLegalAid(ctx, l)
	if err != nil {
		return "", fmt.Errorf("ledger: add legal aid: %w", err)
	}
	return id, nil
}

// EditLegalAid replaces referral id; version 0 = no check.
func (m *Mediation) EditLegalAid(ctx context.Context, id string, in LegalAidInput, version int64, by string) (int64, error) {
	l, err := m.validateLegalAid(ctx, in)
	if err != nil {
		return 0, err
	}
	old, err := m.st.LegalAid(ctx, id)
	if err != nil {
		return 0, fmt.Errorf("ledger: edit legal aid: %w", err)
	}
	l.ID, l.CreatedBy, l.CreatedAt, l.UpdatedBy, l.UpdatedAt = id, old.CreatedBy, old.CreatedAt, by, m.now()
	v, err := m.st.EditLegalAid(ctx, l, version)
	if err != nil {
		return 0, fmt.Errorf("ledger: edit legal aid: %w", err)
	}
	return v, nil
}

// LegalAid returns one referral.
func (m *Mediation) LegalAid(ctx context.Context, id string) (LegalAid, error) {
	return m.st.LegalAid(ctx, id)
}

// LegalAids lists referrals dated from..to inclusive.
func (m *Mediation) LegalAids(ctx context.Context, from, to string) ([]LegalAid, error) {
	return m.st.LegalAids(ctx, from, to)
}

// MediationFigures are the sums of a period, a month or a community.
type MediationFigures struct {
	Disputes  int64 `json:"disputes"`   // 调处矛盾纠纷, 件
	Successes int64 `json:"successes"`  // 调解成功, 件
	AmountFen int64 `json:"amount_fen"` // 涉及金额, fen
	LegalAid  int64 `json:"legal_aid"`  // 法律援助转介, 件
}

// MediationSums are a period's figures in total, by month (yyyy-mm) and by
// community (as recorded: a registry id, or a name typed before the registry).
type MediationSums struct {
	Total       MediationFigures            `json:"total"`
	ByMonth     map[string]MediationFigures `json:"by_month"`
	ByCommunity map[string]MediationFigures `json:"by_community"`
}

// Sums adds up the disputes and referrals dated from..to inclusive.
func (m *Mediation) Sums(ctx context.Context, from, to string) (MediationSums, error) {
	ds, err := m.st.Disputes(ctx, from, to)
	if err != nil {
		return MediationSums{}, fmt.Errorf("ledger: sums: %w", err)
	}
	ls, err := m.st.LegalAids(ctx, from, to)
	if err != nil {
		return MediationSums{}, fmt.Errorf("ledger: sums: %w", err)
	}
	s := MediationSums{ByMonth: map[string]MediationFigures{}, ByCommunity: map[string]MediationFigures{}}
	add := func(month, community string, f func(*MediationFigures)) {
		f(&s.Total)
		mf := s.ByMonth[month]
		f(&mf)
		s.ByMonth[month] = mf
		cf := s.ByCommunity[community]
		f(&cf)
		s.ByCommunity[community] = cf
	}
	for _, d := range ds {
		add(d.Date[:7], d.Community, func(f *MediationFigures) {
			f.Disputes++
			if d.Status == StatusSuccess {
				f.Successes++
			}
			f.AmountFen += d.AmountFen
		})
	}
	for _, l := range ls {
		add(l.Date[:7], l.Community, func(f *MediationFigures) { f.LegalAid++ })
	}
	return s, nil
}

// Sentence writes the figures as offices write them in the annual report:
// 调处矛盾纠纷85件，调解成功85件，涉及金额64余万元. See FormatAmount for the amount.
// Without disputes it says so, rather than print a row of zeros.
func (f MediationFigures) Sentence() string {
	if f.Disputes == 0 {
		return "本期未登记矛盾纠纷调处"
	}
	s := fmt.Sprintf("调处矛盾纠纷%d件，调解成功%d件", f.Disputes, f.Successes)
	if f.AmountFen > 0 {
		s += "，涉及金额" + FormatAmount(f.AmountFen)
	}
	return s
}

// FormatAmount writes an amount as the reports do. The rule, never rounding
// up (a report must not claim more than was recorded):
//   - 10,000 元 or more, a whole number of 万: "64万元";
//   - 10,000 元 or more otherwise: the whole 万 below it and 余,
//     643,000 元 → "64余万元" (the seed report's form);
//   - below 10,000 元: whole yuan, fen dropped, 8,500.50 元 → "8500余元",
//     8,500 元 → "8500元".
func FormatAmount(fen int64) string {
	yuan, restFen := fen/100, fen%100
	if yuan >= 10_000 {
		wan, rest := yuan/10_000, yuan%10_000
		if rest == 0 && restFen == 0 {
			return fmt.Sprintf("%d万元", wan)
		}
		return fmt.Sprintf("%d余万元", wan)
	}
	if restFen == 0 {
		return fmt.Sprintf("%d元", yuan)
	}
	return fmt.Sprintf("%d余元", yuan)
}

// FormatYuan writes fen as yuan with two decimals for tables ("12000.50").
func FormatYuan(fen int64) string {
	return fmt.Sprintf("%d.%02d", fen/100, fen%100)
}
