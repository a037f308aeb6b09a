package console_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
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

// A campaign whose quiz: names no quiz is not saved from the form nor
// imported from a file, and one whose quiz was withdrawn since it was saved
// is not approved.
func TestCampaignQuizMustExistInTheConsole(t *testing.T) {
	quizzes := fixedQuizzes{"constitution-2026": true}
	e := newEnvWith(t, envOptions{quizzes: quizzes})
	c := e.client()
	c.login("ap", "approver-pass")
	const id = "rule-of-law-2027"

	f := validForm(c)
	f.Set("quiz", "criminal-law")
	resp, body := c.post("/console/campaigns", f)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "关联答题不存在") || !strings.Contains(body, "法治讲座通知") {
		t.Errorf("form naming a missing quiz: %d\n%s", resp.StatusCode, body)
	}
	if _, err := e.mgr.Get(id); err == nil {
		t.Error("the refused form was saved")
	}

	file := "id: other-2027\ntitle: t\nchannel: mass\naudience: {all: true}\ncontent: {text: 回复答题}\nquiz: criminal-law\n" +
		"window: {from: 2027-12-01, to: 2027-12-07}\nschedule: {at: 2027-12-04T10:00:00+08:00}\n"
	resp, _ = c.upload("/console/campaigns/import", "other.yaml", []byte(file))
	if loc, _ := url.QueryUnescape(resp.Header.Get("Location")); !strings.Contains(loc, "未导入") || !strings.Contains(loc, "关联答题不存在") {
		t.Errorf("import naming a missing quiz: %s", loc)
	}
	if _, err := e.mgr.Get("other-2027"); err == nil {
		t.Error("the refused file was imported")
	}

	f.Set("quiz", "constitution-2026")
	if resp, _ := c.post("/console/campaigns", f); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("form naming a real quiz: %d", resp.StatusCode)
	}
	delete(quizzes, "constitution-2026") // the quiz is withdrawn before approval
	resp, _ = c.post("/console/campaigns/"+id+"/approve", url.Values{"csrf": {c.csrf}})
	loc, _ := url.QueryUnescape(resp.Header.Get("Location"))
	if !strings.Contains(loc, "err=") {
		t.Errorf("approve of a campaign naming a withdrawn quiz: %s", loc)
	}
	if st, _ := e.mgr.Stats(context.Background(), id); st.State == campaigns.Approved {
		t.Error("the campaign was approved")
	}
}
