package console_test

import (
	"context"
	"image/color"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/pufa-dev/pufa/articles"
	"github.com/pufa-dev/pufa/campaigns"
	"github.com/pufa-dev/pufa/chinatime"
	"github.com/pufa-dev/pufa/console"
	"github.com/pufa-dev/pufa/datacube"
	"github.com/pufa-dev/pufa/scheduler"
	"github.com/pufa-dev/pufa/store"
	"github.com/pufa-dev/pufa/wechat"
	"github.com/pufa-dev/pufa/wechat/wxsim"
)

// testClock is the whole world's clock in the end-to-end test: console,
// campaigns, scheduler, WeChat client, simulator and the data-cube job.
type testClock struct{ ns atomic.Int64 }

func (c *testClock) Now() time.Time                     { return time.Unix(0, c.ns.Load()) }
func (c *testClock) set(t time.Time)                    { c.ns.Store(t.UnixNano()) }
func (*testClock) After(time.Duration) <-chan time.Time { return make(chan time.Time) } // ticks are driven by hand

// wxArticles is articles.Publisher over the WeChat client, as cmd/pufa
// wires it.
type wxArticles struct{ wx *wechat.Client }

func (p wxArticles) UploadImage(ctx context.Context, name string, data []byte) (string, error) {
	return p.wx.UploadImage(ctx, name, data)
}

func (p wxArticles) AddMaterialImage(ctx context.Context, name string, data []byte) (string, error) {
	m, err := p.wx.AddMaterialImage(ctx, name, data)
	return m.MediaID, err
}

func (p wxArticles) AddDraft(ctx context.Context, d articles.Draft) (string, error) {
	return p.wx.AddDraft(ctx, wxDraft(d))
}

func (p wxArticles) UpdateDraft(ctx context.Context, mediaID string, d articles.Draft) error {
	return p.wx.UpdateDraft(ctx, mediaID, 0, wxDraft(d))
}

func (p wxArticles) PreviewArticle(ctx context.Context, openid, mediaID string) error {
	return p.wx.PreviewArticle(ctx, openid, mediaID)
}

func wxDraft(d articles.Draft) wechat.Article {
	return wechat.Article{Title: d.Title, Author: d.Author, Digest: d.Digest, Content: d.Content,
		ContentSourceURL: d.ContentSourceURL, ThumbMediaID: d.ThumbMediaID}
}

// TestBrowserArticleCampaign is the clerk's whole Constitution Week push in
// a real headless Chromium, against the WeChat simulator: write an article
// with a cover, make a campaign sending it to all followers a minute ahead,
// preview it to a staff member chosen by name, approve it, let the
// scheduler send it, have a follower open and share it, run the next
// morning's statistics job, and read 阅读量 on the campaign page. The clock
// is a test clock; with PUFA_SCREENSHOTS=DIR each page is saved.
func TestBrowserArticleCampaign(t *testing.T) {
	bin := chromiumPath(t)
	clk := &testClock{}
	start := time.Date(2026, 12, 1, 10, 0, 0, 0, chinatime.Zone)
	clk.set(start)
	const followers = 3
	sim, err := wxsim.New(wxsim.Options{AppID: "wxartcampaign001", AppSecret: "art-secret", Token: "art-token",
		Followers: followers, MassRateLimit: -1, TokenTTL: 1000 * time.Hour, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	api := httptest.NewServer(sim)
	t.Cleanup(func() { api.Close(); sim.Close() })
	wechat.UseAPIBase(api.URL) // a process global; console tests run one at a time
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	var wx *wechat.Client
	var svc *articles.Service
	e := newEnvWith(t, envOptions{campaigns: func(o *campaigns.Options) {
		st := o.Store.(*store.Store)
		if wx, err = wechat.New(wechat.Config{AppID: "wxartcampaign001", AppSecret: "art-secret"}, st, logger); err != nil {
			t.Fatal(err)
		}
		wx.UseClock(clk.Now)
		svc = articles.New(st, wxArticles{wx}, clk.Now, logger)
		o.Sender, o.Audience, o.Previewer, o.Articles, o.Publisher = wx, wx, wx, svc, wx
		o.PreviewTo = console.PreviewList{Store: st}
		o.Now = clk.Now
	}, console: func(o *console.Options) {
		o.Articles, o.Sender, o.Now, o.SessionTTL = svc, wx, clk.Now, 72*time.Hour
	}})
	ctx0 := context.Background()
	// 张三 bound her WeChat earlier (the staff binding has its own test).
	if err := e.st.PutPreviewRecipient(ctx0, store.PreviewRecipient{OpenID: "o_sim_000003", Name: "张三"}); err != nil {
		t.Fatal(err)
	}
	sched, err := scheduler.New(scheduler.Options{Campaigns: e.mgr, Store: e.st, Clock: clk, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	cube, err := datacube.New(datacube.Options{API: wx, Store: e.st, Clock: clk, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	cover := filepath.Join(t.TempDir(), "宪法宣传周封面.png")
	if err := os.WriteFile(cover, pngBytes(t, 900, 383, color.RGBA{178, 34, 34, 255}), 0o644); err != nil {
		t.Fatal(err)
	}

	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(bin), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.Flag("disable-dev-shm-usage", true), chromedp.Flag("lang", "zh-CN"),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900))
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(allocCtx)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	defer cancelTimeout()
	type V = chromedp.Void
	shots := os.Getenv("PUFA_SCREENSHOTS")
	run := func(name string, actions ...chromedp.Action[V]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			if shots != "" {
				sctx, scancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
				defer scancel()
				if png, serr := chromedp.Run(sctx, chromedp.FullScreenshot(100)); serr == nil {
					_ = os.WriteFile(filepath.Join(shots, "FAILED-artcampaign-"+strings.ReplaceAll(name, " ", "-")+".png"), png, 0o644)
				}
			}
			t.Fatalf("%s: %v", name, err)
		}
		if shots == "" {
			return
		}
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot after %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(shots, "artcampaign-"+strings.ReplaceAll(name, " ", "-")+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("reading %s: %v", sel, err)
		}
		return v
	}
	base := e.srv.URL
	const title = "宪法宣传周：公民在法律面前一律平等"

	run("log in",
		chromedp.Navigate(base+"/console/articles"),
		chromedp.WaitVisible(chromedp.ID("login-form")),
		chromedp.SendKeys(chromedp.ID("user"), "ap"),
		chromedp.SendKeys(chromedp.ID("password"), "approver-pass"),
		chromedp.Click(chromedp.ID("login")),
		chromedp.WaitVisible(chromedp.ID("whoami")),
	)
	run("write the article",
		chromedp.Navigate(base+"/console/articles/new"),
		chromedp.WaitVisible(chromedp.ID("article-form")),
		chromedp.SendKeys(chromedp.ID("a-title"), title),
		chromedp.SendKeys(chromedp.ID("a-author"), "街道司法所"),
		chromedp.SendKeys(chromedp.ID("a-digest"), "12月4日是国家宪法日，一起读宪法第三十三条。"),
		chromedp.SetUploadFiles(chromedp.ID("cover-file"), []string{cover}),
		chromedp.WaitVisible(chromedp.ID("cover-img")),
		chromedp.SendKeys(chromedp.ID("a-body"), "每年12月4日是国家宪法日。\n\n"+
			"::: 《中华人民共和国宪法》第三十三条\n中华人民共和国公民在法律面前一律平等。\n:::"),
		chromedp.Click(chromedp.ID("article-save")),
		chromedp.WaitVisible(`//p[@id="flash" and contains(., "已保存图文")]`),
	)
	list, err := e.st.Articles(ctx0)
	if err != nil || len(list) != 1 {
		t.Fatalf("articles stored: %v, %v", list, err)
	}
	articleID := list[0].ID

	run("make the campaign",
		chromedp.Click(chromedp.ID("article-new-campaign")), // from the saved article's page
		chromedp.WaitVisible(chromedp.ID("campaign-form")),
		chromedp.WaitVisible(`//li[@data-channel="article" and contains(., "占用群发次数")]`),
		chromedp.SendKeys(chromedp.ID("f-id"), "xfz-2026"),
		chromedp.SendKeys(chromedp.ID("f-title"), "宪法宣传周图文推送"),
		chromedp.SetValue(chromedp.ID("f-theme"), "constitution-week"),
		chromedp.SetValue(chromedp.ID("f-at"), "2026-12-01T10:01"),
		// The article came selected with the link; the channel is 群发图文 by default.
		chromedp.WaitReady(`//select[@id="f-article"]/option[@selected and @value="`+articleID+`"]`),
		chromedp.Click(chromedp.ID("save-campaign")),
		chromedp.WaitVisible(`//p[@id="flash" and contains(., "已保存草稿")]`),
	)
	if got := text("#article"); !strings.Contains(got, title) {
		t.Errorf("the campaign page names the article as %q", got)
	}
	run("preview to 张三",
		chromedp.SetValue(chromedp.ID("preview-to"), "o_sim_000003"),
		chromedp.Click(chromedp.ID("preview")),
		chromedp.WaitVisible(`//p[@id="flash" and contains(., "预览已发送给 张三")]`),
	)
	if k := sim.Stats().Kinds[wxsim.KindPreview]; k.Messages != 1 {
		t.Errorf("previews delivered: %+v", k)
	}
	run("approve",
		chromedp.Click(chromedp.ID("approve")),
		chromedp.WaitVisible(`//p[@id="flash" and contains(., "已审核通过")]`),
	)

	// The scheduler takes it up, and sends it at 10:01.
	clk.set(start.Add(30 * time.Second))
	sched.Tick(ctx0)
	clk.set(start.Add(61 * time.Second))
	sched.Tick(ctx0)
	sched.Wait()
	if k := sim.Stats().Kinds[wxsim.KindMass]; k.Messages != followers || k.Duplicates != 0 {
		t.Fatalf("mass deliveries %+v, want each of %d followers once", k, followers)
	}
	run("the campaign has been sent",
		chromedp.Navigate(base+"/console/campaigns/xfz-2026"),
		chromedp.WaitVisible(`//table[contains(., "已完成")]`),
		chromedp.WaitVisible(`//div[@id="reads" and contains(., "每天 09:00 更新")]`),
	)

	// A follower opens the card in WeChat and shares it. The card opens in
	// a new window, as WeChat's article view: follow its link here.
	openCard := func(openid string) {
		t.Helper()
		run("a follower sees the card "+openid,
			chromedp.Navigate(api.URL+"/sim/?openid="+openid),
			chromedp.WaitVisible(`//a[contains(@class, "card") and contains(., "宪法宣传周")]`),
		)
		attr, err := chromedp.Run(ctx, chromedp.AttributeValue(`//a[contains(@class, "card")]`, "href"))
		href := attr.Value
		if err != nil || href == "" {
			t.Fatalf("card link %q: %v", href, err)
		}
		if !strings.HasPrefix(href, "http") {
			href = api.URL + href
		}
		run("a follower reads it "+openid,
			chromedp.Navigate(href),
			chromedp.WaitVisible(chromedp.ID("share")),
		)
	}
	openCard("o_sim_000001")
	// The share is a form post answered by a redirect to the article: wait
	// for the new page's count, not for the old page's button.
	run("and shares it", chromedp.Click(chromedp.ID("share")), chromedp.WaitVisible(`//*[contains(text(), "分享 1")]`))
	// Another follower reads it in the afternoon.
	clk.set(start.Add(5 * time.Hour))
	openCard("o_sim_000002")

	// Next morning at 09:00 the statistics job fetches yesterday's figures.
	clk.set(time.Date(2026, 12, 2, 9, 0, 0, 0, chinatime.Zone))
	cube.Tick(ctx0)
	run("the campaign page shows the reads",
		chromedp.Navigate(base+"/console/campaigns/xfz-2026"),
		chromedp.WaitVisible(chromedp.ID("reads")),
	)
	if got := text("#reads .f-reads"); got != "2" {
		t.Errorf("阅读量 = %q, want 2", got)
	}
	if got := text("#reads .f-readers"); got != "2" {
		t.Errorf("阅读人数 = %q, want 2", got)
	}
	if got := text("#reads .f-shares"); got != "1" {
		t.Errorf("分享 = %q, want 1", got)
	}
	if got := text("#reads table.reads tbody"); !strings.Contains(got, "2026-12-01") {
		t.Errorf("per-day table = %q", got)
	}
	page := text("main")
	for _, english := range []string{"article", "mass", "finished", "running", "publish"} {
		if strings.Contains(page, english) {
			t.Errorf("the campaign page shows %q:\n%s", english, page)
		}
	}
}
