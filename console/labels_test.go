package console

import (
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
		{campaigns.Approved, true, "approve,pause,cancel"},
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
