package knowledge

import (
	"hash/fnv"
	"slices"
	"unicode"
	"unicode/utf8"
)

// Term keys pack the term into 64 bits so the dictionary never hashes
// strings: a CJK bigram is two 21-bit runes under kindBigram, a single
// character sits under kindUnigram and Latin words and numbers are FNV
// hashes with both kind bits clear.
const (
	kindBigram  uint64 = 1 << 63
	kindUnigram uint64 = 1 << 62
	kindMask    uint64 = kindBigram | kindUnigram
)

func bigramKey(a, b rune) uint64 { return kindBigram | uint64(a)<<21 | uint64(b) }
func unigramKey(a rune) uint64   { return kindUnigram | uint64(a) }

func wordKey(w []rune) uint64 {
	h := fnv.New64a()
	var buf [4]byte
	for _, r := range w {
		n := utf8.EncodeRune(buf[:], r)
		h.Write(buf[:n])
	}
	return h.Sum64() &^ kindMask
}

// foldWidth maps full-width ASCII to ASCII and upper to lower case, so 12348
// typed on a phone keyboard matches 12348.
func foldWidth(r rune) rune {
	switch {
	case r >= '！' && r <= '～':
		r = r - '！' + '!'
	case r == '　':
		r = ' '
	}
	if r >= 'A' && r <= 'Z' {
		r += 'a' - 'A'
	}
	return r
}

func isHan(r rune) bool {
	return r >= 0x4E00 && r <= 0x9FFF || r >= 0x3400 && r <= 0x4DBF ||
		r >= 0xF900 && r <= 0xFAFF || r >= 0x20000 && r <= 0x2FFFF || r == '〇'
}

func isWordRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 0x7F && !isHan(r) && unicode.IsLetter(r)
}

// gap marks a removed stop phrase: a boundary no bigram crosses.
const gap rune = -1

// normalizeRunes folds width and case; everything that is neither a CJK
// character nor part of a word becomes a gap.
func normalizeRunes(dst []rune, s string) []rune {
	for _, r := range s {
		r = foldWidth(r)
		if !isHan(r) && !isWordRune(r) {
			r = gap
		}
		dst = append(dst, r)
	}
	return dst
}

// tokenMode selects which terms an analyzer emits.
type tokenMode uint8

const (
	emitBigrams tokenMode = 1 << iota
	emitUnigrams
)

// appendTerms appends the term keys of rs: CJK bigrams inside runs of
// characters (a lone character as a unigram), single characters when
// unigrams are asked for, and Latin/number words.
func appendTerms(dst []uint64, rs []rune, mode tokenMode) []uint64 {
	i := 0
	for i < len(rs) {
		r := rs[i]
		switch {
		case r == gap:
			i++
		case isHan(r):
			j := i
			for j < len(rs) && rs[j] != gap && isHan(rs[j]) {
				j++
			}
			if mode&emitBigrams != 0 {
				if j-i == 1 {
					dst = append(dst, unigramKey(rs[i]))
				}
				for k := i; k+1 < j; k++ {
					dst = append(dst, bigramKey(rs[k], rs[k+1]))
				}
			}
			if mode&emitUnigrams != 0 {
				for k := i; k < j; k++ {
					dst = append(dst, unigramKey(rs[k]))
				}
			}
			i = j
		default:
			j := i
			for j < len(rs) && rs[j] != gap && !isHan(rs[j]) {
				j++
			}
			dst = append(dst, wordKey(rs[i:j]))
			i = j
		}
	}
	return dst
}

// fillerPhrases are the stop phrases that say nothing of what is asked:
// greetings, particles and pronouns, and the 那 a follow-up opens with
// ("那孩子呢": kept, it matched an entry whose wordings say "那孩子的爹妈").
// Matching a question against the bank's questions cuts only these and
// keeps the question words, which tell "法律援助怎么申请" from
// "申请了法律援助多久有结果".
var fillerPhrases = []string{
	"请问", "你好", "您好", "谢谢", "咨询一下", "问一下", "想问一下", "想知道", "想问",
	"吗", "呢", "吧", "啊", "呀", "嘛",
	"我们", "我家", "我的", "我", "你们", "你", "他们", "她们", "他", "她",
	"这种", "这个", "那个", "这样", "那么", "那", "的话", "一下",
}

// questionPhrases are the question words of lay questions that statutes
// never use in the same sense.
var questionPhrases = []string{
	"怎么办", "怎么样", "怎么", "怎样", "如何", "什么样", "为什么", "什么", "啥",
	"是否", "能否", "可否", "能不能", "可不可以", "会不会", "是不是", "有没有", "要不要", "该不该", "算不算",
	"可以吗", "行吗", "对吗", "合法吗",
	"在哪里", "在哪儿", "在哪", "哪些", "哪里", "哪个", "哪儿", "多久", "多少",
}

// keepWords protect legal words that contain a stop phrase (其他, 他人).
var keepWords = []string{"其他", "他人", "我国", "自我", "利他", "排他", "吧台"}

// phraseSet matches the longest phrase at a position, rune-wise.
type phraseSet struct {
	byFirst map[rune][][]rune
}

func newPhraseSet(phrases []string) *phraseSet {
	ps := &phraseSet{byFirst: make(map[rune][][]rune)}
	for _, p := range phrases {
		rs := []rune(p)
		if len(rs) == 0 {
			continue
		}
		ps.byFirst[rs[0]] = append(ps.byFirst[rs[0]], rs)
	}
	for k, list := range ps.byFirst {
		// Longest first, so 怎么办 wins over 怎么.
		for i := 1; i < len(list); i++ {
			for j := i; j > 0 && len(list[j]) > len(list[j-1]); j-- {
				list[j], list[j-1] = list[j-1], list[j]
			}
		}
		ps.byFirst[k] = list
	}
	return ps
}

// match returns the length of the longest phrase at rs[i:], 0 if none.
func (ps *phraseSet) match(rs []rune, i int) int {
	for _, p := range ps.byFirst[rs[i]] {
		if len(p) <= len(rs)-i && equalRunes(rs[i:i+len(p)], p) {
			return len(p)
		}
	}
	return 0
}

func equalRunes(a, b []rune) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// stopFilter cuts stop phrases out of normalised query runes.
type stopFilter struct {
	stop, keep *phraseSet
}

func newStopFilter() *stopFilter {
	// Searching articles cuts the question words too, so their bigrams
	// ("怎么", "助怎") do not pick random articles.
	return &stopFilter{stop: newPhraseSet(slices.Concat(fillerPhrases, questionPhrases)), keep: newPhraseSet(keepWords)}
}

func newFillerFilter() *stopFilter {
	return &stopFilter{stop: newPhraseSet(fillerPhrases), keep: newPhraseSet(keepWords)}
}

// apply replaces stop phrases in rs with gaps, in place.
func (f *stopFilter) apply(rs []rune) {
	for i := 0; i < len(rs); {
		if rs[i] == gap {
			i++
			continue
		}
		if n := f.keep.match(rs, i); n > 0 {
			i += n
			continue
		}
		if n := f.stop.match(rs, i); n > 0 {
			for k := i; k < i+n; k++ {
				rs[k] = gap
			}
			i += n
			continue
		}
		i++
	}
}
