package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pufa-dev/pufa/campaigns"
	"github.com/pufa-dev/pufa/store/storetest"
	"github.com/pufa-dev/pufa/wechat/wxsim"
)

// cliEnv is a config file pointing at a real Redis (own prefix), a
// simulator and a campaigns directory.
type cliEnv struct {
	t      *testing.T
	sim    *wxsim.Server
	dir    string
	config string
}

func newCLIEnv(t *testing.T, followers int, extra string) *cliEnv {
	t.Helper()
	st := storetest.New(t) // for the prefix and the cleanup
	sim, err := wxsim.New(wxsim.Options{AppID: "wxcli", AppSecret: "cli-secret", Followers: followers, MassRateLimit: -1})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(func() { srv.Close(); sim.Close() })
	dir := t.TempDir()
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	body := fmt.Sprintf(`redis:
  addrs: [%s]
  prefix: %q
wechat:
  app_id: wxcli
  app_secret: cli-secret
  token: cli-token
  api_base: %s
campaigns:
  dir: %s
  rate: 0
%slog:
  level: warn
`, storetest.Addr(t), st.Prefix(), srv.URL, dir, extra)
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return &cliEnv{t: t, sim: sim, dir: dir, config: cfg}
}

// run runs `pufa campaign args...` and returns its output.
func (e *cliEnv) run(args ...string) (string, error) {
	var out bytes.Buffer
	err := runCampaign(context.Background(), append(args, "--config", e.config), &out)
	return out.String(), err
}

func (e *cliEnv) must(args ...string) string {
	e.t.Helper()
	out, err := e.run(args...)
	if err != nil {
		e.t.Fatalf("pufa campaign %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func TestCampaignCommandLifecycle(t *testing.T) {
	e := newCLIEnv(t, 30, "console:\n  preview_recipients: [\"o_sim_000001:张三\"]\n")
	out := e.must("new")
	if !strings.Contains(out, "constitution-week") || !strings.Contains(out, "宪法宣传周") {
		t.Errorf("theme list:\n%s", out)
	}
	out = e.must("new", "--theme", "constitution-week", "--year", "2026")
	file := filepath.Join(e.dir, "constitution-week-2026.yaml")
	if !strings.Contains(out, file) {
		t.Errorf("new: %s", out)
	}
	if _, err := e.run("new", "--theme", "constitution-week", "--year", "2026"); err == nil {
		t.Error("new overwrote an existing file")
	}
	if out := e.must("validate"); !strings.Contains(out, "ok  constitution-week-2026") {
		t.Errorf("validate: %s", out)
	}
	bad := filepath.Join(e.dir, "bad.yaml")
	os.WriteFile(bad, []byte("id: bad\ntitle: x\nchannel: mass\naudience: {all: true}\ncontent: {text: a}\nschedule: {cron: \"0 9 * *\"}\n"), 0o600)
	out, err := e.run("validate")
	if err == nil || !strings.Contains(out, bad+": schedule.cron:") {
		t.Errorf("validate with a bad file: %v\n%s", err, out)
	}
	os.Remove(bad)

	const id = "constitution-week-2026"
	if out, err := e.run("run", id, "--ignore-quiet-hours"); err == nil || !strings.Contains(err.Error(), "approve") {
		t.Errorf("unapproved run: %v %s", err, out)
	}
	if _, err := e.run("approve", id); err == nil || !strings.Contains(err.Error(), "--by") {
		t.Errorf("approve without --by: %v", err)
	}
	if out := e.must("approve", id, "--by", "张三"); !strings.Contains(out, "已审批") {
		t.Errorf("approve: %s", out)
	}
	// A preview goes only to registered staff: never to a resident.
	if out, err := e.run("preview", id, "--to", "o_sim_000002"); err == nil || !errors.Is(err, campaigns.ErrNotPreviewRecipient) {
		t.Errorf("preview to an unregistered openid: %v %s", err, out)
	}
	if out := e.must("preview", id, "--to", "o_sim_000001"); !strings.Contains(out, "张三") || !strings.Contains(out, "sha256:") {
		t.Errorf("preview: %s", out)
	}
	if k := e.sim.Stats().Kinds[wxsim.KindPreview]; k.Messages != 1 {
		t.Errorf("preview stats %+v", k)
	}
	if out := e.must("run", id, "--dry-run"); !strings.Contains(out, "nothing sent") {
		t.Errorf("dry run: %s", out)
	}
	if k := e.sim.Stats().Kinds[wxsim.KindMass]; k.Messages != 0 {
		t.Errorf("dry run sent: %+v", k)
	}
	out = e.must("list")
	if !strings.Contains(out, id) || !strings.Contains(out, "2026-12-04 09:00") {
		t.Errorf("list:\n%s", out)
	}
	out = e.must("run", id, "--ignore-quiet-hours")
	if !strings.Contains(out, "finished") || !strings.Contains(out, "sent 1") {
		t.Errorf("run: %s", out)
	}
	if k := e.sim.Stats().Kinds[wxsim.KindMass]; k.Messages != 30 || k.Duplicates != 0 {
		t.Errorf("mass stats %+v", k)
	}
	var st campaigns.Stats
	if err := json.Unmarshal([]byte(e.must("stats", id, "--json")), &st); err != nil {
		t.Fatal(err)
	}
	if st.State != campaigns.Finished || st.ApprovedBy != "张三" || st.Fires != 1 || len(st.Runs) != 1 || st.Reach.Pending != 1 {
		t.Errorf("stats %+v", st)
	}
	if out := e.must("stats", id); !strings.Contains(out, "已完成") || !strings.Contains(out, "approve by 张三") {
		t.Errorf("stats text:\n%s", out)
	}
	if _, err := e.run("pause", id); err == nil {
		t.Error("paused a finished campaign")
	}
	if _, err := e.run("run", id, "--ignore-quiet-hours"); err == nil {
		t.Error("a finished one-shot campaign ran again")
	}
}

func TestCampaignPauseResumeCancel(t *testing.T) {
	e := newCLIEnv(t, 5, "")
	os.WriteFile(filepath.Join(e.dir, "weekly.yaml"), []byte(`id: weekly
title: 每周一条
channel: custom
audience: {all: true}
content: {text: 每周普法}
schedule: {cron: "0 10 * * 1"}
`), 0o600)
	e.must("approve", "weekly", "--by", "李四")
	steps := []struct {
		args []string
		want string // state label printed, or "" = must fail
	}{
		{[]string{"pause", "weekly", "--reason", "内容待定"}, "已暂停"},
		{[]string{"pause", "weekly"}, ""},
		{[]string{"resume", "weekly"}, "待推送"},
		{[]string{"cancel", "weekly"}, "已取消"},
		{[]string{"resume", "weekly"}, ""},
		{[]string{"approve", "weekly", "--by", "李四"}, ""},
	}
	for _, s := range steps {
		out, err := e.run(s.args...)
		if s.want == "" {
			if err == nil {
				t.Errorf("%v accepted: %s", s.args, out)
			}
			continue
		}
		if err != nil || !strings.Contains(out, s.want) {
			t.Errorf("%v: %v %s", s.args, err, out)
		}
	}
	if out := e.must("stats", "weekly"); !strings.Contains(out, "pause by") || !strings.Contains(out, "内容待定") {
		t.Errorf("log:\n%s", out)
	}
}

func TestCampaignConfigErrorsNameTheKey(t *testing.T) {
	for key, extra := range map[string]string{
		"campaigns.rate":                   "  rate: -5\n",
		"campaigns.account_type":           "  account_type: enterprise\n",
		"campaigns.max_consecutive_errors": "  max_consecutive_errors: 0\n",
		"campaigns.grace":                  "  grace: 0\n",
		"campaigns.workers":                "  workers: 1000\n",
	} {
		e := newCLIEnv(t, 1, extra) // lands under campaigns:, after rate: 0
		b, _ := os.ReadFile(e.config)
		if key == "campaigns.rate" {
			b = bytes.Replace(b, []byte("  rate: 0\n"), nil, 1)
		}
		os.WriteFile(e.config, b, 0o600)
		if _, err := e.run("list"); err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("%s: error %v does not name it", key, err)
		}
	}
}

func TestDemoSendsSampleCampaigns(t *testing.T) {
	urls, done, stop := startCommand(t, "demo", "--empty", "--addr", "127.0.0.1:0", "--sim-addr", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0", "--followers", "12")
	sim := strings.TrimSuffix(urlWith(t, urls, "/sim/"), "/sim/")
	list := urlWith(t, urls, "/demo/campaigns")
	base := strings.TrimSuffix(list, "/campaigns")

	get := func(url string, v any) {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			t.Fatalf("%s: %v", url, err)
		}
	}
	var all []campaigns.Stats
	get(list, &all)
	if len(all) != 2 {
		t.Fatalf("demo campaigns: %+v", all)
	}
	for _, id := range []string{"constitution-week-2026", "civil-code-month-2027"} {
		resp, err := http.Post(base+"/campaigns/"+id+"/send", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		var st campaigns.Stats
		json.NewDecoder(resp.Body).Decode(&st)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || len(st.Runs) != 1 || st.Runs[0].State != "finished" {
			t.Errorf("send %s: %d %+v", id, resp.StatusCode, st)
		}
	}
	var stats wxsim.Stats
	get(sim+"/sim/stats", &stats)
	if k := stats.Kinds[wxsim.KindMass]; k.UniqueRecipients != 12 || k.Duplicates != 0 {
		t.Errorf("mass in /sim/stats: %+v", k)
	}
	if k := stats.Kinds[wxsim.KindTemplate]; k.UniqueRecipients != 12 || k.Duplicates != 0 {
		t.Errorf("template in /sim/stats: %+v", k)
	}
	// The simulator's MASSSENDJOBFINISH goes through the bot into the counts.
	deadline := time.Now().Add(15 * time.Second)
	for {
		var st campaigns.Stats
		get(base+"/campaigns/constitution-week-2026", &st)
		if st.Reach.Sent == 12 && st.Reach.Total == 12 && st.Reach.Pending == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("reach never reported: %+v", st.Reach)
		}
		time.Sleep(100 * time.Millisecond)
	}
	stopCommand(t, stop, done)
}

func TestCampaignRunShowsProgress(t *testing.T) {
	e := newCLIEnv(t, 600, "")
	b, _ := os.ReadFile(e.config)
	os.WriteFile(e.config, bytes.Replace(b, []byte("  rate: 0\n"), []byte("  rate: 250\n"), 1), 0o600)
	os.WriteFile(filepath.Join(e.dir, "tip.yaml"), []byte("id: tip\ntitle: 小贴士\nchannel: custom\naudience: {all: true}\ncontent: {text: 防范电信诈骗}\n"), 0o600)
	e.must("approve", "tip", "--by", "王五")
	out := e.must("run", "tip")
	if !strings.Contains(out, "[###") || !strings.Contains(out, "/600") || !strings.Contains(out, "finished — 600/600 done, sent 600") {
		t.Errorf("run output:\n%s", out)
	}
	if k := e.sim.Stats().Kinds[wxsim.KindCustom]; k.UniqueRecipients != 600 || k.Duplicates != 0 {
		t.Errorf("custom stats %+v", k)
	}
}

// A campaign whose quiz: names no quiz fails validation and approval, not
// only `pufa quiz validate`: residents must never be sent to a missing quiz.
func TestCampaignQuizMustExist(t *testing.T) {
	e := newCLIEnv(t, 3, "")
	write := func(id, ref string) {
		body := fmt.Sprintf("id: %s\ntitle: t\nchannel: mass\naudience: {all: true}\ncontent: {text: 回复“答题”}\nquiz: %s\n"+
			"window: {from: 2026-12-01, to: 2026-12-07}\nschedule: {at: 2026-12-04T10:00:00+08:00}\n", id, ref)
		if err := os.WriteFile(filepath.Join(e.dir, id+".yaml"), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("named", "constitution-2026")
	write("by-bank", "constitution")
	write("wrong", "criminal-law")

	out, err := e.run("validate")
	if err == nil || !strings.Contains(out, `wrong.yaml: quiz: "criminal-law" names no quiz`) {
		t.Errorf("validate with a missing quiz: %v\n%s", err, out)
	}
	for _, ok := range []string{"ok  named", "ok  by-bank"} {
		if !strings.Contains(out, ok) {
			t.Errorf("validate lacks %q:\n%s", ok, out)
		}
	}
	if strings.Contains(out, "ok  wrong") {
		t.Errorf("a campaign naming no quiz reported ok:\n%s", out)
	}
	if _, err := e.run("approve", "wrong", "--by", "张三"); err == nil || !strings.Contains(err.Error(), "names no quiz") {
		t.Errorf("approve of a campaign naming no quiz: %v", err)
	}
	// The file is never imported, so there is nothing to approve or count.
	if out, err := e.run("stats", "wrong"); err == nil || !strings.Contains(err.Error(), "names no quiz") {
		t.Errorf("a campaign naming no quiz was imported: %v\n%s", err, out)
	}
	if out := e.must("approve", "named", "--by", "张三"); !strings.Contains(out, "已审批") {
		t.Errorf("approve of a campaign naming a real quiz: %s", out)
	}
}

// Export writes what Redis holds; import brings files back, and the
// definitions survive the files being deleted.
func TestCampaignImportExportCommands(t *testing.T) {
	e := newCLIEnv(t, 2, "")
	e.must("new", "--theme", "constitution-week", "--year", "2026")
	out := t.TempDir()
	if got := e.must("export", out); !strings.Contains(got, "constitution-week-2026.yaml") {
		t.Fatalf("export: %s", got)
	}
	os.RemoveAll(e.dir)
	if got := e.must("list"); !strings.Contains(got, "constitution-week-2026") {
		t.Errorf("definition lost with its file:\n%s", got)
	}
	exported := filepath.Join(out, "constitution-week-2026.yaml")
	b, _ := os.ReadFile(exported)
	os.WriteFile(filepath.Join(out, "other.yaml"), bytes.Replace(b, []byte("id: constitution-week-2026"), []byte("id: other-2026"), 1), 0o600)
	if got := e.must("import", out, "--by", "张三"); !strings.Contains(got, "imported other-2026") || !strings.Contains(got, "replaced constitution-week-2026") {
		t.Errorf("import: %s", got)
	}
	if got := e.must("list"); !strings.Contains(got, "other-2026") {
		t.Errorf("imported campaign not listed:\n%s", got)
	}
}
