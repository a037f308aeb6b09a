package knowledge

import (
	"bufio"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// nationalPrefix starts the full names of national laws; short names drop it.
const nationalPrefix = "中华人民共和国"

// Law is one statute as loaded: its names, version date and articles in order.
type Law struct {
	// Name is the full name, e.g. 中华人民共和国民法典.
	Name string
	// ShortName drops the 中华人民共和国 prefix, e.g. 民法典.
	ShortName string
	// Version is the date of the text, YYYY-MM-DD, or "" when unknown.
	Version string
	// Note warns about the text, e.g. that a revision is in force; "" if none.
	Note string
	// Source names the file(s) the law was read from.
	Source string
	// Preamble holds text before the first article (the Constitution's 序言).
	Preamble string
	// Articles are ordered by number.
	Articles []*Article

	byNum map[articleKey]*Article
}

type articleKey struct{ num, sub int }

// Article is one numbered article of a law.
type Article struct {
	// Law is the statute the article belongs to.
	Law *Law
	// Number is the article number, 1077 for 第一千零七十七条.
	Number int
	// Sub is the 之N suffix of inserted articles (第十七条之一 → 1), else 0.
	Sub int
	// Headings are the book, part, chapter and section titles above it.
	Headings []string
	// Text is the article's paragraphs joined by newlines.
	Text string

	id int32
}

// NumberCN is the article number as cited, e.g. 第一千零七十七条 or 第十七条之一.
func (a *Article) NumberCN() string {
	s := "第" + FormatChinese(a.Number) + "条"
	if a.Sub > 0 {
		s += "之" + FormatChinese(a.Sub)
	}
	return s
}

// Name is the law name plus number, the form STARD labels use.
func (a *Article) Name() string { return a.Law.Name + a.NumberCN() }

// Citation is the reference shown to residents: 《中华人民共和国民法典》第一千零七十七条.
func (a *Article) Citation() string { return "《" + a.Law.Name + "》" + a.NumberCN() }

// LawName is the full name of the article's law.
func (a *Article) LawName() string { return a.Law.Name }

// Version is the version date of the article's law (YYYY-MM-DD or "").
func (a *Article) Version() string { return a.Law.Version }

// Chapter joins the headings above the article, e.g. 婚姻家庭编 / 第四章 离婚.
func (a *Article) Chapter() string { return strings.Join(a.Headings, " / ") }

// MaxNumber is the highest article number of the law.
func (l *Law) MaxNumber() int {
	if len(l.Articles) == 0 {
		return 0
	}
	return l.Articles[len(l.Articles)-1].Number
}

// Article returns the article with the given number and 之N suffix, or nil.
func (l *Law) Article(number, sub int) *Article {
	return l.byNum[articleKey{number, sub}]
}

// Corpus is an immutable set of laws with name resolution.
type Corpus struct {
	laws     []*Law
	articles []*Article
	byKey    map[string]*Law
	byName   map[string]*Article
	// byShort resolves the short names of judicial interpretations
	// (interpretationNames); nil where a short name fits two of them.
	byShort map[string]*Law
	// Skipped names laws dropped because a law of the same name came first.
	Skipped []string
}

// Laws returns the laws in load order.
func (c *Corpus) Laws() []*Law { return c.laws }

// Articles returns every article, law by law.
func (c *Corpus) Articles() []*Article { return c.articles }

// ArticleByName resolves a STARD-style name such as 劳动合同法第七条; the
// law part may use any name or alias the corpus knows, so STARD labels
// resolve against the embedded 中华人民共和国劳动合同法 too.
func (c *Corpus) ArticleByName(name string) *Article {
	if a := c.byName[name]; a != nil {
		return a
	}
	m := stardNameRE.FindStringSubmatch(strings.TrimSpace(name))
	if m == nil {
		return nil
	}
	l := c.Law(m[1])
	if l == nil {
		return nil
	}
	num, err := ParseChinese(m[2])
	if err != nil {
		return nil
	}
	sub := 0
	if m[3] != "" {
		if sub, err = ParseChinese(m[3]); err != nil {
			return nil
		}
	}
	return l.Article(num, sub)
}

// Law resolves a law by full name, short name or common alias; nil if unknown.
func (c *Corpus) Law(name string) *Law {
	name = normalizeLawName(name)
	if l := c.byKey[name]; l != nil {
		return l
	}
	if full, ok := lawAliases[name]; ok {
		return c.byKey[full]
	}
	return c.byShort[name]
}

// NewCorpus merges laws into a corpus. Parts of one law (the Civil Code's
// books) merge into one law; a later law whose articles collide with an
// earlier one of the same name is skipped, so Markdown texts loaded first win
// over the same law from a JSONL corpus.
func NewCorpus(laws ...*Law) (*Corpus, error) {
	c := &Corpus{byKey: make(map[string]*Law), byName: make(map[string]*Article)}
	for _, l := range laws {
		if l == nil || l.Name == "" {
			return nil, errors.New("knowledge: corpus: law without a name")
		}
		key := lawKey(l.Name)
		prev := c.byKey[key]
		if prev == nil {
			nl := *l
			nl.Articles = nil
			nl.byNum = make(map[articleKey]*Article, len(l.Articles))
			c.byKey[key] = &nl
			c.laws = append(c.laws, &nl)
			prev = &nl
		} else {
			if prev.Version != l.Version && prev.Version != "" && l.Version != "" {
				c.Skipped = append(c.Skipped, l.Name+"("+l.Source+")")
				continue
			}
			collide := false
			for _, a := range l.Articles {
				if prev.byNum[articleKey{a.Number, a.Sub}] != nil {
					collide = true
					break
				}
			}
			if collide {
				c.Skipped = append(c.Skipped, l.Name+"("+l.Source+")")
				continue
			}
			prev.Source += ", " + l.Source
			if prev.Preamble == "" {
				prev.Preamble = l.Preamble
			}
		}
		for _, a := range l.Articles {
			na := *a
			na.Law = prev
			prev.Articles = append(prev.Articles, &na)
			prev.byNum[articleKey{a.Number, a.Sub}] = &na
		}
	}
	for _, l := range c.laws {
		slices.SortStableFunc(l.Articles, func(a, b *Article) int {
			return cmp.Or(cmp.Compare(a.Number, b.Number), cmp.Compare(a.Sub, b.Sub))
		})
		for _, a := range l.Articles {
			a.id = int32(len(c.articles))
			c.articles = append(c.articles, a)
			c.byName[a.Name()] = a
		}
		if l.Note == "" {
			l.Note = staleNote(l.ShortName, l.Version)
		}
	}
	c.byShort = make(map[string]*Law)
	for _, l := range c.laws {
		for _, n := range interpretationNames(normalizeLawName(l.Name)) {
			if c.byKey[n] != nil {
				continue
			}
			if prev, seen := c.byShort[n]; seen && prev != l {
				c.byShort[n] = nil // 婚姻家庭编解释 alone is (一) or (二): ask for which
				continue
			}
			c.byShort[n] = l
		}
	}
	return c, nil
}

// ParseLawsFS parses every .md file under fsys in lexical path order.
func ParseLawsFS(fsys fs.FS) ([]*Law, error) {
	var laws []*Law
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(p, ".md") || strings.EqualFold(d.Name(), "README.md") {
			return nil
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		l, err := ParseMarkdown(p, data)
		if err != nil {
			return err
		}
		laws = append(laws, l)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("knowledge: laws: %w", err)
	}
	return laws, nil
}

var (
	fileDateRE   = regexp.MustCompile(`\((\d{4})-(\d{2})-(\d{2})\)`)
	headerDateRE = regexp.MustCompile(`(\d{4})年(\d{1,2})月(\d{1,2})日`)
	articleRE    = regexp.MustCompile(`^第([零〇一二两三四五六七八九十百千]+)条(?:之([一二三四五六七八九十]+))?(?:[ \t　]+(.*))?$`)
	headingRE    = regexp.MustCompile(`^(#{1,6})(?:[ \t　]+(.*))?$`)
)

// ParseMarkdown parses one law file: a `# ` title (a second `# ` line names a
// book of a code), a header block closed by <!-- INFO END -->, `##`–`####`
// headings and articles that each start a line with 第X条 and a space.
func ParseMarkdown(filePath string, data []byte) (*Law, error) {
	l := &Law{Source: filePath}
	fail := func(line int, format string, args ...any) error {
		return fmt.Errorf("knowledge: %s:%d: %s", filePath, line, fmt.Sprintf(format, args...))
	}
	var (
		headings  [6]string
		inHeader  = true
		headerVer string
		cur       *Article
		paras     []string
		preamble  []string
		seen      = make(map[articleKey]bool)
	)
	flush := func() {
		if cur != nil {
			cur.Text = strings.Join(paras, "\n")
			l.Articles = append(l.Articles, cur)
		}
		cur, paras = nil, nil
	}
	lines := strings.Split(string(data), "\n")
	for i, raw := range lines {
		line := strings.TrimSpace(strings.TrimRight(raw, "\r"))
		lineNo := i + 1
		if line == "" {
			continue
		}
		if strings.HasPrefix(line, "<!--") {
			if strings.Contains(line, "INFO END") {
				inHeader = false
			}
			continue
		}
		if m := headingRE.FindStringSubmatch(line); m != nil {
			level, title := len(m[1]), cleanHeading(m[2])
			if level == 1 {
				if l.Name == "" {
					l.Name = title
					continue
				}
				headings[0] = title
				clear(headings[1:])
				continue
			}
			if inHeader {
				return nil, fail(lineNo, "heading %q before <!-- INFO END -->", line)
			}
			flush()
			headings[level-1] = title
			clear(headings[level:])
			continue
		}
		if inHeader {
			if strings.Contains(line, "通过") || strings.Contains(line, "修正") || strings.Contains(line, "修订") {
				if m := headerDateRE.FindStringSubmatch(line); m != nil {
					if d := isoDate(m[1], m[2], m[3]); d > headerVer {
						headerVer = d
					}
				}
			}
			continue
		}
		if m := articleRE.FindStringSubmatch(line); m != nil {
			flush()
			num, err := ParseChinese(m[1])
			if err != nil || num <= 0 {
				return nil, fail(lineNo, "bad article number %q", m[1])
			}
			sub := 0
			if m[2] != "" {
				if sub, err = ParseChinese(m[2]); err != nil {
					return nil, fail(lineNo, "bad article suffix %q", m[2])
				}
			}
			key := articleKey{num, sub}
			if seen[key] {
				return nil, fail(lineNo, "duplicate article %s", m[0][:strings.Index(m[0], "条")+len("条")])
			}
			seen[key] = true
			cur = &Article{Law: l, Number: num, Sub: sub, Headings: compactHeadings(headings[:])}
			if t := strings.TrimSpace(m[3]); t != "" {
				paras = append(paras, t)
			}
			continue
		}
		if cur != nil {
			paras = append(paras, line)
		} else {
			preamble = append(preamble, line)
		}
	}
	flush()
	if l.Name == "" {
		return nil, fmt.Errorf("knowledge: %s: no `# ` title", filePath)
	}
	if inHeader {
		return nil, fmt.Errorf("knowledge: %s: no <!-- INFO END --> marker", filePath)
	}
	if len(l.Articles) == 0 {
		return nil, fmt.Errorf("knowledge: %s: no articles", filePath)
	}
	l.ShortName = shortLawName(l.Name)
	l.Preamble = strings.Join(preamble, "\n")
	l.Version = headerVer
	if m := fileDateRE.FindStringSubmatch(path.Base(filePath)); m != nil {
		l.Version = isoDate(m[1], m[2], m[3])
	}
	return l, nil
}

func isoDate(y, m, d string) string {
	mi, _ := strconv.Atoi(m)
	di, _ := strconv.Atoi(d)
	return fmt.Sprintf("%s-%02d-%02d", y, mi, di)
}

// cleanHeading collapses the padding inside headings: "第二节  监  护" →
// "第二节 监护", "第三分编 准 合 同" → "第三分编 准合同".
func cleanHeading(s string) string {
	f := strings.Fields(s)
	if len(f) == 0 {
		return ""
	}
	if strings.HasPrefix(f[0], "第") && len(f) > 1 {
		return f[0] + " " + strings.Join(f[1:], "")
	}
	return strings.Join(f, "")
}

func compactHeadings(hs []string) []string {
	var out []string
	for _, h := range hs {
		if h != "" {
			out = append(out, h)
		}
	}
	return out
}

func shortLawName(name string) string {
	if s := strings.TrimPrefix(name, nationalPrefix); s != "" {
		return s
	}
	return name
}

// lawKey identifies a law across sources that spell it with or without the
// 中华人民共和国 prefix.
func lawKey(name string) string { return normalizeLawName(shortLawName(name)) }

// normalizeLawName drops book-title marks, spaces and every 中华人民共和国,
// and writes parentheses half-width, so that 《中华人民共和国 民法典》 and 民法典
// meet, and so do the interpretations cited as 关于适用《民法典》… and
// 关于适用《中华人民共和国民法典》….
func normalizeLawName(s string) string {
	s = strings.Map(func(r rune) rune {
		r = foldWidth(r)
		switch r {
		case '《', '》', '<', '>', '〈', '〉', '"', '“', '”', ' ', '\t', '　':
			return -1
		}
		return r
	}, s)
	return strings.ReplaceAll(s, nationalPrefix, "")
}

var stardNameRE = regexp.MustCompile(`^(.+)第([零〇一二两三四五六七八九十百千]+)条(?:之([一二三四五六七八九十]+))?$`)

// jsonlRecord is one line of a STARD-format corpus.
type jsonlRecord struct {
	ID      json.RawMessage `json:"id"`
	Name    string          `json:"name"`
	Content string          `json:"content"`
	Source  string          `json:"source"`
}

// LoadJSONL reads a corpus in STARD's format, one {"id","name","content",
// "source"} object a line, and groups the articles into laws by the law name
// parsed from "name"; the version date comes from "(YYYY-MM-DD)" in source.
func LoadJSONL(r io.Reader) ([]*Law, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<20), 16<<20)
	byName := make(map[string]*Law)
	var laws []*Law
	lineNo := 0
	for sc.Scan() {
		lineNo++
		b := sc.Bytes()
		if len(strings.TrimSpace(string(b))) == 0 {
			continue
		}
		var rec jsonlRecord
		if err := json.Unmarshal(b, &rec); err != nil {
			return nil, fmt.Errorf("knowledge: jsonl line %d: %w", lineNo, err)
		}
		m := stardNameRE.FindStringSubmatch(strings.TrimSpace(rec.Name))
		if m == nil {
			return nil, fmt.Errorf("knowledge: jsonl line %d: name %q is not <law>第X条", lineNo, rec.Name)
		}
		num, err := ParseChinese(m[2])
		if err != nil || num <= 0 {
			return nil, fmt.Errorf("knowledge: jsonl line %d: bad article number in %q", lineNo, rec.Name)
		}
		sub := 0
		if m[3] != "" {
			if sub, err = ParseChinese(m[3]); err != nil {
				return nil, fmt.Errorf("knowledge: jsonl line %d: bad suffix in %q", lineNo, rec.Name)
			}
		}
		lawName := m[1]
		l := byName[lawName]
		if l == nil {
			l = &Law{Name: lawName, ShortName: shortLawName(lawName), Source: rec.Source,
				byNum: make(map[articleKey]*Article)}
			if dm := fileDateRE.FindStringSubmatch(path.Base(rec.Source)); dm != nil {
				l.Version = isoDate(dm[1], dm[2], dm[3])
			}
			byName[lawName] = l
			laws = append(laws, l)
		}
		key := articleKey{num, sub}
		if l.byNum[key] != nil {
			return nil, fmt.Errorf("knowledge: jsonl line %d: duplicate article %q", lineNo, rec.Name)
		}
		a := &Article{Law: l, Number: num, Sub: sub, Text: strings.TrimSpace(rec.Content)}
		l.byNum[key] = a
		l.Articles = append(l.Articles, a)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("knowledge: jsonl: %w", err)
	}
	if len(laws) == 0 {
		return nil, errors.New("knowledge: jsonl: no articles")
	}
	return laws, nil
}
