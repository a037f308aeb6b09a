package bot

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"unicode"

	"gopkg.in/yaml.v3"
)

//go:embed keywords.yaml
var defaultKeywords []byte

// Match modes of a keyword rule.
const (
	MatchExact    = "exact"
	MatchContains = "contains"
)

// KeywordRule answers texts that equal (exact) or contain a keyword.
type KeywordRule struct {
	Name     string   `yaml:"name"`
	Keywords []string `yaml:"keywords"`
	Match    string   `yaml:"match"`
	Priority int      `yaml:"priority"`
	Reply    string   `yaml:"reply"`
}

// Keywords is a TextHandler over keyword rules. Among matching rules the
// highest priority wins; at equal priority an exact match beats a contains
// match, then file order decides.
type Keywords struct {
	exact    map[string]int // normalised keyword → index into rules
	contains []containsRule
	rules    []KeywordRule
}

type containsRule struct {
	keyword string
	rule    int
}

// LoadKeywordsFile reads rules from path, or the built-in starter rules when
// path is empty.
func LoadKeywordsFile(path string) (*Keywords, error) {
	if path == "" {
		return ParseKeywords(strings.NewReader(string(defaultKeywords)))
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("bot: keywords: %w", err)
	}
	defer f.Close()
	k, err := ParseKeywords(f)
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	return k, nil
}

// ParseKeywords reads and validates a rules file; every problem is reported
// with the rule's position.
func ParseKeywords(r io.Reader) (*Keywords, error) {
	var file struct {
		Rules []KeywordRule `yaml:"rules"`
	}
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	if err := dec.Decode(&file); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("bot: keywords: %w", err)
	}
	k := &Keywords{exact: map[string]int{}, rules: file.Rules}
	var errs []error
	for i, rule := range file.Rules {
		where := fmt.Sprintf("bot: keywords: rules[%d]", i)
		if rule.Name != "" {
			where += " (" + rule.Name + ")"
		}
		if strings.TrimSpace(rule.Reply) == "" {
			errs = append(errs, fmt.Errorf("%s: reply must not be empty", where))
		}
		if len(rule.Keywords) == 0 {
			errs = append(errs, fmt.Errorf("%s: keywords must not be empty", where))
		}
		if rule.Match == "" {
			rule.Match = MatchExact
			k.rules[i].Match = MatchExact
		}
		if rule.Match != MatchExact && rule.Match != MatchContains {
			errs = append(errs, fmt.Errorf("%s: match %q is not exact or contains", where, rule.Match))
			continue
		}
		for _, kw := range rule.Keywords {
			n := Normalize(kw)
			if n == "" {
				errs = append(errs, fmt.Errorf("%s: empty keyword", where))
				continue
			}
			if rule.Match == MatchContains {
				k.contains = append(k.contains, containsRule{n, i})
				continue
			}
			if prev, dup := k.exact[n]; dup && k.rules[prev].Priority >= rule.Priority {
				continue
			}
			k.exact[n] = i
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	// Stable by descending priority so the first contains hit is the winner.
	sort.SliceStable(k.contains, func(a, b int) bool {
		return k.rules[k.contains[a].rule].Priority > k.rules[k.contains[b].rule].Priority
	})
	return k, nil
}

// Len returns the number of rules.
func (k *Keywords) Len() int { return len(k.rules) }

// Match returns the rule answering text, if any.
func (k *Keywords) Match(text string) (KeywordRule, bool) {
	best := -1
	if i, ok := k.exact[text]; ok {
		best = i
	}
	for _, c := range k.contains {
		if best >= 0 && k.rules[c.rule].Priority <= k.rules[best].Priority {
			break
		}
		if strings.Contains(text, c.keyword) && k.essentially(text, c.rule) {
			best = c.rule
			break
		}
	}
	if best < 0 {
		return KeywordRule{}, false
	}
	return k.rules[best], true
}

// maxContainsRest is how much a message may say besides a contains rule's
// keywords and filler words and still be "essentially that keyword":
// "电话多少" and "非常感谢你们" are, "房东不退押金怎么办谢谢" is a question.
const maxContainsRest = 2

// fillers are the politeness, praise and question words a short message
// wraps a keyword in ("谢谢啊 说的挺清楚").
var fillers = strings.NewReplacer(
	"请问", "", "一下", "", "你们", "", "您们", "", "是多少", "", "多少", "", "是什么", "", "什么", "",
	"有没有", "", "非常", "", "太", "", "了", "", "啊", "", "呀", "", "呢", "", "吗", "", "哦", "",
	"的", "", "是", "", "号码", "", "给我", "", "发", "", "好", "", "哈", "", "啦", "", "嗯", "", "你", "", "您", "", "帮助", "", "帮忙", "", "老师", "",
	"挺", "", "很", "", "真", "", "说", "", "讲", "", "得", "", "清楚", "", "明白", "", "上回", "", "上次", "",
)

// essentially reports whether text is little more than the rule's keywords,
// so a contains rule answers "谢谢" but never swallows a question that only
// ends in 谢谢 or mentions 电话.
func (k *Keywords) essentially(text string, rule int) bool {
	rest := text
	for _, kw := range k.rules[rule].Keywords {
		rest = strings.ReplaceAll(rest, Normalize(kw), "")
	}
	rest = fillers.Replace(rest)
	n := 0
	for _, r := range rest {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			n++
		}
	}
	return n <= maxContainsRest
}

// HandleText answers with the matching rule's reply.
func (k *Keywords) HandleText(_ context.Context, m *Message) (Reply, bool, error) {
	rule, ok := k.Match(m.Text)
	if !ok {
		return Reply{}, false, nil
	}
	return Reply{Text: rule.Reply}, true, nil
}

// InstantText implements InstantTexter: a keyword reply is a constant.
func (k *Keywords) InstantText(m *Message) (Reply, Verdict) {
	if rule, ok := k.Match(m.Text); ok {
		return Reply{Text: rule.Reply}, Answer
	}
	return Reply{}, Pass
}
