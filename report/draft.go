package report

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/pufa-dev/pufa/campaigns"
	"github.com/pufa-dev/pufa/ledger"
)

// Draft is the text a clerk pastes into the office's 法治政府建设情况报告:
// the summary paragraph and the sections on dispute resolution (四) and
// legal publicity (五, 六), written the way such reports are written, with
// every figure embedded. Each sentence states only figures pufa counted; a
// sentence whose figure is zero is left out, and a section with nothing to
// say says so instead of inventing work.
type Draft struct {
	Title    string    `json:"title"`
	Subtitle string    `json:"subtitle"`
	Sections []Section `json:"sections"`
}

// Section is a heading, its paragraphs and an optional table.
type Section struct {
	Level      int      `json:"level"` // 1 = 一、, 2 = （一）
	Heading    string   `json:"heading"`
	Paragraphs []string `json:"paragraphs"`
	Table      *Table   `json:"table,omitempty"`
}

// Table is a small table under a section.
type Table struct {
	Header []string   `json:"header"`
	Rows   [][]string `json:"rows"`
}

// Headings of the drafted sections, numbered as in the report's template.
const (
	HeadingSummary   = "综述"
	HeadingDisputes  = "（四）矛盾纠纷化解"
	HeadingPublicity = "（五）法治宣传教育"
	HeadingOnline    = "（六）“互联网+法治宣传”"
)

// sentence gathers clauses and leaves out those whose figure is zero.
type sentence struct{ parts []string }

func (s *sentence) add(v int64, format string, args ...any) {
	if v > 0 {
		s.parts = append(s.parts, fmt.Sprintf(format, args...))
	}
}

func (s *sentence) text(lead string) string {
	if len(s.parts) == 0 {
		return ""
	}
	return lead + strings.Join(s.parts, "，") + "。"
}

// appendNonEmpty adds the non-empty paragraphs.
func appendNonEmpty(ps []string, add ...string) []string {
	for _, p := range add {
		if p != "" {
			ps = append(ps, p)
		}
	}
	return ps
}

// MakeDraft writes the draft sections of r.
func MakeDraft(r Report) Draft {
	d := Draft{
		Title:    draftTitle(r.From, r.To),
		Subtitle: "统计期间：" + chineseDate(r.From) + "至" + chineseDate(r.To) + "（数据来自普法公众号工作台，请核对后使用）",
	}
	d.Sections = append(d.Sections, Section{Level: 1, Heading: HeadingSummary, Paragraphs: []string{r.Paragraph}})
	d.Sections = append(d.Sections, disputeSection(r), publicitySection(r), onlineSection(r))
	return d
}

func draftTitle(from, to string) string {
	if len(from) == 10 && len(to) == 10 && from[:4] == to[:4] && from[5:] == "01-01" && to[5:] == "12-31" {
		return from[:4] + "年法治政府建设情况报告（相关部分草稿）"
	}
	return "法治政府建设情况报告（相关部分草稿）"
}

// leadPhrase opens a section's first sentence: the period, then a comma.
func leadPhrase(r Report) string {
	lead := periodPhrase(r.From, r.To)
	if !strings.HasSuffix(lead, "，") {
		lead += "，"
	}
	return lead
}

// nothing is a section's only paragraph when it has no figure at all.
const nothing = "本期间暂无相关统计数据。"

func disputeSection(r Report) Section {
	t := r.Totals
	s := Section{Level: 2, Heading: HeadingDisputes}
	lead := leadPhrase(r)
	var c sentence
	if total := t.ConsultationsTotal(); total > 0 {
		var parts []string
		if t.Consultations > 0 && t.OfflineConsults > 0 {
			parts = append(parts, fmt.Sprintf("其中通过公众号在线咨询%d人次、现场接待%d人次", t.Consultations, t.OfflineConsults))
		}
		txt := fmt.Sprintf("接待群众法律咨询%d人次", total)
		if len(parts) > 0 {
			txt += "（" + strings.Join(parts, "") + "）"
		}
		c.add(total, "%s", txt)
	}
	p1 := c.text(lead)

	var m sentence
	if t.Disputes > 0 {
		m.add(t.Disputes, "排查调处矛盾纠纷%d件", t.Disputes)
		m.add(t.DisputesResolved, "调解成功%d件", t.DisputesResolved)
		m.add(t.DisputeAmountFen, "涉及金额%s", ledger.FormatAmount(t.DisputeAmountFen))
	} else {
		m.add(t.Mediations, "调解矛盾纠纷%d件", t.Mediations)
	}
	m.add(t.LegalAid, "办理法律援助%d件", t.LegalAid)
	p2 := m.text("")
	if p1 == "" && p2 != "" {
		p2 = lead + p2
	}
	s.Paragraphs = appendNonEmpty(nil, p1, p2)
	var rows [][]string
	for _, cm := range r.Communities {
		f := cm.Figures
		if f.Disputes == 0 && f.LegalAid == 0 && f.OfflineConsults == 0 && f.Mediations == 0 {
			continue
		}
		rows = append(rows, []string{cm.Community, n(f.OfflineConsults), n(max(f.Disputes, f.Mediations)), n(f.DisputesResolved), amountCell(f.DisputeAmountFen), n(f.LegalAid)})
	}
	if len(rows) > 0 {
		s.Table = &Table{Header: []string{"社区", "现场咨询（人次）", "调处纠纷（件）", "调解成功（件）", "涉及金额", "法律援助（件）"}, Rows: rows}
	}
	if len(s.Paragraphs) == 0 {
		s.Paragraphs = []string{nothing}
	}
	return s
}

func amountCell(fen int64) string {
	if fen == 0 {
		return "0"
	}
	return ledger.FormatAmount(fen)
}

// kindPhrases word the ledger's kinds as reports do; %[1]d is the count,
// %[2]d the participants (a clause with participants only when there are).
var kindPhrases = []struct {
	kind        string
	count, with string
}{
	{"lecture", "举办法治讲座%[1]d场", "举办法治讲座%[1]d场、听讲群众%[2]d人次"},
	{"event", "开展法治宣传活动%[1]d场", "开展法治宣传活动%[1]d场、参与群众%[2]d人次"},
	{"training", "开展法治培训%[1]d场", "开展法治培训%[1]d场、培训%[2]d人次"},
	{"mingbai", "开展法律明白人、法治带头人培训%[1]d场", "开展法律明白人、法治带头人培训%[1]d场、培训%[2]d人次"},
	{"cadre", "组织领导干部学法%[1]d场", "组织领导干部学法%[1]d场、参学%[2]d人次"},
	{"volunteer", "开展普法志愿者活动%[1]d场", "开展普法志愿者活动%[1]d场、参与志愿者%[2]d人次"},
	{"culture", "建设法治文化阵地%[1]d处", "建设法治文化阵地%[1]d处"},
	{"banner", "悬挂宣传横幅%[1]d条", "悬挂宣传横幅%[1]d条"},
	{"led", "LED屏滚动播放法治标语%[1]d条", "LED屏滚动播放法治标语%[1]d条"},
	{"material", "发放宣传资料%[1]d份", "发放宣传资料%[1]d份"},
}

func kindClause(k KindTotal) string {
	for _, p := range kindPhrases {
		if p.kind != k.Kind {
			continue
		}
		if k.Participants > 0 {
			return fmt.Sprintf(p.with, k.Count, k.Participants)
		}
		return fmt.Sprintf(p.count, k.Count)
	}
	return ""
}

func publicitySection(r Report) Section {
	t := r.Totals
	s := Section{Level: 2, Heading: HeadingPublicity}
	lead := leadPhrase(r)
	var a sentence
	if t.Activities > 0 {
		txt := fmt.Sprintf("累计开展各种法治宣传活动%d场", t.Activities)
		if t.ActivityParticipants > 0 {
			txt += fmt.Sprintf("、覆盖群众%d人次", t.ActivityParticipants)
		}
		a.add(t.Activities, "%s", txt)
	}
	var events, media sentence
	byKind := map[string]KindTotal{}
	for _, k := range r.Kinds {
		byKind[k.Kind] = k
	}
	for _, kind := range []string{"lecture", "event", "training", "mingbai", "cadre", "volunteer", "culture"} {
		if k, ok := byKind[kind]; ok {
			events.add(k.Count, "%s", kindClause(k))
		}
	}
	for _, kind := range []string{"banner", "led", "material"} {
		if k, ok := byKind[kind]; ok {
			media.add(k.Count, "%s", kindClause(k))
		}
	}
	media.add(t.SMSTotal(), "发送普法短信%d条", t.SMSTotal())
	p1 := a.text(lead)
	if p1 != "" && len(events.parts) > 0 {
		p1 = strings.TrimSuffix(p1, "。") + "，其中" + strings.Join(events.parts, "，") + "。"
	} else if len(events.parts) > 0 {
		p1 = events.text(lead)
	}
	p2 := media.text("")
	if p1 == "" && p2 != "" {
		p2 = lead + p2
	}
	s.Paragraphs = appendNonEmpty(nil, p1, p2)
	for _, th := range r.Themes {
		s.Paragraphs = appendNonEmpty(s.Paragraphs, themeSentence(th))
	}
	var rows [][]string
	for _, cm := range r.Communities {
		f := cm.Figures
		if f.Activities == 0 && f.Banners == 0 && f.Materials == 0 && f.Trainings == 0 && cm.Followers == 0 && f.QuizParticipants == 0 {
			continue
		}
		rows = append(rows, []string{cm.Community, n(f.Activities), n(f.ActivityParticipants), n(f.Banners), n(f.Materials), n(f.QuizParticipants), n(cm.Followers)})
	}
	if len(rows) > 0 {
		s.Table = &Table{Header: []string{"社区", "宣传活动（场）", "参与（人次）", "横幅（条）", "资料（份）", "答题（人次）", "关注人数"}, Rows: rows}
	}
	if len(s.Paragraphs) == 0 {
		s.Paragraphs = []string{nothing}
	}
	return s
}

// themeSentence names a themed campaign with its dates and figures:
// "宪法宣传周（12月1日至12月7日）期间，推送宣传信息3期、触达600人次…".
func themeSentence(th Theme) string {
	var c sentence
	c.add(th.Pushes, "线上推送宣传信息%d期", th.Pushes)
	c.add(th.Reach, "触达%d人次", th.Reach)
	c.add(th.Reads, "阅读量%d次", th.Reads)
	c.add(th.SMS, "发送短信%d条", th.SMS)
	c.add(th.Activities, "开展线下宣传活动%d场", th.Activities)
	c.add(th.ActivityParticipants, "参与群众%d人次", th.ActivityParticipants)
	for _, q := range th.Quizzes {
		txt := fmt.Sprintf("组织%s，参与%d人次", quoted(q.Title), q.Participants)
		if q.Completions > 0 {
			txt += fmt.Sprintf("、完成%d人次", q.Completions)
			if q.AverageScore > 0 {
				txt += "、平均得分" + score(q.AverageScore) + "分"
			}
		}
		c.add(q.Participants, "%s", txt)
	}
	return c.text(fmt.Sprintf("%s（%s）期间，", th.Name, dateSpan(th.From, th.To)))
}

// quoted puts a title in Chinese double quotes, turning the double quotes
// inside it to single ones, as nested quotes are written in Chinese.
func quoted(title string) string {
	return "“" + strings.NewReplacer("“", "‘", "”", "’").Replace(title) + "”"
}

// dateSpan is "12月1日至12月7日", or one date when from = to.
func dateSpan(from, to string) string {
	short := func(d string) string {
		if len(d) != 10 {
			return d
		}
		m, _ := strconv.Atoi(d[5:7])
		day, _ := strconv.Atoi(d[8:10])
		return fmt.Sprintf("%d月%d日", m, day)
	}
	if from == to {
		return short(from)
	}
	return short(from) + "至" + short(to)
}

// score writes a mean score with one decimal, without a trailing ".0".
func score(v float64) string {
	return strings.TrimSuffix(strconv.FormatFloat(v, 'f', 1, 64), ".0")
}

func onlineSection(r Report) Section {
	t := r.Totals
	s := Section{Level: 2, Heading: HeadingOnline}
	lead := leadPhrase(r)
	var p sentence
	p.add(t.Pushes, "依托街道普法公众号线上推送法治宣传信息%d期", t.Pushes)
	p.add(t.Reach, "触达群众%d人次", t.Reach)
	p.add(t.Reads, "阅读量%d次", t.Reads)
	p.add(t.SMSSent, "通过短信平台发送普法短信%d条", t.SMSSent)
	p1 := p.text(lead)

	var f sentence
	if r.Followers.Total > 0 {
		f.add(r.Followers.Total, "截至%s，公众号关注人数%d人", chineseDate(r.Followers.AsOf), r.Followers.Total)
	}
	f.add(t.NewFollowers, "期间新增关注%d人", t.NewFollowers)
	f.add(t.CancelledFollowers, "取消关注%d人", t.CancelledFollowers)
	p2 := f.text("")

	var q sentence
	if t.Quizzes > 0 {
		names := make([]string, 0, len(r.Quizzes))
		for _, qz := range r.Quizzes {
			names = append(names, quoted(qz.Title))
		}
		txt := fmt.Sprintf("组织%s等网上法律知识答题%d场", strings.Join(names, "、"), t.Quizzes)
		if len(r.Quizzes) == 1 {
			txt = fmt.Sprintf("组织%s网上法律知识答题", names[0])
		}
		q.add(t.Quizzes, "%s", txt)
		q.add(t.QuizParticipants, "参与%d人次", t.QuizParticipants)
		q.add(t.QuizCompletions, "完成答题%d人次", t.QuizCompletions)
		if t.QuizAverageScore > 0 {
			q.add(1, "平均得分%s分", score(t.QuizAverageScore))
		}
	}
	q.add(t.Questions, "公众号智能问答受理群众提问%d个", t.Questions)
	q.add(t.Answered, "即时解答%d个", t.Answered)
	p3 := q.text("")
	if p1 == "" {
		if p2 != "" {
			p2 = lead + p2
		} else if p3 != "" {
			p3 = lead + p3
		}
	}
	s.Paragraphs = appendNonEmpty(nil, p1, p2, p3)
	var rows [][]string
	for _, ps := range r.Pushes {
		rows = append(rows, []string{fmtTime(ps.Fire), ps.Title, channelLabel(ps.Channel), n(ps.Reach), n(ps.Reads)})
	}
	if len(rows) > 0 {
		s.Table = &Table{Header: []string{"时间", "推送", "渠道", "触达（人次）", "阅读量"}, Rows: rows}
	}
	if len(s.Paragraphs) == 0 {
		s.Paragraphs = []string{nothing}
	}
	return s
}

// channelLabel names a campaign channel in Chinese for staff, from the
// campaigns' channel table.
func channelLabel(c string) string { return campaigns.Channel(c).Label() }

// writeDraftMarkdown writes d's sections as Markdown under a level-2
// heading, for the .md download.
func writeDraftMarkdown(b *strings.Builder, d Draft) {
	fmt.Fprintf(b, "## 报告草稿：%s\n\n", d.Title)
	for _, s := range d.Sections {
		if s.Heading == HeadingSummary {
			continue // the summary paragraph has its own section above
		}
		fmt.Fprintf(b, "### %s\n\n", s.Heading)
		for _, p := range s.Paragraphs {
			b.WriteString(p + "\n\n")
		}
		if s.Table != nil {
			b.WriteString("|")
			for _, h := range s.Table.Header {
				b.WriteString(" " + h + " |")
			}
			b.WriteString("\n|" + strings.Repeat("---|", len(s.Table.Header)) + "\n")
			for _, row := range s.Table.Rows {
				b.WriteString("|")
				for _, c := range row {
					b.WriteString(" " + mdCell(c) + " |")
				}
				b.WriteString("\n")
			}
			b.WriteString("\n")
		}
	}
}
