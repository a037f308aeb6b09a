package bot

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pufa-dev/pufa/store"
	"github.com/pufa-dev/pufa/store/storetest"
	"github.com/pufa-dev/pufa/wechat/msgcrypt"
)

const (
	testToken  = "pufatoken"
	testAppID  = "wx0123456789abcdef"
	testAESKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	testOpenID = "o_resident_1"
)

// messenger records late customer-service messages.
type messenger struct {
	mu   sync.Mutex
	sent []string
}

func (m *messenger) SendText(_ context.Context, openid, content string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent = append(m.sent, openid+": "+content)
	return nil
}

func (m *messenger) messages() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.sent...)
}

// fixture is an endpoint on a real Redis with a counting handler in front.
type fixture struct {
	t     *testing.T
	st    *store.Store
	ep    *Endpoint
	srv   *httptest.Server
	late  *messenger
	calls atomic.Int64
	logs  *bytes.Buffer
	now   time.Time
	mode  Mode // the endpoint's; requests default to it
	// nonces makes every callback's nonce unique, as WeChat's are: one
	// signed URL carries one body.
	nonces atomic.Uint64
}

type fixtureOpt func(*Options)

// inMode configures the endpoint for mode, with the AES key it needs.
func inMode(mode Mode) fixtureOpt {
	return func(o *Options) {
		o.Mode, o.EncodingAESKey = mode, ""
		if mode != ModePlain {
			o.EncodingAESKey = testAESKey
		}
	}
}

// newFixture serves an endpoint in plain mode unless an option says otherwise.
func newFixture(t *testing.T, h Handler, opts ...fixtureOpt) *fixture {
	t.Helper()
	f := &fixture{t: t, st: storetest.New(t), late: &messenger{}, logs: &bytes.Buffer{}, now: time.Now()}
	counted := HandlerFunc(func(ctx context.Context, m *Message) (Reply, error) {
		f.calls.Add(1)
		return h.Handle(ctx, m)
	})
	o := Options{
		Token: testToken, AppID: testAppID, Mode: ModePlain,
		MaxClockSkew: 5 * time.Minute, Deadline: time.Second,
		Handler: counted, Dedup: f.st, Late: f.late, Counter: f.st,
		Logger: slog.New(slog.NewTextHandler(&lockedWriter{w: f.logs}, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:    func() time.Time { return f.now },
	}
	for _, fn := range opts {
		fn(&o)
	}
	ep, err := NewEndpoint(o)
	if err != nil {
		t.Fatal(err)
	}
	f.ep, f.mode = ep, o.Mode
	f.srv = httptest.NewServer(ep)
	t.Cleanup(f.srv.Close)
	return f
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// request describes one callback as WeChat would send it.
type request struct {
	mode      string // plain, compatible, safe; default the fixture's mode
	body      string // message XML
	outer     string // compatible mode: plaintext fields beside the ciphertext; default those of body
	timestamp int64
	nonce     string
	token     string // signing token; default testToken
	appID     string // sealed appid; default testAppID
	msgSig    string // override msg_signature

	noEncryptType, noMsgSig bool // drop the query parameter
}

// wire is a callback's exact URL and body, so that a test can send the very
// same bytes again, as WeChat's retries do.
type wire struct{ url, body string }

func (f *fixture) post(r request) *http.Response {
	f.t.Helper()
	return f.send(f.build(r))
}

func (f *fixture) build(r request) wire {
	f.t.Helper()
	if r.mode == "" {
		r.mode = map[Mode]string{ModePlain: "plain", ModeCompat: "compatible", ModeSafe: "safe"}[f.mode]
	}
	if r.timestamp == 0 {
		r.timestamp = f.now.Unix()
	}
	if r.nonce == "" {
		r.nonce = strconv.FormatUint(f.nonces.Add(1), 10)
	}
	if r.token == "" {
		r.token = testToken
	}
	ts := strconv.FormatInt(r.timestamp, 10)
	q := url.Values{"timestamp": {ts}, "nonce": {r.nonce}, "openid": {testOpenID},
		"signature": {msgcrypt.Sign(r.token, ts, r.nonce)}}
	body := r.body
	if r.mode == "safe" || r.mode == "compatible" {
		appID := r.appID
		if appID == "" {
			appID = testAppID
		}
		c, err := msgcrypt.NewCipher(testAESKey, appID)
		if err != nil {
			f.t.Fatal(err)
		}
		enc, err := c.Encrypt(nil, []byte(r.body))
		if err != nil {
			f.t.Fatal(err)
		}
		inner := ""
		if r.mode == "compatible" {
			outer := r.outer
			if outer == "" {
				outer = r.body
			}
			inner = strings.TrimSuffix(strings.TrimPrefix(outer, "<xml>"), "</xml>")
		}
		body = "<xml><ToUserName><![CDATA[gh_test]]></ToUserName>" + inner + "<Encrypt><![CDATA[" + enc + "]]></Encrypt></xml>"
		sig := msgcrypt.Sign(r.token, ts, r.nonce, enc)
		if r.msgSig != "" {
			sig = r.msgSig
		}
		if !r.noEncryptType {
			q.Set("encrypt_type", "aes")
		}
		if !r.noMsgSig {
			q.Set("msg_signature", sig)
		}
	}
	return wire{url: f.srv.URL + "/wechat?" + q.Encode(), body: body}
}

func (f *fixture) send(w wire) *http.Response {
	f.t.Helper()
	resp, err := http.Post(w.url, "text/xml", strings.NewReader(w.body))
	if err != nil {
		f.t.Fatal(err)
	}
	return resp
}

func readBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// keyCount counts the Redis keys the test's store holds.
func (f *fixture) keyCount() int {
	f.t.Helper()
	ctx := context.Background()
	keys, err := f.st.Client().Keys(ctx, f.st.Prefix()+"*").Result()
	if err != nil {
		f.t.Fatal(err)
	}
	return len(keys)
}

// stateKeyCount counts the keys other than the signed-URL bindings that
// every accepted callback leaves for the clock-skew window.
func (f *fixture) stateKeyCount() int {
	f.t.Helper()
	keys, err := f.st.Client().Keys(context.Background(), f.st.Prefix()+"*").Result()
	if err != nil {
		f.t.Fatal(err)
	}
	n := 0
	for _, k := range keys {
		if !strings.HasPrefix(k, f.st.Prefix()+"callsig:") {
			n++
		}
	}
	return n
}

func textXML(openid, content string, msgID int64, created int64) string {
	return fmt.Sprintf("<xml><ToUserName><![CDATA[gh_test]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName>"+
		"<CreateTime>%d</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[%s]]></Content><MsgId>%d</MsgId></xml>",
		openid, created, content, msgID)
}

func eventXML(openid, event, key string, created int64) string {
	return fmt.Sprintf("<xml><ToUserName><![CDATA[gh_test]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName>"+
		"<CreateTime>%d</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[%s]]></Event><EventKey><![CDATA[%s]]></EventKey></xml>",
		openid, created, event, key)
}

// decodeReply opens a passive reply, decrypting a safe-mode envelope.
func decodeReply(t *testing.T, body string) Message {
	t.Helper()
	var env struct {
		Encrypt, MsgSignature, TimeStamp, Nonce string
	}
	if err := xml.Unmarshal([]byte(body), &env); err == nil && env.Encrypt != "" {
		if !msgcrypt.Verify(env.MsgSignature, testToken, env.TimeStamp, env.Nonce, env.Encrypt) {
			t.Fatalf("reply msg_signature does not verify")
		}
		c, _ := msgcrypt.NewCipher(testAESKey, testAppID)
		plain, err := c.Decrypt(env.Encrypt)
		if err != nil {
			t.Fatalf("decrypt reply: %v", err)
		}
		body = string(plain)
	}
	var m Message
	if err := xml.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("reply %q is not XML: %v", body, err)
	}
	return m
}

func echo(text string) Handler {
	return HandlerFunc(func(_ context.Context, m *Message) (Reply, error) {
		return Reply{Text: text + m.Content}, nil
	})
}

func TestURLVerification(t *testing.T) {
	f := newFixture(t, echo(""))
	now := strconv.FormatInt(f.now.Unix(), 10)
	tests := []struct {
		name       string
		sig, ts    string
		wantStatus int
		wantBody   string
	}{
		{"valid", msgcrypt.Sign(testToken, now, "n1"), now, 200, "echo-123"},
		{"forged", msgcrypt.Sign("other", now, "n1"), now, 403, ""},
		{"stale", msgcrypt.Sign(testToken, "1000", "n1"), "1000", 403, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := url.Values{"signature": {tt.sig}, "timestamp": {tt.ts}, "nonce": {"n1"}, "echostr": {"echo-123"}}
			resp, err := http.Get(f.srv.URL + "/wechat?" + q.Encode())
			if err != nil {
				t.Fatal(err)
			}
			body := readBody(t, resp)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if tt.wantStatus == 200 && body != tt.wantBody {
				t.Errorf("body %q, want %q", body, tt.wantBody)
			}
		})
	}
}

func TestRejectionsHaveNoSideEffects(t *testing.T) {
	fixtures := map[Mode]*fixture{ModePlain: newFixture(t, echo("re:")), ModeSafe: newFixture(t, echo("re:"), inMode(ModeSafe))}
	now := fixtures[ModePlain].now
	msg := textXML(testOpenID, "你好", 1001, now.Unix())
	tests := []struct {
		name       string
		mode       Mode
		req        request
		wantStatus int
		wantLog    string
	}{
		{"forged signature", ModePlain, request{body: msg, token: "wrong"}, 403, "bad signature"},
		{"old timestamp (replay)", ModePlain, request{body: msg, timestamp: now.Add(-6 * time.Minute).Unix()}, 403, "max_clock_skew"},
		{"future timestamp", ModePlain, request{body: msg, timestamp: now.Add(6 * time.Minute).Unix()}, 403, "max_clock_skew"},
		{"body over 64 KiB", ModePlain, request{body: textXML(testOpenID, strings.Repeat("长", 30000), 1, now.Unix())}, 413, "body too large"},
		{"malformed XML", ModePlain, request{body: "<xml><FromUserName>x</From"}, 400, "malformed message"},
		{"not a callback", ModePlain, request{body: "<xml><a>1</a></xml>"}, 400, "malformed message"},
		{"entity tricks", ModePlain, request{body: `<!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml><FromUserName>&x;</FromUserName><MsgType>text</MsgType></xml>`}, 400, "malformed message"},
		{"deeply nested", ModePlain, request{body: "<xml>" + strings.Repeat("<a>", 5000) + strings.Repeat("</a>", 5000) + "</xml>"}, 400, "malformed message"},
		{"invalid UTF-8", ModePlain, request{body: textXML(testOpenID, "\xff\xfe法", 1002, now.Unix())}, 400, "malformed message"},
		{"forged msg_signature", ModeSafe, request{body: msg, msgSig: "deadbeef"}, 403, "bad msg_signature"},
		{"wrong appid after decryption", ModeSafe, request{body: msg, appID: "wxattacker"}, 403, "appid mismatch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := fixtures[tt.mode]
			f.logs.Reset()
			resp := f.post(tt.req)
			readBody(t, resp)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if !strings.Contains(f.logs.String(), tt.wantLog) {
				t.Errorf("log %q lacks %q", f.logs.String(), tt.wantLog)
			}
		})
	}
	for mode, f := range fixtures {
		if n := f.calls.Load(); n != 0 {
			t.Errorf("%s: handler called %d times for rejected callbacks", mode, n)
		}
		if n := f.keyCount(); n != 0 {
			t.Errorf("%s: rejected callbacks left %d keys in Redis", mode, n)
		}
	}
}

// TestPlaintextRefusedInEncryptedModes: in compat and safe mode only the
// decrypted message counts. A POST that keeps a captured URL signature but
// drops encrypt_type or msg_signature would otherwise let anyone speak for
// any resident in plaintext for the skew window (issue 12, item 1).
func TestPlaintextRefusedInEncryptedModes(t *testing.T) {
	for _, mode := range []Mode{ModeCompat, ModeSafe} {
		t.Run(string(mode), func(t *testing.T) {
			f := newFixture(t, echo("re:"), inMode(mode))
			forged := textXML("o_victim", "转人工", 4001, f.now.Unix())
			tests := []struct {
				name    string
				req     request
				wantLog string
			}{
				{"plaintext with the URL signature only", request{mode: "plain", body: forged}, "msg_signature"},
				{"encrypted without msg_signature", request{body: forged, noMsgSig: true}, "msg_signature"},
				{"msg_signature without encrypt_type", request{body: forged, noEncryptType: true}, "msg_signature"},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					f.logs.Reset()
					resp := f.post(tt.req)
					readBody(t, resp)
					if resp.StatusCode != http.StatusForbidden {
						t.Errorf("status %d, want 403", resp.StatusCode)
					}
					if !strings.Contains(f.logs.String(), tt.wantLog) {
						t.Errorf("log %q lacks %q", f.logs.String(), tt.wantLog)
					}
				})
			}
			if n := f.calls.Load(); n != 0 {
				t.Errorf("handler called %d times for refused callbacks", n)
			}
			if n := f.keyCount(); n != 0 {
				t.Errorf("refused callbacks left %d keys in Redis", n)
			}
		})
	}
}

// TestCompatModeUsesOnlyTheDecryptedMessage: the plaintext fields beside
// the ciphertext are not signed, so they are ignored.
func TestCompatModeUsesOnlyTheDecryptedMessage(t *testing.T) {
	var got atomic.Value
	f := newFixture(t, HandlerFunc(func(_ context.Context, m *Message) (Reply, error) {
		got.Store(m.FromUserName + " " + m.Content)
		return Reply{Text: "ok"}, nil
	}), inMode(ModeCompat))
	resp := f.post(request{body: textXML(testOpenID, "你好", 4101, f.now.Unix()), outer: textXML("o_victim", "转人工", 4101, f.now.Unix())})
	if readBody(t, resp); resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if g, _ := got.Load().(string); g != testOpenID+" 你好" {
		t.Errorf("handler saw %q, want the decrypted message from %s", g, testOpenID)
	}
}

// TestOneSignedURLCarriesOneBody: in every mode, the body a signed URL
// first carried is remembered for the skew window. WeChat's retry (the same
// URL and body) is answered as before, byte for byte; the same URL with
// another body is refused and changes nothing.
func TestOneSignedURLCarriesOneBody(t *testing.T) {
	for _, mode := range []Mode{ModePlain, ModeCompat, ModeSafe} {
		t.Run(string(mode), func(t *testing.T) {
			var n atomic.Int64
			f := newFixture(t, HandlerFunc(func(_ context.Context, m *Message) (Reply, error) {
				return Reply{Text: fmt.Sprintf("answer #%d to %s", n.Add(1), m.FromUserName)}, nil
			}), inMode(mode))
			genuine := f.build(request{body: textXML(testOpenID, "离婚冷静期", 4201, f.now.Unix()), nonce: "4242"})
			first := readBody(t, f.send(genuine))
			keys := f.keyCount()

			for _, forged := range []string{
				textXML("o_victim", "转人工", 4202, f.now.Unix()),
				eventXML("o_victim", "unsubscribe", "", f.now.Unix()),
			} {
				resp := f.post(request{body: forged, nonce: "4242"}) // the captured URL, another body
				readBody(t, resp)
				if resp.StatusCode != http.StatusForbidden {
					t.Errorf("reused URL with another body: status %d, want 403", resp.StatusCode)
				}
			}
			if !strings.Contains(f.logs.String(), "signed URL already carried another body") {
				t.Errorf("log lacks the reason:\n%s", f.logs.String())
			}
			if f.calls.Load() != 1 || f.keyCount() != keys {
				t.Errorf("refused bodies ran the handler %d times and added %d keys", f.calls.Load()-1, f.keyCount()-keys)
			}

			resp := f.send(genuine) // WeChat's retry
			if retry := readBody(t, resp); resp.StatusCode != 200 || retry != first {
				t.Errorf("retry: status %d, reply differs:\n%s\n%s", resp.StatusCode, first, retry)
			}
			if got := decodeReply(t, first).Content; got != "answer #1 to "+testOpenID {
				t.Errorf("reply %q", got)
			}
			if f.calls.Load() != 1 {
				t.Errorf("handler ran %d times, want 1", f.calls.Load())
			}
		})
	}
}

func TestClockSkewZeroDisablesCheck(t *testing.T) {
	f := newFixture(t, echo("re:"), func(o *Options) { o.MaxClockSkew = 0 })
	resp := f.post(request{body: textXML(testOpenID, "hi", 7, 1000), timestamp: 1000})
	if got := decodeReply(t, readBody(t, resp)).Content; got != "re:hi" {
		t.Errorf("reply %q, want re:hi", got)
	}
}

func TestEncryptedCallbackWithoutKeyIsRefused(t *testing.T) {
	f := newFixture(t, echo(""), func(o *Options) { o.EncodingAESKey = "" })
	resp := f.post(request{mode: "safe", body: textXML(testOpenID, "hi", 8, f.now.Unix())})
	if readBody(t, resp); resp.StatusCode != 400 {
		t.Errorf("status %d, want 400", resp.StatusCode)
	}
}

func TestModesRoundTrip(t *testing.T) {
	for _, mode := range []Mode{ModePlain, ModeCompat, ModeSafe} {
		t.Run(string(mode), func(t *testing.T) {
			f := newFixture(t, echo("答："), inMode(mode))
			resp := f.post(request{body: textXML(testOpenID, "离婚冷静期多久", 42, f.now.Unix())})
			body := readBody(t, resp)
			if resp.StatusCode != 200 {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			encrypted := strings.Contains(body, "<Encrypt>")
			if encrypted != (mode != ModePlain) {
				t.Errorf("mode %s: reply encrypted=%v", mode, encrypted)
			}
			m := decodeReply(t, body)
			if m.Content != "答：离婚冷静期多久" || m.ToUserName != testOpenID || m.FromUserName != "gh_test" || m.MsgType != "text" {
				t.Errorf("reply %+v", m)
			}
		})
	}
}

func TestUnknownTypesAnswerSuccess(t *testing.T) {
	f := newFixture(t, NewRouter(echo("fallback:")))
	for _, body := range []string{
		`<xml><ToUserName>gh</ToUserName><FromUserName>u1</FromUserName><CreateTime>1</CreateTime><MsgType>image</MsgType><MsgId>9</MsgId></xml>`,
		eventXML("u1", "VIEW", "https://example.org", 2),
		eventXML("u1", "CLICK", "NO_SUCH_KEY", 3),
	} {
		resp := f.post(request{body: body})
		if got := readBody(t, resp); got != "success" || resp.StatusCode != 200 {
			t.Errorf("%s: got %d %q, want 200 success", body, resp.StatusCode, got)
		}
	}
}

func TestRetryGetsSameReplyByteForByte(t *testing.T) {
	for _, mode := range []Mode{ModePlain, ModeSafe} {
		t.Run(string(mode), func(t *testing.T) {
			var n atomic.Int64
			f := newFixture(t, HandlerFunc(func(context.Context, *Message) (Reply, error) {
				return Reply{Text: fmt.Sprintf("answer #%d", n.Add(1))}, nil
			}), inMode(mode))
			req := request{body: textXML(testOpenID, "q", 77, f.now.Unix())}
			first := readBody(t, f.post(req))
			f.now = f.now.Add(2 * time.Second) // a retry is signed anew but carries the same MsgId
			second := readBody(t, f.post(req))
			if first != second {
				t.Errorf("retry reply differs:\n%s\n%s", first, second)
			}
			if f.calls.Load() != 1 {
				t.Errorf("handler ran %d times, want 1", f.calls.Load())
			}
		})
	}
}

func TestConcurrentRetriesProcessOnce(t *testing.T) {
	release := make(chan struct{})
	f := newFixture(t, HandlerFunc(func(context.Context, *Message) (Reply, error) {
		<-release
		return Reply{Text: "已处理"}, nil
	}))
	const retries = 8
	bodies := make([]string, retries)
	var wg sync.WaitGroup
	for i := range retries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			bodies[i] = readBody(t, f.post(request{body: textXML(testOpenID, "q", 88, f.now.Unix())}))
		}()
	}
	time.Sleep(100 * time.Millisecond) // let every retry arrive while the first is processing
	close(release)
	wg.Wait()
	if f.calls.Load() != 1 {
		t.Fatalf("handler ran %d times for one message, want 1", f.calls.Load())
	}
	for i, b := range bodies {
		if b != bodies[0] || decodeReply(t, b).Content != "已处理" {
			t.Errorf("delivery %d got %q, want the first reply %q", i, b, bodies[0])
		}
	}
}

func TestSlowAnswerGoesOutAsCustomerServiceMessage(t *testing.T) {
	f := newFixture(t, HandlerFunc(func(context.Context, *Message) (Reply, error) {
		time.Sleep(300 * time.Millisecond)
		return Reply{Text: "迟到的答案"}, nil
	}), func(o *Options) { o.Deadline = 100 * time.Millisecond })
	req := request{body: textXML(testOpenID, "难题", 99, f.now.Unix())}
	if got := readBody(t, f.post(req)); got != "success" {
		t.Fatalf("reply %q, want success", got)
	}
	if err := f.ep.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := f.late.messages(); len(got) != 1 || got[0] != testOpenID+": 迟到的答案" {
		t.Errorf("late messages %q", got)
	}
	if got := readBody(t, f.post(req)); got != "success" {
		t.Errorf("retry got %q, want the stored success", got)
	}
	if f.calls.Load() != 1 {
		t.Errorf("handler ran %d times", f.calls.Load())
	}
	stats, _ := f.st.DayStats(context.Background(), time.Now())
	if stats[store.MetricLateReplies] != 1 {
		t.Errorf("late replies counted %d, want 1", stats[store.MetricLateReplies])
	}
}

func TestRepliesNeverHaveEmptyText(t *testing.T) {
	tests := []struct {
		name    string
		handler Handler
		want    string // reply content, or "success"
	}{
		{"empty reply", echoConst(""), "success"},
		{"failed handler", HandlerFunc(func(context.Context, *Message) (Reply, error) { return Reply{}, fmt.Errorf("boom") }), apology},
		{"panicking handler", HandlerFunc(func(context.Context, *Message) (Reply, error) { panic("bug") }), apology},
		{"oversized reply", echoConst(strings.Repeat("法", 1000)), strings.Repeat("法", 681) + "…"},
		{"CDATA terminator", echoConst("a]]><x>b"), "a]]><x>b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.handler)
			body := readBody(t, f.post(request{body: textXML(testOpenID, "q", 5, f.now.Unix())}))
			if tt.want == "success" {
				if body != "success" {
					t.Errorf("got %q, want success", body)
				}
				return
			}
			got := decodeReply(t, body).Content
			if got != tt.want {
				t.Errorf("content %q (%d bytes), want %q", got, len(got), tt.want)
			}
			if len(got) > maxReplyBytes {
				t.Errorf("content is %d bytes, over WeChat's %d", len(got), maxReplyBytes)
			}
		})
	}
}

func echoConst(s string) Handler {
	return HandlerFunc(func(context.Context, *Message) (Reply, error) { return Reply{Text: s}, nil })
}

func TestFailedEventIsRetriedByWeChat(t *testing.T) {
	fail := atomic.Bool{}
	fail.Store(true)
	f := newFixture(t, HandlerFunc(func(context.Context, *Message) (Reply, error) {
		if fail.Load() {
			return Reply{}, fmt.Errorf("redis down")
		}
		return Reply{}, nil
	}))
	req := request{body: eventXML(testOpenID, "unsubscribe", "", f.now.Unix())}
	resp := f.post(req)
	if readBody(t, resp); resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503 so that WeChat retries", resp.StatusCode)
	}
	fail.Store(false)
	if got := readBody(t, f.post(req)); got != "success" {
		t.Errorf("retry got %q, want success", got)
	}
	if f.calls.Load() != 2 {
		t.Errorf("handler ran %d times, want 2 (the retry must be processed)", f.calls.Load())
	}
}

func TestLogsCarryNoMessageContent(t *testing.T) {
	const secret = "我的身份证号是110101199003071234"
	f := newFixture(t, HandlerFunc(func(context.Context, *Message) (Reply, error) {
		return Reply{}, fmt.Errorf("handler failed")
	}))
	readBody(t, f.post(request{body: textXML(testOpenID, secret, 3, f.now.Unix())}))
	readBody(t, f.post(request{body: textXML(testOpenID, secret, 3, f.now.Unix()), token: "bad"}))
	if strings.Contains(f.logs.String(), "110101199003071234") {
		t.Errorf("logs contain the message content:\n%s", f.logs.String())
	}
	if f.logs.Len() == 0 {
		t.Error("expected log lines for the failure and the rejection")
	}
}

// dedupCounter counts the claims and stored replies of the endpoint.
type dedupCounter struct {
	Deduper
	claims, answers atomic.Int64
}

func (d *dedupCounter) ClaimCallback(ctx context.Context, openid, id string, lease time.Duration) (store.Claim, error) {
	d.claims.Add(1)
	return d.Deduper.ClaimCallback(ctx, openid, id, lease)
}

func (d *dedupCounter) AnswerCallback(ctx context.Context, openid, id string, reply []byte, ttl time.Duration) error {
	d.answers.Add(1)
	return d.Deduper.AnswerCallback(ctx, openid, id, reply, ttl)
}

// observations counts what the endpoint reports to its Observer.
type observations struct{ n atomic.Int64 }

func (o *observations) ObserveCallback(*Message, Reply, error, time.Duration) { o.n.Add(1) }

// inQuiz claims every text of a resident in a session, as the quiz does.
type inQuiz struct{}

func (inQuiz) HandleText(_ context.Context, m *Message) (Reply, bool, error) {
	return Reply{Text: "请作答"}, m.Session != "", nil
}
func (inQuiz) InstantText(*Message) (Reply, Verdict) { return Reply{}, Pass }

func TestKeywordReplyKeepsNoDedupRecord(t *testing.T) {
	k, err := ParseKeywords(strings.NewReader(rulesYAML))
	if err != nil {
		t.Fatal(err)
	}
	r := NewRouter(echoConst("兜底"))
	r.HandleText(inQuiz{})
	r.HandleText(k)
	for _, mode := range []Mode{ModePlain, ModeSafe} {
		t.Run(string(mode), func(t *testing.T) {
			f := newFixture(t, echo("unused"), inMode(mode))
			dedup := &dedupCounter{Deduper: f.st}
			obs := &observations{}
			o := Options{Token: testToken, AppID: testAppID, Mode: mode, Handler: r,
				Dedup: dedup, Late: f.late, Counter: f.st, Observer: obs, Now: func() time.Time { return f.now }}
			if mode != ModePlain {
				o.EncodingAESKey = testAESKey
			}
			ep, err := NewEndpoint(o)
			if err != nil {
				t.Fatal(err)
			}
			f.srv.Config.Handler = ep
			ctx := context.Background()
			now := time.Now()
			if _, _, err := f.st.StartQuiz(ctx, store.QuizStart{Quiz: "q2026", OpenID: "o_quiz", Order: []string{"q1"},
				At: now, Closes: now.Add(time.Hour), Idle: time.Minute}); err != nil {
				t.Fatal(err)
			}
			keys := f.stateKeyCount()
			req := request{body: textXML(testOpenID, "你好", 500, f.now.Unix())}
			for _, delivery := range []string{"first", "retry"} {
				if got := decodeReply(t, readBody(t, f.post(req))).Content; got != "您好" {
					t.Errorf("%s delivery: reply %q, want the keyword reply", delivery, got)
				}
				f.now = f.now.Add(2 * time.Second) // a retry is signed anew but carries the same MsgId
			}
			// Only the signed-URL bindings (callsig:) are left, which hold no
			// openid and expire with the skew window.
			if n := dedup.claims.Load() + dedup.answers.Load(); n != 0 || f.stateKeyCount() != keys {
				t.Errorf("keyword replies made %d claims and stored replies and %d keys; they record nothing", n, f.stateKeyCount()-keys)
			}
			if n := obs.n.Load(); n != 2 {
				t.Errorf("observed %d callbacks, want 2: each keyword delivery is answered anew", n)
			}
			if got := decodeReply(t, readBody(t, f.post(request{body: textXML("o_quiz", "你好", 600, f.now.Unix())}))).Content; got != "请作答" {
				t.Errorf("resident in a quiz got %q; the session must take the text before the keyword", got)
			}
			if c, a := dedup.claims.Load(), dedup.answers.Load(); c != 1 || a != 1 {
				t.Errorf("a text taken by the session made %d claims and stored %d replies, want 1 and 1", c, a)
			}
		})
	}
}

// stalledRedis never answers the claim or the session read, as a frozen
// Redis behind a patient client.
type stalledRedis struct{ Deduper }

func (stalledRedis) ClaimCallback(ctx context.Context, _, _ string, _ time.Duration) (store.Claim, error) {
	<-ctx.Done()
	return store.Claim{}, ctx.Err()
}

func (stalledRedis) Session(ctx context.Context, _ string) (string, error) {
	<-ctx.Done()
	return "", ctx.Err()
}

func TestStalledRedisDoesNotHoldTheReply(t *testing.T) {
	k, err := ParseKeywords(strings.NewReader(rulesYAML))
	if err != nil {
		t.Fatal(err)
	}
	r := NewRouter(echoConst("兜底"))
	r.HandleText(k)
	f := newFixture(t, echo("unused"))
	ep, err := NewEndpoint(Options{Token: testToken, Handler: r, Dedup: stalledRedis{f.st}, Late: f.late, Counter: f.st,
		Deadline: time.Second, Now: func() time.Time { return f.now }})
	if err != nil {
		t.Fatal(err)
	}
	f.srv.Config.Handler = ep
	for _, tt := range []struct{ text, want string }{
		{"你好", "您好"},    // a keyword: answered from memory
		{"离婚冷静期", "兜底"}, // processed without dedup
	} {
		start := time.Now()
		got := decodeReply(t, readBody(t, f.post(request{mode: "plain", body: textXML(testOpenID, tt.text, 900, f.now.Unix())}))).Content
		if took := time.Since(start); got != tt.want || took > time.Second {
			t.Errorf("%q: reply %q after %s; want %q within the 1 s deadline", tt.text, got, took.Round(time.Millisecond), tt.want)
		}
	}
}

// TestUnsubscribeErasesStoredReplies: the replies kept for WeChat's retries
// go with the rest of the resident's data; WeChat's retry of the unsubscribe
// itself is still answered once, not processed again.
func TestUnsubscribeErasesStoredReplies(t *testing.T) {
	var h *Handlers
	f := newFixture(t, HandlerFunc(func(ctx context.Context, m *Message) (Reply, error) {
		r := NewRouter(HandlerFunc(h.HandleFallback))
		h.Register(r)
		return r.Handle(ctx, m)
	}))
	h = &Handlers{Residents: f.st, Welcome: "欢迎", Fallback: "没听懂"}
	ctx := context.Background()
	for i, text := range []string{"转人工：房东不退押金", "邻居噪音扰民怎么办"} {
		if body := readBody(t, f.post(request{body: textXML(testOpenID, text, int64(7001+i), f.now.Unix())})); !strings.Contains(body, "<Content>") {
			t.Fatalf("reply %q", body)
		}
	}
	pattern := f.st.Prefix() + "callback:{" + testOpenID + "}:*"
	if keys, _ := f.st.Client().Keys(ctx, pattern).Result(); len(keys) != 2 {
		t.Fatalf("stored replies %v, want 2", keys)
	}
	unsub := f.build(request{body: eventXML(testOpenID, "unsubscribe", "", f.now.Unix())})
	for _, delivery := range []string{"first", "retry"} {
		resp := f.send(unsub)
		if body := readBody(t, resp); resp.StatusCode != 200 || body != "success" {
			t.Errorf("%s unsubscribe: %d %q", delivery, resp.StatusCode, body)
		}
	}
	keys, _ := f.st.Client().Keys(ctx, pattern).Result()
	for _, k := range keys {
		if v, _ := f.st.Client().Get(ctx, k).Result(); !strings.Contains(k, "unsubscribe") || v != "rsuccess" {
			t.Errorf("after unsubscribing: %s = %q; only the unsubscribe's own record (success) may stay", k, v)
		}
	}
	if stats, _ := f.st.DayStats(ctx, time.Now()); stats[store.MetricUnsubscribes] != 1 {
		t.Errorf("unsubscribes counted %d, want 1: the retry is answered from its record", stats[store.MetricUnsubscribes])
	}
}
