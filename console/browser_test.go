package console_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"github.com/pufa-dev/pufa/campaigns"
	"github.com/pufa-dev/pufa/console"
	"github.com/pufa-dev/pufa/report"
	"github.com/pufa-dev/pufa/store"
)

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
// to them, approve, record an activity, download the report. With
// PUFA_SCREENSHOTS=DIR it saves a screenshot of each page it visits.
func TestBrowserConsole(t *testing.T) {
	bin := chromiumPath(t)
	fp := &fakePreviewer{}
	e := newEnvWith(t, envOptions{campaigns: func(o *campaigns.Options) {
		o.Previewer = fp
		o.PreviewTo = console.PreviewList{Store: o.Store.(*store.Store)}
	}})
	downloads := t.TempDir()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
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
	run("register a preview recipient", []chromedp.Action[V]{
		chromedp.Navigate(base + "/console/preview-recipients"),
		chromedp.WaitVisible(chromedp.ID("preview-add")),
		chromedp.SendKeys(chromedp.ID("r-name"), "张三"),
		chromedp.SendKeys(chromedp.ID("r-openid"), "oStaffBrowser01"),
		chromedp.Click(chromedp.ID("preview-add-save")),
		chromedp.WaitVisible(`//p[@id="flash" and contains(., "已登记预览接收人")]`),
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
}
