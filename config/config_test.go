package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDefaultsAreValid(t *testing.T) {
	cfg, err := Load("", nil)
	if err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
	if cfg.HTTP.Addr != "127.0.0.1:8080" || cfg.Redis.Prefix != "pufa:" ||
		cfg.WeChat.APIBase != "https://api.weixin.qq.com" || time.Duration(cfg.WeChat.MaxClockSkew) != 5*time.Minute {
		t.Errorf("unexpected defaults: %+v", cfg)
	}
	// Outside the demo, console cookies are Secure unless turned off, and
	// no proxy's forwarded headers are believed until one is named.
	if !cfg.Console.SecureCookie || len(cfg.HTTP.TrustedProxies) != 0 {
		t.Errorf("console.secure_cookie = %v, http.trusted_proxies = %v", cfg.Console.SecureCookie, cfg.HTTP.TrustedProxies)
	}
}

func TestExampleDocumentsEveryKeyAndLoads(t *testing.T) {
	const example = "../config.example.yaml"
	body, err := os.ReadFile(example)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(body), "\n")
	for _, key := range Keys() {
		leaf := key[strings.LastIndex(key, ".")+1:]
		found := false
		for i, l := range lines {
			if strings.HasPrefix(strings.TrimSpace(l), leaf+":") {
				found = true
				if i == 0 || !strings.HasPrefix(strings.TrimSpace(lines[i-1]), "#") {
					t.Errorf("%s: no comment line above it in %s", key, example)
				}
			}
		}
		if !found {
			t.Errorf("%s: missing from %s", key, example)
		}
	}
	if _, err := Load(example, nil); err != nil {
		t.Errorf("example does not load: %v", err)
	}
}

func TestFileThenEnvironment(t *testing.T) {
	p := writeFile(t, `
http:
  addr: 0.0.0.0:9000
redis:
  addrs: [10.0.0.1:6379]
wechat:
  app_id: wx123
  max_clock_skew: 0
`)
	cfg, err := Load(p, []string{
		"PUFA_WECHAT_APP_SECRET=s3cret",
		"PUFA_REDIS_ADDRS=h1:6379, h2:6379",
		"PUFA_REDIS_DB=0",
		"PUFA_BOT_REPLY_DEADLINE=1500ms",
		"HOME=/root",
	})
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"http.addr from file", cfg.HTTP.Addr, "0.0.0.0:9000"},
		{"wechat.app_id from file", cfg.WeChat.AppID, "wx123"},
		{"wechat.max_clock_skew 0 disables", cfg.WeChat.MaxClockSkew, Duration(0)},
		{"secret from env", cfg.WeChat.AppSecret, "s3cret"},
		{"list from env", strings.Join(cfg.Redis.Addrs, ","), "h1:6379,h2:6379"},
		{"duration from env", cfg.Bot.ReplyDeadline, Duration(1500 * time.Millisecond)},
		{"default kept", cfg.Redis.Prefix, "pufa:"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestInvalidConfigNamesTheKey(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		env     []string
		wantKey string
	}{
		{"unknown key", "wechat:\n  app_secrte: x\n", nil, "app_secrte"},
		{"bad addr", "http:\n  addr: localhost\n", nil, "http.addr"},
		{"short aes key", "wechat:\n  app_id: wx1\n  encoding_aes_key: abc\n", nil, "wechat.encoding_aes_key"},
		{"aes key without appid", "wechat:\n  encoding_aes_key: abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG\n", nil, "wechat.app_id"},
		{"bad api base", "wechat:\n  api_base: ftp://x\n", nil, "wechat.api_base"},
		{"negative skew", "wechat:\n  max_clock_skew: -1s\n", nil, "wechat.max_clock_skew"},
		{"duration without unit", "wechat:\n  max_clock_skew: 10\n", nil, "max_clock_skew"},
		{"deadline too long", "bot:\n  reply_deadline: 6s\n", nil, "bot.reply_deadline"},
		{"short dedup", "bot:\n  dedup_ttl: 10s\n", nil, "bot.dedup_ttl"},
		{"empty prefix", "redis:\n  prefix: \"\"\n", nil, "redis.prefix"},
		{"no redis", "redis:\n  addrs: []\n", nil, "redis.addrs"},
		{"bad env int", "", []string{"PUFA_REDIS_DB=one"}, "PUFA_REDIS_DB"},
		{"bad env duration", "", []string{"PUFA_WECHAT_MAX_CLOCK_SKEW=soon"}, "wechat.max_clock_skew"},
		{"bad log level", "log:\n  level: loud\n", nil, "log.level"},
		{"trusted proxy not a CIDR", "http:\n  trusted_proxies: [nginx]\n", nil, "http.trusted_proxies"},
		{"preview recipient without a name", "console:\n  preview_recipients: [oStaff0001]\n", nil, "console.preview_recipients"},
		{"preview recipient not an openid", "console:\n  preview_recipients: [\"o staff:张三\"]\n", nil, "console.preview_recipients"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(writeFile(t, tt.file), tt.env)
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), tt.wantKey) {
				t.Errorf("error %q does not name %s", err, tt.wantKey)
			}
		})
	}
}

func TestRequireWeChat(t *testing.T) {
	cfg := Default()
	err := cfg.RequireWeChat()
	for _, key := range []string{"wechat.app_id", "wechat.app_secret", "wechat.token"} {
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("missing %s not reported: %v", key, err)
		}
	}
	cfg.WeChat.AppID, cfg.WeChat.AppSecret, cfg.WeChat.Token = "wx1", "s", "t"
	if err := cfg.RequireWeChat(); err != nil {
		t.Errorf("complete credentials rejected: %v", err)
	}
}
