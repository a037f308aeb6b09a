// Package knowledge is pufa's legal knowledge base: the statute texts the
// office publicises (the embedded national snapshot, by default the laws a
// street's residents ask about), article lookup by citation
// ("民法典第1077条"), the answer bank (问答库) with the office's editable FAQ
// as its top layer, and retrieval of articles, ranked together behind one
// call, Ask, which also decides how sure the answer is.
//
// A Base is immutable once built except for its answer entries, which
// Reload (the FAQ file) and ApplyEdits (staff edits from the console) swap
// atomically; all methods are safe for concurrent use. The package knows
// nothing of WeChat, Redis or HTTP: composing replies is the bot's job.
package knowledge

import (
	"cmp"
	"fmt"
	"os"
	"slices"
	"sync"
	"sync/atomic"
)

// Options configures New. The zero value gives the embedded default laws,
// the embedded answer bank and starter FAQ and the calibrated thresholds.
type Options struct {
	// Corpus is what to search; nil means the embedded default laws.
	Corpus *Corpus
	// Params tunes retrieval; nil means DefaultParams().
	Params *Params
	// Training are labelled questions retrieval learns from (optional).
	Training []LabeledQuery
	// LearnFromBank adds the answer bank's wordings, labelled with their
	// entries' articles, to Training (and WideTraining).
	LearnFromBank bool
	// Wide is a wider corpus (the national set, corpus files) for statute
	// lookups and for the articles shown when no entry answers; nil = none.
	// Entries are matched on Corpus alone, so a wider corpus never changes
	// which entry answers a question, nor how sure it is.
	Wide *Corpus
	// WideTraining are the labelled questions the wide corpus's retrieval
	// learns from.
	WideTraining []LabeledQuery
	// FAQPath is the FAQ YAML file; "" means the embedded starter FAQ.
	FAQPath string
	// FAQVars fill {{placeholders}} in answers, over DefaultFAQVars().
	FAQVars map[string]string
	// NoFAQ turns the office FAQ off.
	NoFAQ bool
	// NoBank leaves the shipped answer bank out.
	NoBank bool
	// BankFiles names the embedded bank files to load (e.g.
	// "labour-pay.yaml"); nil loads them all. Tests use it for a small bank.
	BankFiles []string
	// Thresholds decide confident, choose and unsure; nil means
	// DefaultThresholds().
	Thresholds *Thresholds
	// Scorer weighs an entry's signals into its confidence; nil means
	// DefaultScorer().
	Scorer *Scorer
}

// Thresholds turn the scorer's probabilities into decisions. `pufa kb fit`
// prints the entry threshold: the lowest at which wordings held out of the
// bank are answered rightly 90% of the time and the blind resident
// questions, each scored by a calibrator fitted without its writer's
// questions, 90% of the time.
type Thresholds struct {
	// Entry is the probability from which the best bank or FAQ entry is
	// answered with confidence.
	Entry float64
	// Article is the confidence from which an article alone is answered
	// with confidence (no entry close enough).
	Article float64
	// Choice is the probability from which entries are offered as readings
	// ("您是想问 1/2/3") when none is confident. From 0.2 readings reach
	// nine in ten held-out wordings the bank does not answer with confidence
	// (three in four holding the right entry); they also reach half of
	// LeCoQA's questions the bank cannot answer, which costs a resident one
	// "都不是" where a hedge would have said as much (`pufa kb fit`).
	Choice float64
	// Reading is the probability from which an unsure question's best
	// reading is answered on that reading, said to be one, with the other
	// readings offered: a resident who typed "驾照12分扣完了咋办" gets the
	// answer at once, not a question back. `pufa kb fit` prints it: the
	// lowest (from 0.5, in steps of 0.05) from which up to the entry
	// threshold the blind questions' best readings, each scored by a
	// calibrator fitted without its writer, are right two times in three.
	Reading float64
	// BM25 blends into an entry's similarity, which picks the entries the
	// scorer looks at, how much of the question its whole text (wordings,
	// answer, quotes) covers, against the cosine of its best wording.
	BM25 float64
}

// DefaultThresholds are the calibrated thresholds.
func DefaultThresholds() Thresholds {
	return Thresholds{Entry: 0.90, Article: 1.01, Choice: 0.2, Reading: 0.75, BM25: 0.7}
}

// Base is a searchable knowledge base.
type Base struct {
	corpus  *Corpus
	s       *searcher
	tr      *trained
	wide    *Corpus   // nil unless Options.Wide
	ws      *searcher // over wide
	wtr     *trained
	sp      *spelling
	th      Thresholds
	scorer  Scorer
	bank    []*Entry
	faqPath string
	faqVars map[string]string
	noFAQ   bool

	mu     sync.Mutex // serialises swaps of the layers below
	office []*Entry
	edits  []*Entry
	index  atomic.Pointer[entryIndex]
}

// New builds a knowledge base: it parses the laws if needed, indexes them,
// learns from opts.Training, loads the answer bank and the FAQ and validates
// their citations.
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
		corpus:  c,
		sp:      newSpelling(residentSpellings),
		th:      DefaultThresholds(),
		scorer:  DefaultScorer(),
		faqPath: opts.FAQPath,
		faqVars: DefaultFAQVars(),
		noFAQ:   opts.NoFAQ,
	}
	if opts.Thresholds != nil {
		b.th = *opts.Thresholds
	}
	if opts.Scorer != nil {
		b.scorer = *opts.Scorer
	}
	for k, v := range opts.FAQVars {
		b.faqVars[k] = v
	}
	// Start-up builds independent parts side by side (the default start is
	// held to a second): the bank parses while the statutes are indexed,
	// then retrieval learns while the entries are indexed.
	var wg sync.WaitGroup
	var bankErr error
	if !opts.NoBank {
		wg.Go(func() { b.bank, bankErr = loadBank(c, opts.BankFiles) })
	}
	b.s = newSearcher(c, p)
	wg.Wait()
	if bankErr != nil {
		return nil, bankErr
	}
	training, wideTraining := opts.Training, opts.WideTraining
	if opts.LearnFromBank {
		bt := BankTraining(b.bank)
		training = append(slices.Clip(training), bt...)
		wideTraining = append(slices.Clip(wideTraining), bt...)
	}
	if len(training) > 0 {
		wg.Go(func() { b.tr = b.s.train(training) })
	}
	if opts.Wide != nil {
		b.wide = opts.Wide
		wg.Go(func() {
			b.ws = newSearcher(opts.Wide, p)
			if len(wideTraining) > 0 {
				b.wtr = b.ws.train(wideTraining)
			}
		})
	}
	err := b.Reload()
	wg.Wait()
	if err != nil {
		return nil, err
	}
	return b, nil
}

// Default builds the knowledge base of the embedded laws, bank and FAQ.
func Default() (*Base, error) { return New(Options{}) }

// Corpus returns every law the base can look up and cite: the wide corpus
// when there is one.
func (b *Base) Corpus() *Corpus {
	if b.wide != nil {
		return b.wide
	}
	return b.corpus
}

// Thresholds returns the thresholds in use.
func (b *Base) Thresholds() Thresholds { return b.th }

// Scorer returns the entry scorer in use.
func (b *Base) Scorer() Scorer { return b.scorer }

// WithTraining returns a base that shares b's indexes and current entries
// but learns from qs instead of b's training questions (cross-validation
// folds use it to train without re-indexing the corpus).
func (b *Base) WithTraining(qs []LabeledQuery) *Base {
	nb := &Base{
		corpus: b.corpus, s: b.s, sp: b.sp, th: b.th, scorer: b.scorer, bank: b.bank,
		faqPath: b.faqPath, faqVars: b.faqVars, noFAQ: b.noFAQ,
		wide: b.wide, ws: b.ws, wtr: b.wtr,
	}
	if len(qs) > 0 {
		nb.tr = b.s.train(qs)
	}
	b.mu.Lock()
	nb.office, nb.edits = b.office, b.edits
	b.mu.Unlock()
	nb.index.Store(b.index.Load())
	return nb
}

// WithThresholds returns a base that shares b's indexes and entries and
// decides with th (calibration tries many).
func (b *Base) WithThresholds(th Thresholds) *Base {
	nb := b.WithTraining(nil)
	nb.tr, nb.th = b.tr, th
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
// in atomically; queries running meanwhile see the old or the new entries,
// never a mix. On error the old FAQ stays in place.
func (b *Base) Reload() error {
	if b.noFAQ {
		b.swap(func() {})
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
	entries, err := ParseFAQ(data, b.Corpus(), b.faqVars)
	if err != nil {
		return err
	}
	b.swap(func() { b.office = entries })
	return nil
}

// swap changes a layer under the lock and publishes a new index.
func (b *Base) swap(change func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	change()
	b.index.Store(newEntryIndex(b.office, b.layeredBank(), b.s, b.sp))
}

// layeredBank is the shipped bank with staff edits replacing entries of the
// same id and staff-added entries after them.
func (b *Base) layeredBank() []*Entry {
	if len(b.edits) == 0 {
		return b.bank
	}
	edited := make(map[string]*Entry, len(b.edits))
	for _, e := range b.edits {
		edited[e.ID] = e
	}
	out := make([]*Entry, 0, len(b.bank)+len(b.edits))
	for _, e := range b.bank {
		if ed := edited[e.ID]; ed != nil {
			out = append(out, ed)
			delete(edited, e.ID)
			continue
		}
		out = append(out, e)
	}
	for _, e := range b.edits {
		if edited[e.ID] != nil {
			out = append(out, e)
		}
	}
	return out
}

// FAQ returns the entries of the office FAQ.
func (b *Base) FAQ() []*Entry {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.office
}

// Entries returns every answer entry as residents get them: the office FAQ,
// then the bank with staff edits, disabled entries included.
func (b *Base) Entries() []*Entry { return b.index.Load().all }

// Entry returns the entry residents get for an id, or nil.
func (b *Base) Entry(id string) *Entry { return b.index.Load().byID[id] }

// ShippedEntry returns the bank's own entry for an id, before staff edits.
func (b *Base) ShippedEntry(id string) *Entry {
	for _, e := range b.bank {
		if e.ID == id {
			return e
		}
	}
	return nil
}

// Lookup finds the article a reference names.
func (b *Base) Lookup(ref ArticleRef) LookupResult { return b.Corpus().Resolve(ref) }

// HitKind tells what a hit is.
type HitKind int

// Hit kinds.
const (
	// HitArticle is a statute article.
	HitArticle HitKind = iota
	// HitEntry is an answer-bank or office FAQ entry.
	HitEntry
)

// String names the kind for logs.
func (k HitKind) String() string {
	if k == HitEntry {
		return "entry"
	}
	return "article"
}

// Hit is one ranked result: an article or an answer entry.
type Hit struct {
	Kind    HitKind
	Article *Article // set for HitArticle
	Entry   *Entry   // set for HitEntry
	// Score orders hits of one kind: the fused retrieval score for
	// articles (0 for an article the question cites by number), the
	// similarity (0..1) for entries.
	Score float64
	// Cites are an entry's citations, the deciding article first.
	Cites []Citation
	// Confidence in [0,1]: for an entry its similarity to the question; for
	// an article, the larger of the share of the question's terms
	// (idf-weighted) its text contains and the similarity of the nearest
	// training question citing it.
	Confidence float64
}

// FirstCitation is the article a hit rests on first, or nil.
func (h Hit) FirstCitation() *Article {
	if h.Kind == HitArticle {
		return h.Article
	}
	if len(h.Cites) > 0 {
		return h.Cites[0].Article
	}
	if h.Entry != nil && len(h.Entry.Cites) > 0 {
		return h.Entry.Cites[0].Article
	}
	return nil
}

// Citations are the hit's citations as they should be shown.
func (h Hit) Citations() []Citation {
	if len(h.Cites) > 0 {
		return h.Cites
	}
	if h.Entry != nil {
		return h.Entry.Cites
	}
	return nil
}

// Answer is the result of Ask.
type Answer struct {
	// Query is the question as asked.
	Query string
	// Lookup is set when the whole query is an article reference; then
	// Hits is empty and Lookup.Message explains a miss.
	Lookup *LookupResult
	// Hits are ranked results, best first: articles a longer question cites
	// by number, then entries and articles by confidence.
	Hits []Hit
	// Confidence is the first hit's confidence (1 for a found lookup).
	Confidence float64
	// Confident reports that the first hit clears its calibrated threshold.
	Confident bool
	// Choices are the likely readings to offer when the answer is not
	// confident but some entries are close: "您是想问 1/2/3".
	Choices []*Entry
	// Reading reports that the answer is not confident but its first
	// reading, Choices[0] and the first hit, is likely enough to be
	// answered as the question's reading, the others offered beside it.
	Reading bool
}

// entryFloor is the similarity below which an entry is not a hit at all:
// it shares a word or two with the question and nothing more.
const entryFloor = 0.1

// exactCos is the cosine from which a question counts as worded exactly as
// an entry's wording (its terms, question words aside, are the same), and
// exactConfidence the confidence such a match gets at least.
const (
	exactCos        = 0.999
	exactConfidence = 0.99
)

// candidatePool is how many entries, the closest by similarity, the scorer
// looks at: the right one is often not among the closest few.
const candidatePool = 30

// maxChoices is how many readings an unsure answer offers.
const maxChoices = 3

// Search ranks articles only, best first, in the wide corpus when there is
// one; k ≤ 0 means 10.
func (b *Base) Search(q string, k int) []Hit {
	if b.ws != nil {
		return searchIn(b.ws, b.wtr, b.wide, q, k)
	}
	return searchIn(b.s, b.tr, b.corpus, q, k)
}

func searchIn(s *searcher, tr *trained, c *Corpus, q string, k int) []Hit {
	if k <= 0 {
		k = 10
	}
	res := s.search(q, k, tr)
	hits := make([]Hit, len(res))
	arts := c.Articles()
	for i, r := range res {
		hits[i] = Hit{Kind: HitArticle, Article: arts[r.doc], Score: float64(r.score), Confidence: float64(r.confidence)}
	}
	return hits
}

// Ask answers a resident's message: an article lookup if the message is a
// reference such as 民法典第1077条, otherwise entries and articles ranked for
// the question, with the decision how sure it is. k ≤ 0 means 10.
func (b *Base) Ask(q string, k int) Answer { return b.AskFollowUp(q, "", k) }

// followUpWeight is how much the previous question counts in a follow-up.
const followUpWeight = 0.5

// AskFollowUp answers q read in the context of the resident's previous
// question prev ("那孩子呢" after "离婚财产怎么分"): entries are matched
// against both, the new words weighing more, the entry that answered prev
// is not given again, and the answer is offered as readings to pick from,
// not with confidence. prev == "" is Ask.
func (b *Base) AskFollowUp(q, prev string, k int) Answer {
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
	fixed := b.sp.fix(q)
	// Agreement is judged on the base corpus, whatever the wide one holds.
	searched := searchIn(b.s, b.tr, b.corpus, fixed, max(k, agreeRankDepth))
	entryHits, _ := b.rankEntries(fixed, prev, searched, k+1)
	seen := make(map[*Article]bool)
	for _, ref := range FindArticleRefs(q) {
		if res := b.Lookup(ref); res.Status == LookupFound && !seen[res.Article] && len(ans.Hits) < k {
			seen[res.Article] = true
			ans.Hits = append(ans.Hits, Hit{Kind: HitArticle, Article: res.Article, Confidence: 1})
		}
	}
	// Entries above the threshold first; within each group by confidence,
	// the office's own entries first when they are nearly as close. The
	// bonus never puts an entry below the threshold before one above it.
	sure := b.th.Entry
	rank := func(h Hit) float64 {
		if h.Entry.Layer == LayerOffice {
			return h.Confidence + officeBonus
		}
		return h.Confidence
	}
	slices.SortStableFunc(entryHits, func(x, y Hit) int {
		ac, bc := x.Confidence >= sure, y.Confidence >= sure
		switch {
		case ac && !bc:
			return -1
		case bc && !ac:
			return 1
		}
		return cmp.Compare(rank(y), rank(x))
	})
	if b.ws != nil {
		searched = b.Search(fixed, k)
	}
	var articleHits []Hit
	for _, h := range searched {
		if !seen[h.Article] {
			seen[h.Article] = true
			h.Confidence = clamp01(h.Confidence)
			articleHits = append(articleHits, h)
		}
	}
	// An entry above its threshold leads; otherwise an article above its
	// own (stricter) threshold; otherwise entries close enough to be
	// readings. Entries further off come after the articles.
	var strong, weak []Hit
	for _, h := range entryHits {
		if h.Confidence >= b.th.Choice {
			strong = append(strong, h)
		} else {
			weak = append(weak, h)
		}
	}
	if len(strong) > 0 && strong[0].Confidence < b.th.Entry && len(articleHits) > 0 && articleHits[0].Confidence >= b.th.Article {
		ans.Hits = append(ans.Hits, articleHits...)
		ans.Hits = append(ans.Hits, strong...)
	} else {
		ans.Hits = append(ans.Hits, strong...)
		ans.Hits = append(ans.Hits, articleHits...)
	}
	ans.Hits = append(ans.Hits, weak...)
	if len(ans.Hits) > k {
		ans.Hits = ans.Hits[:k]
	}
	if len(ans.Hits) == 0 {
		return ans
	}
	first := ans.Hits[0]
	ans.Confidence = first.Confidence
	switch first.Kind {
	case HitEntry:
		// A follow-up's few words leave room to misread it ("那赔多少"
		// after 工伤认定): it is answered with readings to pick from, never
		// with confidence.
		ans.Confident = first.Confidence >= b.th.Entry && prev == ""
	default:
		ans.Confident = first.Confidence >= b.th.Article || first.Score == 0 && first.Confidence == 1
	}
	if !ans.Confident {
		// The scorer is fitted on whole questions: a follow-up's few words
		// leave even its right readings low probabilities, however well it
		// ranks them, and a follow-up is only ever offered readings. So a
		// follow-up offers the best ones, those at least a third as likely
		// as the first. (Half was enough until the calibrator learned from
		// blind questions; it then left "那孩子呢" after a question on
		// dividing property with a school-injury reading alone, the custody
		// one at 0.083 against 0.212.)
		floor := b.th.Choice
		if prev != "" && len(entryHits) > 0 {
			best := 0.0
			for _, h := range entryHits {
				best = max(best, h.Confidence)
			}
			floor = min(floor, best/3)
		}
		// The office bonus orders entries by more than confidence, so every
		// hit is looked at, not just a leading run.
		for _, h := range entryHits {
			if h.Confidence >= floor && len(ans.Choices) < maxChoices {
				ans.Choices = append(ans.Choices, h.Entry)
			}
		}
		// A follow-up is only ever offered readings (above).
		ans.Reading = prev == "" && first.Kind == HitEntry && first.Confidence >= b.th.Reading &&
			len(ans.Choices) > 0 && ans.Choices[0] == first.Entry
	}
	return ans
}

// rankEntries scores the entries closest to a question (read after prev,
// when it is a follow-up): each gets its features and, as its confidence,
// the scorer's probability that it answers the question. searched is
// article retrieval's ranking of the question on the base corpus. The hits
// come best first, their features beside them.
func (b *Base) rankEntries(fixed, prev string, searched []Hit, k int) ([]Hit, []entryFeatures) {
	ix := b.index.Load()
	var prevBest *Entry
	prevFixed := ""
	if prev != "" {
		prevFixed = b.sp.fix(prev)
		if hs := ix.match(ix.queryVector(b.s, prevFixed, "", 0), 1, float32(b.th.BM25)); len(hs) > 0 {
			prevBest = hs[0].entry
		}
	}
	qv := ix.queryVector(b.s, fixed, prevFixed, followUpWeight)
	matched := ix.match(qv, max(k+1, candidatePool), float32(b.th.BM25))
	agreeRank := make(map[string]int, len(searched))
	for i, h := range searched {
		if i == agreeRankDepth {
			break
		}
		if _, ok := agreeRank[h.Article.Name()]; !ok {
			agreeRank[h.Article.Name()] = i + 1
		}
	}
	short := 1 / float64(1+qv.questionTerms())
	cv := b.s.newCoverer(nil, fixed)
	var hits []Hit
	var feats []entryFeatures
	for _, h := range matched {
		if h.entry == prevBest || float64(h.sim) < entryFloor {
			continue
		}
		var f entryFeatures
		f[featCos], f[featCos2], f[featBM25] = float64(h.cos), float64(h.cos2), float64(h.bm25)
		f[featChars] = float64(h.chars)
		f[featCover] = float64(b.leadCover(cv, h.entry.Cites))
		if len(h.entry.Cites) == 0 {
			f[featNoCite] = 1
		} else if r := agreeRank[h.entry.Cites[0].Article.Name()]; r > 0 {
			f[featAgreeRank] = 1 / float64(r)
			if r <= agreeDepth {
				f[featAgree] = 1
			}
		}
		share, rarest := ix.missing(qv, h.doc)
		f[featMissing], f[featMissingMax] = float64(share), float64(rarest)/10
		f[featShort] = short
		f[featCore] = float64(ix.coreMet(qv, h.doc))
		hits = append(hits, Hit{Kind: HitEntry, Entry: h.entry, Score: float64(h.sim), Cites: h.entry.Cites})
		feats = append(feats, f)
	}
	// The lead over the closest rival: an entry resting on an article this
	// one does not cite, and not answering the same question in other
	// words. Entries resting on its articles are no rivals, either gives a
	// right basis. An entry alone in the field leads by the
	// way down to the floor.
	for i := range hits {
		next := entryFloor
		for j := range hits {
			if j != i && !citesArticle(hits[i].Entry, hits[j].FirstCitation()) && !ix.sameAnswer(hits[i].Entry.ID, hits[j].Entry.ID) {
				next = max(next, hits[j].Score)
			}
		}
		feats[i][featLead] = hits[i].Score - next
	}
	b.scorer.rank(feats)
	exact := -1
	for i := range hits {
		hits[i].Confidence = b.scorer.prob(feats[i])
		if feats[i][featCos] >= exactCos {
			if exact >= 0 {
				exact = len(hits) // two entries list the question: no rule
			} else {
				exact = i
			}
		}
	}
	// A question a resident types exactly as one entry words it is that
	// entry's question, whatever its neighbours: the office's own FAQ
	// wordings above all.
	if exact >= 0 && exact < len(hits) && prev == "" {
		hits[exact].Confidence = max(hits[exact].Confidence, exactConfidence)
	}
	// Where the office's own FAQ answers the same question as a bank entry,
	// the office's answer is given, as sure as the surer of the two: it
	// carries the office's address, hours and procedures.
	drop := make([]bool, len(hits))
	for i := range hits {
		if hits[i].Entry.Layer != LayerOffice {
			continue
		}
		for j := range hits {
			if hits[j].Entry.Layer != LayerOffice && !drop[j] && ix.sameAnswer(hits[i].Entry.ID, hits[j].Entry.ID) {
				hits[i].Confidence = max(hits[i].Confidence, hits[j].Confidence)
				drop[j] = true
			}
		}
	}
	var order []int
	for i := range hits {
		if !drop[i] {
			order = append(order, i)
		}
	}
	slices.SortStableFunc(order, func(x, y int) int { return cmp.Compare(hits[y].Confidence, hits[x].Confidence) })
	sortedHits, sortedFeats := make([]Hit, len(order)), make([]entryFeatures, len(order))
	for i, o := range order {
		sortedHits[i], sortedFeats[i] = hits[o], feats[o]
	}
	return sortedHits, sortedFeats
}

func clamp01(v float64) float64 { return min(max(v, 0), 1) }

// citesArticle reports whether e cites a.
func citesArticle(e *Entry, a *Article) bool {
	return a != nil && slices.ContainsFunc(e.Cites, func(c Citation) bool { return sameArticle(c.Article, a) })
}

// sameArticle compares by name: an office entry's article may come from the
// wide corpus and a bank entry's from the base one.
func sameArticle(a, b *Article) bool {
	return a == b || a != nil && b != nil && a.Name() == b.Name()
}

// leadCover is how much of the question (its idf mass) the entry's leading
// article's text covers: an entry that matches the question's wording but
// whose article says nothing of its specifics is less likely right. The lead
// is the bank's own: its authors put the deciding article first, and
// letting the article that shares most words with a question lead instead
// cited a side rule (the tenant's normal wear for a deposit not returned)
// and made more confident answers wrong on the tuning questions.
func (b *Base) leadCover(cv coverer, cites []Citation) float32 {
	if len(cites) == 0 {
		return 0
	}
	// An office entry may cite an article only the wide corpus holds: it
	// covers nothing here.
	lead := b.corpus.ArticleByName(cites[0].Article.Name())
	if lead == nil {
		return 0
	}
	return cv.of(uint32(lead.id))
}

// agreeDepth is how many of retrieval's top articles an entry's main
// article must be among to count as agreeing; agreeRankDepth how deep its
// rank is looked for at all.
const (
	agreeDepth     = 3
	agreeRankDepth = 10
)
