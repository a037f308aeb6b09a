package main

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pufa-dev/pufa/campaigns"
	"github.com/pufa-dev/pufa/chinatime"
	"github.com/pufa-dev/pufa/config"
	"github.com/pufa-dev/pufa/quiz"
	"github.com/pufa-dev/pufa/store"
	"github.com/pufa-dev/pufa/store/storetest"
	"github.com/pufa-dev/pufa/wechat/msgcrypt"
	"github.com/pufa-dev/pufa/wechat/wxsim"
)

// Credentials shared by the simulator and both replicas (safe mode).
const (
	scaleAppID     = "wxscaleout000001"
	scaleSecret    = "scale-secret"
	scaleToken     = "scale-token"
	scaleAESKey    = "pufaScaleOutEncodingAESKey0123456789abcdefg"
	scaleFollowers = 50
	scaleCampaign  = "scaleout-notice"
)

// lockedBuffer is a log sink read by the test while replicas write to it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// replica is one `pufa serve` process of the pair.
type replica struct {
	name string
	url  string
	st   *store.Store
	log  *lockedBuffer
}

// roundRobin is the load balancer: it alternates callbacks between the
// replicas and records which replica served which resident's request.
type roundRobin struct {
	mu       sync.Mutex
	backends []*url.URL
	next     int
	served   map[string][]int // openid → backend index, in order
}

func newRoundRobin(urls ...string) *roundRobin {
	rr := &roundRobin{served: map[string][]int{}}
	for _, u := range urls {
		parsed, err := url.Parse(u)
		if err != nil {
			panic(err)
		}
		rr.backends = append(rr.backends, parsed)
	}
	return rr
}

func (rr *roundRobin) handler() http.Handler {
	return &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		rr.mu.Lock()
		i := rr.next % len(rr.backends)
		rr.next++
		openid := pr.In.URL.Query().Get("openid")
		rr.served[openid] = append(rr.served[openid], i)
		rr.mu.Unlock()
		pr.SetURL(rr.backends[i])
	}}
}

func (rr *roundRobin) servedFor(openid string) []int {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	return append([]int(nil), rr.served[openid]...)
}

// scaleOut is two replicas on one Redis behind one address, with the
// simulator calling back through the round robin.
type scaleOut struct {
	sim      *wxsim.Server
	proxy    *roundRobin
	replicas [2]*replica
	cipher   *msgcrypt.Cipher
	// campaigns reads campaign state (a third manager on the same Redis).
	campaigns *campaigns.Manager
}

func newScaleOut(t *testing.T, fireAt func(approvedAt time.Time) time.Time) *scaleOut {
	t.Helper()
	stA := storetest.New(t) // unique prefix, keys removed at the end
	rdbB := redis.NewClient(&redis.Options{Addr: storetest.Addr(t)})
	stB := store.New(rdbB, stA.Prefix())
	t.Cleanup(func() { stB.Close() })

	// The proxy's address must be known before the simulator exists, and
	// the replicas' before the proxy has backends: listen first.
	listen := func() net.Listener {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	lA, lB := listen(), listen()
	t.Cleanup(func() { lA.Close(); lB.Close() }) // when a replica never started
	rr := newRoundRobin("http://"+lA.Addr().String(), "http://"+lB.Addr().String())
	front := httptest.NewServer(rr.handler())
	t.Cleanup(front.Close)

	sim, err := wxsim.New(wxsim.Options{
		AppID: scaleAppID, AppSecret: scaleSecret, Token: scaleToken, EncodingAESKey: scaleAESKey,
		Mode: wxsim.ModeSafe, CallbackURL: front.URL + "/wechat", Followers: scaleFollowers,
		MassRateLimit: -1, MassFinishDelay: 100 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	simSrv := httptest.NewServer(sim)
	t.Cleanup(func() { simSrv.Close(); sim.Close() })

	campDir := t.TempDir()
	cfg := config.Default()
	cfg.Redis.Addrs, cfg.Redis.Prefix = []string{storetest.Addr(t)}, stA.Prefix()
	cfg.WeChat = config.WeChat{
		AppID: scaleAppID, AppSecret: scaleSecret, Token: scaleToken, EncodingAESKey: scaleAESKey,
		APIBase: simSrv.URL, MaxClockSkew: cfg.WeChat.MaxClockSkew,
	}
	cfg.Campaigns.Dir = campDir
	cfg.Campaigns.Rate = 0
	cfg.Quiz.Dir = demoQuizzes // the 宪法 quiz, open from now on, as in the demo
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}

	cipher, err := msgcrypt.NewCipher(scaleAESKey, scaleAppID)
	if err != nil {
		t.Fatal(err)
	}
	so := &scaleOut{sim: sim, proxy: rr, cipher: cipher}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() {
		cancel()
		wg.Wait() // in-flight callbacks and campaign sends finish first
	})
	var start []func()
	for i, spec := range []struct {
		name string
		st   *store.Store
		l    net.Listener
	}{{"A", stA, lA}, {"B", stB, lB}} {
		buf := &lockedBuffer{}
		logger := slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelInfo})).With("replica", spec.name)
		svc, err := newService(cfg, spec.st, logger) // same config, own Redis client
		if err != nil {
			t.Fatal(err)
		}
		so.replicas[i] = &replica{name: spec.name, url: "http://" + spec.l.Addr().String(), st: spec.st, log: buf}
		start = append(start, func() {
			wg.Go(func() {
				if err := svc.serveHTTP(ctx, spec.l, nil, logger); err != nil {
					t.Errorf("replica %s: %v", spec.name, err)
				}
			})
		})
	}

	// An approved one-shot mass campaign due shortly after its approval;
	// it is approved once both replicas are built, so that both
	// schedulers start together, wait for the fire and then race to claim it.
	mgr, err := newCampaigns(cfg, stA, nil, nil, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	so.campaigns = mgr
	if fireAt != nil {
		approvedAt := time.Now()
		at := fireAt(approvedAt).In(chinatime.Zone).Format(time.RFC3339)
		body := "id: " + scaleCampaign + "\ntitle: 扩容测试通知\nchannel: mass\naudience: {all: true}\n" +
			"content: {text: 本周六上午社区法律服务站开放咨询。}\nschedule: {at: " + at + ", catch_up: once}\n"
		if err := os.WriteFile(filepath.Join(campDir, scaleCampaign+".yaml"), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := mgr.Approve(context.Background(), scaleCampaign, "张三"); err != nil {
			t.Fatal(err)
		}
	}

	for _, fn := range start {
		fn()
	}
	return so
}

// post delivers one safe-mode callback body straight to a replica,
// bypassing the proxy, signed and encrypted the way WeChat does, and
// returns the raw response and the decrypted reply.
func (so *scaleOut) post(t *testing.T, base string, msgXML []byte) (raw []byte, reply string) {
	t.Helper()
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	nonce := strconv.FormatInt(time.Now().UnixNano()%1e9, 10)
	enc, err := so.cipher.Encrypt(nil, msgXML)
	if err != nil {
		t.Fatal(err)
	}
	q := url.Values{
		"timestamp": {ts}, "nonce": {nonce}, "signature": {msgcrypt.Sign(scaleToken, ts, nonce)},
		"encrypt_type": {"aes"}, "msg_signature": {msgcrypt.Sign(scaleToken, ts, nonce, enc)},
	}
	body := "<xml><ToUserName><![CDATA[gh_wxsim0000001]]></ToUserName><Encrypt><![CDATA[" + enc + "]]></Encrypt></xml>"
	resp, err := http.Post(base+"/wechat?"+q.Encode(), "text/xml", strings.NewReader(body))
	if err != nil {
		t.Error(err)
		return nil, ""
	}
	defer resp.Body.Close()
	raw, _ = io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Errorf("%s: status %d: %s", base, resp.StatusCode, raw)
		return raw, ""
	}
	var env msgcrypt.EncryptedReply
	if err := xml.Unmarshal(raw, &env); err != nil || env.Encrypt == "" {
		t.Errorf("%s: reply is not a safe-mode envelope: %v %q", base, err, raw)
		return raw, ""
	}
	if !msgcrypt.Verify(env.MsgSignature, scaleToken, env.TimeStamp, env.Nonce, env.Encrypt) {
		t.Errorf("%s: reply signature does not verify", base)
	}
	plain, err := so.cipher.Decrypt(env.Encrypt)
	if err != nil {
		t.Errorf("%s: decrypt reply: %v", base, err)
		return raw, ""
	}
	var msg struct{ Content string }
	xml.Unmarshal(plain, &msg)
	return raw, msg.Content
}

// consultations sums today's (and, across midnight, yesterday's) counter.
func consultations(t *testing.T, st *store.Store, since time.Time) int64 {
	t.Helper()
	days := []time.Time{since}
	if now := time.Now(); store.Day(now) != store.Day(since) {
		days = append(days, now)
	}
	var n int64
	for _, day := range days {
		stats, err := st.DayStats(context.Background(), day)
		if err != nil {
			t.Fatal(err)
		}
		n += stats[store.MetricConsultations]
	}
	return n
}

func TestScaleOutTwoReplicasOneRedis(t *testing.T) {
	// The campaign fires two seconds after its approval, which comes just
	// before both replicas start: both schedulers wait for it.
	so := newScaleOut(t, func(approved time.Time) time.Time { return approved.Truncate(time.Second).Add(2 * time.Second) })
	a, b := so.replicas[0], so.replicas[1]
	ctx := context.Background()

	t.Run("the same callback on both replicas is handled once", func(t *testing.T) {
		tests := []struct {
			name       string
			openid     string
			msgID      int64
			concurrent bool
		}{
			{"A then B (a retry landing on the other replica)", "o_sim_000002", 7_000_000_001, false},
			{"A and B at once", "o_sim_000003", 7_000_000_002, true},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				msg := fmt.Appendf(nil, "<xml><ToUserName><![CDATA[gh_wxsim0000001]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName>"+
					"<CreateTime>%d</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[转人工]]></Content><MsgId>%d</MsgId></xml>",
					tt.openid, time.Now().Unix(), tt.msgID)
				since := time.Now()
				before := consultations(t, a.st, since)
				var raws [2][]byte
				var replies [2]string
				if tt.concurrent {
					var wg sync.WaitGroup
					for i, r := range []*replica{a, b} {
						wg.Go(func() { raws[i], replies[i] = so.post(t, r.url, msg) })
					}
					wg.Wait()
				} else {
					raws[0], replies[0] = so.post(t, a.url, msg)
					raws[1], replies[1] = so.post(t, b.url, msg)
				}
				if !strings.Contains(replies[0], "已为您登记人工咨询") {
					t.Errorf("reply %q does not confirm the consultation", replies[0])
				}
				if !bytes.Equal(raws[0], raws[1]) {
					t.Errorf("responses differ:\nA: %s\nB: %s", raws[0], raws[1])
				}
				if got := consultations(t, a.st, since) - before; got != 1 {
					t.Errorf("consultations recorded: %d, want 1", got)
				}
				if ga, gb := consultations(t, a.st, since), consultations(t, b.st, since); ga != gb {
					t.Errorf("replicas disagree on the day's consultations: A %d, B %d", ga, gb)
				}
				list, err := a.st.Consultations(ctx, since.Add(-time.Second), time.Now().Add(time.Second))
				if err != nil {
					t.Fatal(err)
				}
				n := 0
				for _, c := range list {
					if c.OpenID == tt.openid {
						n++
					}
				}
				if n != 1 {
					t.Errorf("consultations of %s in the list: %d, want 1 (%+v)", tt.openid, n, list)
				}
			})
		}
	})

	t.Run("the scheduled campaign fires once across replicas", func(t *testing.T) {
		var st campaigns.Stats
		deadline := time.Now().Add(12 * time.Second)
		for {
			var err error
			if st, err = so.campaigns.Stats(ctx, scaleCampaign); err != nil {
				t.Fatal(err)
			}
			if st.State == campaigns.Finished && st.Reach.Pending == 0 && st.Reach.Sent > 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("campaign did not finish and report its reach: %+v\nA:\n%s\nB:\n%s", st, a.log, b.log)
			}
			time.Sleep(50 * time.Millisecond)
		}
		if st.Fires != 1 || len(st.Runs) != 1 || st.Runs[0].State != "finished" || st.Runs[0].Sent != 1 {
			t.Errorf("campaign stats: fires %d, runs %+v; want one finished run with one mass request", st.Fires, st.Runs)
		}
		if st.Reach.Total != scaleFollowers || st.Reach.Sent != scaleFollowers {
			t.Errorf("reach %+v, want %d followers", st.Reach, scaleFollowers)
		}
		sim := so.sim.Stats()
		if k := sim.Kinds[wxsim.KindMass]; k.Messages != scaleFollowers || k.UniqueRecipients != scaleFollowers || k.Duplicates != 0 {
			t.Errorf("mass deliveries %+v, want each of %d followers exactly once", k, scaleFollowers)
		}
		if n := sim.APICalls["/cgi-bin/message/mass/sendall"]; n != 1 {
			t.Errorf("mass sendall requests: %d, want 1", n)
		}
		fired := 0
		for _, r := range so.replicas {
			log := r.log.String()
			if !strings.Contains(log, `msg="scheduler: started"`) {
				t.Errorf("replica %s never ran its scheduler", r.name)
			}
			fired += strings.Count(log, `msg="scheduler: fire"`)
		}
		if fired != 1 {
			t.Errorf("replicas that fired the campaign: %d, want 1\nA:\n%s\nB:\n%s", fired, a.log, b.log)
		}
	})

	t.Run("a quiz started on one replica continues on the other", func(t *testing.T) {
		const openid = "o_sim_000001" // a follower, so the follower count stays put
		byText := constitutionQuestions(t)
		send := func(content string) string {
			t.Helper()
			rep, err := so.sim.SendText(ctx, openid, content)
			if err != nil || rep.Attempts != 1 || rep.Content == "" {
				t.Fatalf("send %q: %v, %+v", content, err, rep)
			}
			return rep.Content
		}

		reply := send("答题")
		if !strings.Contains(reply, "宪法宣传周") || !strings.Contains(reply, "第1/10题") {
			t.Fatalf("答题: %s", reply)
		}
		prev, right, answers := "", 0, 0
		for i := 0; ; i++ {
			m := questionHeader.FindStringSubmatch(reply)
			if m == nil {
				break
			}
			if m[1] != strconv.Itoa(i+1) || m[2] != "10" {
				t.Fatalf("answer %d: reply shows question %s/%s, want %d/10:\n%s", i, m[1], m[2], i+1, reply)
			}
			q := byText[m[4]]
			if q == nil {
				t.Fatalf("question %q not in the bank:\n%s", m[4], reply)
			}
			ans, correct := q.Answer, true
			if ans == prev { // would be a repeat within quiz.repeat_window: answer wrong
				ans = map[string]string{quiz.True: quiz.False, quiz.False: quiz.True}[ans]
				if ans == "" {
					ans = string(rune('A' + (int(q.Answer[0]-'A')+1)%len(q.Options)))
				}
				correct = false
			}
			if correct {
				right++
			}
			prev = ans
			reply = send(residentForm(q, ans, i))
			answers++
			if !strings.Contains(reply, "依据：《中华人民共和国宪法》") {
				t.Fatalf("answer %d: no explanation:\n%s", i+1, reply)
			}
			if i < 9 && !strings.Contains(reply, fmt.Sprintf("第%d/10题", i+2)) {
				t.Fatalf("answer %d: progress lost, next question is not %d/10:\n%s", i+1, i+2, reply)
			}
			if i > 20 {
				t.Fatal("the quiz never ends")
			}
		}
		if answers != 10 {
			t.Errorf("answered %d questions, want 10", answers)
		}
		if want := fmt.Sprintf("答题完成！您答对%d/10题", right); !strings.Contains(reply, want) {
			t.Errorf("final reply lacks %q:\n%s", want, reply)
		}

		served := so.proxy.servedFor(openid)
		if len(served) != 11 {
			t.Fatalf("proxy forwarded %d requests of %s, want 11: %v", len(served), openid, served)
		}
		for i := 1; i < len(served); i++ {
			if served[i] == served[i-1] {
				t.Errorf("requests %d and %d both went to replica %d: %v", i-1, i, served[i], served)
			}
		}

		qs, err := b.st.QuizStats(ctx, demoQuizID)
		if err != nil {
			t.Fatal(err)
		}
		var answered, rightCount int64
		for _, q := range qs.Questions {
			answered += q.Answered
			rightCount += q.Right
		}
		if qs.Participants != 1 || qs.Attempts != 1 || qs.Finished != 1 || qs.Completions != 1 {
			t.Errorf("quiz stats %+v, want one participant, attempt, finish and completion", qs)
		}
		if answered != 10 || rightCount != int64(right) || qs.ScoreSum != int64(right) {
			t.Errorf("answers counted %d (right %d, score %d), want 10 (right %d)", answered, rightCount, qs.ScoreSum, right)
		}
	})
}
