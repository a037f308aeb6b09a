package knowledge

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

//go:embed faq.yaml
var defaultFAQ []byte

// DefaultFAQ returns the embedded starter FAQ (YAML), for staff to copy and edit.
func DefaultFAQ() []byte { return bytes.Clone(defaultFAQ) }

// DefaultFAQVars are the values used for placeholders the configuration
// leaves unset, so an unconfigured office still gives a sensible reply.
func DefaultFAQVars() map[string]string {
	return map[string]string{
		"station_address": "请咨询所在社区居委会",
		"station_hours":   "以街道公告为准",
	}
}

// FAQEntry is one office-curated question and answer.
type FAQEntry struct {
	// ID is a stable identifier for logs and counters.
	ID string
	// Question is the canonical wording.
	Question string
	// Paraphrases are other wordings residents use.
	Paraphrases []string
	// Answer is the reply text with placeholders filled in.
	Answer string
	// Cites are the articles the answer relies on, resolved at load.
	Cites []*Article
	// Tags group entries, e.g. 法律援助.
	Tags []string
}

// faqRecord is the YAML shape of an entry.
type faqRecord struct {
	ID          string   `yaml:"id"`
	Question    string   `yaml:"question"`
	Paraphrases []string `yaml:"paraphrases"`
	Answer      string   `yaml:"answer"`
	Cites       []string `yaml:"cites"`
	Tags        []string `yaml:"tags"`
}

var (
	faqIDRE       = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`)
	placeholderRE = regexp.MustCompile(`\{\{\s*([A-Za-z0-9_]+)\s*\}\}`)
)

// ParseFAQ parses and validates FAQ YAML against the corpus: ids must be
// unique, questions and answers non-empty, every cited article must exist
// and every {{placeholder}} must have a value in vars. Errors name the entry.
func ParseFAQ(data []byte, c *Corpus, vars map[string]string) ([]*FAQEntry, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var recs []faqRecord
	if err := dec.Decode(&recs); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("knowledge: faq: %w", err)
	}
	seen := make(map[string]bool, len(recs))
	var errs []error
	entries := make([]*FAQEntry, 0, len(recs))
	for i, r := range recs {
		name := r.ID
		if name == "" {
			name = fmt.Sprintf("#%d", i+1)
		}
		entryErr := func(format string, args ...any) {
			errs = append(errs, fmt.Errorf("knowledge: faq %s: %s", name, fmt.Sprintf(format, args...)))
		}
		switch {
		case r.ID == "":
			entryErr("missing id")
		case !faqIDRE.MatchString(r.ID):
			entryErr("id must be lower-case letters, digits and '-'")
		case seen[r.ID]:
			entryErr("duplicate id")
		}
		seen[r.ID] = true
		if strings.TrimSpace(r.Question) == "" {
			entryErr("missing question")
		}
		if strings.TrimSpace(r.Answer) == "" {
			entryErr("missing answer")
		}
		e := &FAQEntry{ID: r.ID, Question: strings.TrimSpace(r.Question), Tags: r.Tags}
		for _, p := range r.Paraphrases {
			if p = strings.TrimSpace(p); p != "" {
				e.Paraphrases = append(e.Paraphrases, p)
			}
		}
		answer, missing := render(strings.TrimSpace(r.Answer), vars)
		if len(missing) > 0 {
			entryErr("no value for placeholder(s) %s", strings.Join(missing, ", "))
		}
		e.Answer = answer
		for _, cite := range r.Cites {
			ref, ok := ParseArticleRef(cite)
			if !ok {
				entryErr("cite %q is not an article reference such as 民法典第一千零七十七条", cite)
				continue
			}
			res := c.Resolve(ref)
			if res.Status != LookupFound {
				entryErr("cite %q: %s", cite, res.Status)
				continue
			}
			e.Cites = append(e.Cites, res.Article)
		}
		entries = append(entries, e)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return entries, nil
}

// render fills {{name}} placeholders from vars and reports names it could
// not fill, in order of appearance.
func render(s string, vars map[string]string) (string, []string) {
	var missing []string
	out := placeholderRE.ReplaceAllStringFunc(s, func(m string) string {
		name := placeholderRE.FindStringSubmatch(m)[1]
		if v, ok := vars[name]; ok {
			return v
		}
		if !slices.Contains(missing, name) {
			missing = append(missing, name)
		}
		return m
	})
	return out, missing
}

// faqVariant is one wording of an entry as an idf-weighted term set.
type faqVariant struct {
	entry int
	terms map[uint64]float32 // term → idf
	norm  float32            // Euclidean norm of the idf vector
}

// faqSnapshot is an immutable, searchable FAQ; reloads swap whole snapshots.
type faqSnapshot struct {
	entries  []*FAQEntry
	variants []faqVariant
	vocab    map[uint64]bool
}

// newFAQSnapshot indexes every question and paraphrase. Term weights come
// from the article corpus (general statistics of legal Chinese), because
// idf over a hundred short FAQ questions would be noise.
func newFAQSnapshot(entries []*FAQEntry, s *searcher) *faqSnapshot {
	snap := &faqSnapshot{entries: entries, vocab: make(map[uint64]bool)}
	var rs []rune
	var keys []uint64
	for i, e := range entries {
		texts := append([]string{e.Question}, e.Paraphrases...)
		for _, t := range texts {
			rs = s.queryRunes(rs[:0], t)
			keys = appendTerms(keys[:0], rs, emitBigrams)
			v := faqVariant{entry: i, terms: make(map[uint64]float32, len(keys))}
			for _, k := range keys {
				w := s.termIDF(k)
				v.terms[k] = w
				snap.vocab[k] = true
			}
			for _, w := range v.terms {
				v.norm += w * w
			}
			v.norm = float32(math.Sqrt(float64(v.norm)))
			if v.norm > 0 {
				snap.variants = append(snap.variants, v)
			}
		}
	}
	return snap
}

// faqHit is an entry with its similarity to the query.
type faqHit struct {
	entry *FAQEntry
	sim   float32
}

// match ranks entries by the cosine similarity of their best wording to the
// query (idf-weighted bigram sets, in [0,1]). Query bigrams found neither in
// the corpus nor in the FAQ are ignored: they straddle word boundaries
// ("助申") and would only dilute the score.
func (f *faqSnapshot) match(q string, s *searcher, k int) []faqHit {
	if f == nil || len(f.variants) == 0 || k <= 0 {
		return nil
	}
	rs := s.queryRunes(nil, q)
	keys := appendTerms(nil, rs, emitBigrams)
	qterms := make(map[uint64]float32, len(keys))
	for _, key := range keys {
		if _, known := s.content.dict[key]; !known && !f.vocab[key] {
			continue
		}
		qterms[key] = s.termIDF(key)
	}
	var qnorm float32
	for _, w := range qterms {
		qnorm += w * w
	}
	if qnorm == 0 {
		return nil
	}
	qnorm = float32(math.Sqrt(float64(qnorm)))
	best := make([]float32, len(f.entries))
	for _, v := range f.variants {
		var dot float32
		for key, w := range qterms {
			if _, ok := v.terms[key]; ok {
				dot += w * w
			}
		}
		best[v.entry] = max(best[v.entry], dot/(qnorm*v.norm))
	}
	var hits []faqHit
	for i, sim := range best {
		if sim > 0 {
			hits = append(hits, faqHit{f.entries[i], sim})
		}
	}
	slices.SortStableFunc(hits, func(a, b faqHit) int {
		switch {
		case a.sim > b.sim:
			return -1
		case a.sim < b.sim:
			return 1
		}
		return 0
	})
	if len(hits) > k {
		hits = hits[:k]
	}
	return hits
}

// termIDF is the content index's idf of a term, or the largest idf for a
// term the corpus lacks.
func (s *searcher) termIDF(key uint64) float32 {
	if id, ok := s.content.dict[key]; ok {
		return s.content.idf[id]
	}
	return idf(s.content.n, 0)
}
