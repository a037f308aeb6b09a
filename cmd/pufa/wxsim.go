package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/pufa-dev/pufa/wechat/wxsim"
)

// runWXSim serves the WeChat simulator alone, for running pufa against it
// from another process.
func runWXSim(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("wxsim", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:9090", "listen address of the simulated API and the chat page")
	callback := fs.String("callback", "", "pufa's callback URL, e.g. http://127.0.0.1:8080/wechat (empty: no callbacks)")
	followers := fs.Int("followers", 100, "synthetic followers o_sim_000001...")
	appID := fs.String("app-id", "wxd0000000000sim", "appid the simulator accepts")
	appSecret := fs.String("app-secret", "sim-app-secret", "appsecret the simulator accepts")
	token := fs.String("token", "sim-token", "callback token used to sign callbacks")
	aesKey := fs.String("aes-key", "", "43-character EncodingAESKey (compatible and safe modes)")
	mode := fs.String("mode", "plain", "message encryption mode: plain, compatible or safe")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("wxsim: unexpected arguments %q", fs.Args())
	}

	logger := slog.New(slog.NewTextHandler(os.Stderr, nil)).With("component", "wxsim")
	sim, err := wxsim.New(wxsim.Options{
		AppID: *appID, AppSecret: *appSecret, Token: *token, EncodingAESKey: *aesKey,
		Mode: wxsim.Mode(*mode), CallbackURL: *callback, Followers: *followers, Logger: logger,
		EnforceCustomWindow: true,
	})
	if err != nil {
		return err
	}
	defer sim.Close()

	l, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("wxsim: listen: %w", err)
	}
	base := "http://" + l.Addr().String()
	fmt.Fprintf(stdout, `WeChat simulator is running (%s mode, %d followers).

  API base (replaces https://api.weixin.qq.com):  %[3]s
  居民模拟器 (chat as a resident):               %[3]s/sim/
  statistics:                                     %[3]s/sim/stats
  callbacks to:                                   %[4]s
`, *mode, *followers, base, orNone(*callback))

	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 5 * time.Second}
	return serveUntil(ctx, srv, l, 5*time.Second)
}

func orNone(s string) string {
	if s == "" {
		return "(none: --callback not set)"
	}
	return s
}
