package quiz

import (
	"slices"
	"strings"
)

// trueFalse maps every way residents say 对 or 错 (after bot.Normalize) to
// the canonical answer.
var trueFalse = map[string]string{
	"对": True, "√": True, "✓": True, "✔": True, "正确": True, "对的": True, "是": True,
	"t": True, "true": True, "v": True, "y": True, "yes": True,
	"错": False, "×": False, "✗": False, "✘": False, "x": False, "错误": False, "错的": False,
	"不对": False, "否": False, "f": False, "false": False, "n": False, "no": False,
}

// answerPrefixes are filler before an answer ("选A", "答案是AC").
var answerPrefixes = []string{"我的答案是", "答案是", "答案", "我选", "选择", "选项", "选"}

// answerNoise is dropped between and around letters: "A,C", "A C", "A、C", "(A)".
const answerNoise = " \t,，、;；/.。:：!！?？()（）[]【】\"“”'‘’+&和及"

// ParseAnswer reads a resident's reply to q, already normalised by
// bot.Normalize (half-width, lower-case, trimmed), and returns the
// canonical answer. ok=false means it is no answer of q's kind — a hint
// is due, and nothing is recorded.
func ParseAnswer(q *Question, text string) (answer string, ok bool) {
	s := strings.TrimSpace(text)
	for _, p := range answerPrefixes {
		if rest, found := strings.CutPrefix(s, p); found {
			s = rest
			break
		}
	}
	s = strings.Trim(s, answerNoise)
	if q.Kind == TrueFalse {
		v, ok := trueFalse[s]
		return v, ok
	}
	letters, ok := parseLetters(s, len(q.Options))
	if !ok || (q.Kind == Single && len(letters) != 1) {
		return "", false
	}
	return letters, true
}

// parseLetters reads option letters among the first n (a, b, …) with any
// noise between them and returns them sorted, upper-case, without repeats.
func parseLetters(s string, n int) (string, bool) {
	var got []byte
	for _, r := range s {
		switch {
		case strings.ContainsRune(answerNoise, r):
		case r >= 'a' && r < 'a'+rune(n):
			got = append(got, byte(r-'a'+'A'))
		case r >= 'A' && r < 'A'+rune(n):
			got = append(got, byte(r))
		default:
			return "", false
		}
	}
	if len(got) == 0 {
		return "", false
	}
	slices.Sort(got)
	return string(slices.Compact(got)), true
}

// looksLikeAnswer reports whether text would answer some question, so that
// an answer sent after a quiz closed is refused rather than passed on to the
// knowledge base.
func looksLikeAnswer(text string) bool {
	if _, ok := ParseAnswer(&Question{Kind: TrueFalse}, text); ok {
		return true
	}
	_, ok := ParseAnswer(&Question{Kind: Multiple, Options: make([]string, maxOptions)}, text)
	return ok
}
