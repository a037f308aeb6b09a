package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/pufa-dev/pufa/articles"
	"github.com/pufa-dev/pufa/campaigns"
	"github.com/pufa-dev/pufa/cases"
	"github.com/pufa-dev/pufa/communities"
	"github.com/pufa-dev/pufa/config"
	"github.com/pufa-dev/pufa/console"
	"github.com/pufa-dev/pufa/ledger"
	"github.com/pufa-dev/pufa/metrics"
	"github.com/pufa-dev/pufa/quiz"
	"github.com/pufa-dev/pufa/report"
	"github.com/pufa-dev/pufa/store"
	"github.com/pufa-dev/pufa/wechat"
)

// mountOps adds the staff console (/console/) to mux. quizzes may be nil:
// quiz figures are then left out of the dashboard and report; bank may be
// nil: the console then has no 问答库 page; wx may be nil: articles are then
// written and kept but not synced to WeChat, and communities get no QR codes.
func mountOps(mux *http.ServeMux, cfg config.Config, st *store.Store, camps *campaigns.Manager, quizzes *quiz.Service, bank *console.BankSync, wx *wechat.Client, pickers formPickers, logger *slog.Logger, adjust ...func(*console.Options)) error {
	con, err := newConsole(cfg, st, camps, quizzes, bank, wx, pickers, logger, adjust...)
	if err != nil {
		return err
	}
	mux.Handle("/console/", con)
	mux.Handle("GET /console", http.RedirectHandler("/console/", http.StatusMovedPermanently))
	return nil
}

// metricsHandler serves /metrics for the metrics listener (metrics.addr),
// never on the main one: a reverse proxy on the same host makes every public
// request come from loopback, which metrics.allow admits.
func metricsHandler(cfg config.Metrics, obs *metrics.Metrics) (http.Handler, error) {
	mh, err := obs.Handler(metrics.Access{Allow: cfg.Allow, User: cfg.User, PasswordSHA256: cfg.PasswordSHA256})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", mh)
	return mux, nil
}

// formPickers feed the campaign form's selects: the quizzes a campaign may
// link to and the account's WeChat tags (nil without WeChat).
type formPickers struct {
	Quizzes []console.Choice
	Tags    console.TagLister
}

// newFormPickers lists the quizzes of qs (nil = none) and reads tags via wx
// (nil = no tag picker).
func newFormPickers(qs *quiz.Service, wx *wechat.Client) formPickers {
	var p formPickers
	if qs != nil {
		for _, q := range qs.Catalog().Quizzes() {
			p.Quizzes = append(p.Quizzes, console.Choice{Value: q.ID, Label: q.Title})
		}
	}
	if wx != nil {
		p.Tags = wechatTags{wx}
	}
	return p
}

// wechatTags adapts the WeChat client to the form's tag picker.
type wechatTags struct{ wx *wechat.Client }

func (t wechatTags) TagChoices(ctx context.Context) ([]console.Choice, error) {
	tags, err := t.wx.Tags(ctx)
	if err != nil {
		return nil, fmt.Errorf("wechat tags: %w", err)
	}
	out := make([]console.Choice, 0, len(tags))
	for _, tg := range tags {
		out = append(out, console.Choice{Value: strconv.FormatInt(tg.ID, 10), Label: fmt.Sprintf("%s（%d 人）", tg.Name, tg.Count)})
	}
	return out, nil
}

func newConsole(cfg config.Config, st *store.Store, camps *campaigns.Manager, quizzes *quiz.Service, bank *console.BankSync, wx *wechat.Client, pickers formPickers, logger *slog.Logger, adjust ...func(*console.Options)) (*console.Server, error) {
	accounts, err := console.ParseAccounts(cfg.Console.Accounts)
	if err != nil {
		return nil, err
	}
	tokens, err := console.ParseTokens(cfg.Console.APITokens)
	if err != nil {
		return nil, err
	}
	previews, err := console.ParsePreviewRecipients(cfg.Console.PreviewRecipients)
	if err != nil {
		return nil, err
	}
	proxies, err := parsePrefixes(cfg.HTTP.TrustedProxies)
	if err != nil {
		return nil, fmt.Errorf("http.trusted_proxies: %w", err)
	}
	// The console edits the definitions the manager reads: one Library,
	// read and cached once per process.
	lib := camps.Library()
	if lib == nil {
		if lib, err = newLibrary(cfg, st, logger); err != nil {
			return nil, err
		}
	}
	var pub articles.Publisher
	registry := communities.New(st, nil)
	mediation := ledger.NewMediation(st, registry, nil)
	var posters *communities.Posters
	var sender cases.Sender // a nil *wechat.Client must stay a nil interface
	if wx != nil {
		pub, sender = articlePublisher{wx}, wx
		posters = &communities.Posters{Registry: registry, API: wx, Cache: st, FontPath: cfg.Communities.PosterFont,
			Office: cfg.Communities.OfficeName}
	}
	// Interfaces get nil itself, not a nil *quiz.Service, when there are no quizzes.
	var quizFigures report.QuizStats
	var quizPages console.QuizPages
	if quizzes != nil {
		quizFigures, quizPages = report.QuizFigures{Service: quizzes}, quizzes
	}
	opts := console.Options{
		Store: st, Campaigns: camps, Ledger: ledger.New(st, nil).WithCommunities(registry), Report: reportSources(st, quizFigures), QuizPages: quizPages,
		Library: lib, Tags: pickers.Tags, Quizzes: pickers.Quizzes, Accounts: accounts, Tokens: tokens, SessionTTL: time.Duration(cfg.Console.SessionTTL),
		SecureCookie: cfg.Console.SecureCookie, TrustedProxies: proxies, PreviewRecipients: previews, Logger: logger, Bank: bank,
		Articles:    articles.New(st, pub, nil, logger),
		Communities: registry, Posters: posters, Mediation: mediation,
		Sender: sender, Referrer: ledger.CaseReferrals{Mediation: mediation, Store: st}, CaseSLA: time.Duration(cfg.Console.CaseSLA),
	}
	for _, f := range adjust {
		f(&opts)
	}
	return console.New(opts)
}

// parsePrefixes reads CIDRs already checked by config.Validate.
func parsePrefixes(cidrs []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(cidrs))
	for _, c := range cidrs {
		p, err := netip.ParsePrefix(c)
		if err != nil {
			return nil, err
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

const consoleUsage = `usage: pufa console <subcommand>

  hash PASSWORD                         print a bcrypt hash for console.accounts (user:role:HASH)
  adduser --user NAME --role editor|approver --password PASSWORD [--config FILE]
                                        keep a console account in Redis instead of the config; changing
                                        an existing one's role or password ends its sessions at once
  deluser USER [--config FILE]          remove a Redis-kept account; its sessions end at once
  token --name NAME --role editor|approver
                                        make an API token and its console.api_tokens entry
  unlock USER [--config FILE]           clear the account's login delay after failed logins`

// runConsole is `pufa console`: account and token helpers.
func runConsole(ctx context.Context, args []string, stdout io.Writer) error {
	sub, args, ok, err := subcommand("console", consoleUsage, args, stdout)
	if !ok {
		return err
	}
	fs := newFlagSet("console " + sub)
	path := configFlag(fs)
	name := fs.String("user", "", "account name")
	fs.StringVar(name, "name", "", "token name")
	role := fs.String("role", console.RoleEditor, "editor or approver")
	password := fs.String("password", "", "password (at least 8 characters)")
	// oneUser reads the one account a subcommand names (USER or --user)
	// and opens the store that keeps it.
	oneUser := func() (*store.Store, error) {
		cfg, pos, err := parseInterleaved(fs, path, args)
		if err != nil {
			return nil, err
		}
		if *name == "" && len(pos) == 1 {
			*name = pos[0]
		}
		if *name == "" || len(pos) > 1 {
			return nil, fmt.Errorf("console %s: want exactly one user", sub)
		}
		return openStore(cfg.Redis)
	}
	switch sub {
	case "hash":
		if err := fs.Parse(args); err != nil {
			return err
		}
		if fs.NArg() != 1 {
			return errors.New("console hash: want exactly one password")
		}
		h, err := console.HashPassword(fs.Arg(0))
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, h)
		return nil
	case "adduser":
		cfg, err := parseAndLoad(fs, path, args)
		if err != nil {
			return err
		}
		if *name == "" || (*role != console.RoleEditor && *role != console.RoleApprover) {
			return errors.New("console adduser: --user and --role editor|approver are required")
		}
		if err := console.CheckUserName(*name); err != nil {
			return fmt.Errorf("console adduser: %w", err)
		}
		h, err := console.HashPassword(*password)
		if err != nil {
			return err
		}
		st, err := openStore(cfg.Redis)
		if err != nil {
			return err
		}
		defer st.Close()
		if err := st.PutAccount(ctx, *name, h, *role); err != nil {
			return err
		}
		if err := st.Audit(ctx, store.AuditEntry{At: time.Now(), User: currentUser(), Action: "account.put", Target: *name, Detail: *role}); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "account %s (%s) stored in Redis\n", *name, *role)
		return nil
	case "deluser":
		st, err := oneUser()
		if err != nil {
			return err
		}
		defer st.Close()
		had, err := st.DeleteAccount(ctx, *name)
		if err != nil {
			return err
		}
		if !had {
			return fmt.Errorf("console deluser: no account %q in Redis (accounts in console.accounts are removed from the config)", *name)
		}
		if err := st.Audit(ctx, store.AuditEntry{At: time.Now(), User: currentUser(), Action: "account.delete", Target: *name}); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "account %s removed; its sessions end at once\n", *name)
		return nil
	case "unlock":
		st, err := oneUser()
		if err != nil {
			return err
		}
		defer st.Close()
		had, err := st.ClearLoginFailures(ctx, *name)
		if err != nil {
			return err
		}
		if !had {
			fmt.Fprintf(stdout, "%s has no login delay; nothing to clear\n", *name)
			return nil
		}
		if err := st.Audit(ctx, store.AuditEntry{At: time.Now(), User: currentUser(), Action: "account.unlock", Target: *name}); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "login delay of %s cleared; the next login is checked at once\n", *name)
		return nil
	case "token":
		if err := fs.Parse(args); err != nil {
			return err
		}
		if *name == "" || (*role != console.RoleEditor && *role != console.RoleApprover) {
			return errors.New("console token: --name and --role editor|approver are required")
		}
		tok := randomToken()
		fmt.Fprintf(stdout, "token (give it to the integration; it is not stored): %s\nconsole.api_tokens entry: %s\n",
			tok, console.TokenEntry(*name, *role, tok))
		return nil
	}
	fmt.Fprintln(stdout, consoleUsage)
	return fmt.Errorf("console: unknown subcommand %q", sub)
}

// demoCampaignDir copies the sample campaigns into a fresh directory so the
// demo's console can draft and edit campaigns.
func demoCampaignDir() (string, func(), error) {
	dir, err := mkdirTemp()
	if err != nil {
		return "", nil, err
	}
	cleanup := func() { removeAll(dir) }
	if err := copySamples(filepath.Join(dir, "campaigns")); err != nil {
		cleanup()
		return "", nil, err
	}
	return filepath.Join(dir, "campaigns"), cleanup, nil
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func mkdirTemp() (string, error) { return os.MkdirTemp("", "pufa-demo-") }

func removeAll(dir string) { _ = os.RemoveAll(dir) }

func copySamples(dst string) error {
	return os.CopyFS(dst, campaigns.Samples())
}

// demoConsoleAccount makes the demo's approver account "demo" with a fresh
// random password, printed by the demo.
func demoConsoleAccount() (password, entry string, err error) {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	password = "demo-" + base64.RawURLEncoding.EncodeToString(b)
	h, err := console.HashPassword(password)
	if err != nil {
		return "", "", err
	}
	return password, "demo:" + console.RoleApprover + ":" + h, nil
}
