package knowledge

import (
	"strings"
	"sync"
	"testing"
)

// sharedBase is the default base for tests that only ask it; a test that
// changes its base (reloads, edits) builds its own.
var sharedBase = sync.OnceValues(Default)

func testBase(t testing.TB) *Base {
	t.Helper()
	b, err := sharedBase()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// rankOf is the 1-based rank among hits of the article named name, itself
// or as the main citation of an answer entry; 0 if absent.
func rankOf(hits []Hit, name string) int {
	for i, h := range hits {
		if a := h.FirstCitation(); a != nil && a.Name() == name {
			return i + 1
		}
	}
	return 0
}

func TestAskRetrievalSanity(t *testing.T) {
	b := testBase(t)
	tests := []struct {
		q       string
		article string // expected among the top `within` hits of Ask
		within  int
	}{
		{"离婚冷静期是多久", "中华人民共和国民法典第一千零七十七条", 3},
		{"离婚冷静期", "中华人民共和国民法典第一千零七十七条", 3},
		{"人身安全保护令多久能作出", "中华人民共和国反家庭暴力法第二十八条", 5},
		{"人民调解收费吗", "中华人民共和国人民调解法第四条", 5},
		{"网购的东西七天内可以退货吗", "中华人民共和国消费者权益保护法第二十五条", 5},
		{"公司没跟我签劳动合同，能要双倍工资吗", "中华人民共和国劳动合同法第八十二条", 5},
		{"公民的人格尊严受法律保护吗", "中华人民共和国宪法第三十八条", 5},
		{"借钱不还怎么办", "", 0},
	}
	for _, tt := range tests {
		ans := b.Ask(tt.q, 10)
		if len(ans.Hits) == 0 {
			t.Errorf("%q: no hits", tt.q)
			continue
		}
		if tt.article == "" {
			continue
		}
		if r := rankOf(ans.Hits, tt.article); r == 0 || r > tt.within {
			t.Errorf("%q: %s at rank %d, want within %d; hits %v", tt.q, tt.article, r, tt.within, hitNames(ans.Hits))
		}
	}
	// The lead's demo relies on the article itself ranking first among articles.
	if hits := b.Search("离婚冷静期是多久", 3); len(hits) == 0 || hits[0].Article.Name() != "中华人民共和国民法典第一千零七十七条" {
		t.Errorf("Search(离婚冷静期是多久) = %v", hitNames(hits))
	}
}

func hitNames(hits []Hit) []string {
	var out []string
	for _, h := range hits {
		if h.Kind == HitEntry {
			out = append(out, "entry:"+h.Entry.ID)
		} else {
			out = append(out, h.Article.Name())
		}
	}
	return out
}

func TestAskFAQFirst(t *testing.T) {
	b := testBase(t)
	tests := []struct{ q, id string }{
		{"法律援助怎么申请", "legal-aid-apply"},
		{"怎么申请法律援助？", "legal-aid-apply"},
		{"哪些人可以申请法律援助", "legal-aid-who"},
		{"人身安全保护令怎么申请", "protection-order"},
		{"公司拖欠工资去哪里投诉", "unpaid-wages"},
		{"被骗了怎么报警", "telecom-fraud"},
		{"调解要钱吗", "mediation-free"},
		{"法律服务站在哪里", "station-info"},
	}
	for _, tt := range tests {
		ans := b.Ask(tt.q, 5)
		if len(ans.Hits) == 0 || ans.Hits[0].Kind != HitEntry || ans.Hits[0].Entry.ID != tt.id {
			t.Errorf("%q: first hit %v, want entry:%s", tt.q, hitNames(ans.Hits), tt.id)
			continue
		}
		if !ans.Confident || ans.Confidence < 0.5 {
			t.Errorf("%q: confidence %.2f", tt.q, ans.Confidence)
		}
		if rankOf(ans.Hits, "") != 0 || len(ans.Hits) > 5 {
			t.Errorf("%q: %d hits", tt.q, len(ans.Hits))
		}
	}
}

func TestAskLookup(t *testing.T) {
	b := testBase(t)
	ans := b.Ask("民法典第1077条", 5)
	if ans.Lookup == nil || ans.Lookup.Status != LookupFound || ans.Lookup.Article.NumberCN() != "第一千零七十七条" || !ans.Confident || len(ans.Hits) != 0 {
		t.Fatalf("Ask(民法典第1077条) = %+v", ans)
	}
	ans = b.Ask("婚姻法第32条", 5)
	if ans.Lookup == nil || ans.Lookup.Status != LookupUnknownLaw || ans.Confident || !strings.Contains(ans.Lookup.Message, "已于2021年1月1日起废止") {
		t.Errorf("Ask(婚姻法第32条) = %+v", ans.Lookup)
	}
	ans = b.Ask("民法典第1300条", 5)
	if ans.Lookup == nil || ans.Lookup.Status != LookupNoArticle || !strings.Contains(ans.Lookup.Message, "民法典》共1260条") {
		t.Errorf("Ask(民法典第1300条) = %+v", ans.Lookup)
	}
	// A reference inside a longer question leads the articles.
	ans = b.Ask("根据劳动合同法第82条，没签合同的双倍工资怎么算", 5)
	if ans.Lookup != nil {
		t.Errorf("a question was taken for a lookup: %+v", ans.Lookup)
	}
	if r := rankOf(ans.Hits, "中华人民共和国劳动合同法第八十二条"); r == 0 || r > 2 {
		t.Errorf("cited article at rank %d: %v", r, hitNames(ans.Hits))
	}
}

func TestAskConfidence(t *testing.T) {
	b := testBase(t)
	for _, q := range []string{"今天天气怎么样", "hello", "？？？", ""} {
		if ans := b.Ask(q, 5); ans.Confident || ans.Confidence >= 0.5 {
			t.Errorf("%q: confident (%.2f) about %v", q, ans.Confidence, hitNames(ans.Hits))
		}
	}
	for _, h := range b.Ask("离婚冷静期是多久", 10).Hits {
		if h.Confidence < 0 || h.Confidence > 1 {
			t.Errorf("confidence %.3f out of [0,1]", h.Confidence)
		}
	}
}

// An answer on a likely reading is an unsure answer whose first hit, an
// entry at least as likely as the reading threshold, is the first reading
// offered; a confident answer or a far-off one is never given as a reading.
// The questions are the resident set's tune half: which of them fall in the
// reading band moves with every refit, so no fixed few are relied on.
func TestAnswerOnAReadingIsItsFirstLikelyReading(t *testing.T) {
	b := testBase(t)
	th := b.Thresholds()
	readings := 0
	for _, rq := range residentSet(t, "testdata/residents.jsonl") {
		if rq.Split != "tune" {
			continue
		}
		q := rq.Text
		ans := b.Ask(q, 9)
		if !ans.Reading {
			continue
		}
		readings++
		switch {
		case ans.Confident:
			t.Errorf("%q: both confident and on a reading", q)
		case len(ans.Choices) == 0 || ans.Hits[0].Kind != HitEntry || ans.Choices[0] != ans.Hits[0].Entry:
			t.Errorf("%q: the reading answered is not the first one offered", q)
		case ans.Confidence < th.Reading:
			t.Errorf("%q: answered on a reading at %.3f, below %.3f", q, ans.Confidence, th.Reading)
		}
	}
	if readings == 0 {
		t.Error("no question was answered on a reading")
	}
}

func TestNoFAQ(t *testing.T) {
	b, err := New(Options{NoFAQ: true, BankFiles: []string{"labour-pay.yaml"}})
	if err != nil {
		t.Fatal(err)
	}
	ans := b.Ask("法律援助怎么申请", 3)
	for _, h := range ans.Hits {
		if h.Kind == HitEntry && h.Entry.Layer == LayerOffice {
			t.Errorf("an office FAQ entry answers with the FAQ off: %v", hitNames(ans.Hits))
		}
	}
	if len(ans.Hits) != 3 || len(b.FAQ()) != 0 {
		t.Errorf("hits without FAQ = %v", hitNames(ans.Hits))
	}
	if err := b.Reload(); err != nil {
		t.Errorf("Reload without FAQ: %v", err)
	}
}

func TestTrainingBoostsLabelledArticles(t *testing.T) {
	b := testBase(t)
	train := []LabeledQuery{
		{ID: "1", Text: "男朋友要求我还彩礼", Articles: []string{"中华人民共和国民法典第一千零四十二条"}},
		{ID: "2", Text: "分手后彩礼要退吗", Articles: []string{"中华人民共和国民法典第一千零四十二条"}},
		{ID: "3", Text: "没有这条", Articles: []string{"中华人民共和国民法典第九千条"}},
	}
	tb := b.WithTraining(train)
	if got := tb.UnresolvedLabels(); got != 1 {
		t.Errorf("unresolved = %d, want 1", got)
	}
	hits := tb.Search("订婚后彩礼能要回来吗", 3)
	if len(hits) == 0 || hits[0].Article.Name() != "中华人民共和国民法典第一千零四十二条" {
		t.Errorf("trained hits = %v", hitNames(hits))
	}
	if len(tb.FAQ()) != len(b.FAQ()) {
		t.Error("WithTraining dropped the FAQ")
	}
}

func TestStopFilter(t *testing.T) {
	f := newStopFilter()
	tests := []struct{ in, want string }{
		{"法律援助怎么申请", "法律援助_申请"},
		{"其他人可以吗", "其他人_"},
		{"侵害他人的权利", "侵害他人的权利"},
		{"我想问一下怎么办", "_"},
	}
	for _, tt := range tests {
		rs := normalizeRunes(nil, tt.in)
		f.apply(rs)
		var b strings.Builder
		prevGap := false
		for _, r := range rs {
			if r == gap {
				if !prevGap {
					b.WriteByte('_')
				}
				prevGap = true
				continue
			}
			prevGap = false
			b.WriteRune(r)
		}
		if b.String() != tt.want {
			t.Errorf("stop(%q) = %q, want %q", tt.in, b.String(), tt.want)
		}
	}
}
