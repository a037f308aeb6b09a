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
	vocab    map[uint64]bool
	byID     map[string]*Entry
	// df counts the wordings each term occurs in, of nWordings in all.
	df        map[uint64]int
	nWordings int
	// docs holds one BM25 document per enabled entry: all its wordings,
	// its answer and its quotes, so a question worded unlike any paraphrase
	// can still meet the words of the answer.
	docs *bm25Index
}

// entryVariant is one wording of an entry as an idf-weighted term set.
type entryVariant struct {
	entry int
	terms map[uint64]float32 // term → idf
	norm  float32            // Euclidean norm of the idf vector
}

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
	var texts [][]uint64
	df := make(map[uint64]int)
	for _, e := range ix.entries {
		for _, t := range append([]string{e.Question}, e.Paraphrases...) {
			rs = s.queryRunes(rs[:0], sp.fix(t))
			ks := appendTerms(nil, rs, emitBigrams)
			texts = append(texts, ks)
			seen := make(map[uint64]bool, len(ks))
			for _, k := range ks {
				if !seen[k] {
					seen[k] = true
					df[k]++
				}
			}
		}
	}
	ix.df, ix.nWordings = df, len(texts)
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
			for _, w := range v.terms {
				v.norm += w * w
			}
			v.norm = float32(math.Sqrt(float64(v.norm)))
			if v.norm > 0 {
				ix.variants = append(ix.variants, v)
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

// entryHit is an entry with its similarity to the question and its rank
// score (the similarity plus the office bonus).
type entryHit struct {
	entry *Entry
	sim   float32
	rank  float32
}

// queryVec is a question's terms with their idf-weighted values (for the
// cosine) and their plain weights, 1 or the context's share (for BM25).
type queryVec struct {
	idfw, raw map[uint64]float32
}

// queryVector weighs the question's terms: the terms of text fully, those of
// context (the previous question, for a follow-up) by ctxWeight. Terms found
// neither in the corpus nor in the entries are dropped: they straddle word
// boundaries ("助申") and would only dilute the score.
func (ix *entryIndex) queryVector(s *searcher, text, context string, ctxWeight float32) queryVec {
	q := queryVec{idfw: make(map[uint64]float32), raw: make(map[uint64]float32)}
	add := func(t string, w float32) {
		for _, key := range appendTerms(nil, s.queryRunes(nil, t), emitBigrams) {
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
	var qnorm float32
	for _, w := range q {
		qnorm += w * w
	}
	if qnorm == 0 {
		return nil
	}
	qnorm = float32(math.Sqrt(float64(qnorm)))
	best := make([]float32, len(ix.entries))
	for _, v := range ix.variants {
		var dot float32
		for key, w := range q {
			if vw, ok := v.terms[key]; ok {
				dot += w * vw
			}
		}
		best[v.entry] = max(best[v.entry], dot/(qnorm*v.norm))
	}
	if bm25 > 0 && ix.docs.n > 0 {
		var qt []qterm
		for key, w := range qv.raw {
			qt = ix.docs.resolve(qt, []uint64{key}, w)
		}
		self := ix.docs.selfScore(qt, len(qv.raw))
		acc := make([]float32, ix.docs.n)
		ix.docs.accumulate(qt, 1, acc, nil)
		for i := range best {
			ratio := float32(0)
			if self > 0 {
				ratio = min(acc[i]/self, 1)
			}
			best[i] = (1-bm25)*best[i] + bm25*ratio
		}
	}
	var hits []entryHit
	for i, sim := range best {
		if sim <= 0 {
			continue
		}
		h := entryHit{ix.entries[i], sim, sim}
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
