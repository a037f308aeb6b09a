package quiz

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParseAnswer feeds arbitrary replies to every question kind: parsing
// never panics, and an accepted answer is canonical — sorted, distinct
// option letters of the question (one for single choice), or 对/错.
func FuzzParseAnswer(f *testing.F) {
	for _, s := range []string{"a", "AC", "a c", "A,C", "答案是b", "对", "错", "√", "×", "正确", "(d)", "ab ab", "e", "", "选", "我的答案是AC。"} {
		f.Add(s)
	}
	questions := []*Question{
		{Kind: Single, Options: []string{"1", "2", "3", "4"}},
		{Kind: Multiple, Options: []string{"1", "2", "3", "4", "5"}},
		{Kind: TrueFalse},
	}
	f.Fuzz(func(t *testing.T, text string) {
		for _, q := range questions {
			ans, ok := ParseAnswer(q, text)
			if !ok {
				continue
			}
			if q.Kind == TrueFalse {
				if ans != True && ans != False {
					t.Fatalf("true/false answer %q from %q", ans, text)
				}
				continue
			}
			if ans == "" || !utf8.ValidString(ans) || (q.Kind == Single && len(ans) != 1) {
				t.Fatalf("%v answer %q from %q", q.Kind, ans, text)
			}
			for i := 1; i < len(ans); i++ {
				if ans[i-1] >= ans[i] {
					t.Fatalf("answer %q from %q is not sorted and distinct", ans, text)
				}
			}
			if strings.Trim(ans, "ABCDEFGH"[:len(q.Options)]) != "" {
				t.Fatalf("answer %q from %q names a letter beyond the %d options", ans, text, len(q.Options))
			}
		}
	})
}
