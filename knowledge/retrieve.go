package knowledge

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"sync"
)

// Params tunes article retrieval. A zero weight turns its signal off, so
// BaselineParams is plain BM25 over character bigrams. Weights are relative
// to the best content-BM25 score of the query.
type Params struct {
	// K1 and B are BM25's term-saturation and length-normalisation constants.
	K1, B float32
	// Stopwords cuts question words (怎么, 是否, 吗…) out of queries.
	Stopwords bool
	// Unigrams weighs a second BM25 index over single characters.
	Unigrams float32
	// Synonyms weighs the colloquial→legal term expansions.
	Synonyms float32
	// LawName weighs how much of a law's name the question contains.
	LawName float32
	// LawPrior weighs how often training questions cite the article's law.
	LawPrior float32
	// ArticlePrior weighs how often training questions cite the article.
	ArticlePrior float32
	// LawQuestions weighs BM25 against all training questions citing a law,
	// a per-question estimate of which law applies.
	LawQuestions float32
	// Neighbors weighs the labels of the most similar training questions.
	Neighbors float32
	// NeighborK is how many similar training questions vote.
	NeighborK int
	// NeighborPower sharpens neighbour similarity before voting.
	NeighborPower float32
	// Expansion weighs BM25 against training questions appended to the
	// articles they were labelled with (document expansion).
	Expansion float32
	// Answers weighs BM25 against the professional answers (LeCoQA) to the
	// training questions labelled with an article.
	Answers float32
	// Rerank reorders the best articles by a linear model over the signals
	// above (rerank.go) instead of their fixed sum, fitted on the training
	// questions: each scored by signals learned without it, so the weights
	// are learned as they will be used.
	Rerank bool
}

// BaselineParams is plain BM25 over character bigrams, the reference the
// other signals are measured against.
func BaselineParams() Params { return Params{K1: 1.2, B: 0.75} }

// DefaultParams is the configuration that measured best under 5-fold
// cross-validation on STARD's training questions (`pufa kb eval --ablation`
// prints the figures behind each weight).
func DefaultParams() Params {
	return Params{
		K1: 1.2, B: 0.75,
		Stopwords:     true,
		Unigrams:      0.1,
		Synonyms:      0.3,
		LawName:       0.1,
		LawPrior:      0.5,
		ArticlePrior:  0.3,
		LawQuestions:  0.3,
		Neighbors:     0.5,
		NeighborK:     10,
		NeighborPower: 2,
		Expansion:     0.2,
	}
}

// searcher holds the immutable article indexes built from a corpus.
type searcher struct {
	p        Params
	corpus   *Corpus
	content  *bm25Index // character bigrams of article texts
	unigram  *bm25Index // single characters; nil unless p.Unigrams > 0
	lawIdx   *bm25Index // one document per law: its name
	lawMass  []float32  // idf mass of each law name's terms
	docLaw   []uint32   // article → index into corpus.Laws()
	lawCount int
	stop     *stopFilter
	fillers  *stopFilter
	syn      *synonymTable
	pool     sync.Pool // *scratch
}

func newSearcher(c *Corpus, p Params) *searcher {
	s := &searcher{p: p, corpus: c, stop: newStopFilter(), fillers: newFillerFilter(), syn: newSynonymTable(colloquialTerms)}
	arts := c.Articles()
	laws := c.Laws()
	lawIndex := make(map[*Law]uint32, len(laws))
	for i, l := range laws {
		lawIndex[l] = uint32(i)
	}
	s.lawCount = len(laws)
	s.docLaw = make([]uint32, len(arts))
	for i, a := range arts {
		s.docLaw[i] = lawIndex[a.Law]
	}
	var rs []rune
	s.content = buildIndex(len(arts), p.K1, p.B, func(d int, dst []uint64) []uint64 {
		rs = normalizeRunes(rs[:0], arts[d].Text)
		return appendTerms(dst, rs, emitBigrams)
	})
	if p.Unigrams > 0 {
		s.unigram = buildIndex(len(arts), p.K1, p.B, func(d int, dst []uint64) []uint64 {
			rs = normalizeRunes(rs[:0], arts[d].Text)
			return appendTerms(dst, rs, emitUnigrams)
		})
	}
	s.lawIdx = buildIndex(len(laws), p.K1, p.B, func(d int, dst []uint64) []uint64 {
		rs = normalizeRunes(rs[:0], lawNameForIndex(laws[d].ShortName))
		return appendTerms(dst, rs, emitBigrams)
	})
	s.lawMass = s.lawIdx.idfMass()
	return s
}

// lawNameForIndex drops parenthesised qualifiers such as （试行） or （一）
// that no question mentions.
func lawNameForIndex(name string) string {
	var b strings.Builder
	depth := 0
	for _, r := range name {
		switch r {
		case '（', '(':
			depth++
			continue
		case '）', ')':
			if depth > 0 {
				depth--
			}
			continue
		}
		if depth == 0 {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// LabeledQuery is a question labelled with the articles that answer it, by
// STARD-style name (law name + 第X条).
type LabeledQuery struct {
	ID       string
	Text     string
	Articles []string
	// Answer is a professional answer to the question, when the data has
	// one (LeCoQA); its legal wording expands the labelled articles.
	Answer string
}

// trained holds what retrieval learns from labelled questions. It is built
// per training set, so cross-validation folds never see held-out labels.
type trained struct {
	qIdx     *bm25Index // the training questions
	qLabels  [][]uint32 // their labelled articles
	lawPrior []float32  // per law, log-scaled label count in [0,1]
	artPrior []float32  // per article, log-scaled label count in [0,1]
	expIdx   *bm25Index // per labelled article, its questions concatenated
	expDoc   []uint32   // expIdx document → article
	ansIdx   *bm25Index // per labelled article, the answers to its questions
	ansDoc   []uint32   // ansIdx document → article
	lawQIdx  *bm25Index // per cited law, its questions concatenated
	lawQDoc  []uint32   // lawQIdx document → law
	// unresolved counts labels naming no article of the corpus.
	unresolved int
	// rerank are the reranker's weights; nil keeps the fused order.
	rerank []float64
}

func (s *searcher) train(qs []LabeledQuery) *trained {
	t := s.trainSignals(qs)
	if s.p.Rerank {
		t.rerank = s.fitReranker(qs)
	}
	return t
}

// trainSignals learns the signals Params weighs from qs.
func (s *searcher) trainSignals(qs []LabeledQuery) *trained {
	t := &trained{}
	arts := s.corpus.Articles()
	lawCount := make([]float32, s.lawCount)
	artCount := make([]float32, len(arts))
	artText := make(map[uint32][]string)
	ansText := make(map[uint32][]string)
	lawText := make(map[uint32][]string)
	for _, q := range qs {
		var labels, laws []uint32
		for _, name := range q.Articles {
			a := s.corpus.ArticleByName(name)
			if a == nil {
				t.unresolved++
				continue
			}
			id := uint32(a.id)
			if slices.Contains(labels, id) {
				continue
			}
			labels = append(labels, id)
			artCount[id]++
			artText[id] = append(artText[id], q.Text)
			if q.Answer != "" && s.p.Answers > 0 {
				ansText[id] = append(ansText[id], q.Answer)
			}
			l := s.docLaw[id]
			lawCount[l]++
			if !slices.Contains(laws, l) {
				laws = append(laws, l)
				lawText[l] = append(lawText[l], q.Text)
			}
		}
		t.qLabels = append(t.qLabels, labels)
	}
	t.lawPrior = logScale(lawCount)
	t.artPrior = logScale(artCount)
	var rs []rune
	t.qIdx = buildIndex(len(qs), s.p.K1, s.p.B, func(d int, dst []uint64) []uint64 {
		rs = s.queryRunes(rs[:0], qs[d].Text)
		return appendTerms(dst, rs, emitBigrams)
	})
	t.expIdx, t.expDoc = s.groupIndex(artText)
	if len(ansText) > 0 {
		t.ansIdx, t.ansDoc = s.groupIndex(ansText)
	}
	t.lawQIdx, t.lawQDoc = s.groupIndex(lawText)
	return t
}

// groupIndex indexes, per key, the concatenation of its questions.
func (s *searcher) groupIndex(groups map[uint32][]string) (*bm25Index, []uint32) {
	keys := make([]uint32, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var rs []rune
	ix := buildIndex(len(keys), s.p.K1, s.p.B, func(d int, dst []uint64) []uint64 {
		rs = rs[:0]
		for _, text := range groups[keys[d]] {
			rs = s.queryRunes(rs, text)
			rs = append(rs, gap)
		}
		return appendTerms(dst, rs, emitBigrams)
	})
	return ix, keys
}

// logScale maps counts to [0,1] by log(1+c)/log(1+max).
func logScale(counts []float32) []float32 {
	var hi float32
	for _, c := range counts {
		hi = max(hi, c)
	}
	out := make([]float32, len(counts))
	if hi == 0 {
		return out
	}
	d := float32(math.Log1p(float64(hi)))
	for i, c := range counts {
		if c > 0 {
			out[i] = float32(math.Log1p(float64(c))) / d
		}
	}
	return out
}

// queryRunes normalises question text and, if configured, cuts stop phrases.
func (s *searcher) queryRunes(dst []rune, q string) []rune {
	start := len(dst)
	dst = normalizeRunes(dst, q)
	if s.p.Stopwords {
		s.stop.apply(dst[start:])
	}
	return dst
}

// wordingRunes normalises question text for matching against the bank's
// questions: only fillers are cut, question words stay.
func (s *searcher) wordingRunes(dst []rune, q string) []rune {
	start := len(dst)
	dst = normalizeRunes(dst, q)
	s.fillers.apply(dst[start:])
	return dst
}

// scratch is per-query working memory, pooled so that a query over 58k
// articles reuses its dense accumulators instead of allocating them.
type scratch struct {
	acc      []float32 // fused score per article
	touched  []uint32  // articles with acc != 0
	content  []float32 // per article, its content BM25 alone (reranking)
	exp      []float32 // per article, its expansion similarity in [0,1]
	ans      []float32 // per article, its answers similarity in [0,1]
	lawAcc   []float32 // law-name coverage per law
	lawTouch []uint32
	lawQ     []float32 // law-question similarity per law
	aux      []float32 // per-document scores of the training indexes
	auxTouch []uint32
	runes    []rune
	synRunes []rune
	keys     []uint64
	synKeys  []uint64
	uniKeys  []uint64
	qt       []qterm
	votes    map[uint32]float32
	nearest  map[uint32]float32 // article → best similarity of a neighbour citing it
}

func (s *searcher) getScratch() *scratch {
	if sc, ok := s.pool.Get().(*scratch); ok {
		return sc
	}
	return &scratch{
		acc:     make([]float32, len(s.docLaw)),
		content: make([]float32, len(s.docLaw)),
		exp:     make([]float32, len(s.docLaw)),
		ans:     make([]float32, len(s.docLaw)),
		lawAcc:  make([]float32, s.lawCount),
		lawQ:    make([]float32, s.lawCount),
		votes:   make(map[uint32]float32),
		nearest: make(map[uint32]float32),
	}
}

func (s *searcher) putScratch(sc *scratch) {
	for _, d := range sc.touched {
		sc.acc[d], sc.content[d], sc.exp[d], sc.ans[d] = 0, 0, 0, 0
	}
	for _, d := range sc.lawTouch {
		sc.lawAcc[d] = 0
	}
	for _, d := range sc.auxTouch {
		sc.aux[d] = 0
	}
	clear(sc.lawQ)
	sc.touched, sc.lawTouch, sc.auxTouch = sc.touched[:0], sc.lawTouch[:0], sc.auxTouch[:0]
	clear(sc.votes)
	clear(sc.nearest)
	s.pool.Put(sc)
}

// useAux readies the auxiliary accumulator for an index of n documents.
func (sc *scratch) useAux(n int) {
	for _, d := range sc.auxTouch {
		sc.aux[d] = 0
	}
	sc.auxTouch = sc.auxTouch[:0]
	if len(sc.aux) < n {
		sc.aux = make([]float32, n)
	}
}

// articleHit is a ranked article with its fused score and a confidence in
// [0,1]: the larger of the share of the query's weight (idf) the article's
// text contains and the similarity of the nearest training question citing it.
type articleHit struct {
	doc        uint32
	score      float32
	confidence float32
}

// search returns the k best articles for a question; tr may be nil. The
// signals are summed, each scaled by the query's best content score so the
// weights of Params mean the same for every query.
func (s *searcher) search(q string, k int, tr *trained) []articleHit {
	sc := s.getScratch()
	defer s.putScratch(sc)
	top := s.fuse(sc, q, tr)
	cover := s.newCoverer(sc.qt, q)
	sc.qt = cover.qt
	if tr == nil || tr.rerank == nil {
		best := topK(sc.acc, sc.touched, k)
		out := make([]articleHit, len(best))
		for i, b := range best {
			out[i] = articleHit{doc: b.doc, score: b.score, confidence: max(cover.of(b.doc), sc.nearest[b.doc])}
		}
		return out
	}
	cands := rerankCandidates(sc, s.docLaw, tr, topK(sc.acc, sc.touched, max(k, rerankDepth)), top, cover)
	out := make([]articleHit, len(cands))
	for i, c := range cands {
		out[i] = articleHit{doc: c.doc, score: float32(dot(tr.rerank, c.x[:])),
			confidence: max(float32(c.x[rfCover]), sc.nearest[c.doc])}
	}
	slices.SortStableFunc(out, func(a, b articleHit) int { return cmp.Compare(b.score, a.score) })
	return out[:min(k, len(out))]
}

// fuse scores every article the question touches into sc.acc, the signals
// summed with Params' weights, keeping each signal's share for reranking;
// it returns the best content score, the unit of the weights.
func (s *searcher) fuse(sc *scratch, q string, tr *trained) float32 {
	p := s.p

	sc.runes = s.queryRunes(sc.runes[:0], q)
	sc.keys = appendTerms(sc.keys[:0], sc.runes, emitBigrams)
	sc.synKeys = sc.synKeys[:0]
	if p.Synonyms > 0 {
		// Colloquial keys are matched before stop phrases are cut, so that
		// keys such as 离婚冷静期 survive intact.
		raw := normalizeRunes(sc.synRunes[:0], q)
		n := len(raw)
		raw = s.syn.expand(raw, raw[:n])
		sc.synRunes = raw
		sc.synKeys = appendTerms(sc.synKeys, raw[n:], emitBigrams)
	}

	// Content: BM25 over bigrams, synonyms and (weighted) unigrams.
	sc.qt = s.content.resolve(sc.qt[:0], sc.keys, 1)
	if len(sc.synKeys) > 0 {
		sc.qt = s.content.resolve(sc.qt, sc.synKeys, p.Synonyms)
	}
	sc.touched = s.content.accumulate(sc.qt, 1, sc.acc, sc.touched)
	if s.unigram != nil {
		sc.uniKeys = appendTerms(sc.uniKeys[:0], sc.runes, emitUnigrams)
		sc.qt = s.unigram.resolve(sc.qt[:0], sc.uniKeys, 1)
		sc.touched = s.unigram.accumulate(sc.qt, p.Unigrams, sc.acc, sc.touched)
	}
	var top float32
	for _, d := range sc.touched {
		top = max(top, sc.acc[d])
		sc.content[d] = sc.acc[d]
	}
	if top == 0 {
		top = 1
	}

	// Law-level signals, added to every article the content matched.
	useLawQ := tr != nil && p.LawQuestions > 0 && tr.lawQIdx.n > 0
	if useLawQ {
		sc.useAux(tr.lawQIdx.n)
		sc.qt = tr.lawQIdx.resolve(sc.qt[:0], sc.keys, 1)
		sc.auxTouch = tr.lawQIdx.accumulate(sc.qt, 1, sc.aux, sc.auxTouch)
		if hi := maxOver(sc.aux, sc.auxTouch); hi > 0 {
			for _, d := range sc.auxTouch {
				sc.lawQ[tr.lawQDoc[d]] = sc.aux[d] / hi
			}
		}
	}
	if p.LawName > 0 {
		sc.qt = s.lawIdx.resolve(sc.qt[:0], sc.keys, 1)
		sc.lawTouch = s.lawIdx.accumulateIDF(sc.qt, sc.lawAcc, sc.lawTouch)
		for _, l := range sc.lawTouch {
			sc.lawAcc[l] /= s.lawMass[l]
		}
	}
	if p.LawName > 0 || useLawQ || (tr != nil && (p.LawPrior > 0 || p.ArticlePrior > 0)) {
		for _, d := range sc.touched {
			law := s.docLaw[d]
			boost := p.LawName*sc.lawAcc[law] + p.LawQuestions*sc.lawQ[law]
			if tr != nil {
				boost += p.LawPrior*tr.lawPrior[law] + p.ArticlePrior*tr.artPrior[d]
			}
			sc.acc[d] += top * boost
		}
	}

	// Labels of the most similar training questions vote, weighted by how
	// similar each is in absolute terms (BM25 over the query's own score).
	if tr != nil && p.Neighbors > 0 && tr.qIdx.n > 0 {
		sc.useAux(tr.qIdx.n)
		sc.qt = tr.qIdx.resolve(sc.qt[:0], sc.keys, 1)
		self := tr.qIdx.selfScore(sc.qt, len(sc.keys))
		sc.auxTouch = tr.qIdx.accumulate(sc.qt, 1, sc.aux, sc.auxTouch)
		if self > 0 {
			for _, n := range topK(sc.aux, sc.auxTouch, p.NeighborK) {
				sim := min(n.score/self, 1)
				w := float32(math.Pow(float64(sim), float64(p.NeighborPower)))
				for _, a := range tr.qLabels[n.doc] {
					sc.votes[a] += w
					sc.nearest[a] = max(sc.nearest[a], sim)
				}
			}
		}
		for a, v := range sc.votes {
			if sc.acc[a] == 0 {
				sc.touched = append(sc.touched, a)
			}
			sc.acc[a] += top * p.Neighbors * v
		}
	}

	// Document expansion: the query against each labelled article's
	// questions, and against the professional answers to them.
	if tr != nil {
		sc.addGrouped(tr.expIdx, tr.expDoc, top*p.Expansion, sc.exp)
		sc.addGrouped(tr.ansIdx, tr.ansDoc, top*p.Answers, sc.ans)
	}

	return top
}

// coverer measures how much of one question (its idf mass, colloquial words
// in their legal form) an article's text covers: built once per question,
// asked of many articles.
type coverer struct {
	s     *searcher
	qt    []qterm
	total float32
}

// newCoverer builds q's coverer, its terms in dst's storage.
func (s *searcher) newCoverer(dst []qterm, q string) coverer {
	canon := s.canonicalKeys(q)
	return coverer{s: s, qt: s.content.resolve(dst[:0], canon, 1), total: s.queryMass(canon)}
}

// canonicalKeys are the bigrams of the question with colloquial words
// replaced by their legal expansions: what confidence is measured against.
func (s *searcher) canonicalKeys(q string) []uint64 {
	raw := normalizeRunes(nil, q)
	canon := s.syn.replace(nil, raw)
	if s.p.Stopwords {
		s.stop.apply(canon)
	}
	return appendTerms(nil, canon, emitBigrams)
}

// addGrouped adds weight·BM25 of the query against ix, one document per
// article (doc maps it), normalised by the best document, to the articles'
// scores, and the normalised similarity alone to sim. A nil or empty index,
// or no weight, adds nothing.
func (sc *scratch) addGrouped(ix *bm25Index, doc []uint32, weight float32, sim []float32) {
	if ix == nil || ix.n == 0 || weight <= 0 {
		return
	}
	sc.useAux(ix.n)
	sc.qt = ix.resolve(sc.qt[:0], sc.keys, 1)
	sc.auxTouch = ix.accumulate(sc.qt, 1, sc.aux, sc.auxTouch)
	hi := maxOver(sc.aux, sc.auxTouch)
	if hi <= 0 {
		return
	}
	for _, d := range sc.auxTouch {
		a := doc[d]
		if sc.acc[a] == 0 {
			sc.touched = append(sc.touched, a)
		}
		sc.acc[a] += weight * sc.aux[d] / hi
		sim[a] = sc.aux[d] / hi
	}
}

func maxOver(acc []float32, touched []uint32) float32 {
	var hi float32
	for _, d := range touched {
		hi = max(hi, acc[d])
	}
	return hi
}

// queryMass is the summed idf of the query's distinct bigrams; bigrams the
// corpus lacks count with the largest idf, so a question about things the
// laws never mention gets a low confidence.
func (s *searcher) queryMass(keys []uint64) float32 {
	var total float32
	for i, k := range keys {
		if !slices.Contains(keys[:i], k) {
			total += s.termIDF(k)
		}
	}
	return total
}

// of is the share of the question's idf mass that occurs in the article's
// text: 1 when every question bigram is there.
func (cv coverer) of(doc uint32) float32 {
	if cv.total == 0 {
		return 0
	}
	var have float32
	for _, t := range cv.qt {
		if cv.s.content.contains(t.id, doc) {
			have += cv.s.content.idf[t.id]
		}
	}
	return min(have/cv.total, 1)
}
