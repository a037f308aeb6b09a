package knowledge

import (
	"fmt"
	"math"
	"strings"
)

// Which answer entry a question means, and how sure the bot may be of it,
// is not one similarity but several signals, each catching a different
// mistake: a wording that looks alike but lacks the question's key word
// (赡养费 asked, 抚养费 answered), an entry whose articles say nothing of the
// question's specifics, a near tie with an entry on another article. Two
// fitted linear models weigh them. The ranker orders a question's candidates
// (a softmax over them, fitted for the right one to come first); the
// calibrator turns a candidate's signals, with its share of the ranker's
// softmax and its lead over the next, into the probability that its first
// citation is a right basis, so one threshold decides. Both are fitted by
// `pufa kb fit` on wordings held out of the bank and LeCoQA's lay questions
// held out of training, never on a test set.

// Entry features, in the order of Scorer's weights.
const (
	// featCos is the cosine of the entry's closest wording.
	featCos = iota
	// featCos2 is the cosine of its second-closest wording: support from
	// more than one way of asking.
	featCos2
	// featChars is the cosine of its closest wording by single characters.
	featChars
	// featBM25 is the share of the question's BM25 self-score the entry's
	// whole text (wordings, answer, quotes) reaches.
	featBM25
	// featCover is the share of the question's terms the entry's leading
	// article covers.
	featCover
	// featAgree is 1 when article retrieval, which learns from lay
	// questions, ranks the entry's main article among its top three.
	featAgree
	// featAgreeRank is the reciprocal rank of the entry's main article in
	// article retrieval's top ten, 0 when absent.
	featAgreeRank
	// featLead is the entry's similarity minus that of the closest entry
	// resting on another article.
	featLead
	// featMissing is the share of the question's weight whose terms the
	// entry's whole text lacks.
	featMissing
	// featMissingMax is the weight of the rarest question term the entry's
	// text lacks, over ten.
	featMissingMax
	// featShort is 1/(1+terms): a question of a few words leaves room to
	// misread.
	featShort
	// featCore is the share of the entry's core terms, those most of its
	// wordings share, the question has.
	featCore
	// featNoCite is 1 for an entry that cites nothing (the office's own
	// information).
	featNoCite
	// featShare is the entry's share of the ranker's softmax over the
	// candidates; the ranker itself does not use it.
	featShare
	// featMargin is the entry's ranker score minus the best other
	// candidate's; the ranker itself does not use it.
	featMargin
	numFeatures
)

// rankFeatures are the features the ranker uses: all but share and margin,
// which come from it.
const rankFeatures = featShare

// featureNames name the features in fits and logs.
var featureNames = [numFeatures]string{"cos", "cos2", "chars", "bm25", "cover", "agree", "agree_rank", "lead",
	"missing", "missing_max", "short", "core", "no_cite", "share", "margin"}

// entryFeatures are one entry's signals for one question.
type entryFeatures [numFeatures]float64

// Scorer ranks a question's candidate entries and says how likely each is
// to answer it.
type Scorer struct {
	// Rank weighs the first rankFeatures features into a candidate's score.
	Rank [rankFeatures]float64
	// Bias and Weights are the calibrator's logistic model.
	Bias    float64
	Weights [numFeatures]float64
}

// scorerBankDigest is the BankDigest of the bank DefaultScorer and the
// entry threshold were fitted on, and scorerBlindDigest the Digest of the
// blind resident set (testdata/residents-blind.jsonl) the calibrator was;
// `pufa kb fit` prints both with them.
const (
	scorerBankDigest  = "11a9005c04120ff4"
	scorerBlindDigest = "734a8dc84c502ab4"
)

// DefaultScorer is the fitted scorer (`pufa kb fit`).
func DefaultScorer() Scorer {
	return Scorer{
		Rank:    [rankFeatures]float64{-2.3646, 2.8213, 8.7701, 11.7994, 1.4599, 0.2832, 1.0683, -3.3227, -5.2464, 2.0379, 0.0000, 1.1649, 1.5167},
		Bias:    -2.5414,
		Weights: [numFeatures]float64{-3.5513, 2.0602, 3.1000, -1.4096, 1.2516, 0.7665, 2.5835, 5.0159, -2.4034, 0.7662, -0.8446, 0.0937, -0.3540, 2.2272, -0.0770},
	}
}

// score is the ranker's score of a candidate.
func (s Scorer) score(f entryFeatures) float64 { return dot(f[:], s.Rank[:]) }

// rank fills in every candidate's share of the ranker's softmax and its
// margin over the best other candidate.
func (s Scorer) rank(fs []entryFeatures) {
	if len(fs) == 0 {
		return
	}
	scores := make([]float64, len(fs))
	top, second := math.Inf(-1), math.Inf(-1)
	for i, f := range fs {
		scores[i] = s.score(f)
		if scores[i] > top {
			top, second = scores[i], top
		} else if scores[i] > second {
			second = scores[i]
		}
	}
	var sum float64
	for _, sc := range scores {
		sum += math.Exp(sc - top)
	}
	for i := range fs {
		fs[i][featShare] = math.Exp(scores[i]-top) / sum
		other := top
		if scores[i] == top {
			other = second
		}
		if math.IsInf(other, -1) {
			// Alone in the field: a lead as large as the ranker's scores go.
			other = scores[i] - aloneMargin
		}
		fs[i][featMargin] = scores[i] - other
	}
}

// aloneMargin is the margin of a candidate with no rival at all.
const aloneMargin = 3

// prob is the calibrated probability that a candidate, its share and margin
// filled in, answers the question: σ(bias + w·f).
func (s Scorer) prob(f entryFeatures) float64 { return sigmoid(s.Bias + dot(f[:], s.Weights[:])) }

// GoString prints the scorer as the Go literal DefaultScorer returns.
func (s Scorer) GoString() string {
	var b strings.Builder
	list := func(ws []float64) {
		for i, w := range ws {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%.4f", w)
		}
	}
	b.WriteString("Scorer{\n\tRank: [rankFeatures]float64{")
	list(s.Rank[:])
	fmt.Fprintf(&b, "},\n\tBias: %.4f,\n\tWeights: [numFeatures]float64{", s.Bias)
	list(s.Weights[:])
	b.WriteString("},\n}")
	return b.String()
}

// String lists the weights by feature name.
func (s Scorer) String() string {
	var b strings.Builder
	b.WriteString("rank:")
	for i, w := range s.Rank {
		fmt.Fprintf(&b, " %s %.3f", featureNames[i], w)
	}
	fmt.Fprintf(&b, "; sure: bias %.3f", s.Bias)
	for i, w := range s.Weights {
		fmt.Fprintf(&b, " %s %.3f", featureNames[i], w)
	}
	return b.String()
}

// ScoringExample is one candidate entry for a question (ScoringQuestion),
// with whether its first citation is a right basis: what the scorer is
// fitted on.
type ScoringExample struct {
	// Entry is the candidate entry's id.
	Entry string
	Right bool
	f     entryFeatures
}
