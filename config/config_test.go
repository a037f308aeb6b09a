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
		{"bad metrics addr", "metrics:\n  addr: 9464\n", nil, "metrics.addr"},
		{"metrics on the main listener", "http:\n  addr: 127.0.0.1:8080\nmetrics:\n  addr: 127.0.0.1:8080\n", nil, "metrics.addr"},
		{"negative consult limit", "bot:\n  consult_daily_limit: -1\n", nil, "bot.consult_daily_limit"},
		{"short consult retention", "bot:\n  consult_retention: 1h\n", nil, "bot.consult_retention"},
		{"short pseudonym key", "redis:\n  pseudonym_key: abc\n", nil, "redis.pseudonym_key"},
		{"safe mode without key", "wechat:\n  mode: safe\n", nil, "wechat.mode"},
		{"compat mode without key", "wechat:\n  mode: compat\n", nil, "wechat.mode"},
		{"plain mode with a key", "wechat:\n  app_id: wx1\n  mode: plain\n  encoding_aes_key: abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG\n", nil, "wechat.mode"},
		{"unknown mode", "wechat:\n  mode: secure\n", nil, "wechat.mode"},
		{"unknown mode from env", "", []string{"PUFA_WECHAT_MODE=aes"}, "wechat.mode"},
		{"trusted proxy not a CIDR", "http:\n  trusted_proxies: [nginx]\n", nil, "http.trusted_proxies"},
		{"preview recipient without a name", "console:\n  preview_recipients: [oStaff0001]\n", nil, "console.preview_recipients"},
		{"preview recipient not an openid", "console:\n  preview_recipients: [\"o staff:张三\"]\n", nil, "console.preview_recipients"},
		{"sms endpoint not a URL", "sms:\n  endpoint: sms.example.com\n  access_key_id: k\n  sign_name: 街道\n", []string{"PUFA_SMS_ACCESS_KEY_SECRET=s"}, "sms.endpoint"},
		{"sms endpoint without secret", "sms:\n  endpoint: https://sms.example.com\n  access_key_id: k\n  sign_name: 街道\n", nil, "sms.access_key_secret"},
		{"sms endpoint without sign name", "sms:\n  endpoint: https://sms.example.com\n  access_key_id: k\n", []string{"PUFA_SMS_ACCESS_KEY_SECRET=s"}, "sms.sign_name"},
		{"sms key without endpoint", "sms:\n  access_key_id: k\n", nil, "sms.access_key_id"},
		{"sms rate negative", "sms:\n  rate: -1\n", nil, "sms.rate"},
		{"case SLA too short", "console:\n  case_sla: 1m\n", nil, "console.case_sla"},
		{"case SLA too long", "console:\n  case_sla: 2000h\n", nil, "console.case_sla"},
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

// TestWeChatModeDefaults: the mode is explicit after loading; without one
// it follows the key, as the MP console pairs them.
func TestWeChatModeDefaults(t *testing.T) {
	const key = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	tests := []struct {
		name, file, want string
	}{
		{"no key: plain", "", ModePlain},
		{"key: safe", "wechat:\n  app_id: wx1\n  encoding_aes_key: " + key + "\n", ModeSafe},
		{"key and compat", "wechat:\n  app_id: wx1\n  mode: compat\n  encoding_aes_key: " + key + "\n", ModeCompat},
		{"explicit plain", "wechat:\n  mode: plain\n", ModePlain},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Load(writeFile(t, tt.file), nil)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.WeChat.Mode != tt.want {
				t.Errorf("mode %q, want %q", cfg.WeChat.Mode, tt.want)
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

// TestPseudonymKey: configured as given, else derived from the AppSecret so
// that replicas and tools sharing a config agree, else none.
func TestPseudonymKey(t *testing.T) {
	const key = "0123456789abcdef0123456789abcdef-configured"
	load := func(env ...string) string {
		t.Helper()
		cfg, err := Load("", env)
		if err != nil {
			t.Fatal(err)
		}
		return cfg.Redis.PseudonymKey
	}
	if got := load("PUFA_REDIS_PSEUDONYM_KEY=" + key); got != key {
		t.Errorf("configured key became %q", got)
	}
	derived := load("PUFA_WECHAT_APP_SECRET=s1")
	if len(derived) != 64 || derived != load("PUFA_WECHAT_APP_SECRET=s1") || derived == load("PUFA_WECHAT_APP_SECRET=s2") {
		t.Errorf("derived keys: %q (want 64 hex digits, the same for the same secret, another for another)", derived)
	}
	if strings.Contains(derived, "s1") {
		t.Error("the derived key shows the secret")
	}
	if got := load(); got != "" {
		t.Errorf("no key and no secret gave %q", got)
	}
}

// TestMaskedHidesEverySecret: `pufa config` prints Masked; no secret, hash
// of a password or hash of a token may appear, while the names that tell
// entries apart stay.
func TestMaskedHidesEverySecret(t *testing.T) {
	const (
		bcrypt   = "$2a$10$abcdefghijklmnopqrstuuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZa"
		tokenSum = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
		metricPw = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
	)
	cfg := Default()
	cfg.WeChat.AppID = "wx1"
	cfg.WeChat.AppSecret = "app-secret-value"
	cfg.WeChat.Token = "token-value"
	cfg.WeChat.EncodingAESKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	cfg.WeChat.APIBase = "https://proxyuser:proxy-pw@wx-proxy.example:8443"
	cfg.Redis.Password = "redis-pw"
	cfg.Redis.PseudonymKey = "pseudonym-key-0123456789abcdef0123456789"
	cfg.Redis.Addrs = []string{"10.0.0.1:6379"}
	cfg.Console.Accounts = []string{"alice:approver:" + bcrypt}
	cfg.Console.APITokens = []string{"ci:editor:" + tokenSum}
	cfg.Metrics.User, cfg.Metrics.PasswordSHA256 = "prom", metricPw
	cfg.SMS.Endpoint, cfg.SMS.AccessKeySecret = "https://gw:gw-pw@sms.example", "sms-key-secret"
	b, err := cfg.Masked().YAML()
	if err != nil {
		t.Fatal(err)
	}
	out := string(b)
	for _, secret := range []string{"app-secret-value", "token-value", "ABCDEFG", "proxy-pw", "redis-pw",
		bcrypt, "$2a$", tokenSum, metricPw, "pseudonym-key", "sms-key-secret", "gw-pw"} {
		if strings.Contains(out, secret) {
			t.Errorf("masked config shows %q:\n%s", secret, out)
		}
	}
	for _, kept := range []string{"alice:approver:", "ci:editor:", "user: prom", "wx-proxy.example:8443", "10.0.0.1:6379"} {
		if !strings.Contains(out, kept) {
			t.Errorf("masked config lacks %q:\n%s", kept, out)
		}
	}
	if cfg.Console.Accounts[0] != "alice:approver:"+bcrypt {
		t.Error("Masked changed the configuration it was called on")
	}
}

// TestErrorsDoNotEchoSecrets: a secret pasted into the wrong place (a raw
// token for its hash, a password in a Redis URL) is named by its key, never
// printed, as start-up errors end up in logs.
func TestErrorsDoNotEchoSecrets(t *testing.T) {
	tests := []struct {
		name, file, secret, wantKey string
	}{
		{"raw API token", "console:\n  api_tokens: [Zm9vYmFyLXJhdy10b2tlbi1zZWNyZXQ]\n", "Zm9vYmFyLXJhdy10b2tlbi1zZWNyZXQ", "console.api_tokens"},
		{"raw token after a name", "console:\n  api_tokens: ['ci:editor:Zm9vYmFyLXJhdy10b2tlbi1zZWNyZXQ']\n", "Zm9vYmFyLXJhdy10b2tlbi1zZWNyZXQ", "console.api_tokens"},
		{"password for a bcrypt hash", "console:\n  accounts: ['hunter2-plain-password']\n", "hunter2-plain-password", "console.accounts"},
		{"password after the role", "console:\n  accounts: ['alice:editor:hunter2-plain-password']\n", "hunter2-plain-password", "console.accounts"},
		{"redis URL with a password", "redis:\n  addrs: ['redis://default:s3cret-redis-pw@10.0.0.5:6379']\n", "s3cret-redis-pw", "redis.addrs"},
		{"redis URL, password only", "redis:\n  addrs: ['redis://:s3cret-redis-pw@10.0.0.5:6379/0']\n", "s3cret-redis-pw", "redis.addrs"},
		{"api base with credentials", "wechat:\n  api_base: 'ftp://u:s3cret-proxy-pw@proxy'\n", "s3cret-proxy-pw", "wechat.api_base"},
		{"token from the environment", "", "Zm9vYmFyLXJhdy10b2tlbi1zZWNyZXQ", "console.api_tokens"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var env []string
			if tt.file == "" {
				env = []string{"PUFA_CONSOLE_API_TOKENS=" + tt.secret}
			}
			_, err := Load(writeFile(t, tt.file), env)
			if err == nil {
				t.Fatal("accepted")
			}
			if strings.Contains(err.Error(), tt.secret) {
				t.Errorf("error echoes the secret: %v", err)
			}
			if !strings.Contains(err.Error(), tt.wantKey) {
				t.Errorf("error %q does not name %s", err, tt.wantKey)
			}
		})
	}
}

// The SMS gateway loads with its secret from the environment only.
func TestSMSGatewaySecretFromEnvironment(t *testing.T) {
	p := writeFile(t, "sms:\n  endpoint: https://sms.example.com\n  access_key_id: LTAI1\n  sign_name: 某某街道办事处\n")
	cfg, err := Load(p, []string{"PUFA_SMS_ACCESS_KEY_SECRET=s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.SMS.AccessKeySecret != "s3cret" || cfg.SMS.SignName != "某某街道办事处" || cfg.SMS.Rate != 20 {
		t.Errorf("sms %+v", cfg.SMS)
	}
}
