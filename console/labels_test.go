package console

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pufa-dev/pufa/campaigns"
	"github.com/pufa-dev/pufa/chinatime"
)

func TestTimelineSentences(t *testing.T) {
	at := time.Date(2026, 11, 28, 10, 2, 0, 0, chinatime.Zone).Unix()
	unix := func(d time.Duration) string { return strconv.FormatInt(at+int64(d/time.Second), 10) }
	got := timeline([]string{
		unix(0) + "|draft|approved|approve|张三|hash 0123abcd",
		unix(time.Minute) + "|approved|paused|pause|李四|控制台暂停",
		unix(2*time.Minute) + "|paused|draft|edit|pufa|definition changed after approval",
		"broken line",
	})
	want := []string{"11月28日 10:02 张三 审核通过", "11月28日 10:03 李四 暂停（控制台暂停）", "11月28日 10:04 系统 修改了内容，退回草稿"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestAllowedActionsPerState(t *testing.T) {
	names := func(as []Action) string {
		var s []string
		for _, a := range as {
			s = append(s, a.Name)
		}
		return strings.Join(s, ",")
	}
	for _, tt := range []struct {
		state    campaigns.State
		approver bool
		want     string
	}{
		{campaigns.Draft, true, "approve,cancel"},
		{campaigns.Draft, false, ""},
		{campaigns.Approved, true, "pause,cancel"}, // approving again changes nothing a clerk sees
		{campaigns.Scheduled, false, "pause"},
		{campaigns.Running, true, "pause,cancel"},
		{campaigns.Paused, true, "resume,cancel"},
		{campaigns.Paused, false, ""},
		{campaigns.Missed, true, "cancel"},
		{campaigns.Finished, true, ""},
		{campaigns.Cancelled, true, ""},
	} {
		if got := names(allowedActions(tt.state, tt.approver)); got != tt.want {
			t.Errorf("%s approver=%v: %q, want %q", tt.state, tt.approver, got, tt.want)
		}
	}
}

func TestWeChatErrorsTellTheClerkWhatToDo(t *testing.T) {
	for _, tt := range []struct{ in, says string }{
		{"send: errcode=43004 require subscribe", "对方未关注"},
		{"errcode=45028 has no masssend quota", "群发配额已用完"},
		{"errcode: 40037 invalid template_id", "模板ID无效"},
		{"errcode=99999 something", "错误码 99999"},
		{"connection refused", "connection refused"},
	} {
		if got := wechatError(tt.in); !strings.Contains(got, tt.says) {
			t.Errorf("%q → %q", tt.in, got)
		}
	}
}

// Every action written to the audit log is named in Chinese on the audit
// page: the test reads the action strings the code passes to audit calls,
// so a new action without a label fails here rather than showing 其他操作.
func TestEveryAuditedActionHasAChineseLabel(t *testing.T) {
	call := regexp.MustCompile(`(?:audit\(|Action:\s*)[^"\n]*"([a-z_]+(?:\.[a-z_]+)+)"`)
	prefixed := regexp.MustCompile(`"(campaign|bank)\."\s*\+`)
	found := map[string]bool{}
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range call.FindAllStringSubmatch(string(b), -1) {
			found[m[1]] = true
		}
		if prefixed.Match(b) {
			found["(prefixed)"] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(found) < 20 {
		t.Fatalf("found only %d audited actions; the pattern no longer matches the code: %v", len(found), found)
	}
	delete(found, "(prefixed)")
	// Actions built as "campaign."+action and "bank."+change.
	for _, a := range []string{"pause", "approve", "resume", "cancel"} {
		found["campaign."+a] = true
	}
	for _, c := range []string{"edit", "create", "review", "disable", "enable"} {
		found["bank."+c] = true
	}
	for a := range found {
		if auditLabel(a) == "其他操作" {
			t.Errorf("audit action %q has no Chinese label in auditActions", a)
		}
	}
}
