package demo_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pufa-dev/pufa/cases"
	"github.com/pufa-dev/pufa/chinatime"
	"github.com/pufa-dev/pufa/communities"
	"github.com/pufa-dev/pufa/demo"
	"github.com/pufa-dev/pufa/knowledge"
	"github.com/pufa-dev/pufa/ledger"
	"github.com/pufa-dev/pufa/quiz"
	"github.com/pufa-dev/pufa/report"
	"github.com/pufa-dev/pufa/store"
	"github.com/pufa-dev/pufa/store/storetest"
)

// year is the year `pufa demo` seeds today.
var year = demo.Year(time.Now())

// seeded seeds the default plan into a fresh store and builds the year's
// report from it as `pufa report` does.
func seeded(t *testing.T) (report.Report, *store.Store) {
	t.Helper()
	ctx := context.Background()
	st := storetest.New(t)
	corpus, err := knowledge.DefaultCorpus()
	if err != nil {
		t.Fatal(err)
	}
	cat, err := quiz.Default(corpus)
	if err != nil {
		t.Fatal(err)
	}
	if cat, err = demo.Quizzes(cat, year); err != nil {
		t.Fatal(err)
	}
	registry := communities.New(st, nil)
	mediation := ledger.NewMediation(st, registry, nil)
	deps := demo.Deps{Store: st, Ledger: ledger.New(st, nil).WithCommunities(registry), Registry: registry, Mediation: mediation, Quizzes: cat,
		Cases: st, Referrer: ledger.CaseReferrals{Mediation: mediation, Store: st}}
	if err := demo.Seed(ctx, deps, year, demo.DefaultPlan(year), demo.Followers(200)); err != nil {
		t.Fatal(err)
	}
	svc, err := quiz.New(quiz.Options{Catalog: cat, Store: st})
	if err != nil {
		t.Fatal(err)
	}
	src := report.Sources{Counters: st, Ledger: st, Followers: st, Quiz: report.QuizFigures{Service: svc},
		Reads: report.StoredReads{Store: st}, FollowerSummary: st, Communities: registry, Mediation: mediation}
	r, err := report.Build(ctx, src, time.Date(year, 1, 1, 0, 0, 0, 0, chinatime.Zone), time.Date(year, 12, 31, 0, 0, 0, 0, chinatime.Zone))
	if err != nil {
		t.Fatal(err)
	}
	return r, st
}

// TestSeededYearGivesTheSeedReportsFigures: the seeded year reproduces the
// figure classes of 东湖街道's report exactly, in the figures and in every
// format staff download.
func TestSeededYearGivesTheSeedReportsFigures(t *testing.T) {
	r, _ := seeded(t)
	tot := r.Totals
	figures := []struct {
		name      string
		got, want int64
	}{
		{"接待群众法律咨询（人次）", tot.ConsultationsTotal(), 525},
		{"线上转人工（人次，每人每天一次）", tot.Consultations, 125},
		{"法治宣传活动（场）", tot.Activities, 108},
		{"排查调处矛盾纠纷（件）", tot.Disputes, 85},
		{"调解成功（件）", tot.DisputesResolved, 85},
		{"涉及金额（元）", tot.DisputeAmountFen / 100, 643_500},
		{"法律援助（件）", tot.LegalAid, 12},
		{"法律明白人/法治带头人培训（场）", tot.Mingbai, 6},
		{"法律明白人培训人次", tot.MingbaiParticipants, 240},
		{"领导干部学法（场）", tot.CadreStudy, 4},
		{"普法志愿者活动（场）", tot.Volunteer, 14},
		{"法治文化阵地（处）", tot.CultureSites, 3},
		{"宣传横幅（条）", tot.Banners, 98},
		{"LED 标语（条）", tot.LEDSlogans, 1200},
		{"普法短信（条，不含短信平台的 200 条）", tot.SMSTotal(), 150000 - demo.SMSRecipients},
		{"宣传材料（份）", tot.Materials, 35000},
		{"法治培训（场）", tot.Trainings, 28},
		{"培训人次", tot.TrainingParticipants, 1050},
		{"群众提问", tot.Questions, 1860},
		{"智能解答", tot.Answered, 1512},
		{"网上答题（场）", tot.Quizzes, 2},
		{"答题参与（人次）", tot.QuizParticipants, 168 + 96},
		{"完成答题（人次）", tot.QuizCompletions, 152 + 85},
		{"年底关注人数", r.Followers.Total, 200},
	}
	for _, f := range figures {
		if f.got != f.want {
			t.Errorf("%s = %d, want %d", f.name, f.got, f.want)
		}
	}
	if tot.NewFollowers-tot.CancelledFollowers != 200-120 {
		t.Errorf("new %d − cancelled %d does not add up to the year's growth 120 → 200", tot.NewFollowers, tot.CancelledFollowers)
	}
	if tot.QuizAverageScore < 60 || tot.QuizAverageScore > 100 {
		t.Errorf("average score %v", tot.QuizAverageScore)
	}

	for _, format := range []string{report.FormatMarkdown, report.FormatJSON, report.FormatDocx, report.FormatXLSX} {
		var b bytes.Buffer
		if err := report.Write(&b, r, format); err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		if b.Len() == 0 {
			t.Errorf("%s: empty", format)
		}
	}
	var md bytes.Buffer
	if err := report.Write(&md, r, report.FormatMarkdown); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"接待群众法律咨询525人次", "排查调处矛盾纠纷85件，调解成功85件，涉及金额64余万元，办理法律援助12件",
		"累计开展各种法治宣传活动108场", "开展法律明白人、法治带头人培训6场、培训240人次", "组织领导干部学法4场", "悬挂宣传横幅98条", "LED屏滚动播放法治标语1200条", "发送普法短信149800条",
		"发放宣传资料35000份", "开展法治培训28场、培训1050人次", fmt.Sprintf("截至%d年12月31日，公众号关注人数200人", year),
		fmt.Sprintf("%d年“宪法宣传周”宪法知识考核", year), fmt.Sprintf("%d年民法典知识有奖竞答", year)} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("the Markdown report lacks %q", want)
		}
	}
	var js bytes.Buffer
	if err := report.Write(&js, r, report.FormatJSON); err != nil {
		t.Fatal(err)
	}
	var back report.Report
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.Totals.ConsultationsTotal() != 525 || back.Totals.Banners != 98 || back.Totals.Disputes != 85 {
		t.Errorf("JSON figures %+v", back.Totals)
	}
}

func TestSeedIsDeterministic(t *testing.T) {
	a, _ := seeded(t)
	b, _ := seeded(t)
	for _, r := range []*report.Report{&a, &b} {
		for i := range r.Entries {
			r.Entries[i].ID, r.Entries[i].CreatedAt, r.Entries[i].UpdatedAt = "", time.Time{}, time.Time{}
		}
		for i := range r.Quizzes {
			r.Quizzes[i].AverageScore = round(r.Quizzes[i].AverageScore)
		}
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if !bytes.Equal(ja, jb) {
		t.Error("two seedings gave different reports")
	}
}

func round(v float64) float64 { return float64(int(v*10+0.5)) / 10 }

func TestSeededCommunitiesAreTheRegistrysNames(t *testing.T) {
	r, _ := seeded(t)
	followers := map[string]int64{}
	var sum int64
	for _, c := range r.Communities {
		followers[c.Community] = c.Followers
		sum += c.Followers
		if strings.Contains(c.Community, "未命名") || c.Community == strings.ToLower(c.Community) && !strings.ContainsFunc(c.Community, func(r rune) bool { return r > 127 }) {
			t.Errorf("community row %q is not a registry name", c.Community)
		}
	}
	for _, c := range demo.Communities() {
		if followers[c.Name] == 0 {
			t.Errorf("%s has no followers in %v", c.Name, followers)
		}
	}
	if sum != 180 {
		t.Errorf("followers with a community %d, want 180 of 200 (every tenth came without a QR code)", sum)
	}
}

// The inbox opens with a case in every status, each with its conversation.
func TestSeededInboxHasACaseInEveryStatus(t *testing.T) {
	_, st := seeded(t)
	list, _, err := st.CasePage(context.Background(), store.CaseFilter{}, 0, 200)
	if err != nil {
		t.Fatal(err)
	}
	byStatus := map[string]int{}
	for _, c := range list {
		if c.Created.Year() == year {
			continue // last year's, answered and closed
		}
		byStatus[c.Status]++
		if len(c.Messages) < 4 {
			t.Errorf("case %s has %d messages, want the conversation", c.ID, len(c.Messages))
		}
	}
	for _, s := range cases.Statuses {
		if byStatus[s] == 0 {
			t.Errorf("no case in status %s (%v)", cases.Label(s), byStatus)
		}
	}
}
