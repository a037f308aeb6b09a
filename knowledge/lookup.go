package knowledge

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ArticleRef is a parsed reference such as 民法典第1077条.
type ArticleRef struct {
	// Law is the law name as written, without 《》 and spaces.
	Law string
	// Number is the article number; 0 if written as 第零条.
	Number int
	// Sub is the 之N suffix, 0 if none.
	Sub int
}

// String renders the reference in citation form, e.g. 民法典第一千零七十七条.
func (r ArticleRef) String() string {
	s := r.Law + "第" + FormatChinese(r.Number) + "条"
	if r.Sub > 0 {
		s += "之" + FormatChinese(r.Sub)
	}
	return s
}

// lawAliases maps colloquial and abbreviated names to the law's short name
// (the corpus key). An alias only resolves if that law is loaded, so 劳动法
// (a different law from 劳动合同法) is deliberately absent.
var lawAliases = map[string]string{
	"消法":       "消费者权益保护法",
	"消保法":      "消费者权益保护法",
	"消费者保护法":   "消费者权益保护法",
	"消费者权益法":   "消费者权益保护法",
	"消费法":      "消费者权益保护法",
	"未保法":      "未成年人保护法",
	"未成年保护法":   "未成年人保护法",
	"反家暴法":     "反家庭暴力法",
	"家暴法":      "反家庭暴力法",
	"家庭暴力法":    "反家庭暴力法",
	"反诈法":      "反电信网络诈骗法",
	"反电诈法":     "反电信网络诈骗法",
	"反诈骗法":     "反电信网络诈骗法",
	"反电信诈骗法":   "反电信网络诈骗法",
	"反网络诈骗法":   "反电信网络诈骗法",
	"治安法":      "治安管理处罚法",
	"治安处罚法":    "治安管理处罚法",
	"治安管理法":    "治安管理处罚法",
	"法援法":      "法律援助法",
	"调解法":      "人民调解法",
	"国安法":      "国家安全法",
	"劳合法":      "劳动合同法",
	"民诉法":      "民事诉讼法",
	"刑诉法":      "刑事诉讼法",
	"行诉法":      "行政诉讼法",
	"中国宪法":     "宪法",
	"民法典合同编":   "民法典",
	"民法典总则":    "民法典",
	"民法典物权编":   "民法典",
	"民法典婚姻家庭编": "民法典",
	"民法典继承编":   "民法典",
	"民法典侵权责任编": "民法典",
	"民法典人格权编":  "民法典",
}

// interpretationNames gives the short names people use for a judicial
// interpretation, which nobody types in full: 最高人民法院关于审理民间借贷案件
// 适用法律若干问题的规定 is 民间借贷规定, 民间借贷解释 or 民间借贷司法解释;
// 关于适用《民事诉讼法》的解释 is also 民诉法解释, through lawAliases. The
// name is normalised (normalizeLawName); nil for anything else.
func interpretationNames(name string) []string {
	rest, ok := "", false
	for _, p := range []string{"最高人民法院、最高人民检察院关于", "最高人民法院关于", "最高人民检察院关于"} {
		if rest, ok = strings.CutPrefix(name, p); ok {
			break
		}
	}
	if !ok {
		return nil
	}
	var ordinal string // "(一)" of 婚姻家庭编的解释(一)
	if i := strings.LastIndex(rest, "("); i > 0 && strings.HasSuffix(rest, ")") {
		rest, ordinal = rest[:i], rest[i:]
	}
	var kind string
	for _, k := range []string{"规定", "解释"} {
		if r, ok := strings.CutSuffix(rest, k); ok {
			rest, kind = r, k
			break
		}
	}
	if kind == "" {
		return nil
	}
	for trimmed := true; trimmed; {
		trimmed = false
		for _, f := range []string{"若干问题的", "适用法律问题的", "适用法律", "具体应用法律", "案件", "纠纷", "的"} {
			if r, ok := strings.CutSuffix(rest, f); ok && r != "" {
				rest, trimmed = r, true
			}
		}
	}
	for _, v := range []string{"审理", "适用", "办理", "确定"} {
		if r, ok := strings.CutPrefix(rest, v); ok && r != "" {
			rest = r
			break
		}
	}
	if strings.Contains(rest, "问题") || utf8.RuneCountInString(rest) < 2 {
		return nil // a name the fillers above do not reduce to its subject
	}
	cores := []string{rest}
	// 民事案件适用诉讼时效制度 is the 诉讼时效(制度)规定.
	if _, r, ok := strings.Cut(rest, "案件适用"); ok && r != "" {
		cores = append(cores, r)
		if r, ok := strings.CutSuffix(r, "制度"); ok && r != "" {
			cores = append(cores, r)
		}
	}
	if r, ok := strings.CutPrefix(rest, "民法典"); ok && r != "" {
		cores = append(cores, r) // 婚姻家庭编解释(一)
	}
	for alias, full := range lawAliases {
		if full == rest {
			cores = append(cores, alias)
		}
	}
	kinds := []string{kind, "解释", "司法解释"}
	if kind == "解释" {
		kinds = kinds[1:]
	}
	ordinals := []string{ordinal}
	if ordinal != "" {
		// Without its part, the name is the only part loaded or fits two.
		ordinals = append(ordinals, strings.Trim(ordinal, "()"), "")
	}
	var names []string
	for _, c := range cores {
		for _, k := range kinds {
			for _, o := range ordinals {
				names = append(names, c+k+o)
			}
		}
	}
	return names
}

// lawSuffixes end the names of statutes; a reference's law part must end
// with one of them (or be an alias) so that 第三条 alone is not a lookup.
var lawSuffixes = []string{"法", "典", "条例", "规定", "办法", "解释", "细则", "决定", "规则", "章程",
	"安排", "规范", "意见", "通知", "准则", "标准", "纲要", "公约", "）", ")"}

var (
	refRE = regexp.MustCompile(`^(.+?)(第?)([0-9]+|[零〇○一二两三四五六七八九十百千]+)(条?)(?:之([一二三四五六七八九十]+))?$`)
	// refInTextRE finds references inside longer questions; the law part is
	// trimmed against known names when resolving.
	refInTextRE = regexp.MustCompile(`(《[^》]{1,60}》|[\p{Han}（）]{1,40}?(?:法|典|条例|规定|办法|解释))第([0-9]+|[零〇○一二两三四五六七八九十百千]+)条(?:之([一二三四五六七八九十]+))?`)
)

// refPrefixes and refSuffixes are filler around a bare reference
// ("请问民法典第1077条是什么"); they are stripped before parsing.
var (
	refPrefixes = []string{"请问", "我想问一下", "我想问", "想问一下", "想问", "帮我查一下", "帮我查", "查一下", "查询", "查", "请查", "看看", "搜索"}
	refSuffixes = []string{"是什么意思", "是什么", "说了什么", "讲了什么", "讲的什么", "说的什么", "规定了什么", "怎么规定的", "是怎么规定的", "规定的是什么", "的规定", "规定", "的内容", "内容", "原文", "全文", "条文", "怎么说的", "怎么说", "呢", "吗"}
)

// ParseArticleRef parses a query that is only an article reference, e.g.
// 民法典第1077条, 民法典第一千零七十七条, 宪法33条, 《反家庭暴力法》第二十三条.
// It is pure: whether the law exists is decided by Lookup.
func ParseArticleRef(q string) (ArticleRef, bool) {
	s := cleanRefQuery(q)
	if s == "" || utf8.RuneCountInString(s) > 80 {
		return ArticleRef{}, false
	}
	m := refRE.FindStringSubmatch(s)
	if m == nil {
		return ArticleRef{}, false
	}
	law, di, numStr, tiao, subStr := m[1], m[2], m[3], m[4], m[5]
	arabic := numStr[0] >= '0' && numStr[0] <= '9'
	if di == "" && tiao == "" && !arabic {
		// 宪法一百 is too ambiguous to treat as a lookup.
		return ArticleRef{}, false
	}
	if subStr != "" && tiao == "" {
		return ArticleRef{}, false
	}
	if !looksLikeLawName(law) {
		return ArticleRef{}, false
	}
	var n int
	if arabic {
		v, err := strconv.Atoi(numStr)
		if err != nil || v > maxChineseNumeral {
			return ArticleRef{}, false
		}
		n = v
	} else {
		v, err := ParseChinese(numStr)
		if err != nil {
			return ArticleRef{}, false
		}
		n = v
	}
	sub := 0
	if subStr != "" {
		v, err := ParseChinese(subStr)
		if err != nil {
			return ArticleRef{}, false
		}
		sub = v
	}
	return ArticleRef{Law: law, Number: n, Sub: sub}, true
}

// cleanRefQuery normalises width, drops spaces, quotes and 《》, and strips
// filler words and trailing punctuation around a reference.
func cleanRefQuery(q string) string {
	var b strings.Builder
	for _, r := range q {
		r = foldWidth(r)
		switch {
		case unicode.IsSpace(r):
			continue
		case strings.ContainsRune("《》〈〉<>\"'“”‘’「」", r):
			continue
		}
		b.WriteRune(r)
	}
	s := b.String()
	for changed := true; changed; {
		changed = false
		t := strings.TrimRight(s, "?？。.!！,，;；:：~～")
		for _, suf := range refSuffixes {
			if strings.HasSuffix(t, suf) && len(t) > len(suf) {
				t = strings.TrimSuffix(t, suf)
				break
			}
		}
		for _, pre := range refPrefixes {
			if strings.HasPrefix(t, pre) && len(t) > len(pre) {
				t = strings.TrimPrefix(t, pre)
				break
			}
		}
		t = strings.TrimLeft(t, ":：,，")
		if t != s {
			s, changed = t, true
		}
	}
	return s
}

func looksLikeLawName(law string) bool {
	// 、 may stand in a name (最高人民法院、最高人民检察院关于…, 证券、期货投资
	// 咨询管理暂行办法); a question that lists topics with it ("离婚、继承")
	// fails the suffix check below.
	if law == "" || strings.ContainsAny(law, "，。？！?!,;；") {
		return false
	}
	if _, ok := lawAliases[normalizeLawName(law)]; ok {
		return true
	}
	// 劳动争议解释一: an interpretation's part, without its parentheses.
	for _, part := range []string{"一", "二", "三", "四", "五"} {
		if r, ok := strings.CutSuffix(law, part); ok && hasAnySuffix(r, "解释", "规定") {
			return true
		}
	}
	return hasAnySuffix(law, lawSuffixes...)
}

func hasAnySuffix(s string, suffixes ...string) bool {
	for _, suf := range suffixes {
		if strings.HasSuffix(s, suf) {
			return true
		}
	}
	return false
}

// FindArticleRefs returns references embedded in a longer question, such as
// 劳动合同法第82条 in "劳动合同法第82条的双倍工资怎么算"; law parts may carry
// leading words that Lookup trims against known names.
func FindArticleRefs(q string) []ArticleRef {
	s := strings.Map(func(r rune) rune {
		r = foldWidth(r)
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, q)
	var refs []ArticleRef
	for _, m := range refInTextRE.FindAllStringSubmatch(s, 8) {
		if ref, ok := ParseArticleRef(m[0]); ok {
			refs = append(refs, ref)
		}
	}
	return refs
}

// LookupStatus tells what a lookup found.
type LookupStatus int

// Lookup outcomes.
const (
	// LookupFound means the article exists; Article is set.
	LookupFound LookupStatus = iota
	// LookupUnknownLaw means no loaded law matches the name.
	LookupUnknownLaw
	// LookupNoArticle means the law exists but has no such article.
	LookupNoArticle
)

// String names the status for logs.
func (s LookupStatus) String() string {
	switch s {
	case LookupFound:
		return "found"
	case LookupUnknownLaw:
		return "unknown_law"
	case LookupNoArticle:
		return "no_article"
	}
	return "status(" + strconv.Itoa(int(s)) + ")"
}

// LookupResult is the outcome of an article lookup; Message is a
// resident-facing explanation when nothing was found.
type LookupResult struct {
	Ref     ArticleRef
	Status  LookupStatus
	Law     *Law
	Article *Article
	// Message explains a miss in Chinese, e.g. 《中华人民共和国民法典》共1260条…
	Message string
	// Laws lists the loaded laws' full names when the law is unknown and
	// the corpus is small enough to list (at most 20 laws); show it with
	// Message, which does not repeat it.
	Laws []string
}

// repealedLaws are laws the Civil Code repealed on 2021-01-01 (民法典第一千二百
// 六十条) that residents still name, with where their rules live now.
var repealedLaws = map[string]string{
	"婚姻法":   "《民法典》婚姻家庭编",
	"收养法":   "《民法典》婚姻家庭编",
	"继承法":   "《民法典》继承编",
	"合同法":   "《民法典》合同编",
	"物权法":   "《民法典》物权编",
	"担保法":   "《民法典》物权编、合同编",
	"侵权责任法": "《民法典》侵权责任编",
	"民法通则":  "《民法典》总则编",
	"民法总则":  "《民法典》总则编",
}

// maxListedLaws bounds how many law names an unknown-law message lists.
const maxListedLaws = 20

// Resolve looks the reference up in the corpus.
func (c *Corpus) Resolve(ref ArticleRef) LookupResult {
	res := LookupResult{Ref: ref}
	l := c.resolveLawName(ref.Law)
	if l == nil {
		res.Status = LookupUnknownLaw
		if now, ok := repealedLaws[normalizeLawName(ref.Law)]; ok {
			res.Message = fmt.Sprintf("《%s》已于2021年1月1日起废止，相关规定现见%s。您可以直接提问，例如“离婚冷静期是多久”，或查询“民法典第1077条”。", normalizeLawName(ref.Law), now)
			return res
		}
		if l, ok := c.byShort[normalizeLawName(ref.Law)]; ok && l == nil {
			res.Message = fmt.Sprintf("“%s”不止一部，请写明是哪一部，例如“%s（一）%s”。", ref.Law, ref.Law, ArticleRef{Number: ref.Number, Sub: ref.Sub})
			return res
		}
		if len(c.laws) <= maxListedLaws {
			for _, law := range c.laws {
				res.Laws = append(res.Laws, law.Name)
			}
			res.Message = fmt.Sprintf("暂未收录“%s”。", ref.Law)
		} else {
			res.Message = fmt.Sprintf("暂未收录“%s”。本库共收录%d部法律法规，请核对名称后再试，例如“民法典第1077条”。", ref.Law, len(c.laws))
		}
		return res
	}
	res.Law = l
	if a := l.Article(ref.Number, ref.Sub); a != nil {
		res.Status, res.Article = LookupFound, a
		return res
	}
	res.Status = LookupNoArticle
	if last := l.MaxNumber(); ref.Number > last || ref.Number < 1 {
		res.Message = fmt.Sprintf("《%s》共%d条，没有第%d条，请核对条号后再试。", l.Name, last, ref.Number)
	} else {
		cited := ArticleRef{Number: ref.Number, Sub: ref.Sub}.String()
		res.Message = fmt.Sprintf("《%s》中没有%s，可能已被删除或编号有误。", l.Name, cited)
	}
	return res
}

// resolveLawName finds a law by name or alias; failing that, by the longest
// known name that ends the given text, so 根据民法典 resolves to 民法典.
func (c *Corpus) resolveLawName(name string) *Law {
	if l := c.Law(name); l != nil {
		return l
	}
	n := normalizeLawName(name)
	rs := []rune(n)
	for i := 1; i < len(rs)-1; i++ {
		if l := c.Law(string(rs[i:])); l != nil {
			return l
		}
	}
	return nil
}
