package console_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"github.com/pufa-dev/pufa/bot"
	"github.com/pufa-dev/pufa/campaigns"
	"github.com/pufa-dev/pufa/console"
	"github.com/pufa-dev/pufa/report"
	"github.com/pufa-dev/pufa/store"
)

var codeRe = regexp.MustCompile(`\d{6}`)

// chromiumPath finds Debian's chromium. Outside CI a machine without it
// skips the test; in CI (scripts/test.sh installs it) its absence fails.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/chromium", "chromium", "chromium-browser"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is not installed (scripts/test.sh installs it with apt-get)")
	}
	t.Skip("chromium is not installed; `sudo apt-get install chromium` to run the console browser test")
	return ""
}

// TestBrowserConsole drives the console in a real headless Chromium: log
// in, create a campaign, register a staff member for previews and preview
// to them, approve, record an activity, search the 问答库, open an entry,
// have a bad citation refused and save an edit, download the report. With
// PUFA_SCREENSHOTS=DIR it saves a screenshot of each page it visits.
func TestBrowserConsole(t *testing.T) {
	bin := chromiumPath(t)
	fp := &fakePreviewer{}
	wx := &fakeSender{}
	be := newBankEnvWith(t, time.Now, envOptions{campaigns: func(o *campaigns.Options) {
		o.Previewer = fp
		o.PreviewTo = console.PreviewList{Store: o.Store.(*store.Store)}
	}, console: func(o *console.Options) { o.Sender = wx }})
	e := be.env
	downloads := t.TempDir()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("lang", "zh-CN"), // a clerk's browser: Chinese date and time pickers
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(allocCtx)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	defer cancelTimeout()

	base := e.srv.URL
	year := time.Now().Year() + 1
	campaignID := fmt.Sprintf("constitution-week-%d", year)
	type V = chromedp.Void
	text := func(id string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID(id)))
		if err != nil {
			t.Fatalf("reading #%s: %v", id, err)
		}
		return v
	}
	steps := []struct {
		name    string
		actions []chromedp.Action[V]
	}{
		{"log in", []chromedp.Action[V]{
			chromedp.Navigate(base + "/console/"), // redirected to the login page
			chromedp.WaitVisible(chromedp.ID("login-form")),
			chromedp.SendKeys(chromedp.ID("user"), "ap"),
			chromedp.SendKeys(chromedp.ID("password"), "approver-pass"),
			chromedp.Click(chromedp.ID("login")),
			chromedp.WaitVisible(chromedp.ID("whoami")),
		}},
		{"create a campaign from the calendar", []chromedp.Action[V]{
			chromedp.Navigate(base + "/console/campaigns"),
			chromedp.WaitVisible(chromedp.ID("new-campaign")),
			chromedp.SetValue(chromedp.ID("theme"), "constitution-week"),
			chromedp.SetValue(chromedp.ID("year"), fmt.Sprint(year)),
			chromedp.Click(chromedp.ID("create-campaign")),
			chromedp.WaitVisible(chromedp.ID("flash")),
		}},
	}
	shots := os.Getenv("PUFA_SCREENSHOTS")
	run := func(name string, actions []chromedp.Action[V]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			if shots != "" {
				sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
				if png, serr := chromedp.Run(sctx, chromedp.FullScreenshot(100)); serr == nil {
					_ = os.WriteFile(filepath.Join(shots, "FAILED-"+strings.ReplaceAll(name, " ", "-")+".png"), png, 0o644)
				}
				cancel()
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
		file := filepath.Join(shots, strings.ReplaceAll(name, " ", "-")+".png")
		if err := os.WriteFile(file, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot %s", file)
	}
	for _, s := range steps {
		run(s.name, s.actions)
	}
	if who := text("whoami"); !strings.Contains(who, "ap") || !strings.Contains(who, "审核人") {
		t.Errorf("signed in as %q", who)
	}
	if flash := text("flash"); !strings.Contains(flash, "草稿") {
		t.Errorf("create flash = %q", flash)
	}
	run("bind a staff member's WeChat", []chromedp.Action[V]{
		chromedp.Navigate(base + "/console/preview-recipients"),
		chromedp.WaitVisible(chromedp.ID("bind-form")),
		chromedp.SetValue(chromedp.ID("bind-name"), "张三"),
		chromedp.Click(chromedp.ID("bind-start")),
		chromedp.WaitVisible(chromedp.ID("bind-code")),
	})
	code := codeRe.FindString(text("bind-code"))
	if code == "" {
		t.Fatalf("no code shown: %q", text("bind-code"))
	}
	// The staff member sends "绑定 <code>" from WeChat; the bot binds them.
	bind := bot.StaffBind{Binder: console.StaffBinder{Store: e.st}}
	reply, ok, err := bind.HandleText(ctx, &bot.Message{MsgType: bot.TypeText, Text: "绑定 " + code, FromUserName: "oStaffBrowser01"})
	if err != nil || !ok || !strings.Contains(reply.Text, "绑定成功") {
		t.Fatalf("bot reply to the code: %q %v %v", reply.Text, ok, err)
	}
	run("see the bound staff member", []chromedp.Action[V]{
		chromedp.Navigate(base + "/console/preview-recipients"),
		chromedp.WaitVisible(`//table[@id="preview-list" and contains(., "张三")]`),
	})
	run("preview to registered staff", []chromedp.Action[V]{
		chromedp.Navigate(base + "/console/campaigns/" + campaignID),
		chromedp.WaitVisible(chromedp.ID("preview-to")),
		chromedp.Click(chromedp.ID("preview")),
		chromedp.WaitVisible(`//p[@id="flash" and contains(., "预览已发送给 张三")]`),
	})
	if sent := fp.got(); len(sent) != 1 || sent[0] != "oStaffBrowser01" {
		t.Errorf("previews sent: %v", sent)
	}
	run("approve it", []chromedp.Action[V]{
		chromedp.Click(chromedp.ID("approve")),
		// The draft's flash is still on screen until the approval's page loads.
		chromedp.WaitVisible(`//p[@id="flash" and contains(., "已审核通过")]`),
	})
	if state := text("state"); state != "已审批" {
		t.Errorf("campaign state after approval = %q", state)
	}
	formID := fmt.Sprintf("lecture-%d", year)
	at := fmt.Sprintf("%d-12-04T", year)
	run("create a campaign with the form", []chromedp.Action[V]{
		chromedp.Navigate(base + "/console/campaigns/new"),
		chromedp.WaitVisible(chromedp.ID("campaign-form")),
		chromedp.SendKeys(chromedp.ID("f-id"), formID),
		chromedp.SendKeys(chromedp.ID("f-title"), "社区法治讲座"),
		chromedp.SetValue(chromedp.ID("f-channel"), "mass"), // a new campaign starts as 群发图文
		chromedp.SetValue(chromedp.ID("f-text"), "本周六上午九点，社区法律服务站开放咨询。"),
		chromedp.SetValue(chromedp.ID("f-at"), at+"22:30"),
		chromedp.Click(chromedp.ID("save-campaign")),
		chromedp.WaitVisible(chromedp.ID("error")),
	})
	if errs := text("campaign-form"); !strings.Contains(errs, "免打扰时段") {
		t.Errorf("form errors: %q", errs)
	}
	kept, err := chromedp.Run(ctx, chromedp.Value(chromedp.ID("f-text")))
	if err != nil || kept != "本周六上午九点，社区法律服务站开放咨询。" {
		t.Errorf("typed text after the error: %q %v", kept, err)
	}
	run("fix it and save", []chromedp.Action[V]{
		chromedp.SetValue(chromedp.ID("f-at"), at+"10:00"),
		chromedp.Click(chromedp.ID("save-campaign")),
		chromedp.WaitVisible(`//p[@id="flash" and contains(., "已保存")]`),
	})
	run("approve the form's campaign", []chromedp.Action[V]{
		chromedp.Click(chromedp.ID("approve")),
		chromedp.WaitVisible(`//p[@id="flash" and contains(., "已审核通过")]`),
		chromedp.WaitVisible(`//ul[@id="timeline" and contains(., "审核通过")]`),
	})
	if state := text("state"); state != "已审批" {
		t.Errorf("form campaign state = %q", state)
	}
	run("see the campaign list", []chromedp.Action[V]{
		chromedp.Navigate(base + "/console/campaigns"),
		chromedp.WaitVisible(`//table[contains(., "社区法治讲座") and contains(., "群发消息")]`),
	})
	run("record an activity", []chromedp.Action[V]{
		chromedp.Navigate(base + "/console/ledger"),
		chromedp.WaitVisible(chromedp.ID("ledger-add")),
		chromedp.SendKeys(chromedp.ID("l-community"), "幸福社区"),
		chromedp.SetValue(chromedp.ID("l-kind"), "banner"),
		chromedp.SetValue(chromedp.ID("l-count"), "5"),
		chromedp.SendKeys(chromedp.ID("l-note"), "浏览器测试"),
		chromedp.Click(chromedp.ID("ledger-save")),
		chromedp.WaitVisible(`//p[@id="flash" and contains(., "已登记活动")]`),
	})
	if table := text("ledger-table"); !strings.Contains(table, "横幅") || !strings.Contains(table, "幸福社区") || !strings.Contains(table, "浏览器测试") {
		t.Errorf("ledger table = %q", table)
	}
	st, err := e.mgr.Stats(context.Background(), campaignID)
	if err != nil || st.ApprovedBy != "ap" {
		t.Errorf("stored campaign: %+v, %v", st, err)
	}
	answerCase(t, ctx, e, wx, run)
	browseBank(t, ctx, be)

	// Download the XLSX report through the browser.
	progress := chromedp.Events(ctx, browser.DownloadProgress)
	run("download the report", []chromedp.Action[V]{
		chromedp.Navigate(base + "/console/report"),
		chromedp.WaitVisible(chromedp.ID("download-xlsx")),
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			allow := true
			_, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
				Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: downloads, EventsEnabled: &allow,
			})
			return err
		}),
		chromedp.Click(chromedp.ID("download-xlsx")),
	})
	var guid string
	for ev, err := range progress {
		if err != nil {
			t.Fatalf("download: %v", err)
		}
		if ev.State == browser.DownloadProgressStateCompleted {
			guid = ev.GUID
			break
		}
		if ev.State == browser.DownloadProgressStateCanceled {
			t.Fatal("download cancelled")
		}
	}
	f, err := excelize.OpenFile(filepath.Join(downloads, guid))
	if err != nil {
		t.Fatalf("downloaded report: %v", err)
	}
	defer f.Close()
	if v, _ := f.GetCellValue(report.SheetSummary, "B2"); !strings.Contains(v, "悬挂宣传横幅5条") {
		t.Errorf("downloaded report paragraph = %q", v)
	}
	browseCommunities(t, ctx, base, downloads) // communities_browser_test.go
}

// browseBank searches the 问答库, opens an entry, has a citation that is not
// in the article refused, saves an edit and marks it reviewed.
func browseBank(t *testing.T, ctx context.Context, e *bankEnv) {
	t.Helper()
	type V = chromedp.Void
	shots := os.Getenv("PUFA_SCREENSHOTS")
	shoot := func(name string, width int64) chromedp.Action[V] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			if shots == "" {
				return nil
			}
			if _, err := chromedp.Run(ctx, chromedp.EmulateViewport(width, 900)); err != nil {
				return err
			}
			png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
			if err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(shots, name+".png"), png, 0o644)
		})
	}
	run := func(name string, actions ...chromedp.Action[V]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			if shots != "" {
				sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
				if png, serr := chromedp.Run(sctx, chromedp.FullScreenshot(100)); serr == nil {
					_ = os.WriteFile(filepath.Join(shots, "FAILED-"+strings.ReplaceAll(name, " ", "-")+".png"), png, 0o644)
				}
				cancel()
			}
			t.Fatalf("%s: %v", name, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Text(sel))
		if err != nil {
			t.Fatalf("reading %s: %v", sel, err)
		}
		return v
	}
	const id = arbitrationID
	base := e.srv.URL
	run("open the 问答库",
		chromedp.Navigate(base+"/console/bank"),
		chromedp.WaitVisible(chromedp.ID("bank-table")),
		shoot("bank-list", 1280),
		shoot("bank-list-narrow", 800),
	)
	run("search for a typed question",
		chromedp.SendKeys(chromedp.ID("bank-q"), "劳动仲栽"),
		chromedp.Click(chromedp.ID("bank-search-go")),
		chromedp.WaitVisible(`//span[@id="bank-total" and contains(., "共 1 条")]`),
	)
	run("open the entry",
		chromedp.Click(`//a[@href="/console/bank/`+id+`"]`),
		chromedp.WaitVisible(chromedp.ID("bank-edit")),
		shoot("bank-entry", 1280),
	)
	if cites := text("#bank-cites"); !strings.Contains(cites, "劳动争议申请仲裁的时效期间为一年") || !strings.Contains(cites, "版本") {
		t.Errorf("cited articles on the entry page: %q", cites)
	}
	run("save a citation that is not in the article",
		chromedp.SetValue(chromedp.ID("b-cites"), "劳动争议调解仲裁法第二十七条 | 劳动争议申请仲裁的时效期间为两年。"),
		chromedp.Click(chromedp.ID("bank-save")),
		chromedp.WaitVisible(chromedp.ID("bank-errors")),
		shoot("bank-entry-error", 1280),
	)
	if errs := text("#bank-errors"); !strings.Contains(errs, "引用：") || !strings.Contains(errs, "引文不在该条现行文本中") {
		t.Errorf("errors shown = %q", errs)
	}
	if v, _ := e.st.BankEditsVersion(context.Background()); v != 0 {
		t.Fatalf("a refused edit reached Redis (version %d)", v)
	}
	const answer = "有。劳动争议申请仲裁的时效一般是一年，从知道或者应当知道权利被侵害之日起算。拖欠工资的，劳动关系存续期间不受一年的限制。"
	run("save an edit",
		chromedp.SetValue(chromedp.ID("b-cites"), "劳动争议调解仲裁法第二十七条 | 劳动争议申请仲裁的时效期间为一年。"),
		chromedp.SetValue(chromedp.ID("b-answer"), answer),
		chromedp.Click(chromedp.ID("bank-save")),
		chromedp.WaitVisible(`//p[@id="flash" and contains(., "已保存")]`),
	)
	if got := text("#bank-answer"); got != answer {
		t.Errorf("answer shown after saving = %q", got)
	}
	run("mark it reviewed",
		chromedp.Click(chromedp.ID("bank-mark-reviewed")),
		chromedp.WaitVisible(`//p[@id="flash" and contains(., "已标记为已审核")]`),
		shoot("bank-entry-edited", 1280),
		shoot("bank-entry-edited-narrow", 800),
	)
	if got := e.kb.Entry(id); got.Answer != answer || got.ReviewedBy != "ap" {
		t.Errorf("residents get %q reviewed by %q", got.Answer, got.ReviewedBy)
	}
	run("list the edited entries",
		chromedp.Navigate(base+"/console/bank?status=edited"),
		chromedp.WaitVisible(`//span[@id="bank-total" and contains(., "共 1 条")]`),
		shoot("bank-list-edited", 1280),
	)
	if row := text("#bank-table tbody"); !strings.Contains(row, "已修改") || !strings.Contains(row, "已审核") {
		t.Errorf("edited entry in the list: %q", row)
	}
	run("open the new-entry form",
		chromedp.Click(chromedp.ID("bank-new")),
		chromedp.WaitVisible(chromedp.ID("b-id")),
		shoot("bank-new", 1280),
	)
	run("back to the full width", chromedp.EmulateViewport(1280, 900))
}

// fakeSender is the WeChat client of the browser test: it keeps what a
// clerk sent (the simulator's path is TestReplyReachesTheResidentInTheSimulator).
type fakeSender struct {
	mu   sync.Mutex
	sent []string
}

func (f *fakeSender) SendText(_ context.Context, openid, content string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent = append(f.sent, openid+": "+content)
	return nil
}

// answerCase opens the 咨询 inbox, a case with its conversation, answers
// it and sees it 已答复.
func answerCase(t *testing.T, ctx context.Context, e *env, wx *fakeSender, run func(string, []chromedp.Action[chromedp.Void])) {
	t.Helper()
	bg := context.Background()
	now := time.Now()
	const o = "oBrowserResident0000000000001"
	for _, m := range []store.CaseMessage{
		{At: now.Add(-20 * time.Minute), From: store.FromResident, Text: "公司三个月没发工资了"},
		{At: now.Add(-20 * time.Minute), From: store.FromBot, Text: "用人单位应当按时足额支付劳动报酬……"},
		{At: now.Add(-19 * time.Minute), From: store.FromResident, Text: "转人工"},
	} {
		if _, err := e.st.RecordConversation(bg, o, m); err != nil {
			t.Fatal(err)
		}
	}
	tr, _ := e.st.Transcript(bg, o)
	r, err := e.st.RequestConsultation(bg, store.ConsultRequest{OpenID: o, Question: "公司三个月没发工资了", At: now.Add(-19 * time.Minute), Community: "xingfu", Transcript: tr})
	if err != nil {
		t.Fatal(err)
	}
	// An older bare 转人工, overdue, for the list.
	if _, err := e.st.RequestConsultation(bg, store.ConsultRequest{OpenID: "oBrowserResident0000000000002", At: now.Add(-30 * time.Hour),
		Transcript: []store.CaseMessage{{At: now.Add(-30 * time.Hour), From: store.FromResident, Text: "楼上漏水物业不管"}, {At: now.Add(-30 * time.Hour), From: store.FromResident, Text: "转人工"}}}); err != nil {
		t.Fatal(err)
	}
	run("open the consultations inbox", []chromedp.Action[chromedp.Void]{
		chromedp.Navigate(e.srv.URL + "/console/consultations"),
		chromedp.WaitVisible(chromedp.ID("case-filter")),
		chromedp.WaitVisible(`//tr[contains(@class, "overdue")]//td[contains(., "楼上漏水物业不管")]`),
	})
	run("open a case", []chromedp.Action[chromedp.Void]{
		chromedp.Click(`//a[@href="/console/consultations/` + r.ID + `" and contains(., "公司三个月没发工资了")]`),
		chromedp.WaitVisible(chromedp.ID("reply-text")),
		chromedp.WaitVisible(`//ol[@id="conversation"]//li[contains(., "用人单位应当按时足额支付劳动报酬")]`),
	})
	run("answer the case", []chromedp.Action[chromedp.Void]{
		chromedp.SendKeys(chromedp.ID("reply-text"), "您可以向劳动保障监察部门投诉，也可以申请劳动仲裁。"),
		chromedp.Click(chromedp.ID("reply-send")),
		chromedp.WaitVisible(`//p[@id="flash" and contains(., "回复已发送给居民")]`),
		chromedp.WaitVisible(`//span[@id="case-status" and contains(., "已答复")]`),
	})
	wx.mu.Lock()
	defer wx.mu.Unlock()
	if len(wx.sent) != 1 || wx.sent[0] != o+": 您可以向劳动保障监察部门投诉，也可以申请劳动仲裁。" {
		t.Errorf("sent %q", wx.sent)
	}
}
