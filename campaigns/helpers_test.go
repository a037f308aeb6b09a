package campaigns_test

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"testing"
	"time"

	sdkutil "github.com/silenceper/wechat/v2/util"

	"github.com/pufa-dev/pufa/campaigns"
	"github.com/pufa-dev/pufa/store"
	"github.com/pufa-dev/pufa/store/storetest"
	"github.com/pufa-dev/pufa/wechat"
	"github.com/pufa-dev/pufa/wechat/wxsim"
)

// The SDK's URL rewriting is a process global, so it is set once here and
// points at a proxy whose target each test swaps; tests using it never run
// in parallel.
var apiTarget atomic.Pointer[http.Handler]

const (
	testAppID  = "wxcampaigntest01"
	testSecret = "campaign-test-secret"
	testToken  = "campaign-test-token"
)

func TestMain(m *testing.M) {
	sdkutil.DefaultHTTPClient = wechat.HTTPClient(10 * time.Second)
	if os.Getenv(helperEnv) != "" {
		wechat.UseAPIBase(os.Getenv(helperAPIEnv))
		os.Exit(helperMain())
	}
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h := apiTarget.Load(); h != nil {
			(*h).ServeHTTP(w, r)
			return
		}
		http.Error(w, "no simulator", http.StatusServiceUnavailable)
	}))
	proxyURL = proxy.URL
	wechat.UseAPIBase(proxy.URL)
	code := m.Run()
	proxy.Close()
	os.Exit(code)
}

var proxyURL string

// env is one test's world: a simulator with followers, a Redis store and a
// Manager over both.
type env struct {
	t     testing.TB
	sim   *wxsim.Server
	st    *store.Store
	wx    *wechat.Client
	defs  []*campaigns.Campaign
	m     *campaigns.Manager
	reach chan int64 // msg_ids of MASSSENDJOBFINISH callbacks applied
}

type envOpts struct {
	followers int
	simOpts   func(*wxsim.Options)
	mgrOpts   func(*campaigns.Options)
	files     []string // campaign YAML documents
}

func newEnv(t testing.TB, o envOpts) *env {
	t.Helper()
	e := &env{t: t, st: storetest.New(t), reach: make(chan int64, 64)}
	for i, doc := range o.files {
		c, err := campaigns.Parse(fmt.Sprintf("test-%d.yaml", i), []byte(doc))
		if err != nil {
			t.Fatalf("campaign %d: %v", i, err)
		}
		e.defs = append(e.defs, c)
	}
	// The simulator's MASSSENDJOBFINISH callbacks go to this handler, which
	// plays the bot's part for reach.
	cb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var m struct {
			Event       string `xml:"Event"`
			MsgID       int64  `xml:"MsgID"`
			Status      string `xml:"Status"`
			TotalCount  int    `xml:"TotalCount"`
			FilterCount int    `xml:"FilterCount"`
			SentCount   int    `xml:"SentCount"`
			ErrorCount  int    `xml:"ErrorCount"`
		}
		if xml.Unmarshal(body, &m) == nil && m.Event == "MASSSENDJOBFINISH" && e.m != nil {
			// Recorded whole even when the simulator, closing at the end of
			// a test, stops waiting for this answer: a cancelled request is
			// the harness shutting down, not a failure of MassFinished.
			if err := e.m.MassFinished(context.WithoutCancel(r.Context()), m.MsgID, m.Status, m.TotalCount, m.FilterCount, m.SentCount, m.ErrorCount); err != nil {
				t.Errorf("MassFinished: %v", err)
			}
			select {
			case e.reach <- m.MsgID:
			default:
			}
		}
		io.WriteString(w, "success")
	}))
	t.Cleanup(cb.Close)
	so := wxsim.Options{
		AppID: testAppID, AppSecret: testSecret, Token: testToken, Followers: o.followers,
		MassRateLimit: -1, MassFinishDelay: 10 * time.Millisecond, CallbackURL: cb.URL,
	}
	if o.simOpts != nil {
		o.simOpts(&so)
	}
	sim, err := wxsim.New(so)
	if err != nil {
		t.Fatal(err)
	}
	e.sim = sim
	var h http.Handler = sim
	apiTarget.Store(&h)
	t.Cleanup(func() {
		apiTarget.Store(nil)
		sim.Close()
	})
	e.wx, err = wechat.New(wechat.Config{AppID: testAppID, AppSecret: testSecret}, e.st, quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	mo := campaigns.Options{
		Store: e.st, Definitions: func() ([]*campaigns.Campaign, error) { return e.defs, nil },
		Sender: e.wx, Audience: e.wx, Previewer: e.wx, Logger: quietLogger(),
		Workers: 8, Lease: 2 * time.Second,
	}
	if o.mgrOpts != nil {
		o.mgrOpts(&mo)
	}
	e.m, err = campaigns.New(mo)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func quietLogger() *slog.Logger {
	if os.Getenv("PUFA_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

func (e *env) approve(id string) {
	e.t.Helper()
	if err := e.m.Approve(context.Background(), id, "测试员"); err != nil {
		e.t.Fatalf("approve %s: %v", id, err)
	}
}

func (e *env) kind(k string) wxsim.KindStats { return e.sim.Stats().Kinds[k] }

const massAllYAML = `
id: mass-all
title: 群发测试
channel: mass
audience: {all: true}
content: {text: "宪法宣传周：尊法学法守法用法。"}
`

const templateAllYAML = `
id: tpl-all
title: 模板消息测试
channel: template
audience: {all: true}
content:
  template:
    id: TPL1
    fields: {thing1: 民法典宣传月, thing2: 回复“民法典”了解更多}
`

const customAllYAML = `
id: custom-all
title: 客服消息测试
channel: custom
audience: {all: true}
content: {text: "国家安全教育日：发现线索请拨打12339。"}
`

// recipientStatuses reads the run statuses of openids by openid: a finished
// run keeps them under pseudonyms, which only the store can find.
func recipientStatuses(t testing.TB, e *env, id string, fire time.Time, openids ...string) map[string]store.ItemStatus {
	t.Helper()
	out := make(map[string]store.ItemStatus, len(openids))
	for _, o := range openids {
		s, err := e.st.RunStatus(bg, id, fire, o)
		if err != nil {
			t.Fatal(err)
		}
		if s != "" {
			out[o] = s
		}
	}
	return out
}

// simFollowers lists the simulator's n synthetic followers.
func simFollowers(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("o_sim_%06d", i+1)
	}
	return out
}
