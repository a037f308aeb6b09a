package quiz_test

import (
	"testing"

	"github.com/pufa-dev/pufa/bot"
	"github.com/pufa-dev/pufa/quiz"
)

func TestParseAnswerForms(t *testing.T) {
	single := &quiz.Question{Kind: quiz.Single, Options: []string{"甲", "乙", "丙", "丁"}}
	multi := &quiz.Question{Kind: quiz.Multiple, Options: []string{"甲", "乙", "丙", "丁"}}
	tf := &quiz.Question{Kind: quiz.TrueFalse}
	tests := []struct {
		name    string
		q       *quiz.Question
		content string // as the resident typed it; normalised like the bot does
		want    string
		ok      bool
	}{
		{"capital letter", single, "A", "A", true},
		{"small letter", single, "a", "A", true},
		{"full-width letter", single, "Ａ", "A", true},
		{"full-width small letter", single, "ｂ", "B", true},
		{"spaces around", single, "  C ", "C", true},
		{"trailing full stop", single, "D。", "D", true},
		{"with 选", single, "选A", "A", true},
		{"with 答案是", single, "答案是B", "B", true},
		{"in brackets", single, "（C）", "C", true},
		{"letter repeated", single, "aa", "A", true},
		{"two letters for a single choice", single, "AC", "", false},
		{"letter beyond the options", single, "E", "", false},
		{"对 for a choice question", single, "对", "", false},
		{"a question instead of an answer", single, "离婚冷静期是多久", "", false},
		{"empty", single, "", "", false},
		{"word made of letters", single, "abcd", "", false},

		{"two capitals", multi, "AC", "AC", true},
		{"two small", multi, "ac", "AC", true},
		{"out of order", multi, "ca", "AC", true},
		{"space separated", multi, "A C", "AC", true},
		{"comma separated", multi, "A,C", "AC", true},
		{"full-width comma", multi, "A，C", "AC", true},
		{"enumeration comma", multi, "A、B、D", "ABD", true},
		{"full-width letters", multi, "ＡＢＣ", "ABC", true},
		{"one letter is an answer (a wrong one)", multi, "B", "B", true},
		{"letter beyond the options", multi, "ABE", "", false},
		{"true/false word", multi, "错", "", false},

		{"对", tf, "对", quiz.True, true},
		{"错", tf, "错", quiz.False, true},
		{"check mark", tf, "√", quiz.True, true},
		{"cross", tf, "×", quiz.False, true},
		{"正确", tf, "正确", quiz.True, true},
		{"错误", tf, "错误", quiz.False, true},
		{"T", tf, "T", quiz.True, true},
		{"F", tf, "F", quiz.False, true},
		{"full-width T", tf, "Ｔ", quiz.True, true},
		{"true", tf, "True", quiz.True, true},
		{"x", tf, "X", quiz.False, true},
		{"with punctuation", tf, "对！", quiz.True, true},
		{"不对", tf, "不对", quiz.False, true},
		{"letter for a true/false question", tf, "A", "", false},
		{"anything else", tf, "不知道", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := quiz.ParseAnswer(tt.q, bot.Normalize(tt.content))
			if got != tt.want || ok != tt.ok {
				t.Errorf("ParseAnswer(%q) = %q, %v; want %q, %v", tt.content, got, ok, tt.want, tt.ok)
			}
		})
	}
}
