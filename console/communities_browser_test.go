package console_test

import (
	"context"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
)

// browseCommunities creates a community with a typo first refused,
// downloads its QR poster through the browser and checks the PNG, then
// records a dispute in that community and reads the period's sums. The
// browser is signed in as an approver and downloads into dir.
func browseCommunities(t *testing.T, ctx context.Context, base, dir string) {
	t.Helper()
	type V = chromedp.Void
	shots := os.Getenv("PUFA_SCREENSHOTS")
	run := func(name string, actions ...chromedp.Action[V]) {
		t.Helper()
		step, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		if err := chromedp.Do(step, actions...); err != nil {
			if png, serr := chromedp.Run(ctx, chromedp.FullScreenshot(100)); serr == nil && shots != "" {
				_ = os.WriteFile(filepath.Join(shots, "failed.png"), png, 0o644)
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
		if err := os.WriteFile(filepath.Join(shots, strings.ReplaceAll(name, " ", "-")+".png"), png, 0o644); err != nil {
			t.Fatal(err)
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
	run("community with a bad phone",
		chromedp.Navigate(base+"/console/communities"),
		chromedp.WaitVisible(chromedp.ID("community-add")),
		chromedp.SendKeys(chromedp.ID("c-id"), "xingfu"),
		chromedp.SendKeys(chromedp.ID("c-name"), "幸福社区"),
		chromedp.SendKeys(chromedp.ID("c-grids"), "幸福一网格、幸福二网格"),
		chromedp.SendKeys(chromedp.ID("c-adviser-name"), "王律师"),
		chromedp.SendKeys(chromedp.ID("c-adviser-firm"), "某某律师事务所"),
		chromedp.SendKeys(chromedp.ID("c-adviser-phone"), "电话待定"),
		chromedp.SendKeys(chromedp.ID("c-adviser-hours"), "每周三下午"),
		chromedp.Click(chromedp.ID("community-save")),
		chromedp.WaitVisible(`//*[contains(@class,"error") and contains(., "法律顾问电话")]`),
	)
	if got, err := chromedp.Run(ctx, chromedp.Value(chromedp.ID("c-adviser-firm"))); err != nil || got != "某某律师事务所" {
		t.Errorf("the refused form kept firm %q (%v)", got, err)
	}
	run("create a community",
		chromedp.SetValue(chromedp.ID("c-adviser-phone"), "0571-88880000"),
		chromedp.Click(chromedp.ID("community-save")),
		chromedp.WaitVisible(`//p[@id="flash" and contains(., "已登记社区")]`),
		chromedp.WaitVisible(chromedp.ID("poster-download")),
	)
	progress := chromedp.Events(ctx, browser.DownloadProgress)
	run("download the QR poster",
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			allow := true
			_, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
				Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir, EventsEnabled: &allow,
			})
			return err
		}),
		chromedp.Click(chromedp.ID("poster-download")),
	)
	var guid string
	for ev, err := range progress {
		if err != nil {
			t.Fatalf("poster download: %v", err)
		}
		if ev.State == browser.DownloadProgressStateCompleted {
			guid = ev.GUID
			break
		}
		if ev.State == browser.DownloadProgressStateCanceled {
			t.Fatal("poster download cancelled")
		}
	}
	f, err := os.Open(filepath.Join(dir, guid))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("downloaded poster is no PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() < 1240 || b.Dy() < 1754 {
		t.Errorf("downloaded poster is %v, too small for A4 print", b)
	}
	if shots != "" {
		if raw, err := os.ReadFile(filepath.Join(dir, guid)); err == nil {
			_ = os.WriteFile(filepath.Join(shots, "community-poster.png"), raw, 0o644)
		}
	}
	run("community list",
		chromedp.Navigate(base+"/console/communities"),
		chromedp.WaitVisible(chromedp.ID("community-table")),
	)
	if row := text("#community-table tbody"); !strings.Contains(row, "幸福社区") || !strings.Contains(row, "王律师") {
		t.Errorf("community list = %q", row)
	}
	run("record a dispute",
		chromedp.Navigate(base+"/console/disputes"),
		chromedp.WaitVisible(chromedp.ID("dispute-add")),
		chromedp.SendKeys(chromedp.ID("d-community"), "幸福社区"),
		chromedp.SetValue(chromedp.ID("d-type"), "物业"),
		chromedp.SetValue(chromedp.ID("d-parties"), "6"),
		chromedp.SetValue(chromedp.ID("d-status"), "调解成功"),
		chromedp.SendKeys(chromedp.ID("d-amount"), "64.3万"),
		chromedp.Click(chromedp.ID("dispute-save")),
		chromedp.WaitVisible(`//p[@id="flash" and contains(., "已登记纠纷")]`),
	)
	if sums := text("#dispute-sums"); !strings.Contains(sums, "调处矛盾纠纷1件，调解成功1件，涉及金额64余万元") {
		t.Errorf("dispute sums = %q", sums)
	}
	if row := text("#dispute-table tbody"); !strings.Contains(row, "幸福社区") || !strings.Contains(row, "643000.00") {
		t.Errorf("dispute row = %q", row)
	}
}
