package knowledge

import (
	"math"
	"testing"
)

// softmaxLoss is the loss fitSoftmax minimises, with the ridge penalty l2.
func softmaxLoss(groups []choiceGroup, w []float64, l2 float64) float64 {
	var loss float64
	for _, v := range w {
		loss += l2 / 2 * v * v
	}
	for _, g := range groups {
		var sum, sumRight float64
		for i, x := range g.x {
			e := math.Exp(dot(w, x))
			sum += e
			if g.right[i] {
				sumRight += e
			}
		}
		loss += math.Log(sum) - math.Log(sumRight)
	}
	return loss
}

// Far from the minimum a loss's curvature can all but vanish, so a full
// Newton step lands farther away than it started (fitting the reranker once
// returned NaN this way). log cosh(w−3) is such a loss: from 0 the full step
// goes to about −100.
func TestNewtonHalvesStepsThatOvershoot(t *testing.T) {
	w := newton(1, func(w []float64) (float64, []float64, [][]float64) {
		d := w[0] - 3
		loss := math.Log(math.Cosh(d))
		return loss, []float64{math.Tanh(d)}, [][]float64{{1 / (math.Cosh(d) * math.Cosh(d))}}
	})
	if math.Abs(w[0]-3) > 1e-3 {
		t.Errorf("minimum of log cosh(w−3) found at %v, want 3", w[0])
	}
}

// Groups of forty candidates, three of them right, on features of a large
// scale: the fit finds the informative feature and the penalised loss's
// minimum.
func TestFitSoftmaxFindsTheMinimum(t *testing.T) {
	var groups []choiceGroup
	for g := range 300 {
		var grp choiceGroup
		for c := range 40 {
			right := c < 3
			informative := 20 * float64((g*13+c*7)%10) / 10
			if right {
				informative += 6
			}
			noise := 30 * float64((g*5+c*11)%7) / 7
			grp.x = append(grp.x, []float64{informative, noise})
			grp.right = append(grp.right, right)
		}
		groups = append(groups, grp)
	}
	w := fitSoftmax(groups, 2, 1)
	for _, v := range w {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Fatalf("weights %v are not finite", w)
		}
	}
	if w[0] <= 0 || math.Abs(w[1]) >= w[0] {
		t.Errorf("weights %v: the informative feature should dominate the noise", w)
	}
	fitted := softmaxLoss(groups, w, 1)
	for _, other := range [][]float64{{0, 0}, {w[0] * 2, w[1]}, {w[0] / 2, w[1]}, {w[0], w[1] + 0.1}} {
		if l := softmaxLoss(groups, other, 1); l < fitted-1e-6*math.Abs(fitted) {
			t.Errorf("loss %.3f at %v is below the fitted %.3f at %v", l, other, fitted, w)
		}
	}
}

// The reranker is fitted only from enough labelled questions; with a few,
// retrieval keeps its fused order.
func TestRerankerNeedsEnoughQuestions(t *testing.T) {
	c := defaultCorpus(t)
	s := newSearcher(c, EvalParams())
	qs := []LabeledQuery{
		{Text: "离婚冷静期是多久", Articles: []string{"中华人民共和国民法典第一千零七十七条"}},
		{Text: "人民调解要交钱吗", Articles: []string{"中华人民共和国人民调解法第四条"}},
	}
	tr := s.train(qs)
	if tr.rerank != nil {
		t.Errorf("reranker fitted on two questions: %v", tr.rerank)
	}
	plain := newSearcher(c, DefaultParams())
	got, want := s.search("离婚冷静期", 10, tr), plain.search("离婚冷静期", 10, plain.train(qs))
	for i := range want {
		if got[i].doc != want[i].doc {
			t.Fatalf("rank %d: %s, without reranking %s", i, c.articles[got[i].doc].Name(), c.articles[want[i].doc].Name())
		}
	}
}

// On real labelled questions the reranker is fitted, and it only reorders
// the fused top articles: what is found within them stays found.
func TestRerankerReordersTheFusedTopArticles(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	c, qs := stardSlice(t, 300)
	s, plain := newSearcher(c, EvalParams()), newSearcher(c, DefaultParams())
	tr, ptr := s.train(qs[:240]), plain.train(qs[:240])
	if tr.rerank == nil {
		t.Fatal("no reranker fitted on 240 questions")
	}
	for _, q := range qs[240:] {
		got, want := s.search(q.Text, rerankDepth, tr), plain.search(q.Text, rerankDepth, ptr)
		in := make(map[uint32]bool, len(want))
		for _, h := range want {
			in[h.doc] = true
		}
		for _, h := range got {
			if !in[h.doc] {
				t.Fatalf("%s: reranking brought in %s, outside the fused top %d", q.Text, c.articles[h.doc].Name(), rerankDepth)
			}
		}
		for i := 1; i < len(got); i++ {
			if got[i].score > got[i-1].score {
				t.Fatalf("%s: hits out of order at %d", q.Text, i)
			}
		}
	}
}
