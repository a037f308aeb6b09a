package quiz

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"gopkg.in/yaml.v3"

	"github.com/pufa-dev/pufa/bot"
	"github.com/pufa-dev/pufa/chinatime"
	"github.com/pufa-dev/pufa/knowledge"
	"github.com/pufa-dev/pufa/validation"
)

//go:embed banks/*.yaml quizzes/*.yaml
var builtin embed.FS

// Builtin returns the banks and quizzes shipped with pufa, in the layout
// Load reads: banks/*.yaml and quizzes/*.yaml.
func Builtin() fs.FS { return builtin }

// Corpus resolves article citations (*knowledge.Corpus).
type Corpus interface {
	Resolve(ref knowledge.ArticleRef) knowledge.LookupResult
}

// Reply size budgets, so that feedback, explanation and the next question
// always fit WeChat's 2048-byte text limit together.
const (
	maxQuestionBytes    = 900 // the rendered question with its options
	maxExplanationBytes = 600
	maxOptionBytes      = 150
)

// idRe keeps bank, quiz and question ids usable in Redis keys and fields.
var (
	idRe         = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,39}$`)
	questionIDRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)
)

// Default loads the built-in banks and quizzes.
func Default(corpus Corpus) (*Catalog, error) {
	return Load(Builtin(), "quiz", corpus, nil)
}

// LoadDir loads dir/banks/*.yaml and dir/quizzes/*.yaml. The built-in banks
// stay available to the directory's quizzes unless it has a bank with the
// same id; the built-in quizzes are not used.
func LoadDir(dir string, corpus Corpus) (*Catalog, error) {
	if st, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("quiz: %w", err)
	} else if !st.IsDir() {
		return nil, fmt.Errorf("quiz: %s is not a directory", dir)
	}
	base, err := loadBanks(Builtin(), "quiz", corpus)
	if err != nil {
		return nil, fmt.Errorf("quiz: built-in banks: %w", err)
	}
	return Load(os.DirFS(dir), dir, corpus, base)
}

// Load reads banks/*.yaml and quizzes/*.yaml from fsys; dir names fsys in
// messages. Banks in base (may be nil) are available to the quizzes unless
// fsys has one with the same id. The error joins a *validation.Problem per problem.
func Load(fsys fs.FS, dir string, corpus Corpus, base map[string]*Bank) (*Catalog, error) {
	var errs []error
	banks, err := loadBanks(fsys, dir, corpus)
	if err != nil {
		errs = append(errs, err)
	}
	all := map[string]*Bank{}
	for id, b := range base {
		all[id] = b
	}
	for id, b := range banks {
		all[id] = b
	}
	c := &Catalog{banks: all}
	files, _ := fs.Glob(fsys, "quizzes/*.yaml") // the pattern is valid
	for _, name := range files {
		file := path.Join(dir, name)
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			errs = append(errs, &validation.Problem{File: file, Msg: err.Error()})
			continue
		}
		q, err := ParseQuiz(file, data, c.Bank)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if prev := c.Quiz(q.ID); prev != nil {
			errs = append(errs, &validation.Problem{File: file, Field: "id", Msg: fmt.Sprintf("%q is also defined in %s", q.ID, prev.File)})
			continue
		}
		c.quizzes = append(c.quizzes, q)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	c.sort()
	return c, nil
}

func loadBanks(fsys fs.FS, dir string, corpus Corpus) (map[string]*Bank, error) {
	var errs []error
	banks := map[string]*Bank{}
	files, _ := fs.Glob(fsys, "banks/*.yaml") // the pattern is valid
	for _, name := range files {
		file := path.Join(dir, name)
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			errs = append(errs, &validation.Problem{File: file, Msg: err.Error()})
			continue
		}
		b, err := ParseBank(file, data, corpus)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if prev := banks[b.ID]; prev != nil {
			errs = append(errs, &validation.Problem{File: file, Field: "id", Msg: fmt.Sprintf("%q is also defined in %s", b.ID, prev.File)})
			continue
		}
		banks[b.ID] = b
	}
	return banks, errors.Join(errs...)
}

// decodeMapping parses data as one YAML mapping and reports keys outside
// allowed; it returns the mapping's key → value nodes.
func decodeMapping(file string, data []byte, allowed []string) (map[string]*yaml.Node, []error) {
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			err = errors.New("empty file")
		}
		return nil, []error{&validation.Problem{File: file, Msg: "not valid YAML: " + err.Error()}}
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	return mapping(file, "", root, allowed)
}

func mapping(file, field string, n *yaml.Node, allowed []string) (map[string]*yaml.Node, []error) {
	if n.Kind != yaml.MappingNode {
		return nil, []error{&validation.Problem{File: file, Field: field, Line: n.Line, Msg: "expected a mapping of keys"}}
	}
	var errs []error
	out := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		name := k.Value
		if field != "" {
			name = field + "." + k.Value
		}
		switch {
		case !slices.Contains(allowed, k.Value):
			errs = append(errs, &validation.Problem{File: file, Field: name, Line: k.Line, Msg: "unknown field"})
		case out[k.Value] != nil:
			errs = append(errs, &validation.Problem{File: file, Field: name, Line: k.Line, Msg: "given twice"})
		default:
			out[k.Value] = v
		}
	}
	return out, errs
}

// scalar returns a scalar node's trimmed value; other kinds are a problem.
func scalar(file, field string, n *yaml.Node, errs *[]error) string {
	if n == nil || n.Tag == "!!null" {
		return ""
	}
	if n.Kind != yaml.ScalarNode {
		*errs = append(*errs, &validation.Problem{File: file, Field: field, Line: n.Line, Msg: "expected a single value"})
		return ""
	}
	return strings.TrimSpace(n.Value)
}

var questionFields = []string{"id", "type", "question", "options", "answer", "explanation", "cite"}

// ParseBank reads and checks one bank file: every answer among the
// options, every citation found in corpus, no duplicate ids or questions.
// file names it in problems; the error joins a *validation.Problem per problem.
func ParseBank(file string, data []byte, corpus Corpus) (*Bank, error) {
	top, errs := decodeMapping(file, data, []string{"id", "title", "questions"})
	if top == nil {
		return nil, errors.Join(errs...)
	}
	b := &Bank{ID: scalar(file, "id", top["id"], &errs), Title: scalar(file, "title", top["title"], &errs),
		File: file, byID: map[string]*Question{}}
	switch {
	case b.ID == "":
		errs = append(errs, &validation.Problem{File: file, Field: "id", Msg: "is required"})
	case !idRe.MatchString(b.ID):
		errs = append(errs, &validation.Problem{File: file, Field: "id", Line: top["id"].Line,
			Msg: fmt.Sprintf("%q must be 1-40 lower-case letters, digits or '-'", b.ID)})
	}
	if b.Title == "" {
		errs = append(errs, &validation.Problem{File: file, Field: "title", Msg: "is required"})
	}
	qs := top["questions"]
	if qs == nil || qs.Kind != yaml.SequenceNode || len(qs.Content) == 0 {
		errs = append(errs, &validation.Problem{File: file, Field: "questions", Msg: "is required: a list of questions"})
		return nil, errors.Join(errs...)
	}
	texts := map[string]string{}
	for i, n := range qs.Content {
		q, qerrs := parseQuestion(file, i, n, corpus)
		errs = append(errs, qerrs...)
		if q == nil {
			continue
		}
		field := fmt.Sprintf("questions[%d] (%s)", i, q.ID)
		if prev := b.byID[q.ID]; prev != nil {
			errs = append(errs, &validation.Problem{File: file, Field: field + ".id", Line: n.Line, Msg: "duplicate id"})
			continue
		}
		if key := textKey(q.Text); texts[key] != "" {
			errs = append(errs, &validation.Problem{File: file, Field: field + ".question", Line: n.Line,
				Msg: "duplicate of question " + texts[key]})
		} else {
			texts[key] = q.ID
		}
		b.byID[q.ID] = q
		b.Questions = append(b.Questions, q)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return b, nil
}

// textKey compares question texts ignoring width, case, spaces and punctuation.
func textKey(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) {
			return -1
		}
		return r
	}, bot.Normalize(s))
}

func parseQuestion(file string, i int, n *yaml.Node, corpus Corpus) (*Question, []error) {
	field := fmt.Sprintf("questions[%d]", i)
	m, errs := mapping(file, field, n, questionFields)
	if m == nil {
		return nil, errs
	}
	q := &Question{ID: scalar(file, field+".id", m["id"], &errs)}
	if q.ID != "" {
		field += " (" + q.ID + ")"
	}
	bad := func(f string, node *yaml.Node, format string, args ...any) {
		line := n.Line
		if node != nil {
			line = node.Line
		}
		errs = append(errs, &validation.Problem{File: file, Field: field + f, Line: line, Msg: fmt.Sprintf(format, args...)})
	}
	switch {
	case q.ID == "":
		bad(".id", nil, "is required")
	case !questionIDRe.MatchString(q.ID):
		bad(".id", m["id"], "%q must be 1-32 letters, digits, '_' or '-'", q.ID)
	}
	q.Kind = Kind(scalar(file, field+".type", m["type"], &errs))
	q.Text = scalar(file, field+".question", m["question"], &errs)
	q.Explanation = scalar(file, field+".explanation", m["explanation"], &errs)
	q.Cite = scalar(file, field+".cite", m["cite"], &errs)
	if q.Text == "" {
		bad(".question", nil, "is required")
	}
	if on := m["options"]; on != nil {
		if on.Kind != yaml.SequenceNode {
			bad(".options", on, "expected a list")
		}
		for _, o := range on.Content {
			if o.Kind != yaml.ScalarNode || strings.TrimSpace(o.Value) == "" {
				bad(".options", o, "options must be non-empty plain values")
				continue
			}
			opt := strings.TrimSpace(o.Value)
			if slices.Contains(q.Options, opt) {
				bad(".options", o, "%q is listed twice", opt)
			}
			if len(opt) > maxOptionBytes {
				bad(".options", o, "%q is %d bytes, at most %d", opt, len(opt), maxOptionBytes)
			}
			q.Options = append(q.Options, opt)
		}
	}
	answer := scalar(file, field+".answer", m["answer"], &errs)
	switch q.Kind {
	case Single, Multiple:
		if len(q.Options) < 2 || len(q.Options) > maxOptions {
			bad(".options", m["options"], "a %s question needs 2 to %d options, has %d", q.Kind, maxOptions, len(q.Options))
			break
		}
		letters, ok := parseLetters(bot.Normalize(answer), len(q.Options))
		switch {
		case answer == "":
			bad(".answer", nil, "is required: the letter(s) of the right option(s), e.g. A or AC")
		case !ok:
			bad(".answer", m["answer"], "%q is not among the %d options (A-%c)", answer, len(q.Options), 'A'+len(q.Options)-1)
		case q.Kind == Single && len(letters) != 1:
			bad(".answer", m["answer"], "%q: a single-choice question has exactly one right option", answer)
		case q.Kind == Multiple && len(letters) < 2:
			bad(".answer", m["answer"], "%q: a multiple-choice question has at least two right options (use type: single)", answer)
		}
		q.Answer = letters
	case TrueFalse:
		if len(q.Options) > 0 {
			bad(".options", m["options"], "a truefalse question has no options (residents answer 对 or 错)")
		}
		v, ok := trueFalse[bot.Normalize(answer)]
		if !ok {
			bad(".answer", m["answer"], "%q is not 对 or 错", answer)
		}
		q.Answer = v
	case "":
		bad(".type", nil, "is required: single, multiple or truefalse")
	default:
		bad(".type", m["type"], "%q is not single, multiple or truefalse", q.Kind)
	}
	switch {
	case q.Explanation == "":
		bad(".explanation", nil, "is required: why the answer is right, quoting the article")
	case len(q.Explanation) > maxExplanationBytes:
		bad(".explanation", m["explanation"], "%d bytes, at most %d", len(q.Explanation), maxExplanationBytes)
	}
	if q.Cite == "" {
		bad(".cite", nil, "is required: the article the answer rests on, e.g. 宪法第三十三条")
	} else if c, err := resolveCite(corpus, q.Cite); err != nil {
		bad(".cite", m["cite"], "%v", err)
	} else {
		q.Citation = c
	}
	if q.Text != "" && len(renderQuestion(q)) > maxQuestionBytes {
		bad(".question", m["question"], "the question with its options is %d bytes, at most %d", len(renderQuestion(q)), maxQuestionBytes)
	}
	return q, errs
}

// resolveCite finds a citation such as 宪法第三十三条 or 民法典第1077条 in
// the corpus and returns it as shown to residents.
func resolveCite(corpus Corpus, cite string) (string, error) {
	ref, ok := knowledge.ParseArticleRef(cite)
	if !ok {
		return "", fmt.Errorf("%q is not an article reference like 宪法第三十三条 or 民法典第1077条", cite)
	}
	res := corpus.Resolve(ref)
	if res.Article == nil {
		return "", fmt.Errorf("%q not found in the knowledge base: %s", cite, res.Message)
	}
	return res.Article.Citation(), nil
}

var quizFields = []string{"id", "title", "bank", "questions", "order", "window", "attempts", "leaderboard", "issuer"}

// defaultIssuer signs certificates when a quiz names no issuer.
const defaultIssuer = "街道普法办公室"

// ParseQuiz reads and checks one quiz file; banks resolves its bank id.
// The error joins a *validation.Problem per problem.
func ParseQuiz(file string, data []byte, banks func(id string) *Bank) (*Quiz, error) {
	m, errs := decodeMapping(file, data, quizFields)
	if m == nil {
		return nil, errors.Join(errs...)
	}
	bad := func(field string, format string, args ...any) {
		line := 0
		if n := m[strings.Split(field, ".")[0]]; n != nil {
			line = n.Line
		}
		errs = append(errs, &validation.Problem{File: file, Field: field, Line: line, Msg: fmt.Sprintf(format, args...)})
	}
	str := func(f string) string { return scalar(file, f, m[f], &errs) }
	q := &Quiz{ID: str("id"), Title: str("title"), Order: Order(str("order")), Issuer: str("issuer"), File: file, Leaderboard: true}
	switch {
	case q.ID == "":
		bad("id", "is required")
	case !idRe.MatchString(q.ID):
		bad("id", "%q must be 1-40 lower-case letters, digits or '-'", q.ID)
	}
	if q.Title == "" {
		bad("title", "is required")
	}
	if q.Issuer == "" {
		q.Issuer = defaultIssuer
	}
	switch bankID := str("bank"); {
	case bankID == "":
		bad("bank", "is required: the id of a question bank")
	case banks(bankID) == nil:
		bad("bank", "%q is not a known bank (banks/*.yaml or built in)", bankID)
	default:
		q.Bank = banks(bankID)
	}
	if v := str("questions"); v == "" {
		bad("questions", "is required: how many questions an attempt has")
	} else if n, err := strconv.Atoi(v); err != nil || n < 1 {
		bad("questions", "%q is not a positive number", v)
	} else {
		q.Questions = n
		if q.Bank != nil && n > len(q.Bank.Questions) {
			bad("questions", "%d is more than the %d questions of bank %s", n, len(q.Bank.Questions), q.Bank.ID)
		}
	}
	switch q.Order {
	case "":
		q.Order = Shuffled
	case Shuffled, Fixed:
	default:
		bad("order", "%q is not shuffled or fixed", q.Order)
	}
	if v := str("attempts"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			bad("attempts", "%q is not a number ≥ 0 (0 = unlimited)", v)
		}
		q.Attempts = n
	}
	if v := str("leaderboard"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			bad("leaderboard", "%q is not true or false", v)
		}
		q.Leaderboard = b
	}
	if wn := m["window"]; wn == nil {
		bad("window", "is required: from and to")
	} else if w, werrs := mapping(file, "window", wn, []string{"from", "to"}); w != nil {
		errs = append(errs, werrs...)
		at := func(f string) time.Time {
			s := scalar(file, "window."+f, w[f], &errs)
			if s == "" {
				bad("window."+f, "is required")
				return time.Time{}
			}
			t, err := chinatime.Parse(s)
			if err != nil {
				bad("window."+f, "%v", err)
			}
			return t
		}
		q.Window = Window{From: at("from"), To: at("to")}
		if !q.Window.From.IsZero() && !q.Window.To.IsZero() && !q.Window.From.Before(q.Window.To) {
			bad("window", "from must be before to")
		}
	} else {
		errs = append(errs, werrs...)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return q, nil
}
