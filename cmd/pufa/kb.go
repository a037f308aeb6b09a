package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pufa-dev/pufa/bot"
	"github.com/pufa-dev/pufa/knowledge"
)

const kbUsage = `usage:
  pufa kb ask "问题" --reply [--config FILE]   (the reply a resident gets)
  pufa kb ask "问题" [--k 10] [--config FILE]   (the ranking behind that reply)
  pufa kb ask "问题" [--k 10] [--corpus FILE]... [--faq FILE] [--train FILE]   (a bare base, for retrieval work)
  pufa kb check FILE...            (validate answer-bank YAML files against the embedded laws)
  pufa kb eval --residents FILE [--split all|tune|test|fit] [--laws default|national] [--calibrate]
               [--failures] [--json] [--config FILE] [--entry T] [--reading T] [--choice T]
  pufa kb fit [--folds 5] [--residents FILE --split tune] [--l2 1]
               [--blind knowledge/testdata/residents-blind.jsonl] [--blind-weight 30]
               (fit the answer-entry scorer on held-out wordings, LeCoQA and blind resident questions)
  pufa kb eval --queries FILE [--corpus FILE]... [--train FILE] [--folds 5] [--seed 1]
               [--json] [--baseline=true] [--ablation]`

// runKB is the knowledge-base tool for staff: ask questions as a resident
// would, and measure retrieval quality and speed on STARD-format data.
func runKB(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return errors.New(kbUsage)
	}
	switch args[0] {
	case "ask":
		return kbAsk(ctx, args[1:], stdout)
	case "eval":
		return kbEval(ctx, args[1:], stdout)
	case "check":
		return kbCheck(args[1:], stdout)
	case "fit":
		return kbFit(args[1:], stdout)
	case "-h", "--help", "help":
		fmt.Fprintln(stdout, kbUsage)
		return nil
	}
	return fmt.Errorf("kb: unknown subcommand %q\n%s", args[0], kbUsage)
}

// kbFiles is a repeatable file flag.
type kbFiles []string

func (f *kbFiles) String() string     { return strings.Join(*f, ",") }
func (f *kbFiles) Set(v string) error { *f = append(*f, v); return nil }

func kbAsk(_ context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("pufa kb ask", flag.ContinueOnError)
	k := fs.Int("k", 10, "number of results")
	var corpora kbFiles
	fs.Var(&corpora, "corpus", "extra STARD-format JSONL corpus to search besides the embedded laws (repeatable)")
	faq := fs.String("faq", "", "FAQ YAML file (default: the embedded starter FAQ)")
	train := fs.String("train", "", "STARD-format labelled questions to learn from (optional)")
	reply := fs.Bool("reply", false, "print the reply a resident gets, as the bot builds it (the configured laws, bank and training)")
	configPath := fs.String("config", "", "config file of the base asked (without --corpus, --faq and --train)")
	pos, err := parseFlagsAnywhere(fs, args)
	if err != nil {
		return err
	}
	q := strings.TrimSpace(strings.Join(pos, " "))
	if q == "" {
		return errors.New(`kb ask: no question given, e.g. pufa kb ask "离婚冷静期是多久"`)
	}
	// Without corpus, FAQ or training of its own, ask the base the bot
	// answers from, so the ranking shown is the one behind the reply.
	if *reply || (len(corpora) == 0 && *faq == "" && *train == "") {
		kb, err := configuredKnowledge(*configPath)
		if err != nil {
			return err
		}
		if !*reply {
			kbPrintAnswer(stdout, kb.Ask(q, *k))
			return nil
		}
		ans := kb.Ask(q, 9)
		text := bot.ReplyText(ans)
		fmt.Fprintln(stdout, text)
		fmt.Fprintf(stdout, "\n（%d 字节；置信度 %.2f）\n", len(text), ans.Confidence)
		return nil
	}
	c, err := loadCorpus(knowledge.LawsDefault, corpora, true)
	if err != nil {
		return fmt.Errorf("kb: %w", err)
	}
	opts := knowledge.Options{Corpus: c, FAQPath: *faq}
	if *train != "" {
		if opts.Training, err = kbLoadQueries(*train); err != nil {
			return err
		}
	}
	start := time.Now()
	b, err := knowledge.New(opts)
	if err != nil {
		return err
	}
	built := time.Since(start)
	start = time.Now()
	ans := b.Ask(q, *k)
	took := time.Since(start)
	kbPrintAnswer(stdout, ans)
	fmt.Fprintf(stdout, "\n(%d laws, %d articles; built in %v, answered in %v)\n",
		len(c.Laws()), len(c.Articles()), built.Round(time.Millisecond), took.Round(time.Microsecond))
	return nil
}

func kbPrintAnswer(w io.Writer, ans knowledge.Answer) {
	fmt.Fprintf(w, "问题：%s\n", ans.Query)
	sure := "confident"
	if !ans.Confident {
		sure = "NOT confident: suggest 转人工 / 12348"
	}
	fmt.Fprintf(w, "置信度：%.2f (%s)\n", ans.Confidence, sure)
	if l := ans.Lookup; l != nil {
		fmt.Fprintf(w, "法条查询：%s → %s\n", l.Ref, l.Status)
		if a := l.Article; a != nil {
			kbPrintArticle(w, a, -1)
		} else {
			fmt.Fprintln(w, l.Message)
			if len(l.Laws) > 0 {
				fmt.Fprintf(w, "目前可查询：《%s》\n", strings.Join(l.Laws, "》、《"))
			}
		}
		return
	}
	for i, h := range ans.Hits {
		switch h.Kind {
		case knowledge.HitEntry:
			layer := "问答库"
			if h.Entry.Layer == knowledge.LayerOffice {
				layer = "FAQ"
			}
			fmt.Fprintf(w, "%2d. [%s %s] conf %.2f  %s\n", i+1, layer, h.Entry.ID, h.Confidence, h.Entry.Question)
			fmt.Fprintf(w, "    %s\n", kbClip(h.Entry.Answer, 90))
			for _, c := range h.Citations() {
				fmt.Fprintf(w, "    依据：%s（%s）\n", c.Article.Citation(), c.Article.Version())
			}
		default:
			fmt.Fprintf(w, "%2d. [法条] score %.3f conf %.2f  ", i+1, h.Score, h.Confidence)
			kbPrintArticle(w, h.Article, 90)
		}
	}
	if len(ans.Hits) == 0 {
		fmt.Fprintln(w, "（没有结果）")
	}
}

// kbPrintArticle prints a citation line and the text, clipped to clip runes
// unless clip < 0.
func kbPrintArticle(w io.Writer, a *knowledge.Article, clip int) {
	ver := a.Version()
	if ver == "" {
		ver = "版本日期未知"
	}
	fmt.Fprintf(w, "%s（%s）", a.Citation(), ver)
	if ch := a.Chapter(); ch != "" {
		fmt.Fprintf(w, " %s", ch)
	}
	fmt.Fprintln(w)
	if a.Law.Note != "" {
		fmt.Fprintf(w, "    %s\n", a.Law.Note)
	}
	text := a.Text
	if clip >= 0 {
		text = kbClip(text, clip)
	}
	fmt.Fprintf(w, "    %s\n", strings.ReplaceAll(text, "\n", "\n    "))
}

func kbClip(s string, n int) string {
	s = strings.ReplaceAll(s, "\n", " ")
	rs := []rune(s)
	if len(rs) <= n {
		return s
	}
	return string(rs[:n]) + "…"
}

func kbLoadQueries(path string) ([]knowledge.LabeledQuery, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("kb: %w", err)
	}
	defer f.Close()
	qs, err := knowledge.LoadLabeledQueries(f)
	if err != nil {
		return nil, fmt.Errorf("kb: %s: %w", path, err)
	}
	return qs, nil
}

func kbSameFile(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	if fa, err := os.Stat(a); err == nil {
		if fb, err := os.Stat(b); err == nil {
			return os.SameFile(fa, fb)
		}
	}
	return filepath.Clean(a) == filepath.Clean(b)
}

// kbResult is one evaluated configuration in the JSON output.
type kbResult struct {
	Name      string  `json:"name,omitempty"`
	Recall1   float64 `json:"recall@1"`
	Recall5   float64 `json:"recall@5"`
	Recall10  float64 `json:"recall@10"`
	Recall20  float64 `json:"recall@20"`
	Recall100 float64 `json:"recall@100"`
	MRR10     float64 `json:"mrr@10"`
	Queries   int     `json:"queries"`
	P50ms     float64 `json:"p50_ms"`
	P99ms     float64 `json:"p99_ms"`
	BuildMs   float64 `json:"build_ms"`
	TrainMs   float64 `json:"train_ms"`
	HeapMB    float64 `json:"heap_mb"`
}

func kbResultOf(name string, r knowledge.EvalReport) kbResult {
	ms := func(d time.Duration) float64 { return math.Round(float64(d)/1e4) / 100 }
	r4 := func(v float64) float64 { return math.Round(v*1e4) / 1e4 }
	return kbResult{
		Name: name, Recall1: r4(r.Recall[1]), Recall5: r4(r.Recall[5]), Recall10: r4(r.Recall[10]),
		Recall20: r4(r.Recall[20]), Recall100: r4(r.Recall[100]), MRR10: r4(r.MRR10), Queries: r.Queries,
		P50ms: ms(r.P50), P99ms: ms(r.P99), BuildMs: ms(r.Build), TrainMs: ms(r.Train),
		HeapMB: math.Round(r.HeapMB*10) / 10,
	}
}

// kbEvalOutput is the single JSON object `kb eval --json` prints.
type kbEvalOutput struct {
	kbResult
	Mode           string     `json:"mode"`
	Folds          int        `json:"folds,omitempty"`
	Seed           uint64     `json:"seed"`
	CorpusArticles int        `json:"corpus_articles"`
	CorpusLoadMs   float64    `json:"corpus_load_ms"`
	SysMB          float64    `json:"sys_mb"`
	Unresolved     int        `json:"unresolved_labels"`
	MissingLabels  int        `json:"missing_test_labels"`
	Baseline       *kbResult  `json:"baseline,omitempty"`
	RatioR10       float64    `json:"recall@10_vs_baseline,omitempty"`
	Ablation       []kbResult `json:"ablation,omitempty"`
}

func kbEval(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("pufa kb eval", flag.ContinueOnError)
	var corpora kbFiles
	fs.Var(&corpora, "corpus", "STARD-format JSONL corpus to index (repeatable; default: the embedded laws)")
	queries := fs.String("queries", "", "STARD-format questions to evaluate (train.json format)")
	train := fs.String("train", "", "STARD-format labelled questions to train on; the same file as --queries means cross-validation")
	folds := fs.Int("folds", 0, "cross-validate with N folds on --queries (default 5 when --train is --queries)")
	seed := fs.Uint64("seed", 1, "seed of the fold shuffle")
	asJSON := fs.Bool("json", false, "print one JSON object")
	baseline := fs.Bool("baseline", true, "also measure plain BM25 over character bigrams")
	ablation := fs.Bool("ablation", false, "also measure every signal alone and left out")
	answerWeight := fs.Float64("answer-weight", 0.2, "with --lecoqa: weight of the answers signal")
	lecoqa := fs.Bool("lecoqa", false, "attach LeCoQA's professional answers to the training questions (expands the articles they cite)")
	residents := fs.String("residents", "", "pufa's resident question set (JSONL): evaluate the real reply logic instead")
	split := fs.String("split", "all", "with --residents: all, tune or test")
	laws := fs.String("laws", "", "with --residents: default or national (default: knowledge.laws of the config)")
	calibrate := fs.Bool("calibrate", false, "with --residents: sweep the thresholds on the chosen split and print the precision/coverage curves")
	failures := fs.Bool("failures", false, "with --residents: list every question not answered right with confidence")
	configPath := fs.String("config", "", "config file (keyword rules, FAQ, laws)")
	bm25 := fs.Float64("bm25", -1, "with --residents: try this BM25 blend instead of the calibrated one")
	choice := fs.Float64("choice", -1, "with --residents: try this choice threshold instead of the calibrated one")
	entryTh := fs.Float64("entry", -1, "with --residents: try this entry threshold instead of the calibrated one")
	reading := fs.Float64("reading", -1, "with --residents: try this reading threshold instead of the calibrated one")
	pos, err := parseFlagsAnywhere(fs, args)
	if err != nil {
		return err
	}
	if *residents != "" {
		return kbResidents(stdout, residentsRun{file: *residents, split: *split, laws: *laws, config: *configPath,
			calibrate: *calibrate, failures: *failures, json: *asJSON, bm25: *bm25, entry: *entryTh, choice: *choice,
			reading: *reading})
	}
	if len(pos) > 0 {
		return fmt.Errorf("kb eval: unexpected argument %q\n%s", pos[0], kbUsage)
	}
	if *queries == "" {
		return errors.New("kb eval: --queries is required\n" + kbUsage)
	}

	loadStart := time.Now()
	set := knowledge.LawsDefault
	if len(corpora) > 0 {
		set = ""
	}
	c, err := loadCorpus(set, corpora, false)
	if err != nil {
		return fmt.Errorf("kb: %w", err)
	}
	loadTime := time.Since(loadStart)
	test, err := kbLoadQueries(*queries)
	if err != nil {
		return err
	}
	cfg := knowledge.EvalConfig{Params: knowledge.EvalParams(), Seed: *seed}

	var trainQs []knowledge.LabeledQuery
	mode := "held-out"
	switch {
	case *folds > 1:
		cfg.Folds, mode = *folds, "cross-validation"
	case kbSameFile(*train, *queries):
		cfg.Folds, mode = 5, "cross-validation"
	case *train != "":
		if trainQs, err = kbLoadQueries(*train); err != nil {
			return err
		}
	default:
		mode = "untrained"
	}

	if *lecoqa {
		// Answers ride on the training questions. In cross-validation they
		// ride on all, and Evaluate trains each fold on the other folds only,
		// so a held-out question's answer is never used.
		onto := trainQs
		if cfg.Folds > 1 {
			onto = test
		}
		if _, err := knowledge.AttachLeCoQA(onto); err != nil {
			return err
		}
	}
	run := func(p knowledge.Params) (knowledge.EvalReport, error) {
		if err := ctx.Err(); err != nil {
			return knowledge.EvalReport{}, err
		}
		cfg := cfg
		cfg.Params = p
		if *lecoqa && p.Expansion > 0 {
			cfg.Params.Answers = float32(*answerWeight)
		}
		return knowledge.Evaluate(c, trainQs, test, cfg), nil
	}
	res, err := run(knowledge.EvalParams())
	if err != nil {
		return err
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	out := kbEvalOutput{
		kbResult: kbResultOf("default", res), Mode: mode, Folds: cfg.Folds, Seed: *seed,
		CorpusArticles: len(c.Articles()), CorpusLoadMs: math.Round(float64(loadTime)/1e4) / 100,
		SysMB: math.Round(float64(ms.Sys)/(1<<20)*10) / 10, Unresolved: res.Unresolved,
		MissingLabels: res.MissingLabels,
	}
	if *baseline {
		b, err := run(knowledge.BaselineParams())
		if err != nil {
			return err
		}
		br := kbResultOf("baseline", b)
		out.Baseline = &br
		if br.Recall10 > 0 {
			out.RatioR10 = math.Round(out.Recall10/br.Recall10*1000) / 1000
		}
	}
	if *ablation {
		for _, v := range knowledge.AblationVariants() {
			r, err := run(v.Params)
			if err != nil {
				return err
			}
			out.Ablation = append(out.Ablation, kbResultOf(v.Name, r))
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	fmt.Fprintf(stdout, "corpus: %d laws, %d articles (loaded in %v)\n", len(c.Laws()), len(c.Articles()), loadTime.Round(time.Millisecond))
	switch mode {
	case "cross-validation":
		fmt.Fprintf(stdout, "mode: %d-fold cross-validation on %d questions (seed %d; each fold trained on the others only)\n", cfg.Folds, len(test), *seed)
	case "held-out":
		fmt.Fprintf(stdout, "mode: trained on %d questions, tested on %d held-out questions\n", len(trainQs), len(test))
	default:
		fmt.Fprintf(stdout, "mode: no training data, %d questions\n", len(test))
	}
	if res.Unresolved > 0 {
		fmt.Fprintf(stdout, "warning: %d training labels name no corpus article\n", res.Unresolved)
	}
	if res.MissingLabels > 0 {
		fmt.Fprintf(stdout, "warning: %d test labels name no corpus article (counted as misses)\n", res.MissingLabels)
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "config\tR@1\tR@5\tR@10\tR@20\tR@100\tMRR@10\tp50 ms\tp99 ms\tbuild ms\theap MB\t")
	rows := []kbResult{out.kbResult}
	if out.Baseline != nil {
		rows = append(rows, *out.Baseline)
	}
	if len(out.Ablation) > 0 {
		rows = append(rows, kbResult{Name: "--- ablation ---"})
		rows = append(rows, out.Ablation...)
	}
	for _, r := range rows {
		if strings.HasPrefix(r.Name, "---") {
			fmt.Fprintf(tw, "%s\t\t\t\t\t\t\t\t\t\t\t\n", r.Name)
			continue
		}
		fmt.Fprintf(tw, "%s\t%.4f\t%.4f\t%.4f\t%.4f\t%.4f\t%.4f\t%.2f\t%.2f\t%.0f\t%.0f\t\n", r.Name,
			r.Recall1, r.Recall5, r.Recall10, r.Recall20, r.Recall100, r.MRR10, r.P50ms, r.P99ms, r.BuildMs, r.HeapMB)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if out.RatioR10 > 0 {
		fmt.Fprintf(stdout, "Recall@10 vs plain BM25: ×%.3f\n", out.RatioR10)
	}
	return nil
}

// kbCheck validates answer-bank files: every citation resolves to a current
// article, every quote is found in it, every figure comes from a cited
// article. It prints each problem and fails if there is one.
func kbCheck(files []string, stdout io.Writer) error {
	if len(files) == 0 {
		return errors.New("kb check: name one or more bank YAML files")
	}
	c, err := knowledge.DefaultCorpus()
	if err != nil {
		return err
	}
	var failed bool
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("kb check: %w", err)
		}
		entries, err := knowledge.CheckBankFile(filepath.Base(f), data, c)
		if err != nil {
			failed = true
			fmt.Fprintln(stdout, err)
			continue
		}
		fmt.Fprintf(stdout, "%s: %d entries OK\n", f, len(entries))
	}
	if failed {
		return errors.New("kb check: problems found")
	}
	return nil
}

// configuredKnowledge builds the knowledge base the bot would, from a config
// file ("" for the defaults).
func configuredKnowledge(configPath string) (*knowledge.Base, error) {
	cfg, err := loadConfig(configPath)
	if err != nil {
		return nil, err
	}
	return newKnowledge(cfg.Knowledge)
}
