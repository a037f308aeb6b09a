package campaigns_test

import (
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pufa-dev/pufa/campaigns"
	"github.com/pufa-dev/pufa/sms"
	"github.com/pufa-dev/pufa/sms/smssim"
	"github.com/pufa-dev/pufa/store"
	"github.com/pufa-dev/pufa/store/storetest"
)

const (
	smsKeyID     = "LTAI-test"
	smsKeySecret = "sms-test-secret"
	smsSign      = "某某街道办事处"
	smsTemplate  = "SMS_100001"
)

// smsYAML sends an approved template to the residents of list "agreed".
const smsYAML = `
id: sms-week
title: 宪法宣传周短信
channel: sms
audience: {sms_list: agreed}
content:
  sms: {template: SMS_100001, params: {theme: 宪法宣传周}}
`

// smsEnv is a world with an SMS gateway simulator: store, gateway, client
// and a Manager that sends text messages.
type smsEnv struct {
	st  *store.Store
	gw  *smssim.Server
	url string
	m   *campaigns.Manager
}

func simOptions(limits smssim.Limits) smssim.Options {
	return smssim.Options{
		AccessKeyID: smsKeyID, AccessKeySecret: smsKeySecret, SignNames: []string{smsSign}, Limits: limits,
		Templates: map[string]smssim.Template{
			smsTemplate:   {Text: "${theme}：尊法学法守法用法。", Params: []string{"theme"}, Approved: true},
			"SMS_PENDING": {Text: "待审核", Approved: false},
		},
	}
}

func newSMSEnv(t *testing.T, limits smssim.Limits, doc string, numbers ...string) *smsEnv {
	t.Helper()
	e := &smsEnv{st: storetest.New(t), gw: smssim.New(simOptions(limits))}
	srv := httptest.NewServer(e.gw)
	t.Cleanup(srv.Close)
	e.url = srv.URL
	if _, err := e.st.AddSMSNumbers(bg, "agreed", numbers); err != nil {
		t.Fatal(err)
	}
	c, err := campaigns.Parse("sms.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	e.m = newSMSManager(t, e.st, e.url, c, time.Second)
	if err := e.m.Approve(bg, c.ID, "测试员"); err != nil {
		t.Fatal(err)
	}
	return e
}

func newSMSManager(t testing.TB, st *store.Store, endpoint string, c *campaigns.Campaign, lease time.Duration) *campaigns.Manager {
	client, err := sms.New(sms.Options{Endpoint: endpoint, AccessKeyID: smsKeyID, AccessKeySecret: smsKeySecret, SignName: smsSign})
	if err != nil {
		t.Fatal(err)
	}
	m, err := campaigns.New(campaigns.Options{
		Store: st, Definitions: func() ([]*campaigns.Campaign, error) { return []*campaigns.Campaign{c}, nil },
		SMS: client, SMSNumbers: st, Logger: quietLogger(), Workers: 8, Lease: lease,
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func phones(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("139%08d", i+1)
	}
	return out
}

// Every number of the list gets the message once; each number the gateway
// refuses is recorded with the gateway's code and never retried, a number
// pufa cannot send to at all with "invalid", and a throttled request is
// retried until it goes through.
func TestSMSPerNumberOutcomes(t *testing.T) {
	good := phones(20)
	limited := "13800000001" // already had its message this minute
	malformed := "0551-1234567"
	e := newSMSEnv(t, smssim.DefaultLimits, smsYAML, append(good, limited, malformed)...)
	pre, _ := sms.New(sms.Options{Endpoint: e.url, AccessKeyID: smsKeyID, AccessKeySecret: smsKeySecret, SignName: smsSign})
	if _, err := pre.Send(bg, sms.Message{Phone: limited, TemplateCode: smsTemplate, Params: map[string]string{"theme": "其他"}}); err != nil {
		t.Fatal(err)
	}
	e.gw.SetFault(smssim.Fault{Code: sms.CodeThrottling, Count: 3})

	fire, res, err := e.m.RunNow(bg, "sms-week", campaigns.RunOptions{IgnoreQuietHours: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.State != "finished" || res.Counts.Total != 22 || res.Counts.Sent != 20 || res.Counts.Failed != 2 || res.Counts.Unknown != 0 {
		t.Fatalf("result %+v, want 20 sent and 2 failed of 22", res)
	}
	for _, p := range good {
		if in := e.gw.Inbox(p); len(in) != 1 || in[0].Text != "【"+smsSign+"】宪法宣传周：尊法学法守法用法。" {
			t.Errorf("%s inbox %+v, want the message once", p, in)
		}
	}
	tests := []struct {
		phone string
		want  store.ItemStatus
	}{
		{good[0], store.StatusSent},
		{limited, store.StatusFailedReason(sms.CodeNumberLimit)},
		{malformed, store.StatusFailedReason("invalid")},
	}
	for _, tt := range tests {
		got, err := e.st.RunStatus(bg, "sms-week", fire, tt.phone)
		if err != nil || got != tt.want {
			t.Errorf("status of %s = %q (%v), want %q", tt.phone, got, err, tt.want)
		}
	}
	if n := len(e.gw.Inbox(limited)); n != 1 {
		t.Errorf("the limited number has %d messages, want only the earlier one", n)
	}
	if got := e.gw.Stats().Refused[sms.CodeThrottling]; got != 3 {
		t.Errorf("throttled %d times, want the 3 armed (and retried)", got)
	}
	st, err := e.m.Stats(bg, "sms-week")
	if err != nil || st.Reach.Sent != 20 || st.Reach.Errors != 2 {
		t.Errorf("reach %+v %v: the 发送宣传短信 figure reads Sent", st.Reach, err)
	}
}

// A template the provider has not approved fails every number alike: the
// first refusal pauses the campaign instead of burning through the list.
func TestSMSTemplateNotApprovedPauses(t *testing.T) {
	doc := strings.Replace(smsYAML, smsTemplate, "SMS_PENDING", 1)
	e := newSMSEnv(t, smssim.Limits{}, doc, phones(30)...)
	_, res, err := e.m.RunNow(bg, "sms-week", campaigns.RunOptions{IgnoreQuietHours: true})
	if err != nil {
		t.Fatal(err)
	}
	st, _ := e.m.Stats(bg, "sms-week")
	if st.State != campaigns.Paused || !strings.Contains(st.PauseReason, sms.CodeTemplateIllegal) {
		t.Errorf("state %s (%q), want paused naming %s", st.State, st.PauseReason, sms.CodeTemplateIllegal)
	}
	if res.Counts.Sent != 0 || res.Counts.Failed > 8 {
		t.Errorf("counts %+v: want nothing sent and at most the workers in flight failed", res.Counts)
	}
}

// The gateway sends but the answer is lost: the number is recorded unknown
// and never sent again (a gateway has no idempotency key).
func TestSMSLostAnswerIsUnknownNeverResent(t *testing.T) {
	e := newSMSEnv(t, smssim.Limits{}, smsYAML, phones(10)...)
	e.gw.SetFault(smssim.Fault{LostAnswers: 2})
	_, res, err := e.m.RunNow(bg, "sms-week", campaigns.RunOptions{IgnoreQuietHours: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Counts.Sent != 8 || res.Counts.Unknown != 2 {
		t.Errorf("counts %+v, want 8 sent and 2 unknown", res.Counts)
	}
	for _, p := range phones(10) {
		if n := len(e.gw.Inbox(p)); n != 1 {
			t.Errorf("%s has %d messages, want exactly 1", p, n)
		}
	}
}

// kill -9 part-way through an SMS run, then run it again: the same run
// resumes, no number gets two messages, and only numbers in flight at the
// kill are unknown.
func TestKill9SMSRunResumesAtMostOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess test")
	}
	const total, killAt = 2000, 500
	list := phones(total)
	e := newSMSEnv(t, smssim.Limits{}, smsYAML, list...) // no limits: a duplicate must show, not be refused
	child := func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), helperEnv+"=1", helperAPIEnv+"="+proxyURL, helperSMSEnv+"="+e.url,
			helperRedisEnv+"="+storetest.Addr(t), helperPrefixEnv+"="+e.st.Prefix(),
			helperYAMLEnv+"="+smsYAML, helperRateEnv+"=1000")
		cmd.Stderr = os.Stderr
		return cmd
	}
	first := child()
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); e.gw.Stats().Sent < killAt; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			first.Process.Kill()
			t.Fatalf("child sent only %d", e.gw.Stats().Sent)
		}
	}
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	first.Wait()
	if ws, ok := first.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
		t.Fatal("child was not killed")
	}
	atKill := e.gw.Stats().Sent
	if atKill >= total {
		t.Fatalf("child finished before the kill (%d sent)", atKill)
	}
	time.Sleep(1100 * time.Millisecond) // the dead child's leases (1 s) lapse
	out, err := child().Output()
	if err != nil {
		t.Fatalf("resumed run: %v\n%s", err, out)
	}
	t.Logf("killed after %d of %d; resumed run: %s", atKill, total, strings.TrimSpace(string(out)))
	st, err := e.m.Stats(bg, "sms-week")
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Runs) != 1 || st.State != campaigns.Finished {
		t.Fatalf("runs %+v state %s: the restart must resume the same run", st.Runs, st.State)
	}
	r := st.Runs[0]
	reached := 0
	for _, p := range list {
		switch n := len(e.gw.Inbox(p)); n {
		case 0:
		case 1:
			reached++
		default:
			t.Errorf("%s got %d messages", p, n)
		}
	}
	if r.Sent+r.Unknown != total || r.Failed != 0 || int64(reached) < r.Sent || int64(total-reached) > r.Unknown {
		t.Errorf("run %+v, %d numbers reached of %d", r, reached, total)
	}
	if r.Unknown > 8 {
		t.Errorf("%d unknown, more than the workers in flight at the kill", r.Unknown)
	}
	// The finished run keeps statuses only under pseudonyms.
	raw, _ := e.st.RunStatuses(bg, "sms-week", r.Fire)
	for k := range raw {
		if !strings.HasPrefix(k, "~") {
			t.Errorf("status still under the number %s after the run", k)
			break
		}
	}
}
