package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/pufa-dev/pufa/bot"
	"github.com/pufa-dev/pufa/knowledge"
)

// residentsRun is one `pufa kb eval --residents` invocation.
type residentsRun struct {
	file, split, laws, config string
	calibrate, failures, json bool
	// bm25, entry, choice and reading replace the calibrated values when ≥ 0.
	bm25, entry, choice, reading float64
}

// kbResidents measures what residents actually get: each question of the
// set goes through the keyword rules and then the knowledge base exactly as
// the bot wires them (configured laws, bank, FAQ, training, thresholds), and
// the first reply is classified.
func kbResidents(stdout io.Writer, run residentsRun) error {
	cfg, err := loadConfig(run.config)
	if err != nil {
		return err
	}
	if run.laws != "" {
		cfg.Knowledge.Laws = run.laws
	}
	qs, err := loadResidentSplit(run.file, run.split)
	if err != nil {
		return fmt.Errorf("kb eval: %w", err)
	}
	if len(qs) == 0 {
		return fmt.Errorf("kb eval: no questions in split %q", run.split)
	}
	start := time.Now()
	kb, err := newKnowledge(cfg.Knowledge)
	if err != nil {
		return err
	}
	built := time.Since(start)
	th := kb.Thresholds()
	for _, o := range []struct {
		v   float64
		dst *float64
	}{{run.bm25, &th.BM25}, {run.entry, &th.Entry}, {run.choice, &th.Choice}, {run.reading, &th.Reading}} {
		if o.v >= 0 {
			*o.dst = o.v
		}
	}
	kb = kb.WithThresholds(th)
	keywords, err := bot.LoadKeywordsFile(cfg.Bot.KeywordsFile)
	if err != nil {
		return err
	}
	asker := func(b *knowledge.Base) knowledge.Asker { return residentAsker(b, keywords) }
	rep := knowledge.EvaluateResidents(kb.Corpus(), qs, asker(kb))
	if run.calibrate {
		rep.CurveEntry, rep.CurveArticle, rep.CurveReading = calibrate(kb, qs, asker)
	}
	if run.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	fmt.Fprintf(stdout, "resident questions: %d (split %s) · laws %s: %d laws, %d articles, built in %v\n",
		rep.N, run.split, cfg.Knowledge.Laws, len(kb.Corpus().Laws()), len(kb.Corpus().Articles()), built.Round(time.Millisecond))
	fmt.Fprintf(stdout, "thresholds: entry %.3f, article %.3f, choice %.3f, reading %.3f, bm25 blend %.2f\nscorer: %s\n\n",
		th.Entry, th.Article, th.Choice, th.Reading, th.BM25, kb.Scorer())
	pct := func(v float64) string { return fmt.Sprintf("%5.1f%%", 100*v) }
	fmt.Fprintf(stdout, "confident and right   %s  (%d)\n", pct(rep.ConfidentRight), rep.Counts[knowledge.ConfidentRight])
	fmt.Fprintf(stdout, "confident and wrong   %s  (%d)\n", pct(rep.ConfidentWrong), rep.Counts[knowledge.ConfidentWrong])
	fmt.Fprintf(stdout, "reading, right        %s  (%d)\n", pct(rep.ReadingRight), rep.Counts[knowledge.ReadingRight])
	fmt.Fprintf(stdout, "reading, wrong        %s  (%d)\n", pct(rep.ReadingWrong), rep.Counts[knowledge.ReadingWrong])
	fmt.Fprintf(stdout, "asked to choose       %s  (%d)\n", pct(rep.AskedToChoose), rep.Counts[knowledge.AskedToChoose])
	fmt.Fprintf(stdout, "hedged                %s  (%d)\n", pct(rep.Hedged), rep.Counts[knowledge.Hedged])
	fmt.Fprintf(stdout, "keyword rule answered %s  (%d)\n", pct(rep.Intercepted), rep.Counts[knowledge.Intercepted])
	fmt.Fprintf(stdout, "right in first reply  %s\n", pct(rep.RightInFirstReply))
	fmt.Fprintf(stdout, "precision of confident answers %s\n", pct(rep.Precision))
	fmt.Fprintf(stdout, "precision of answers on a reading %s\n", pct(rep.ReadingPrecision))
	if run.calibrate {
		printCurve(stdout, "entry threshold (article answers off)", rep.CurveEntry)
		printCurve(stdout, "article threshold (at the entry threshold in use)", rep.CurveArticle)
		printCurve(stdout, "reading threshold (answers on a likely reading, at the thresholds in use)", rep.CurveReading)
	}
	if run.failures {
		fmt.Fprintln(stdout, "\nnot confident-and-right:")
		for _, r := range rep.Results {
			if r.Outcome == knowledge.ConfidentRight {
				continue
			}
			fmt.Fprintf(stdout, "  %-16s %.2f %-5s %s | got %s %s | gold %s\n", r.Outcome, r.Confidence, r.Question.ID,
				r.Question.Text, r.Entry, r.First, strings.Join(r.Question.Gold, ","))
		}
	}
	return nil
}

// calibrate sweeps the entry threshold with article answers and answers on
// a reading turned off, then the article threshold and the reading
// threshold at the thresholds in use, on the same questions.
func calibrate(kb *knowledge.Base, qs []knowledge.ResidentQuestion, asker func(*knowledge.Base) knowledge.Asker) (entry, article, reading []knowledge.CalibrationPoint) {
	th := kb.Thresholds()
	for t := 0.30; t <= 1.0001; t += 0.025 {
		x := th
		x.Entry, x.Article, x.Reading = t, 2, 2
		r := knowledge.EvaluateResidents(kb.Corpus(), qs, asker(kb.WithThresholds(x)))
		entry = append(entry, point(t, r))
	}
	for t := 0.5; t <= 1.0001; t += 0.025 {
		x := th
		x.Article = t
		r := knowledge.EvaluateResidents(kb.Corpus(), qs, asker(kb.WithThresholds(x)))
		article = append(article, point(t, r))
	}
	for t := 0.5; t <= 1.0001; t += 0.025 {
		x := th
		x.Reading = t
		r := knowledge.EvaluateResidents(kb.Corpus(), qs, asker(kb.WithThresholds(x)))
		reading = append(reading, knowledge.CalibrationPoint{Threshold: t, Precision: r.ReadingPrecision,
			Coverage: r.ReadingRight + r.ReadingWrong,
			Right:    r.Counts[knowledge.ReadingRight], Wrong: r.Counts[knowledge.ReadingWrong]})
	}
	return entry, article, reading
}

func point(t float64, r knowledge.ResidentReport) knowledge.CalibrationPoint {
	return knowledge.CalibrationPoint{Threshold: t, Precision: r.Precision,
		Coverage: r.ConfidentRight + r.ConfidentWrong,
		Right:    r.Counts[knowledge.ConfidentRight], Wrong: r.Counts[knowledge.ConfidentWrong]}
}

func printCurve(w io.Writer, title string, curve []knowledge.CalibrationPoint) {
	fmt.Fprintf(w, "\n%s:\n  threshold  precision  coverage  right  wrong\n", title)
	c := slices.Clone(curve)
	sort.Slice(c, func(i, j int) bool { return c[i].Threshold < c[j].Threshold })
	for _, p := range c {
		fmt.Fprintf(w, "  %9.3f  %8.1f%%  %7.1f%%  %5d  %5d\n", p.Threshold, 100*p.Precision, 100*p.Coverage, p.Right, p.Wrong)
	}
}

// loadResidentSplit reads a resident question set and keeps the questions
// of one split ("all" keeps every one).
func loadResidentSplit(path, split string) ([]knowledge.ResidentQuestion, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	all, err := knowledge.LoadResidentQuestions(f)
	if err != nil {
		return nil, err
	}
	var qs []knowledge.ResidentQuestion
	for _, q := range all {
		if split == "all" || q.Split == split {
			qs = append(qs, q)
		}
	}
	return qs, nil
}

// residentAsker asks as the bot answers a resident: the keyword rules
// first, then the knowledge base.
func residentAsker(b *knowledge.Base, keywords *bot.Keywords) knowledge.Asker {
	return func(q string) (knowledge.Answer, bool) {
		if _, ok := keywords.Match(bot.Normalize(q)); ok {
			return knowledge.Answer{}, true
		}
		return b.Ask(q, 9), false
	}
}
