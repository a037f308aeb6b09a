// Package config loads pufa's settings: built-in defaults, then a YAML file,
// then PUFA_* environment variables, then validation that names the key at
// fault.
package config

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Config is the whole configuration; yaml tags are the documented key names.
type Config struct {
	HTTP      HTTP      `yaml:"http"`
	Redis     Redis     `yaml:"redis"`
	WeChat    WeChat    `yaml:"wechat"`
	Bot       Bot       `yaml:"bot"`
	Knowledge Knowledge `yaml:"knowledge"`
	Campaigns Campaigns `yaml:"campaigns"`
	SMS       SMS       `yaml:"sms"`
	Quiz      Quiz      `yaml:"quiz"`
	Console   Console   `yaml:"console"`
	// Communities configures the community registry's QR posters.
	Communities Communities `yaml:"communities"`
	Metrics     Metrics     `yaml:"metrics"`
	Log         Log         `yaml:"log"`
}

// HTTP configures the listener.
type HTTP struct {
	Addr string `yaml:"addr"`
	// TrustedProxies are the reverse proxies (CIDR) whose X-Forwarded-For
	// and X-Forwarded-Proto headers are believed; empty = none.
	TrustedProxies []string `yaml:"trusted_proxies"`
}

// Redis selects the Redis deployment holding all state.
type Redis struct {
	Addrs      []string `yaml:"addrs"`
	MasterName string   `yaml:"master_name"`
	Password   string   `yaml:"password"`
	DB         int      `yaml:"db"`
	Prefix     string   `yaml:"prefix"`
	// PseudonymKey keys the hashes that stand in for openids in records kept
	// past erasure or past their need for the openid; Load derives it from
	// wechat.app_secret when it is empty.
	PseudonymKey string `yaml:"pseudonym_key"`
}

// WeChat holds the official account's credentials from the MP console.
type WeChat struct {
	AppID          string   `yaml:"app_id"`
	AppSecret      string   `yaml:"app_secret"`
	Token          string   `yaml:"token"`
	EncodingAESKey string   `yaml:"encoding_aes_key"`
	Mode           string   `yaml:"mode"` // plain, compat or safe; "" = safe with a key, else plain
	APIBase        string   `yaml:"api_base"`
	MaxClockSkew   Duration `yaml:"max_clock_skew"`
}

// Bot configures the resident-facing callback behaviour.
type Bot struct {
	Welcome       string   `yaml:"welcome"`
	Fallback      string   `yaml:"fallback"`
	KeywordsFile  string   `yaml:"keywords_file"`
	ReplyDeadline Duration `yaml:"reply_deadline"`
	DedupTTL      Duration `yaml:"dedup_ttl"`
	// 转人工 requests recorded per resident and day; 0 = no limit.
	ConsultDailyLimit int `yaml:"consult_daily_limit"`
	// How long an answered or closed consultation is kept.
	ConsultRetention Duration `yaml:"consult_retention"`
}

// Knowledge configures the law corpus and the office FAQ.
type Knowledge struct {
	Laws           string   `yaml:"laws"`
	CorpusFiles    []string `yaml:"corpus_files"`
	FAQFile        string   `yaml:"faq_file"`
	StationAddress string   `yaml:"station_address"`
	StationHours   string   `yaml:"station_hours"`
}

// Campaigns configures themed pushes and their delivery.
type Campaigns struct {
	Dir                  string   `yaml:"dir"`
	AccountType          string   `yaml:"account_type"`
	Rate                 int      `yaml:"rate"`
	Workers              int      `yaml:"workers"`
	MaxConsecutiveErrors int      `yaml:"max_consecutive_errors"`
	Grace                Duration `yaml:"grace"`
	Lease                Duration `yaml:"lease"`
}

// SMS configures the text-message gateway of the campaigns' sms channel
// (package sms); an empty endpoint leaves the channel without a gateway.
type SMS struct {
	Endpoint        string `yaml:"endpoint"`
	AccessKeyID     string `yaml:"access_key_id"`
	AccessKeySecret string `yaml:"access_key_secret"` // from PUFA_SMS_ACCESS_KEY_SECRET, not the file
	SignName        string `yaml:"sign_name"`
	Rate            int    `yaml:"rate"`
}

// Quiz configures the legal-knowledge quizzes in the chat.
type Quiz struct {
	Dir          string   `yaml:"dir"`
	IdleTimeout  Duration `yaml:"idle_timeout"`
	RepeatWindow Duration `yaml:"repeat_window"`
}

// Console configures the staff web console under /console/.
type Console struct {
	Accounts     []string `yaml:"accounts"`   // "user:role:bcrypt-hash"
	APITokens    []string `yaml:"api_tokens"` // "name:role:sha256-hex of the token"
	SessionTTL   Duration `yaml:"session_ttl"`
	SecureCookie bool     `yaml:"secure_cookie"`
	// PreviewRecipients are staff who may receive campaign previews, as
	// "openid:显示名", besides those approvers register in the console.
	PreviewRecipients []string `yaml:"preview_recipients"`
	// CaseSLA is how long a 转人工 case may wait for an answer (新 or
	// 处理中) before the 咨询 inbox shows it overdue.
	CaseSLA Duration `yaml:"case_sla"`
}

// Communities configures what a community's QR poster prints.
type Communities struct {
	// OfficeName is printed at the top of every poster (e.g. 东湖街道办事处);
	// "" = no office line.
	OfficeName string `yaml:"office_name"`
	// PosterFont is a TrueType/OpenType font or collection with Chinese
	// glyphs. Missing at run time: posters are refused with a message and
	// the plain QR code can still be downloaded.
	PosterFont string `yaml:"poster_font"`
}

// Metrics configures the Prometheus listener and who may scrape it.
type Metrics struct {
	Addr           string   `yaml:"addr"` // own listener; "" = no metrics
	Allow          []string `yaml:"allow"`
	User           string   `yaml:"user"`
	PasswordSHA256 string   `yaml:"password_sha256"`
}

// Log configures log/slog output.
type Log struct {
	Level  string `yaml:"level"`
	Format string `yaml:"format"`
}

// Duration is a time.Duration written as "5m" or "1500ms" (or a bare 0).
type Duration time.Duration

// MarshalYAML writes the Go duration string.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

func parseDuration(s string) (time.Duration, error) {
	if s == "0" {
		return 0, nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration (use a unit, e.g. 30s, 5m)", s)
	}
	return v, nil
}

// Default returns the built-in defaults, which run the demo as they are.
func Default() Config {
	return Config{
		HTTP:  HTTP{Addr: "127.0.0.1:8080"},
		Redis: Redis{Addrs: []string{"127.0.0.1:6379"}, Prefix: "pufa:"},
		WeChat: WeChat{
			APIBase:      "https://api.weixin.qq.com",
			MaxClockSkew: Duration(5 * time.Minute),
		},
		Bot: Bot{
			Welcome: "欢迎关注！这里是街道普法服务号。\n" +
				"您可以直接提问法律问题，如“离婚冷静期多久”“民法典第1077条”；\n" +
				"回复“转人工”联系工作人员；法律援助热线 12348。",
			Fallback: "您的问题已收到。可以换个说法再问一次，或回复“转人工”由工作人员解答；" +
				"也可拨打公共法律服务热线 12348。",
			ReplyDeadline:     Duration(4 * time.Second),
			DedupTTL:          Duration(5 * time.Minute),
			ConsultDailyLimit: 3,
			ConsultRetention:  Duration(365 * 24 * time.Hour),
		},
		Knowledge: Knowledge{Laws: "default"},
		Campaigns: Campaigns{Dir: "campaigns", AccountType: "service", Rate: 100, Workers: 16,
			MaxConsecutiveErrors: 20, Grace: Duration(time.Hour), Lease: Duration(30 * time.Second)},
		SMS:         SMS{Rate: 20},
		Quiz:        Quiz{IdleTimeout: Duration(30 * time.Minute), RepeatWindow: Duration(2 * time.Second)},
		Console:     Console{SessionTTL: Duration(12 * time.Hour), SecureCookie: true, CaseSLA: Duration(24 * time.Hour)},
		Communities: Communities{PosterFont: "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"},
		Metrics:     Metrics{Addr: "127.0.0.1:9464", Allow: []string{"127.0.0.0/8", "::1/128"}},
		Log:         Log{Level: "info", Format: "text"},
	}
}

// Load builds the configuration from defaults, the YAML file at path (skipped
// when path is empty) and the environment, then validates it.
func Load(path string, environ []string) (Config, error) {
	cfg := Default()
	if path != "" {
		f, err := os.Open(path)
		if err != nil {
			return Config{}, fmt.Errorf("config: %w", err)
		}
		defer f.Close()
		if err := decode(f, &cfg); err != nil {
			return Config{}, fmt.Errorf("config: %s: %w", path, err)
		}
	}
	if err := applyEnv(&cfg, environ); err != nil {
		return Config{}, err
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, err
	}
	// Resolved here so that `pufa config` shows the mode callbacks get.
	cfg.WeChat.Mode = cfg.WeChat.EffectiveMode()
	if cfg.Redis.PseudonymKey == "" && cfg.WeChat.AppSecret != "" {
		cfg.Redis.PseudonymKey = derivePseudonymKey(cfg.WeChat.AppSecret)
	}
	return cfg, nil
}

// derivePseudonymKey makes a pseudonym key out of the AppSecret, so that an
// existing deployment needs no new secret: HMAC-SHA256 keyed with the
// AppSecret over a fixed label, which no other use of the AppSecret shares.
// Resetting the AppSecret in the MP console then changes every pseudonym
// (see README, Security); a configured redis.pseudonym_key does not.
func derivePseudonymKey(appSecret string) string {
	mac := hmac.New(sha256.New, []byte(appSecret))
	mac.Write([]byte("pufa redis.pseudonym_key v1"))
	return hex.EncodeToString(mac.Sum(nil))
}

// Callback encryption modes (消息加解密方式 in the MP console's 服务器配置).
const (
	ModePlain  = "plain"  // 明文模式: bodies are not signed, only the URL is
	ModeCompat = "compat" // 兼容模式: plaintext and ciphertext; pufa uses only the ciphertext
	ModeSafe   = "safe"   // 安全模式: ciphertext only
)

// EffectiveMode is the configured mode, or its default: safe when an
// EncodingAESKey is set, plain otherwise.
func (w WeChat) EffectiveMode() string {
	switch {
	case w.Mode != "":
		return w.Mode
	case w.EncodingAESKey != "":
		return ModeSafe
	default:
		return ModePlain
	}
}

// decode reads YAML strictly: an unknown key is an error, so a typo never
// silently leaves a default in place. Values go through the same setter as
// environment overrides, so every error names its key.
func decode(r io.Reader, cfg *Config) error {
	var doc yaml.Node
	if err := yaml.NewDecoder(r).Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil
		}
		return err
	}
	leaves := map[string]reflect.Value{}
	walk(reflect.ValueOf(cfg).Elem(), "", func(path string, v reflect.Value) { leaves[path] = v })
	var errs []error
	var visit func(n *yaml.Node, prefix string)
	visit = func(n *yaml.Node, prefix string) {
		if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
			visit(n.Content[0], prefix)
			return
		}
		if n.Kind != yaml.MappingNode {
			errs = append(errs, fmt.Errorf("%s: line %d: expected a mapping of keys", orTop(prefix), n.Line))
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			path := k.Value
			if prefix != "" {
				path = prefix + "." + k.Value
			}
			leaf, ok := leaves[path]
			switch {
			case ok:
				if err := setNode(leaf, v); err != nil {
					errs = append(errs, fmt.Errorf("%s: line %d: %w", path, v.Line, err))
				}
			case v.Kind == yaml.MappingNode && hasPrefix(leaves, path+"."):
				visit(v, path)
			default:
				errs = append(errs, fmt.Errorf("%s: line %d: unknown key", path, k.Line))
			}
		}
	}
	visit(&doc, "")
	return errors.Join(errs...)
}

func orTop(prefix string) string {
	if prefix == "" {
		return "(top level)"
	}
	return prefix
}

func hasPrefix(leaves map[string]reflect.Value, prefix string) bool {
	for k := range leaves {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}

// setNode assigns a YAML value to a leaf: scalars as text, lists item by item.
func setNode(v reflect.Value, n *yaml.Node) error {
	if v.Kind() == reflect.Slice {
		if n.Kind != yaml.SequenceNode {
			return fmt.Errorf("expected a list")
		}
		items := make([]string, 0, len(n.Content))
		for _, c := range n.Content {
			if c.Kind != yaml.ScalarNode {
				return fmt.Errorf("line %d: list items must be plain values", c.Line)
			}
			items = append(items, c.Value)
		}
		v.Set(reflect.ValueOf(items))
		return nil
	}
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("expected a single value")
	}
	return set(v, n.Value)
}

// Validate reports every problem, each naming its key.
func (c Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("config: %s: %s", key, fmt.Sprintf(format, args...)))
	}
	if _, _, err := net.SplitHostPort(c.HTTP.Addr); err != nil {
		bad("http.addr", "%q is not host:port", c.HTTP.Addr)
	}
	for _, p := range c.HTTP.TrustedProxies {
		if _, err := netip.ParsePrefix(p); err != nil {
			bad("http.trusted_proxies", "%q is not a CIDR such as 127.0.0.1/32 or 10.0.0.0/8", p)
		}
	}
	if len(c.Redis.Addrs) == 0 {
		bad("redis.addrs", "at least one address is required")
	}
	for _, a := range c.Redis.Addrs {
		if _, _, err := net.SplitHostPort(a); err != nil {
			hint := ""
			if strings.Contains(a, "@") {
				hint = " (put the password in redis.password, not in the address)"
			}
			bad("redis.addrs", "%q is not host:port%s", redactURL(a), hint)
		}
	}
	if c.Redis.DB < 0 {
		bad("redis.db", "must not be negative")
	}
	if c.Redis.DB != 0 && len(c.Redis.Addrs) > 1 && c.Redis.MasterName == "" {
		bad("redis.db", "Redis Cluster has only db 0")
	}
	if k := c.Redis.PseudonymKey; k != "" && len(k) < 32 {
		bad("redis.pseudonym_key", "is %d characters; use at least 32 random ones (e.g. `openssl rand -hex 32`)", len(k))
	}
	if c.Redis.Prefix == "" {
		bad("redis.prefix", "must not be empty (keys of other applications could collide)")
	}
	if k := c.WeChat.EncodingAESKey; k != "" {
		if b, err := base64.StdEncoding.DecodeString(k + "="); len(k) != 43 || err != nil || len(b) != 32 {
			bad("wechat.encoding_aes_key", "must be the 43-character key from the MP console (got %d characters)", len(k))
		}
		if c.WeChat.AppID == "" {
			bad("wechat.app_id", "is required when wechat.encoding_aes_key is set (decrypted messages are checked against it)")
		}
	}
	switch mode := c.WeChat.Mode; mode {
	case "", ModePlain, ModeCompat, ModeSafe:
		if mode != ModePlain && mode != "" && c.WeChat.EncodingAESKey == "" {
			bad("wechat.mode", "%s needs wechat.encoding_aes_key (the 43-character EncodingAESKey from 服务器配置)", mode)
		}
		if mode == ModePlain && c.WeChat.EncodingAESKey != "" {
			// A key that is set but unused would suggest protection that
			// plain mode does not give.
			bad("wechat.mode", "plain does not use wechat.encoding_aes_key: remove the key, or choose compat or safe as in the MP console")
		}
	default:
		bad("wechat.mode", "%q is not one of plain, compat, safe", mode)
	}
	if u, err := url.Parse(c.WeChat.APIBase); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("wechat.api_base", "%q is not an http(s) URL", redactURL(c.WeChat.APIBase))
	}
	if c.WeChat.MaxClockSkew < 0 {
		bad("wechat.max_clock_skew", "must not be negative (0 disables the check)")
	}
	if d := time.Duration(c.Bot.ReplyDeadline); d < 100*time.Millisecond || d > 4500*time.Millisecond {
		bad("bot.reply_deadline", "%s is outside 100ms..4.5s (WeChat gives up after 5s)", d)
	}
	if d := time.Duration(c.Bot.DedupTTL); d < time.Minute {
		bad("bot.dedup_ttl", "%s is below 1m (WeChat retries for 15s; keep at least 60s)", d)
	}
	if n := c.Bot.ConsultDailyLimit; n < 0 || n > 100 {
		bad("bot.consult_daily_limit", "%d is outside 0..100 (0 = no limit)", n)
	}
	if d := time.Duration(c.Bot.ConsultRetention); d < 24*time.Hour {
		bad("bot.consult_retention", "%s is below 24h (staff need time to read an answered request)", d)
	}
	if strings.TrimSpace(c.Bot.Fallback) == "" {
		bad("bot.fallback", "must not be empty (WeChat shows an error for empty replies)")
	}
	if l := c.Knowledge.Laws; l != "default" && l != "national" {
		bad("knowledge.laws", "%q is not default or national", l)
	}
	if c.Campaigns.Dir == "" {
		bad("campaigns.dir", "must not be empty")
	}
	c.SMS.validate(bad)
	if a := c.Campaigns.AccountType; a != "service" && a != "subscription" {
		bad("campaigns.account_type", "%q is not service or subscription", a)
	}
	if c.Campaigns.Rate < 0 {
		bad("campaigns.rate", "must not be negative (0 = no limit)")
	}
	if w := c.Campaigns.Workers; w < 1 || w > 256 {
		bad("campaigns.workers", "%d is outside 1..256", w)
	}
	if c.Campaigns.MaxConsecutiveErrors < 1 {
		bad("campaigns.max_consecutive_errors", "must be at least 1")
	}
	if c.Campaigns.Grace <= 0 {
		bad("campaigns.grace", "must be a positive duration, e.g. 1h")
	}
	if d := time.Duration(c.Campaigns.Lease); d < time.Second || d > 10*time.Minute {
		bad("campaigns.lease", "%s is outside 1s..10m", d)
	}
	if d := time.Duration(c.Quiz.IdleTimeout); d < time.Minute || d > 24*time.Hour {
		bad("quiz.idle_timeout", "%s is outside 1m..24h", d)
	}
	if d := time.Duration(c.Quiz.RepeatWindow); d < 0 || d > time.Minute {
		bad("quiz.repeat_window", "%s is outside 0..1m (0 turns the check off)", d)
	}
	if n := utf8.RuneCountInString(c.Communities.OfficeName); n > 30 || strings.TrimSpace(c.Communities.OfficeName) != c.Communities.OfficeName {
		bad("communities.office_name", "must be at most 30 characters without leading or trailing spaces (社区海报上的单位名称)")
	}
	if c.Communities.PosterFont == "" {
		bad("communities.poster_font", "is empty: name a font file with Chinese glyphs, e.g. /usr/share/fonts/truetype/wqy/wqy-microhei.ttc (社区海报字体)")
	} else if !filepath.IsAbs(c.Communities.PosterFont) {
		bad("communities.poster_font", "%q is not an absolute path (社区海报字体须写绝对路径)", c.Communities.PosterFont)
	}
	// Errors name an entry, never show it: a malformed one may be a
	// password or a raw token pasted in place of its hash.
	for i, a := range c.Console.Accounts {
		f := strings.SplitN(a, ":", 3)
		if len(f) != 3 || f[0] == "" || (f[1] != "editor" && f[1] != "approver") || !strings.HasPrefix(f[2], "$2") {
			bad("console.accounts", "%s is not user:editor|approver:bcrypt-hash (make one with `pufa console hash`)", entryName(a, i))
		}
	}
	for i, tok := range c.Console.APITokens {
		f := strings.SplitN(tok, ":", 3)
		if len(f) != 3 || f[0] == "" || (f[1] != "editor" && f[1] != "approver") || !isHex64(f[2]) {
			bad("console.api_tokens", "%s is not name:editor|approver:sha256-hex (the token's hash, from `pufa console token`)", entryName(tok, i))
		}
	}
	for _, p := range c.Console.PreviewRecipients {
		openid, name, _ := strings.Cut(p, ":")
		if !validOpenID(openid) || strings.TrimSpace(name) == "" {
			bad("console.preview_recipients", "%q is not openid:显示名 (the openid of a staff member who follows the account)", p)
		}
	}
	if d := time.Duration(c.Console.SessionTTL); d < 5*time.Minute {
		bad("console.session_ttl", "%s is below 5m", d)
	}
	if d := time.Duration(c.Console.CaseSLA); d < 10*time.Minute || d > 30*24*time.Hour {
		bad("console.case_sla", "%s is not between 10m and 720h (咨询超时时限应在 10 分钟到 30 天之间)", d)
	}
	if a := c.Metrics.Addr; a != "" {
		if _, _, err := net.SplitHostPort(a); err != nil {
			bad("metrics.addr", "%q is not host:port (empty = no metrics listener)", a)
		} else if a == c.HTTP.Addr && !strings.HasSuffix(a, ":0") {
			bad("metrics.addr", "must differ from http.addr: the metrics need a listener of their own, which no proxy forwards to")
		}
	}
	for _, a := range c.Metrics.Allow {
		if _, _, err := net.ParseCIDR(a); err != nil {
			bad("metrics.allow", "%q is not a CIDR such as 10.0.0.0/8", a)
		}
	}
	if (c.Metrics.User == "") != (c.Metrics.PasswordSHA256 == "") {
		bad("metrics.user", "metrics.user and metrics.password_sha256 go together")
	}
	if p := c.Metrics.PasswordSHA256; p != "" && !isHex64(p) {
		bad("metrics.password_sha256", "must be 64 hex digits (sha256sum of the password)")
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level", "%q is not one of debug, info, warn, error", c.Log.Level)
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		bad("log.format", "%q is not one of text, json", c.Log.Format)
	}
	return errors.Join(errs...)
}

// validOpenID accepts what a WeChat openid looks like: 6 to 64 letters,
// digits, '-' or '_'.
func validOpenID(s string) bool {
	if len(s) < 6 || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

func isHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, r := range s {
		if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
			return false
		}
	}
	return true
}

// RequireWeChat checks the keys a live official account needs; the demo
// fills them itself, `pufa serve` calls this.
func (c Config) RequireWeChat() error {
	var errs []error
	for key, v := range map[string]string{
		"wechat.app_id": c.WeChat.AppID, "wechat.app_secret": c.WeChat.AppSecret, "wechat.token": c.WeChat.Token,
	} {
		if v == "" {
			errs = append(errs, fmt.Errorf("config: %s: is required (copy it from the MP console, 开发 → 基本配置)", key))
		}
	}
	return errors.Join(errs...)
}

// YAML renders the configuration, for `pufa config` and debugging.
func (c Config) YAML() ([]byte, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(c); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// validate checks the SMS gateway keys: all or nothing, since a half
// configured gateway would fail only at the first send of a campaign.
func (s SMS) validate(bad func(key, format string, args ...any)) {
	if s.Rate < 0 || s.Rate > 1000 {
		bad("sms.rate", "%d is outside 0..1000 messages a second (0 = no limit) / 每秒短信条数应在 0 到 1000 之间", s.Rate)
	}
	if s.Endpoint == "" {
		for key, v := range map[string]string{"sms.access_key_id": s.AccessKeyID, "sms.access_key_secret": s.AccessKeySecret, "sms.sign_name": s.SignName} {
			if v != "" {
				bad(key, "is set but sms.endpoint is empty / 未配置短信网关地址 sms.endpoint")
			}
		}
		return
	}
	if u, err := url.Parse(s.Endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		bad("sms.endpoint", "%q is not an http(s) URL without credentials / 短信网关地址应为 http(s) 网址", s.Endpoint)
	}
	if s.AccessKeyID == "" {
		bad("sms.access_key_id", "is required with sms.endpoint / 请填写短信网关的 AccessKey ID")
	}
	if s.AccessKeySecret == "" {
		bad("sms.access_key_secret", "is required with sms.endpoint: set PUFA_SMS_ACCESS_KEY_SECRET / 请通过环境变量 PUFA_SMS_ACCESS_KEY_SECRET 设置")
	}
	if strings.TrimSpace(s.SignName) == "" {
		bad("sms.sign_name", "is required with sms.endpoint: the signature (签名) the provider approved / 请填写已审核通过的短信签名")
	}
}
