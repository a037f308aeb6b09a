package console_test

import (
	"context"
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/pufa-dev/pufa/store"
)

// TestBrowserArticle writes a 图文 in a real headless Chromium as a clerk
// would: title, author, digest, a cover uploaded with its preview, a body
// built with the toolbar and an inserted image, the live phone preview,
// a refused save that keeps the text, then a save. With
// PUFA_SCREENSHOTS=DIR it saves a screenshot of each step.
func TestBrowserArticle(t *testing.T) {
	bin := chromiumPath(t)
	pub := &fakeArticlePublisher{}
	e := newArticleEnv(t, pub)
	for _, r := range []store.PreviewRecipient{{OpenID: "oStaffZhang1", Name: "张三"}, {OpenID: "oStaffLi0002", Name: "李四"}} {
		if err := e.st.PutPreviewRecipient(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	cover := filepath.Join(dir, "封面.png")
	pic := filepath.Join(dir, "插图.png")
	if err := os.WriteFile(cover, pngBytes(t, 900, 383, color.RGBA{178, 34, 34, 255}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pic, pngBytes(t, 320, 160, color.RGBA{40, 90, 160, 255}), 0o644); err != nil {
		t.Fatal(err)
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(bin), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.Flag("disable-dev-shm-usage", true), chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900))
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
			t.Fatalf("%s: %v", name, err)
		}
		if shots == "" {
			return
		}
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot after %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(shots, "article-"+strings.ReplaceAll(name, " ", "-")+".png"), png, 0o644); err != nil {
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
	html := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.InnerHTML(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("reading %s: %v", sel, err)
		}
		return v
	}
	base := e.srv.URL
	run("log in",
		chromedp.Navigate(base+"/console/articles"),
		chromedp.WaitVisible(chromedp.ID("login-form")),
		chromedp.SendKeys(chromedp.ID("user"), "ed"),
		chromedp.SendKeys(chromedp.ID("password"), "editor-pass"),
		chromedp.Click(chromedp.ID("login")),
		chromedp.WaitVisible(chromedp.ID("whoami")),
		chromedp.Navigate(base+"/console/articles"),
		chromedp.WaitVisible(chromedp.ID("new-article")),
	)
	run("open the editor",
		chromedp.Click(chromedp.ID("new-article")),
		chromedp.WaitVisible(chromedp.ID("article-form")),
		chromedp.SendKeys(chromedp.ID("a-title"), "宪法宣传周：公民在法律面前一律平等"),
		chromedp.SendKeys(chromedp.ID("a-author"), "街道司法所"),
		chromedp.SendKeys(chromedp.ID("a-digest"), "12月4日是国家宪法日，一起读宪法第三十三条。"),
	)
	run("upload the cover",
		chromedp.SetUploadFiles(chromedp.ID("cover-file"), []string{cover}),
		chromedp.WaitVisible(chromedp.ID("cover-img")),
	)
	if got := text("#upload-status"); !strings.Contains(got, "已上传") {
		t.Errorf("cover upload status = %q", got)
	}
	run("write the body with the toolbar",
		chromedp.Click(chromedp.ID("tb-heading")), // selects the placeholder 小标题
		chromedp.SendKeys(chromedp.ID("a-body"), "宪法是国家的根本法"),
		chromedp.SendKeys(chromedp.ID("a-body"), "\n\n每年12月4日是国家宪法日。"),
		chromedp.SendKeys(chromedp.ID("a-body"), "\n\n"),
		chromedp.Click(chromedp.ID("tb-citation")), // selects the placeholder law name
		chromedp.SendKeys(chromedp.ID("a-body"), "《中华人民共和国宪法》第三十三条"),
		chromedp.WaitVisible(`//div[@id="article-preview"]//section[@class="pf-citation"]`),
	)
	run("insert a body image",
		chromedp.Evaluate[V](`(function(){var b=document.getElementById("a-body");b.focus();b.setSelectionRange(b.value.length,b.value.length)})()`),
		chromedp.SetUploadFiles(chromedp.ID("body-image-file"), []string{pic}),
		chromedp.WaitVisible(`//div[@id="article-preview"]//img[@class="pf-img"]`),
		chromedp.WaitVisible(`//div[@id="article-preview"]//h3[.="宪法是国家的根本法"]`),
	)
	body, err := chromedp.Run(ctx, chromedp.Value(chromedp.ID("a-body")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(body, "## 宪法是国家的根本法") || !strings.Contains(body, "::: 《中华人民共和国宪法》第三十三条") || !strings.Contains(body, "](img:") {
		t.Errorf("the body the toolbar wrote:\n%s", body)
	}
	if p := html("#article-preview"); !strings.Contains(p, `<p class="pf-cite-src">《中华人民共和国宪法》第三十三条</p>`) {
		t.Errorf("phone preview:\n%s", p)
	}
	if got := text("#p-title"); got != "宪法宣传周：公民在法律面前一律平等" {
		t.Errorf("phone title = %q", got)
	}
	run("a bad 阅读原文 link is refused and the text kept",
		chromedp.SendKeys(chromedp.ID("a-source"), "flk.npc.gov.cn"),
		chromedp.Click(chromedp.ID("article-save")),
		chromedp.WaitVisible(chromedp.ID("article-errors")),
	)
	if errs := text("#article-errors"); !strings.Contains(errs, "阅读原文链接：应为以 http:// 或 https:// 开头的网址") {
		t.Errorf("errors = %q", errs)
	}
	if kept, _ := chromedp.Run(ctx, chromedp.Value(chromedp.ID("a-body"))); kept != body {
		t.Errorf("the refused form kept the body as\n%s\nnot\n%s", kept, body)
	}
	if list, _ := e.st.Articles(context.Background()); len(list) != 0 {
		t.Fatalf("a refused article was stored")
	}
	run("save",
		chromedp.SetValue(chromedp.ID("a-source"), "https://flk.npc.gov.cn/"),
		chromedp.Click(chromedp.ID("article-save")),
		chromedp.WaitVisible(`//p[@id="flash" and contains(., "已保存图文")]`),
		chromedp.WaitVisible(`//div[@id="article-preview"]//img[@class="pf-img"]`),
	)
	a, err := e.st.Article(context.Background(), "1")
	if err != nil || a.Title != "宪法宣传周：公民在法律面前一律平等" || a.Cover == "" || len(a.Images) != 1 || a.CreatedBy != "ed" {
		t.Fatalf("stored article %+v, %v", a, err)
	}
	loaded, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`Array.from(document.images).every(function(i){return i.complete && i.naturalWidth>0})`))
	if err != nil || !loaded {
		t.Errorf("images on the saved page did not load: %v", err)
	}
	run("sync to the draft box",
		chromedp.Click(chromedp.ID("article-sync")),
		chromedp.WaitVisible(`//p[@id="flash" and contains(., "已同步到 WeChat 草稿箱")]`),
	)
	if pub.drafts != 1 || text("#sync-state") != "已同步到草稿箱" {
		t.Errorf("after sync: %d drafts, state %q", pub.drafts, text("#sync-state"))
	}
	run("preview to a registered staff member's phone",
		chromedp.SetValue(chromedp.ID("preview-to"), "oStaffLi0002"),
		chromedp.Click(chromedp.ID("article-send-preview")),
		chromedp.WaitVisible(`//p[@id="flash" and contains(., "预览已发送到 李四 的手机")]`),
	)
	if got := pub.sent(); len(got) != 1 || got[0] != "oStaffLi0002 DRAFT1" || pub.drafts != 1 {
		t.Errorf("previews %v, %d drafts", got, pub.drafts)
	}
	run("the list",
		chromedp.Navigate(base+"/console/articles"),
		chromedp.WaitVisible(chromedp.ID("articles-table")),
	)
	if row := text("#articles-table tbody"); !strings.Contains(row, "宪法宣传周") || !strings.Contains(row, "已同步到草稿箱") {
		t.Errorf("list row = %q", row)
	}
}
