// Package knowledge is pufa's legal knowledge base: the statute texts the
// office publicises (embedded Markdown, optionally whole national corpora in
// STARD's JSONL format), article lookup by citation ("民法典第1077条"),
// retrieval of articles for plain-language questions, and the office's
// editable FAQ, ranked together behind one call, Ask.
//
// A Base is immutable once built except for its FAQ, which Reload swaps
// atomically; all methods are safe for concurrent use. The package knows
// nothing of WeChat, Redis or HTTP: composing replies is the bot's job.
package knowledge

import (
	"fmt"
	"os"
	"sync/atomic"
)

// Options configures New. The zero value gives the embedded laws, the
// embedded starter FAQ and the default retrieval parameters.
type Options struct {
	// Corpus is what to search; nil means the embedded laws.
	Corpus *Corpus
	// Params tunes retrieval; nil means DefaultParams().
	Params *Params
	// Training are labelled questions retrieval learns from (optional).
	Training []LabeledQuery
	// FAQPath is the FAQ YAML file; "" means the embedded starter FAQ.
	FAQPath string
	// FAQVars fill {{placeholders}} in answers, over DefaultFAQVars().
	FAQVars map[string]string
	// NoFAQ turns the FAQ off.
	NoFAQ bool
	// FAQThreshold is the similarity (0..1) from which FAQ entries are
	// ranked before articles; 0 means 0.5.
	FAQThreshold float64
	// MinConfidence is the confidence (0..1) below which an answer is
	// marked not confident, for the caller to offer 转人工 / 12348; 0 means 0.5.
	MinConfidence float64
}

// Base is a searchable knowledge base.
type Base struct {
	corpus        *Corpus
	s             *searcher
	tr            *trained
	faq           atomic.Pointer[faqSnapshot]
	faqPath       string
	faqVars       map[string]string
	noFAQ         bool
	faqThreshold  float32
	minConfidence float32
}

// New builds a knowledge base: it parses the laws if needed, indexes them,
// learns from opts.Training and loads the FAQ, validating its citations.
func New(opts Options) (*Base, error) {
	c := opts.Corpus
	if c == nil {
		var err error
		if c, err = DefaultCorpus(); err != nil {
			return nil, err
		}
	}
	p := DefaultParams()
	if opts.Params != nil {
		p = *opts.Params
	}
	b := &Base{
		corpus:        c,
		s:             newSearcher(c, p),
		faqPath:       opts.FAQPath,
		faqVars:       DefaultFAQVars(),
		noFAQ:         opts.NoFAQ,
		faqThreshold:  orDefault(opts.FAQThreshold, 0.5),
		minConfidence: orDefault(opts.MinConfidence, 0.5),
	}
	for k, v := range opts.FAQVars {
		b.faqVars[k] = v
	}
	if len(opts.Training) > 0 {
		b.tr = b.s.train(opts.Training)
	}
	if !b.noFAQ {
		if err := b.Reload(); err != nil {
			return nil, err
		}
	}
	return b, nil
}

func orDefault(v, def float64) float32 {
	if v <= 0 {
		return float32(def)
	}
	return float32(v)
}

// Default builds the knowledge base of the embedded laws and FAQ.
func Default() (*Base, error) { return New(Options{}) }

// Corpus returns the laws the base searches.
func (b *Base) Corpus() *Corpus { return b.corpus }

// WithTraining returns a base that shares b's indexes and current FAQ but
// learns from qs instead of b's training questions (cross-validation folds
// use it to train without re-indexing the corpus).
func (b *Base) WithTraining(qs []LabeledQuery) *Base {
	nb := &Base{
		corpus: b.corpus, s: b.s, faqPath: b.faqPath, faqVars: b.faqVars, noFAQ: b.noFAQ,
		faqThreshold: b.faqThreshold, minConfidence: b.minConfidence,
	}
	if len(qs) > 0 {
		nb.tr = b.s.train(qs)
	}
	nb.faq.Store(b.faq.Load())
	return nb
}

// UnresolvedLabels counts training labels that name no article of the corpus.
func (b *Base) UnresolvedLabels() int {
	if b.tr == nil {
		return 0
	}
	return b.tr.unresolved
}

// Reload re-reads the FAQ (the file, or the embedded default) and swaps it
// in atomically; queries running meanwhile see the old or the new FAQ,
// never a mix. On error the old FAQ stays in place.
func (b *Base) Reload() error {
	if b.noFAQ {
		return nil
	}
	data := defaultFAQ
	if b.faqPath != "" {
		var err error
		if data, err = os.ReadFile(b.faqPath); err != nil {
			return fmt.Errorf("knowledge: faq: %w", err)
		}
	}
	return b.LoadFAQ(data)
}

// LoadFAQ validates FAQ YAML and swaps it in; on error the old FAQ stays.
func (b *Base) LoadFAQ(data []byte) error {
	entries, err := ParseFAQ(data, b.corpus, b.faqVars)
	if err != nil {
		return err
	}
	b.faq.Store(newFAQSnapshot(entries, b.s))
	return nil
}

// FAQ returns the entries of the current FAQ.
func (b *Base) FAQ() []*FAQEntry {
	if snap := b.faq.Load(); snap != nil {
		return snap.entries
	}
	return nil
}

// Lookup finds the article a reference names.
func (b *Base) Lookup(ref ArticleRef) LookupResult { return b.corpus.Resolve(ref) }

// HitKind tells what a hit is.
type HitKind int

// Hit kinds.
const (
	// HitArticle is a statute article.
	HitArticle HitKind = iota
	// HitFAQ is an office FAQ entry.
	HitFAQ
)

// String names the kind for logs.
func (k HitKind) String() string {
	if k == HitFAQ {
		return "faq"
	}
	return "article"
}

// Hit is one ranked result: an article or a FAQ entry.
type Hit struct {
	Kind    HitKind
	Article *Article  // set for HitArticle
	FAQ     *FAQEntry // set for HitFAQ
	// Score orders hits of one kind: the fused retrieval score for
	// articles (0 for an article the question cites by number), the
	// similarity (0..1) for FAQ entries.
	Score float64
	// Confidence in [0,1] is comparable across kinds: for a FAQ entry its
	// similarity to the question; for an article, the larger of the share of
	// the question's terms (idf-weighted) its text contains and the
	// similarity of the nearest training question citing it.
	Confidence float64
}

// Answer is the result of Ask.
type Answer struct {
	// Query is the question as asked.
	Query string
	// Lookup is set when the whole query is an article reference; then
	// Hits is empty and Lookup.Message explains a miss.
	Lookup *LookupResult
	// Hits are ranked results, best first; FAQ entries above the threshold
	// come first, and articles a longer question cites by number lead the
	// articles.
	Hits []Hit
	// Confidence is the first hit's confidence (1 for a found lookup).
	Confidence float64
	// Confident reports Confidence ≥ the base's MinConfidence; when false
	// the caller should suggest 转人工 or the 12348 hotline.
	Confident bool
}

// Search ranks articles only, best first; k ≤ 0 means 10.
func (b *Base) Search(q string, k int) []Hit {
	if k <= 0 {
		k = 10
	}
	res := b.s.search(q, k, b.tr)
	hits := make([]Hit, len(res))
	arts := b.corpus.Articles()
	for i, r := range res {
		hits[i] = Hit{Kind: HitArticle, Article: arts[r.doc], Score: float64(r.score), Confidence: float64(r.confidence)}
	}
	return hits
}

// Ask answers a resident's message: an article lookup if the message is a
// reference such as 民法典第1077条, otherwise FAQ entries and articles
// ranked for the question. k ≤ 0 means 10.
func (b *Base) Ask(q string, k int) Answer {
	if k <= 0 {
		k = 10
	}
	ans := Answer{Query: q}
	if ref, ok := ParseArticleRef(q); ok {
		res := b.Lookup(ref)
		ans.Lookup = &res
		if res.Status == LookupFound {
			ans.Confidence, ans.Confident = 1, true
		}
		return ans
	}
	for _, h := range b.faq.Load().match(q, b.s, 3) {
		if h.sim < b.faqThreshold || len(ans.Hits) >= k {
			break
		}
		ans.Hits = append(ans.Hits, Hit{Kind: HitFAQ, FAQ: h.entry, Score: float64(h.sim), Confidence: float64(h.sim)})
	}
	seen := make(map[*Article]bool)
	for _, ref := range FindArticleRefs(q) {
		if res := b.Lookup(ref); res.Status == LookupFound && !seen[res.Article] && len(ans.Hits) < k {
			seen[res.Article] = true
			ans.Hits = append(ans.Hits, Hit{Kind: HitArticle, Article: res.Article, Score: 0, Confidence: 1})
		}
	}
	for _, h := range b.Search(q, k) {
		if len(ans.Hits) >= k {
			break
		}
		if !seen[h.Article] {
			seen[h.Article] = true
			ans.Hits = append(ans.Hits, h)
		}
	}
	if len(ans.Hits) > 0 {
		ans.Confidence = ans.Hits[0].Confidence
	}
	ans.Confident = ans.Confidence >= float64(b.minConfidence)
	return ans
}
