package console_test

import (
	"archive/zip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/pufa-dev/pufa/communities"
	"github.com/pufa-dev/pufa/console"
	"github.com/pufa-dev/pufa/demo"
	"github.com/pufa-dev/pufa/knowledge"
	"github.com/pufa-dev/pufa/ledger"
	"github.com/pufa-dev/pufa/quiz"
	"github.com/pufa-dev/pufa/report"
)

// TestBrowserQuizAndReport drives the 网上答题 pages and the report page
// in headless Chromium over the demo's seeded year: the quiz list, a
// quiz's page with its hardest questions, communities and leaderboard, the
// report with its draft sections, and the Word download. With
// PUFA_SCREENSHOTS=DIR it saves a screenshot of each page.
func TestBrowserQuizAndReport(t *testing.T) {
	bin := chromiumPath(t)
	ctx := context.Background()
	corpus, err := knowledge.DefaultCorpus()
	if err != nil {
		t.Fatal(err)
	}
	year := demo.Year(time.Now())
	base, err := quiz.Default(corpus)
	if err != nil {
		t.Fatal(err)
	}
	cat, err := demo.Quizzes(base, year)
	if err != nil {
		t.Fatal(err)
	}
	var quizzes *quiz.Service
	e := newEnvWith(t, envOptions{console: func(o *console.Options) {
		st := o.Store
		registry := communities.New(st, nil)
		if quizzes, err = quiz.New(quiz.Options{Catalog: cat, Store: st}); err != nil {
			t.Fatal(err)
		}
		o.QuizPages = quizzes
		o.Communities = registry
		o.Mediation = ledger.NewMediation(st, registry, nil)
		o.Report.Quiz = report.QuizFigures{Service: quizzes}
		o.Report.Communities, o.Report.Mediation = registry, o.Mediation
		o.Report.FollowerSummary, o.Report.Reads = st, report.StoredReads{Store: st}
		o.ReportYear = year
	}})
	registry := communities.New(e.st, nil)
	mediation := ledger.NewMediation(e.st, registry, nil)
	deps := demo.Deps{Store: e.st, Ledger: ledger.New(e.st, nil).WithCommunities(registry), Registry: registry, Mediation: mediation,
		Quizzes: cat, Cases: e.st, Referrer: ledger.CaseReferrals{Mediation: mediation, Store: e.st}}
	if err := demo.Seed(ctx, deps, year, demo.DefaultPlan(year), demo.Followers(200)); err != nil {
		t.Fatal(err)
	}

	downloads := t.TempDir()
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, chromedp.ExecPath(bin), chromedp.Headless, chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.Flag("lang", "zh-CN"),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.UserDataDir(t.TempDir()))
	defer cancelAlloc()
	bctx, cancel := chromedp.NewContext(allocCtx)
	defer cancel()
	bctx, cancelTimeout := context.WithTimeout(bctx, 90*time.Second)
	defer cancelTimeout()

	type V = chromedp.Void
	shots := os.Getenv("PUFA_SCREENSHOTS")
	run := func(name string, actions ...chromedp.Action[V]) {
		t.Helper()
		if err := chromedp.Do(bctx, actions...); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if shots == "" {
			return
		}
		png, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot after %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(shots, strings.ReplaceAll(name, " ", "-")+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(bctx, chromedp.Text(sel))
		if err != nil {
			t.Fatalf("reading %s: %v", sel, err)
		}
		return v
	}
	srv := e.srv.URL
	run("log in",
		chromedp.Navigate(srv+"/console/"),
		chromedp.WaitVisible(chromedp.ID("login-form")),
		chromedp.SendKeys(chromedp.ID("user"), "ed"),
		chromedp.SendKeys(chromedp.ID("password"), "editor-pass"),
		chromedp.Click(chromedp.ID("login")),
		chromedp.WaitVisible(chromedp.ID("whoami")),
	)
	run("dashboard of the seeded year",
		chromedp.Navigate(srv+"/console/"),
		chromedp.WaitVisible(chromedp.ID("followers")))
	run("quiz list",
		chromedp.Navigate(srv+"/console/quizzes"),
		chromedp.WaitVisible(chromedp.ID("quizzes")))
	if list := text("#quizzes"); !strings.Contains(list, fmt.Sprintf("%d年“宪法宣传周”宪法知识考核", year)) || !strings.Contains(list, "已结束") {
		t.Errorf("quiz list: %q", list)
	}
	run("quiz page",
		chromedp.Navigate(fmt.Sprintf("%s/console/quizzes/%s", srv, demo.ConstitutionQuiz(year))),
		chromedp.WaitVisible(chromedp.ID("questions")))
	if n := text("#quiz-participants"); n != "168" {
		t.Errorf("participants %q, want 168", n)
	}
	accuracy := regexp.MustCompile(`(\d+(?:\.\d)?)%`).FindAllStringSubmatch(text("#questions"), -1)
	if len(accuracy) < 2 {
		t.Fatalf("per-question accuracy: %q", text("#questions"))
	}
	if board := text("#leaderboard"); !strings.Contains(board, "居民（尾号") || strings.Contains(board, "o_sim_") {
		t.Errorf("leaderboard shows residents unmasked or not at all: %q", board)
	}
	if comms := text("#communities"); !strings.Contains(comms, "幸福社区") {
		t.Errorf("communities: %q", comms)
	}

	progress := chromedp.Events(bctx, browser.DownloadProgress)
	run("report with draft sections",
		chromedp.Navigate(fmt.Sprintf("%s/console/report?from=%d-01-01&to=%d-12-31", srv, year, year)),
		chromedp.WaitVisible(chromedp.ID("draft")),
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			allow := true
			_, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
				Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: downloads, EventsEnabled: &allow,
			})
			return err
		}),
	)
	if d := text("#draft"); !strings.Contains(d, "排查调处矛盾纠纷85件，调解成功85件，涉及金额64余万元") || !strings.Contains(d, "（五）法治宣传教育") {
		t.Errorf("draft sections: %q", d)
	}
	run("download the Word draft", chromedp.Click(chromedp.ID("download-docx")))
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
	z, err := zip.OpenReader(filepath.Join(downloads, guid))
	if err != nil {
		t.Fatalf("the downloaded Word file is no zip package: %v", err)
	}
	defer z.Close()
	var doc string
	for _, f := range z.File {
		if f.Name == "word/document.xml" {
			rc, _ := f.Open()
			b, _ := io.ReadAll(rc)
			rc.Close()
			doc = string(b)
		}
	}
	if !strings.Contains(doc, "接待群众法律咨询525人次") {
		t.Error("the downloaded Word draft lacks 接待群众法律咨询525人次")
	}
}
