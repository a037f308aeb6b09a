package main

import (
	"strings"
	"testing"
	"time"

	"github.com/pufa-dev/pufa/store"
	"github.com/pufa-dev/pufa/store/storetest"
)

// TestRedisCrashAndRecovery pauses, then kills the service's Redis
// mid-conversation: the bot keeps answering from memory, says plainly what it
// cannot record, and records again by itself once Redis is back.
func TestRedisCrashAndRecovery(t *testing.T) {
	redisSrv := storetest.StartServer(t)
	st, err := store.Open(store.Options{Addrs: []string{redisSrv.Addr}, Prefix: "pufa:"}) // as pufa serve opens it
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	srv := testService(t, st)
	msgID := 0
	say := func(text string) string {
		t.Helper()
		msgID++
		start := time.Now()
		status, body := signedPost(t, srv.URL, text, msgID)
		if status != 200 {
			t.Fatalf("%q: status %d", text, status)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("%q took %s: a dead Redis must not stall replies", text, d)
		}
		return body
	}
	expect := func(phase, text string, want ...string) {
		t.Helper()
		got := say(text)
		for _, w := range want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: %q: reply lacks %q:\n%s", phase, text, w, got)
			}
		}
	}

	expect("healthy", "转人工", "已为您登记人工咨询")

	// A frozen Redis (SIGSTOP) answers nothing; the bot must not hang on it.
	redisSrv.Pause()
	expect("redis paused", "你好", "普法小助手")
	expect("redis paused", "转人工", "暂时无法登记", "12348")
	redisSrv.Resume()

	redisSrv.Kill()
	expect("redis down", "你好", "普法小助手")
	expect("redis down", "离婚冷静期是多久", "第一千零七十七条")
	expect("redis down", "转人工", "暂时无法登记", "12348")

	redisSrv.Restart()
	recovered := false
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if strings.Contains(say("转人工"), "已为您登记人工咨询") {
			recovered = true
			break
		}
	}
	if !recovered {
		t.Fatal("consultations are still not recorded 10 s after Redis came back")
	}
	expect("recovered", "离婚冷静期是多久", "第一千零七十七条")
}
