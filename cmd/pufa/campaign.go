package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"github.com/pufa-dev/pufa/articles"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"
	_ "time/tzdata" // CRON_TZ=Asia/Shanghai on hosts without zoneinfo

	"github.com/pufa-dev/pufa/bot"
	"github.com/pufa-dev/pufa/campaigns"
	"github.com/pufa-dev/pufa/chinatime"
	"github.com/pufa-dev/pufa/config"
	"github.com/pufa-dev/pufa/console"
	"github.com/pufa-dev/pufa/metrics"
	"github.com/pufa-dev/pufa/scheduler"
	"github.com/pufa-dev/pufa/sms"
	"github.com/pufa-dev/pufa/store"
	"github.com/pufa-dev/pufa/wechat"
)

// embeddedSamples as campaigns.dir makes pufa use the sample campaigns
// built into the binary; the demo sets it when no campaigns directory
// exists.
const embeddedSamples = "embedded:campaigns/samples"

// definitions returns the loader of the campaign files named by dir, for
// `campaign validate`: it checks files, not what Redis holds.
func definitions(dir string) func() ([]*campaigns.Campaign, error) {
	if dir == embeddedSamples {
		return func() ([]*campaigns.Campaign, error) {
			return campaigns.LoadFS(campaigns.Samples(), "campaigns/samples")
		}
	}
	return func() ([]*campaigns.Campaign, error) { return campaigns.LoadDir(dir) }
}

// newLibrary wires the campaign definitions kept in Redis, with
// campaigns.dir read as their inbox (see campaigns.Library); the built-in
// samples are imported once instead.
func newLibrary(cfg config.Config, st *store.Store, logger *slog.Logger) (*campaigns.Library, error) {
	dir := cfg.Campaigns.Dir
	if dir == embeddedSamples {
		dir = ""
	}
	// Every process checks quiz: the same way, whatever the command, so an
	// inbox file is never imported by one command and refused by another.
	quizzes, err := quizCatalog(cfg)
	if err != nil {
		return nil, fmt.Errorf("campaigns: quizzes: %w", err)
	}
	lib := campaigns.NewLibrary(campaigns.LibraryOptions{Store: st, Dir: dir, Quizzes: quizzes, Logger: logger})
	if cfg.Campaigns.Dir == embeddedSamples {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := lib.Seed(ctx, campaigns.Samples(), "campaigns/samples"); err != nil {
			return nil, fmt.Errorf("campaigns: built-in samples: %w", err)
		}
	}
	return lib, nil
}

// newCampaigns wires the campaign manager; wx may be nil for commands that
// only read state, quizzes nil for those that approve nothing, m nil where
// nothing is scraped.
func newCampaigns(cfg config.Config, st *store.Store, wx *wechat.Client, quizzes campaigns.QuizCatalog, logger *slog.Logger, m *metrics.Metrics, adjust ...func(*campaigns.Options)) (*campaigns.Manager, error) {
	previews, err := console.ParsePreviewRecipients(cfg.Console.PreviewRecipients)
	if err != nil {
		return nil, err
	}
	lib, err := newLibrary(cfg, st, logger)
	if err != nil {
		return nil, err
	}
	opts := campaigns.Options{
		Store: st, Library: lib, Logger: logger,
		PreviewTo: console.PreviewList{Fixed: previews, Store: st}, Quizzes: quizzes,
		Rate: float64(cfg.Campaigns.Rate), Workers: cfg.Campaigns.Workers,
		MaxConsecutiveErrors: cfg.Campaigns.MaxConsecutiveErrors, AccountType: cfg.Campaigns.AccountType,
		Lease: time.Duration(cfg.Campaigns.Lease),
	}
	opts.SMSNumbers, opts.SMSRate = st, float64(cfg.SMS.Rate)
	if cfg.SMS.Endpoint != "" {
		client, err := sms.New(sms.Options{Endpoint: cfg.SMS.Endpoint, AccessKeyID: cfg.SMS.AccessKeyID,
			AccessKeySecret: cfg.SMS.AccessKeySecret, SignName: cfg.SMS.SignName})
		if err != nil {
			return nil, fmt.Errorf("sms gateway: %w", err)
		}
		opts.SMS = client
	}
	// Articles are read (for approvals) even where nothing talks to WeChat.
	var pub articles.Publisher
	if wx != nil {
		pub = articlePublisher{wx}
		opts.Publisher, opts.Notices = wx, wx
	}
	opts.Articles = articles.New(st, pub, nil, logger)
	if wx != nil {
		opts.Sender, opts.Audience, opts.Previewer = wx, wx, wx
		if m != nil {
			opts.Sender = metrics.Sender{Next: wx, Metrics: m}
		}
	}
	for _, f := range adjust {
		f(&opts)
	}
	return campaigns.New(opts)
}

// newCampaignScheduler wires the scheduler that serve and demo run.
func newCampaignScheduler(cfg config.Config, mgr scheduler.Campaigns, st *store.Store, logger *slog.Logger) (*scheduler.Scheduler, error) {
	return scheduler.New(scheduler.Options{Campaigns: mgr, Store: st, Logger: logger, Grace: time.Duration(cfg.Campaigns.Grace)})
}

// registerCampaignEvents routes WeChat's job-finish events to the
// campaigns' reach counts.
func registerCampaignEvents(router *bot.Router, mgr *campaigns.Manager) {
	router.HandleEvent(bot.EventMassFinish, bot.HandlerFunc(func(ctx context.Context, m *bot.Message) (bot.Reply, error) {
		return bot.Reply{}, mgr.MassFinished(ctx, m.JobID, m.Status, m.TotalCount, m.FilterCount, m.SentCount, m.ErrorCount)
	}))
	router.HandleEvent(bot.EventTplFinish, bot.HandlerFunc(func(ctx context.Context, m *bot.Message) (bot.Reply, error) {
		return bot.Reply{}, mgr.TemplateFinished(ctx, m.JobID, m.FromUserName, m.Status)
	}))
}

// startScheduler runs the service's campaign scheduler until ctx ends. The
// returned func stops it and waits: workers finish the request in flight and
// record it; the rest of a run is resumed by another replica or the next
// start.
func (s *service) startScheduler(ctx context.Context) (stop func()) {
	if s.scheduler == nil {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.scheduler.Run(ctx)
	}()
	cubeDone := make(chan struct{})
	go func() {
		defer close(cubeDone)
		if s.datacube != nil {
			s.datacube.Run(ctx)
		}
	}()
	return func() {
		cancel()
		<-done
		<-cubeDone
	}
}

// withDemoCampaigns adds the demo's "send now" endpoints in front of h:
//
//	GET  /demo/campaigns            every campaign with state and counts
//	GET  /demo/campaigns/{id}       one campaign's stats
//	POST /demo/campaigns/{id}/send  approve (as "demo") and send it now to the simulated followers
func withDemoCampaigns(h http.Handler, mgr *campaigns.Manager, logger *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", h)
	mux.HandleFunc("GET /demo/campaigns", func(w http.ResponseWriter, r *http.Request) {
		list, err := mgr.List(r.Context())
		if err != nil && list == nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		writeJSON(w, list)
	})
	mux.HandleFunc("GET /demo/campaigns/{id}", func(w http.ResponseWriter, r *http.Request) {
		st, err := mgr.Stats(r.Context(), r.PathValue("id"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		writeJSON(w, st)
	})
	mux.HandleFunc("POST /demo/campaigns/{id}/send", func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		st, err := mgr.Stats(r.Context(), id)
		if err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		if st.State == campaigns.Draft {
			if err := mgr.Approve(r.Context(), id, "demo"); err != nil {
				http.Error(w, err.Error(), http.StatusConflict)
				return
			}
		}
		ctx, cancel := context.WithTimeout(r.Context(), time.Minute)
		defer cancel()
		if _, _, err := mgr.RunNow(ctx, id, campaigns.RunOptions{IgnoreQuietHours: true}); err != nil {
			http.Error(w, err.Error(), http.StatusConflict)
			return
		}
		logger.Info("demo: campaign sent", "campaign", id)
		if st, err = mgr.Stats(r.Context(), id); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		writeJSON(w, st)
	})
	return mux
}

const campaignUsage = `usage: pufa campaign <command> [flags]

commands:
  new --theme THEME --year YEAR   draft a campaign from the legal-publicity calendar (no theme: list themes)
  validate [FILE...]              check campaign files (default: every file in campaigns.dir)
  import DIR|FILE [--by NAME]     store YAML files' definitions in Redis, replacing those of the same id
  export DIR                      write every definition kept in Redis as DIR/<id>.yaml
  list [--json]                   campaigns with state, next fire and counts
  stats ID [--json]               one campaign: state, runs, reach, log
  approve ID --by NAME            approve the current content (required before anything is sent)
  preview ID --to OPENID          send the content to a registered staff member first (console.preview_recipients or 预览名单)
  run ID [--dry-run]              send now, with a progress bar (resumes an interrupted run)
  pause ID | resume ID | cancel ID

Every command takes --config FILE and --dir DIR (overrides campaigns.dir).`

// runCampaign is `pufa campaign`.
func runCampaign(ctx context.Context, args []string, stdout io.Writer) error {
	sub, args, ok, err := subcommand("campaign", campaignUsage, args, stdout)
	if !ok {
		return err
	}
	fs := newFlagSet("campaign " + sub)
	cf := &campaignFlags{path: configFlag(fs)}
	fs.StringVar(&cf.dir, "dir", "", "campaign directory (default campaigns.dir)")
	switch sub {
	case "new":
		return campaignNew(fs, cf, args, stdout)
	case "validate":
		return campaignValidate(fs, cf, args, stdout)
	case "import":
		return campaignImport(ctx, fs, cf, args, stdout)
	case "export":
		return campaignExport(ctx, fs, cf, args, stdout)
	case "list":
		return campaignList(ctx, fs, cf, args, stdout)
	case "stats":
		return campaignStats(ctx, fs, cf, args, stdout)
	case "approve", "pause", "resume", "cancel":
		return campaignChange(ctx, sub, fs, cf, args, stdout)
	case "preview":
		return campaignPreview(ctx, fs, cf, args, stdout)
	case "run":
		return campaignRun(ctx, fs, cf, args, stdout)
	}
	fmt.Fprintln(stdout, campaignUsage)
	return fmt.Errorf("campaign: unknown subcommand %q", sub)
}

type campaignFlags struct {
	path      *string
	dir       string
	checkQuiz bool // open loads the quiz catalogue, for approval
}

// parse parses flags placed before or after positional arguments
// (`approve ID --by NAME`) and loads the configuration.
func (cf *campaignFlags) parse(fs *flag.FlagSet, args []string) (config.Config, []string, error) {
	cfg, pos, err := parseInterleaved(fs, cf.path, args)
	if err != nil {
		return cfg, nil, err
	}
	if cf.dir != "" {
		cfg.Campaigns.Dir = cf.dir
	}
	return cfg, pos, nil
}

// open connects to Redis and, when withWeChat, the WeChat API, and returns
// the manager.
func (cf *campaignFlags) open(cfg config.Config, withWeChat bool) (*campaigns.Manager, func(), error) {
	logger := newLogger(cfg.Log, os.Stderr)
	st, err := openStore(cfg.Redis)
	if err != nil {
		return nil, nil, err
	}
	var wx *wechat.Client
	if withWeChat {
		if err := cfg.RequireWeChat(); err != nil {
			st.Close()
			return nil, nil, err
		}
		if wx, err = newWeChat(cfg.WeChat, st, logger); err != nil {
			st.Close()
			return nil, nil, err
		}
	}
	var quizzes campaigns.QuizCatalog
	if cf.checkQuiz {
		if quizzes, err = quizCatalog(cfg); err != nil {
			st.Close()
			return nil, nil, err
		}
	}
	mgr, err := newCampaigns(cfg, st, wx, quizzes, logger, nil)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return mgr, func() { st.Close() }, nil
}

// openOne parses a subcommand that names exactly one campaign and opens the
// manager; closeFn releases it.
func (cf *campaignFlags) openOne(fs *flag.FlagSet, sub string, args []string, withWeChat bool) (mgr *campaigns.Manager, id string, closeFn func(), err error) {
	cfg, pos, err := cf.parse(fs, args)
	if err != nil {
		return nil, "", nil, err
	}
	if id, err = oneID(sub, pos); err != nil {
		return nil, "", nil, err
	}
	mgr, closeFn, err = cf.open(cfg, withWeChat)
	return mgr, id, closeFn, err
}

func oneID(sub string, pos []string) (string, error) {
	if len(pos) != 1 {
		return "", fmt.Errorf("campaign %s: want exactly one campaign id, got %d", sub, len(pos))
	}
	return pos[0], nil
}

func campaignNew(fs *flag.FlagSet, cf *campaignFlags, args []string, stdout io.Writer) error {
	theme := fs.String("theme", "", "calendar theme, e.g. constitution-week")
	year := fs.Int("year", time.Now().In(chinatime.Zone).Year(), "year of the observance")
	out := fs.String("out", "", "file to write (default <campaigns.dir>/<id>.yaml; - = stdout)")
	cfg, _, err := cf.parse(fs, args)
	if err != nil {
		return err
	}
	if *theme == "" {
		cal := campaigns.Calendar()
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "THEME\t名称\t时间")
		for _, t := range campaigns.Themes() {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", t, cal[t].Name, cal[t].Summary)
		}
		return tw.Flush()
	}
	id, data, err := campaigns.DraftYAML(*theme, *year)
	if err != nil {
		return err
	}
	if *out == "-" {
		_, err := stdout.Write(data)
		return err
	}
	if *out == "" {
		if cfg.Campaigns.Dir == embeddedSamples {
			return errors.New("campaign new: set campaigns.dir or --out")
		}
		if err := os.MkdirAll(cfg.Campaigns.Dir, 0o755); err != nil {
			return fmt.Errorf("campaign new: %w", err)
		}
		*out = filepath.Join(cfg.Campaigns.Dir, id+".yaml")
	}
	f, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("campaign new: %w (an existing file is never overwritten)", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("campaign new: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("campaign new: %w", err)
	}
	fmt.Fprintf(stdout, "wrote draft %s to %s\nnext: edit it, pufa campaign validate, pufa campaign preview %s --to OPENID, pufa campaign approve %s --by NAME\n", id, *out, id, id)
	return nil
}

func campaignValidate(fs *flag.FlagSet, cf *campaignFlags, args []string, stdout io.Writer) error {
	cfg, files, err := cf.parse(fs, args)
	if err != nil {
		return err
	}
	var defs []*campaigns.Campaign
	var problems error
	if len(files) == 0 {
		defs, problems = definitions(cfg.Campaigns.Dir)()
	}
	for _, f := range files {
		c, err := campaigns.LoadFile(f)
		if err != nil {
			problems = errors.Join(problems, err)
			continue
		}
		defs = append(defs, c)
	}
	n := 0
	if problems != nil {
		for _, line := range strings.Split(problems.Error(), "\n") {
			fmt.Fprintln(stdout, line)
			n++
		}
	}
	if len(defs) > 0 {
		quizzes, err := quizCatalog(cfg)
		if err != nil {
			return fmt.Errorf("campaign validate: quizzes: %w", err)
		}
		ok := defs[:0]
		for _, c := range defs {
			if err := campaigns.CheckQuiz(c, quizzes); err != nil {
				fmt.Fprintln(stdout, err)
				n++
				continue
			}
			ok = append(ok, c)
		}
		defs = ok
	}
	for _, c := range defs {
		fmt.Fprintf(stdout, "ok  %s (%s)\n", c.ID, c.File)
	}
	if n > 0 {
		return fmt.Errorf("campaign validate: %d problem(s)", n)
	}
	if len(defs) == 0 {
		fmt.Fprintf(stdout, "no campaign files in %s\n", cfg.Campaigns.Dir)
	}
	return nil
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.In(chinatime.Zone).Format("2006-01-02 15:04")
}

func campaignList(ctx context.Context, fs *flag.FlagSet, cf *campaignFlags, args []string, stdout io.Writer) error {
	asJSON := fs.Bool("json", false, "print JSON")
	cfg, _, err := cf.parse(fs, args)
	if err != nil {
		return err
	}
	mgr, closeFn, err := cf.open(cfg, false)
	if err != nil {
		return err
	}
	defer closeFn()
	list, defErr := mgr.List(ctx)
	if list == nil && defErr != nil {
		return defErr
	}
	if *asJSON {
		if err := writeJSON(stdout, list); err != nil {
			return err
		}
	} else {
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\t状态\t渠道\t下次推送\t推送次数\t错过\t送达/总数\t标题")
		for _, s := range list {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%d/%d\t%s\n", s.ID, s.StateLabel, s.Channel, fmtTime(s.NextFire),
				s.Fires, s.MissedFires, s.Reach.Sent, s.Reach.Total, s.Title)
		}
		tw.Flush()
	}
	if defErr != nil {
		return fmt.Errorf("some campaign files are invalid (pufa campaign validate):\n%w", defErr)
	}
	return nil
}

func campaignStats(ctx context.Context, fs *flag.FlagSet, cf *campaignFlags, args []string, stdout io.Writer) error {
	asJSON := fs.Bool("json", false, "print JSON")
	mgr, id, closeFn, err := cf.openOne(fs, "stats", args, false)
	if err != nil {
		return err
	}
	defer closeFn()
	s, err := mgr.Stats(ctx, id)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(stdout, s)
	}
	fmt.Fprintf(stdout, "%s  %s\n", s.ID, s.Title)
	fmt.Fprintf(stdout, "状态: %s (%s)", s.StateLabel, s.State)
	if s.PauseReason != "" {
		fmt.Fprintf(stdout, "，原因: %s", s.PauseReason)
	}
	fmt.Fprintln(stdout)
	if s.ApprovedBy != "" {
		fmt.Fprintf(stdout, "审批: %s %s\n", s.ApprovedBy, fmtTime(s.ApprovedAt))
	}
	if s.Stale {
		fmt.Fprintln(stdout, "注意: 文件内容在推送开始后被修改，推送仍使用开始时的内容")
	}
	fmt.Fprintf(stdout, "渠道: %s  下次推送: %s  上次: %s  推送次数: %d  错过: %d\n",
		s.Channel, fmtTime(s.NextFire), fmtTime(s.LastFire), s.Fires, s.MissedFires)
	r := s.Reach
	fmt.Fprintf(stdout, "覆盖: 总数 %d  过滤后 %d  成功 %d  失败 %d", r.Total, r.Filtered, r.Sent, r.Errors)
	if r.Unknown > 0 {
		fmt.Fprintf(stdout, "  未知 %d", r.Unknown)
	}
	if r.Pending > 0 {
		fmt.Fprintf(stdout, "  待微信回报 %d 批", r.Pending)
	}
	fmt.Fprintln(stdout)
	for _, run := range s.Runs {
		fmt.Fprintf(stdout, "  run %s  %-9s %d/%d done, sent %d, failed %d, unknown %d\n",
			fmtTime(run.Fire), run.State, run.Done, run.Total, run.Sent, run.Failed, run.Unknown)
	}
	for _, l := range s.Log {
		f := strings.SplitN(l, "|", 6)
		if len(f) == 6 {
			var unix int64
			fmt.Sscan(f[0], &unix)
			fmt.Fprintf(stdout, "  %s  %s → %s (%s by %s) %s\n", fmtTime(time.Unix(unix, 0)), f[1], f[2], f[3], f[4], f[5])
		}
	}
	return nil
}

func currentUser() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return "unknown"
}

func campaignChange(ctx context.Context, sub string, fs *flag.FlagSet, cf *campaignFlags, args []string, stdout io.Writer) error {
	by := fs.String("by", "", "who does this (approve: required)")
	reason := fs.String("reason", "", "why (pause)")
	cf.checkQuiz = sub == "approve"
	mgr, id, closeFn, err := cf.openOne(fs, sub, args, false)
	if err != nil {
		return err
	}
	if *by == "" && sub != "approve" {
		*by = currentUser()
	}
	defer closeFn()
	switch sub {
	case "approve":
		err = mgr.Approve(ctx, id, *by)
	case "pause":
		err = mgr.Pause(ctx, id, *by, *reason)
	case "resume":
		err = mgr.Resume(ctx, id, *by)
	case "cancel":
		err = mgr.Cancel(ctx, id, *by)
	}
	if err != nil {
		return err
	}
	s, err := mgr.Stats(ctx, id)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %s (%s)\n", id, s.StateLabel, s.State)
	return nil
}

func campaignPreview(ctx context.Context, fs *flag.FlagSet, cf *campaignFlags, args []string, stdout io.Writer) error {
	to := fs.String("to", "", "staff member's openid")
	by := fs.String("by", currentUser(), "who asks for the preview")
	mgr, id, closeFn, err := cf.openOne(fs, "preview", args, true)
	if err != nil {
		return err
	}
	defer closeFn()
	res, err := mgr.Preview(ctx, id, *to, *by)
	if errors.Is(err, campaigns.ErrNotPreviewRecipient) {
		return fmt.Errorf("%w\nregister staff in console.preview_recipients (openid:name) or in the console's 预览名单", err)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "preview of %s (content sha256:%s) sent to %s; check it in WeChat, then: pufa campaign approve %s --by NAME\n",
		id, res.ContentHash, res.Name, id)
	return nil
}

func campaignRun(ctx context.Context, fs *flag.FlagSet, cf *campaignFlags, args []string, stdout io.Writer) error {
	dry := fs.Bool("dry-run", false, "show what would be sent, send nothing")
	ignoreQuiet := fs.Bool("ignore-quiet-hours", false, "send even inside the campaign's quiet hours")
	cfg, pos, err := cf.parse(fs, args)
	if err != nil {
		return err
	}
	id, err := oneID("run", pos)
	if err != nil {
		return err
	}
	mgr, closeFn, err := cf.open(cfg, true)
	if err != nil {
		return err
	}
	defer closeFn()
	if *dry {
		d, err := mgr.DryRun(ctx, id)
		if err != nil {
			return err
		}
		who := fmt.Sprint(d.Recipients)
		if d.Recipients < 0 {
			who = "WeChat decides (all followers / one tag)"
		}
		fmt.Fprintf(stdout, "dry run of %s: channel %s, recipients %s, requests %d, about %s at campaigns.rate=%d/s; nothing sent\n",
			id, d.Channel, who, d.Requests, d.Estimate.Round(time.Second), cfg.Campaigns.Rate)
		return nil
	}
	stop := make(chan struct{})
	progressDone := make(chan struct{})
	go func() {
		defer close(progressDone)
		showProgress(ctx, mgr, id, stdout, stop)
	}()
	fire, res, err := mgr.RunNow(ctx, id, campaigns.RunOptions{IgnoreQuietHours: *ignoreQuiet})
	close(stop)
	<-progressDone
	if err != nil {
		return err
	}
	c := res.Counts
	fmt.Fprintf(stdout, "%s fire %s: %s — %d/%d done, sent %d, failed %d, unknown %d\n",
		id, fmtTime(fire), res.State, c.Done, c.Total, c.Sent, c.Failed, c.Unknown)
	switch res.State {
	case "finished":
		return nil
	case "interrupted":
		return fmt.Errorf("campaign run: interrupted; run it again to resume where it stopped")
	}
	return fmt.Errorf("campaign run: %s %s", res.State, res.Stopped)
}

// showProgress draws recipients done / total, rate and errors until stop:
// in place on a terminal, a line every 2 s otherwise. It reads Redis, so it
// shows every replica's progress on the run.
func showProgress(ctx context.Context, mgr *campaigns.Manager, id string, w io.Writer, stop <-chan struct{}) {
	tty := false
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	every := 2 * time.Second
	if tty {
		every = 250 * time.Millisecond
	}
	t := time.NewTicker(every)
	defer t.Stop()
	var lastDone int64
	lastAt := time.Now()
	drawn := false
	for {
		select {
		case <-stop:
			if drawn && tty {
				fmt.Fprintln(w)
			}
			return
		case <-ctx.Done():
			return
		case <-t.C:
		}
		st, err := mgr.Stats(ctx, id)
		if err != nil || len(st.Runs) == 0 {
			continue
		}
		r := st.Runs[len(st.Runs)-1]
		now := time.Now()
		rate := float64(r.Done-lastDone) / now.Sub(lastAt).Seconds()
		lastDone, lastAt = r.Done, now
		const width = 30
		filled := 0
		if r.Total > 0 {
			filled = int(int64(width) * r.Done / r.Total)
		}
		line := fmt.Sprintf("[%s%s] %d/%d  %.0f/s  errors %d  unknown %d",
			strings.Repeat("#", filled), strings.Repeat("-", width-filled), r.Done, r.Total, rate, r.Failed, r.Unknown)
		if tty {
			fmt.Fprintf(w, "\r%s\x1b[K", line)
		} else {
			fmt.Fprintln(w, line)
		}
		drawn = true
	}
}

// openLibrary connects to Redis and returns the campaign definitions.
func (cf *campaignFlags) openLibrary(cfg config.Config) (*campaigns.Library, func(), error) {
	st, err := openStore(cfg.Redis)
	if err != nil {
		return nil, nil, err
	}
	lib, err := newLibrary(cfg, st, newLogger(cfg.Log, os.Stderr))
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return lib, func() { st.Close() }, nil
}

func campaignImport(ctx context.Context, fs *flag.FlagSet, cf *campaignFlags, args []string, stdout io.Writer) error {
	by := fs.String("by", currentUser(), "who imports")
	cfg, pos, err := cf.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return errors.New("campaign import: want one DIR or FILE")
	}
	files := []string{pos[0]}
	if info, err := os.Stat(pos[0]); err != nil {
		return fmt.Errorf("campaign import: %w", err)
	} else if info.IsDir() {
		files = nil
		for _, pat := range []string{"*.yaml", "*.yml"} {
			m, _ := filepath.Glob(filepath.Join(pos[0], pat))
			files = append(files, m...)
		}
	}
	lib, closeFn, err := cf.openLibrary(cfg)
	if err != nil {
		return err
	}
	defer closeFn()
	var problems error
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			problems = errors.Join(problems, err)
			continue
		}
		c, isNew, err := lib.Import(ctx, f, data, *by)
		if err != nil {
			problems = errors.Join(problems, err)
			continue
		}
		verb := "replaced"
		if isNew {
			verb = "imported"
		}
		fmt.Fprintf(stdout, "%s %s (%s)\n", verb, c.ID, f)
	}
	if problems != nil {
		return fmt.Errorf("campaign import:\n%w", problems)
	}
	return nil
}

func campaignExport(ctx context.Context, fs *flag.FlagSet, cf *campaignFlags, args []string, stdout io.Writer) error {
	cfg, pos, err := cf.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return errors.New("campaign export: want one DIR")
	}
	lib, closeFn, err := cf.openLibrary(cfg)
	if err != nil {
		return err
	}
	defer closeFn()
	names, err := lib.Export(ctx, pos[0])
	for _, n := range names {
		fmt.Fprintf(stdout, "wrote %s\n", n)
	}
	return err
}
