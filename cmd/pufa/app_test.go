package main

import (
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pufa-dev/pufa/bot"
	"github.com/pufa-dev/pufa/config"
	"github.com/pufa-dev/pufa/store"
	"github.com/pufa-dev/pufa/store/storetest"
	"github.com/pufa-dev/pufa/wechat/msgcrypt"
)

// deadRedis returns an address where nothing listens.
func deadRedis(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// testConfig is the configuration testService runs: plain mode, signed
// with the token signedPostFrom uses.
func testConfig() config.Config {
	cfg := config.Default()
	cfg.WeChat.AppID, cfg.WeChat.AppSecret, cfg.WeChat.Token = "wxtest", "secret", "tok"
	return cfg
}

func testService(t *testing.T, st *store.Store) *httptest.Server {
	t.Helper()
	cfg := testConfig()
	svc, err := newService(cfg, st, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(svc.handler)
	t.Cleanup(srv.Close)
	return srv
}

func signedPost(t *testing.T, base, content string, msgID int) (int, string) {
	t.Helper()
	return signedPostFrom(t, base, "o_t", content, msgID)
}

// signedPostFrom posts a signed plain-mode text callback from openid.
func signedPostFrom(t *testing.T, base, openid, content string, msgID int) (int, string) {
	t.Helper()
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	// A fresh nonce per callback, as WeChat's: a signed URL carries one body.
	nonce := strconv.FormatInt(rand.Int64(), 10)
	q := url.Values{"timestamp": {ts}, "nonce": {nonce}, "signature": {msgcrypt.Sign("tok", ts, nonce)}}
	body := "<xml><ToUserName>gh</ToUserName><FromUserName>" + openid + "</FromUserName><CreateTime>" + ts +
		"</CreateTime><MsgType>text</MsgType><Content><![CDATA[" + content + "]]></Content><MsgId>" + strconv.Itoa(msgID) + "</MsgId></xml>"
	resp, err := http.Post(base+"/wechat?"+q.Encode(), "text/xml", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func get(t *testing.T, u string) int {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestHealthAndReadiness(t *testing.T) {
	up := testService(t, storetest.New(t))
	down := testService(t, store.New(redis.NewClient(&redis.Options{Addr: deadRedis(t), MaxRetries: -1}), "pufa:"))
	tests := []struct {
		name string
		url  string
		want int
	}{
		{"healthz with redis", up.URL + "/healthz", 200},
		{"readyz with redis", up.URL + "/readyz", 200},
		{"healthz without redis: the process is alive", down.URL + "/healthz", 200},
		{"readyz without redis: take it out of rotation", down.URL + "/readyz", 503},
	}
	for _, tt := range tests {
		if got := get(t, tt.url); got != tt.want {
			t.Errorf("%s: status %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestBotKeepsAnsweringWithoutRedis(t *testing.T) {
	srv := testService(t, store.New(redis.NewClient(&redis.Options{Addr: deadRedis(t), MaxRetries: -1}), "pufa:"))
	status, body := signedPost(t, srv.URL, "你好", 1)
	if status != 200 || !strings.Contains(body, "普法小助手") {
		t.Errorf("keyword reply without Redis: %d %q", status, body)
	}
	status, body = signedPost(t, srv.URL, "转人工", 2)
	if status != 200 || !strings.Contains(body, "暂时无法登记") {
		t.Errorf("a consultation that cannot be recorded must say so: %d %q", status, body)
	}
}

// The router serve runs, built by newService itself, keeps the instant path
// open: keyword replies need no dedup record, and only what needs the
// knowledge base or a session goes the slow way.
func TestServiceRouterKeepsTheInstantPath(t *testing.T) {
	st := storetest.New(t)
	svc, err := newService(testConfig(), st, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.router.Check(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		text    string
		verdict bot.Verdict
		reply   string // start of the reply
	}{
		{"你好", bot.Answer, "您好！我是街道普法小助手。"},
		{"帮助", bot.Answer, "可以这样使用："},
		{"转人工 工资被拖欠", bot.Unsure, ""},
		{"答题", bot.Unsure, ""},
		{"离婚冷静期多久", bot.Unsure, ""},
	} {
		reply, v := svc.router.InstantText(&bot.Message{MsgType: bot.TypeText, FromUserName: "o_t", Text: tc.text})
		if v != tc.verdict || !strings.HasPrefix(reply.Text, tc.reply) {
			t.Errorf("%s: got %v %q, want %v %q…", tc.text, v, reply.Text, tc.verdict, tc.reply)
		}
	}
}
