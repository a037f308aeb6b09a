package report_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/pufa-dev/pufa/campaigns"
	"github.com/pufa-dev/pufa/ledger"
	"github.com/pufa-dev/pufa/report"
	"github.com/pufa-dev/pufa/store"
	"github.com/pufa-dev/pufa/store/storetest"
)

// buildOnline is build with the online figures besides: a themed mass run
// with reads, an SMS run, and WeChat's follower summary.
func buildOnline(t *testing.T) report.Report {
	t.Helper()
	ctx := context.Background()
	st := storetest.New(t)
	src := seed(t, st)
	camps := src.Campaigns.(report.CampaignPushes).Campaigns.(fakeCampaigns)
	camps[0].Theme = "constitution-week"
	smsFire := at(2026, 12, 2, 9)
	camps = append(camps, campaigns.Stats{ID: "constitution-sms", Title: "宪法宣传周短信", Theme: "constitution-week",
		Channel: "sms", Runs: []campaigns.RunStats{{Fire: smsFire, Channel: "sms", Sent: 4000}}})
	src.Campaigns = report.CampaignPushes{Campaigns: camps, Mass: st}
	for _, r := range []store.ArticleRead{
		{Campaign: "constitution-week-2026", Fire: at(2026, 12, 4, 10), Day: "2026-12-04", Reads: 90, ReadUsers: 70},
		{Campaign: "constitution-week-2026", Fire: at(2026, 12, 4, 10), Day: "2026-12-05", Reads: 30, ReadUsers: 25},
	} {
		if err := st.RecordArticleRead(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []store.FollowerDay{
		{Day: "2026-03-01", New: 40, Cancelled: 2, Total: 238},
		{Day: "2026-12-30", New: 10, Cancelled: 1, Total: 1207},
		{Day: "2026-12-30", New: 12, Cancelled: 1, Total: 1209}, // fetched again: replaces
		{Day: "2027-01-02", New: 99, Cancelled: 9, Total: 1299}, // outside the period
	} {
		if err := st.RecordFollowerDay(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	src.Reads = report.StoredReads{Store: st}
	src.FollowerSummary = st
	from, _ := report.ParseDate("2026-01-01")
	to, _ := report.ParseDate("2026-12-31")
	r, err := report.Build(ctx, src, from, to)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func section(t *testing.T, d report.Draft, heading string) report.Section {
	t.Helper()
	for _, s := range d.Sections {
		if s.Heading == heading {
			return s
		}
	}
	t.Fatalf("no section %s in %+v", heading, d.Sections)
	return report.Section{}
}

func TestOnlineFiguresAreSummed(t *testing.T) {
	r := buildOnline(t)
	got := r.Totals
	if got.Reads != 120 || got.SMSSent != 4000 || got.Pushes != 2 || got.NewFollowers != 52 || got.CancelledFollowers != 3 {
		t.Errorf("reads %d, sms %d, pushes %d, new %d, cancelled %d; want 120, 4000, 2 (the SMS run is no 线上推送), 52, 3",
			got.Reads, got.SMSSent, got.Pushes, got.NewFollowers, got.CancelledFollowers)
	}
	if got.SMSTotal() != 5200 {
		t.Errorf("SMS total %d, want 1200 in the ledger + 4000 sent", got.SMSTotal())
	}
	if r.Followers != (report.FollowerTotal{Total: 1209, AsOf: "2026-12-30"}) {
		t.Errorf("followers %+v, want 1209 as of 2026-12-30", r.Followers)
	}
	if dec := r.Months[11]; dec.Reads != 120 || dec.SMSSent != 4000 || dec.NewFollowers != 12 {
		t.Errorf("December reads %d, sms %d, new %d", dec.Reads, dec.SMSSent, dec.NewFollowers)
	}
	want := report.Theme{Theme: "constitution-week", Name: "宪法宣传周", From: "2026-12-01", To: "2026-12-07",
		Pushes: 1, Reach: 180, Reads: 120, SMS: 4000}
	if len(r.Themes) != 1 {
		t.Fatalf("themes %+v, want one", r.Themes)
	}
	th := r.Themes[0]
	if len(th.Quizzes) != 1 || th.Quizzes[0].ID != "q2" {
		t.Errorf("theme quizzes %+v, want q2 (opened 12月4日)", th.Quizzes)
	}
	th.Quizzes = nil
	if !reflect.DeepEqual(th, want) {
		t.Errorf("theme\n got %+v\nwant %+v", th, want)
	}
}

func TestDraftSectionsEmbedEveryFigureAndOmitZeros(t *testing.T) {
	d := buildOnline(t).Draft
	if d.Title != "2026年法治政府建设情况报告（相关部分草稿）" {
		t.Errorf("title %q", d.Title)
	}
	tests := []struct {
		heading string
		want    []string
		not     []string
	}{
		{report.HeadingDisputes,
			[]string{"今年以来，接待群众法律咨询14人次（其中通过公众号在线咨询2人次、现场接待12人次）。", "调解矛盾纠纷4件"},
			[]string{"法律援助", "涉及金额"}},
		{report.HeadingPublicity,
			[]string{"累计开展各种法治宣传活动4场、覆盖群众325人次，其中举办法治讲座2场、听讲群众80人次",
				"开展法治培训1场、培训45人次", "悬挂宣传横幅5条，LED屏滚动播放法治标语3条，发放宣传资料500份，发送普法短信5200条。",
				"宪法宣传周（12月1日至12月7日）期间，线上推送宣传信息1期，触达180人次，阅读量120次，发送短信4000条，组织“民法典答题”，参与50人次、完成50人次。"},
			[]string{"领导干部学法", "法治文化阵地", "志愿者"}},
		{report.HeadingOnline,
			[]string{"依托街道普法公众号线上推送法治宣传信息2期，触达群众330人次，阅读量120次，通过短信平台发送普法短信4000条。",
				"截至2026年12月30日，公众号关注人数1209人，期间新增关注52人，取消关注3人。",
				"组织“宪法知识答题”、“民法典答题”等网上法律知识答题2场，参与150人次，完成答题140人次"},
			[]string{"平均得分"}},
	}
	for _, tc := range tests {
		s := section(t, d, tc.heading)
		text := strings.Join(s.Paragraphs, "\n")
		for _, w := range tc.want {
			if !strings.Contains(text, w) {
				t.Errorf("%s lacks %q:\n%s", tc.heading, w, text)
			}
		}
		for _, w := range tc.not {
			if strings.Contains(text, w) {
				t.Errorf("%s mentions %q, whose figure is zero:\n%s", tc.heading, w, text)
			}
		}
		if strings.Contains(text, "0个") || strings.Contains(text, "0人次，") && strings.Contains(text, "人次0") {
			t.Errorf("%s states a zero figure:\n%s", tc.heading, text)
		}
	}
	if tb := section(t, d, report.HeadingOnline).Table; tb == nil || len(tb.Rows) != 3 {
		t.Errorf("online table %+v, want a row per push (mass, template, SMS)", tb)
	}
}

func TestDraftOfAnEmptyPeriodInventsNothing(t *testing.T) {
	from, _ := report.ParseDate("2026-01-01")
	to, _ := report.ParseDate("2026-06-30")
	r, err := report.Build(context.Background(), report.Sources{}, from, to)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range r.Draft.Sections[1:] {
		if len(s.Paragraphs) != 1 || s.Paragraphs[0] != "本期间暂无相关统计数据。" || s.Table != nil {
			t.Errorf("%s: %q, table %v; want only the no-data sentence", s.Heading, s.Paragraphs, s.Table)
		}
	}
	if r.Draft.Title != "法治政府建设情况报告（相关部分草稿）" {
		t.Errorf("half-year title %q", r.Draft.Title)
	}
}

// docxText is the text of every w:t in a document part, paragraph by
// paragraph, and whether it holds a table.
func docxText(t *testing.T, part []byte) (paras []string, tables int) {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(part))
	var cur strings.Builder
	inText := false
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("document.xml is not well-formed: %v", err)
		}
		switch v := tok.(type) {
		case xml.StartElement:
			switch v.Name.Local {
			case "t":
				inText = true
			case "tbl":
				tables++
			}
		case xml.EndElement:
			switch v.Name.Local {
			case "t":
				inText = false
			case "p":
				if cur.Len() > 0 {
					paras = append(paras, cur.String())
				}
				cur.Reset()
			}
		case xml.CharData:
			if inText {
				cur.Write(v)
			}
		}
	}
	return paras, tables
}

func TestDocxIsAMinimalValidPackage(t *testing.T) {
	r := buildOnline(t)
	r.Draft.Sections[0].Paragraphs[0] += " <&> \x01" // typed text must not break the XML
	var b bytes.Buffer
	if err := report.Write(&b, r, report.FormatDocx); err != nil {
		t.Fatal(err)
	}
	z, err := zip.NewReader(bytes.NewReader(b.Bytes()), int64(b.Len()))
	if err != nil {
		t.Fatalf("not a zip: %v", err)
	}
	parts := map[string][]byte{}
	for _, f := range z.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		parts[f.Name], _ = io.ReadAll(rc)
		rc.Close()
	}
	if z.File[0].Name != "[Content_Types].xml" {
		t.Errorf("first part %s, want [Content_Types].xml", z.File[0].Name)
	}
	for _, name := range []string{"[Content_Types].xml", "_rels/.rels", "word/_rels/document.xml.rels", "word/document.xml", "word/styles.xml", "docProps/core.xml"} {
		p, ok := parts[name]
		if !ok {
			t.Errorf("part %s missing", name)
			continue
		}
		if err := xml.Unmarshal(p, new(struct{})); err != nil {
			t.Errorf("part %s is not well-formed XML: %v", name, err)
		}
	}
	if !bytes.Contains(parts["[Content_Types].xml"], []byte(`PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"`)) {
		t.Error("content types do not declare the main document")
	}
	paras, tables := docxText(t, parts["word/document.xml"])
	want := []string{r.Draft.Title, report.HeadingSummary, report.HeadingDisputes, report.HeadingPublicity, report.HeadingOnline,
		"今年以来累计开展各种法治宣传活动4场、覆盖群众325人次", "截至2026年12月30日，公众号关注人数1209人"}
	joined := strings.Join(paras, "\n")
	for _, w := range want {
		if !strings.Contains(joined, w) {
			t.Errorf("document lacks %q", w)
		}
	}
	if !strings.Contains(joined, " <&> ") || strings.ContainsRune(joined, '\x01') {
		t.Error("typed text was not escaped, or a control character that XML cannot hold was kept")
	}
	if tables < 2 {
		t.Errorf("%d tables, want the communities' and the pushes'", tables)
	}
	var again bytes.Buffer
	if err := report.Write(&again, r, report.FormatDocx); err != nil || !bytes.Equal(again.Bytes(), b.Bytes()) {
		t.Error("the same report gave another file")
	}
}

// fakeMediation sums a fixed dispute ledger.
type fakeMediation ledger.MediationSums

func (f fakeMediation) Sums(context.Context, string, string) (ledger.MediationSums, error) {
	return ledger.MediationSums(f), nil
}

func TestDisputeSectionWritesTheMediationLedgerAsOfficesDo(t *testing.T) {
	xingfu := ledger.MediationFigures{Disputes: 50, Successes: 50, AmountFen: 40_000_000, LegalAid: 7}
	heping := ledger.MediationFigures{Disputes: 35, Successes: 35, AmountFen: 24_350_000, LegalAid: 5}
	src := report.Sources{Mediation: fakeMediation{
		Total:       ledger.MediationFigures{Disputes: 85, Successes: 85, AmountFen: 64_350_000, LegalAid: 12},
		ByMonth:     map[string]ledger.MediationFigures{"2026-03": xingfu, "2026-09": heping},
		ByCommunity: map[string]ledger.MediationFigures{"幸福社区": xingfu, "和平社区": heping},
	}}
	from, _ := report.ParseDate("2026-01-01")
	to, _ := report.ParseDate("2026-12-31")
	r, err := report.Build(context.Background(), src, from, to)
	if err != nil {
		t.Fatal(err)
	}
	if r.Months[2].Disputes != 50 || r.Months[8].DisputeAmountFen != 24_350_000 {
		t.Errorf("months: March %+v, September %+v", r.Months[2].Figures, r.Months[8].Figures)
	}
	s := section(t, r.Draft, report.HeadingDisputes)
	if want := "今年以来，排查调处矛盾纠纷85件，调解成功85件，涉及金额64余万元，办理法律援助12件。"; len(s.Paragraphs) != 1 || s.Paragraphs[0] != want {
		t.Errorf("paragraphs %q, want %q", s.Paragraphs, want)
	}
	if s.Table == nil || len(s.Table.Rows) != 2 || s.Table.Rows[0][0] != "和平社区" || s.Table.Rows[0][4] != "24余万元" {
		t.Errorf("table %+v", s.Table)
	}
	if !strings.Contains(r.Paragraph, "排查调处矛盾纠纷85件、调解成功85件、涉及金额64余万元") {
		t.Errorf("paragraph %q", r.Paragraph)
	}
}
