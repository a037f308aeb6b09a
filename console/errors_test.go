package console_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pufa-dev/pufa/campaigns"
	"github.com/pufa-dev/pufa/chinatime"
)

// A report period that is reversed, absurdly long or not a date is refused
// with a Chinese 400, on the page, the download and the API alike.
func TestReportPeriodErrors(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	c.login("ed", "editor-pass")
	tests := []struct {
		name     string
		from, to string
		want     string // in the message; "" = accepted
	}{
		{"one year", "2026-01-01", "2026-12-31", ""},
		{"five years", "2022-01-01", "2026-12-31", ""},
		{"reversed", "2026-12-31", "2026-01-01", "早于"},
		{"a century", "1926-01-01", "2026-12-31", "5 年"},
		{"five years and a day", "2021-12-31", "2026-12-31", "5 年"},
		{"not a date", "2026-13-01", "2026-12-31", "日期"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := "?from=" + tt.from + "&to=" + tt.to
			for _, path := range []string{"/console/report" + q, "/console/report/download" + q + "&format=csv"} {
				start := time.Now()
				resp, body := c.get(path)
				if time.Since(start) > 2*time.Second {
					t.Errorf("GET %s took %s", path, time.Since(start))
				}
				if tt.want == "" {
					if resp.StatusCode != http.StatusOK {
						t.Errorf("GET %s: %d", path, resp.StatusCode)
					}
					continue
				}
				if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, tt.want) {
					t.Errorf("GET %s: %d %q, want 400 saying %s", path, resp.StatusCode, body, tt.want)
				}
			}
			code, raw := e.api("GET", "/console/api/report"+q, editorToken, nil)
			if tt.want == "" {
				if code != http.StatusOK {
					t.Errorf("API: %d", code)
				}
				return
			}
			var got struct{ Error string }
			if code != http.StatusBadRequest || json.Unmarshal(raw, &got) != nil || !strings.Contains(got.Error, tt.want) {
				t.Errorf("API: %d %s, want 400 saying %s", code, raw, tt.want)
			}
		})
	}
}

// A damaged record makes an API call fail with a generic Chinese message;
// Redis's own error text (WRONGTYPE …) goes to the log only.
func TestAPIHidesStoreErrors(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	rdb, p := e.st.Client(), e.st.Prefix()
	day := float64(time.Date(2026, 3, 5, 0, 0, 0, 0, chinatime.Zone).Unix())
	for _, err := range []error{
		rdb.Set(ctx, p+"ledger:{1}", "not a hash", 0).Err(),
		rdb.ZAdd(ctx, p+"ledger:index", redis.Z{Score: day, Member: "1"}).Err(),
		rdb.Set(ctx, p+"consult:9", "not a hash", 0).Err(),
		rdb.ZAdd(ctx, p+"consult:index", redis.Z{Score: float64(time.Now().Unix()), Member: "9"}).Err(),
		rdb.Set(ctx, p+"console:audit", "not a list", 0).Err(),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		method, path string
		body         any
	}{
		{"GET", "/console/api/ledger/1", nil},
		{"GET", "/console/api/ledger?from=2026-01-01&to=2026-12-31", nil},
		{"PUT", "/console/api/ledger/1", map[string]any{"date": "2026-03-05", "kind": "讲座", "count": 1, "version": 1}},
		{"GET", "/console/api/consultations", nil},
		{"POST", "/console/api/consultations/9", map[string]string{"status": "closed"}},
		{"GET", "/console/api/audit", nil},
		{"GET", "/console/api/dashboard", nil},
		{"GET", "/console/api/report?from=2026-01-01&to=2026-12-31", nil},
	}
	for _, tt := range tests {
		code, raw := e.api(tt.method, tt.path, editorToken, tt.body)
		var got struct{ Error string }
		_ = json.Unmarshal(raw, &got)
		if code != http.StatusInternalServerError || strings.Contains(string(raw), "WRONGTYPE") || !strings.Contains(got.Error, "服务器内部错误") {
			t.Errorf("%s %s: %d %s", tt.method, tt.path, code, raw)
		}
	}
}

const brokenCampaign = "id: broken\ntitle: 坏文件\nchannel: carrier-pigeon\n"

// Campaign file errors name the file, never the server's directories.
func TestCampaignErrorsHideServerPaths(t *testing.T) {
	e := newEnv(t)
	if !filepath.IsAbs(e.dir) {
		t.Fatalf("test directory %s is not absolute", e.dir)
	}
	c := e.client()
	c.login("ap", "approver-pass")
	id := createCampaign(t, c)
	if err := os.WriteFile(filepath.Join(e.dir, "broken.yaml"), []byte(brokenCampaign), 0o644); err != nil {
		t.Fatal(err)
	}
	leaks := func(where, text string) {
		t.Helper()
		if strings.Contains(text, e.dir) || strings.Contains(text, filepath.Dir(e.dir)) {
			t.Errorf("%s shows a server path: %s", where, text)
		}
	}
	_, body := c.get("/console/campaigns")
	leaks("campaign list", body)
	if !strings.Contains(body, "broken.yaml") {
		t.Errorf("campaign list does not name the broken file")
	}
	resp, _ := c.upload("/console/campaigns/import", id+".yaml", []byte("id: "+id+"\nchannel: carrier-pigeon\n"))
	loc, _ := url.QueryUnescape(resp.Header.Get("Location"))
	leaks("edit error", loc)
	if !strings.Contains(loc, "err=") || !strings.Contains(loc, id+".yaml") {
		t.Errorf("edit error does not name the file: %s", loc)
	}
	resp, _ = c.post("/console/campaigns/"+id+"/approve", url.Values{"csrf": {c.csrf}})
	loc, _ = url.QueryUnescape(resp.Header.Get("Location"))
	leaks("approve", loc)
	_, raw := e.api("POST", "/console/api/campaigns/nope/approve", approverToken, nil)
	leaks("API approve", string(raw))
	_, raw = e.api("GET", "/console/api/campaigns", editorToken, nil)
	leaks("API list", string(raw))
}

// A cancelled or finished campaign is history: its file is not edited.
func TestEndedCampaignsAreNotEdited(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.client()
	c.login("ap", "approver-pass")
	for _, end := range []struct {
		state campaigns.State
		theme string
		label string
		do    func(id string) error
	}{
		{campaigns.Cancelled, "constitution-week", "已取消", func(id string) error { return e.mgr.Cancel(ctx, id, "ap") }},
		{campaigns.Finished, "civil-code-month", "已完成", func(id string) error {
			if err := e.mgr.Approve(ctx, id, "ap"); err != nil {
				return err
			}
			return e.mgr.MarkFinished(ctx, id, "window closed")
		}},
	} {
		t.Run(string(end.state), func(t *testing.T) {
			id := createCampaignTheme(t, c, end.theme)
			if err := end.do(id); err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(e.dir, id+".yaml")
			before, _ := os.ReadFile(file)
			edited := strings.Replace(string(before), "title:", "title: 改过的", 1)
			resp, _ := c.post("/console/campaigns/"+id+"/edit", url.Values{"csrf": {c.csrf}, "yaml": {edited}})
			loc, _ := url.QueryUnescape(resp.Header.Get("Location"))
			if !strings.Contains(loc, "err=") || !strings.Contains(loc, end.label) {
				t.Errorf("edit of a %s campaign: %d %s", end.state, resp.StatusCode, loc)
			}
			if after, _ := os.ReadFile(file); string(after) != string(before) {
				t.Errorf("the %s campaign's file was changed", end.state)
			}
			if st, _ := e.mgr.Stats(ctx, id); st.State != end.state {
				t.Errorf("state after the edit = %s", st.State)
			}
		})
	}
}

// Counts past the bound are refused in Chinese naming the field, from the
// form and the API alike, and nothing is saved.
func TestLedgerCountsBoundedInTheConsole(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	c.login("ed", "editor-pass")
	for _, f := range []struct{ field, value, name string }{
		{"count", "9223372036854775807", "数量"},
		{"participants", "9223372036854775807", "参与人次"},
		{"count", "9223372036854775808", "数量"}, // not even an int64
		{"participants", "很多", "参与人次"},
	} {
		form := url.Values{"csrf": {c.csrf}, "date": {"2026-03-05"}, "kind": {"lecture"}, "count": {"1"}, "participants": {"0"}}
		form.Set(f.field, f.value)
		resp, _ := c.post("/console/ledger", form)
		if loc, _ := url.QueryUnescape(resp.Header.Get("Location")); !strings.Contains(loc, "err=") || !strings.Contains(loc, f.name) {
			t.Errorf("%s=%s: %s", f.field, f.value, loc)
		}
	}
	code, raw := e.api("POST", "/console/api/ledger", editorToken, map[string]any{"date": "2026-03-05", "kind": "讲座", "count": int64(1) << 62})
	if code != http.StatusUnprocessableEntity || !strings.Contains(string(raw), "数量") {
		t.Errorf("API: %d %s", code, raw)
	}
	if got, _ := e.st.LedgerEntries(context.Background(), "2026-01-01", "2026-12-31"); len(got) != 0 {
		t.Errorf("%d entries saved", len(got))
	}
}

// fixedQuizzes knows exactly the quiz ids it holds.
type fixedQuizzes map[string]bool

func (q fixedQuizzes) CampaignQuiz(ref string, _, _ time.Time) (string, bool) { return ref, q[ref] }

// A campaign whose quiz: names no quiz is not saved from the console, and
// one whose file was so changed on disk is not approved.
func TestCampaignQuizMustExistInTheConsole(t *testing.T) {
	e := newEnvWith(t, envOptions{campaigns: func(o *campaigns.Options) {
		o.Quizzes = fixedQuizzes{"constitution-2026": true}
	}})
	c := e.client()
	c.login("ap", "approver-pass")
	id := createCampaign(t, c)
	file := filepath.Join(e.dir, id+".yaml")
	before, _ := os.ReadFile(file)
	quizLine := regexp.MustCompile(`(?m)^quiz:.*$`)
	naming := func(ref string) string {
		if !quizLine.Match(before) {
			t.Fatalf("the draft names no quiz:\n%s", before)
		}
		return quizLine.ReplaceAllString(string(before), "quiz: "+ref)
	}

	resp, _ := c.post("/console/campaigns/"+id+"/edit", url.Values{"csrf": {c.csrf}, "yaml": {naming("criminal-law")}})
	loc, _ := url.QueryUnescape(resp.Header.Get("Location"))
	if !strings.Contains(loc, "未保存") || !strings.Contains(loc, `quiz: "criminal-law" names no quiz`) {
		t.Errorf("edit naming a missing quiz: %s", loc)
	}
	if after, _ := os.ReadFile(file); string(after) != string(before) {
		t.Error("the refused edit changed the file")
	}
	resp, _ = c.post("/console/campaigns/"+id+"/edit", url.Values{"csrf": {c.csrf}, "yaml": {naming("constitution-2026")}})
	if loc, _ := url.QueryUnescape(resp.Header.Get("Location")); !strings.Contains(loc, "已保存") {
		t.Errorf("edit naming a real quiz: %s", loc)
	}

	if err := os.WriteFile(file, []byte(naming("criminal-law")), 0o644); err != nil {
		t.Fatal(err)
	}
	resp, _ = c.post("/console/campaigns/"+id+"/approve", url.Values{"csrf": {c.csrf}})
	loc, _ = url.QueryUnescape(resp.Header.Get("Location"))
	if !strings.Contains(loc, "err=") || !strings.Contains(loc, "names no quiz") {
		t.Errorf("approve of a campaign naming a missing quiz: %s", loc)
	}
	if st, _ := e.mgr.Stats(context.Background(), id); st.State == campaigns.Approved {
		t.Error("the campaign was approved")
	}
}
