package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/pufa-dev/pufa/campaigns"
	"github.com/pufa-dev/pufa/chinatime"
	"github.com/pufa-dev/pufa/ledger"
	"github.com/pufa-dev/pufa/report"
	"github.com/pufa-dev/pufa/store"
	"github.com/pufa-dev/pufa/store/storetest"
)

var cst = chinatime.Zone

func at(y int, m time.Month, d, h int) time.Time { return time.Date(y, m, d, h, 0, 0, 0, cst) }

type fakeCampaigns []campaigns.Stats

func (f fakeCampaigns) List(context.Context) ([]campaigns.Stats, error) { return f, nil }

type fakeQuiz []report.QuizSummary

func (f fakeQuiz) QuizSummaries(_ context.Context, from, to time.Time) ([]report.QuizSummary, error) {
	var out []report.QuizSummary
	for _, q := range f {
		if !q.Start.Before(from) && q.Start.Before(to) {
			out = append(out, q)
		}
	}
	return out, nil
}

// seed writes a known year of activity into st and returns the sources.
func seed(t *testing.T, st *store.Store) report.Sources {
	t.Helper()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	// The bot: 6 questions (5 answered), 2 consultations in 2026, one outside.
	for i := 0; i < 3; i++ {
		must(st.RecordQuestion(ctx, store.Question{OpenID: "o1", Text: "离婚冷静期", At: at(2026, 1, 10, 9), Answered: true, Topic: "离婚"}))
	}
	must(st.RecordQuestion(ctx, store.Question{OpenID: "o2", Text: "老板不发工资", At: at(2026, 1, 10, 9), Topic: "欠薪"}))
	for i := 0; i < 2; i++ {
		must(st.RecordQuestion(ctx, store.Question{OpenID: "o2", Text: "欠薪怎么办", At: at(2026, 2, 5, 9), Answered: true, Topic: "欠薪"}))
	}
	for _, a := range []time.Time{at(2026, 1, 10, 10), at(2026, 3, 1, 10), at(2025, 12, 31, 23)} {
		_, err := st.AddConsultation(ctx, "o3", "想咨询", a)
		must(err)
	}
	must(st.Incr(ctx, at(2026, 1, 10, 8), store.MetricSubscribes))
	must(st.Incr(ctx, at(2026, 1, 10, 8), store.MetricSubscribes))
	// Followers by community.
	for _, o := range []string{"a", "b", "c"} {
		must(st.SetCommunity(ctx, o, "幸福社区"))
	}
	must(st.SetCommunity(ctx, "d", "和平社区"))

	// The ledger.
	l := ledger.New(st, nil)
	for _, in := range []ledger.Input{
		{Date: "2026-01-15", Community: "幸福社区", Kind: "讲座", Count: 2, Participants: 80},
		{Date: "2026-03-12", Community: "幸福社区", Kind: "横幅", Count: 5},
		{Date: "2026-03-12", Community: "和平社区", Kind: "LED 标语", Count: 3},
		{Date: "2026-04-01", Community: "和平社区", Kind: "宣传活动", Count: 1, Participants: 200},
		{Date: "2026-05-20", Community: "和平社区", Kind: "培训", Count: 1, Participants: 45},
		{Date: "2026-06-01", Community: "幸福社区", Kind: "短信", Count: 1200},
		{Date: "2026-06-01", Community: "幸福社区", Kind: "宣传材料", Count: 500},
		{Date: "2026-07-07", Community: "幸福社区", Kind: "法律咨询", Count: 12},
		{Date: "2026-08-08", Community: "和平社区", Kind: "矛盾纠纷调解", Count: 4},
		{Date: "2027-01-01", Community: "幸福社区", Kind: "讲座", Count: 9, Participants: 900},
	} {
		_, err := l.Add(ctx, in, "editor")
		must(err)
	}

	// Campaigns: a mass run in December (180 reported sent, one job still
	// unreported), a template run in March (150 sent), a 2025 run outside.
	massFire := at(2026, 12, 4, 10)
	must(st.SetMassReach(ctx, "constitution-week-2026", store.MassReach{MsgID: 1, Fire: massFire, Total: 200, Filtered: 190, Sent: 180, Errors: 10, Status: "send success", Reported: true}))
	must(st.SubmitMass(ctx, "constitution-week-2026", 2, massFire))
	camps := fakeCampaigns{
		{ID: "constitution-week-2026", Title: "宪法宣传周", Channel: campaigns.ChannelMass,
			Runs: []campaigns.RunStats{{Fire: massFire, Channel: campaigns.ChannelMass, Sent: 2}}},
		{ID: "civil-code", Title: "民法典宣传月", Channel: campaigns.ChannelTemplate,
			Runs: []campaigns.RunStats{
				{Fire: at(2025, 5, 1, 10), Channel: campaigns.ChannelTemplate, Sent: 999},
				{Fire: at(2026, 3, 15, 10), Channel: campaigns.ChannelTemplate, Sent: 150, Failed: 3},
			}},
	}
	quiz := fakeQuiz{
		{ID: "q1", Title: "宪法知识答题", Start: at(2026, 3, 15, 9), Participants: 100, Completions: 90, Answers: 500, Correct: 400,
			ByCommunity: map[string]int64{"幸福社区": 60, "和平社区": 40}},
		{ID: "q2", Title: "民法典答题", Start: at(2026, 12, 4, 9), Participants: 50, Completions: 50, Answers: 250, Correct: 200},
		{ID: "q0", Title: "去年的答题", Start: at(2025, 12, 4, 9), Participants: 7, Answers: 7, Correct: 1},
	}
	return report.Sources{Counters: st, Campaigns: report.CampaignPushes{Campaigns: camps, Mass: st}, Ledger: st, Quiz: quiz, Followers: st}
}

func build(t *testing.T) report.Report {
	t.Helper()
	st := storetest.New(t)
	src := seed(t, st)
	from, _ := report.ParseDate("2026-01-01")
	to, _ := report.ParseDate("2026-12-31")
	r, err := report.Build(context.Background(), src, from, to)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

const wantParagraph = "今年以来累计开展各种法治宣传活动4场、覆盖群众325人次，举办法治讲座2场，悬挂宣传横幅5条，" +
	"LED 屏滚动播放法治标语3条，发送普法短信1200条，发放宣传资料500份，开展法治培训1场、培训45人次，" +
	"线上推送法治宣传信息2期、触达330人次，组织网上法律知识答题2场、参与150人次、平均正确率80%，" +
	"通过公众号智能解答群众法律问题5个，接待群众法律咨询14人次，调解矛盾纠纷4件。"

func TestBuildExactFigures(t *testing.T) {
	r := build(t)
	got := r.Totals
	want := report.Figures{
		Activities: 4, ActivityParticipants: 325, Lectures: 2, Events: 1, Banners: 5, LEDSlogans: 3, SMS: 1200,
		Materials: 500, Trainings: 1, TrainingParticipants: 45, OfflineConsults: 12, Mediations: 4, LedgerEntries: 9,
		Pushes: 2, Reach: 330, Quizzes: 2, QuizParticipants: 150, QuizAnswers: 750, QuizCorrect: 600, QuizAccuracy: 80, QuizCompletions: 140,
		Questions: 6, Answered: 5, Consultations: 2, Subscribes: 2,
	}
	if got != want {
		t.Errorf("totals\n got %+v\nwant %+v", got, want)
	}
	if r.Paragraph != wantParagraph {
		t.Errorf("paragraph\n got %s\nwant %s", r.Paragraph, wantParagraph)
	}
	if len(r.Months) != 12 {
		t.Fatalf("%d months, want 12", len(r.Months))
	}
	mar := r.Months[2]
	if mar.Month != "2026-03" || mar.Banners != 5 || mar.LEDSlogans != 3 || mar.Pushes != 1 || mar.Reach != 150 ||
		mar.Quizzes != 1 || mar.QuizParticipants != 100 || mar.QuizAccuracy != 80 || mar.Consultations != 1 {
		t.Errorf("March = %+v", mar)
	}
	dec := r.Months[11]
	if dec.Pushes != 1 || dec.Reach != 180 || dec.Quizzes != 1 || dec.QuizParticipants != 50 {
		t.Errorf("December = %+v", dec)
	}
	jan := r.Months[0]
	if jan.Questions != 4 || jan.Answered != 3 || jan.Lectures != 2 || jan.Consultations != 1 || jan.Subscribes != 2 {
		t.Errorf("January = %+v", jan)
	}
	if len(r.Communities) != 2 {
		t.Fatalf("communities = %+v", r.Communities)
	}
	hp, xf := r.Communities[0], r.Communities[1] // sorted: 和平社区, 幸福社区
	if hp.Community != "和平社区" || hp.Followers != 1 || hp.Activities != 2 || hp.ActivityParticipants != 245 ||
		hp.LEDSlogans != 3 || hp.Mediations != 4 || hp.QuizParticipants != 40 {
		t.Errorf("和平社区 = %+v", hp)
	}
	if xf.Community != "幸福社区" || xf.Followers != 3 || xf.Activities != 2 || xf.Banners != 5 || xf.SMS != 1200 ||
		xf.Materials != 500 || xf.OfflineConsults != 12 || xf.QuizParticipants != 60 {
		t.Errorf("幸福社区 = %+v", xf)
	}
	if len(r.TopTopics) != 2 || r.TopTopics[0] != (store.TopicCount{Topic: "欠薪", Count: 3}) || r.TopTopics[1] != (store.TopicCount{Topic: "离婚", Count: 3}) {
		t.Errorf("top topics = %+v", r.TopTopics)
	}
	if len(r.Pushes) != 2 || r.Pushes[0].Campaign != "civil-code" || r.Pushes[1].Reach != 180 {
		t.Errorf("pushes = %+v", r.Pushes)
	}
}

func TestParagraphOmitsZeroSections(t *testing.T) {
	tests := []struct {
		name     string
		from, to string
		totals   report.Figures
		want     string
	}{
		{"nothing", "2026-02-01", "2026-02-28", report.Figures{}, "2026年2月1日至2026年2月28日，暂无法治宣传统计数据。"},
		{"pushes without reach", "2026-01-01", "2026-06-30", report.Figures{Pushes: 3}, "今年以来线上推送法治宣传信息3期。"},
		{"quiz and consultations", "2026-01-01", "2026-12-31",
			report.Figures{Quizzes: 1, QuizParticipants: 3, QuizAnswers: 3, QuizAccuracy: 200.0 / 3, Consultations: 1, OfflineConsults: 2},
			"今年以来组织网上法律知识答题1场、参与3人次、平均正确率66.7%，接待群众法律咨询3人次。"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := report.Paragraph(report.Report{From: tt.from, To: tt.to, Totals: tt.totals})
			if got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestEmptySources(t *testing.T) {
	from, _ := report.ParseDate("2026-02-01")
	to, _ := report.ParseDate("2026-02-28")
	r, err := report.Build(context.Background(), report.Sources{}, from, to)
	if err != nil {
		t.Fatal(err)
	}
	if r.Paragraph != "2026年2月1日至2026年2月28日，暂无法治宣传统计数据。" || len(r.Months) != 1 {
		t.Errorf("empty report = %+v", r)
	}
	if _, err := report.Build(context.Background(), report.Sources{}, to, from); err == nil {
		t.Error("reversed period accepted")
	}
}

func TestXLSXCells(t *testing.T) {
	r := build(t)
	var buf bytes.Buffer
	if err := report.Write(&buf, r, report.FormatXLSX); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatalf("xlsx does not open: %v", err)
	}
	defer f.Close()
	wantSheets := []string{report.SheetSummary, report.SheetMonths, report.SheetCommunities, report.SheetPushes, report.SheetThemes,
		report.SheetQuizzes, report.SheetBot, report.SheetLedger}
	if got := f.GetSheetList(); strings.Join(got, ",") != strings.Join(wantSheets, ",") {
		t.Errorf("sheets = %v, want %v", got, wantSheets)
	}
	cells := []struct{ sheet, cell, want string }{
		{report.SheetSummary, "B1", "2026-01-01 至 2026-12-31"},
		{report.SheetSummary, "B2", wantParagraph},
		{report.SheetSummary, "A5", "法治宣传活动（场）"},
		{report.SheetSummary, "B5", "4"},
		{report.SheetSummary, "A15", "线上推送（期）"},
		{report.SheetSummary, "B15", "2"},
		{report.SheetSummary, "B16", "330"},
		{report.SheetSummary, "B19", "80%"},
		{report.SheetMonths, "A4", "2026-03"},
		{report.SheetMonths, "F4", "5"}, // banners in March
		{report.SheetCommunities, "A3", "幸福社区"},
		{report.SheetCommunities, "B3", "3"},
		{report.SheetPushes, "C3", "宪法宣传周"},
		{report.SheetPushes, "E3", "180"},
		{report.SheetQuizzes, "D2", "100"},
		{report.SheetQuizzes, "H2", "80%"},
		{report.SheetBot, "B1", "6"},
		{report.SheetBot, "A6", "欠薪"},
		{report.SheetLedger, "A2", "讲座"},
		{report.SheetLedger, "C2", "2"},
		{report.SheetLedger, "E2", "80"},
	}
	for _, c := range cells {
		got, err := f.GetCellValue(c.sheet, c.cell)
		if err != nil || got != c.want {
			t.Errorf("%s!%s = %q (%v), want %q", c.sheet, c.cell, got, err, c.want)
		}
	}
}

func TestTextFormats(t *testing.T) {
	r := build(t)
	tests := []struct {
		format string
		want   []string
	}{
		{report.FormatMarkdown, []string{"# 法治宣传工作统计（2026-01-01 至 2026-12-31）", wantParagraph, "| 宣传横幅（条） | 5 |", "| 幸福社区 | 3 |", "| 宪法知识答题 | 100 | 90 | 80% |"}},
		{report.FormatCSV, []string{"\ufeff区域,维度,指标,数值", "汇总,2026-01-01至2026-12-31,推送触达（人次）,330", "按月,2026-03,宣传横幅（条）,5", "按社区,和平社区,矛盾纠纷调解（件）,4"}},
		{report.FormatJSON, []string{`"reach": 330`, `"quiz_accuracy_percent": 80`}},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			var buf bytes.Buffer
			if err := report.Write(&buf, r, tt.format); err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(buf.String(), w) {
					t.Errorf("%s output lacks %q", tt.format, w)
				}
			}
		})
	}
	var back report.Report
	var buf bytes.Buffer
	_ = report.Write(&buf, r, report.FormatJSON)
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil || back.Totals != r.Totals {
		t.Errorf("JSON does not round-trip: %v", err)
	}
	if err := report.Write(&buf, r, "pdf"); err == nil {
		t.Error("unknown format accepted")
	}
}
