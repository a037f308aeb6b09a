package console_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pufa-dev/pufa/campaigns"
	"github.com/pufa-dev/pufa/chinatime"
	"github.com/pufa-dev/pufa/store"
	"github.com/pufa-dev/pufa/wechat"
	"github.com/pufa-dev/pufa/wechat/wxsim"
)

// A run that meets its campaign's quiet hours (here a send by hand at
// 23:00) waits, and the console says so and until when, instead of a bare
// 推送中 0/3 for the night.
func TestConsoleShowsARunWaitingForQuietHours(t *testing.T) {
	clk := &testClock{}
	clk.set(time.Date(2026, 12, 4, 23, 0, 0, 0, chinatime.Zone))
	sim, err := wxsim.New(wxsim.Options{AppID: "wxquiettest00001", AppSecret: "quiet-secret", Followers: 3, TokenTTL: 1000 * time.Hour, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	api := httptest.NewServer(sim)
	t.Cleanup(func() { api.Close(); sim.Close() })
	wechat.UseAPIBase(api.URL) // a process global; console tests run one at a time
	e := newEnvWith(t, envOptions{campaigns: func(o *campaigns.Options) {
		wx, err := wechat.New(wechat.Config{AppID: "wxquiettest00001", AppSecret: "quiet-secret"}, o.Store.(*store.Store), slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		o.Sender, o.Audience, o.Now = wx, wx, clk.Now
	}})
	ctx := context.Background()
	doc := "id: night\ntitle: 夜间测试\nchannel: mass\naudience: {all: true}\ncontent: {text: 宪法宣传周}\nquiet_hours: {from: \"21:30\", to: \"08:00\"}\n"
	if _, err := e.lib.Save(ctx, "night.yaml", []byte(doc), 0, campaigns.SourceConsole, "ed"); err != nil {
		t.Fatal(err)
	}
	if err := e.mgr.Approve(ctx, "night", "ap"); err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.mgr.RunNow(runCtx, "night", campaigns.RunOptions{})
	}()
	t.Cleanup(func() { cancel(); <-done })
	c := e.client()
	c.login("ed", "editor-pass")
	const waiting = "等待免打扰时段结束（08:00）"
	var page string
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(page, waiting); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the campaign page never said %q:\n%s", waiting, page)
		}
		_, page = c.get("/console/campaigns/night")
	}
	if _, list := c.get("/console/campaigns"); !strings.Contains(list, waiting) {
		t.Errorf("the campaign list does not say %q", waiting)
	}
	if k := sim.Stats().Kinds[wxsim.KindMass]; k.Messages != 0 {
		t.Errorf("sent in the quiet hours: %+v", k)
	}
}
