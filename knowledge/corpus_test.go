package knowledge

import (
	"strings"
	"sync"
	"testing"
)

// The default corpus is immutable; tests share one rather than parse the
// laws again each (slow under -race).
var sharedCorpus = sync.OnceValues(DefaultCorpus)

func defaultCorpus(t testing.TB) *Corpus {
	t.Helper()
	c, err := sharedCorpus()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestDefaultCorpusLaws(t *testing.T) {
	c := defaultCorpus(t)
	tests := []struct {
		short    string
		name     string
		articles int
		version  string
	}{
		{"宪法", "中华人民共和国宪法", 143, "2018-03-11"},
		{"民法典", "中华人民共和国民法典", 1260, "2020-05-28"},
		{"劳动合同法", "中华人民共和国劳动合同法", 98, "2012-12-28"},
		{"反家庭暴力法", "中华人民共和国反家庭暴力法", 38, "2015-12-27"},
		{"反电信网络诈骗法", "中华人民共和国反电信网络诈骗法", 50, "2022-09-02"},
		{"国家安全法", "中华人民共和国国家安全法", 84, "2015-07-01"},
		{"未成年人保护法", "中华人民共和国未成年人保护法", 132, "2024-04-26"},
		{"治安管理处罚法", "中华人民共和国治安管理处罚法", 119, "2012-10-26"},
		{"法律援助法", "中华人民共和国法律援助法", 71, "2021-08-20"},
		{"消费者权益保护法", "中华人民共和国消费者权益保护法", 63, "2013-10-25"},
		{"禁毒法", "中华人民共和国禁毒法", 71, "2007-12-29"},
		{"人民调解法", "中华人民共和国人民调解法", 35, "2010-08-28"},
	}
	// The original twelve plus the laws residents need beyond them.
	if got := len(c.Laws()); got < 90 {
		t.Errorf("got %d laws, want the ~100 of DEFAULT.txt", got)
	}
	for _, short := range []string{"劳动法", "道路交通安全法", "工伤保险条例", "社会保险法", "刑法", "民事诉讼法",
		"老年人权益保障法", "个人信息保护法", "物业管理条例", "最高人民法院关于审理民间借贷案件适用法律若干问题的规定"} {
		if c.Law(short) == nil {
			t.Errorf("law %s not loaded", short)
		}
	}
	for _, tt := range tests {
		l := c.Law(tt.short)
		if l == nil {
			t.Errorf("law %s not loaded", tt.short)
			continue
		}
		if l.Name != tt.name || l.ShortName != tt.short {
			t.Errorf("%s: name %q short %q", tt.short, l.Name, l.ShortName)
		}
		if len(l.Articles) != tt.articles || l.MaxNumber() != tt.articles {
			t.Errorf("%s: %d articles (max %d), want %d", tt.short, len(l.Articles), l.MaxNumber(), tt.articles)
		}
		if l.Version != tt.version {
			t.Errorf("%s: version %q, want %q", tt.short, l.Version, tt.version)
		}
		for i, a := range l.Articles {
			if a.Number != i+1 || a.Text == "" || a.Law != l {
				t.Errorf("%s: article %d is %+v", tt.short, i+1, a)
				break
			}
		}
	}
}

func TestArticleDetails(t *testing.T) {
	c := defaultCorpus(t)
	a := c.Law("民法典").Article(1077, 0)
	if a == nil {
		t.Fatal("民法典第1077条 missing")
	}
	checks := []struct{ what, got, want string }{
		{"chapter", a.Chapter(), "婚姻家庭编 / 第四章 离婚"},
		{"number", a.NumberCN(), "第一千零七十七条"},
		{"citation", a.Citation(), "《中华人民共和国民法典》第一千零七十七条"},
		{"name", a.Name(), "中华人民共和国民法典第一千零七十七条"},
		{"version", a.Version(), "2020-05-28"},
		{"law", a.LawName(), "中华人民共和国民法典"},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %q, want %q", ch.what, ch.got, ch.want)
		}
	}
	if !strings.HasPrefix(a.Text, "自婚姻登记机关收到离婚登记申请之日起三十日内") || !strings.Contains(a.Text, "\n前款规定期限届满后三十日内") {
		t.Errorf("text of 1077 = %q", a.Text)
	}
	if got := c.ArticleByName("中华人民共和国民法典第一千零七十七条"); got != a {
		t.Errorf("ArticleByName = %v", got)
	}
	// Sections under a chapter, and 分编 headings in 物权编.
	if got := c.Law("民法典").Article(209, 0).Chapter(); got != "物权编 / 第一分编 通则 / 第二章 物权的设立、变更、转让和消灭 / 第一节 不动产登记" {
		t.Errorf("chapter of 209 = %q", got)
	}
	if got := c.Law("民法典").Article(28, 0).Chapter(); got != "总则 / 第二章 自然人 / 第二节 监护" {
		t.Errorf("chapter of 28 = %q", got)
	}
}

func TestConstitutionPreambleIsNotAnArticle(t *testing.T) {
	l := defaultCorpus(t).Law("宪法")
	if !strings.Contains(l.Preamble, "中国是世界上历史最悠久的国家之一") {
		t.Errorf("preamble = %.40q", l.Preamble)
	}
	if strings.Contains(l.Preamble, "FORCE BREAK") {
		t.Error("preamble keeps HTML comments")
	}
	first := l.Articles[0]
	if first.Number != 1 || strings.Contains(first.Text, "历史最悠久") {
		t.Errorf("first article = %d %.20q", first.Number, first.Text)
	}
}

func TestStaleNote(t *testing.T) {
	c := defaultCorpus(t)
	for law, want := range map[string]string{
		"治安管理处罚法": "本条引自2012年版本；该法已于2025年修订，新法自2026年1月1日起施行",
		"反不正当竞争法": "新法自2025年10月15日起施行",
		"仲裁法":     "新法自2026年3月1日起施行",
	} {
		if got := c.Law(law).Note; !strings.Contains(got, want) {
			t.Errorf("%s note = %q, want it to say %q", law, got, want)
		}
	}
	if got := c.Law("民法典").Note; got != "" {
		t.Errorf("民法典 note = %q, want none", got)
	}
}

func TestParseMarkdown(t *testing.T) {
	const doc = `# 中华人民共和国示例法

2001年1月1日 第九届全国人民代表大会常务委员会第一次会议通过

2010年2月3日 第十一届全国人民代表大会常务委员会第二次会议修正

2011年1月1日 施行

<!-- INFO END -->

## 第一章  总  则

第一条 第一款。

第二款。

### 第一节 一般规定

第二条 内容二。

第二条之一 插入的条文。

## 第二章 附则

第三条 本法自公布之日起施行。
`
	l, err := ParseMarkdown("示例法.md", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if l.Name != "中华人民共和国示例法" || l.ShortName != "示例法" || l.Version != "2010-02-03" {
		t.Errorf("law = %q %q %q", l.Name, l.ShortName, l.Version)
	}
	want := []struct {
		num, sub int
		chapter  string
		text     string
	}{
		{1, 0, "第一章 总则", "第一款。\n第二款。"},
		{2, 0, "第一章 总则 / 第一节 一般规定", "内容二。"},
		{2, 1, "第一章 总则 / 第一节 一般规定", "插入的条文。"},
		{3, 0, "第二章 附则", "本法自公布之日起施行。"},
	}
	if len(l.Articles) != len(want) {
		t.Fatalf("got %d articles, want %d", len(l.Articles), len(want))
	}
	for i, w := range want {
		a := l.Articles[i]
		if a.Number != w.num || a.Sub != w.sub || a.Chapter() != w.chapter || a.Text != w.text {
			t.Errorf("article %d = {%d %d %q %q}, want %+v", i, a.Number, a.Sub, a.Chapter(), a.Text, w)
		}
	}
	if got := l.Articles[2].NumberCN(); got != "第二条之一" {
		t.Errorf("NumberCN = %q", got)
	}
	// A date in the file name wins over the header.
	l, err = ParseMarkdown("laws/示例法(2020-01-02).md", []byte(doc))
	if err != nil || l.Version != "2020-01-02" {
		t.Errorf("version from file name = %q, %v", l.Version, err)
	}
}

func TestParseMarkdownErrors(t *testing.T) {
	tests := []struct {
		name, doc, want string
	}{
		{"no title", "<!-- INFO END -->\n第一条 内容。\n", "no `# ` title"},
		{"no marker", "# 示例法\n第一条 内容。\n", "INFO END"},
		{"no articles", "# 示例法\n<!-- INFO END -->\n## 第一章\n", "no articles"},
		{"duplicate", "# 示例法\n<!-- INFO END -->\n第一条 甲。\n第一条 乙。\n", "duplicate article 第一条"},
	}
	for _, tt := range tests {
		_, err := ParseMarkdown("x.md", []byte(tt.doc))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want it to mention %q", tt.name, err, tt.want)
		}
	}
}

const sampleJSONL = `{"id": 0, "name": "中华人民共和国刑法第十七条", "content": "已满十六周岁的人犯罪，应当负刑事责任。\n", "source": "刑法/刑法.md"}
{"id": 1, "name": "中华人民共和国刑法第十七条之一", "content": "已满七十五周岁的人故意犯罪的，可以从轻或者减轻处罚。\n", "source": "刑法/刑法.md"}

{"id": 2, "name": "劳动合同法第七条", "content": "用人单位自用工之日起即与劳动者建立劳动关系。\n", "source": "社会法/劳动合同法(2012-12-28).md"}
{"id": 3, "name": "最高人民法院关于审理劳动争议案件适用法律问题的解释（一）第一条", "content": "劳动者与用人单位之间发生的下列纠纷，属于劳动争议。\n", "source": "司法解释/x(2020-12-29).md"}
`

func TestLoadJSONL(t *testing.T) {
	laws, err := LoadJSONL(strings.NewReader(sampleJSONL))
	if err != nil {
		t.Fatal(err)
	}
	if len(laws) != 3 {
		t.Fatalf("got %d laws, want 3", len(laws))
	}
	c, err := NewCorpus(laws...)
	if err != nil {
		t.Fatal(err)
	}
	a := c.ArticleByName("中华人民共和国刑法第十七条之一")
	if a == nil || a.Number != 17 || a.Sub != 1 || a.Law.ShortName != "刑法" {
		t.Fatalf("刑法第十七条之一 = %+v", a)
	}
	if l := c.Law("劳动合同法"); l == nil || l.Version != "2012-12-28" || l.Articles[0].Text != "用人单位自用工之日起即与劳动者建立劳动关系。" {
		t.Errorf("劳动合同法 = %+v", l)
	}
	if l := c.Law("最高人民法院关于审理劳动争议案件适用法律问题的解释（一）"); l == nil || l.Version != "2020-12-29" {
		t.Errorf("interpretation = %+v", l)
	}
	ref, ok := ParseArticleRef("最高人民法院关于审理劳动争议案件适用法律问题的解释（一）第一条")
	if res := c.Resolve(ref); !ok || res.Status != LookupFound {
		t.Errorf("lookup of the interpretation: %v %v", ok, res.Status)
	}
	for _, bad := range []string{`{"name": "没有条号"}`, `{"name": `, `{"name": "刑法第一条"}` + "\n" + `{"name": "刑法第一条"}`} {
		if _, err := LoadJSONL(strings.NewReader(bad)); err == nil {
			t.Errorf("LoadJSONL(%q) succeeded, want an error", bad)
		}
	}
}

func TestNewCorpusPrefersFirstSource(t *testing.T) {
	all, err := DefaultLaws()
	if err != nil {
		t.Fatal(err)
	}
	// The Markdown 劳动合同法 against the JSONL one; 刑法 only in JSONL.
	var md []*Law
	for _, l := range all {
		if l.ShortName != "刑法" && !strings.Contains(l.Name, "劳动争议") {
			md = append(md, l)
		}
	}
	extra, err := LoadJSONL(strings.NewReader(sampleJSONL))
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewCorpus(append(md, extra...)...)
	if err != nil {
		t.Fatal(err)
	}
	// 劳动合同法 exists in both: the Markdown text (full name, 98 articles) wins.
	l := c.Law("劳动合同法")
	if l.Name != "中华人民共和国劳动合同法" || len(l.Articles) != 98 {
		t.Errorf("劳动合同法 = %q with %d articles", l.Name, len(l.Articles))
	}
	if len(c.Skipped) != 1 || !strings.Contains(c.Skipped[0], "劳动合同法") {
		t.Errorf("Skipped = %v", c.Skipped)
	}
	if c.Law("刑法") == nil {
		t.Error("刑法 from JSONL missing")
	}
	if got, want := len(c.Articles()), articleCount(md)+3; got != want {
		t.Errorf("%d articles, want %d", got, want)
	}
}

func TestArticleByNameAcrossSpellings(t *testing.T) {
	c := defaultCorpus(t)
	for _, name := range []string{"劳动合同法第七条", "中华人民共和国劳动合同法第七条", "消法第二十五条", "民法典第一千零七十七条"} {
		if a := c.ArticleByName(name); a == nil {
			t.Errorf("ArticleByName(%q) = nil", name)
		}
	}
	for _, name := range []string{"婚姻法第三十二条", "民法典第九千条", "民法典", ""} {
		if a := c.ArticleByName(name); a != nil {
			t.Errorf("ArticleByName(%q) = %s", name, a.Name())
		}
	}
}

func articleCount(laws []*Law) int {
	n := 0
	for _, l := range laws {
		n += len(l.Articles)
	}
	return n
}
