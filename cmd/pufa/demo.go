package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/pufa-dev/pufa/config"
	"github.com/pufa-dev/pufa/console"
	"github.com/pufa-dev/pufa/demo"
	"github.com/pufa-dev/pufa/sms/smssim"
	"github.com/pufa-dev/pufa/store"
	"github.com/pufa-dev/pufa/wechat/wxsim"
)

// Demo credentials: the simulator and the bot share them; nothing real.
const (
	demoAppID  = "wxd0000000000demo"
	demoSecret = "demo-app-secret"
	demoToken  = "demo-token"
	demoAESKey = "pufaDemoEncodingAESKey0123456789abcdefghijk"
)

// runDemo starts pufa with miniredis and the WeChat simulator in one
// process, in safe (AES) mode unless --mode says otherwise, so a newcomer
// sees the whole path with nothing installed but Go.
func runDemo(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlagSet("demo")
	addr := fs.String("addr", "127.0.0.1:8080", "address of pufa (callback /wechat)")
	simAddr := fs.String("sim-addr", "127.0.0.1:9090", "address of the WeChat simulator and the resident chat page /sim/")
	followers := fs.Int("followers", 200, "synthetic followers in the simulator")
	metricsAddr := fs.String("metrics-addr", "127.0.0.1:9464", "address of the Prometheus metrics (/metrics)")
	mode := fs.String("mode", config.ModeSafe, "message encryption mode of pufa and the simulator: plain, compat or safe")
	empty := fs.Bool("empty", false, "start with no data instead of a seeded year")
	if err := fs.Parse(args); err != nil {
		return err
	}
	simMode, ok := map[string]wxsim.Mode{
		config.ModePlain: wxsim.ModePlain, config.ModeCompat: wxsim.ModeCompatible, config.ModeSafe: wxsim.ModeSafe,
	}[*mode]
	if !ok {
		return fmt.Errorf("demo: --mode %q is not one of plain, compat, safe", *mode)
	}
	aesKey := demoAESKey
	if *mode == config.ModePlain {
		aesKey = ""
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))

	mr := miniredis.NewMiniRedis()
	if err := mr.Start(); err != nil {
		return fmt.Errorf("demo: embedded redis: %w", err)
	}
	defer mr.Close()
	pufaL, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("demo: listen --addr: %w", err)
	}
	simL, err := net.Listen("tcp", *simAddr)
	if err != nil {
		pufaL.Close()
		return fmt.Errorf("demo: listen --sim-addr: %w", err)
	}
	metricsL, err := net.Listen("tcp", *metricsAddr)
	if err != nil {
		pufaL.Close()
		simL.Close()
		return fmt.Errorf("demo: listen --metrics-addr: %w", err)
	}

	cfg := config.Default()
	cfg.Redis.Addrs = []string{mr.Addr()}
	cfg.WeChat = config.WeChat{
		AppID: demoAppID, AppSecret: demoSecret, Token: demoToken, EncodingAESKey: aesKey, Mode: *mode,
		APIBase: "http://" + simL.Addr().String(), MaxClockSkew: cfg.WeChat.MaxClockSkew,
	}
	// 宪法宣传周 2026 and 民法典宣传月 2027, copied so the console can draft and edit.
	campDir, cleanupCamps, err := demoCampaignDir()
	if err != nil {
		return fmt.Errorf("demo: campaigns: %w", err)
	}
	defer cleanupCamps()
	cfg.Campaigns.Dir = campDir
	demoPassword, demoAccount, err := demoConsoleAccount()
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	cfg.Console.Accounts = []string{demoAccount}
	// The demo is plain http://127.0.0.1; an HTTPS request still gets Secure cookies.
	cfg.Console.SecureCookie = false
	// Previews go only to registered staff: the first simulated follower
	// plays the staff member, so the console's 发送预览 works in the demo.
	cfg.Console.PreviewRecipients = []string{"o_sim_000001:演示工作人员"}
	cfg.Quiz.Dir = demoQuizzes // the 宪法 quiz, open from now on
	// The SMS gateway simulator answers at /sms/ on the simulator's listener.
	cfg.SMS = config.SMS{Endpoint: "http://" + simL.Addr().String() + "/sms", AccessKeyID: demoSMSKeyID,
		AccessKeySecret: demoSMSSecret, SignName: demoSMSSign, Rate: cfg.SMS.Rate}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	sim, err := wxsim.New(wxsim.Options{
		AppID: demoAppID, AppSecret: demoSecret, Token: demoToken, EncodingAESKey: aesKey,
		Mode: simMode, CallbackURL: "http://" + pufaL.Addr().String() + "/wechat",
		Followers: *followers, Logger: logger.With("component", "wxsim"),
		// As WeChat does: a clerk's reply to a case needs the resident's
		// message within 48 hours.
		EnforceCustomWindow: true,
	})
	if err != nil {
		return fmt.Errorf("demo: simulator: %w", err)
	}
	defer sim.Close()

	st := store.New(redis.NewClient(&redis.Options{Addr: mr.Addr()}), cfg.Redis.Prefix)
	defer st.Close()
	seedYear := demo.Year(time.Now())
	var consoleYear []func(*console.Options)
	if !*empty {
		consoleYear = append(consoleYear, func(o *console.Options) { o.ReportYear = seedYear })
	}
	svc, err := newService(cfg, st, logger, consoleYear...)
	if err != nil {
		return err
	}
	svc.handler = withDemoCampaigns(svc.handler, svc.campaigns, logger)

	// The simulator serves first: seeding sends campaigns through it. pufa
	// serves after seeding (seedDemo says why); its listener is open, so
	// the simulator's callbacks wait for it.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	simMux := http.NewServeMux()
	simMux.Handle("/sms/", demoSMSGateway())
	simMux.Handle("/", sim)
	simSrv := &http.Server{Handler: simMux, ReadHeaderTimeout: 5 * time.Second}
	simDone := make(chan error, 1)
	go func() {
		simDone <- serveUntil(ctx, simSrv, simL, 5*time.Second)
		cancel()
	}()
	seeded := ""
	if !*empty {
		if err := seedDemo(ctx, cfg, svc, st, seedYear, *followers, logger); err != nil {
			cancel()
			pufaL.Close()
			metricsL.Close()
			return errors.Join(err, <-simDone)
		}
		seeded = fmt.Sprintf(`
Seeded: the year %[1]d (followers in 5 communities, campaigns with reads, quizzes, consultations,
the ledger). The console opens on it; its report: http://%[2]s/console/report?from=%[1]d-01-01&to=%[1]d-12-31
(--empty starts with no data.)
`, seedYear, pufaL.Addr())
	}

	svcDone := make(chan error, 1)
	go func() {
		svcDone <- svc.serveHTTP(ctx, pufaL, metricsL, logger)
		cancel()
	}()

	fmt.Fprintf(stdout, `pufa demo is running (embedded Redis, simulated WeChat, %[4]s mode).

  居民模拟器 (chat as a resident):  http://%[1]s/sim/
  simulator statistics:             http://%[1]s/sim/stats
  pufa callback endpoint:           http://%[2]s/wechat
  health / readiness:               http://%[2]s/healthz  http://%[2]s/readyz
  campaigns and their counts:       http://%[2]s/demo/campaigns
  staff console (工作台):            http://%[2]s/console/   login: demo / %[3]s (approver)
  Prometheus metrics:               http://%[5]s/metrics
  send a sample campaign now:       curl -X POST http://%[2]s/demo/campaigns/constitution-week-2026/send
                                    (or civil-code-month-2027: template messages, one per follower)

Try: 离婚冷静期是多久 · 民法典第1077条 · 法律援助怎么申请 · 更多 · 转人工 · 你好,
答题 (the 宪法 quiz: reply A, AC, 对 or 错; 退出 pauses it) and 排行,
and follow with a community QR code on the chat page.
Press Ctrl-C to stop.
%[6]s`, simL.Addr(), pufaL.Addr(), demoPassword, *mode, metricsL.Addr(), seeded)

	// Either server failing stops both; Ctrl-C stops both.
	err = <-svcDone
	cancel()
	if simErr := <-simDone; simErr != nil {
		err = errors.Join(err, fmt.Errorf("demo: simulator: %w", simErr))
	}
	return err
}

// The demo's SMS gateway account, signature and template (see smssim).
const (
	demoSMSKeyID    = "demo-sms-key"
	demoSMSSecret   = "demo-sms-secret"
	demoSMSSign     = "演示街道办事处"
	demoSMSTemplate = "SMS_DEMO_001"
)

// demoSMSGateway is the simulated SMS gateway: one approved template
// (${theme} is the campaign's theme), a typical gateway's per-number limits.
func demoSMSGateway() *smssim.Server {
	return smssim.New(smssim.Options{
		AccessKeyID: demoSMSKeyID, AccessKeySecret: demoSMSSecret, SignNames: []string{demoSMSSign},
		Templates: map[string]smssim.Template{
			demoSMSTemplate: {Text: "${theme}：尊法学法守法用法，详情请关注本街道微信公众号。", Params: []string{"theme"}, Approved: true},
		},
		Limits: smssim.DefaultLimits,
	})
}
