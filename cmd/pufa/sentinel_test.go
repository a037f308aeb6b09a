package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pufa-dev/pufa/config"
	"github.com/pufa-dev/pufa/store"
	"github.com/pufa-dev/pufa/store/storetest"
)

// TestServiceSurvivesSentinelFailover runs the whole service on a real
// Sentinel deployment, configured as an operator would (redis.addrs are the
// Sentinels, redis.master_name the master), and kills the master with
// SIGKILL mid-conversation. Every message sent while the Sentinel promotes
// the replica is answered within 3 s: lookups as ever, 转人工 either recorded
// or refused with the hotline. Once the replica is master the service
// records again by itself, with no restart, and nothing acknowledged before
// the crash is lost.
func TestServiceSurvivesSentinelFailover(t *testing.T) {
	ctx := context.Background()
	sentinel := storetest.StartSentinel(t)
	cfg := config.Default()
	cfg.Redis.Addrs, cfg.Redis.MasterName = sentinel.Addrs, sentinel.MasterName
	st := openConfigured(t, &cfg)
	if _, ok := st.Client().(*redis.Client); !ok {
		t.Fatalf("redis.master_name %q opened a %T, want a Sentinel failover client", cfg.Redis.MasterName, st.Client())
	}
	svc, err := newService(cfg, st, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(svc.handler)
	t.Cleanup(srv.Close)

	var msgID atomic.Int64 // shared by the residents writing at once
	msgID.Store(9_000_000_000)
	// say delivers one signed text callback from openid and returns the
	// reply. Whatever Redis is doing, the resident gets an answer, in time.
	say := func(openid, text string) string {
		t.Helper()
		start := time.Now()
		code, body := signedPostFrom(t, srv.URL, openid, text, int(msgID.Add(1)))
		if code != http.StatusOK {
			t.Fatalf("%s: %q: status %d: %s", openid, text, code, body)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("%s: %q took %s: a failing master must not stall replies", openid, text, d)
		}
		return body
	}
	expect := func(phase, openid, text string, want ...string) string {
		t.Helper()
		got := say(openid, text)
		for _, w := range want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: %q: reply lacks %q:\n%s", phase, text, w, got)
			}
		}
		return got
	}
	// consultations returns what the store holds for openid, read back
	// through the service's own client.
	consultations := func(openid string) []store.Consultation {
		t.Helper()
		all, err := st.Consultations(ctx, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		var out []store.Consultation
		for _, c := range all {
			if c.OpenID == openid {
				out = append(out, c)
			}
		}
		return out
	}

	// Before the crash: a resident asks, asks for a human and starts the quiz.
	const resident = "oSentinel_resident_0000000001"
	expect("healthy", resident, "你好", "您好")
	expect("healthy", resident, "民法典第1077条", "三十日")
	expect("healthy", resident, "转人工", "已为您登记人工咨询")
	before := consultations(resident)
	if len(before) != 1 {
		t.Fatalf("%d consultations stored for %s before the crash, want 1", len(before), resident)
	}
	firstQuestion := expect("healthy", resident, "答题", "宪法宣传周", "第1/10题")
	m := questionHeader.FindStringSubmatch(firstQuestion)
	byText := constitutionQuestions(t)
	if m == nil || byText[m[4]] == nil {
		t.Fatalf("no known question in %q", firstQuestion)
	}
	question := byText[m[4]]

	// Asynchronous replication loses what the replica has not received;
	// that is Redis's contract, not pufa's, so the crash comes once it has.
	sentinel.SyncReplica()
	sentinel.KillMaster()
	killed := time.Now()

	// While the Sentinel fails over, other residents keep writing, each a
	// message at a time. Lookups need no Redis write and are answered; 转人工
	// is recorded if the client reaches the new master within its retries,
	// else refused with the hotline, and never lost once acknowledged.
	type writer struct {
		resident int64 // textBody writes as o_bench_<resident>
		text     string
		kinds    map[string][]string // how each acceptable reply reads
		got      map[string]int      // replies, by kind
		slowest  time.Duration
	}
	writers := []*writer{
		{resident: 9001, text: "转人工", kinds: map[string][]string{"recorded": {"已为您登记人工咨询"}, "refused": {"暂时无法登记", "12348"}}},
		{resident: 9002, text: "你好", kinds: map[string][]string{"answered": {"您好"}}},
		{resident: 9003, text: "民法典第1077条", kinds: map[string][]string{"answered": {"三十日"}}},
	}
	type result struct {
		w      *writer
		status int
		body   string
		took   time.Duration
		err    error
	}
	results := make(chan result)
	promoted := make(chan struct{}) // closed when the writers are to stop
	client := &http.Client{Timeout: 10 * time.Second}
	var wg sync.WaitGroup
	for _, w := range writers {
		w.got = map[string]int{}
		wg.Go(func() {
			for {
				id := msgID.Add(1)
				r := result{w: w}
				start := time.Now()
				req, err := signedCallback(srv.URL, cfg.WeChat.Token, id, textBody(w.resident, w.text, id))
				if r.err = err; err == nil {
					var resp *http.Response
					if resp, r.err = client.Do(req); r.err == nil {
						b, err := io.ReadAll(resp.Body)
						resp.Body.Close()
						r.status, r.body, r.err = resp.StatusCode, string(b), err
					}
				}
				r.took = time.Since(start)
				results <- r
				select {
				case <-promoted:
					return
				case <-time.After(50 * time.Millisecond): // a resident's typing pace
				}
			}
		})
	}
	go func() {
		wg.Wait()
		close(results)
	}()
	// The test goroutine judges the replies and watches the Sentinel.
	var failover time.Duration
	poll := time.NewTicker(20 * time.Millisecond)
	defer poll.Stop()
	giveUp := time.NewTimer(20 * time.Second)
	defer giveUp.Stop()
	for results != nil {
		select {
		case r, ok := <-results:
			if !ok {
				results = nil
				continue
			}
			w := r.w
			w.slowest = max(w.slowest, r.took)
			if r.err != nil || r.status != http.StatusOK {
				t.Errorf("during the failover: %q: status %d (%v): %s", w.text, r.status, r.err, r.body)
				continue
			}
			if r.took > 3*time.Second {
				t.Errorf("during the failover: %q took %s: a failing master must not stall replies", w.text, r.took)
			}
			kind := ""
			for k, want := range w.kinds {
				if containsAll(r.body, want) {
					kind = k
				}
			}
			if kind == "" {
				t.Errorf("during the failover: %q got none of the replies %v:\n%s", w.text, w.kinds, r.body)
			}
			w.got[kind]++
		case <-poll.C:
			master, err := sentinel.Master(ctx)
			if err != nil {
				t.Error(err)
			}
			if master == sentinel.ReplicaAddr && failover == 0 {
				failover = time.Since(killed)
				close(promoted)
			}
		case <-giveUp.C:
			if failover == 0 {
				t.Errorf("the Sentinel has not promoted the replica 20 s after the master died%s", sentinel.Logs())
				close(promoted)
			}
		}
	}
	if failover == 0 || t.Failed() {
		t.FailNow()
	}
	t.Logf("failover: the Sentinel named the replica master %v after SIGKILL", failover.Round(time.Millisecond))
	for _, w := range writers {
		t.Logf("meanwhile o_bench_%d sent %q: replies %v, the slowest in %v", w.resident, w.text, w.got, w.slowest.Round(time.Millisecond))
	}

	// After the failover the service finds the new master by itself. The
	// client learns of the switch from the Sentinel, so the first write may
	// still be refused; it must not stay so.
	var recovery time.Duration
	for deadline := time.Now().Add(10 * time.Second); recovery == 0; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("consultations are still not recorded 10 s after the failover%s", sentinel.Logs())
		}
		if strings.Contains(say(resident, "转人工"), "已为您登记人工咨询") {
			recovery = time.Since(killed)
		}
	}
	t.Logf("recovery: the service recorded again %v after SIGKILL", recovery.Round(time.Millisecond))

	// The quiz started before the crash goes on where it was.
	expect("after the failover", resident, residentForm(question, question.Answer, 0), "回答正确", "第2/10题")
	if p, err := st.QuizProgress(ctx, demoQuizID, resident); err != nil || p.Pos != 1 || p.Correct != 1 || p.Attempt != 1 {
		t.Errorf("quiz progress %+v (%v), want the answer counted once on the first attempt", p, err)
	}

	// Nothing acknowledged is lost: the consultation recorded before the
	// crash survived it, and each one acknowledged since is stored once.
	after := consultations(resident)
	if len(after) != 2 || !slices.ContainsFunc(after, func(c store.Consultation) bool { return c.ID == before[0].ID }) {
		t.Errorf("consultations of %s after the failover: %+v, want %+v and the new one", resident, after, before[0])
	}
	if w := writers[0]; len(consultations(fmt.Sprint("o_bench_", w.resident))) != w.got["recorded"] {
		t.Errorf("%d consultations stored for o_bench_%d, %d acknowledged during the failover",
			len(consultations(fmt.Sprint("o_bench_", w.resident))), w.resident, w.got["recorded"])
	}
}

// containsAll reports whether s contains every one of subs.
func containsAll(s string, subs []string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
