package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pufa-dev/pufa/campaigns"
	"github.com/pufa-dev/pufa/chinatime"
	"github.com/pufa-dev/pufa/communities"
	"github.com/pufa-dev/pufa/datacube"
	"github.com/pufa-dev/pufa/ledger"
	"github.com/pufa-dev/pufa/report"
	"github.com/pufa-dev/pufa/store"
	"github.com/pufa-dev/pufa/wechat"
)

// reportSources wires the report to the store and the quizzes; a nil quiz
// leaves quizzes out of the report.
func reportSources(st *store.Store, quiz report.QuizStats) report.Sources {
	registry := communities.New(st, nil)
	src := report.Sources{Counters: st, Ledger: st, Followers: st, Quiz: quiz, Communities: registry,
		Reads: report.StoredReads{Store: st}, FollowerSummary: st, Mediation: ledger.NewMediation(st, registry, nil)}
	// Pushes come from the run archive alone: a definition moved or deleted
	// since never changes a past year.
	src.Campaigns = report.ArchivedPushes{Store: st}
	return src
}

// runReport is `pufa report`.
func runReport(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlagSet("report")
	path := configFlag(fs)
	year := time.Now().In(chinatime.Zone).Year()
	from := fs.String("from", fmt.Sprintf("%d-01-01", year), "first day (yyyy-mm-dd, China time)")
	to := fs.String("to", fmt.Sprintf("%d-12-31", year), "last day, inclusive")
	format := fs.String("format", "", "md, csv, json, xlsx or docx (default: from --out's extension, else md)")
	syncFollowers := fs.Bool("sync-followers", false, "first copy WeChat's follower figures of the period (data cube, up to yesterday) into Redis")
	out := fs.String("out", "", "write to FILE instead of standard output (xlsx and docx need it unless stdout is redirected)")
	cfg, err := parseAndLoad(fs, path, args)
	if err != nil {
		return err
	}
	if *format == "" {
		*format = report.FormatMarkdown
		if ext := strings.TrimPrefix(filepath.Ext(*out), "."); ext != "" {
			*format = ext
		}
	}
	switch *format {
	case report.FormatMarkdown, report.FormatCSV, report.FormatJSON, report.FormatXLSX, report.FormatDocx:
	default:
		return fmt.Errorf("report: --format %q is not md, csv, json, xlsx or docx", *format)
	}
	f, err := report.ParseDate(*from)
	if err != nil {
		return fmt.Errorf("report: --from: %w", err)
	}
	t, err := report.ParseDate(*to)
	if err != nil {
		return fmt.Errorf("report: --to: %w", err)
	}
	logger := newLogger(cfg.Log, os.Stderr)
	st, err := openStore(cfg.Redis)
	if err != nil {
		return err
	}
	defer st.Close()
	if *syncFollowers {
		wx, err := newWeChat(cfg.WeChat, st, logger)
		if err != nil {
			return err
		}
		end := wechat.LatestDataCubeDay(time.Now())
		if last := wechat.DayOf(t); last.Before(end.Time) {
			end = last
		}
		n, err := datacube.SyncFollowers(ctx, wx, st, wechat.DayOf(f), end)
		if err != nil {
			return fmt.Errorf("report: --sync-followers: %w", err)
		}
		fmt.Fprintf(os.Stderr, "copied %d days of follower figures from WeChat\n", n)
	}
	mgr, err := newCampaigns(cfg, st, nil, nil, logger, nil)
	if err != nil {
		return err
	}
	archivePastRuns(ctx, mgr, logger)
	corpus, err := configuredCorpus(cfg.Knowledge)
	if err != nil {
		return err
	}
	quizzes, err := newQuizzes(cfg.Quiz, corpus, st, logger)
	if err != nil {
		return err
	}
	r, err := report.Build(ctx, reportSources(st, report.QuizFigures{Service: quizzes}), f, t)
	if err != nil {
		return err
	}
	if *out == "" {
		return report.Write(stdout, r, *format)
	}
	file, err := os.Create(*out)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if err := report.Write(file, r, *format); err != nil {
		file.Close()
		return err
	}
	if err := file.Close(); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	fmt.Fprintf(stdout, "wrote %s (%s, %s to %s)\n", *out, *format, r.From, r.To)
	return nil
}

// archivePastRuns archives runs from before the run archive existed; the
// report lists only archived runs. A failure is logged: the runs archived
// when they ran are there anyway.
func archivePastRuns(ctx context.Context, mgr *campaigns.Manager, logger *slog.Logger) {
	n, err := mgr.ArchivePastRuns(ctx)
	if err != nil {
		logger.Error("archiving past campaign runs", "err", err)
		return
	}
	logger.Debug("past campaign runs archived", "runs", n)
}
