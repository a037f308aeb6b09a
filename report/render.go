package report

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/xuri/excelize/v2"

	"github.com/pufa-dev/pufa/chinatime"
	"github.com/pufa-dev/pufa/ledger"
)

// Formats a report can be written in.
const (
	FormatMarkdown = "md"
	FormatCSV      = "csv"
	FormatJSON     = "json"
	FormatXLSX     = "xlsx"
	FormatDocx     = "docx"
)

// ContentType returns the MIME type of a format, for downloads.
func ContentType(format string) string {
	switch format {
	case FormatMarkdown:
		return "text/markdown; charset=utf-8"
	case FormatCSV:
		return "text/csv; charset=utf-8"
	case FormatJSON:
		return "application/json"
	case FormatXLSX:
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	case FormatDocx:
		return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	}
	return "application/octet-stream"
}

// Write renders r in format to w.
func Write(w io.Writer, r Report, format string) error {
	switch format {
	case FormatMarkdown:
		return writeMarkdown(w, r)
	case FormatCSV:
		return writeCSV(w, r)
	case FormatJSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	case FormatXLSX:
		return writeXLSX(w, r)
	case FormatDocx:
		return writeDocx(w, r.Draft)
	}
	return fmt.Errorf("report: format %q is not md, csv, json, xlsx or docx", format)
}

// metric is one row of the figure tables, in the order staff read them.
type metric struct {
	label     string
	value     func(Figures) string
	community bool // byCommunity: the figure can be attributed to a community
}

// Whether a metric also has a row per community.
const (
	byCommunity = true
	officeWide  = false
)

func n(v int64) string { return strconv.FormatInt(v, 10) }

var metrics = []metric{
	{"法治宣传活动（场）", func(f Figures) string { return n(f.Activities) }, byCommunity},
	{"活动参与（人次）", func(f Figures) string { return n(f.ActivityParticipants) }, byCommunity},
	{"法治讲座（场）", func(f Figures) string { return n(f.Lectures) }, officeWide},
	{"宣传活动（场）", func(f Figures) string { return n(f.Events) }, officeWide},
	{"宣传横幅（条）", func(f Figures) string { return n(f.Banners) }, byCommunity},
	{"LED 标语（条）", func(f Figures) string { return n(f.LEDSlogans) }, byCommunity},
	{"普法短信（条）", func(f Figures) string { return n(f.SMS) }, byCommunity},
	{"宣传材料（份）", func(f Figures) string { return n(f.Materials) }, byCommunity},
	{"法治培训（场）", func(f Figures) string { return n(f.Trainings) }, byCommunity},
	{"培训人次", func(f Figures) string { return n(f.TrainingParticipants) }, byCommunity},
	{"线上推送（期）", func(f Figures) string { return n(f.Pushes) }, officeWide},
	{"推送触达（人次）", func(f Figures) string { return n(f.Reach) }, officeWide},
	{"网上答题（场）", func(f Figures) string { return n(f.Quizzes) }, officeWide},
	{"答题参与（人次）", func(f Figures) string { return n(f.QuizParticipants) }, byCommunity},
	{"答题平均正确率", func(f Figures) string { return Percent(f.QuizAccuracy) }, officeWide},
	{"群众提问（个）", func(f Figures) string { return n(f.Questions) }, officeWide},
	{"智能解答（个）", func(f Figures) string { return n(f.Answered) }, officeWide},
	{"线上转人工咨询（人次）", func(f Figures) string { return n(f.Consultations) }, officeWide},
	{"线下法律咨询（人次）", func(f Figures) string { return n(f.OfflineConsults) }, byCommunity},
	{"法律咨询合计（人次）", func(f Figures) string { return n(f.ConsultationsTotal()) }, officeWide},
	{"矛盾纠纷调解（件）", func(f Figures) string { return n(f.Mediations) }, byCommunity},
	{"排查调处矛盾纠纷（件）", func(f Figures) string { return n(f.Disputes) }, byCommunity},
	{"调解成功（件）", func(f Figures) string { return n(f.DisputesResolved) }, byCommunity},
	{"涉及金额（元）", func(f Figures) string { return ledger.FormatYuan(f.DisputeAmountFen) }, byCommunity},
	{"法律援助（件）", func(f Figures) string { return n(f.LegalAid) }, byCommunity},
	{"法律明白人/法治带头人培训（场）", func(f Figures) string { return n(f.Mingbai) }, byCommunity},
	{"法律明白人培训人次", func(f Figures) string { return n(f.MingbaiParticipants) }, byCommunity},
	{"领导干部学法（场）", func(f Figures) string { return n(f.CadreStudy) }, byCommunity},
	{"普法志愿者活动（场）", func(f Figures) string { return n(f.Volunteer) }, byCommunity},
	{"法治文化阵地建设（处）", func(f Figures) string { return n(f.CultureSites) }, byCommunity},
	{"推送阅读量（次）", func(f Figures) string { return n(f.Reads) }, officeWide},
	{"短信平台发送（条）", func(f Figures) string { return n(f.SMSSent) }, officeWide},
	{"普法短信合计（条）", func(f Figures) string { return n(f.SMSTotal()) }, officeWide},
	{"完成答题（人次）", func(f Figures) string { return n(f.QuizCompletions) }, officeWide},
	{"答题平均分", func(f Figures) string { return score(f.QuizAverageScore) }, officeWide},
	{"公众号新增关注（微信统计）", func(f Figures) string { return n(f.NewFollowers) }, officeWide},
	{"公众号取消关注（微信统计）", func(f Figures) string { return n(f.CancelledFollowers) }, officeWide},
	{"新增关注", func(f Figures) string { return n(f.Subscribes) }, officeWide},
	{"取消关注", func(f Figures) string { return n(f.Unsubscribes) }, officeWide},
}

// communityMetrics are the figures that can be attributed to a community.
var communityMetrics = func() []metric {
	var out []metric
	for _, m := range metrics {
		if m.community {
			out = append(out, m)
		}
	}
	return out
}()

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(chinatime.Zone).Format("2006-01-02 15:04")
}

func kindLabel(k string) string {
	if l := ledger.Kind(k).Label(); l != "" {
		return l
	}
	return k
}

// mdCell writes text typed by staff or residents (community names, titles,
// topics) as literal text in a Markdown table cell: line breaks and tabs
// become spaces, and every ASCII punctuation mark is backslash-escaped,
// which CommonMark renders as the mark itself. So a link, HTML, a pipe that
// would split the row, or a leading = + - @ that a spreadsheet would run
// as a formula when the table is pasted, all stay text.
func mdCell(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			b.WriteByte(' ')
		case r < 0x80 && unicode.IsPunct(r) || r < 0x80 && unicode.IsSymbol(r):
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// csvCell keeps a spreadsheet from taking a cell as a formula: text that
// starts with = + - @, a tab or a carriage return gets a leading
// apostrophe, which Excel and LibreOffice read as "this cell is text"
// (OWASP's advice against CSV injection). The figures pufa writes are never
// negative, so no number is changed.
func csvCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func writeMarkdown(w io.Writer, r Report) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# 法治宣传工作统计（%s 至 %s）\n\n", r.From, r.To)
	fmt.Fprintf(&b, "## 综述\n\n%s\n\n", r.Paragraph)
	writeDraftMarkdown(&b, r.Draft)
	b.WriteString("## 汇总\n\n| 指标 | 数值 |\n|---|---:|\n")
	for _, m := range metrics {
		fmt.Fprintf(&b, "| %s | %s |\n", m.label, m.value(r.Totals))
	}
	b.WriteString("\n## 按月\n\n| 指标 |")
	for _, m := range r.Months {
		b.WriteString(" " + m.Month + " |")
	}
	b.WriteString("\n|---|" + strings.Repeat("---:|", len(r.Months)) + "\n")
	for _, m := range metrics {
		b.WriteString("| " + m.label + " |")
		for _, mo := range r.Months {
			b.WriteString(" " + m.value(mo.Figures) + " |")
		}
		b.WriteString("\n")
	}
	if len(r.Communities) > 0 {
		b.WriteString("\n## 按社区\n\n| 社区 | 当前关注 |")
		for _, m := range communityMetrics {
			b.WriteString(" " + m.label + " |")
		}
		b.WriteString("\n|---|---:|" + strings.Repeat("---:|", len(communityMetrics)) + "\n")
		for _, c := range r.Communities {
			fmt.Fprintf(&b, "| %s | %d |", mdCell(c.Community), c.Followers)
			for _, m := range communityMetrics {
				b.WriteString(" " + m.value(c.Figures) + " |")
			}
			b.WriteString("\n")
		}
	}
	if len(r.Pushes) > 0 {
		b.WriteString("\n## 线上推送\n\n| 时间 | 活动 | 渠道 | 触达（人次） | 阅读量 |\n|---|---|---|---:|---:|\n")
		for _, p := range r.Pushes {
			fmt.Fprintf(&b, "| %s | %s | %s | %d | %d |\n", fmtTime(p.Fire), mdCell(p.Title), channelLabel(p.Channel), p.Reach, p.Reads)
		}
	}
	if len(r.Quizzes) > 0 {
		b.WriteString("\n## 网上答题\n\n| 开始 | 答题 | 参与（人次） | 完成 | 正确率 |\n|---|---|---:|---:|---:|\n")
		for _, q := range r.Quizzes {
			fmt.Fprintf(&b, "| %s | %s | %d | %d | %s |\n", fmtTime(q.Start), mdCell(q.Title), q.Participants, q.Completions, quizAccuracy(q))
		}
	}
	if len(r.TopTopics) > 0 {
		b.WriteString("\n## 群众最关心的问题\n\n| 主题 | 次数 |\n|---|---:|\n")
		for _, t := range r.TopTopics {
			fmt.Fprintf(&b, "| %s | %d |\n", mdCell(t.Topic), t.Count)
		}
	}
	if len(r.Entries) > 0 {
		b.WriteString("\n## 线下活动台账\n\n| 类别 | 条目 | 数量 | 参与（人次） |\n|---|---:|---:|---:|\n")
		for _, k := range r.Kinds {
			if k.Entries > 0 {
				fmt.Fprintf(&b, "| %s | %d | %d%s | %d |\n", k.Label, k.Entries, k.Count, k.Unit, k.Participants)
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func quizAccuracy(q QuizSummary) string {
	if q.Answers == 0 {
		return ""
	}
	return Percent(float64(q.Correct) * 100 / float64(q.Answers))
}

// writeCSV writes one flat table, area,dimension,metric,value, which
// spreadsheets and scripts read without guessing at section breaks. A
// UTF-8 BOM comes first so Excel shows the Chinese correctly.
func writeCSV(w io.Writer, r Report) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	rows := [][]string{{"区域", "维度", "指标", "数值"}}
	for _, m := range metrics {
		rows = append(rows, []string{"汇总", r.From + "至" + r.To, m.label, m.value(r.Totals)})
	}
	for _, mo := range r.Months {
		for _, m := range metrics {
			rows = append(rows, []string{"按月", mo.Month, m.label, m.value(mo.Figures)})
		}
	}
	for _, c := range r.Communities {
		rows = append(rows, []string{"按社区", c.Community, "当前关注", n(c.Followers)})
		for _, m := range communityMetrics {
			rows = append(rows, []string{"按社区", c.Community, m.label, m.value(c.Figures)})
		}
	}
	for _, p := range r.Pushes {
		rows = append(rows, []string{"线上推送", fmtTime(p.Fire) + " " + p.Title, "触达（人次）", n(p.Reach)})
	}
	for _, q := range r.Quizzes {
		rows = append(rows, []string{"网上答题", q.Title, "参与（人次）", n(q.Participants)})
	}
	for _, t := range r.TopTopics {
		rows = append(rows, []string{"热点问题", t.Topic, "次数", n(t.Count)})
	}
	for _, th := range r.Themes {
		dim := th.Name + "（" + th.From + "至" + th.To + "）"
		for _, f := range []struct {
			label string
			v     int64
		}{{"推送（期）", th.Pushes}, {"触达（人次）", th.Reach}, {"阅读量", th.Reads}, {"短信（条）", th.SMS},
			{"线下活动（场）", th.Activities}, {"活动参与（人次）", th.ActivityParticipants}} {
			rows = append(rows, []string{"主题活动", dim, f.label, n(f.v)})
		}
	}
	rows = append(rows, []string{"综述", "", "段落", r.Paragraph})
	for _, row := range rows {
		for i := range row {
			row[i] = csvCell(row[i])
		}
	}
	if err := cw.WriteAll(rows); err != nil {
		return fmt.Errorf("report: csv: %w", err)
	}
	return nil
}

// Sheet names of the XLSX workbook.
const (
	SheetSummary     = "汇总"
	SheetMonths      = "按月"
	SheetCommunities = "按社区"
	SheetPushes      = "线上推送"
	SheetQuizzes     = "网上答题"
	SheetBot         = "智能问答"
	SheetLedger      = "线下活动台账"
	SheetThemes      = "主题活动"
)

// writeXLSX writes a summary sheet (period, paragraph, totals) and one
// sheet per area. Numbers are written as numbers so staff can sum them.
func writeXLSX(w io.Writer, r Report) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", SheetSummary); err != nil {
		return fmt.Errorf("report: xlsx: %w", err)
	}
	sheets := map[string][][]any{}
	order := []string{SheetSummary, SheetMonths, SheetCommunities, SheetPushes, SheetThemes, SheetQuizzes, SheetBot, SheetLedger}

	num := func(m metric, fg Figures) any {
		s := m.value(fg)
		if v, err := strconv.ParseInt(s, 10, 64); err == nil {
			return v
		}
		return s
	}
	sum := [][]any{
		{"统计期间", r.From + " 至 " + r.To},
		{"综述", r.Paragraph},
		{},
		{"指标", "数值"},
	}
	for _, m := range metrics {
		sum = append(sum, []any{m.label, num(m, r.Totals)})
	}
	sheets[SheetSummary] = sum

	head := []any{"月份"}
	for _, m := range metrics {
		head = append(head, m.label)
	}
	rows := [][]any{head}
	for _, mo := range r.Months {
		row := []any{mo.Month}
		for _, m := range metrics {
			row = append(row, num(m, mo.Figures))
		}
		rows = append(rows, row)
	}
	sheets[SheetMonths] = rows

	head = []any{"社区", "当前关注"}
	for _, m := range communityMetrics {
		head = append(head, m.label)
	}
	rows = [][]any{head}
	for _, c := range r.Communities {
		row := []any{c.Community, c.Followers}
		for _, m := range communityMetrics {
			row = append(row, num(m, c.Figures))
		}
		rows = append(rows, row)
	}
	sheets[SheetCommunities] = rows

	rows = [][]any{{"时间", "活动编号", "活动", "渠道", "触达（人次）", "阅读量"}}
	for _, p := range r.Pushes {
		rows = append(rows, []any{fmtTime(p.Fire), p.Campaign, p.Title, channelLabel(p.Channel), p.Reach, p.Reads})
	}
	sheets[SheetPushes] = rows

	rows = [][]any{{"主题", "开始", "结束", "推送（期）", "触达（人次）", "阅读量", "短信（条）", "线下活动（场）", "活动参与（人次）", "期间答题"}}
	for _, th := range r.Themes {
		var qs []string
		for _, q := range th.Quizzes {
			qs = append(qs, fmt.Sprintf("%s（参与%d人次）", q.Title, q.Participants))
		}
		rows = append(rows, []any{th.Name, th.From, th.To, th.Pushes, th.Reach, th.Reads, th.SMS, th.Activities, th.ActivityParticipants, strings.Join(qs, "；")})
	}
	sheets[SheetThemes] = rows

	rows = [][]any{{"开始", "编号", "答题", "参与（人次）", "完成", "答题数", "答对", "正确率", "平均分"}}
	for _, q := range r.Quizzes {
		rows = append(rows, []any{fmtTime(q.Start), q.ID, q.Title, q.Participants, q.Completions, q.Answers, q.Correct, quizAccuracy(q), q.AverageScore})
	}
	sheets[SheetQuizzes] = rows

	rows = [][]any{
		{"群众提问（个）", r.Totals.Questions},
		{"智能解答（个）", r.Totals.Answered},
		{"线上转人工咨询（人次）", r.Totals.Consultations},
		{},
		{"热点主题", "次数"},
	}
	for _, t := range r.TopTopics {
		rows = append(rows, []any{t.Topic, t.Count})
	}
	sheets[SheetBot] = rows

	rows = [][]any{{"类别", "条目", "数量", "单位", "参与（人次）"}}
	for _, k := range r.Kinds {
		rows = append(rows, []any{k.Label, k.Entries, k.Count, k.Unit, k.Participants})
	}
	rows = append(rows, []any{}, []any{"日期", "社区", "类别", "数量", "参与（人次）", "备注", "编号"})
	for _, e := range r.Entries {
		rows = append(rows, []any{e.Date, e.Community, kindLabel(e.Kind), e.Count, e.Participants, e.Note, e.ID})
	}
	sheets[SheetLedger] = rows

	for _, name := range order {
		if name != SheetSummary {
			if _, err := f.NewSheet(name); err != nil {
				return fmt.Errorf("report: xlsx sheet %s: %w", name, err)
			}
		}
		for i, row := range sheets[name] {
			if len(row) == 0 {
				continue
			}
			cell, _ := excelize.CoordinatesToCellName(1, i+1)
			if err := f.SetSheetRow(name, cell, &row); err != nil {
				return fmt.Errorf("report: xlsx %s: %w", name, err)
			}
		}
		_ = f.SetColWidth(name, "A", "A", 24)
	}
	_ = f.SetColWidth(SheetSummary, "B", "B", 100)
	if err := f.Write(w); err != nil {
		return fmt.Errorf("report: xlsx: %w", err)
	}
	return nil
}
