package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"

	"github.com/pufa-dev/pufa/knowledge"
)

// The precision the entry threshold is chosen for, per source of held-out
// questions (see kbFit).
const (
	wordingPrecision = 0.9
	lecoqaPrecision  = 0.85
)

// kbFit fits the entry scorer: it asks every bank wording and LeCoQA
// question held out of its fold, fits the ranker and the calibrator on them
// and prints them as the Go literal of DefaultScorer, with the entry
// threshold its rule gives and, per source (and for the resident questions
// given, which are never fitted on), the precision/coverage curve of
// confident answers for the fitted and the current scorer.
func kbFit(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("pufa kb fit", flag.ContinueOnError)
	folds := fs.Int("folds", 5, "folds of held-out wordings and LeCoQA questions")
	residents := fs.String("residents", "", "resident question set (JSONL) whose --split part is measured too (never fitted on)")
	split := fs.String("split", "tune", "part of --residents to measure (never the test part)")
	l2 := fs.Float64("l2", 1, "ridge penalty of the weights")
	configPath := fs.String("config", "", "config file (FAQ, laws)")
	misses := fs.Int("misses", 0, "also list this many most confident wrong answers per source")
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
	fitted := knowledge.FitScorer(slices.DeleteFunc(slices.Clone(data), func(q knowledge.ScoringQuestion) bool {
		return q.Source == knowledge.SourceResidents
	}), *l2)
	fmt.Fprintf(stdout, "fitted: %s\n%#v\nfitted on the bank with digest %q\n", fitted, fitted, knowledge.BankDigest())
	fmt.Fprintf(stdout, "in use: %s\n", kb.Scorer())
	// Wordings held out of the bank flatter the matcher: the same writers
	// wrote the wordings left in. LeCoQA's real lay questions on topics the
	// bank covers, labelled by others with their own choice of article, are
	// harder than residents' questions. The threshold must satisfy both.
	bySource := make(map[knowledge.ScoringSource][]knowledge.ScoringQuestion)
	for _, q := range data {
		bySource[q.Source] = append(bySource[q.Source], q)
	}
	suggest := func(sc knowledge.Scorer) float64 {
		return max(knowledge.ThresholdFor(sc, bySource[knowledge.SourceWording], wordingPrecision),
			knowledge.ThresholdFor(sc, bySource[knowledge.SourceLeCoQACovered], lecoqaPrecision))
	}
	fmt.Fprintf(stdout, "entry threshold (held-out wordings right %.0f%%, covered LeCoQA questions %.0f%%): fitted %.2f, in use %.2f\n",
		100*wordingPrecision, 100*lecoqaPrecision, suggest(fitted), suggest(kb.Scorer()))
	var ts []float64
	for t := 0.3; t < 0.99; t += 0.05 {
		ts = append(ts, t)
	}
	for _, src := range []knowledge.ScoringSource{knowledge.SourceWording, knowledge.SourceLeCoQACovered, knowledge.SourceLeCoQA, knowledge.SourceResidents} {
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
