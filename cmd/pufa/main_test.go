package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pufa-dev/pufa/store/storetest"
)

// startCommand runs a pufa command in the background and streams the URLs
// it prints.
func startCommand(t *testing.T, args ...string) (urls <-chan string, done <-chan error, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	errc := make(chan error, 1)
	go func() {
		err := run(ctx, args, pw, io.Discard)
		pw.Close()
		errc <- err
	}()
	out := make(chan string, 32)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			for _, u := range regexp.MustCompile(`http://[0-9.:]+/\S*`).FindAllString(sc.Text(), -1) {
				out <- u
			}
		}
		close(out)
	}()
	return out, errc, cancel
}

// stopCommand sends the command started by startCommand its Ctrl-C and
// expects it to stop cleanly within 30 s.
func stopCommand(t *testing.T, stop func(), done <-chan error) {
	t.Helper()
	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("command did not stop cleanly: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("command did not stop within 30s of Ctrl-C")
	}
}

// urlWith waits for the first printed URL ending in suffix. Start-up builds
// the knowledge base (laws, answer bank, training), which under -race on a
// loaded 2-core machine takes many seconds: the wait is generous, as it
// only guards against a start that never finishes.
func urlWith(t *testing.T, urls <-chan string, suffix string) string {
	t.Helper()
	timeout := time.After(90 * time.Second)
	for {
		select {
		case u, ok := <-urls:
			if !ok {
				t.Fatalf("command ended before printing a URL ending in %s", suffix)
			}
			if strings.HasSuffix(u, suffix) {
				return u
			}
		case <-timeout:
			t.Fatalf("no URL ending in %s printed", suffix)
		}
	}
}

func postJSON(t *testing.T, url string, v any) map[string]any {
	t.Helper()
	b, _ := json.Marshal(v)
	resp, err := http.Post(url, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDemoAnswersAResidentEndToEnd(t *testing.T) {
	urls, done, stop := startCommand(t, "demo", "--addr", "127.0.0.1:0", "--sim-addr", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0", "--followers", "5")
	sim := strings.TrimSuffix(urlWith(t, urls, "/sim/"), "/sim/")
	ready := urlWith(t, urls, "/readyz")
	if code := get(t, urlWith(t, urls, "/metrics")); code != 200 {
		t.Errorf("the demo's metrics URL answers %d", code)
	}

	tests := []struct {
		name, content, want string
	}{
		{"keyword rule", "你好", "普法小助手"},
		{"full-width folded", "ＨＥＬＬＯ", "普法小助手"},
		{"knowledge question cites the law", "离婚冷静期是多久", "民法典》第一千零七十七条"},
		{"statute lookup", "民法典第1077条", "三十日"},
		{"consultation", "转人工", "已为您登记人工咨询"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := postJSON(t, sim+"/sim/api/send", map[string]string{"openid": "o_demo_test", "content": tt.content})
			if c, _ := got["content"].(string); !strings.Contains(c, tt.want) || got["error"] != nil {
				t.Errorf("reply %v, want content containing %q", got, tt.want)
			}
		})
	}
	got := postJSON(t, sim+"/sim/api/event", map[string]string{"openid": "o_demo_new", "event": "subscribe", "scene": "community-7"})
	if c, _ := got["content"].(string); !strings.Contains(c, "欢迎关注") {
		t.Errorf("subscribe reply %v", got)
	}
	resp, err := http.Get(ready)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("readyz: %v %v", resp, err)
	}
	resp.Body.Close()

	stopCommand(t, stop, done)
}

// TestDemoInEveryMode: the simulator sends what WeChat sends in each mode
// (plain: a signed URL only; compat: plaintext and ciphertext; safe:
// ciphertext), and pufa configured alike answers it, including WeChat's
// retries of the same signed request.
func TestDemoInEveryMode(t *testing.T) {
	for _, mode := range []string{"plain", "compat", "safe"} {
		t.Run(mode, func(t *testing.T) {
			urls, done, stop := startCommand(t, "demo", "--mode", mode, "--addr", "127.0.0.1:0", "--sim-addr", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0", "--followers", "2")
			sim := strings.TrimSuffix(urlWith(t, urls, "/sim/"), "/sim/")
			for _, tt := range []struct{ content, want string }{
				{"你好", "普法小助手"},
				{"转人工", "已为您登记人工咨询"},
			} {
				got := postJSON(t, sim+"/sim/api/send", map[string]string{"openid": "o_demo_" + mode, "content": tt.content})
				if c, _ := got["content"].(string); !strings.Contains(c, tt.want) || got["error"] != nil {
					t.Errorf("%s: reply %v, want content containing %q", tt.content, got, tt.want)
				}
			}
			stopCommand(t, stop, done)
		})
	}
	if _, err := startDemoWithMode(t, "aes"); err == nil || !strings.Contains(err.Error(), "--mode") {
		t.Errorf("demo with --mode aes: %v, want an error naming --mode", err)
	}
}

// startDemoWithMode runs the demo with a mode it should refuse at once.
func startDemoWithMode(t *testing.T, mode string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := run(context.Background(), []string{"demo", "--mode", mode, "--addr", "127.0.0.1:0", "--sim-addr", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0"}, &out, io.Discard)
	return out.String(), err
}

func TestServeRejectsInvalidConfigNamingTheKey(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	os.WriteFile(cfg, []byte("wechat:\n  app_id: wx1\n  encoding_aes_key: tooshort\n"), 0o600)
	err := run(context.Background(), []string{"serve", "--config", cfg}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "wechat.encoding_aes_key") {
		t.Errorf("error %v does not name wechat.encoding_aes_key", err)
	}
	t.Setenv("PUFA_WECHAT_APP_SECRET", "")
	err = run(context.Background(), []string{"serve", "--config", filepath.Join(dir, "missing.yaml")}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("missing file not reported: %v", err)
	}
}

// TestServeMetricsOnTheirOwnListener: `pufa serve` serves the metrics on
// metrics.addr only. A reverse proxy on the same host forwards the public's
// requests from loopback, so /metrics on the main listener was public.
func TestServeMetricsOnTheirOwnListener(t *testing.T) {
	cfgFile := filepath.Join(t.TempDir(), "config.yaml")
	os.WriteFile(cfgFile, []byte(fmt.Sprintf(`http:
  addr: 127.0.0.1:0
redis:
  addrs: [%s]
  prefix: %q
wechat:
  app_id: wxm
  app_secret: m-secret
  token: m-token
  api_base: http://127.0.0.1:1
metrics:
  addr: 127.0.0.1:0
`, storetest.Addr(t), storetest.New(t).Prefix())), 0o600)
	urls, done, stop := startCommand(t, "serve", "--config", cfgFile)
	callback := urlWith(t, urls, "/wechat")
	metricsURL := urlWith(t, urls, "/metrics")
	if code := get(t, strings.TrimSuffix(callback, "/wechat")+"/metrics"); code != http.StatusNotFound {
		t.Errorf("/metrics on the main listener: %d, want 404", code)
	}
	resp, err := http.Get(metricsURL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "go_goroutines") {
		t.Errorf("%s: %d\n%.200s", metricsURL, resp.StatusCode, body)
	}
	if metricsURL == strings.TrimSuffix(callback, "/wechat")+"/metrics" {
		t.Errorf("metrics share the main listener: %s", metricsURL)
	}
	stopCommand(t, stop, done)
}

func TestServeNeedsWeChatCredentials(t *testing.T) {
	t.Setenv("PUFA_REDIS_ADDRS", storetest.Addr(t))
	err := run(context.Background(), []string{"serve", "--config", filepath.Join(t.TempDir(), "none.yaml")}, io.Discard, io.Discard)
	if err == nil {
		t.Fatal("serve started without a config")
	}
	cfgFile := filepath.Join(t.TempDir(), "config.yaml")
	os.WriteFile(cfgFile, []byte("http:\n  addr: 127.0.0.1:0\n"), 0o600)
	err = run(context.Background(), []string{"serve", "--config", cfgFile}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "wechat.app_id") || !strings.Contains(err.Error(), "wechat.token") {
		t.Errorf("error %v does not name the missing credentials", err)
	}
}

func TestUnknownCommand(t *testing.T) {
	var stderr bytes.Buffer
	if err := run(context.Background(), []string{"frobnicate"}, io.Discard, &stderr); err == nil {
		t.Error("unknown command accepted")
	}
	if !strings.Contains(stderr.String(), "serve") {
		t.Errorf("usage not printed: %s", stderr.String())
	}
}

// TestConfigAndStartupErrorsMaskSecrets: `pufa config` shows no secret and
// no hash of a password or token, and a start-up error over a raw token or a
// Redis URL with a password does not print them.
func TestConfigAndStartupErrorsMaskSecrets(t *testing.T) {
	const (
		bcrypt   = "$2a$10$abcdefghijklmnopqrstuuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZa"
		tokenSum = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
		metricPw = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
	)
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	os.WriteFile(good, []byte(`console:
  accounts: ['alice:approver:`+bcrypt+`']
  api_tokens: ['ci:editor:`+tokenSum+`']
metrics:
  user: prom
  password_sha256: `+metricPw+`
`), 0o600)
	t.Setenv("PUFA_WECHAT_APP_SECRET", "app-secret-from-env")
	var out bytes.Buffer
	if err := run(context.Background(), []string{"config", "--config", good}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{bcrypt, "$2a$", tokenSum, metricPw, "app-secret-from-env"} {
		if strings.Contains(out.String(), secret) {
			t.Errorf("pufa config shows %q:\n%s", secret, out.String())
		}
	}
	if !strings.Contains(out.String(), "alice:approver:") {
		t.Errorf("pufa config lost the account names:\n%s", out.String())
	}

	tests := []struct{ name, file, secret string }{
		{"raw API token", "console:\n  api_tokens: [Zm9vYmFyLXJhdy10b2tlbi1zZWNyZXQ]\n", "Zm9vYmFyLXJhdy10b2tlbi1zZWNyZXQ"},
		{"redis URL with a password", "redis:\n  addrs: ['redis://default:s3cret-redis-pw@10.0.0.5:6379']\n", "s3cret-redis-pw"},
	}
	for _, tt := range tests {
		bad := filepath.Join(dir, "bad.yaml")
		os.WriteFile(bad, []byte(tt.file), 0o600)
		for _, cmd := range []string{"serve", "config"} {
			err := run(context.Background(), []string{cmd, "--config", bad}, io.Discard, io.Discard)
			if err == nil || strings.Contains(err.Error(), tt.secret) {
				t.Errorf("%s: pufa %s: error %v echoes the secret (or none)", tt.name, cmd, err)
			}
		}
	}
}
