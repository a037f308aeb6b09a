package knowledge

import (
	"fmt"
	"math"
	"os"
	"slices"
	"testing"
)

// syntheticQuestions are questions of three candidates each where the right
// one, when there is one, has the higher cosine; one question in four has
// no right candidate and all its candidates are weak.
func syntheticQuestions(n int) []ScoringQuestion {
	qs := make([]ScoringQuestion, n)
	for g := range qs {
		none := g%4 == 3
		for c := range 3 {
			var f entryFeatures
			right := c == 0 && !none
			f[featCos] = 0.3 + 0.1*float64((g+c)%3)
			if right {
				f[featCos] = 0.8 + 0.05*float64(g%3)
			}
			if none {
				f[featCos] = 0.2 + 0.05*float64(c)
			}
			// A little noise that does not tell right from wrong.
			f[featChars] = float64((g*7+c*3)%5) / 5
			qs[g].Candidates = append(qs[g].Candidates, ScoringExample{Entry: string(rune('a' + c)), Right: right, f: f})
		}
	}
	return qs
}

// The ranker learns which signal puts the right entry first, and the
// calibrator turns the signals into probabilities that are high for right
// answers and low where no candidate is right.
func TestFitScorerLearnsWhichSignalDecides(t *testing.T) {
	qs := syntheticQuestions(200)
	sc := FitScorer(qs, 1)
	if sc.Rank[featCos] <= 0 || sc.Rank[featCos] <= math.Abs(sc.Rank[featChars]) {
		t.Fatalf("ranker weights %s: the cosine should decide, the noise not", sc)
	}
	var right, none float64
	var nRight, nNone int
	for _, q := range qs {
		fs := sc.ranked(q)
		if q.Candidates[0].Right {
			right += sc.prob(fs[0])
			nRight++
		} else {
			none += max(sc.prob(fs[0]), sc.prob(fs[1]), sc.prob(fs[2]))
			nNone++
		}
	}
	if right/float64(nRight) < 0.8 || none/float64(nNone) > 0.2 {
		t.Errorf("mean probability of a right answer %.2f, of the best of no right one %.2f", right/float64(nRight), none/float64(nNone))
	}
	if top := Curve(sc, qs, []float64{0})[0]; top.Right != nRight {
		t.Errorf("the first candidate is right for %d of %d questions that have a right one", top.Right, nRight)
	}
}

// The threshold is the lowest at which confident answers are right often
// enough, there and at every higher threshold that answers enough questions
// for its precision to mean something.
func TestThresholdForKeepsPrecisionAtEveryHigherThreshold(t *testing.T) {
	// One candidate each; the calibrator is the identity on featCover:
	// σ(0 + logit(p)) = p.
	var sc Scorer
	sc.Weights[featCover] = 1
	question := func(p float64, right bool) ScoringQuestion {
		var f entryFeatures
		f[featCover] = math.Log(p / (1 - p))
		return ScoringQuestion{Candidates: []ScoringExample{{Right: right, f: f}}}
	}
	// Each kind of answer minCurveAnswers times. Confident answers from
	// 0.86: 3 right of 3; from 0.81: 3 of 4; from 0.71: 4 of 5; from 0.61:
	// 4 of 6; from 0: 4 of 7. 80% at 0.80 alone is not enough: 0.81 to
	// 0.85 fall below it.
	var qs []ScoringQuestion
	for range minCurveAnswers {
		qs = append(qs, question(0.955, true), question(0.925, true), question(0.905, true), question(0.855, false),
			question(0.805, true), question(0.705, false), question(0.605, false))
	}
	tests := []struct{ want, threshold float64 }{
		{0.99, 0.86}, {0.8, 0.86}, {0.7, 0.71}, {0.5, 0},
	}
	for _, tt := range tests {
		if got := ThresholdFor(sc, qs, tt.want); math.Abs(got-tt.threshold) > 1e-9 {
			t.Errorf("ThresholdFor(%.2f) = %.2f, want %.2f", tt.want, got, tt.threshold)
		}
	}
	// A few wrong answers above every other do not push the threshold to 1
	// when too few answers are given there to tell.
	few := append(slices.Clone(qs), question(0.995, false), question(0.995, false))
	if got := ThresholdFor(sc, few, 0.9); math.Abs(got-0.86) > 1e-9 {
		t.Errorf("with two wrong answers at 0.995, ThresholdFor(0.9) = %.2f, want 0.86", got)
	}
}

// Blind questions are each scored once, by a calibrator fitted without
// their writer: what one writer's questions alone show (here, that a weak
// match carrying the entry's core words is right) does not flatter the
// curve, though a calibrator fitted on every writer learns it.
func TestCrossValidatedCurveHoldsOutEachWriter(t *testing.T) {
	base := syntheticQuestions(200)
	candidates := func(rightCos, rightCore float64) []ScoringExample {
		var right, wrong entryFeatures
		right[featCos], right[featCore] = rightCos, rightCore
		wrong[featCos] = 0.3
		return []ScoringExample{{Entry: "a", Right: true, f: right}, {Entry: "b", f: wrong}}
	}
	var blind []ScoringQuestion
	for i := range 40 {
		blind = append(blind,
			ScoringQuestion{Source: SourceBlind, ID: fmt.Sprintf("x%03d", i), Weight: 100, Candidates: candidates(0.3, 1)},
			ScoringQuestion{Source: SourceBlind, ID: fmt.Sprintf("y%03d", i), Weight: 100, Candidates: candidates(0.85, 0)})
	}
	writer := func(q ScoringQuestion) string { return q.ID[:1] }
	cv := CrossValidatedCurve(base, blind, writer, 1, []float64{0, 0.5})
	if n := cv[0].Right + cv[0].Wrong; n != len(blind) {
		t.Fatalf("%d blind questions scored, want each of %d once", n, len(blind))
	}
	inSample := Curve(FitScorer(append(base, blind...), 1), blind, []float64{0.5})[0]
	if cv[1].Right != len(blind)/2 || inSample.Right != len(blind) {
		t.Errorf("right from 0.5: %d cross-validated, %d in sample, of %d; want only writer y's and all",
			cv[1].Right, inSample.Right, len(blind))
	}
}

// The fitting data asks each wording held out of its entry, and labels the
// entry it was taken from (or one resting on its articles) right.
func TestScoringDataHoldsEachWordingOutOfItsEntry(t *testing.T) {
	b, err := New(Options{NoFAQ: true, BankFiles: []string{"labour-pay.yaml", "consumer.yaml"}})
	if err != nil {
		t.Fatal(err)
	}
	var wordings int
	for _, e := range b.Entries() {
		wordings += len(e.Paraphrases)
	}
	data := b.ScoringData(2, nil, nil)
	if len(data) != wordings {
		t.Fatalf("%d questions for %d wordings", len(data), wordings)
	}
	var found, labelled int
	for _, q := range data {
		for _, c := range q.Candidates {
			if c.Entry == q.Want {
				found++
				if c.Right {
					labelled++
				}
			}
		}
	}
	if found < wordings*3/4 || labelled != found {
		t.Errorf("own entry among the candidates of %d of %d wordings, labelled right %d times", found, wordings, labelled)
	}
}

// Matching a question against the bank's questions keeps its question
// words: how long it takes is another entry than how to apply.
func TestAskTellsQuestionsApartByTheirQuestionWords(t *testing.T) {
	b := testBase(t)
	tests := []struct{ q, id string }{
		{"法律援助怎么申请", "legal-aid-apply"},
		{"申请了法律援助多久能有结果", "proc2-legal-aid-decision-time"},
	}
	for _, tt := range tests {
		ans := b.Ask(tt.q, 5)
		if len(ans.Hits) == 0 || ans.Hits[0].Entry == nil || ans.Hits[0].Entry.ID != tt.id {
			t.Errorf("%q: first hit %v, want entry:%s", tt.q, hitNames(ans.Hits), tt.id)
		}
	}
}

// The scorer is fitted on the bank's wordings and texts, and the entry
// threshold chosen with it: a bank changed without a refit leaves both
// describing another bank.
func TestDefaultScorerWasFittedOnTheShippedBank(t *testing.T) {
	const refit = "run `go run ./cmd/pufa kb fit`, paste its Scorer literal and digests into knowledge/scorer.go " +
		"and its entry and reading thresholds into DefaultThresholds"
	if got := BankDigest(); got != scorerBankDigest {
		t.Errorf("the bank (digest %s) changed since DefaultScorer was fitted (on %s): %s", got, scorerBankDigest, refit)
	}
	blind, err := os.ReadFile("testdata/residents-blind.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if got := Digest(blind); got != scorerBlindDigest {
		t.Errorf("the blind resident set (digest %s) changed since the calibrator was fitted (on %s): %s", got, scorerBlindDigest, refit)
	}
}
