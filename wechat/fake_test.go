package wechat

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/silenceper/wechat/v2/util"
	"github.com/sirupsen/logrus"

	"github.com/pufa-dev/pufa/store/storetest"
)

const (
	testAppID  = "wx0123456789abcdef"
	testSecret = "s3cr3t-app-secret"
)

// testBase is where the URI modifier sends SDK requests. util's modifier is
// a process global, so it is installed once and reads this; tests using it
// must not call t.Parallel.
var testBase struct {
	sync.Mutex
	url string
}

func TestMain(m *testing.M) {
	// Importing the SDK's root package anywhere in the binary would have
	// run its init(), which sets logrus to Debug.
	if logrus.GetLevel() == logrus.DebugLevel {
		fmt.Fprintln(os.Stderr, "logrus is at Debug before any test: the SDK root package got imported")
		os.Exit(1)
	}
	util.SetURIModifier(func(uri string) string {
		testBase.Lock()
		base := testBase.url
		testBase.Unlock()
		if base == "" {
			base = "http://127.0.0.1:1" // never reach the real API from tests
		}
		if rest, ok := strings.CutPrefix(uri, APIBase); ok {
			return base + rest
		}
		return uri
	})
	util.DefaultHTTPClient = HTTPClient(5 * time.Second)
	os.Exit(m.Run())
}

type fakeReq struct {
	Path  string
	Token string
	Query url.Values
	Body  []byte
}

// json decodes the request body into a generic map for field assertions.
func (r fakeReq) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("%s: request body %q: %v", r.Path, r.Body, err)
	}
	return m
}

type reply struct {
	status int
	body   string
}

// fakeWX is a scripted WeChat API: it issues tokens in order, rejects
// tokens marked invalid with 40001, and answers each path from a queue of
// scripted replies or a default success.
type fakeWX struct {
	srv *httptest.Server

	mu      sync.Mutex
	tokens  []string // issued in order; the last one repeats
	issued  int
	invalid map[string]bool
	calls   map[string]int
	reqs    []fakeReq
	replies map[string][]reply
	hook    func(fakeReq) // runs before the answer, without the lock
}

var defaultReplies = map[string]string{
	"/cgi-bin/message/custom/send":   `{"errcode":0,"errmsg":"ok"}`,
	"/cgi-bin/message/template/send": `{"errcode":0,"errmsg":"ok","msgid":200228332}`,
	"/cgi-bin/message/mass/sendall":  `{"errcode":0,"errmsg":"send job submission success","msg_id":34182,"msg_data_id":206227730}`,
	"/cgi-bin/message/mass/send":     `{"errcode":0,"errmsg":"send job submission success","msg_id":34183,"msg_data_id":206227731}`,
	"/cgi-bin/message/mass/preview":  `{"errcode":0,"errmsg":"preview success","msg_id":34184}`,
	"/cgi-bin/user/get":              `{"total":0,"count":0,"data":{"openid":[]},"next_openid":""}`,
	"/cgi-bin/tags/get":              `{"tags":[{"id":2,"name":"星标组","count":0},{"id":127,"name":"社区一","count":5}]}`,
	"/cgi-bin/user/tag/get":          `{"count":0,"next_openid":""}`,
	"/cgi-bin/menu/create":           `{"errcode":0,"errmsg":"ok"}`,
}

func newFake(t *testing.T) *fakeWX {
	t.Helper()
	f := &fakeWX{
		tokens:  []string{"tok-1"},
		invalid: map[string]bool{},
		calls:   map[string]int{},
		replies: map[string][]reply{},
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	testBase.Lock()
	testBase.url = f.srv.URL
	testBase.Unlock()
	t.Cleanup(func() {
		testBase.Lock()
		testBase.url = ""
		testBase.Unlock()
	})
	return f
}

func (f *fakeWX) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	req := fakeReq{Path: r.URL.Path, Token: r.URL.Query().Get("access_token"), Query: r.URL.Query(), Body: body}
	f.mu.Lock()
	f.calls[req.Path]++
	f.reqs = append(f.reqs, req)
	hook := f.hook
	f.mu.Unlock()
	isToken := req.Path == "/cgi-bin/stable_token" || req.Path == "/cgi-bin/token"
	if hook != nil && !isToken {
		hook(req)
	}

	f.mu.Lock()
	defer f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if isToken {
		tok := f.tokens[min(f.issued, len(f.tokens)-1)]
		f.issued++
		fmt.Fprintf(w, `{"access_token":%q,"expires_in":7200}`, tok)
		return
	}
	if f.invalid[req.Token] {
		io.WriteString(w, `{"errcode":40001,"errmsg":"invalid credential, access_token is invalid or not latest"}`)
		return
	}
	if q := f.replies[req.Path]; len(q) > 0 {
		f.replies[req.Path] = q[1:]
		if q[0].status != 0 {
			w.WriteHeader(q[0].status)
		}
		io.WriteString(w, q[0].body)
		return
	}
	if def, ok := defaultReplies[req.Path]; ok {
		io.WriteString(w, def)
		return
	}
	http.NotFound(w, r)
}

// script queues replies for path, answered before the default.
func (f *fakeWX) script(path string, bodies ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, b := range bodies {
		f.replies[path] = append(f.replies[path], reply{body: b})
	}
}

func (f *fakeWX) scriptStatus(path string, status int, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.replies[path] = append(f.replies[path], reply{status: status, body: body})
}

func (f *fakeWX) count(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[path]
}

func (f *fakeWX) total() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		n += c
	}
	return n
}

// requests returns the recorded requests to path, in order.
func (f *fakeWX) requests(path string) []fakeReq {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []fakeReq
	for _, r := range f.reqs {
		if r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

// paths returns the paths requested, in order, without token fetches.
func (f *fakeWX) paths() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, r := range f.reqs {
		if r.Path != "/cgi-bin/stable_token" && r.Path != "/cgi-bin/token" {
			out = append(out, r.Path)
		}
	}
	return out
}

// syncBuffer is an io.Writer safe for concurrent loggers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// newClient returns a Client over ts (a fresh real Redis store when nil)
// and the buffer its slog output goes to.
func newClient(t *testing.T, ts TokenStore) (*Client, *syncBuffer) {
	t.Helper()
	if ts == nil {
		ts = storetest.New(t)
	}
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, err := New(Config{AppID: testAppID, AppSecret: testSecret}, ts, logger)
	if err != nil {
		t.Fatal(err)
	}
	return c, logs
}
