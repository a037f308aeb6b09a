package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"

	"github.com/pufa-dev/pufa/store"
)

func newFlagSet(name string) *flag.FlagSet {
	return flag.NewFlagSet("pufa "+name, flag.ContinueOnError)
}

func runServe(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlagSet("serve")
	path := configFlag(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := loadConfig(*path)
	if err != nil {
		return err
	}
	if err := cfg.RequireWeChat(); err != nil {
		return err
	}
	logger := newLogger(cfg.Log, os.Stderr)
	st, err := store.Open(store.Options{
		Addrs: cfg.Redis.Addrs, MasterName: cfg.Redis.MasterName, Password: cfg.Redis.Password,
		DB: cfg.Redis.DB, Prefix: cfg.Redis.Prefix,
	})
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
	logger.Info("pufa serving", "addr", l.Addr().String(), "callback", "/wechat")
	fmt.Fprintf(stdout, "pufa: callback URL http://%s/wechat\n", l.Addr())
	return svc.serveHTTP(ctx, l, logger)
}
