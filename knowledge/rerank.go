package knowledge

import (
	"math"
	"slices"
)

// Article retrieval's signals are summed with fixed weights (Params), which
// suit the typical question; how much each should count depends on the
// question, though: neighbours' labels are decisive when a near-identical
// question was labelled, the law's prior when none was. A reranker reorders
// the fused top articles by a linear model over the signals, their rank and
// the text's coverage, fitted on the training questions: each is scored by
// signals learned from the other folds, so the weights are learned the way
// they will be used, on questions retrieval has not seen.

// rerankDepth is how many fused articles the reranker reorders: enough to
// hold most right articles (STARD's recall at 100 is 0.85), few enough to
// score quickly.
const rerankDepth = 100

// rerankFolds is how many folds the training questions are split into to
// score each without its own label.
const rerankFolds = 4

// maxRerankGroups caps the questions fitReranker scores.
const maxRerankGroups = 4000

// Reranker features, in the order of its weights.
const (
	rfFused     = iota // the fused score over the best content score
	rfContent          // content BM25 alone over the best content score
	rfLawName          // how much of the law's name the question holds
	rfLawQ             // similarity to the training questions citing the law
	rfLawPrior         // how often training questions cite the law
	rfArtPrior         // how often training questions cite the article
	rfVotes            // neighbour votes for the article
	rfNearest          // similarity of the nearest neighbour citing it
	rfExpansion        // similarity to the article's training questions
	rfAnswers          // similarity to the answers to its questions
	rfCover            // share of the question's weight the text holds
	rfRank             // 1/(1+rank) in the fused order
	rfLogRank          // log(1+rank)/log(1+depth) in the fused order
	rfLawVotes         // neighbour votes for any article of the law, over the best law's
	numRerankFeatures
)

// rerankCandidate is one article with its reranking features.
type rerankCandidate struct {
	doc uint32
	x   [numRerankFeatures]float64
}

// rerankCandidates gathers the features of the fused pool's articles from
// the scratch fuse left behind.
func rerankCandidates(sc *scratch, docLaw []uint32, tr *trained, pool []scored, top float32, cover coverer) []rerankCandidate {
	out := make([]rerankCandidate, len(pool))
	lawVotes := make(map[uint32]float32)
	var best float32
	for a, v := range sc.votes {
		lawVotes[docLaw[a]] += v
		best = max(best, lawVotes[docLaw[a]])
	}
	for i, b := range pool {
		d, law := b.doc, docLaw[b.doc]
		c := &out[i]
		c.doc = d
		c.x[rfFused] = float64(b.score / top)
		c.x[rfContent] = float64(sc.content[d] / top)
		c.x[rfLawName] = float64(sc.lawAcc[law])
		c.x[rfLawQ] = float64(sc.lawQ[law])
		c.x[rfLawPrior] = float64(tr.lawPrior[law])
		c.x[rfArtPrior] = float64(tr.artPrior[d])
		c.x[rfVotes] = float64(sc.votes[d])
		c.x[rfNearest] = float64(sc.nearest[d])
		c.x[rfExpansion] = float64(sc.exp[d])
		c.x[rfAnswers] = float64(sc.ans[d])
		c.x[rfCover] = float64(cover.of(d))
		c.x[rfRank] = 1 / float64(1+i)
		c.x[rfLogRank] = math.Log1p(float64(i)) / math.Log1p(rerankDepth)
		if best > 0 {
			c.x[rfLawVotes] = float64(lawVotes[law] / best)
		}
	}
	return out
}

// fitReranker fits the reranker's weights on qs: the questions are split
// into folds, each fold's questions are fused with signals learned from the
// other folds, and a softmax over each question's pool is fitted for its
// labelled articles to come first. Nil when too few questions have a
// labelled article in their pool to fit anything. At most maxRerankGroups
// questions are scored: more change the weights little and cost time.
func (s *searcher) fitReranker(qs []LabeledQuery) []float64 {
	var groups []choiceGroup
	stride := max(1, len(qs)/maxRerankGroups)
	for _, fold := range Folds(len(qs), rerankFolds, 1) {
		held := make(map[int]bool, len(fold))
		for _, i := range fold {
			held[i] = true
		}
		var rest []LabeledQuery
		for i, q := range qs {
			if !held[i] {
				rest = append(rest, q)
			}
		}
		tr := s.trainSignals(rest)
		for k, i := range fold {
			if k%stride != 0 {
				continue
			}
			groups = append(groups, s.rerankGroups(qs[i], tr)...)
		}
	}
	if len(groups) < 50 {
		return nil
	}
	return fitSoftmax(groups, numRerankFeatures, 1)
}

// rerankGroups are q's fused pool, once per labelled article in it: that
// article against the articles not labelled, so that each labelled article
// is pulled up, not just the easiest one.
func (s *searcher) rerankGroups(q LabeledQuery, tr *trained) []choiceGroup {
	var want []uint32
	for _, name := range q.Articles {
		if a := s.corpus.ArticleByName(name); a != nil {
			want = append(want, uint32(a.id))
		}
	}
	sc := s.getScratch()
	defer s.putScratch(sc)
	top := s.fuse(sc, q.Text, tr)
	cover := s.newCoverer(sc.qt, q.Text)
	sc.qt = cover.qt
	cands := rerankCandidates(sc, s.docLaw, tr, topK(sc.acc, sc.touched, rerankDepth), top, cover)
	var wrong [][]float64
	var right []int
	for i := range cands {
		if slices.Contains(want, cands[i].doc) {
			right = append(right, i)
		} else {
			wrong = append(wrong, cands[i].x[:])
		}
	}
	groups := make([]choiceGroup, len(right))
	for k, i := range right {
		g := choiceGroup{x: append(slices.Clip(wrong), cands[i].x[:]), right: make([]bool, len(wrong)+1)}
		g.right[len(wrong)] = true
		groups[k] = g
	}
	return groups
}
