package ledger_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/pufa-dev/pufa/ledger"
	"github.com/pufa-dev/pufa/store"
	"github.com/pufa-dev/pufa/store/storetest"
)

func TestParseAmountFen(t *testing.T) {
	tests := []struct {
		in   string
		fen  int64
		fail bool
	}{
		{"", 0, false},
		{"35000", 3_500_000, false},
		{"35000元", 3_500_000, false},
		{"12,000.50", 1_200_050, false},
		{"3.5万", 3_500_000, false},
		{"0.1万", 100_000, false},
		{"64.3万", 64_300_000, false},
		{"12.345", 0, true}, // finer than a fen
		{"-5", 0, true},
		{"abc", 0, true},
		{"1.2.3", 0, true},
		{"万", 0, true},
		{".5", 0, true},
	}
	for _, tt := range tests {
		fen, err := ledger.ParseAmountFen(tt.in)
		if tt.fail {
			if err == nil {
				t.Errorf("ParseAmountFen(%q) = %d, want an error", tt.in, fen)
			}
			continue
		}
		if err != nil || fen != tt.fen {
			t.Errorf("ParseAmountFen(%q) = %d, %v; want %d", tt.in, fen, err, tt.fen)
		}
	}
}

func TestFormatAmountNeverRoundsUp(t *testing.T) {
	tests := []struct {
		fen  int64
		want string
	}{
		{64_300_000, "64余万元"}, // the seed report's 64.3万
		{64_000_000, "64万元"},
		{64_990_000, "64余万元"},
		{1_000_000, "1万元"},
		{1_000_001, "1余万元"},
		{850_000, "8500元"},
		{850_050, "8500余元"},
		{999_999, "9999余元"},
	}
	for _, tt := range tests {
		if got := ledger.FormatAmount(tt.fen); got != tt.want {
			t.Errorf("FormatAmount(%d) = %q, want %q", tt.fen, got, tt.want)
		}
	}
}

// fixedNames resolves one registered community, as the registry would.
type fixedNames map[string]string // name or id → id

func (f fixedNames) Resolve(_ context.Context, typed string) (string, bool, error) {
	id, ok := f[typed]
	return id, ok, nil
}

func TestDisputeValidationNamesTheField(t *testing.T) {
	m := ledger.NewMediation(storetest.New(t), nil, nil)
	good := ledger.DisputeInput{Date: "2026-04-02", Community: "幸福社区", Type: "邻里", Parties: "2", Status: "调解成功", Amount: "3.5万"}
	tests := []struct {
		name  string
		edit  func(*ledger.DisputeInput)
		field string // in the error; "" = accepted
	}{
		{"good", func(*ledger.DisputeInput) {}, ""},
		{"no amount", func(in *ledger.DisputeInput) { in.Amount = "" }, ""},
		{"bad date", func(in *ledger.DisputeInput) { in.Date = "2026-13-01" }, "日期"},
		{"unknown type", func(in *ledger.DisputeInput) { in.Type = "吵架" }, "纠纷类型"},
		{"unknown status", func(in *ledger.DisputeInput) { in.Status = "结案" }, "办理状态"},
		{"one party", func(in *ledger.DisputeInput) { in.Parties = "1" }, "当事人数"},
		{"names instead of a count", func(in *ledger.DisputeInput) { in.Parties = "张三、李四" }, "当事人数"},
		{"negative amount", func(in *ledger.DisputeInput) { in.Amount = "-100" }, "涉及金额"},
		{"amount over the bound", func(in *ledger.DisputeInput) { in.Amount = "2亿" }, "涉及金额"},
		{"amount over the bound in 万", func(in *ledger.DisputeInput) { in.Amount = "20000万" }, "涉及金额"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := good
			tt.edit(&in)
			_, err := m.AddDispute(context.Background(), in, "editor")
			if tt.field == "" {
				if err != nil {
					t.Fatalf("AddDispute: %v", err)
				}
				return
			}
			if !errors.Is(err, ledger.ErrInvalid) || !strings.Contains(err.Error(), tt.field) {
				t.Fatalf("AddDispute = %v, want ErrInvalid naming %s", err, tt.field)
			}
		})
	}
}

func TestMediationSums(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	m := ledger.NewMediation(st, fixedNames{"幸福社区": "xingfu", "xingfu": "xingfu"}, nil)
	disputes := []ledger.DisputeInput{
		{Date: "2026-01-10", Community: "幸福社区", Type: "邻里", Parties: "2", Status: "调解成功", Amount: "30万"},
		{Date: "2026-01-20", Community: "xingfu", Type: "物业", Parties: "12", Status: "调解成功", Amount: "34.3万"},
		{Date: "2026-02-03", Community: "东园社区", Type: "劳动", Parties: "3", Status: "调处中", Amount: ""},
		{Date: "2026-02-04", Community: "", Type: "借贷", Parties: "2", Status: "转诉讼", Amount: ""},
		{Date: "2025-12-31", Community: "幸福社区", Type: "邻里", Parties: "2", Status: "调解成功", Amount: "1万"}, // outside
	}
	for _, d := range disputes {
		if _, err := m.AddDispute(ctx, d, "editor"); err != nil {
			t.Fatalf("AddDispute(%+v): %v", d, err)
		}
	}
	if _, err := m.AddLegalAid(ctx, ledger.LegalAidInput{Date: "2026-02-05", Community: "幸福社区", Matter: "劳动报酬",
		ReferredTo: "区法律援助中心"}, "editor"); err != nil {
		t.Fatal(err)
	}
	s, err := m.Sums(ctx, "2026-01-01", "2026-12-31")
	if err != nil {
		t.Fatal(err)
	}
	want := ledger.MediationFigures{Disputes: 4, Successes: 2, AmountFen: 64_300_000, LegalAid: 1}
	if s.Total != want {
		t.Errorf("total = %+v, want %+v", s.Total, want)
	}
	if got := s.Total.Sentence(); got != "调处矛盾纠纷4件，调解成功2件，涉及金额64余万元" {
		t.Errorf("sentence = %q", got)
	}
	if got := s.ByMonth["2026-01"]; got.Disputes != 2 || got.Successes != 2 || got.AmountFen != 64_300_000 {
		t.Errorf("January = %+v", got)
	}
	// 幸福社区 typed by name and by id is one community, under its id.
	if got := s.ByCommunity["xingfu"]; got.Disputes != 2 || got.LegalAid != 1 {
		t.Errorf("xingfu = %+v, want 2 disputes and 1 referral", got)
	}
	if _, ok := s.ByCommunity["幸福社区"]; ok {
		t.Error("a registered name kept its own row")
	}
	if got := s.ByCommunity["东园社区"]; got.Disputes != 1 {
		t.Errorf("unregistered name kept as typed: %+v", got)
	}
	if got := (ledger.MediationFigures{}).Sentence(); !strings.Contains(got, "未登记") {
		t.Errorf("empty sentence = %q", got)
	}
}

func TestDisputeEditKeepsHistoryAndChecksVersion(t *testing.T) {
	ctx := context.Background()
	m := ledger.NewMediation(storetest.New(t), nil, nil)
	in := ledger.DisputeInput{Date: "2026-03-01", Community: "幸福社区", Type: "邻里", Parties: "2", Status: "调处中"}
	id, err := m.AddDispute(ctx, in, "alice")
	if err != nil {
		t.Fatal(err)
	}
	in.Status, in.Amount = "调解成功", "12000"
	v, err := m.EditDispute(ctx, id, in, 1, "bob")
	if err != nil || v != 2 {
		t.Fatalf("EditDispute = %d, %v; want version 2", v, err)
	}
	if _, err := m.EditDispute(ctx, id, in, 1, "carol"); !errors.Is(err, store.ErrVersion) {
		t.Fatalf("stale edit = %v, want ErrVersion", err)
	}
	d, err := m.Dispute(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != "调解成功" || d.AmountFen != 1_200_000 || d.Version != 2 || d.CreatedBy != "alice" || d.UpdatedBy != "bob" {
		t.Errorf("dispute = %+v", d)
	}
	h, err := m.DisputeHistory(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 1 || h[0].Status != "调处中" || h[0].Version != 1 {
		t.Errorf("history = %+v, want the first version", h)
	}
	bad := in
	bad.Parties = "0"
	if _, err := m.EditDispute(ctx, id, bad, 2, "bob"); !errors.Is(err, ledger.ErrInvalid) {
		t.Fatalf("invalid edit = %v", err)
	}
	if d2, _ := m.Dispute(ctx, id); d2.Version != 2 || d2.Parties != 2 {
		t.Errorf("an invalid edit changed the record: %+v", d2)
	}
	if _, err := m.EditDispute(ctx, "999", in, 0, "bob"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("edit of a missing dispute = %v", err)
	}
}

func TestLegalAidValidation(t *testing.T) {
	m := ledger.NewMediation(storetest.New(t), nil, nil)
	tests := []struct {
		in    ledger.LegalAidInput
		field string
	}{
		{ledger.LegalAidInput{Date: "2026-03-01", Matter: "工伤", ReferredTo: "区法律援助中心"}, ""},
		{ledger.LegalAidInput{Date: "2026-03-01", Matter: "打官司", ReferredTo: "区法律援助中心"}, "事项类型"},
		{ledger.LegalAidInput{Date: "2026-03-01", Matter: "工伤", ReferredTo: " "}, "转介去向"},
		{ledger.LegalAidInput{Date: "03-01", Matter: "工伤", ReferredTo: "区法律援助中心"}, "日期"},
	}
	for _, tt := range tests {
		_, err := m.AddLegalAid(context.Background(), tt.in, "editor")
		if tt.field == "" && err != nil {
			t.Errorf("AddLegalAid(%+v): %v", tt.in, err)
		}
		if tt.field != "" && (!errors.Is(err, ledger.ErrInvalid) || !strings.Contains(err.Error(), tt.field)) {
			t.Errorf("AddLegalAid(%+v) = %v, want an error naming %s", tt.in, err, tt.field)
		}
	}
}

func TestNewActivityKinds(t *testing.T) {
	for label, activity := range map[string]bool{
		"法律援助": false, "法律明白人/法治带头人培训": true, "领导干部学法": true, "普法志愿者活动": true, "法治文化阵地建设": false,
	} {
		k, err := ledger.ParseKind(label)
		if err != nil {
			t.Errorf("ParseKind(%q): %v", label, err)
			continue
		}
		if k.IsActivity() != activity {
			t.Errorf("%s counts as activity = %v, want %v", label, k.IsActivity(), activity)
		}
	}
}
