package main

import (
	"bytes"
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

// benchCallback measures the full callback path of a keyword message
// (signature, parse, router, the resident's session read from a real Redis,
// rendered reply) against a bare handler writing "success", with the same
// client and concurrency; --mix sends what residents send instead.
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
	mix := fs.Bool("mix", false, "residents send a mix (greetings, legal questions, 转人工, quiz, WeChat retries, follows and unfollows) instead of one keyword")
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
	req, check := signedText(cfg.WeChat.Token), expectBody("<Content><![CDATA[您好")
	if *mix {
		req, check = mixedCallbacks(cfg.WeChat.Token), expectAnswered
	}
	results, err := bench.Compare(ctx, []bench.Target{
		{Name: "bare net/http", Handler: bare, Check: expectBody("success")},
		{Name: "pufa callback path", Handler: svc.handler, Check: check},
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
		return signedCallback(base, token, i, textBody(i%1000, "你好", i))
	}
}

// mixTexts are what simulated residents type in the mixed load, in turn.
var mixTexts = []string{"你好", "离婚冷静期是多久", "公司拖欠工资怎么办", "民法典第1077条", "答题", "A", "对", "法律援助怎么申请", "转人工", "排行"}

// mixedCallbacks returns a load in which one request in ten is a WeChat
// retry of an earlier message (same MsgId), one in ten a follow or unfollow,
// and the rest texts from mixTexts, so dedup, the knowledge base, the quiz
// and erasure all carry load.
func mixedCallbacks(token string) bench.Request {
	return func(base string, i int64) (*http.Request, error) {
		resident := i % 1000
		var body string
		switch i % 10 {
		case 0:
			prev := max(i-10, 1) // replayed as WeChat does: same MsgId, same text
			body = textBody(prev%1000, mixTexts[(prev/10)%int64(len(mixTexts))], prev)
		case 5:
			event := "subscribe"
			if (i/10)%2 == 1 {
				event = "unsubscribe"
			}
			ts := strconv.FormatInt(time.Now().Unix(), 10)
			body = "<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><FromUserName><![CDATA[o_bench_" +
				strconv.FormatInt(resident, 10) + "]]></FromUserName><CreateTime>" + ts +
				"</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[" + event +
				"]]></Event><EventKey><![CDATA[qrscene_c" + strconv.FormatInt(resident%7, 10) + "]]></EventKey></xml>"
		default:
			body = textBody(resident, mixTexts[(i/10)%int64(len(mixTexts))], i)
		}
		return signedCallback(base, token, i, body)
	}
}

func textBody(resident int64, text string, msgID int64) string {
	return "<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><FromUserName><![CDATA[o_bench_" +
		strconv.FormatInt(resident, 10) + "]]></FromUserName><CreateTime>" + strconv.FormatInt(time.Now().Unix(), 10) +
		"</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[" + text + "]]></Content><MsgId>" +
		strconv.FormatInt(msgID, 10) + "</MsgId></xml>"
}

func signedCallback(base, token string, i int64, body string) (*http.Request, error) {
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	nonce := strconv.FormatInt(i, 10)
	q := url.Values{"timestamp": {ts}, "nonce": {nonce}, "signature": {msgcrypt.Sign(token, ts, nonce)}}
	return http.NewRequest(http.MethodPost, base+"/wechat?"+q.Encode(), strings.NewReader(body))
}

// expectAnswered accepts what WeChat accepts: a text reply with content, or
// "success" for events and retries answered so.
func expectAnswered(status int, body []byte) error {
	if status == http.StatusOK && (string(body) == "success" || bytes.Contains(body, []byte("<Content><![CDATA[")) &&
		!bytes.Contains(body, []byte("<Content><![CDATA[]]>"))) {
		return nil
	}
	return fmt.Errorf("status %d body %.80q", status, body)
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
// It is best effort: a failure leaves keys behind but never fails the run.
func cleanup(st *store.Store) {
	if err := st.DeleteAll(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "bench: cleaning up:", err)
	}
}
