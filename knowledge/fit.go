package knowledge

import (
	"cmp"
	"hash/fnv"
	"math"
	"slices"
	"strconv"
	"strings"
)

// The scorer learns from questions whose right answer is known but which
// the bank has not seen: each fold of the bank's own wordings is held out of
// the entries (and of retrieval's training) and asked as a question, and so
// is each fold of LeCoQA's lay questions. Held out, a wording is a fair
// stand-in for a resident's new way of asking; kept in, it would match
// itself.

// ScoringSource names where a question of the fitting data comes from.
type ScoringSource string

// Sources of fitting data.
const (
	// SourceWording is a bank wording held out of its entry.
	SourceWording ScoringSource = "wording"
	// SourceLeCoQA is a LeCoQA lay question held out of training that no
	// entry rests on a gold article of: the bank does not answer it.
	SourceLeCoQA ScoringSource = "lecoqa"
	// SourceLeCoQACovered is a LeCoQA lay question held out of training
	// that some entry rests on a gold article of: a real question, labelled
	// by others, that the bank can answer.
	SourceLeCoQACovered ScoringSource = "lecoqa-covered"
	// SourceResidents is a question of one of pufa's resident sets, asked
	// of the whole bank: measured, never fitted on.
	SourceResidents ScoringSource = "residents"
	// SourceBlind is a question of a resident set written blind (by
	// writers who saw neither the bank nor a reply) and kept for fitting the
	// calibrator: residents ask unlike the bank's writers, and only
	// questions like theirs show how far to trust a match. The ranker does
	// not learn from them, and they never feed the bank.
	SourceBlind ScoringSource = "blind"
)

// ScoringQuestion is one question of the fitting data with its candidates.
type ScoringQuestion struct {
	Source ScoringSource
	// ID is the question's id in its set ("" for a wording).
	ID   string
	Text string
	// Want names what is right: the held-out wording's entry, or the gold
	// articles.
	Want       string
	Candidates []ScoringExample // best first by the scorer in use
	// Weight is how much the question counts in the calibrator's fit (0
	// counts as 1).
	Weight float64
}

// fitCandidates is how many of a question's closest entries the scorer
// learns from: the first is what is answered, the next are its rivals.
const fitCandidates = 30

// ScoringData asks every held-out wording and LeCoQA question (folds folds)
// and every labelled resident question, and returns each with its
// candidates' features and whether each is a right basis. lecoqa are
// LeCoQA's questions as retrieval trains on them; residents may be empty.
func (b *Base) ScoringData(folds int, lecoqa []LabeledQuery, residents []ResidentQuestion) []ScoringQuestion {
	var out []ScoringQuestion
	ix := b.index.Load()
	for fold := range folds {
		var office, bank []*Entry
		var held []heldWording
		for _, e := range ix.entries {
			kept := *e
			kept.Paraphrases = nil
			for i, p := range e.Paraphrases {
				if wordingFold(e.ID, i, folds) == fold {
					held = append(held, heldWording{entry: e, text: p})
				} else {
					kept.Paraphrases = append(kept.Paraphrases, p)
				}
			}
			if e.Layer == LayerOffice {
				office = append(office, &kept)
			} else {
				bank = append(bank, &kept)
			}
		}
		var training []LabeledQuery
		var heldQs []LabeledQuery
		for i, q := range lecoqa {
			if i%folds == fold {
				heldQs = append(heldQs, q)
			} else {
				training = append(training, q)
			}
		}
		training = append(training, BankTraining(bank)...)
		fb := b.WithTraining(training)
		fix := newEntryIndex(office, bank, b.s, b.sp)
		fb.index.Store(fix)
		for _, h := range held {
			src := h.entry
			out = append(out, fb.scoringQuestion(SourceWording, h.text, src.ID, func(hit Hit) bool {
				// Another entry resting on an article the wording's own
				// entry cites answers it too, and so does one asking the
				// same question in other words (an office FAQ entry over a
				// bank one).
				return citesArticle(src, hit.FirstCitation()) || fix.sameAnswer(src.ID, hit.Entry.ID)
			}))
		}
		for _, q := range heldQs {
			gold := goldSet(b.corpus, q.Articles)
			src := SourceLeCoQA
			if slices.ContainsFunc(bank, func(e *Entry) bool { return len(e.Cites) > 0 && gold[e.Cites[0].Article.Name()] }) {
				src = SourceLeCoQACovered
			}
			out = append(out, fb.scoringQuestion(src, q.Text, strings.Join(q.Articles, ","), func(hit Hit) bool {
				a := hit.FirstCitation()
				return a != nil && gold[a.Name()]
			}))
		}
	}
	for _, q := range residents {
		gold := goldSet(b.Corpus(), q.Gold)
		sq := b.scoringQuestion(SourceResidents, q.Text, strings.Join(q.Gold, ","), func(hit Hit) bool {
			a := hit.FirstCitation()
			if a == nil {
				return len(gold) == 0
			}
			return gold[a.Name()]
		})
		sq.ID = q.ID
		out = append(out, sq)
	}
	return out
}

type heldWording struct {
	entry *Entry
	text  string
}

// wordingFold puts an entry's i-th paraphrase in a fold, the same one at
// every run.
func wordingFold(id string, i, folds int) int {
	h := fnv.New32a()
	h.Write([]byte(id))
	h.Write([]byte{'#'})
	h.Write([]byte(strconv.Itoa(i)))
	return int(h.Sum32() % uint32(folds))
}

// scoringQuestion asks q and labels its closest entries.
func (b *Base) scoringQuestion(src ScoringSource, q, want string, right func(Hit) bool) ScoringQuestion {
	fixed := b.sp.fix(q)
	searched := searchIn(b.s, b.tr, b.corpus, fixed, agreeRankDepth)
	hits, feats := b.rankEntries(fixed, "", searched, fitCandidates)
	sq := ScoringQuestion{Source: src, Text: q, Want: want}
	for i, h := range hits {
		if i == fitCandidates {
			break
		}
		sq.Candidates = append(sq.Candidates, ScoringExample{Entry: h.Entry.ID, Right: right(h), f: feats[i]})
	}
	return sq
}

// Curve is the precision and coverage of confident answers over qs, as sc
// would score them, at each threshold: a question is answered with
// confidence when its best candidate's probability reaches the threshold,
// and rightly when that candidate is a right basis.
func Curve(sc Scorer, qs []ScoringQuestion, thresholds []float64) []CalibrationPoint {
	return curveOf(topsOf(sc, qs), thresholds)
}

// scoredCandidate is one of a question's candidates as a scorer sees it:
// its index among the question's candidates, its probability and whether
// it is right.
type scoredCandidate struct {
	i     int
	p     float64
	right bool
}

// byProbability are q's candidates as sc scores them, the most likely
// first, ties in the ranker's order.
func (sc Scorer) byProbability(q ScoringQuestion) []scoredCandidate {
	fs := sc.ranked(q)
	cs := make([]scoredCandidate, len(fs))
	for i, f := range fs {
		cs[i] = scoredCandidate{i, sc.prob(f), q.Candidates[i].Right}
	}
	slices.SortStableFunc(cs, func(a, b scoredCandidate) int { return cmp.Compare(b.p, a.p) })
	return cs
}

// topsOf is each question's most likely candidate; p is -1 for a question
// with none.
func topsOf(sc Scorer, qs []ScoringQuestion) []scoredCandidate {
	tops := make([]scoredCandidate, 0, len(qs))
	for _, q := range qs {
		best := scoredCandidate{p: -1}
		if cs := sc.byProbability(q); len(cs) > 0 {
			best = cs[0]
		}
		tops = append(tops, best)
	}
	return tops
}

func curveOf(tops []scoredCandidate, thresholds []float64) []CalibrationPoint {
	var out []CalibrationPoint
	for _, t := range slices.Sorted(slices.Values(thresholds)) {
		pt := CalibrationPoint{Threshold: t}
		for _, tp := range tops {
			if tp.p >= t {
				if tp.right {
					pt.Right++
				} else {
					pt.Wrong++
				}
			}
		}
		if n := pt.Right + pt.Wrong; n > 0 {
			pt.Precision = float64(pt.Right) / float64(n)
		}
		if len(tops) > 0 {
			pt.Coverage = float64(pt.Right+pt.Wrong) / float64(len(tops))
		}
		out = append(out, pt)
	}
	return out
}

// CrossValidatedCurve is Curve for blind questions the calibrator is
// fitted on, each scored by a calibrator fitted without its writer's
// questions: blind is grouped by writer, and each writer's questions are
// scored by the scorer FitScorer fits on base and the other writers'. A
// writer's questions share a style, so holding out by question would
// flatter the calibrator on the next writer, or the next resident.
func CrossValidatedCurve(base, blind []ScoringQuestion, writer func(ScoringQuestion) string, l2 float64, thresholds []float64) []CalibrationPoint {
	rank := fitRanker(base, l2)
	var writers []string
	for _, q := range blind {
		if w := writer(q); !slices.Contains(writers, w) {
			writers = append(writers, w)
		}
	}
	var tops []scoredCandidate
	for _, w := range writers {
		train := slices.Clone(base)
		var held []ScoringQuestion
		for _, q := range blind {
			if writer(q) == w {
				held = append(held, q)
			} else {
				train = append(train, q)
			}
		}
		tops = append(tops, topsOf(fitCalibrator(rank, train, l2), held)...)
	}
	return curveOf(tops, thresholds)
}

// Misses are the questions sc answers wrongly with the most confidence,
// most confident first, at most n: where the fitting data says the scorer
// or the bank is weakest.
func Misses(sc Scorer, qs []ScoringQuestion, n int) []ScoringMiss {
	var out []ScoringMiss
	for _, q := range qs {
		if cs := sc.byProbability(q); len(cs) > 0 && !cs[0].right {
			out = append(out, ScoringMiss{Question: q, Got: q.Candidates[cs[0].i].Entry, P: cs[0].p})
		}
	}
	slices.SortFunc(out, func(a, b ScoringMiss) int { return cmp.Compare(b.P, a.P) })
	return out[:min(n, len(out))]
}

// ScoringMiss is a question answered by a wrong entry.
type ScoringMiss struct {
	Question ScoringQuestion
	Got      string
	P        float64
}

// CoverageAt is the largest share of qs answered with confidence, at any
// threshold, with the confident answers right at least want of the time.
func CoverageAt(sc Scorer, qs []ScoringQuestion, want float64) float64 {
	var ts []float64
	for t := 0.0; t <= 1; t += 0.005 {
		ts = append(ts, t)
	}
	best := 0.0
	for _, pt := range Curve(sc, qs, ts) {
		if pt.Right+pt.Wrong > 0 && pt.Precision >= want {
			best = max(best, pt.Coverage)
		}
	}
	return best
}

// FitScorer fits the ranker on the questions with a right candidate, blind
// ones aside, then the calibrator on every candidate, its share and margin
// as the fitted ranker gives them. l2 is the ridge penalty of both.
func FitScorer(qs []ScoringQuestion, l2 float64) Scorer {
	return fitCalibrator(fitRanker(qs, l2), qs, l2)
}

// fitCalibrator fits the calibrator on every candidate of qs, weighed by
// its question's weight, with the ranker's weights rank.
func fitCalibrator(rank []float64, qs []ScoringQuestion, l2 float64) Scorer {
	var sc Scorer
	copy(sc.Rank[:], rank)
	var xs [][]float64
	var ys []bool
	var ws []float64
	for _, q := range qs {
		w := cmp.Or(q.Weight, 1)
		for i, f := range sc.ranked(q) {
			xs = append(xs, append(f[:], 1))
			ys = append(ys, q.Candidates[i].Right)
			ws = append(ws, w)
		}
	}
	beta := newton(numFeatures+1, func(beta []float64) (float64, []float64, [][]float64) {
		grad, hess := zeroDerivs(len(beta))
		var loss float64
		for k, x := range xs {
			z := dot(beta, x)
			p := sigmoid(z)
			y := 0.0
			if ys[k] {
				y = 1
			}
			w := ws[k]
			loss += w * (softplus(z) - y*z)
			for i := range x {
				grad[i] += w * (p - y) * x[i]
				for j := range x {
					hess[i][j] += w * p * (1 - p) * x[i] * x[j]
				}
			}
		}
		loss += ridge(beta[:numFeatures], grad, hess, l2)
		return loss, grad, hess
	})
	copy(sc.Weights[:], beta[:numFeatures])
	sc.Bias = beta[numFeatures]
	return sc
}

// fitRanker fits the ranker's weights on the questions with a right
// candidate. Blind questions only calibrate: ranking with them too moved
// none of the cross-validated first candidates worth a mention (264 to 266
// right of 392).
func fitRanker(qs []ScoringQuestion, l2 float64) []float64 {
	var groups []choiceGroup
	for _, q := range qs {
		if q.Source == SourceBlind || !slices.ContainsFunc(q.Candidates, func(c ScoringExample) bool { return c.Right }) {
			continue
		}
		g := choiceGroup{x: make([][]float64, len(q.Candidates)), right: make([]bool, len(q.Candidates))}
		for i := range q.Candidates {
			g.x[i] = q.Candidates[i].f[:rankFeatures]
			g.right[i] = q.Candidates[i].Right
		}
		groups = append(groups, g)
	}
	return fitSoftmax(groups, rankFeatures, l2)
}

// choiceGroup is one question's candidates: their features and which are
// right. At least one is.
type choiceGroup struct {
	x     [][]float64
	right []bool
}

// fitSoftmax fits n weights of a softmax over each group's candidates (a
// conditional logit), the likelihood being the share of the right ones. The
// Hessian is the softmax's own covariance, which never understates the
// curvature near the minimum; far from it newton halves the steps.
func fitSoftmax(groups []choiceGroup, n int, l2 float64) []float64 {
	return newton(n, func(w []float64) (float64, []float64, [][]float64) {
		grad, hess := zeroDerivs(len(w))
		var loss float64
		mean := make([]float64, len(w))
		var scores []float64
		for _, g := range groups {
			scores = scores[:0]
			top := math.Inf(-1)
			for _, x := range g.x {
				scores = append(scores, dot(w, x))
				top = max(top, scores[len(scores)-1])
			}
			var sum, sumRight float64
			for i := range g.x {
				scores[i] = math.Exp(scores[i] - top)
				sum += scores[i]
				if g.right[i] {
					sumRight += scores[i]
				}
			}
			loss += math.Log(sum) - math.Log(sumRight)
			clear(mean)
			for i, x := range g.x {
				p := scores[i] / sum
				for a := range w {
					mean[a] += p * x[a]
					grad[a] += p * x[a]
					if g.right[i] {
						grad[a] -= scores[i] / sumRight * x[a]
					}
					for b := range w {
						hess[a][b] += p * x[a] * x[b]
					}
				}
			}
			for a := range w {
				for b := range w {
					hess[a][b] -= mean[a] * mean[b]
				}
			}
		}
		loss += ridge(w, grad, hess, l2)
		return loss, grad, hess
	})
}

// ranked is a copy of q's candidates' features with their share and margin
// as sc's ranker gives them.
func (sc Scorer) ranked(q ScoringQuestion) []entryFeatures {
	fs := make([]entryFeatures, len(q.Candidates))
	for i, c := range q.Candidates {
		fs[i] = c.f
	}
	sc.rank(fs)
	return fs
}

// newton minimises a loss from zero by Newton's method; derivs gives its
// value, gradient and Hessian at a point. Far from the minimum a softmax's
// curvature can vanish and a full step overshoot, so each step is halved
// until the loss falls.
func newton(n int, derivs func([]float64) (float64, []float64, [][]float64)) []float64 {
	beta := make([]float64, n)
	loss, grad, hess := derivs(beta)
	next := make([]float64, n)
	for range 50 {
		step, ok := solve(hess, grad)
		if !ok {
			break
		}
		var moved float64
		for t := 1.0; t > 1e-6; t /= 2 {
			for i := range beta {
				next[i] = beta[i] - t*step[i]
			}
			l, g, h := derivs(next)
			if l <= loss || math.IsNaN(loss) {
				for i := range beta {
					moved = max(moved, math.Abs(next[i]-beta[i]))
				}
				copy(beta, next)
				loss, grad, hess = l, g, h
				break
			}
		}
		if moved < 1e-7 {
			break
		}
	}
	return beta
}

func zeroDerivs(n int) ([]float64, [][]float64) {
	hess := make([][]float64, n)
	for i := range hess {
		hess[i] = make([]float64, n)
	}
	return make([]float64, n), hess
}

// ridge adds the penalty l2/2·|w|² to a gradient and Hessian and returns
// it; w are the leading, penalised coordinates.
func ridge(w, grad []float64, hess [][]float64, l2 float64) float64 {
	var pen float64
	for i := range w {
		pen += l2 / 2 * w[i] * w[i]
		grad[i] += l2 * w[i]
		hess[i][i] += l2
	}
	for i := range hess {
		hess[i][i] += 1e-9
	}
	return pen
}

// dot is Σ a[i]·b[i] over b's length: a may be longer, as a candidate's
// features are than the ranker's weights over their leading part.
func dot(a, b []float64) float64 {
	var s float64
	for i := range b {
		s += a[i] * b[i]
	}
	return s
}

func sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }

// softplus is log(1+e^z), computed without overflow.
func softplus(z float64) float64 {
	if z > 0 {
		return z + math.Log1p(math.Exp(-z))
	}
	return math.Log1p(math.Exp(z))
}

// solve solves a·x = b by Gaussian elimination with partial pivoting; false
// when a is singular. a and b are overwritten.
func solve(a [][]float64, b []float64) ([]float64, bool) {
	n := len(b)
	for c := range n {
		p := c
		for r := c + 1; r < n; r++ {
			if math.Abs(a[r][c]) > math.Abs(a[p][c]) {
				p = r
			}
		}
		if math.Abs(a[p][c]) < 1e-12 {
			return nil, false
		}
		a[c], a[p] = a[p], a[c]
		b[c], b[p] = b[p], b[c]
		for r := c + 1; r < n; r++ {
			f := a[r][c] / a[c][c]
			for k := c; k < n; k++ {
				a[r][k] -= f * a[c][k]
			}
			b[r] -= f * b[c]
		}
	}
	x := make([]float64, n)
	for r := n - 1; r >= 0; r-- {
		s := b[r]
		for k := r + 1; k < n; k++ {
			s -= a[r][k] * x[k]
		}
		x[r] = s / a[r][r]
	}
	return x, true
}

// ChoicePoint says, at one choice threshold, how the questions not answered
// with confidence fare: how many are offered readings, and of those, how
// many have the right one among them.
type ChoicePoint struct {
	Threshold float64
	Offered   float64 // share of unsure questions offered readings
	Helpful   float64 // share of those whose readings hold a right one
}

// ChoiceCurve measures readings (up to three candidates from the choice
// threshold) for the questions sc would not answer with confidence at sure.
func ChoiceCurve(sc Scorer, qs []ScoringQuestion, sure float64, thresholds []float64) []ChoicePoint {
	// The unsure questions' candidates, most likely first, scored once for
	// every threshold.
	var unsure [][]scoredCandidate
	for _, q := range qs {
		cs := sc.byProbability(q)
		if len(cs) > 0 && cs[0].p >= sure {
			continue
		}
		unsure = append(unsure, cs)
	}
	var out []ChoicePoint
	for _, t := range thresholds {
		pt := ChoicePoint{Threshold: t}
		var offered, helpful int
		for _, cs := range unsure {
			n, right := 0, false
			for _, c := range cs {
				if c.p < t || n == maxChoices {
					break
				}
				n++
				right = right || c.right
			}
			if n > 0 {
				offered++
				if right {
					helpful++
				}
			}
		}
		if len(unsure) > 0 {
			pt.Offered = float64(offered) / float64(len(unsure))
		}
		if offered > 0 {
			pt.Helpful = float64(helpful) / float64(offered)
		}
		out = append(out, pt)
	}
	return out
}

// ThresholdFor is the lowest threshold, in steps of 0.01, from which sc's
// confident answers over qs are right at least want of the time at that
// threshold and every higher one; 1 when none is.
func ThresholdFor(sc Scorer, qs []ScoringQuestion, want float64) float64 {
	return ThresholdOf(Curve(sc, qs, ThresholdSteps()), want)
}

// ThresholdSteps are the thresholds from 0 to 1 in steps of 0.01.
func ThresholdSteps() []float64 {
	var ts []float64
	for t := 0.0; t <= 1.0001; t += 0.01 {
		ts = append(ts, t)
	}
	return ts
}

// ThresholdOf is the lowest threshold of curve from which the precision is
// at least want at that threshold and every higher one that answers at
// least minCurveAnswers questions; 1 when none is.
func ThresholdOf(curve []CalibrationPoint, want float64) float64 {
	best := 1.0
	for i := len(curve) - 1; i >= 0; i-- {
		pt := curve[i]
		if pt.Right+pt.Wrong >= minCurveAnswers && pt.Precision < want {
			break
		}
		best = pt.Threshold
	}
	return best
}

// minCurveAnswers is how many confident answers a threshold must give for
// its precision to count: 2 wrong of 19 is noise, not 89% (it put the
// threshold at 1 over a calibrator right 90.8% of the time from 0.91).
const minCurveAnswers = 30
