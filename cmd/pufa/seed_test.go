package main

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/pufa-dev/pufa/demo"
	"github.com/pufa-dev/pufa/report"
)

// seededDemo starts `pufa demo` (seeded, 200 followers) and returns the
// console's base URL and a logged-in client.
func seededDemo(t *testing.T) (base string, c *http.Client, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := run(ctx, []string{"demo", "--addr", "127.0.0.1:0", "--sim-addr", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0"}, pw, io.Discard)
		pw.Close()
		done <- err
	}()
	login := regexp.MustCompile(`(http://[0-9.:]+)/console/\s+login: demo / (\S+)`)
	found := make(chan []string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if m := login.FindStringSubmatch(sc.Text()); m != nil {
				found <- m
			}
		}
	}()
	var m []string
	select {
	case m = <-found:
	case err := <-done:
		cancel()
		t.Fatalf("demo ended: %v", err)
	case <-time.After(120 * time.Second):
		cancel()
		t.Fatal("the demo printed no console login")
	}
	jar, _ := cookiejar.New(nil)
	c = &http.Client{Jar: jar}
	base = m[1]
	page := fetch(t, c, base+"/console/login")
	csrf := regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`).FindStringSubmatch(string(page))
	if csrf == nil {
		t.Fatal("login page without a CSRF token")
	}
	resp, err := c.PostForm(base+"/console/login", url.Values{"csrf": {csrf[1]}, "user": {"demo"}, "password": {m[2]}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return base, c, func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("demo did not stop cleanly: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("demo did not stop within 30 s")
		}
	}
}

func fetch(t *testing.T, c *http.Client, u string) []byte {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", u, resp.StatusCode, b)
	}
	return b
}

// TestDemoSeedsTheSeedReportsYear: `pufa demo` starts with a year whose
// report gives the seed report's figures exactly, in every format staff
// download: 咨询525人次, 调处85件 调解成功85件 涉及金额64余万元, 108 activities,
// 98 banners, 1,200 LED slogans, 150,000 SMS, 35,000 materials, 28 trainings
// with 1,050 people, the themed weeks and the quizzes.
func TestDemoSeedsTheSeedReportsYear(t *testing.T) {
	base, c, stop := seededDemo(t)
	defer stop()
	year := demo.Year(time.Now())
	download := func(format string) []byte {
		return fetch(t, c, fmt.Sprintf("%s/console/report/download?from=%d-01-01&to=%d-12-31&format=%s", base, year, year, format))
	}

	// The reach of the mass sends comes by WeChat's callback once pufa
	// serves: wait for it.
	var r report.Report
	for deadline := time.Now().Add(30 * time.Second); ; {
		if err := json.Unmarshal(download(report.FormatJSON), &r); err != nil {
			t.Fatal(err)
		}
		if r.Totals.Reach >= 3*200 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	tot := r.Totals
	figures := []struct {
		name      string
		got, want int64
	}{
		{"接待群众法律咨询", tot.ConsultationsTotal(), 525},
		{"排查调处矛盾纠纷", tot.Disputes, 85},
		{"调解成功", tot.DisputesResolved, 85},
		{"法治宣传活动", tot.Activities, 108},
		{"横幅", tot.Banners, 98},
		{"LED 标语", tot.LEDSlogans, 1200},
		{"普法短信", tot.SMSTotal(), 150000},
		{"宣传资料", tot.Materials, 35000},
		{"法治培训", tot.Trainings, 28},
		{"培训人次", tot.TrainingParticipants, 1050},
		{"网上答题", tot.Quizzes, 2},
		{"线上推送（群发、模板消息）", tot.Pushes, 6},
		{"年底关注人数", r.Followers.Total, 200},
	}
	for _, f := range figures {
		if f.got != f.want {
			t.Errorf("%s = %d, want %d", f.name, f.got, f.want)
		}
	}
	if tot.Reads == 0 {
		t.Error("no 阅读量")
	}
	var themes []string
	for _, th := range r.Themes {
		themes = append(themes, th.Name)
	}
	if got := strings.Join(themes, "、"); !strings.Contains(got, "民法典宣传月") || !strings.Contains(got, "宪法宣传周") {
		t.Errorf("themes %s", got)
	}

	sentences := []string{"接待群众法律咨询525人次", "排查调处矛盾纠纷85件，调解成功85件，涉及金额64余万元",
		"累计开展各种法治宣传活动108场", "悬挂宣传横幅98条", "LED屏滚动播放法治标语1200条", "发放宣传资料35000份",
		"发送普法短信150000条", "开展法治培训28场、培训1050人次", "宪法宣传周（12月1日至12月7日）期间", "民法典宣传月（5月1日至5月31日）期间",
		fmt.Sprintf("组织“%d年‘宪法宣传周’宪法知识考核”，参与168人次、完成152人次", year)}
	md := string(download(report.FormatMarkdown))
	docx := docxText(t, download(report.FormatDocx))
	for _, s := range sentences {
		if !strings.Contains(md, s) {
			t.Errorf("Markdown lacks %q", s)
		}
		if !strings.Contains(docx, s) {
			t.Errorf("Word lacks %q", s)
		}
	}
	x, err := excelize.OpenReader(bytes.NewReader(download(report.FormatXLSX)))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := x.GetRows(report.SheetSummary)
	if err != nil {
		t.Fatal(err)
	}
	cells := map[string]string{}
	for _, row := range rows {
		if len(row) >= 2 {
			cells[row[0]] = row[1]
		}
	}
	for label, want := range map[string]string{"法律咨询合计（人次）": "525", "排查调处矛盾纠纷（件）": "85", "调解成功（件）": "85",
		"涉及金额（元）": "643500.00", "法治宣传活动（场）": "108", "宣传横幅（条）": "98", "LED 标语（条）": "1200",
		"普法短信合计（条）": "150000", "宣传材料（份）": "35000", "法治培训（场）": "28", "培训人次": "1050"} {
		if cells[label] != want {
			t.Errorf("xlsx %s = %q, want %s", label, cells[label], want)
		}
	}
}

// docxText is the text of a .docx's document part.
func docxText(t *testing.T, b []byte) string {
	t.Helper()
	z, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range z.File {
		if f.Name == "word/document.xml" {
			rc, _ := f.Open()
			body, _ := io.ReadAll(rc)
			rc.Close()
			return regexp.MustCompile(`<[^>]+>`).ReplaceAllString(string(body), "")
		}
	}
	t.Fatal("no word/document.xml")
	return ""
}
