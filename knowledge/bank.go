package knowledge

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/pufa-dev/pufa/clip"
)

// The answer bank (问答库) shipped in the binary: one YAML file a topic.
//
//go:embed bank/*.yaml
var bankFS embed.FS

// Layer tells where an entry comes from. An office's own entries win over
// the shipped bank: they carry its address, hours and procedures.
type Layer int

// Layers, lowest first.
const (
	// LayerBank is the shipped answer bank.
	LayerBank Layer = iota
	// LayerOffice is the office's FAQ file (knowledge.faq_file).
	LayerOffice
)

// String names the layer for logs and the console.
func (l Layer) String() string {
	if l == LayerOffice {
		return "office"
	}
	return "bank"
}

// Citation is one article an answer rests on and the sentence of it that
// carries the answer, shown to the resident with the article's version date.
type Citation struct {
	Article *Article
	// Quote is a verbatim extract of the article's current text; "" when the
	// entry gives none (office FAQ entries may omit it).
	Quote string
}

// Entry is one question of the answer bank or the office FAQ: the canonical
// question, the wordings residents use, a plain answer that puts the
// conclusion first, what to do next and the articles it rests on.
type Entry struct {
	// ID is a stable identifier for logs, counters and the console.
	ID string
	// Layer is where the entry comes from.
	Layer Layer
	// Topic groups entries, e.g. 劳动报酬; the first tag for FAQ entries.
	Topic string
	// Question is the canonical wording.
	Question string
	// Paraphrases are other wordings residents use, typos included.
	Paraphrases []string
	// Answer is the reply: conclusion first, then the conditions.
	Answer string
	// Next says what to do and where to go; "" when the answer says it.
	Next string
	// Cites are the articles the answer relies on, the main one first.
	Cites []Citation
	// Tags group FAQ entries, e.g. 法律援助.
	Tags []string
	// Author wrote the entry; ReviewedBy and ReviewedAt (YYYY-MM-DD) name
	// the person who checked it against the law and when, "" until then.
	Author, ReviewedBy, ReviewedAt string
	// Disabled entries are kept but never matched.
	Disabled bool
}

// Articles returns the cited articles in order.
func (e *Entry) Articles() []*Article {
	out := make([]*Article, len(e.Cites))
	for i, c := range e.Cites {
		out[i] = c.Article
	}
	return out
}

// EntryRecord is the stored shape of an entry (YAML in the bank and the FAQ,
// JSON for staff edits kept in Redis): references instead of articles.
type EntryRecord = entryRecord

// CiteRecord is one citation of an EntryRecord.
type CiteRecord = citeRecord

// entryRecord is the YAML shape of an entry, shared by the bank, the office
// FAQ and the console's edits.
type entryRecord struct {
	ID          string       `yaml:"id" json:"id"`
	Topic       string       `yaml:"topic,omitempty" json:"topic"`
	Question    string       `yaml:"question" json:"question"`
	Paraphrases []string     `yaml:"paraphrases,omitempty" json:"paraphrases"`
	Answer      string       `yaml:"answer" json:"answer"`
	Next        string       `yaml:"next,omitempty" json:"next,omitempty"`
	Cites       []citeRecord `yaml:"cites,omitempty" json:"cites"`
	Tags        []string     `yaml:"tags,omitempty" json:"tags,omitempty"`
	Author      string       `yaml:"author,omitempty" json:"author,omitempty"`
	ReviewedBy  string       `yaml:"reviewed_by,omitempty" json:"reviewed_by,omitempty"`
	ReviewedAt  string       `yaml:"reviewed_at,omitempty" json:"reviewed_at,omitempty"`
	Disabled    bool         `yaml:"disabled,omitempty" json:"disabled,omitempty"`
}

// citeRecord is `民法典第一千零七十七条` or {ref: …, quote: …}.
type citeRecord struct {
	Ref   string `yaml:"ref" json:"ref"`
	Quote string `yaml:"quote,omitempty" json:"quote,omitempty"`
}

// UnmarshalYAML accepts a bare reference as well as the mapping.
func (c *citeRecord) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		c.Ref = n.Value
		return nil
	}
	type plain citeRecord
	var p plain
	dec := n.Decode
	if err := dec(&p); err != nil {
		return err
	}
	*c = citeRecord(p)
	return nil
}

// Limits that keep a reply within WeChat's 2,048 bytes with its citation,
// next step and disclaimer.
const (
	maxAnswerRunes = 300
	maxNextRunes   = 200
	maxQuoteRunes  = 160
	minParaphrases = 3
)

// knownHotlines are the national public-service numbers an answer may give;
// any other number is an invention until an office puts it in its own FAQ.
var knownHotlines = map[string]bool{
	"12348": true, // 公共法律服务
	"12333": true, // 人力资源和社会保障
	"12315": true, // 市场监管（消费投诉）
	"12345": true, // 政务服务便民热线
	"12338": true, // 妇女维权
	"12355": true, // 青少年服务
	"12351": true, // 职工维权（工会）
	"12309": true, // 检察服务
	"12368": true, // 法院诉讼服务
	"96110": true, // 反诈预警劝阻
	"110":   true, "120": true, "122": true, "119": true,
}

var (
	digitsRE = regexp.MustCompile(`[0-9]{3,}`)
	// periodRE finds time limits, multiples and ages, the figures a resident
	// acts on and the ones that must come from a cited article.
	periodRE = regexp.MustCompile(`([0-9零〇一二两三四五六七八九十百千]+)(个工作日|个月|日|天|年|倍|小时|周岁)`)
)

// parseEntries decodes YAML entries of one layer and validates them against
// the corpus. The bank is held to stricter rules than the office FAQ: every
// entry has a topic, paraphrases and at least one citation whose quote is
// found word for word in the current article, and every time limit, multiple
// and phone number in its text must come from a cited article or the list of
// national hotlines. Errors name the file and entry; nothing is returned
// unless every entry is valid.
func parseEntries(name string, data []byte, layer Layer, c *Corpus, vars map[string]string) ([]*Entry, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var recs []entryRecord
	if err := dec.Decode(&recs); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("knowledge: %s: %w", name, err)
	}
	var errs []error
	entries := make([]*Entry, 0, len(recs))
	seen := make(map[string]bool, len(recs))
	for i, r := range recs {
		e, err := buildEntry(r, layer, c, vars)
		id := r.ID
		if id == "" {
			id = fmt.Sprintf("#%d", i+1)
		}
		if err == nil && seen[r.ID] {
			err = errors.New("duplicate id")
		}
		seen[r.ID] = true
		if err != nil {
			errs = append(errs, fmt.Errorf("knowledge: %s %s: %w", name, id, err))
			continue
		}
		entries = append(entries, e)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return entries, nil
}

// buildEntry checks one record of the given layer and makes its entry; the
// error joins every problem found.
func buildEntry(r entryRecord, layer Layer, c *Corpus, vars map[string]string) (*Entry, error) {
	var errs []string
	fail := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	switch {
	case r.ID == "":
		fail("missing id")
	case !faqIDRE.MatchString(r.ID):
		fail("id must be lower-case letters, digits and '-'")
	}
	e := &Entry{
		ID: r.ID, Layer: layer, Topic: strings.TrimSpace(r.Topic), Question: strings.TrimSpace(r.Question),
		Tags: r.Tags, Author: r.Author, ReviewedBy: r.ReviewedBy, ReviewedAt: r.ReviewedAt, Disabled: r.Disabled,
	}
	if e.Topic == "" && len(r.Tags) > 0 {
		e.Topic = r.Tags[0]
	}
	if e.Question == "" {
		fail("missing question")
	}
	for _, p := range r.Paraphrases {
		if p = strings.TrimSpace(p); p != "" {
			e.Paraphrases = append(e.Paraphrases, p)
		}
	}
	var missing []string
	e.Answer, missing = render(strings.TrimSpace(r.Answer), vars)
	next, missingNext := render(strings.TrimSpace(r.Next), vars)
	e.Next = next
	missing = append(missing, missingNext...)
	if len(missing) > 0 {
		fail("no value for placeholder(s) %s", strings.Join(missing, ", "))
	}
	if e.Answer == "" {
		fail("missing answer")
	}
	if r.ReviewedAt != "" && !dateRE.MatchString(r.ReviewedAt) {
		fail("reviewed_at %q is not YYYY-MM-DD", r.ReviewedAt)
	}
	for _, cr := range r.Cites {
		ref, ok := ParseArticleRef(cr.Ref)
		if !ok {
			fail("cite %q is not an article reference such as 民法典第一千零七十七条", cr.Ref)
			continue
		}
		res := c.Resolve(ref)
		if res.Status != LookupFound {
			fail("cite %q: %s", cr.Ref, res.Status)
			continue
		}
		q := strings.TrimSpace(cr.Quote)
		if q != "" && !strings.Contains(compactSpace(res.Article.Text), compactSpace(q)) {
			fail("cite %q: quote %q is not in the article's current text", cr.Ref, clip.Runes(q, 31))
		}
		if utf8.RuneCountInString(q) > maxQuoteRunes {
			fail("cite %q: quote is longer than %d characters", cr.Ref, maxQuoteRunes)
		}
		e.Cites = append(e.Cites, Citation{Article: res.Article, Quote: q})
	}
	if layer == LayerBank {
		if e.Topic == "" {
			fail("missing topic")
		}
		if len(e.Paraphrases) < minParaphrases {
			fail("has %d paraphrases, want at least %d", len(e.Paraphrases), minParaphrases)
		}
		if len(r.Cites) == 0 {
			fail("cites no article")
		}
		for _, cr := range r.Cites {
			if strings.TrimSpace(cr.Quote) == "" {
				fail("cite %q has no quote", cr.Ref)
			}
		}
		if n := utf8.RuneCountInString(e.Answer); n > maxAnswerRunes {
			fail("answer has %d characters, at most %d", n, maxAnswerRunes)
		}
		if n := utf8.RuneCountInString(e.Next); n > maxNextRunes {
			fail("next has %d characters, at most %d", n, maxNextRunes)
		}
		for _, msg := range untracedFigures(e) {
			fail("%s", msg)
		}
	}
	if len(errs) > 0 {
		return nil, entryProblems(errs)
	}
	return e, nil
}

// entryProblems are every problem of one entry. The message joins them with
// "; " as the loader always printed them; Unwrap gives them one by one, so
// the console can translate each and show it beside its field.
type entryProblems []string

func (p entryProblems) Error() string { return strings.Join(p, "; ") }

func (p entryProblems) Unwrap() []error {
	out := make([]error, len(p))
	for i, m := range p {
		out[i] = errors.New(m)
	}
	return out
}

var dateRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// untracedFigures lists phone numbers that are not national hotlines and time
// limits or multiples that no cited article states, so an answer never
// promises a deadline or amount the law it cites does not give.
func untracedFigures(e *Entry) []string {
	text := e.Answer + "\n" + e.Next
	var cited strings.Builder
	for _, c := range e.Cites {
		cited.WriteString(normalizeFigures(c.Article.Text))
	}
	var out []string
	for _, d := range digitsRE.FindAllString(text, -1) {
		if !knownHotlines[d] && !isYear(d) {
			out = append(out, fmt.Sprintf("number %s is not a national hotline", d))
		}
	}
	for _, m := range periodRE.FindAllString(normalizeFigures(text), -1) {
		if !strings.Contains(cited.String(), m) {
			out = append(out, fmt.Sprintf("%q is not stated by any cited article", m))
		}
	}
	return out
}

func isYear(d string) bool { return len(d) == 4 && (d[:2] == "19" || d[:2] == "20") }

// normalizeFigures writes small Arabic numbers as the statutes do (30日 →
// 三十日) and 天 as 日, so an answer's "30天" meets an article's "三十日".
func normalizeFigures(s string) string {
	s = strings.ReplaceAll(s, "天", "日")
	s = strings.ReplaceAll(s, "两", "二")
	return arabicRE.ReplaceAllStringFunc(s, func(d string) string {
		n, ok := parseArabic(d)
		if !ok || n > 9999 || len(d) > 4 {
			return d
		}
		return FormatChinese(n)
	})
}

var arabicRE = regexp.MustCompile(`[0-9]+`)

func compactSpace(s string) string {
	return strings.Join(strings.Fields(s), "")
}

// BankFiles lists the embedded bank files.
func BankFiles() []string {
	names, _ := fs.Glob(bankFS, "bank/*.yaml")
	slices.Sort(names)
	return names
}

// BankDigest fingerprints the embedded bank files: DefaultScorer records
// the digest of the bank it was fitted on, so a test notices a bank changed
// without a refit.
func BankDigest() string {
	h := sha256.New()
	for _, name := range BankFiles() {
		data, _ := bankFS.ReadFile(name)
		fmt.Fprintf(h, "%s\x00%d\x00", name, len(data))
		h.Write(data)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// Digest names a file's content, as BankDigest names the bank's: the blind
// resident set the calibrator is fitted on is named so.
func Digest(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])[:16]
}

// LoadBank parses every embedded bank file against the corpus.
func LoadBank(c *Corpus) ([]*Entry, error) { return loadBank(c, nil) }

// loadBank parses the named embedded bank files, or all of them when names
// is nil.
func loadBank(c *Corpus, names []string) ([]*Entry, error) {
	files := BankFiles()
	if names != nil {
		files = files[:0:0]
		for _, n := range names {
			files = append(files, "bank/"+n)
		}
	}
	var all []*Entry
	var errs []error
	seen := make(map[string]string)
	for _, name := range files {
		data, err := fs.ReadFile(bankFS, name)
		if err != nil {
			return nil, fmt.Errorf("knowledge: %w", err)
		}
		entries, err := parseEntries(name, data, LayerBank, c, nil)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, e := range entries {
			if prev, dup := seen[e.ID]; dup {
				errs = append(errs, fmt.Errorf("knowledge: %s %s: id also used in %s", name, e.ID, prev))
				continue
			}
			seen[e.ID] = name
			all = append(all, e)
		}
	}
	return all, errors.Join(errs...)
}

// CheckBankFile validates one bank file as the loader would, for authors
// checking a file before it is embedded.
func CheckBankFile(name string, data []byte, c *Corpus) ([]*Entry, error) {
	return parseEntries(name, data, LayerBank, c, nil)
}

// Record returns the entry in its stored shape, citations as references
// such as 劳动合同法第三十条, for an edit form or for storing an edit.
func (e *Entry) Record() EntryRecord {
	r := EntryRecord{
		ID: e.ID, Topic: e.Topic, Question: e.Question, Paraphrases: slices.Clone(e.Paraphrases),
		Answer: e.Answer, Next: e.Next, Tags: slices.Clone(e.Tags), Author: e.Author,
		ReviewedBy: e.ReviewedBy, ReviewedAt: e.ReviewedAt, Disabled: e.Disabled,
	}
	for _, c := range e.Cites {
		r.Cites = append(r.Cites, CiteRecord{Ref: c.Article.Law.ShortName + c.Article.NumberCN(), Quote: c.Quote})
	}
	return r
}

// ValidateEdit checks a staff edit of a bank entry (or a new entry) by the
// bank's rules and returns the entry it makes; the error lists every
// problem, and unwraps (Unwrap() []error) into one error a problem.
func (b *Base) ValidateEdit(r EntryRecord) (*Entry, error) {
	return buildEntry(r, LayerBank, b.corpus, nil)
}

// ApplyEdits replaces the staff edits layered over the bank: each record
// replaces the bank entry of its id, or adds an entry. Every record is
// validated first; on any error nothing changes.
func (b *Base) ApplyEdits(recs []EntryRecord) error {
	edits := make([]*Entry, 0, len(recs))
	var errs []error
	for _, r := range recs {
		e, err := b.ValidateEdit(r)
		if err != nil {
			errs = append(errs, fmt.Errorf("knowledge: edit %s: %w", r.ID, err))
			continue
		}
		edits = append(edits, e)
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	b.swap(func() { b.edits = edits })
	return nil
}
