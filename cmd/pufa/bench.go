package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/pufa-dev/pufa/bench"
	"github.com/pufa-dev/pufa/store"
	"github.com/pufa-dev/pufa/wechat/msgcrypt"
)

func runBench(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "callback" {
		return errors.New("usage: pufa bench callback [flags]")
	}
	return benchCallback(ctx, args[1:], stdout)
}

// benchCallback measures the full callback path (signature, parse, dedup in
// a real Redis, keyword reply, reply stored for retries) against a bare
// handler writing "success", with the same client and concurrency.
func benchCallback(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlagSet("bench callback")
	path := configFlag(fs)
	redisAddr := fs.String("redis", "", "Redis address (default: redis.addrs from the config)")
	concurrency := fs.Int("concurrency", 64, "concurrent simulated residents")
	duration := fs.Duration("duration", 10*time.Second, "measured time per handler")
	warmup := fs.Duration("warmup", 2*time.Second, "unmeasured warm-up per handler")
	rounds := fs.Int("rounds", 5, "alternate the handlers this many times, so outside load hits both alike")
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	cfg, err := parseAndLoad(fs, path, args)
	if err != nil {
		return err
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if *redisAddr != "" {
		cfg.Redis.Addrs = []string{*redisAddr}
	}
	b := make([]byte, 4)
	rand.Read(b)
	cfg.Redis.Prefix = "pufabench:" + hex.EncodeToString(b) + ":"
	cfg.WeChat.AppID, cfg.WeChat.AppSecret, cfg.WeChat.Token = "wxbench", "bench-secret", "bench-token"
	cfg.WeChat.EncodingAESKey = ""
	st, err := openStore(cfg.Redis)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Ping(ctx); err != nil {
		return fmt.Errorf("bench needs a real Redis (start redis-server or pass --redis): %w", err)
	}
	defer cleanup(st)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := newService(cfg, st, logger)
	if err != nil {
		return err
	}
	bare := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "success") })
	opts := bench.Options{Concurrency: *concurrency, Duration: *duration, Warmup: *warmup}
	req := signedText(cfg.WeChat.Token)

	results, err := bench.Compare(ctx, []bench.Target{
		{Name: "bare net/http", Handler: bare, Check: expectBody("success")},
		{Name: "pufa callback path", Handler: svc.handler, Check: expectBody("<Content><![CDATA[您好")},
	}, req, opts, *rounds)
	if err != nil {
		return err
	}
	bareRes, fullRes := results[0], results[1]
	if *asJSON {
		return writeJSON(stdout, map[string]any{"concurrency": *concurrency, "results": results,
			"ratio": fullRes.PerSec / bareRes.PerSec})
	}
	fmt.Fprintf(stdout, "callback benchmark: %d concurrent residents, %s per handler in %d alternating rounds, Redis %s\n\n%s",
		*concurrency, *duration, *rounds, strings.Join(cfg.Redis.Addrs, ","), bench.Table(results))
	return nil
}

// signedText returns signed plain-mode text callbacks, each with a new MsgId
// so that every request is a first delivery and claims a dedup record.
func signedText(token string) bench.Request {
	return func(base string, i int64) (*http.Request, error) {
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		nonce := strconv.FormatInt(i, 10)
		q := url.Values{"timestamp": {ts}, "nonce": {nonce}, "signature": {msgcrypt.Sign(token, ts, nonce)}}
		body := "<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><FromUserName><![CDATA[o_bench_" +
			strconv.FormatInt(i%1000, 10) + "]]></FromUserName><CreateTime>" + ts +
			"</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[你好]]></Content><MsgId>" +
			strconv.FormatInt(i, 10) + "</MsgId></xml>"
		return http.NewRequest(http.MethodPost, base+"/wechat?"+q.Encode(), strings.NewReader(body))
	}
}

func expectBody(prefix string) func(int, []byte) error {
	return func(status int, body []byte) error {
		if status != http.StatusOK || !strings.Contains(string(body), prefix) {
			return fmt.Errorf("status %d body %.80q", status, body)
		}
		return nil
	}
}

// cleanup removes the benchmark's keys so a shared Redis is left as found.
func cleanup(st *store.Store) {
	ctx := context.Background()
	rdb := st.Client()
	iter := rdb.Scan(ctx, 0, st.Prefix()+"*", 1000).Iterator()
	for iter.Next(ctx) {
		rdb.Del(ctx, iter.Val())
	}
}
