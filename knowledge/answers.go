package knowledge

import (
	"cmp"
	"math"
	"slices"
)

// entryIndex is an immutable, searchable set of answer entries: the office
// FAQ over the shipped bank, with staff edits applied. Reloads and edits
// swap whole indexes.
type entryIndex struct {
	entries  []*Entry // enabled entries, office first
	all      []*Entry // every entry, disabled ones too, for the console
	variants []entryVariant
	// postings and charPostings list, per term and per character, the
	// wordings (variants) that have it with its weight there, so a question
	// meets only the wordings it shares something with.
	postings, charPostings map[uint64][]posting
	vocab                  map[uint64]bool
	byID                   map[string]*Entry
	// df counts the wordings each term occurs in, of nWordings in all.
	df        map[uint64]int
	nWordings int
	// question is, per enabled entry, its canonical question's variant
	// (-1 if it has none); pos is an enabled entry's document by id.
	question []int
	pos      map[string]int
	// alike holds pairs of entries that answer the same question in other
	// words: they share an article and their questions are close (an
	// office FAQ entry over a bank one). Neither is the other's rival.
	alike map[[2]int]bool
	// core holds, per enabled entry, its core terms: those most of its
	// wordings share (抚养费 in every wording of the child-support entry),
	// with their weights.
	core [][]weightedTerm
	// docs holds one BM25 document per enabled entry: all its wordings,
	// its answer and its quotes, so a question worded unlike any paraphrase
	// can still meet the words of the answer.
	docs *bm25Index
}

// entryVariant is one wording of an entry as an idf-weighted term set, and
// as one of single characters: a typo or a word cut differently (东家 for
// 老板 aside) still shares most characters of the key words.
type entryVariant struct {
	entry    int
	terms    map[uint64]float32 // term → idf
	norm     float32            // Euclidean norm of the idf vector
	charNorm float32            // Euclidean norm of its characters' idf vector
}

// posting is a wording that has a term, with the term's weight in it.
type posting struct {
	variant int32
	weight  float32
}

func norm(v map[uint64]float32) float32 {
	var n float32
	for _, w := range v {
		n += w * w
	}
	return float32(math.Sqrt(float64(n)))
}

// charWeight is a character's idf over the bank's wordings.
func (ix *entryIndex) charWeight(key uint64) float32 { return idf(ix.nWordings, ix.df[key]) }

// weightedTerm is a term key with its weight.
type weightedTerm struct {
	key    uint64
	weight float32
}

// coreShare is the share of an entry's wordings a term must occur in to be
// one of its core terms.
const coreShare = 0.4

// officeBonus ranks the office's own entries, which carry its address, hours
// and procedures, before bank entries that match only a little better. It
// orders hits; it does not raise their similarity.
const officeBonus = 0.2

// newEntryIndex indexes every question and paraphrase of the enabled
// entries, and each entry's whole text for BM25. Office entries replace bank
// entries of the same id.
func newEntryIndex(office, bank []*Entry, s *searcher, sp *spelling) *entryIndex {
	ix := &entryIndex{vocab: make(map[uint64]bool), byID: make(map[string]*Entry)}
	for _, layer := range [][]*Entry{office, bank} {
		for _, e := range layer {
			if ix.byID[e.ID] != nil {
				continue
			}
			ix.byID[e.ID] = e
			ix.all = append(ix.all, e)
			if !e.Disabled {
				ix.entries = append(ix.entries, e)
			}
		}
	}
	var rs []rune
	var keys []uint64
	// Term weights come from the wordings themselves: in questions, 借钱
	// and 不还 are everyday words that tell entries apart less than 时效 does,
	// while the statutes, where 借钱 is rare, would weigh them the other way.
	var texts, unis [][]uint64
	df := make(map[uint64]int)
	for _, e := range ix.entries {
		for _, t := range append([]string{e.Question}, e.Paraphrases...) {
			rs = s.wordingRunes(rs[:0], sp.fix(t))
			ks := appendTerms(nil, rs, emitBigrams)
			texts = append(texts, ks)
			us := appendTerms(nil, rs, emitUnigrams)
			unis = append(unis, us)
			seen := make(map[uint64]bool, len(ks)+len(us))
			for _, k := range append(slices.Clip(ks), us...) {
				if !seen[k] {
					seen[k] = true
					df[k]++
				}
			}
		}
	}
	ix.df, ix.nWordings = df, len(texts)
	ix.question = make([]int, len(ix.entries))
	ix.pos = make(map[string]int, len(ix.entries))
	ix.postings, ix.charPostings = make(map[uint64][]posting), make(map[uint64][]posting)
	for ei, e := range ix.entries {
		ix.question[ei] = -1
		ix.pos[e.ID] = ei
	}
	i := -1
	for ei, e := range ix.entries {
		for range append([]string{e.Question}, e.Paraphrases...) {
			i++
			keys = texts[i]
			v := entryVariant{entry: ei, terms: make(map[uint64]float32, len(keys))}
			for _, k := range keys {
				v.terms[k] = ix.weight(s, k)
				ix.vocab[k] = true
			}
			chars := make(map[uint64]float32, len(unis[i]))
			for _, k := range unis[i] {
				chars[k] = ix.charWeight(k)
			}
			v.norm, v.charNorm = norm(v.terms), norm(chars)
			if v.norm > 0 {
				if ix.question[ei] < 0 {
					ix.question[ei] = len(ix.variants)
				}
				vi := int32(len(ix.variants))
				for k, w := range v.terms {
					ix.postings[k] = append(ix.postings[k], posting{vi, w})
				}
				for k, w := range chars {
					ix.charPostings[k] = append(ix.charPostings[k], posting{vi, w})
				}
				ix.variants = append(ix.variants, v)
			}
		}
	}
	ix.markAlike()
	ix.core = make([][]weightedTerm, len(ix.entries))
	i = -1
	for ei, e := range ix.entries {
		count := make(map[uint64]int)
		n := 0
		for range append([]string{e.Question}, e.Paraphrases...) {
			i++
			n++
			seen := make(map[uint64]bool)
			for _, k := range texts[i] {
				if !seen[k] {
					seen[k] = true
					count[k]++
				}
			}
		}
		for k, c := range count {
			if float64(c) >= coreShare*float64(n) {
				ix.core[ei] = append(ix.core[ei], weightedTerm{k, ix.weight(s, k)})
			}
		}
	}
	ix.docs = buildIndex(len(ix.entries), s.p.K1, s.p.B, func(d int, dst []uint64) []uint64 {
		e := ix.entries[d]
		rs = rs[:0]
		for _, t := range append([]string{e.Question, e.Answer}, e.Paraphrases...) {
			rs = s.queryRunes(rs, sp.fix(t))
			rs = append(rs, gap)
		}
		for _, c := range e.Cites {
			rs = s.queryRunes(rs, c.Quote)
			rs = append(rs, gap)
		}
		return appendTerms(dst, rs, emitBigrams)
	})
	return ix
}

// weight is a term's idf over the bank's wordings, blended with its idf over
// the statutes so a term the wordings lack still counts as rare.
func (ix *entryIndex) weight(s *searcher, key uint64) float32 {
	return 0.5*idf(ix.nWordings, ix.df[key]) + 0.5*s.termIDF(key)
}

// entryHit is an entry with its similarity to the question, its rank score
// (the similarity plus the office bonus) and the parts of the similarity.
type entryHit struct {
	entry *Entry
	doc   int // the entry's document in docs
	sim   float32
	rank  float32
	// cos and cos2 are the cosines of the entry's closest and second
	// closest wordings; bm25 is the share of the question's BM25 self-score
	// its whole text reaches.
	cos, cos2, bm25 float32
	// chars is the cosine of its closest wording by characters.
	chars float32
}

// queryVec is a question's terms with their idf-weighted values (for the
// cosine) and their plain weights, 1 or the context's share (for BM25).
type queryVec struct {
	idfw, raw map[uint64]float32
	// chars are the question's characters, idf-weighted.
	chars map[uint64]float32
}

// queryVector weighs the question's terms: the terms of text fully, those of
// context (the previous question, for a follow-up) by ctxWeight. Terms found
// neither in the corpus nor in the entries are dropped: they straddle word
// boundaries ("助申") and would only dilute the score.
func (ix *entryIndex) queryVector(s *searcher, text, context string, ctxWeight float32) queryVec {
	q := queryVec{idfw: make(map[uint64]float32), raw: make(map[uint64]float32), chars: make(map[uint64]float32)}
	add := func(t string, w float32) {
		rs := s.wordingRunes(nil, t)
		for _, key := range appendTerms(nil, rs, emitUnigrams) {
			if ix.df[key] > 0 {
				q.chars[key] = max(q.chars[key], w*ix.charWeight(key))
			}
		}
		for _, key := range appendTerms(nil, rs, emitBigrams) {
			if _, known := s.content.dict[key]; !known && !ix.vocab[key] {
				continue
			}
			q.idfw[key] = max(q.idfw[key], w*ix.weight(s, key))
			q.raw[key] = max(q.raw[key], w)
		}
	}
	add(text, 1)
	if context != "" {
		add(context, ctxWeight)
	}
	return q
}

// match ranks entries by their similarity to the query vector, in [0,1]: the
// cosine similarity of the entry's best wording, blended with weight bm25
// with the share of the query's BM25 self-score the entry's whole document
// reaches. Office entries come first when they are nearly as close.
func (ix *entryIndex) match(qv queryVec, k int, bm25 float32) []entryHit {
	q := qv.idfw
	if ix == nil || len(ix.variants) == 0 || k <= 0 {
		return nil
	}
	qnorm := norm(q)
	if qnorm == 0 {
		return nil
	}
	best := make([]float32, len(ix.entries))
	second := make([]float32, len(ix.entries))
	chars := make([]float32, len(ix.entries))
	cnorm := norm(qv.chars)
	dots := make([]float32, len(ix.variants))
	cdots := make([]float32, len(ix.variants))
	for key, w := range q {
		for _, p := range ix.postings[key] {
			dots[p.variant] += w * p.weight
		}
	}
	for key, w := range qv.chars {
		for _, p := range ix.charPostings[key] {
			cdots[p.variant] += w * p.weight
		}
	}
	for vi, v := range ix.variants {
		if cnorm > 0 && v.charNorm > 0 {
			chars[v.entry] = max(chars[v.entry], cdots[vi]/(cnorm*v.charNorm))
		}
		if dots[vi] == 0 {
			continue
		}
		c := dots[vi] / (qnorm * v.norm)
		if c > best[v.entry] {
			best[v.entry], second[v.entry] = c, best[v.entry]
		} else {
			second[v.entry] = max(second[v.entry], c)
		}
	}
	cos := slices.Clone(best)
	ratios := make([]float32, len(ix.entries))
	if bm25 > 0 && ix.docs.n > 0 {
		var qt []qterm
		for key, w := range qv.raw {
			qt = ix.docs.resolve(qt, []uint64{key}, w)
		}
		self := ix.docs.selfScore(qt, len(qv.raw))
		acc := make([]float32, ix.docs.n)
		ix.docs.accumulate(qt, 1, acc, nil)
		for i := range best {
			if self > 0 {
				ratios[i] = min(acc[i]/self, 1)
			}
			best[i] = (1-bm25)*best[i] + bm25*ratios[i]
		}
	}
	var hits []entryHit
	for i, sim := range best {
		if sim <= 0 {
			continue
		}
		h := entryHit{entry: ix.entries[i], doc: i, sim: sim, rank: sim, cos: cos[i], cos2: second[i], bm25: ratios[i], chars: chars[i]}
		if h.entry.Layer == LayerOffice {
			h.rank += officeBonus
		}
		hits = append(hits, h)
	}
	slices.SortStableFunc(hits, func(a, b entryHit) int { return cmp.Compare(b.rank, a.rank) })
	if len(hits) > k {
		hits = hits[:k]
	}
	return hits
}

// missing measures what of the question an entry's whole text lacks: the
// share of the question's weight in terms it lacks, and the weight of the
// rarest of them. Context terms (a follow-up's previous question) do not
// count: the entry need not repeat them.
func (ix *entryIndex) missing(qv queryVec, doc int) (share, rarest float32) {
	var total, lacked float32
	for key, raw := range qv.raw {
		if raw < 1 {
			continue
		}
		// A question term's idf weight is already in the vector: the
		// context's half weight never exceeds it.
		w := qv.idfw[key]
		total += w
		if id, ok := ix.docs.dict[key]; ok && ix.docs.contains(id, uint32(doc)) {
			continue
		}
		lacked += w
		rarest = max(rarest, w)
	}
	if total == 0 {
		return 0, 0
	}
	return lacked / total, rarest
}

// questionTerms counts the question's own terms in qv.
func (qv queryVec) questionTerms() int {
	n := 0
	for _, raw := range qv.raw {
		if raw >= 1 {
			n++
		}
	}
	return n
}

// coreMet is the share of an entry's core terms (by weight) the question
// has: low when the question lacks what every way of asking the entry says
// (赡养费 asked of the 抚养费 entry). 1 for an entry without core terms.
func (ix *entryIndex) coreMet(qv queryVec, doc int) float32 {
	var total, met float32
	for _, t := range ix.core[doc] {
		total += t.weight
		if qv.raw[t.key] >= 1 {
			met += t.weight
		}
	}
	if total == 0 {
		return 1
	}
	return met / total
}

// alikeCos is the cosine from which two entries' questions, with an article
// in common, are the same question.
const alikeCos = 0.5

// markAlike finds the pairs of entries that answer the same question.
func (ix *entryIndex) markAlike() {
	ix.alike = make(map[[2]int]bool)
	byArticle := make(map[string][]int)
	for ei, e := range ix.entries {
		for _, c := range e.Cites {
			byArticle[c.Article.Name()] = append(byArticle[c.Article.Name()], ei)
		}
	}
	for _, es := range byArticle {
		for i, a := range es {
			for _, b := range es[i+1:] {
				if a == b || ix.alike[[2]int{a, b}] || ix.question[a] < 0 || ix.question[b] < 0 {
					continue
				}
				if cosine(ix.variants[ix.question[a]], ix.variants[ix.question[b]]) >= alikeCos {
					ix.alike[[2]int{a, b}], ix.alike[[2]int{b, a}] = true, true
				}
			}
		}
	}
}

func cosine(a, b entryVariant) float32 {
	var dot float32
	for k, w := range a.terms {
		dot += w * b.terms[k]
	}
	return dot / (a.norm * b.norm)
}

// sameAnswer reports whether two entries, by id, answer the same question:
// one and the same, or alike.
func (ix *entryIndex) sameAnswer(a, b string) bool {
	if a == b {
		return true
	}
	da, oka := ix.pos[a]
	db, okb := ix.pos[b]
	return oka && okb && ix.alike[[2]int{da, db}]
}
