package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
)

func newFlagSet(name string) *flag.FlagSet {
	return flag.NewFlagSet("pufa "+name, flag.ContinueOnError)
}

func runServe(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlagSet("serve")
	cfg, err := parseAndLoad(fs, configFlag(fs), args)
	if err != nil {
		return err
	}
	if err := cfg.RequireWeChat(); err != nil {
		return err
	}
	logger := newLogger(cfg.Log, os.Stderr)
	st, err := openServiceStore(cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Ping(ctx); err != nil {
		// Start anyway: /readyz reports it and the bot answers what it can.
		logger.Warn("redis not reachable at start", "err", err)
	}
	svc, err := newService(cfg, st, logger)
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", cfg.HTTP.Addr)
	if err != nil {
		return fmt.Errorf("listen on http.addr: %w", err)
	}
	var ml net.Listener
	if cfg.Metrics.Addr != "" {
		if ml, err = net.Listen("tcp", cfg.Metrics.Addr); err != nil {
			l.Close()
			return fmt.Errorf("listen on metrics.addr: %w", err)
		}
	}
	go reloadOnHangup(ctx, svc, logger)
	archivePastRuns(ctx, svc.campaigns, logger)
	logger.Info("pufa serving", "addr", l.Addr().String(), "callback", "/wechat")
	fmt.Fprintf(stdout, "pufa: callback URL http://%s/wechat\n", l.Addr())
	if ml != nil {
		logger.Info("metrics serving", "addr", ml.Addr().String())
		fmt.Fprintf(stdout, "pufa: metrics http://%s/metrics\n", ml.Addr())
	}
	return svc.serveHTTP(ctx, l, ml, logger)
}

// reloadOnHangup reloads the office FAQ on SIGHUP, so staff edits go live
// without a restart; a broken file keeps the previous FAQ.
func reloadOnHangup(ctx context.Context, svc *service, logger *slog.Logger) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			if err := svc.kb.Reload(); err != nil {
				logger.Error("faq reload failed, keeping the previous FAQ", "err", err)
				continue
			}
			logger.Info("faq reloaded", "entries", len(svc.kb.FAQ()))
		}
	}
}
