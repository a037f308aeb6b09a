package knowledge

import (
	"container/heap"
	"math"
	"slices"
)

// bm25Index is an immutable inverted index scored with Okapi BM25. Postings
// are flat slices in CSR layout (term t's postings are docs[off[t]:off[t+1]])
// so the 58k-article corpus costs a few tens of MB and no pointer chasing.
type bm25Index struct {
	dict map[uint64]uint32
	off  []uint32
	docs []uint32
	tfs  []uint16
	idf  []float32
	// norm[d] is k1·(1−b+b·len(d)/avglen), the document half of BM25's
	// denominator, precomputed once.
	norm  []float32
	k1    float32
	b     float32
	avgdl float32
	n     int
}

// buildIndex indexes n documents whose term keys terms appends to dst.
func buildIndex(n int, k1, b float32, terms func(doc int, dst []uint64) []uint64) *bm25Index {
	ix := &bm25Index{dict: make(map[uint64]uint32), k1: k1, b: b, n: n}
	var (
		pairTerm []uint32
		pairTF   []uint16
		docEnd   = make([]uint32, n)
		dl       = make([]float32, n)
		df       []uint32
		keys     []uint64
		ids      []uint32
		total    float64
	)
	for d := 0; d < n; d++ {
		keys = terms(d, keys[:0])
		ids = ids[:0]
		for _, k := range keys {
			id, ok := ix.dict[k]
			if !ok {
				id = uint32(len(df))
				ix.dict[k] = id
				df = append(df, 0)
			}
			ids = append(ids, id)
		}
		slices.Sort(ids)
		for i := 0; i < len(ids); {
			j := i + 1
			for j < len(ids) && ids[j] == ids[i] {
				j++
			}
			tf := j - i
			if tf > math.MaxUint16 {
				tf = math.MaxUint16
			}
			pairTerm = append(pairTerm, ids[i])
			pairTF = append(pairTF, uint16(tf))
			df[ids[i]]++
			i = j
		}
		docEnd[d] = uint32(len(pairTerm))
		dl[d] = float32(len(keys))
		total += float64(len(keys))
	}
	ix.off = make([]uint32, len(df)+1)
	for t, c := range df {
		ix.off[t+1] = ix.off[t] + c
	}
	ix.docs = make([]uint32, len(pairTerm))
	ix.tfs = make([]uint16, len(pairTerm))
	pos := slices.Clone(ix.off[:len(df)])
	start := uint32(0)
	for d := 0; d < n; d++ {
		for p := start; p < docEnd[d]; p++ {
			t := pairTerm[p]
			ix.docs[pos[t]] = uint32(d)
			ix.tfs[pos[t]] = pairTF[p]
			pos[t]++
		}
		start = docEnd[d]
	}
	ix.idf = make([]float32, len(df))
	for t, c := range df {
		ix.idf[t] = idf(n, int(c))
	}
	if n > 0 {
		ix.avgdl = float32(total / float64(n))
	}
	if ix.avgdl == 0 {
		ix.avgdl = 1
	}
	ix.norm = make([]float32, n)
	for d := range ix.norm {
		ix.norm[d] = k1 * (1 - b + b*dl[d]/ix.avgdl)
	}
	return ix
}

// idf is BM25's idf in the always-positive Lucene form.
func idf(n, df int) float32 {
	return float32(math.Log(1 + (float64(n)-float64(df)+0.5)/(float64(df)+0.5)))
}

// qterm is a query term resolved against one index.
type qterm struct {
	id     uint32
	weight float32 // query-side weight: term frequency times any boost
}

// resolve maps query keys to term ids, merging repeats; unknown terms drop
// out since they match nothing.
func (ix *bm25Index) resolve(dst []qterm, keys []uint64, weight float32) []qterm {
	for _, k := range keys {
		id, ok := ix.dict[k]
		if !ok {
			continue
		}
		merged := false
		for i := range dst {
			if dst[i].id == id {
				dst[i].weight += weight
				merged = true
				break
			}
		}
		if !merged {
			dst = append(dst, qterm{id: id, weight: weight})
		}
	}
	return dst
}

// accumulate adds scale·BM25(q, d) to acc[d] for every matching document
// and appends newly touched documents to touched (acc must start at 0 for
// untouched documents).
func (ix *bm25Index) accumulate(q []qterm, scale float32, acc []float32, touched []uint32) []uint32 {
	k1p := ix.k1 + 1
	for _, t := range q {
		w := scale * t.weight * ix.idf[t.id] * k1p
		lo, hi := ix.off[t.id], ix.off[t.id+1]
		docs, tfs := ix.docs[lo:hi], ix.tfs[lo:hi]
		for i, d := range docs {
			tf := float32(tfs[i])
			if acc[d] == 0 {
				touched = append(touched, d)
			}
			acc[d] += w * tf / (tf + ix.norm[d])
		}
	}
	return touched
}

// selfScore is the BM25 score a document identical to the query (of length
// qlen) would get: an upper reference that turns raw scores into a
// similarity comparable across queries.
func (ix *bm25Index) selfScore(q []qterm, qlen int) float32 {
	norm := ix.k1 * (1 - ix.b + ix.b*float32(qlen)/ix.avgdl)
	var s float32
	for _, t := range q {
		tf := t.weight
		s += t.weight * ix.idf[t.id] * (ix.k1 + 1) * tf / (tf + norm)
	}
	return s
}

// scored is a document and its score.
type scored struct {
	doc   uint32
	score float32
}

// topK returns the k best touched documents, best first; ties go to the
// lower document id so results are deterministic.
func topK(acc []float32, touched []uint32, k int) []scored {
	if k <= 0 {
		return nil
	}
	h := make(minHeap, 0, k)
	for _, d := range touched {
		s := acc[d]
		if len(h) < k {
			heap.Push(&h, scored{d, s})
			continue
		}
		if better(scored{d, s}, h[0]) {
			h[0] = scored{d, s}
			heap.Fix(&h, 0)
		}
	}
	out := make([]scored, len(h))
	for i := len(h) - 1; i >= 0; i-- {
		out[i] = heap.Pop(&h).(scored)
	}
	return out
}

func better(a, b scored) bool {
	if a.score != b.score {
		return a.score > b.score
	}
	return a.doc < b.doc
}

type minHeap []scored

func (h minHeap) Len() int           { return len(h) }
func (h minHeap) Less(i, j int) bool { return better(h[j], h[i]) }
func (h minHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *minHeap) Push(x any)        { *h = append(*h, x.(scored)) }
func (h *minHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// accumulateIDF adds the idf of every query term a document contains, once
// per term: with idfMass it measures how much of a short document (a law
// name) the query covers.
func (ix *bm25Index) accumulateIDF(q []qterm, acc []float32, touched []uint32) []uint32 {
	for _, t := range q {
		w := ix.idf[t.id]
		for _, d := range ix.docs[ix.off[t.id]:ix.off[t.id+1]] {
			if acc[d] == 0 {
				touched = append(touched, d)
			}
			acc[d] += w
		}
	}
	return touched
}

// idfMass is, per document, the summed idf of its distinct terms.
func (ix *bm25Index) idfMass() []float32 {
	mass := make([]float32, ix.n)
	for t := range ix.idf {
		for _, d := range ix.docs[ix.off[t]:ix.off[t+1]] {
			mass[d] += ix.idf[t]
		}
	}
	for d := range mass {
		if mass[d] == 0 {
			mass[d] = 1
		}
	}
	return mass
}

// contains reports whether the document has the term.
func (ix *bm25Index) contains(term, doc uint32) bool {
	_, ok := slices.BinarySearch(ix.docs[ix.off[term]:ix.off[term+1]], doc)
	return ok
}
