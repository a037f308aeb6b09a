package bot

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pufa-dev/pufa/knowledge"
	"github.com/pufa-dev/pufa/store"
	"github.com/pufa-dev/pufa/store/storetest"
)

// The embedded knowledge base is immutable once built; tests share one.
var kb = sync.OnceValues(knowledge.Default)

func answerer(t *testing.T) (*Answerer, *store.Store) {
	t.Helper()
	base, err := kb()
	if err != nil {
		t.Fatal(err)
	}
	st := storetest.New(t)
	return &Answerer{KB: base, Log: st}, st
}

func ask(t *testing.T, a *Answerer, openid, text string) string {
	t.Helper()
	r, ok, err := a.HandleText(context.Background(), &Message{FromUserName: openid, MsgType: TypeText, Content: text, Text: Normalize(text)})
	if err != nil || !ok {
		t.Fatalf("%q: ok=%v err=%v", text, ok, err)
	}
	if r.Text == "" || len(r.Text) > maxReplyBytes {
		t.Fatalf("%q: reply of %d bytes (must be 1..%d)", text, len(r.Text), maxReplyBytes)
	}
	return r.Text
}

func TestAnswersCiteTheLaw(t *testing.T) {
	a, _ := answerer(t)
	tests := []struct {
		q    string
		want []string
	}{
		{"民法典第1077条", []string{"《中华人民共和国民法典》第一千零七十七条", "三十日", "2020-05-28"}},
		{"民法典第一千零七十七条", []string{"第一千零七十七条", "三十日"}},
		{"宪法33条", []string{"《中华人民共和国宪法》第三十三条", "公民"}},
		{"民法典第9999条", []string{"1260"}},
		{"治安管理处罚法第一条", []string{"2012", "2026"}}, // stale text is flagged
		{"离婚冷静期是多久", []string{"第一千零七十七条"}},
		{"法律援助怎么申请", []string{"12348", "依据：《中华人民共和国法律援助法》", "（2021-08-20版）"}},
		{"劳动仲栽时效多长", []string{"】\n有。", "依据：《中华人民共和国劳动争议调解仲裁法》第二十七条（2007-12-29版）",
			"“劳动关系存续期间因拖欠劳动报酬发生争议的", "怎么办：", disclaimer}},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			got := ask(t, a, "u", tt.q)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("reply lacks %q:\n%s", w, got)
				}
			}
		})
	}
}

func TestUnsureAnswerOffersAPerson(t *testing.T) {
	a, st := answerer(t)
	got := ask(t, a, "u", "啊啊啊啊啊")
	if !strings.Contains(got, "转人工") || !strings.Contains(got, "12348") || !strings.Contains(got, "没有把握") {
		t.Errorf("low-confidence reply:\n%s", got)
	}
	ask(t, a, "u", "民法典第1077条")
	stats, _ := st.DayStats(context.Background(), time.Now())
	if stats[store.MetricQuestions] != 2 || stats[store.MetricUnanswered] != 1 || stats[store.MetricAnswered] != 1 {
		t.Errorf("counters %v", stats)
	}
	if q, _ := st.LastQuestion(context.Background(), "u"); q != "民法典第1077条" {
		t.Errorf("last question %q, kept for 转人工", q)
	}
	top, _ := st.TopTopics(context.Background(), time.Now(), 5)
	if len(top) != 1 || top[0].Topic != "民法典" || top[0].Count != 1 {
		t.Errorf("top topics %+v", top)
	}
}

func TestMorePagesThroughTheRest(t *testing.T) {
	a, _ := answerer(t)
	first := ask(t, a, "u", "离婚冷静期是多久")
	if !strings.Contains(first, "依据：") || !strings.Contains(first, moreHint) {
		t.Fatalf("first reply lacks its citation or the 更多 hint:\n%s", first)
	}
	// The answer was hit 1; "更多" shows hits 2–4, 5–7, then 8–9.
	for _, want := range []struct{ has, lacks string }{{"2. ", "\n1. "}, {"5. ", "\n2. "}, {"8. ", moreHint}} {
		page := ask(t, a, "u", "更多")
		if !strings.Contains(page, want.has) || strings.Contains(page, want.lacks) {
			t.Errorf("page should contain %q and not %q:\n%s", want.has, want.lacks, page)
		}
	}
	if got := ask(t, a, "u", "更多"); got != noMore {
		t.Errorf("after the last page: %q", got)
	}
	if got := ask(t, a, "someone-else", "更多"); got != noMore {
		t.Errorf("更多 without a question: %q", got)
	}
}

// fakeKB answers every question with a fixed answer and remembers the
// context it was asked in.
type fakeKB struct {
	answer knowledge.Answer
	// byQuestion are answers other than answer for some questions.
	byQuestion map[string]knowledge.Answer
	entries    map[string]*knowledge.Entry
	prev       []string // the prev of every AskFollowUp, "" for Ask
}

func (f *fakeKB) Ask(q string, k int) knowledge.Answer { return f.AskFollowUp(q, "", k) }
func (f *fakeKB) AskFollowUp(q, prev string, k int) knowledge.Answer {
	f.prev = append(f.prev, prev)
	ans, ok := f.byQuestion[q]
	if !ok {
		ans = f.answer
	}
	ans.Query = q
	return ans
}
func (f *fakeKB) Entry(id string) *knowledge.Entry { return f.entries[id] }

// wantContexts checks the context each question was asked in, in order.
func (f *fakeKB) wantContexts(t *testing.T, want []string) {
	t.Helper()
	if len(f.prev) != len(want) {
		t.Fatalf("asked %d times", len(f.prev))
	}
	for i, w := range want {
		if f.prev[i] != w {
			t.Errorf("question %d asked with context %q, want %q", i+1, f.prev[i], w)
		}
	}
}

func entry(t *testing.T, id, question, answer, cite string) *knowledge.Entry {
	t.Helper()
	base, err := kb()
	if err != nil {
		t.Fatal(err)
	}
	ref, _ := knowledge.ParseArticleRef(cite)
	res := base.Lookup(ref)
	if res.Article == nil {
		t.Fatalf("%s: %s", cite, res.Status)
	}
	return &knowledge.Entry{ID: id, Question: question, Answer: answer,
		Cites: []knowledge.Citation{{Article: res.Article, Quote: "quoted"}}}
}

// One likely reading is asked about as a yes/no, and 1 or a yes answers it.
func TestASingleReadingIsAskedAbout(t *testing.T) {
	noise := entry(t, "noise", "邻居家天天很吵，怎么办？", "可以先协商，协商不成可以找物业或者人民调解委员会。", "民法典第二百九十四条")
	f := &fakeKB{
		answer:  knowledge.Answer{Confidence: 0.6, Choices: []*knowledge.Entry{noise}, Hits: []knowledge.Hit{{Kind: knowledge.HitEntry, Entry: noise, Confidence: 0.6}}},
		entries: map[string]*knowledge.Entry{"noise": noise},
	}
	a := &Answerer{KB: f, Log: storetest.New(t)}
	got := ask(t, a, "u", "楼上天天半夜蹦迪")
	if want := "您是想问：“邻居家天天很吵，怎么办？”\n" + choiceHint; !strings.HasPrefix(got, want) {
		t.Errorf("a single reading got:\n%s\nwant it to start with:\n%s", got, want)
	}
	for _, yes := range []string{"1", "是的", "对。"} {
		ask(t, a, "u", "楼上天天半夜蹦迪")
		if got := ask(t, a, "u", yes); !strings.HasPrefix(got, "【邻居家天天很吵，怎么办？】") {
			t.Errorf("%q should answer the reading:\n%s", yes, got)
		}
	}
	// A yes with no reading pending is not taken as one.
	if got := ask(t, a, "u", "是的"); strings.HasPrefix(got, "【邻居家天天很吵，怎么办？】") {
		t.Errorf("a yes after the reading was answered got its answer again:\n%s", got)
	}
}

func TestUnclearQuestionOffersReadingsAndANumberPicksOne(t *testing.T) {
	custody := entry(t, "custody", "离婚时孩子归谁抚养？", "不满两周岁的孩子，原则上由母亲直接抚养。", "民法典第一千零八十四条")
	property := entry(t, "property", "离婚时财产怎么分？", "夫妻共同财产由双方协议处理。", "民法典第一千零八十七条")
	f := &fakeKB{
		answer:  knowledge.Answer{Confidence: 0.4, Choices: []*knowledge.Entry{custody, property}, Hits: []knowledge.Hit{{Kind: knowledge.HitEntry, Entry: custody, Confidence: 0.4}}},
		entries: map[string]*knowledge.Entry{"custody": custody, "property": property},
	}
	st := storetest.New(t)
	a := &Answerer{KB: f, Log: st}
	got := ask(t, a, "u", "离婚孩子")
	for _, w := range []string{"您是想问：", "1. 离婚时孩子归谁抚养？", "2. 离婚时财产怎么分？", "回复数字即可"} {
		if !strings.Contains(got, w) {
			t.Errorf("readings lack %q:\n%s", w, got)
		}
	}
	got = ask(t, a, "u", "2")
	if !strings.HasPrefix(got, "【离婚时财产怎么分？】\n夫妻共同财产由双方协议处理。") || !strings.Contains(got, "第一千零八十七条") {
		t.Errorf("picking 2 should answer the property question:\n%s", got)
	}
	// The pick answered the question: the readings are gone, and a number
	// is a question again. The question was counted once, when asked.
	if conv, _ := st.Conversation(context.Background(), "u"); len(conv.Choices) != 0 || conv.Question != "离婚时财产怎么分？" {
		t.Errorf("after the pick: %+v", conv)
	}
	if stats, _ := st.DayStats(context.Background(), time.Now()); stats[store.MetricQuestions] != 1 {
		t.Errorf("a question and its picked reading counted %d questions, want 1", stats[store.MetricQuestions])
	}
	// Another resident's number is not this resident's choice, and a
	// number with no readings pending is not searched as a question.
	if got := ask(t, a, "v", "1"); got != noChoice {
		t.Errorf("resident v's bare number got:\n%s", got)
	}
	if got := ask(t, a, "u", "2"); got != noChoice {
		t.Errorf("a number after the readings were used got:\n%s", got)
	}
}

// A likely reading is answered at once, said to be a reading; the other
// readings are offered as 2 and 3. The figures count it as unsure, and it
// is the context of a follow-up.
func TestALikelyReadingIsAnsweredAndTheOthersOffered(t *testing.T) {
	custody := entry(t, "custody", "离婚时孩子归谁抚养？", "不满两周岁的孩子，原则上由母亲直接抚养。", "民法典第一千零八十四条")
	property := entry(t, "property", "离婚时财产怎么分？", "夫妻共同财产由双方协议处理。", "民法典第一千零八十七条")
	reading := func(choices ...*knowledge.Entry) knowledge.Answer {
		return knowledge.Answer{Confidence: 0.95, Reading: true, Choices: choices,
			Hits: []knowledge.Hit{{Kind: knowledge.HitEntry, Entry: choices[0], Confidence: 0.95}}}
	}
	f := &fakeKB{answer: reading(custody, property), entries: map[string]*knowledge.Entry{"custody": custody, "property": property}}
	st := storetest.New(t)
	a := &Answerer{KB: f, Log: st}
	got := ask(t, a, "u", "离婚了娃跟谁")
	for _, w := range []string{"我理解您问的是：“离婚时孩子归谁抚养？”", "不满两周岁的孩子", "依据：《中华人民共和国民法典》第一千零八十四条",
		"您也可能想问：\n2. 离婚时财产怎么分？", "回复数字即可", "转人工"} {
		if !strings.Contains(got, w) {
			t.Errorf("the answer on a reading lacks %q:\n%s", w, got)
		}
	}
	if strings.Contains(got, "【离婚时孩子归谁抚养？】") {
		t.Errorf("the reading is said once, not headed again:\n%s", got)
	}
	conv, _ := st.Conversation(context.Background(), "u")
	if conv.Question != "离婚了娃跟谁" || len(conv.Choices) != 2 {
		t.Errorf("after an answer on a reading: %+v, want the question as context and both readings pending", conv)
	}
	if stats, _ := st.DayStats(context.Background(), time.Now()); stats[store.MetricUnanswered] != 1 {
		t.Errorf("an answer on a reading counted %d unsure, want 1: the bot was not sure what was asked", stats[store.MetricUnanswered])
	}
	if got := ask(t, a, "u", "2"); !strings.HasPrefix(got, "【离婚时财产怎么分？】") {
		t.Errorf("2 should answer the second reading:\n%s", got)
	}

	// With no other reading, nothing is pending: a yes is not taken to ask
	// for the same answer again.
	f.answer = reading(custody)
	got = ask(t, a, "v", "离婚了娃跟谁")
	if !strings.Contains(got, readingHint) || strings.Contains(got, "回复数字") {
		t.Errorf("a lone reading should offer only rewording or a person:\n%s", got)
	}
	if conv, _ := st.Conversation(context.Background(), "v"); len(conv.Choices) != 0 {
		t.Errorf("a lone reading left readings pending: %+v", conv)
	}
}

func TestFollowUpIsReadInTheContextOfTheLastAnswer(t *testing.T) {
	custody := entry(t, "custody", "离婚时孩子归谁抚养？", "不满两周岁的孩子，原则上由母亲直接抚养。", "民法典第一千零八十四条")
	f := &fakeKB{answer: knowledge.Answer{Confident: true, Confidence: 0.9, Hits: []knowledge.Hit{{Kind: knowledge.HitEntry, Entry: custody, Confidence: 0.9}}}}
	a := &Answerer{KB: f, Log: storetest.New(t)}
	ask(t, a, "u", "离婚财产怎么分")
	ask(t, a, "u", "那孩子呢")
	ask(t, a, "u", "公司不给我交社保也没签合同怎么办呢") // long: its own context
	ask(t, a, "w", "那孩子呢")              // another resident has no context
	want := []string{"", "离婚财产怎么分", "", ""}
	f.wantContexts(t, want)
}

// A question offered readings, not answered, is still what the next
// follow-up asks about; a follow-up itself leaves the context alone.
func TestFollowUpIsReadInTheContextOfTheLastQuestionAnsweredOrNot(t *testing.T) {
	dog := entry(t, "dog", "被狗咬了谁赔？", "饲养人或者管理人应当承担侵权责任。", "民法典第一千二百四十五条")
	custody := entry(t, "custody", "离婚时孩子归谁抚养？", "不满两周岁的孩子，原则上由母亲直接抚养。", "民法典第一千零八十四条")
	unsure := knowledge.Answer{Confidence: 0.3, Choices: []*knowledge.Entry{custody},
		Hits: []knowledge.Hit{{Kind: knowledge.HitEntry, Entry: custody, Confidence: 0.3}}}
	f := &fakeKB{
		answer:     knowledge.Answer{Confident: true, Confidence: 0.95, Hits: []knowledge.Hit{{Kind: knowledge.HitEntry, Entry: dog, Confidence: 0.95}}},
		byQuestion: map[string]knowledge.Answer{"离婚财产怎么分": unsure, "那孩子呢": unsure, "那老人呢": unsure},
	}
	a := &Answerer{KB: f, Log: storetest.New(t)}
	ask(t, a, "u", "邻居家狗把我咬了")
	ask(t, a, "u", "离婚财产怎么分") // offered readings, not answered
	ask(t, a, "u", "那孩子呢")
	ask(t, a, "u", "那老人呢")
	want := []string{"", "", "离婚财产怎么分", "离婚财产怎么分"}
	f.wantContexts(t, want)
}

func TestEveryAnswerFitsWeChatsLimit(t *testing.T) {
	a, _ := answerer(t)
	base, _ := kb()
	questions := []string{"劳动合同到期不续签有补偿吗", "未成年人沉迷网络家长怎么办", "遭遇家暴怎么办", "被电信诈骗了怎么办",
		"房东不退押金", "公司拖欠工资", "买到假货怎么赔偿", "宪法", "第一条", "民法典", "消法第24条", strings.Repeat("法", 500)}
	for _, e := range base.FAQ() {
		questions = append(questions, e.Question)
	}
	for _, q := range questions {
		ask(t, a, "u", q) // ask fails the test on an empty or oversized reply
		ask(t, a, "u", "更多")
	}
}

// The reply leads with the citation the knowledge base chose for this
// question, not the entry's own first citation.
func TestReplyLeadsWithTheQuestionsCitation(t *testing.T) {
	e := entry(t, "aid", "怎样申请法律援助？", "向法律援助机构申请。", "法律援助法第三十八条")
	lead := entry(t, "x", "", "", "法律援助法第四十三条").Cites[0]
	f := &fakeKB{answer: knowledge.Answer{Confident: true, Confidence: 0.9, Hits: []knowledge.Hit{
		{Kind: knowledge.HitEntry, Entry: e, Confidence: 0.9, Cites: []knowledge.Citation{lead, e.Cites[0]}}}}}
	got := ask(t, &Answerer{KB: f, Log: storetest.New(t)}, "u", "申请了法律援助多久有结果")
	if !strings.Contains(got, "依据：《中华人民共和国法律援助法》第四十三条") || !strings.Contains(got, "另见：《中华人民共和国法律援助法》第三十八条") {
		t.Errorf("reply does not lead with the question's citation:\n%s", got)
	}
}

// Every entry of the bank and the FAQ, as a resident would get it, fits
// WeChat's limit with its conclusion whole, its citation and the disclaimer.
func TestEveryEntryReplyFits(t *testing.T) {
	base, err := kb()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range base.Entries() {
		got := composeEntry(e, e.Cites, entryFrame{more: true})
		if len(got) > maxReplyBytes {
			t.Errorf("%s: %d bytes", e.ID, len(got))
		}
		first, _, _ := strings.Cut(e.Answer, "\n")
		if !strings.HasPrefix(got, "【"+e.Question+"】\n"+first) || !strings.HasSuffix(got, disclaimer) {
			t.Errorf("%s: reply lost its conclusion or disclaimer:\n%s", e.ID, got)
		}
		if len(e.Cites) > 0 && !strings.Contains(got, "依据："+e.Cites[0].Article.Citation()) {
			t.Errorf("%s: reply lacks its citation", e.ID)
		}
	}
}

// Every entry answered on a reading, with two other readings offered, still
// fits with its conclusion whole, its citation, the offer and the disclaimer.
func TestEveryReadingReplyFits(t *testing.T) {
	base, err := kb()
	if err != nil {
		t.Fatal(err)
	}
	entries := base.Entries()
	// The two longest questions make the longest offer.
	others := slices.SortedFunc(slices.Values(entries), func(x, y *knowledge.Entry) int { return len(y.Question) - len(x.Question) })[:2]
	for _, e := range entries {
		got := composeReading([]*knowledge.Entry{e, others[0], others[1]})
		first, _, _ := strings.Cut(e.Answer, "\n")
		switch {
		case len(got) > maxReplyBytes:
			t.Errorf("%s: %d bytes", e.ID, len(got))
		case !strings.Contains(got, "先按这个意思回答您：\n\n"+first):
			t.Errorf("%s: the reading lost its conclusion:\n%s", e.ID, got)
		case len(e.Cites) > 0 && !strings.Contains(got, "依据："+e.Cites[0].Article.Citation()):
			t.Errorf("%s: the reading lacks its citation", e.ID)
		case !strings.Contains(got, "3. "+others[1].Question) || !strings.HasSuffix(got, disclaimer):
			t.Errorf("%s: the reading lost its offer or disclaimer:\n%s", e.ID, got)
		}
	}
}

// Other articles are named by law, each law once, its articles in order.
func TestOtherArticlesAreNamedByLaw(t *testing.T) {
	art := func(ref string) *knowledge.Article { return entry(t, "x", "", "", ref).Cites[0].Article }
	got := citations([]*knowledge.Article{art("民法典第一千一百三十条"), art("妇女权益保障法第五十八条"), art("民法典第一千一百二十七条")})
	if want := "《中华人民共和国民法典》第一千一百二十七条、第一千一百三十条；《中华人民共和国妇女权益保障法》第五十八条"; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// An article an entry quotes twice is named once, and an unsure reply shows
// no "possibly related" article when the guess is too weak to help.
func TestReplyNamesEachArticleOnceAndHidesWeakGuesses(t *testing.T) {
	e := entry(t, "fee", "物业停水停电催费合法吗？", "不合法。", "民法典第九百四十四条")
	e.Cites = append(e.Cites, knowledge.Citation{Article: e.Cites[0].Article, Quote: "second"})
	got := composeEntry(e, e.Cites, entryFrame{})
	if strings.Contains(got, "另见") {
		t.Errorf("the lead article is named again:\n%s", got)
	}
	for _, c := range []struct {
		conf float64
		want bool
	}{{0.5, false}, {0.75, true}} {
		ans := knowledge.Answer{Confidence: c.conf, Hits: []knowledge.Hit{{Kind: knowledge.HitArticle, Article: e.Cites[0].Article, Confidence: c.conf, Score: 5}}}
		if got := strings.Contains(ReplyText(ans), "可能相关"); got != c.want {
			t.Errorf("confidence %.2f: shows a guess %v, want %v", c.conf, got, c.want)
		}
	}
}
