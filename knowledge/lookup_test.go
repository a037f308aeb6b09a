package knowledge

import (
	"fmt"
	"strings"
	"testing"
)

func TestParseArticleRef(t *testing.T) {
	tests := []struct {
		q    string
		want ArticleRef
	}{
		{"民法典第1077条", ArticleRef{"民法典", 1077, 0}},
		{"民法典第一千零七十七条", ArticleRef{"民法典", 1077, 0}},
		{"民法典 第 1077 条", ArticleRef{"民法典", 1077, 0}},
		{"民法典1077", ArticleRef{"民法典", 1077, 0}},
		{"民法典第１０７７条", ArticleRef{"民法典", 1077, 0}},
		{"宪法33条", ArticleRef{"宪法", 33, 0}},
		{"宪法第三十三条", ArticleRef{"宪法", 33, 0}},
		{"劳动合同法 第八十二条", ArticleRef{"劳动合同法", 82, 0}},
		{"消法第24条", ArticleRef{"消法", 24, 0}},
		{"《反家庭暴力法》第二十三条", ArticleRef{"反家庭暴力法", 23, 0}},
		{"《中华人民共和国民法典》第一千零七十七条", ArticleRef{"中华人民共和国民法典", 1077, 0}},
		{"中华人民共和国宪法第一条", ArticleRef{"中华人民共和国宪法", 1, 0}},
		{"刑法第十七条之一", ArticleRef{"刑法", 17, 1}},
		{"请问民法典第1077条是什么？", ArticleRef{"民法典", 1077, 0}},
		{"民法典第十条的内容", ArticleRef{"民法典", 10, 0}},
		{"反诈法第二条", ArticleRef{"反诈法", 2, 0}},
		{"国安法第1条", ArticleRef{"国安法", 1, 0}},
		{"劳动法第3条", ArticleRef{"劳动法", 3, 0}},
		{"民法典第0条", ArticleRef{"民法典", 0, 0}},
		{"未保法第一百一十条", ArticleRef{"未保法", 110, 0}},
		// Width is folded, so （一） reads as (一); corpus names are folded alike.
		{"最高人民法院关于审理劳动争议案件适用法律问题的解释（一）第一条", ArticleRef{"最高人民法院关于审理劳动争议案件适用法律问题的解释(一)", 1, 0}},
	}
	for _, tt := range tests {
		got, ok := ParseArticleRef(tt.q)
		if !ok || got != tt.want {
			t.Errorf("ParseArticleRef(%q) = %+v, %v; want %+v", tt.q, got, ok, tt.want)
		}
	}
	notRefs := []string{
		"", "第三条", "离婚冷静期是多久", "民法典", "民法典有多少条", "宪法一百",
		"我被打了，治安法怎么规定的", "劳动合同到期不续签有补偿吗", "12348",
	}
	for _, q := range notRefs {
		if got, ok := ParseArticleRef(q); ok {
			t.Errorf("ParseArticleRef(%q) = %+v, want no reference", q, got)
		}
	}
}

func TestLookup(t *testing.T) {
	c := defaultCorpus(t)
	found := []struct {
		q, citation string
	}{
		{"民法典第1077条", "《中华人民共和国民法典》第一千零七十七条"},
		{"民法典第一千零七十七条", "《中华人民共和国民法典》第一千零七十七条"},
		{"宪法33条", "《中华人民共和国宪法》第三十三条"},
		{"劳动合同法 第八十二条", "《中华人民共和国劳动合同法》第八十二条"},
		{"消法第24条", "《中华人民共和国消费者权益保护法》第二十四条"},
		{"消保法第二十五条", "《中华人民共和国消费者权益保护法》第二十五条"},
		{"消费者权益保护法第55条", "《中华人民共和国消费者权益保护法》第五十五条"},
		{"《反家庭暴力法》第二十三条", "《中华人民共和国反家庭暴力法》第二十三条"},
		{"反家暴法第28条", "《中华人民共和国反家庭暴力法》第二十八条"},
		{"未保法第39条", "《中华人民共和国未成年人保护法》第三十九条"},
		{"反诈法第2条", "《中华人民共和国反电信网络诈骗法》第二条"},
		{"反电诈法第31条", "《中华人民共和国反电信网络诈骗法》第三十一条"},
		{"治安法第43条", "《中华人民共和国治安管理处罚法》第四十三条"},
		{"治安管理处罚法第四十三条", "《中华人民共和国治安管理处罚法》第四十三条"},
		{"法援法第31条", "《中华人民共和国法律援助法》第三十一条"},
		{"人民调解法第4条", "《中华人民共和国人民调解法》第四条"},
		{"调解法第四条", "《中华人民共和国人民调解法》第四条"},
		{"国安法第1条", "《中华人民共和国国家安全法》第一条"},
		{"国家安全法第84条", "《中华人民共和国国家安全法》第八十四条"},
		{"禁毒法第一条", "《中华人民共和国禁毒法》第一条"},
		{"中华人民共和国宪法第一条", "《中华人民共和国宪法》第一条"},
		{"《中华人民共和国民法典》第一千二百六十条", "《中华人民共和国民法典》第一千二百六十条"},
		{"查一下民法典第1条", "《中华人民共和国民法典》第一条"},
	}
	for _, tt := range found {
		ref, ok := ParseArticleRef(tt.q)
		if !ok {
			t.Errorf("%q: not parsed", tt.q)
			continue
		}
		res := c.Resolve(ref)
		if res.Status != LookupFound || res.Article.Citation() != tt.citation {
			t.Errorf("%q: %v %v, want %s", tt.q, res.Status, res.Message, tt.citation)
		}
	}

	misses := []struct {
		q      string
		status LookupStatus
		msg    []string
	}{
		{"劳务法第3条", LookupUnknownLaw, []string{"暂未收录“劳务法”", "共收录"}},
		{"婚姻法第32条", LookupUnknownLaw, []string{"《婚姻法》已于2021年1月1日起废止", "《民法典》婚姻家庭编"}},
		{"民法典第1300条", LookupNoArticle, []string{"《中华人民共和国民法典》共1260条", "没有第1300条"}},
		{"宪法第200条", LookupNoArticle, []string{"共143条"}},
		{"民法典第0条", LookupNoArticle, []string{"共1260条"}},
		{"民法典第十条之一", LookupNoArticle, []string{"没有第十条之一"}},
	}
	for _, tt := range misses {
		ref, ok := ParseArticleRef(tt.q)
		if !ok {
			t.Errorf("%q: not parsed", tt.q)
			continue
		}
		res := c.Resolve(ref)
		if res.Status != tt.status || res.Article != nil {
			t.Errorf("%q: status %v, want %v", tt.q, res.Status, tt.status)
		}
		if len(res.Laws) != 0 {
			t.Errorf("%q: lists %d laws; a corpus this large is not listed", tt.q, len(res.Laws))
		}
		for _, m := range tt.msg {
			if !strings.Contains(res.Message, m) {
				t.Errorf("%q: message %q lacks %q", tt.q, res.Message, m)
			}
		}
	}
}

func TestFindArticleRefs(t *testing.T) {
	refs := FindArticleRefs("根据劳动合同法第82条，没签合同的双倍工资怎么算？还有《民法典》第一千零七十七条")
	if len(refs) != 2 || refs[0].Number != 82 || refs[1] != (ArticleRef{"民法典", 1077, 0}) {
		t.Fatalf("refs = %+v", refs)
	}
	c := defaultCorpus(t)
	if res := c.Resolve(refs[0]); res.Status != LookupFound || res.Law.ShortName != "劳动合同法" {
		t.Errorf("resolve %+v = %v", refs[0], res.Status)
	}
	if refs := FindArticleRefs("离婚冷静期是多久"); len(refs) != 0 {
		t.Errorf("refs in a plain question = %+v", refs)
	}
}

// FuzzParseArticleRef checks that the parser never panics and that its
// canonical output is a fixed point.
func FuzzParseArticleRef(f *testing.F) {
	for _, s := range []string{"民法典第1077条", "《反家庭暴力法》第二十三条", "宪法33条", "刑法第十七条之一", "请问民法典第十条是什么", "第三条", "一百十", "法第〇条"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		ref, ok := ParseArticleRef(q)
		if !ok {
			return
		}
		if ref.Law == "" || ref.Number < 0 || ref.Sub < 0 {
			t.Fatalf("ParseArticleRef(%q) = %+v", q, ref)
		}
		again, ok := ParseArticleRef(ref.String())
		if !ok {
			return
		}
		if third, ok := ParseArticleRef(again.String()); !ok || third != again {
			t.Fatalf("not a fixed point: %q → %+v → %+v → %+v", q, ref, again, third)
		}
	})
}

func TestLookupUnknownLawInLargeCorpus(t *testing.T) {
	var laws []*Law
	for i := range 25 {
		laws = append(laws, &Law{Name: fmt.Sprintf("示例%d法", i), ShortName: fmt.Sprintf("示例%d法", i),
			Articles: []*Article{{Number: 1, Text: "内容。"}}})
	}
	c, err := NewCorpus(laws...)
	if err != nil {
		t.Fatal(err)
	}
	res := c.Resolve(ArticleRef{Law: "劳动法", Number: 1})
	if res.Status != LookupUnknownLaw || len(res.Laws) != 0 || !strings.Contains(res.Message, "共收录25部") {
		t.Errorf("result = %+v", res)
	}
	if res := c.Resolve(ArticleRef{Law: "示例3法", Number: 1}); res.Status != LookupFound {
		t.Errorf("示例3法第1条: %v", res.Status)
	}
}

// Joint interpretations of the court and the procuratorate carry a 、 in
// their names; a reference to one still parses.
func TestJointInterpretationReference(t *testing.T) {
	c := defaultCorpus(t)
	ref, ok := ParseArticleRef("最高人民法院、最高人民检察院关于办理诈骗刑事案件具体应用法律若干问题的解释第一条")
	if !ok {
		t.Fatal("not parsed")
	}
	if res := c.Resolve(ref); res.Status != LookupFound {
		t.Errorf("status %v", res.Status)
	}
	if _, ok := ParseArticleRef("离婚、继承第一条"); ok {
		t.Error("a question listing topics parsed as a reference")
	}
}

// Nobody types a judicial interpretation's full title: its short names look
// up its articles, and a short name that fits two parts asks which.
func TestInterpretationsLookUpByShortName(t *testing.T) {
	c := defaultCorpus(t)
	for _, tc := range []struct{ q, law string }{
		{"民间借贷规定第二十五条", "最高人民法院关于审理民间借贷案件适用法律若干问题的规定"},
		{"民间借贷司法解释第25条", "最高人民法院关于审理民间借贷案件适用法律若干问题的规定"},
		{"婚姻家庭编解释（一）第八十三条", "最高人民法院关于适用《中华人民共和国民法典》婚姻家庭编的解释（一）"},
		{"民法典婚姻家庭编解释二第1条", "最高人民法院关于适用《中华人民共和国民法典》婚姻家庭编的解释（二）"},
		{"劳动争议解释一第一条", "最高人民法院关于审理劳动争议案件适用法律问题的解释（一）"},
		{"民诉法解释第五百一十六条", "最高人民法院关于适用《中华人民共和国民事诉讼法》的解释"},
		{"诉讼时效规定第一条", "最高人民法院关于审理民事案件适用诉讼时效制度若干问题的规定"},
		{"道路交通事故损害赔偿解释第十五条", "最高人民法院关于审理道路交通事故损害赔偿案件适用法律若干问题的解释"},
		{"婚姻家庭编解释第一条", ""},
	} {
		ref, ok := ParseArticleRef(tc.q)
		if !ok {
			t.Errorf("%q does not parse as a reference", tc.q)
			continue
		}
		res := c.Resolve(ref)
		switch {
		case tc.law == "" && (res.Status != LookupUnknownLaw || !strings.Contains(res.Message, "不止一部")):
			t.Errorf("%q: status %v %q, want to be asked which: it is (一) or (二)", tc.q, res.Status, res.Message)
		case tc.law != "" && (res.Article == nil || res.Article.Law.Name != tc.law):
			t.Errorf("%q resolves to %v (%v), want an article of %s", tc.q, res.Article, res.Status, tc.law)
		}
	}
}
