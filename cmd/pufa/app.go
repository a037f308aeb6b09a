package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"github.com/pufa-dev/pufa/datacube"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	sdkutil "github.com/silenceper/wechat/v2/util"

	"github.com/pufa-dev/pufa/bot"
	"github.com/pufa-dev/pufa/campaigns"
	"github.com/pufa-dev/pufa/communities"
	"github.com/pufa-dev/pufa/config"
	"github.com/pufa-dev/pufa/console"
	"github.com/pufa-dev/pufa/knowledge"
	"github.com/pufa-dev/pufa/metrics"
	"github.com/pufa-dev/pufa/quiz"
	"github.com/pufa-dev/pufa/scheduler"
	"github.com/pufa-dev/pufa/store"
	"github.com/pufa-dev/pufa/wechat"
)

// configFlag registers --config with its documented default: ./config.yaml
// when present, else the built-in defaults.
func configFlag(fs interface {
	StringVar(p *string, name, value, usage string)
}) *string {
	var path string
	fs.StringVar(&path, "config", "", "YAML config file (default ./config.yaml when present; PUFA_* variables override)")
	return &path
}

// parseAndLoad parses a command's flags, then loads the configuration that
// its --config flag (registered with configFlag) names.
func parseAndLoad(fs *flag.FlagSet, path *string, args []string) (config.Config, error) {
	if err := fs.Parse(args); err != nil {
		return config.Config{}, err
	}
	return loadConfig(*path)
}

// parseFlagsAnywhere parses flags placed before or after positional
// arguments (`approve ID --by NAME`) and returns the positional ones; after
// "--" everything is positional.
func parseFlagsAnywhere(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// parseInterleaved is parseFlagsAnywhere followed by loading the
// configuration that --config names.
func parseInterleaved(fs *flag.FlagSet, path *string, args []string) (config.Config, []string, error) {
	pos, err := parseFlagsAnywhere(fs, args)
	if err != nil {
		return config.Config{}, nil, err
	}
	cfg, err := loadConfig(*path)
	return cfg, pos, err
}

// loadConfig applies the --config rule and the environment.
func loadConfig(path string) (config.Config, error) {
	if path == "" {
		if _, err := os.Stat("config.yaml"); err == nil {
			path = "config.yaml"
		}
	}
	return config.Load(path, os.Environ())
}

func newLogger(cfg config.Log, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.Level)) // validated by config
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// service is pufa wired together: everything `serve` and `demo` run.
type service struct {
	endpoint  *bot.Endpoint
	router    *bot.Router // the endpoint's handler (newRouter)
	kb        *knowledge.Base
	handler   http.Handler
	metrics   http.Handler         // /metrics, for a listener of its own (metrics.addr)
	campaigns *campaigns.Manager   // see campaign.go
	scheduler *scheduler.Scheduler // started by serveHTTP
	datacube  *datacube.Fetcher    // the daily reads and followers fetch; started with the scheduler
	bank      *console.BankSync    // staff edits of the answer bank; polled by serveHTTP (bank.go)
	wx        *wechat.Client       // the demo seeds campaigns through it (seed.go)
	quizzes   *quiz.Service
}

// newKnowledge builds the knowledge base: the configured embedded laws plus
// any configured corpora, the answer bank and the office FAQ; retrieval
// learns from LeCoQA's labelled lay questions and the bank's own wordings.
func newKnowledge(cfg config.Knowledge) (*knowledge.Base, error) {
	opts := knowledge.Options{FAQPath: cfg.FAQFile, FAQVars: map[string]string{}, LearnFromBank: true}
	if cfg.StationAddress != "" {
		opts.FAQVars["station_address"] = cfg.StationAddress
	}
	if cfg.StationHours != "" {
		opts.FAQVars["station_hours"] = cfg.StationHours
	}
	// The bank is matched on the default laws; knowledge.laws: national and
	// corpus files widen what can be looked up and shown, never which entry
	// answers.
	base, err := knowledge.DefaultCorpus()
	if err != nil {
		return nil, err
	}
	opts.Corpus = base
	if opts.Training, err = residentTraining(base); err != nil {
		return nil, err
	}
	if cfg.Laws == string(knowledge.LawsNational) || len(cfg.CorpusFiles) > 0 {
		wide, err := configuredCorpus(cfg)
		if err != nil {
			return nil, err
		}
		opts.Wide = wide
		if opts.WideTraining, err = residentTraining(wide); err != nil {
			return nil, err
		}
	}
	return knowledge.New(opts)
}

// residentTraining is what the live bot's retrieval learns from besides the
// bank's own wordings: LeCoQA's questions whose labels all resolve to
// current articles of c.
func residentTraining(c *knowledge.Corpus) ([]knowledge.LabeledQuery, error) {
	qs, _, err := knowledge.LeCoQA(c)
	return qs, err
}

// loadCorpus builds a corpus from the embedded laws of set (none when set is
// "") and STARD-format JSONL files; with current, texts no longer in force
// are dropped from the files (the resident-facing bot), without it they stay
// (measuring retrieval on STARD as published).
func loadCorpus(set knowledge.LawSet, files []string, current bool) (*knowledge.Corpus, error) {
	var laws []*knowledge.Law
	if set != "" {
		var err error
		if laws, _, err = knowledge.EmbeddedLaws(set); err != nil {
			return nil, err
		}
	}
	for _, path := range files {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		more, err := knowledge.LoadJSONL(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		// Never cite a superseded text, whatever a corpus file holds.
		if current {
			if more, _, err = knowledge.DropSuperseded(more); err != nil {
				return nil, err
			}
		}
		laws = append(laws, more...)
	}
	return knowledge.NewCorpus(laws...)
}

// openStore connects to the Redis deployment the config names.
func openStore(cfg config.Redis) (*store.Store, error) {
	return store.Open(redisOptions(cfg))
}

func redisOptions(cfg config.Redis) store.Options {
	return store.Options{
		Addrs: cfg.Addrs, MasterName: cfg.MasterName, Password: cfg.Password, DB: cfg.DB, Prefix: cfg.Prefix,
		PseudonymKey: cfg.PseudonymKey,
	}
}

// openServiceStore is openStore with what only the service uses: the tools
// change no consultation's status, so only the service needs its retention.
func openServiceStore(cfg config.Config) (*store.Store, error) {
	o := redisOptions(cfg.Redis)
	o.ConsultRetention = time.Duration(cfg.Bot.ConsultRetention)
	return store.Open(o)
}

// newWeChat returns the API client. The SDK's URL rewriting and HTTP client
// are process globals: every command sets them here, once.
func newWeChat(cfg config.WeChat, st *store.Store, logger *slog.Logger) (*wechat.Client, error) {
	wechat.UseAPIBase(cfg.APIBase)
	sdkutil.DefaultHTTPClient = wechat.HTTPClient(wechatHTTPTimeout)
	return wechat.New(wechat.Config{AppID: cfg.AppID, AppSecret: cfg.AppSecret}, st, logger)
}

// wechatHTTPTimeout bounds every WeChat API call; several SDK calls take no
// context, so the client's timeout is their only limit.
const wechatHTTPTimeout = 10 * time.Second

// newService wires the bot to the store and the WeChat client.
// newService wires the service serve runs; consoleOpts adjust the
// console's options (the demo opens it on the year it seeded).
func newService(cfg config.Config, st *store.Store, logger *slog.Logger, consoleOpts ...func(*console.Options)) (*service, error) {
	wx, err := newWeChat(cfg.WeChat, st, logger)
	if err != nil {
		return nil, err
	}
	keywords, err := bot.LoadKeywordsFile(cfg.Bot.KeywordsFile)
	if err != nil {
		return nil, err
	}
	kb, err := newKnowledge(cfg.Knowledge)
	if err != nil {
		return nil, err
	}
	bank := newBankSync(st, kb, logger)
	handlers := &bot.Handlers{Residents: st, Welcome: cfg.Bot.Welcome, Fallback: cfg.Bot.Fallback,
		ConsultDailyLimit: cfg.Bot.ConsultDailyLimit, Communities: communities.New(st, nil), Logger: logger}
	obs := metrics.New() // pufa's own registry, served at /metrics on metrics.addr
	quizzes, err := newQuizzes(cfg.Quiz, kb.Corpus(), st, logger)
	if err != nil {
		return nil, err
	}
	router, err := newRouter(handlers, bot.StaffBind{Binder: console.StaffBinder{Store: st}, Logger: logger}, quizzes.WithAnswers(obs), keywords, &bot.Answerer{KB: kb, Log: st, Logger: logger})
	if err != nil {
		return nil, err
	}
	camps, err := newCampaigns(cfg, st, wx, quizzes.Catalog(), logger, obs)
	if err != nil {
		return nil, err
	}
	registerCampaignEvents(router, camps)
	sched, err := newCampaignScheduler(cfg, metrics.Fires{Campaigns: camps, Metrics: obs}, st, logger)
	if err != nil {
		return nil, err
	}

	ep, err := bot.NewEndpoint(bot.Options{
		Token: cfg.WeChat.Token, AppID: cfg.WeChat.AppID, EncodingAESKey: cfg.WeChat.EncodingAESKey,
		Mode:         bot.Mode(cfg.WeChat.EffectiveMode()),
		MaxClockSkew: time.Duration(cfg.WeChat.MaxClockSkew), Deadline: time.Duration(cfg.Bot.ReplyDeadline),
		DedupTTL: time.Duration(cfg.Bot.DedupTTL),
		Handler:  &bot.Transcribed{Handler: router, Log: st, Logger: logger}, Dedup: st, Late: wx, Counter: st, Observer: obs, Logger: logger,
	})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/wechat", ep)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := st.Ping(ctx); err != nil {
			logger.Warn("not ready", "err", err)
			http.Error(w, "redis unavailable", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ready\n")
	})
	if err := mountOps(mux, cfg, st, camps, quizzes, bank, wx, newFormPickers(quizzes, wx), logger, consoleOpts...); err != nil { // /console/ (console.go)
		return nil, err
	}
	mh, err := metricsHandler(cfg.Metrics, obs)
	if err != nil {
		return nil, err
	}
	cube, err := datacube.New(datacube.Options{API: wx, Store: st, Logger: logger})
	if err != nil {
		return nil, err
	}
	return &service{endpoint: ep, router: router, kb: kb, handler: mux, metrics: mh, campaigns: camps, scheduler: sched, datacube: cube, bank: bank,
		wx: wx, quizzes: quizzes}, nil
}

// newRouter wires the resident bot's text handlers. Order is priority:
// built-in commands (转人工), the quiz (so that "A" during a quiz is an
// answer, not a question), keyword rules, then the knowledge base, which
// answers every other text and, having no InstantText, must come last
// (Router.Check).
func newRouter(handlers *bot.Handlers, bind bot.StaffBind, quizzes *quiz.Service, keywords *bot.Keywords, kb *bot.Answerer) (*bot.Router, error) {
	router := bot.NewRouter(bot.HandlerFunc(handlers.HandleFallback))
	handlers.Register(router)
	// 绑定 <code>: staff register their WeChat from the console's 预览名单.
	router.HandleText(bind)
	quizzes.Register(router)
	router.HandleText(keywords)
	router.HandleText(kb)
	if err := router.Check(); err != nil {
		return nil, err
	}
	return router, nil
}

// serveHTTP serves the service on l, and its metrics on ml unless ml is nil,
// until ctx ends, then shuts down gracefully: the listeners close, in-flight
// callbacks finish, late replies are delivered.
func (s *service) serveHTTP(ctx context.Context, l, ml net.Listener, logger *slog.Logger) error {
	if ml != nil {
		msrv := &http.Server{Handler: s.metrics, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
			WriteTimeout: 15 * time.Second, ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}
		mdone := make(chan struct{})
		go func() {
			defer close(mdone)
			if err := serveUntil(ctx, msrv, ml, 5*time.Second); err != nil {
				logger.Error("metrics listener stopped", "err", err)
			}
		}()
		defer func() { <-mdone }()
	}
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      15 * time.Second,
		IdleTimeout:       90 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	stopScheduler := s.startScheduler(ctx)
	defer stopScheduler() // in-flight campaign sends finish and are recorded
	stopBank := s.startBankSync(ctx)
	defer stopBank() // edits saved on other replicas are polled while serving
	if err := serveUntil(ctx, srv, l, 30*time.Second); err != nil {
		return err
	}
	wait, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return s.endpoint.Wait(wait)
}

// serveUntil serves srv on l until ctx ends, then shuts it down, giving
// in-flight requests up to grace to finish before they are cut off.
func serveUntil(ctx context.Context, srv *http.Server, l net.Listener, grace time.Duration) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	select {
	case err := <-errc:
		return fmt.Errorf("http: %w", err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		srv.Close()
		return fmt.Errorf("http shutdown: %w", err)
	}
	return nil
}

func runConfig(_ context.Context, args []string, stdout io.Writer) error {
	fs := newFlagSet("config")
	cfg, err := parseAndLoad(fs, configFlag(fs), args)
	if err != nil {
		return err
	}
	b, err := cfg.Masked().YAML()
	if err != nil {
		return err
	}
	_, err = stdout.Write(b)
	return err
}

// writeJSON prints v indented, for --json outputs.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
