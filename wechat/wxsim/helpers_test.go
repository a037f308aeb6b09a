package wxsim

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pufa-dev/pufa/wechat/msgcrypt"
	"github.com/silenceper/wechat/v2/cache"
	"github.com/silenceper/wechat/v2/officialaccount"
	"github.com/silenceper/wechat/v2/officialaccount/config"
	"github.com/silenceper/wechat/v2/util"
)

const (
	testAppID  = "wxsimtest0000001"
	testSecret = "test-secret"
	testToken  = "test-token"
	testAESKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
)

// sdkTarget is where the SDK's rewritten URLs point; tests that use the SDK
// set it and must not run in parallel.
var sdkTarget atomic.Pointer[string]

func TestMain(m *testing.M) {
	util.SetURIModifier(func(u string) string {
		if p := sdkTarget.Load(); p != nil {
			return strings.Replace(u, "https://api.weixin.qq.com", *p, 1)
		}
		return u
	})
	os.Exit(m.Run())
}

// fakeClock is a settable Options.Now.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: time.Date(2025, 3, 1, 9, 0, 0, 0, time.Local)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// newSim starts a simulator with test credentials filled in.
func newSim(t *testing.T, opts Options) (*Server, *httptest.Server) {
	t.Helper()
	if opts.AppID == "" {
		opts.AppID, opts.AppSecret = testAppID, testSecret
	}
	if opts.Token == "" {
		opts.Token = testToken
	}
	if opts.Mode != "" && opts.Mode != ModePlain && opts.EncodingAESKey == "" {
		opts.EncodingAESKey = testAESKey
	}
	sim, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ts := httptest.NewServer(sim)
	t.Cleanup(func() {
		ts.Close()
		sim.Close()
	})
	return sim, ts
}

// newSDK points the SDK at ts and returns an official account using it.
func newSDK(t *testing.T, ts *httptest.Server, stable bool) *officialaccount.OfficialAccount {
	t.Helper()
	base := ts.URL
	sdkTarget.Store(&base)
	t.Cleanup(func() { sdkTarget.Store(nil) })
	return officialaccount.NewOfficialAccount(&config.Config{
		AppID: testAppID, AppSecret: testSecret, Cache: cache.NewMemory(), UseStableAK: stable,
	})
}

// call posts body (GET when nil) to path and decodes the JSON answer.
func call(t *testing.T, ts *httptest.Server, path string, body any) map[string]any {
	t.Helper()
	var resp *http.Response
	var err error
	if body == nil {
		resp, err = http.Get(ts.URL + path)
	} else {
		b, _ := json.Marshal(body)
		resp, err = http.Post(ts.URL+path, "application/json", bytes.NewReader(b))
	}
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("%s: decode: %v", path, err)
	}
	return out
}

// getToken fetches an access token the plain way.
func getToken(t *testing.T, ts *httptest.Server) string {
	t.Helper()
	res := call(t, ts, "/cgi-bin/token?grant_type=client_credential&appid="+testAppID+"&secret="+testSecret, nil)
	tok, _ := res["access_token"].(string)
	if tok == "" {
		t.Fatalf("no token: %v", res)
	}
	return tok
}

func errcode(res map[string]any) int {
	n, _ := res["errcode"].(float64)
	return int(n)
}

func num(res map[string]any, key string) int64 {
	n, _ := res[key].(float64)
	return int64(n)
}

// received is one callback as a receiver saw it.
type received struct {
	Query url.Values
	Body  []byte // as posted
	Plain []byte // the message XML, decrypted when encrypted
	Msg   struct {
		ToUserName, FromUserName, MsgType, Content, Event, EventKey, Ticket, Status string
		CreateTime, MsgId, MsgID                                                    int64
		TotalCount, FilterCount, SentCount, ErrorCount                              int
	}
}

// receiver plays pufa's callback endpoint: it checks signatures like pufa
// must, decrypts, records each attempt and answers with reply.
type receiver struct {
	t      *testing.T
	cipher *msgcrypt.Cipher
	mu     sync.Mutex
	got    []received
	srv    *httptest.Server
}

func newReceiver(t *testing.T, reply func(n int, r received) (int, []byte)) *receiver {
	t.Helper()
	c, err := msgcrypt.NewCipher(testAESKey, testAppID)
	if err != nil {
		t.Fatal(err)
	}
	rc := &receiver{t: t, cipher: c}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var got received
		got.Query = r.URL.Query()
		got.Body, _ = io.ReadAll(r.Body)
		got.Plain = got.Body
		q := got.Query
		if !msgcrypt.Verify(q.Get("signature"), testToken, q.Get("timestamp"), q.Get("nonce")) {
			t.Errorf("bad signature in %v", q)
		}
		if q.Get("encrypt_type") == "aes" {
			var env struct{ Encrypt string }
			if err := xml.Unmarshal(got.Body, &env); err != nil {
				t.Errorf("envelope: %v", err)
			}
			if !msgcrypt.Verify(q.Get("msg_signature"), testToken, q.Get("timestamp"), q.Get("nonce"), env.Encrypt) {
				t.Errorf("bad msg_signature")
			}
			plain, err := c.Decrypt(env.Encrypt)
			if err != nil {
				t.Errorf("decrypt: %v", err)
			}
			got.Plain = plain
		}
		if err := xml.Unmarshal(got.Plain, &got.Msg); err != nil {
			t.Errorf("message XML %q: %v", got.Plain, err)
		}
		rc.mu.Lock()
		rc.got = append(rc.got, got)
		n := len(rc.got)
		rc.mu.Unlock()
		status, body := reply(n, got)
		w.WriteHeader(status)
		w.Write(body)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) all() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

// seal encrypts a reply as pufa must in safe mode.
func (rc *receiver) seal(body []byte) []byte {
	b, err := rc.cipher.SealReply(testToken, body, time.Now().Unix(), "12345")
	if err != nil {
		rc.t.Fatal(err)
	}
	return b
}

func textReply(to, content string) []byte {
	var x xmlBuilder
	x.begin(to, "gh_wxsim0000001", time.Now(), "text")
	x.cdata("Content", content)
	return x.end()
}

// waitFor polls cond until it holds or a second passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
