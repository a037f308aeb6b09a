package campaigns_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pufa-dev/pufa/articles"
	"github.com/pufa-dev/pufa/campaigns"
	"github.com/pufa-dev/pufa/sms"
	"github.com/pufa-dev/pufa/store"
	"github.com/pufa-dev/pufa/store/storetest"
	"github.com/pufa-dev/pufa/wechat"
	"github.com/pufa-dev/pufa/wechat/wxsim"
)

// The helper process: the test binary re-executed with these variables runs
// one campaign with `RunNow`, exactly as `pufa campaign run` does, and is
// killed with SIGKILL part-way by the parent.
const (
	helperEnv       = "PUFA_CAMPAIGN_HELPER"
	helperAPIEnv    = "PUFA_CAMPAIGN_HELPER_API"
	helperRedisEnv  = "PUFA_CAMPAIGN_HELPER_REDIS"
	helperPrefixEnv = "PUFA_CAMPAIGN_HELPER_PREFIX"
	helperYAMLEnv   = "PUFA_CAMPAIGN_HELPER_YAML"
	helperRateEnv   = "PUFA_CAMPAIGN_HELPER_RATE"
	helperSMSEnv    = "PUFA_CAMPAIGN_HELPER_SMS" // the SMS gateway's URL, for sms campaigns
	// helperArticlesEnv set: the child sends articles kept in Redis.
	helperArticlesEnv = "PUFA_CAMPAIGN_HELPER_ARTICLES"
)

func helperMain() int {
	fail := func(err error) int {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 2
	}
	st := store.New(redis.NewClient(&redis.Options{Addr: os.Getenv(helperRedisEnv)}), os.Getenv(helperPrefixEnv))
	c, err := campaigns.Parse("helper.yaml", []byte(os.Getenv(helperYAMLEnv)))
	if err != nil {
		return fail(err)
	}
	wx, err := wechat.New(wechat.Config{AppID: testAppID, AppSecret: testSecret}, st, quietLogger())
	if err != nil {
		return fail(err)
	}
	rate, _ := strconv.ParseFloat(os.Getenv(helperRateEnv), 64)
	opts := campaigns.Options{
		Store: st, Definitions: func() ([]*campaigns.Campaign, error) { return []*campaigns.Campaign{c}, nil },
		Sender: wx, Audience: wx, Logger: quietLogger(), Workers: 8, Lease: time.Second, Rate: rate, SMSRate: rate,
	}
	if u := os.Getenv(helperSMSEnv); u != "" {
		client, err := sms.New(sms.Options{Endpoint: u, AccessKeyID: smsKeyID, AccessKeySecret: smsKeySecret, SignName: smsSign})
		if err != nil {
			return fail(err)
		}
		opts.SMS, opts.SMSNumbers = client, st
	}
	if os.Getenv(helperArticlesEnv) != "" {
		opts.Articles, opts.Publisher = articles.New(st, articlePublisher{wx}, nil, quietLogger()), wx
	}
	m, err := campaigns.New(opts)
	if err != nil {
		return fail(err)
	}
	fire, res, err := m.RunNow(context.Background(), c.ID, campaigns.RunOptions{IgnoreQuietHours: true})
	if err != nil {
		return fail(err)
	}
	fmt.Printf("fire=%d state=%s sent=%d failed=%d unknown=%d\n", fire.Unix(), res.State, res.Counts.Sent, res.Counts.Failed, res.Counts.Unknown)
	return 0
}

// killAndResume runs doc in a child process, SIGKILLs it once the simulator
// has delivered killAt messages of kind, runs it again to completion and
// returns the resumed run's counts.
func killAndResume(t *testing.T, doc, kind string, followers, killAt int) (*env, campaigns.RunStats) {
	t.Helper()
	if testing.Short() {
		t.Skip("subprocess test")
	}
	e := newEnv(t, envOpts{followers: followers, files: []string{doc}})
	id := e.defs[0].ID
	e.approve(id)
	child := func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), helperEnv+"=1", helperAPIEnv+"="+proxyURL,
			helperRedisEnv+"="+storetest.Addr(t), helperPrefixEnv+"="+e.st.Prefix(),
			helperYAMLEnv+"="+doc, helperRateEnv+"=1500")
		cmd.Stderr = os.Stderr
		return cmd
	}
	first := child()
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for e.kind(kind).Messages < killAt {
		if time.Now().After(deadline) {
			first.Process.Kill()
			t.Fatalf("child delivered only %d messages", e.kind(kind).Messages)
		}
		time.Sleep(time.Millisecond)
	}
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err := first.Wait()
	if ws, ok := first.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
		t.Fatalf("child was not killed: %v", err)
	}
	atKill := e.kind(kind).Messages
	if atKill >= followers {
		t.Fatalf("child finished before the kill (%d delivered)", atKill)
	}
	second := child()
	out, err := second.Output()
	if err != nil {
		t.Fatalf("resumed run: %v\n%s", err, out)
	}
	t.Logf("killed after %d of %d deliveries; resumed run: %s", atKill, followers, strings.TrimSpace(string(out)))
	st, err := e.m.Stats(bg, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Runs) != 1 || st.State != campaigns.Finished {
		t.Fatalf("runs %+v state %s: the restart must resume the same run", st.Runs, st.State)
	}
	return e, st.Runs[0]
}

func TestKill9TemplateRunResumesExactlyOnce(t *testing.T) {
	const followers = 3000
	e, r := killAndResume(t, templateAllYAML, wxsim.KindTemplate, followers, 1000)
	k := e.kind(wxsim.KindTemplate)
	if k.Messages != followers || k.UniqueRecipients != followers || k.Duplicates != 0 {
		t.Errorf("simulator: %+v, want every follower exactly once", k)
	}
	if r.Sent != followers || r.Failed != 0 || r.Unknown != 0 || r.Done != followers {
		t.Errorf("run counts %+v", r)
	}
	if int64(k.Repeats) > r.Resent {
		t.Errorf("WeChat dropped %d repeats, more than the %d recipients resent", k.Repeats, r.Resent)
	}
	t.Logf("interrupted recipients resent: %d, of which WeChat (client_msg_id) dropped as repeats: %d", r.Resent, k.Repeats)
}

// Customer-service messages have no idempotency key: recipients whose send
// was interrupted are recorded unknown and never resent. Nobody gets two.
func TestKill9CustomRunResumesAtMostOnce(t *testing.T) {
	const followers = 3000
	e, r := killAndResume(t, customAllYAML, wxsim.KindCustom, followers, 1000)
	k := e.kind(wxsim.KindCustom)
	if k.Duplicates != 0 || k.Messages != k.UniqueRecipients {
		t.Errorf("simulator: %+v, want zero duplicates", k)
	}
	if r.Sent+r.Unknown != followers || r.Failed != 0 {
		t.Errorf("run counts %+v", r)
	}
	// Every follower not recorded unknown got the message exactly once;
	// unknown ones got it at most once.
	if missing := followers - k.UniqueRecipients; int64(missing) > r.Unknown || int64(k.UniqueRecipients) < r.Sent {
		t.Errorf("%d followers never reached, %d recorded unknown, %d sent", missing, r.Unknown, r.Sent)
	}
	t.Logf("unknown after kill -9: %d (in flight at the kill; at most the 8 workers)", r.Unknown)
	if r.Unknown > 8 {
		t.Errorf("%d unknown, more than the workers in flight", r.Unknown)
	}
}
