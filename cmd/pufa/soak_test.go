package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pufa-dev/pufa/config"
	"github.com/pufa-dev/pufa/store/storetest"
)

// TestSoakQuizAnswersExactlyOnce has simulated residents take the 宪法 quiz
// through the real callback path while WeChat retries a third of their
// answers, some at the same moment as the original: every accepted answer
// must be recorded exactly once, and the process's heap must stay flat.
// PUFA_SOAK=10m runs it for longer (default 3 s).
func TestSoakQuizAnswersExactlyOnce(t *testing.T) {
	d := 3 * time.Second
	if v, err := time.ParseDuration(os.Getenv("PUFA_SOAK")); err == nil {
		d = v
	}
	st := storetest.New(t)
	cfg := config.Default()
	cfg.WeChat.AppID, cfg.WeChat.AppSecret, cfg.WeChat.Token = "wxsoak", "secret", "tok"
	cfg.Quiz.Dir = demoQuizzes
	svc, err := newService(cfg, st, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(svc.handler)
	t.Cleanup(srv.Close)

	var msgID atomic.Int64
	var accepted, retries, residents atomic.Int64
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	deadline := time.Now().Add(d)
	var heapStart uint64
	var once sync.Once
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for n := 0; time.Now().Before(deadline); n++ {
				if n == 1 {
					once.Do(func() { heapStart = heap() })
				}
				residents.Add(1)
				takeQuiz(t, srv.URL, fmt.Sprintf("o_soak_%d_%d", g, n), &msgID, &accepted, &retries)
			}
		})
	}
	wg.Wait()
	heapEnd := heap()

	stats, err := st.QuizStats(context.Background(), demoQuizID)
	if err != nil {
		t.Fatal(err)
	}
	var recorded int64
	for _, q := range stats.Questions {
		recorded += q.Answered
	}
	if recorded != accepted.Load() || recorded == 0 {
		t.Errorf("%d answers recorded, %d accepted by the bot: each must be recorded exactly once", recorded, accepted.Load())
	}
	if stats.Participants != residents.Load() {
		t.Errorf("%d participants recorded, %d residents took part", stats.Participants, residents.Load())
	}
	grew := int64(heapEnd) - int64(heapStart)
	t.Logf("%s: %d residents, %d answers (%d WeChat retries), heap %d → %d KiB",
		d, residents.Load(), recorded, retries.Load(), heapStart>>10, heapEnd>>10)
	if grew > 64<<20 {
		t.Errorf("heap grew by %d MiB during the soak", grew>>20)
	}
}

// takeQuiz plays one resident through a whole attempt, answering by the kind
// of each question and alternating answers so none looks like a repeat.
func takeQuiz(t *testing.T, base, openid string, msgID, accepted, retries *atomic.Int64) {
	send := func(text string, id int) string {
		status, body := signedPostFrom(t, base, openid, text, id)
		if status != 200 {
			t.Errorf("%s %q: status %d", openid, text, status)
		}
		return body
	}
	reply := send("答题", int(msgID.Add(1)))
	for q := 0; q < 10 && !strings.Contains(reply, "答题完成"); q++ {
		answer := []string{"A", "B"}[q%2]
		if strings.Contains(reply, "判断题") {
			answer = []string{"对", "错"}[q%2]
		}
		id := int(msgID.Add(1))
		if id%3 == 0 { // WeChat retries this one, at the same time as the original
			retries.Add(1)
			var wg sync.WaitGroup
			var retried string
			wg.Go(func() { retried = send(answer, id) })
			reply = send(answer, id)
			wg.Wait()
			if retried != reply {
				t.Errorf("%s: a retry got a different reply", openid)
			}
		} else {
			reply = send(answer, id)
		}
		if strings.Contains(reply, "回答正确") || strings.Contains(reply, "回答错误") {
			accepted.Add(1)
		}
	}
}
