// Package wechat is pufa's thin adapter over the official-account API of
// github.com/silenceper/wechat/v2 (v2.1.10). It adds what the SDK lacks:
// a Redis-shared stable access_token that survives Redis hiccups, refresh
// and a single retry on token errors, idempotent mass sends (clientmsgid),
// previews that cannot poison later sends, typed errors and their
// classification; and the article path the SDK covers badly or not at all:
// image uploads from memory (material.go), the draft box and free
// publishing (draft.go), data-cube reads and followers with WeChat's date
// limits (datacube.go), and template field rules and subscription notices
// (template.go).
//
// The SDK's root package is deliberately not imported: its init() sets the
// global logrus logger to Debug on stdout, which makes the SDK's server log
// residents' messages.
//
// # Process globals
//
// The SDK sends every request through two process globals: util.DefaultHTTPClient
// and the URI modifier installed by UseAPIBase. Set both once in cmd, before
// creating a Client; never change them while requests are in flight.
//
// # Error classification
//
// Methods return *APIError for WeChat errcodes, *HTTPError for non-200
// statuses and wrapped net/http errors otherwise. The Client already
// refreshes the token and retries once on a token error, so callers only
// decide between retrying later (IsTransient, RetryAfter) and giving up
// (IsPermanent):
//
//	errcode / condition                     class      why
//	40001, 42001, 40014                     token      stale or invalid access_token; if it still surfaces
//	                                                   after the internal retry, it is also transient
//	-1                                      transient  system busy: back off
//	45009                                   transient  daily API quota used up: wait for 00:00 Beijing time
//	                                                   (RetryAfter); a quota, so never fail a campaign on it
//	45011                                   transient  per-minute API frequency limit: wait a minute
//	45066                                   transient  same clientmsgid retried too fast: wait a minute
//	HTTP 5xx / 429, network errors,         transient  the request may or may not have arrived; only
//	timeouts                                           idempotent sends (clientmsgid) are safe to repeat
//	43004 unsubscribed, 43019 blacklisted,  permanent  this recipient cannot get this message;
//	40003 invalid openid,                              retrying changes nothing
//	45015 outside the 48 h window,
//	45047 customer-service count exceeded
//	45028 no mass-send quota,               permanent  account state or request is wrong: needs a human
//	48003 mass agreement not accepted,                 or the next quota period
//	45067 clientmsgid too long,
//	40037 bad template_id, 40007 bad media_id,
//	48001 API not authorised, ErrInvalidRequest
//	43101 notice not subscribed / refused,  permanent  this resident cannot get this notice
//	47003 field value breaks its type rule,            the request must change first
//	40113 image type, 45001 image size,
//	61501 data-cube date range
//	any errcode from the token endpoint     permanent  wrong appid/secret or server IP not whitelisted
//	  except -1, 45009, 45011
//	45065 clientmsgid already sent          success    MassSend returns the original msg_id instead
//	anything else                           unknown    neither: retry a bounded number of times at most
package wechat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/silenceper/wechat/v2/credential"
	"github.com/silenceper/wechat/v2/officialaccount"
	oaconfig "github.com/silenceper/wechat/v2/officialaccount/config"
	oacontext "github.com/silenceper/wechat/v2/officialaccount/context"
	"github.com/silenceper/wechat/v2/util"
)

// APIBase is the real WeChat API origin, as hard-coded in the SDK.
const APIBase = "https://api.weixin.qq.com"

// MPBase is the origin serving QR code images (showqrcode); UseAPIBase
// points it at the same simulator or proxy as the API.
const MPBase = "https://mp.weixin.qq.com"

// UseAPIBase points every SDK request at apiBase (a simulator or proxy); ""
// or APIBase restores the real API. It sets a process global: call it once
// in cmd.
func UseAPIBase(apiBase string) {
	util.SetURIModifier(apiBaseModifier(apiBase))
}

// apiBaseModifier returns nil for the real API so the SDK skips the hook.
func apiBaseModifier(apiBase string) util.URIModifier {
	apiBase = strings.TrimRight(apiBase, "/")
	if apiBase == "" || apiBase == APIBase {
		return nil
	}
	return func(uri string) string {
		if rest, ok := strings.CutPrefix(uri, APIBase); ok {
			return apiBase + rest
		}
		// QR images come from the MP origin; a simulator serves both.
		if rest, ok := strings.CutPrefix(uri, MPBase); ok {
			return apiBase + rest
		}
		return uri
	}
}

// HTTPClient returns a client suitable for util.DefaultHTTPClient, whose
// default (http.DefaultClient) has no timeout and would let one stuck
// request hang a sender forever.
func HTTPClient(timeout time.Duration) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 16 // all traffic goes to one host
	return &http.Client{Timeout: timeout, Transport: t}
}

// Config identifies the official account.
type Config struct {
	AppID     string
	AppSecret string
}

func (c Config) validate() error {
	switch {
	case c.AppID == "":
		return errors.New("wechat: config: AppID is empty")
	case c.AppSecret == "":
		return errors.New("wechat: config: AppSecret is empty")
	case strings.TrimSpace(c.AppID) != c.AppID:
		return errors.New("wechat: config: AppID has leading or trailing whitespace")
	case strings.TrimSpace(c.AppSecret) != c.AppSecret:
		return errors.New("wechat: config: AppSecret has leading or trailing whitespace")
	}
	return nil
}

// Client calls the official-account API. It is safe for concurrent use.
type Client struct {
	oa       *officialaccount.OfficialAccount
	cache    *Cache
	tokenKey string
	log      *slog.Logger
	now      func() time.Time // the data cube's date limits depend on it; tests set it
}

// New returns a Client whose access_token is shared through ts. logger may
// be nil (slog.Default). New changes no global state.
func New(cfg Config, ts TokenStore, logger *slog.Logger) (*Client, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if ts == nil {
		return nil, errors.New("wechat: token store is nil")
	}
	if logger == nil {
		logger = slog.Default()
	}
	c := NewCache(ts, logger)
	oa := officialaccount.NewOfficialAccount(&oaconfig.Config{
		AppID:     cfg.AppID,
		AppSecret: cfg.AppSecret,
		Cache:     c,
		// Stable tokens: a replica fetching one does not invalidate the
		// others' (the classic /cgi-bin/token does).
		UseStableAK: true,
	})
	return &Client{
		oa:    oa,
		cache: c,
		// Must match credential.StableAccessToken's key, so that
		// invalidation deletes what the SDK reads.
		tokenKey: fmt.Sprintf("%s_stable_access_token_%s", credential.CacheKeyOfficialAccountPrefix, cfg.AppID),
		log:      logger,
		now:      time.Now,
	}, nil
}

// UseClock makes the client judge the data cube's finished days by now
// instead of the wall clock, for a test or a demo run on a fake clock. Call
// it before the client is shared.
func (c *Client) UseClock(now func() time.Time) { c.now = now }

// fixedToken hands the SDK exactly the token withToken fetched, so that on a
// token error we know which value failed.
type fixedToken string

func (t fixedToken) GetAccessToken() (string, error) { return string(t), nil }

// sdk returns an SDK context bound to token. SDK API objects built on it are
// cheap and per call, which also keeps Broadcast.Preview from flipping a
// shared instance into preview mode.
func (c *Client) sdk(token string) *oacontext.Context {
	return &oacontext.Context{Config: c.oa.GetContext().Config, AccessTokenHandle: fixedToken(token)}
}

// withToken runs call with the shared access_token. On a token error it
// deletes the cached token, but only if it is still the one that failed (a
// replica may already have stored a fresh one), and retries exactly once.
func (c *Client) withToken(ctx context.Context, api string, call func(token string) error) error {
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("wechat: %s: %w", api, err)
		}
		token, err := c.oa.GetAccessTokenContext(ctx)
		if err != nil {
			return wrapErr(apiToken, err)
		}
		err = wrapErr(api, call(token))
		if err == nil || attempt > 0 || !IsTokenError(err) {
			return err
		}
		deleted, cerr := c.cache.compareAndDelete(ctx, c.tokenKey, token)
		if cerr != nil {
			// The retry still gets a fresh token: memory no longer holds
			// the failed one, and a Redis miss or error leads to a fetch.
			c.log.WarnContext(ctx, "wechat: could not drop failed token", slog.String("api", api), slog.Any("err", cerr))
		}
		code, _ := ErrCode(err)
		c.log.InfoContext(ctx, "wechat: token rejected, retrying once",
			slog.String("api", api), slog.Int("errcode", code), slog.Bool("deleted", deleted))
	}
}

// errResponse is the errcode/errmsg every API response may carry.
type errResponse struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

// apiURL builds an API URL; the SDK's URI modifier rewrites it like the
// SDK's own.
func apiURL(path, token string, query url.Values) string {
	if query == nil {
		query = url.Values{}
	}
	query.Set("access_token", token)
	return APIBase + path + "?" + query.Encode()
}

// postJSON posts body for the requests pufa sends itself and returns the raw
// response for the caller to decode.
func postJSON(ctx context.Context, path, token string, body any) ([]byte, error) {
	return util.PostJSONContext(ctx, apiURL(path, token, nil), body)
}

// decode unmarshals resp into out and returns an *APIError for a non-zero
// errcode.
func decode(api string, resp []byte, out any) error {
	var e errResponse
	if err := json.Unmarshal(resp, &e); err != nil {
		return fmt.Errorf("wechat: %s: decode response: %w", api, err)
	}
	if e.ErrCode != 0 {
		return &APIError{API: api, Code: e.ErrCode, Msg: e.ErrMsg}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(resp, out); err != nil {
		return fmt.Errorf("wechat: %s: decode response: %w", api, err)
	}
	return nil
}
