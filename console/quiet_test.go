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

// Reads recorded day by day without the send's own record (figures
// imported or seeded for the demo) still show on the campaign page, summed.
func TestCampaignPageShowsRecordedDaysOfReads(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	doc := "id: seeded\ntitle: 演示\nchannel: mass\naudience: {all: true}\ncontent: {text: 宪法宣传周}\n"
	if _, err := e.lib.Save(ctx, "seeded.yaml", []byte(doc), 0, campaigns.SourceConsole, "ed"); err != nil {
		t.Fatal(err)
	}
	fire := time.Date(2026, 12, 4, 10, 0, 0, 0, chinatime.Zone)
	for _, r := range []store.ArticleRead{
		{Campaign: "seeded", Fire: fire, Day: "2026-12-04", Reads: 30, ReadUsers: 25, Shares: 4, Favorites: 1},
		{Campaign: "seeded", Fire: fire, Day: "2026-12-05", Reads: 12, ReadUsers: 10, Shares: 1},
	} {
		if err := e.st.RecordArticleRead(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	c := e.client()
	c.login("ed", "editor-pass")
	_, page := c.get("/console/campaigns/seeded")
	for _, want := range []string{"阅读情况", "数据截至 2026-12-05", `<b class="f-reads">42</b>`, `<b class="f-shares">5</b>`, "<td>2026-12-04</td><td>30</td>"} {
		if !strings.Contains(page, want) {
			t.Errorf("the campaign page lacks %q", want)
		}
	}
}
