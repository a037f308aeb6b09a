package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"slices"

	"github.com/pufa-dev/pufa/knowledge"
)

// The precision the entry threshold is chosen for, per source of held-out
// questions (see kbFit); LeCoQA's decides only without a blind set.
const (
	wordingPrecision = 0.9
	blindPrecision   = 0.9
	lecoqaPrecision  = 0.85
)

// blindWeight is how much a blind-written resident question counts in the
// calibrator's fit against one held-out wording: there are some 17,000
// wordings and several hundred blind questions, and the blind ones are what
// residents' questions look like. Of the weights tried, 30 answers the most
// blind questions with confidence at the threshold the rule gives, each
// scored by a calibrator fitted without its writer (on 784 with gold: 354
// right at 0.91, against 347 at 0.95 for 10 and 351 at 0.88 for 100);
// `--blind-weight` tries another.
const blindWeight = 30.0

// blindWriter names who wrote a blind question: the blind sets' ids start
// with their writer's letter (d001 …).
func blindWriter(q knowledge.ScoringQuestion) string { return q.ID[:1] }

// readingPrecision is how often answers on a likely reading must be right,
// in every band of the probability they are given at. Such an answer
// stands where "您是想问：…？" stood: both name the reading, and a wrong one
// costs the resident one more message either way, but a right one answers
// at once. Below two in three, too many residents would read a long answer
// to a question they did not ask; a short list of readings serves them
// better. The rule is per band, not for all the answers on a reading
// together: pooled, the surer answers carried ones right less than half of
// the time (from 0.60, 238 right and 119 wrong in all, but 13 and 16 from
// 0.60 to 0.65).
const readingPrecision = 2.0 / 3

// readingBand is the width of the bands readingThreshold weighs.
const readingBand = 0.05

// readingBandStat is the answers on a likely reading given at a
// probability from From up to To.
type readingBandStat struct {
	From, To     float64
	Right, Wrong int
}

// precision is the share of the band's answers that are right (0 for none).
func (b readingBandStat) precision() float64 {
	if b.Right+b.Wrong == 0 {
		return 0
	}
	return float64(b.Right) / float64(b.Right+b.Wrong)
}

// minReadingAnswers is the fewest answers a band is judged on; a band with
// fewer joins the one below it. Judged alone, a small band turns on an
// answer or two: at one fit the top band (0.85–0.89, 36 right and 20 wrong)
// fell short of two in three by one answer, and every answer on a reading
// went, though the two top bands together were right 90 times in 130.
const minReadingAnswers = 100

// readingBands cuts the answers below the entry threshold, down to 0.5,
// into bands of readingBand, the highest first, each widened downwards
// until it holds minAnswers answers (the lowest may hold fewer), from a
// curve of confident answers (cumulative from each threshold up).
func readingBands(curve []knowledge.CalibrationPoint, entry float64, minAnswers int) []readingBandStat {
	at := func(t float64) knowledge.CalibrationPoint {
		for _, p := range curve {
			if p.Threshold >= t-1e-9 {
				return p
			}
		}
		return knowledge.CalibrationPoint{}
	}
	band := func(from, to float64) readingBandStat {
		lo, hi := at(from), at(to)
		return readingBandStat{From: from, To: to, Right: lo.Right - hi.Right, Wrong: lo.Wrong - hi.Wrong}
	}
	var bands []readingBandStat
	top, bottom := entry, entry
	for t := math.Ceil(entry/readingBand-1e-9)*readingBand - readingBand; t >= 0.5-1e-9; t -= readingBand {
		bottom = t
		if b := band(t, top); b.Right+b.Wrong >= minAnswers {
			bands = append(bands, b)
			top = t
		}
	}
	if top > bottom+1e-9 {
		bands = append(bands, band(bottom, top))
	}
	return bands
}

// readingThreshold is, going down from the entry threshold, the lowest
// band edge above which every band is right at least readingPrecision of
// the time; the entry threshold itself (no answers on a reading) when the
// first band is not.
func readingThreshold(bands []readingBandStat, entry float64) float64 {
	th := entry
	for _, b := range bands {
		if b.precision() < readingPrecision {
			break
		}
		th = b.From
	}
	return th
}

// printReadingCurve prints the bands of answers on a likely reading below
// the entry threshold and the reading threshold they give.
func printReadingCurve(w io.Writer, curve []knowledge.CalibrationPoint, entry float64) {
	bands := readingBands(curve, entry, minReadingAnswers)
	fmt.Fprintf(w, "\nanswers on a reading below the entry threshold %.2f, by band of at least %d answers:\n  from  to     precision  right  wrong\n", entry, minReadingAnswers)
	for _, b := range bands {
		fmt.Fprintf(w, "  %4.2f  %4.2f  %8.1f%%  %5d  %5d\n", b.From, b.To, 100*b.precision(), b.Right, b.Wrong)
	}
	fmt.Fprintf(w, "reading threshold (every band of answers on a reading right %.0f%%): fitted %.2f\n",
		100*readingPrecision, readingThreshold(bands, entry))
}

// kbFit fits the entry scorer: it asks every bank wording and LeCoQA
// question held out of its fold, fits the ranker on them and the
// calibrator on them and the blind resident questions, and prints them as
// the Go literal of DefaultScorer, with the entry and reading thresholds
// its rules give and, per source (and for the resident questions given,
// which are never fitted on), the precision/coverage curve of confident
// answers for the fitted and the current scorer.
func kbFit(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("pufa kb fit", flag.ContinueOnError)
	folds := fs.Int("folds", 5, "folds of held-out wordings and LeCoQA questions")
	residents := fs.String("residents", "", "resident question set (JSONL) whose --split part is measured too (never fitted on)")
	split := fs.String("split", "tune", "part of --residents to measure (never the test part)")
	l2 := fs.Float64("l2", 1, "ridge penalty of the weights")
	configPath := fs.String("config", "", "config file (FAQ, laws)")
	misses := fs.Int("misses", 0, "also list this many most confident wrong answers per source")
	blindPath := fs.String("blind", "knowledge/testdata/residents-blind.jsonl", "blind-written resident questions the calibrator is fitted on (\"\" for none)")
	blindW := fs.Float64("blind-weight", blindWeight, "how much each blind question counts in the calibrator against one held-out wording")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *folds < 2 {
		return errors.New("kb fit: --folds must be at least 2")
	}
	if *split == "test" {
		return errors.New("kb fit: the test part is never fitted on")
	}
	kb, err := configuredKnowledge(*configPath)
	if err != nil {
		return err
	}
	base, err := knowledge.DefaultCorpus()
	if err != nil {
		return err
	}
	lecoqa, _, err := knowledge.LeCoQA(base)
	if err != nil {
		return err
	}
	var rqs []knowledge.ResidentQuestion
	if *residents != "" {
		if rqs, err = loadResidentSplit(*residents, *split); err != nil {
			return fmt.Errorf("kb fit: %w", err)
		}
	}
	data := kb.ScoringData(*folds, lecoqa, rqs)
	var blind []knowledge.ScoringQuestion
	blindDigest := ""
	if *blindPath != "" {
		bqs, err := loadResidentSplit(*blindPath, "all")
		if err != nil {
			return fmt.Errorf("kb fit: %w", err)
		}
		raw, err := os.ReadFile(*blindPath)
		if err != nil {
			return fmt.Errorf("kb fit: %w", err)
		}
		blindDigest = knowledge.Digest(raw)
		// A question no article answers says only that: not which office
		// entry, if any, does ("今天天气怎么样" is no question for the office
		// hours). Labelled right for every entry citing nothing, it taught
		// the calibrator to trust those entries for chit-chat.
		bqs = slices.DeleteFunc(bqs, func(q knowledge.ResidentQuestion) bool { return len(q.Gold) == 0 })
		for _, q := range kb.ScoringData(0, nil, bqs) {
			q.Source, q.Weight = knowledge.SourceBlind, *blindW
			blind = append(blind, q)
		}
	}
	fitData := slices.DeleteFunc(slices.Clone(data), func(q knowledge.ScoringQuestion) bool {
		return q.Source == knowledge.SourceResidents
	})
	fitted := knowledge.FitScorer(append(slices.Clone(fitData), blind...), *l2)
	data = append(data, blind...)
	fmt.Fprintf(stdout, "fitted: %s\n%#v\nfitted on the bank with digest %q and the blind set with digest %q\n",
		fitted, fitted, knowledge.BankDigest(), blindDigest)
	fmt.Fprintf(stdout, "in use: %s\n", kb.Scorer())
	// Wordings held out of the bank flatter the matcher: the same writers
	// wrote the wordings left in. The blind resident questions are what
	// residents ask, each scored by a calibrator fitted without its writer.
	// The threshold must satisfy both. LeCoQA's questions on topics the bank
	// covers stood in for residents before there were blind ones; they are
	// a legal Q&A site's questions, labelled with the site's own choice of
	// article, and decide only when no blind set is given.
	bySource := make(map[knowledge.ScoringSource][]knowledge.ScoringQuestion)
	for _, q := range data {
		bySource[q.Source] = append(bySource[q.Source], q)
	}
	wordingTh := func(sc knowledge.Scorer) float64 {
		return knowledge.ThresholdFor(sc, bySource[knowledge.SourceWording], wordingPrecision)
	}
	lecoqaTh := func(sc knowledge.Scorer) float64 {
		return knowledge.ThresholdFor(sc, bySource[knowledge.SourceLeCoQACovered], lecoqaPrecision)
	}
	entryTh := max(wordingTh(fitted), lecoqaTh(fitted))
	var blindCurve []knowledge.CalibrationPoint
	if len(blind) > 0 {
		blindCurve = knowledge.CrossValidatedCurve(fitData, blind, blindWriter, *l2, knowledge.ThresholdSteps())
		entryTh = max(wordingTh(fitted), knowledge.ThresholdOf(blindCurve, blindPrecision))
	}
	fmt.Fprintf(stdout, "entry threshold (held-out wordings right %.0f%%, blind questions cross-validated %.0f%%): fitted %.2f\n",
		100*wordingPrecision, 100*blindPrecision, entryTh)
	fmt.Fprintf(stdout, "  wordings alone %.2f; covered LeCoQA questions right %.0f%%: fitted %.2f, in use %.2f\n",
		wordingTh(fitted), 100*lecoqaPrecision, lecoqaTh(fitted), lecoqaTh(kb.Scorer()))
	if len(blind) > 0 {
		printCurve(stdout, fmt.Sprintf("blind (%d questions), each scored by a calibrator fitted without it", len(blind)), blindCurve)
		printReadingCurve(stdout, blindCurve, entryTh)
	}
	var ts []float64
	for t := 0.3; t < 0.99; t += 0.05 {
		ts = append(ts, t)
	}
	for _, src := range []knowledge.ScoringSource{knowledge.SourceWording, knowledge.SourceLeCoQACovered, knowledge.SourceLeCoQA, knowledge.SourceResidents, knowledge.SourceBlind} {
		qs := bySource[src]
		if len(qs) == 0 {
			continue
		}
		printCurve(stdout, fmt.Sprintf("%s (%d questions), fitted scorer", src, len(qs)), knowledge.Curve(fitted, qs, ts))
		printCurve(stdout, fmt.Sprintf("%s (%d questions), scorer in use", src, len(qs)), knowledge.Curve(kb.Scorer(), qs, ts))
		top := knowledge.Curve(fitted, qs, []float64{0})[0]
		fmt.Fprintf(stdout, "  first candidate right: %.1f%% (%d of %d)\n", 100*float64(top.Right)/float64(len(qs)), top.Right, len(qs))
		anyRight := 0
		for _, q := range qs {
			if slices.ContainsFunc(q.Candidates, func(c knowledge.ScoringExample) bool { return c.Right }) {
				anyRight++
			}
		}
		fmt.Fprintf(stdout, "  some candidate right: %.1f%%\n", 100*float64(anyRight)/float64(len(qs)))
		for _, want := range []float64{0.8, 0.9} {
			fmt.Fprintf(stdout, "  coverage at precision ≥ %.0f%%: fitted %.1f%%, in use %.1f%%\n", 100*want,
				100*knowledge.CoverageAt(fitted, qs, want), 100*knowledge.CoverageAt(kb.Scorer(), qs, want))
		}
		fmt.Fprintf(stdout, "  readings for unsure questions (fitted, entry threshold %.2f): threshold offered helpful\n", kb.Thresholds().Entry)
		for _, c := range knowledge.ChoiceCurve(fitted, qs, kb.Thresholds().Entry, []float64{0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4}) {
			fmt.Fprintf(stdout, "    %.2f %5.1f%% %5.1f%%\n", c.Threshold, 100*c.Offered, 100*c.Helpful)
		}
		for _, m := range knowledge.Misses(fitted, qs, *misses) {
			fmt.Fprintf(stdout, "  miss %.2f %s | got %s | want %s\n", m.P, m.Question.Text, m.Got, m.Question.Want)
		}
	}
	return nil
}
