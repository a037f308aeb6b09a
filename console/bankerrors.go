package console

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/pufa-dev/pufa/knowledge"
)

// Fields of the 问答库 edit form, as problems name them.
const (
	fieldID          = "id"
	fieldTopic       = "topic"
	fieldQuestion    = "question"
	fieldParaphrases = "paraphrases"
	fieldAnswer      = "answer"
	fieldNext        = "next"
	fieldCites       = "cites"
	fieldOther       = ""
)

// fieldLabels are the form's Chinese labels.
var fieldLabels = map[string]string{
	fieldID: "编号", fieldTopic: "主题", fieldQuestion: "问题", fieldParaphrases: "其他问法",
	fieldAnswer: "回答", fieldNext: "下一步", fieldCites: "引用", fieldOther: "其他",
}

// problem is one reason an edit was refused, in Chinese, with the form field
// it concerns.
type problem struct {
	Field string
	Msg   string
}

// Label is the field's Chinese name.
func (p problem) Label() string { return fieldLabels[p.Field] }

// String is the problem as one line: 字段：说明.
func (p problem) String() string { return p.Label() + "：" + p.Msg }

// quoted matches a Go %q string; the knowledge messages quote what staff typed.
const quoted = `("(?:[^"\\]|\\.)*")`

// translations turn knowledge's English validation messages into Chinese
// naming the field. Order matters where patterns overlap (the cite rules).
// A message none matches is shown as it is, under 其他, rather than lost.
var translations = []struct {
	re    *regexp.Regexp
	field string
	// either: the rule checks the answer and the next step together.
	either bool
	zh     func(m []string) string
}{
	{regexp.MustCompile(`^missing id$`), fieldID, false, func([]string) string { return "必须填写" }},
	{regexp.MustCompile(`^id must be`), fieldID, false, func([]string) string {
		return "只能用小写英文字母、数字和“-”，以字母或数字开头，最长 64 个字符"
	}},
	{regexp.MustCompile(`^missing topic$`), fieldTopic, false, func([]string) string { return "必须填写" }},
	{regexp.MustCompile(`^missing question$`), fieldQuestion, false, func([]string) string { return "必须填写" }},
	{regexp.MustCompile(`^has (\d+) paraphrases, want at least (\d+)$`), fieldParaphrases, false, func(m []string) string {
		return "只有 " + m[1] + " 条，至少需要 " + m[2] + " 条（每行一条）"
	}},
	{regexp.MustCompile(`^missing answer$`), fieldAnswer, false, func([]string) string { return "必须填写" }},
	{regexp.MustCompile(`^answer has (\d+) characters, at most (\d+)$`), fieldAnswer, false, func(m []string) string {
		return "共 " + m[1] + " 字，最多 " + m[2] + " 字"
	}},
	{regexp.MustCompile(`^next has (\d+) characters, at most (\d+)$`), fieldNext, false, func(m []string) string {
		return "共 " + m[1] + " 字，最多 " + m[2] + " 字"
	}},
	{regexp.MustCompile(`^no value for placeholder\(s\) (.+)$`), fieldAnswer, true, func(m []string) string {
		return "占位符 " + m[1] + " 在问答库中没有取值；地址、时间等办公室信息请写进本办常见问题文件"
	}},
	{regexp.MustCompile(`^reviewed_at ` + quoted + ` is not YYYY-MM-DD$`), fieldOther, false, func(m []string) string {
		return "审核日期“" + unquote(m[1]) + "”应写作 YYYY-MM-DD"
	}},
	{regexp.MustCompile(`^cites no article$`), fieldCites, false, func([]string) string { return "至少引用一条法律条文" }},
	{regexp.MustCompile(`^cite ` + quoted + ` is not an article reference`), fieldCites, false, func(m []string) string {
		return "“" + unquote(m[1]) + "”不是条文引用，应写作“劳动合同法第三十条”这样的格式"
	}},
	{regexp.MustCompile(`^cite ` + quoted + `: unknown_law$`), fieldCites, false, func(m []string) string {
		return "“" + unquote(m[1]) + "”：找不到这部法律（只能引用现行有效的法律）"
	}},
	{regexp.MustCompile(`^cite ` + quoted + `: no_article$`), fieldCites, false, func(m []string) string {
		return "“" + unquote(m[1]) + "”：该法律没有这一条"
	}},
	{regexp.MustCompile(`^cite ` + quoted + `: quote ` + quoted + ` is not in the article's current text$`), fieldCites, false, func(m []string) string {
		return "“" + unquote(m[1]) + "”：引文不在该条现行文本中，须逐字摘录：“" + unquote(m[2]) + "”"
	}},
	{regexp.MustCompile(`^cite ` + quoted + `: quote is longer than (\d+) characters$`), fieldCites, false, func(m []string) string {
		return "“" + unquote(m[1]) + "”的引文超过 " + m[2] + " 字"
	}},
	{regexp.MustCompile(`^cite ` + quoted + ` has no quote$`), fieldCites, false, func(m []string) string {
		return "“" + unquote(m[1]) + "”缺少引文，请写作“条文 | 引文”"
	}},
	{regexp.MustCompile(`^number (\d+) is not a national hotline$`), fieldAnswer, true, func(m []string) string {
		return "电话号码 " + m[1] + " 不是全国统一热线（如 12348、12333、12315）；本地电话请写进本办常见问题文件"
	}},
	{regexp.MustCompile(`^` + quoted + ` is not stated by any cited article$`), fieldAnswer, true, func(m []string) string {
		f := unquote(m[1])
		return figureKind(f) + "“" + f + "”不见于所引条文"
	}},
}

// figureKind names what kind of figure the bank's rule found: a time limit,
// a multiple or an age.
func figureKind(f string) string {
	switch {
	case strings.HasSuffix(f, "倍"):
		return "倍数"
	case strings.HasSuffix(f, "周岁"):
		return "年龄"
	}
	return "期限"
}

func unquote(s string) string {
	if u, err := strconv.Unquote(s); err == nil {
		return u
	}
	return s
}

// messages are the single problems of a knowledge validation error.
func messages(err error) []string {
	if multi, ok := err.(interface{ Unwrap() []error }); ok {
		var out []string
		for _, e := range multi.Unwrap() {
			out = append(out, e.Error())
		}
		return out
	}
	return []string{err.Error()}
}

// translate turns a validation error of r into Chinese problems. Figures
// and placeholders may sit in the answer or in the next step: the rule
// reports them over both, so the record is checked again without the next
// step to tell which field holds each.
func translate(err error, r knowledge.EntryRecord, validate func(knowledge.EntryRecord) error) []problem {
	var inAnswer map[string]bool
	var out []problem
	for _, msg := range messages(err) {
		p := problem{Field: fieldOther, Msg: msg}
		either := false
		for _, t := range translations {
			if m := t.re.FindStringSubmatch(msg); m != nil {
				p, either = problem{Field: t.field, Msg: t.zh(m)}, t.either
				break
			}
		}
		if either && r.Next != "" {
			if inAnswer == nil {
				answerOnly := r
				answerOnly.Next = ""
				inAnswer = map[string]bool{}
				if err := validate(answerOnly); err != nil {
					for _, m := range messages(err) {
						inAnswer[m] = true
					}
				}
			}
			if !inAnswer[msg] {
				p.Field = fieldNext
			}
		}
		out = append(out, p)
	}
	return out
}
