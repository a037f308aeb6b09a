package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/pufa-dev/pufa/campaigns"
	"github.com/pufa-dev/pufa/communities"
	"github.com/pufa-dev/pufa/config"
	"github.com/pufa-dev/pufa/demo"
	"github.com/pufa-dev/pufa/knowledge"
	"github.com/pufa-dev/pufa/quiz"
	"github.com/pufa-dev/pufa/store"
)

// demoQuizzes as quiz.dir makes pufa use the built-in quizzes with the 宪法
// quiz open from now on, so the demo can be taken whatever the date.
const (
	demoQuizzes    = "embedded:demo"
	demoQuizID     = "constitution-2026"
	demoQuizLength = 30 * 24 * time.Hour
)

// loadQuizzes loads the catalogue quiz.dir names: "" = built in.
func loadQuizzes(dir string, corpus quiz.Corpus, now time.Time) (*quiz.Catalog, error) {
	switch dir {
	case "":
		return quiz.Default(corpus)
	case demoQuizzes:
		c, err := quiz.Default(corpus)
		if err != nil {
			return nil, err
		}
		c, ok := c.WithWindow(demoQuizID, quiz.Window{From: now.Add(-time.Hour), To: now.Add(demoQuizLength)})
		if !ok {
			return nil, fmt.Errorf("demo: built-in quiz %s missing", demoQuizID)
		}
		// The quizzes of the year the demo seeds.
		return demo.Quizzes(c, demo.Year(now))
	}
	c, err := quiz.LoadDir(dir, corpus)
	if err != nil {
		return nil, fmt.Errorf("quiz.dir: %w", err)
	}
	return c, nil
}

// newQuizzes wires the quiz service that serve and demo register with the
// bot.
func newQuizzes(cfg config.Quiz, corpus quiz.Corpus, st *store.Store, logger *slog.Logger) (*quiz.Service, error) {
	cat, err := loadQuizzes(cfg.Dir, corpus, time.Now())
	if err != nil {
		return nil, err
	}
	return quiz.New(quiz.Options{Catalog: cat, Store: st, IdleTimeout: time.Duration(cfg.IdleTimeout),
		RepeatWindow: time.Duration(cfg.RepeatWindow), Logger: logger})
}

// configuredCorpus is the law corpus the config names (the embedded law set
// plus knowledge.corpus_files), without the search index: serve searches it
// and quiz citations are checked against it.
// quizCatalog loads the configured quiz catalogue, against which campaign
// validation and approval check each campaign's quiz:.
func quizCatalog(cfg config.Config) (*quiz.Catalog, error) {
	corpus, err := configuredCorpus(cfg.Knowledge)
	if err != nil {
		return nil, err
	}
	return loadQuizzes(cfg.Quiz.Dir, corpus, time.Now())
}

func configuredCorpus(cfg config.Knowledge) (*knowledge.Corpus, error) {
	set, err := knowledge.ParseLawSet(cfg.Laws)
	if err != nil {
		return nil, fmt.Errorf("knowledge.laws: %w", err)
	}
	c, err := loadCorpus(set, cfg.CorpusFiles, true)
	if err != nil {
		return nil, fmt.Errorf("knowledge.corpus_files: %w", err)
	}
	return c, nil
}

const quizUsage = `usage:
  pufa quiz validate [FILE...]   check banks and quizzes (default: quiz.dir or the built-in ones,
                                 plus the quiz references of the campaigns in campaigns.dir)
  pufa quiz list                 quizzes, windows, which one is current, participants
  pufa quiz stats QUIZ [--json]  participants, completions, scores, per-question accuracy,
                                 communities, top 10

Every command takes --config FILE and --dir DIR (overrides quiz.dir).`

// runQuiz is `pufa quiz`.
func runQuiz(ctx context.Context, args []string, stdout io.Writer) error {
	sub, args, ok, err := subcommand("quiz", quizUsage, args, stdout)
	if !ok {
		return err
	}
	fs := newFlagSet("quiz " + sub)
	path := configFlag(fs)
	dir := fs.String("dir", "", "quiz directory (default quiz.dir)")
	asJSON := fs.Bool("json", false, "stats as JSON")
	parse := func() (config.Config, []string, error) {
		cfg, pos, err := parseInterleaved(fs, path, args)
		if err == nil && *dir != "" {
			cfg.Quiz.Dir = *dir
		}
		return cfg, pos, err
	}
	switch sub {
	case "validate":
		cfg, files, err := parse()
		if err != nil {
			return err
		}
		return quizValidate(cfg, files, stdout)
	case "list":
		cfg, _, err := parse()
		if err != nil {
			return err
		}
		return quizList(ctx, cfg, stdout)
	case "stats":
		cfg, pos, err := parse()
		if err != nil {
			return err
		}
		if len(pos) != 1 {
			return fmt.Errorf("quiz stats: want exactly one quiz id, got %d", len(pos))
		}
		return quizStats(ctx, cfg, pos[0], *asJSON, stdout)
	}
	fmt.Fprintln(stdout, quizUsage)
	return fmt.Errorf("quiz: unknown subcommand %q", sub)
}

// quizValidate checks the named files, or the whole configured catalogue
// and the campaigns' quiz references; it prints every problem as
// file: field: message and fails if there is any.
func quizValidate(cfg config.Config, files []string, stdout io.Writer) error {
	corpus, err := configuredCorpus(cfg.Knowledge)
	if err != nil {
		return err
	}
	var problems []error
	var oks, warnings []string
	if len(files) == 0 {
		cat, err := loadQuizzes(cfg.Quiz.Dir, corpus, time.Now())
		if err != nil {
			problems = append(problems, err)
		} else {
			for _, b := range cat.Banks() {
				oks = append(oks, describeBank(b))
			}
			for _, q := range cat.Quizzes() {
				oks = append(oks, describeQuiz(q))
			}
			warnings = campaignQuizRefs(cfg.Campaigns.Dir, cat, &problems)
		}
	} else {
		problems, oks = validateFiles(cfg, corpus, files)
	}
	n := 0
	for _, p := range problems {
		for _, line := range strings.Split(p.Error(), "\n") {
			fmt.Fprintln(stdout, line)
			n++
		}
	}
	for _, w := range warnings {
		fmt.Fprintln(stdout, "warning: "+w)
	}
	for _, ok := range oks {
		fmt.Fprintln(stdout, "ok  "+ok)
	}
	if n > 0 {
		return fmt.Errorf("quiz validate: %d problem(s)", n)
	}
	return nil
}

// validateFiles checks bank and quiz files; a quiz may use a bank given
// alongside it, one in quiz.dir or a built-in one.
func validateFiles(cfg config.Config, corpus quiz.Corpus, files []string) (problems []error, oks []string) {
	banks := map[string]*quiz.Bank{}
	if cat, err := loadQuizzes(cfg.Quiz.Dir, corpus, time.Now()); err == nil {
		for _, b := range cat.Banks() {
			banks[b.ID] = b
		}
	} else if b, err := quiz.Default(corpus); err == nil {
		for _, b := range b.Banks() {
			banks[b.ID] = b
		}
	}
	type quizFile struct {
		name string
		data []byte
	}
	var quizzes []quizFile
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			problems = append(problems, fmt.Errorf("%s: %w", f, err))
			continue
		}
		if !isBankFile(data) {
			quizzes = append(quizzes, quizFile{f, data}) // after the banks given with it
			continue
		}
		b, err := quiz.ParseBank(f, data, corpus)
		if err != nil {
			problems = append(problems, err)
			continue
		}
		banks[b.ID] = b
		oks = append(oks, describeBank(b))
	}
	for _, qf := range quizzes {
		q, err := quiz.ParseQuiz(qf.name, qf.data, func(id string) *quiz.Bank { return banks[id] })
		if err != nil {
			problems = append(problems, err)
			continue
		}
		oks = append(oks, describeQuiz(q))
	}
	return problems, oks
}

// isBankFile tells a bank (a questions list) from a quiz definition.
func isBankFile(data []byte) bool {
	var top map[string]any
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&top); err != nil {
		return true // let ParseBank report the YAML error
	}
	_, ok := top["questions"].([]any)
	return ok
}

func describeBank(b *quiz.Bank) string {
	kinds := map[quiz.Kind]int{}
	for _, q := range b.Questions {
		kinds[q.Kind]++
	}
	return fmt.Sprintf("bank %s (%s): %d questions (single %d, multiple %d, truefalse %d)", b.ID, b.File,
		len(b.Questions), kinds[quiz.Single], kinds[quiz.Multiple], kinds[quiz.TrueFalse])
}

func describeQuiz(q *quiz.Quiz) string {
	return fmt.Sprintf("quiz %s (%s): %d of %d questions from %s, %s, open %s – %s", q.ID, q.File, q.Questions,
		len(q.Bank.Questions), q.Bank.ID, q.Order, fmtTime(q.Window.From), fmtTime(q.Window.To))
}

// campaignQuizRefs checks that every campaign's quiz reference names a quiz
// (by id, or by bank with an overlapping window), and warns when the
// campaign's text does not tell residents how to join.
func campaignQuizRefs(dir string, cat *quiz.Catalog, problems *[]error) (warnings []string) {
	if _, err := os.Stat(dir); err != nil && dir != embeddedSamples {
		return nil // no campaigns to check
	}
	defs, err := definitions(dir)()
	if err != nil {
		return []string{"campaigns not checked: " + strings.ReplaceAll(err.Error(), "\n", "; ")}
	}
	for _, c := range defs {
		if err := campaigns.CheckQuiz(c, cat); err != nil {
			*problems = append(*problems, err)
			continue
		}
		if id, ok := cat.CampaignQuiz(c.Quiz, c.Window.From, c.Window.To); ok && !announcesQuiz(c) {
			warnings = append(warnings, fmt.Sprintf("%s: content does not tell residents how to join quiz %s; add %s", c.File, id, quiz.JoinHint))
		}
	}
	return warnings
}

// announcesQuiz reports whether a campaign's content mentions "答题".
func announcesQuiz(c *campaigns.Campaign) bool {
	if strings.Contains(c.Content.Text, "答题") {
		return true
	}
	if t := c.Content.Template; t != nil {
		for _, v := range t.Fields {
			if strings.Contains(v, "答题") {
				return true
			}
		}
	}
	return c.Content.MediaID != "" // an article's text is not ours to check
}

func quizList(ctx context.Context, cfg config.Config, stdout io.Writer) error {
	now := time.Now()
	cat, st, err := openQuizzes(cfg, now)
	if err != nil {
		return err
	}
	defer st.Close()
	cur := cat.Current(now)
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATE\tBANK\tQUESTIONS\tFROM\tTO\tPARTICIPANTS\tCOMPLETIONS\tTITLE")
	for _, q := range cat.Quizzes() {
		state := "closed"
		switch {
		case q == cur:
			state = "current"
		case q.Window.Contains(now):
			state = "open"
		case q.Window.From.After(now):
			state = "upcoming"
		}
		parts, comps := "-", "-"
		if s, err := st.QuizStats(ctx, q.ID); err == nil {
			parts, comps = fmt.Sprint(s.Participants), fmt.Sprint(s.Completions)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\n", q.ID, state, q.Bank.ID, q.Questions,
			fmtTime(q.Window.From), fmtTime(q.Window.To), parts, comps, q.Title)
	}
	return tw.Flush()
}

// openQuizzes loads the configured quizzes, checked as of now, and opens
// the store that holds their results; the caller closes it.
func openQuizzes(cfg config.Config, now time.Time) (*quiz.Catalog, *store.Store, error) {
	corpus, err := configuredCorpus(cfg.Knowledge)
	if err != nil {
		return nil, nil, err
	}
	cat, err := loadQuizzes(cfg.Quiz.Dir, corpus, now)
	if err != nil {
		return nil, nil, err
	}
	st, err := openStore(cfg.Redis)
	if err != nil {
		return nil, nil, err
	}
	return cat, st, nil
}

func quizStats(ctx context.Context, cfg config.Config, id string, asJSON bool, stdout io.Writer) error {
	cat, st, err := openQuizzes(cfg, time.Now())
	if err != nil {
		return err
	}
	defer st.Close()
	svc, err := quiz.New(quiz.Options{Catalog: cat, Store: st, Logger: newLogger(cfg.Log, os.Stderr)})
	if err != nil {
		return err
	}
	s, err := svc.Stats(ctx, id)
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSON(stdout, s)
	}
	fmt.Fprintf(stdout, "%s  %s\nwindow %s – %s, %d questions per attempt\n\n", s.Quiz, s.Title,
		fmtTime(s.Window.From), fmtTime(s.Window.To), s.Questions)
	fmt.Fprintf(stdout, "participants %d, completions %d (%.0f%%), attempts %d started / %d finished\n",
		s.Participants, s.Completions, s.CompletionRate*100, s.Attempts, s.FinishedAttempts)
	fmt.Fprintf(stdout, "average score %.1f (best attempt of each completer), %.1f per finished attempt; full marks %d\n\n",
		s.AverageScore, s.AverageAttempt, s.FullMarks)
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "QUESTION\tANSWERED\tRIGHT\tACCURACY\tANSWER\tCOMMON WRONG\tTEXT")
	for _, q := range s.PerQuestion {
		wrong := "-"
		if q.CommonWrong != "" {
			wrong = fmt.Sprintf("%s (%d)", q.CommonWrong, q.WrongCount)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.0f%%\t%s\t%s\t%s\n", q.ID, q.Answered, q.Right, q.Accuracy*100, q.Answer, wrong, kbClip(q.Question, 40))
	}
	tw.Flush()
	if len(s.Communities) > 0 {
		names, err := communities.New(st, nil).Directory(ctx) // registry names, not scene ids
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout)
		tw = tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "RANK\tCOMMUNITY\tPARTICIPANTS\tFOLLOWERS\tRATE\tCOMPLETIONS\tAVG SCORE")
		for _, c := range s.Communities {
			fmt.Fprintf(tw, "%d\t%s\t%d\t%d\t%.0f%%\t%d\t%.1f\n", c.Rank, names.Name(c.Community), c.Participants, c.Followers, c.Rate*100, c.Completions, c.AverageScore)
		}
		tw.Flush()
	}
	if len(s.Top) > 0 {
		fmt.Fprintln(stdout, "\ntop 10:")
		for _, e := range s.Top {
			fmt.Fprintf(stdout, "  %d. %s  %d/%d  %s\n", e.Rank, e.Resident, e.Right, s.Questions, fmtTime(e.Finished))
		}
	}
	return nil
}
