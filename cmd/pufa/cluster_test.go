package main

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pufa-dev/pufa/config"
	"github.com/pufa-dev/pufa/store"
	"github.com/pufa-dev/pufa/store/storetest"
)

// TestServiceOnCluster runs the whole callback path on a real three-master
// Redis Cluster, configured as an operator would (redis.addrs lists the
// nodes): residents whose keys live on different masters get keyword,
// knowledge, quiz and 转人工 replies, and WeChat's retries get the first
// reply byte for byte without being processed twice (a keyword reply, which
// records nothing, is given again).
// replyContent is the text of a passive reply; its CreateTime differs when
// the reply is given anew.
var replyContent = regexp.MustCompile(`(?s)<Content><!\[CDATA\[.*\]\]></Content>`)

// openConfigured completes cfg (its redis section set) for the signed test
// callbacks and the demo's 宪法 quiz, and opens the store as pufa serve does.
func openConfigured(t *testing.T, cfg *config.Config) *store.Store {
	t.Helper()
	cfg.WeChat.AppID, cfg.WeChat.AppSecret, cfg.WeChat.Token = "wxtest", "secret", "tok" // as signedPostFrom signs
	cfg.Quiz.Dir = demoQuizzes                                                           // the 宪法 quiz, open from now on
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	st, err := openStore(cfg.Redis)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestServiceOnCluster(t *testing.T) {
	ctx := context.Background()
	cfg := config.Default()
	cfg.Redis.Addrs = storetest.StartCluster(t)
	st := openConfigured(t, &cfg)
	cc, ok := st.Client().(*redis.ClusterClient)
	if !ok {
		t.Fatalf("redis.addrs with %d nodes opened a %T, want a cluster client", len(cfg.Redis.Addrs), st.Client())
	}
	svc, err := newService(cfg, st, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(svc.handler)
	t.Cleanup(srv.Close)

	byText := constitutionQuestions(t)

	// One resident per master: the openid is the hash tag of their keys.
	residents := []string{"o6_bmjrPTlm6_2sgVt7hMZOPfL2M", "oLVPpjqs9BhvzwPj5A-vTYAX3GLc", "o3ddd5LmjK8ZXk1dnyUeUAF8l0Nw"}
	masters := map[string]bool{}
	for _, o := range residents {
		node, err := cc.MasterForKey(ctx, "{"+o+"}")
		if err != nil {
			t.Fatal(err)
		}
		masters[node.Options().Addr] = true
	}
	if len(masters) != len(cfg.Redis.Addrs) {
		t.Fatalf("the residents' keys reach %d of %d masters", len(masters), len(cfg.Redis.Addrs))
	}

	for i, openid := range residents {
		t.Run(openid, func(t *testing.T) {
			// post delivers one signed text callback and returns the reply body.
			post := func(content string, msgID int) string {
				t.Helper()
				code, body := signedPostFrom(t, srv.URL, openid, content, msgID)
				if code != http.StatusOK {
					t.Fatalf("%q: status %d: %s", content, code, body)
				}
				return body
			}
			base := 8_000_000_000 + 100*i
			steps := []struct {
				name    string
				content func(prev string) string // what the resident types, given the previous reply
				want    []string
				// again: answered anew on a retry, not from a dedup record, so
				// it is retried at once, before a later message can start a
				// quiz that would take the retried text.
				again bool
			}{
				{"keyword rule", func(string) string { return "你好" }, []string{"您好"}, true},
				{"knowledge base", func(string) string { return "民法典第1077条" }, []string{"三十日"}, false},
				{"quiz start", func(string) string { return "答题" }, []string{"宪法宣传周", "第1/10题"}, false},
				{"quiz answer", func(prev string) string {
					m := questionHeader.FindStringSubmatch(prev)
					if m == nil || byText[m[4]] == nil {
						t.Fatalf("no known question in %q", prev)
					}
					q := byText[m[4]]
					return residentForm(q, q.Answer, i)
				}, []string{"回答正确", "依据：《中华人民共和国宪法》", "第2/10题"}, false},
				{"转人工 during the quiz", func(string) string { return "转人工" }, []string{"已为您登记人工咨询"}, false},
			}
			type delivery struct{ content, reply string }
			first := map[int]delivery{} // MsgId → the first delivery and its reply
			prev := ""
			for n, s := range steps {
				id, content := base+n, s.content(prev)
				prev = post(content, id)
				for _, w := range s.want {
					if !strings.Contains(prev, w) {
						t.Errorf("%s: reply lacks %q:\n%s", s.name, w, prev)
					}
				}
				if !s.again {
					first[id] = delivery{content, prev}
				} else if got, want := replyContent.FindString(post(content, id)), replyContent.FindString(prev); got != want || got == "" {
					t.Errorf("retry of %q answered differently:\nfirst: %s\nretry: %s", content, want, got)
				}
			}

			// WeChat retries every other message: same MsgId, sender and text.
			for id, d := range first {
				if got := post(d.content, id); got != d.reply {
					t.Errorf("retry of %q answered differently:\nfirst: %s\nretry: %s", d.content, d.reply, got)
				}
			}
			p, err := st.QuizProgress(ctx, demoQuizID, openid)
			if err != nil || p.Pos != 1 || p.Correct != 1 || p.Attempt != 1 {
				t.Errorf("quiz progress %+v (%v): the answer must count once, retry or not", p, err)
			}
			cs, err := st.Consultations(ctx, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, c := range cs {
				if c.OpenID == openid {
					n++
				}
			}
			if n != 1 {
				t.Errorf("%d consultations recorded for %s, want 1", n, openid)
			}
		})
	}

	t.Run("bench cleanup empties every master", func(t *testing.T) {
		// sizes counts the keys on each master; the cluster is this test's
		// own, so every key is pufa's.
		sizes := func() []int64 {
			t.Helper()
			var out []int64
			for _, addr := range cfg.Redis.Addrs {
				node := redis.NewClient(&redis.Options{Addr: addr})
				n, err := node.DBSize(ctx).Result()
				node.Close()
				if err != nil {
					t.Fatalf("%s: %v", addr, err)
				}
				out = append(out, n)
			}
			return out
		}
		for i, n := range sizes() {
			if n == 0 {
				t.Fatalf("master %s holds no keys before the cleanup; nothing to prove", cfg.Redis.Addrs[i])
			}
		}
		cleanup(st)
		for i, n := range sizes() {
			if n != 0 {
				t.Errorf("master %s still holds %d keys after the cleanup", cfg.Redis.Addrs[i], n)
			}
		}
	})
}
