package main

import (
	"context"
	"fmt"
	"image/color"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pufa-dev/pufa/articles"
	"github.com/pufa-dev/pufa/store"
	"github.com/pufa-dev/pufa/store/storetest"
	"github.com/pufa-dev/pufa/wechat/wxsim"
)

// TestHelperServe is `pufa serve` in a child process of the test binary;
// it only runs when TestKill9ServeReplicaMidCampaign starts it.
func TestHelperServe(t *testing.T) {
	cfg := os.Getenv("PUFA_HELPER_SERVE_CONFIG")
	if cfg == "" {
		t.Skip("runs only as a child of TestKill9ServeReplicaMidCampaign")
	}
	if err := run(context.Background(), []string{"serve", "--config", cfg}, os.Stdout, os.Stderr); err != nil {
		t.Fatal(err)
	}
}

// TestKill9ServeReplicaMidCampaign runs two `pufa serve` processes on one
// Redis, lets their schedulers fire a template campaign, kills one with
// SIGKILL part-way, and checks that the other finishes the run: every
// follower gets the message exactly once.
func TestKill9ServeReplicaMidCampaign(t *testing.T) {
	const followers = 300
	sim, err := wxsim.New(wxsim.Options{AppID: "wxkill", AppSecret: "kill-secret", Token: "kill-token", Followers: followers})
	if err != nil {
		t.Fatal(err)
	}
	simSrv := httptest.NewServer(sim)
	t.Cleanup(func() { simSrv.Close(); sim.Close() })

	dir := t.TempDir()
	campDir := filepath.Join(dir, "campaigns")
	os.Mkdir(campDir, 0o755)
	// The fire must come after the approval below (a fire that precedes its
	// approval is missed, by design), with room for a loaded CI machine.
	at := time.Now().Add(8 * time.Second).Format(time.RFC3339)
	os.WriteFile(filepath.Join(campDir, "kill.yaml"), []byte(`id: kill-test
title: 宪法宣传周模板消息
channel: template
audience: {all: true}
content:
  template:
    id: TPL-kill
    fields: {thing1: 宪法宣传周, thing2: 尊法学法守法用法}
schedule:
  at: `+at+"\n"), 0o600)
	prefix := fmt.Sprintf("killtest%d:", time.Now().UnixNano())
	// An article campaign fires at the same time: whichever replica takes
	// it, the article is synced once and mass-sent once.
	st := store.New(redis.NewClient(&redis.Options{Addr: storetest.Addr(t)}), prefix)
	svc := articles.New(st, nil, nil, nil)
	cover, err := svc.AddImage(context.Background(), "cover.png", testPNG(t, color.RGBA{200, 0, 0, 255}), "ed")
	if err != nil {
		t.Fatal(err)
	}
	articleID, err := svc.Create(context.Background(), articles.Input{Title: "宪法宣传周", Cover: cover.ID,
		Body: "::: 《中华人民共和国宪法》第三十三条\n中华人民共和国公民在法律面前一律平等。\n:::"}, "ed")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(campDir, "kill-article.yaml"), []byte(`id: kill-article
title: 宪法宣传周图文
channel: article
audience: {all: true}
content: {article: "`+articleID+`"}
schedule:
  at: `+at+"\n"), 0o600)
	cfgPath := filepath.Join(dir, "config.yaml")
	os.WriteFile(cfgPath, []byte(fmt.Sprintf(`http:
  addr: 127.0.0.1:0
redis:
  addrs: [%s]
  prefix: "%s"
wechat:
  app_id: wxkill
  app_secret: kill-secret
  token: kill-token
  api_base: %s
metrics:
  addr: 127.0.0.1:0
campaigns:
  dir: %s
  rate: 60
  lease: 3s
`, storetest.Addr(t), prefix, simSrv.URL, campDir)), 0o600)
	for _, id := range []string{"kill-test", "kill-article"} {
		if err := run(context.Background(), []string{"campaign", "approve", id, "--by", "测试", "--config", cfgPath}, io.Discard, io.Discard); err != nil {
			t.Fatalf("approve %s: %v", id, err)
		}
	}

	var logs []*lockedBuffer
	t.Cleanup(func() {
		if t.Failed() {
			for i, l := range logs {
				t.Logf("replica %d output:\n%s", i, l.String())
			}
		}
	})
	start := func() *exec.Cmd {
		out := &lockedBuffer{}
		logs = append(logs, out)
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperServe$")
		cmd.Stdout, cmd.Stderr = out, out
		cmd.Env = append(os.Environ(), "PUFA_HELPER_SERVE_CONFIG="+cfgPath)
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		return cmd
	}
	a, _ := start(), start()

	waitFor := func(what string, limit time.Duration, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(limit); !cond(); time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s; simulator: %+v", what, sim.Stats().Kinds[wxsim.KindTemplate])
			}
		}
	}
	waitFor("the run to start", 60*time.Second, func() bool { return sim.Stats().Kinds[wxsim.KindTemplate].Messages >= 60 })
	if err := a.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killedAt := sim.Stats().Kinds[wxsim.KindTemplate].Messages
	// The survivor takes the dead replica's recipients over once their lease
	// (3 s here) lapses, and its scheduler notices the interrupted run within
	// its poll interval (30 s).
	waitFor("the surviving replica to finish", 90*time.Second, func() bool {
		return sim.Stats().Kinds[wxsim.KindTemplate].UniqueRecipients >= followers
	})
	time.Sleep(500 * time.Millisecond) // anything still in flight lands now
	k := sim.Stats().Kinds[wxsim.KindTemplate]
	if k.Messages != followers || k.UniqueRecipients != followers || k.Duplicates != 0 {
		t.Errorf("template deliveries %+v: want every one of %d followers exactly once", k, followers)
	}
	waitFor("the article to be sent", 90*time.Second, func() bool {
		return sim.Stats().Kinds[wxsim.KindMass].UniqueRecipients >= followers
	})
	time.Sleep(500 * time.Millisecond)
	if m := sim.Stats().Kinds[wxsim.KindMass]; m.Messages != followers || m.Duplicates != 0 {
		t.Errorf("article deliveries %+v: want every one of %d followers exactly once", m, followers)
	}
	if n := sim.Stats().APICalls["/cgi-bin/draft/add"]; n != 1 {
		t.Errorf("%d drafts made, want 1", n)
	}
	t.Logf("killed one replica after %d of %d messages; the other finished: %+v", killedAt, followers, k)
}
