package quiz_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pufa-dev/pufa/bot"
	"github.com/pufa-dev/pufa/knowledge"
	"github.com/pufa-dev/pufa/quiz"
	"github.com/pufa-dev/pufa/store"
	"github.com/pufa-dev/pufa/store/storetest"
)

// testBank has one question of each kind, in a fixed order.
const testBank = `id: mini
title: 测试题库
questions:
  - id: q1
    type: single
    question: 中华人民共和国的一切权力属于（ ）。
    options: [国家机关, 人民, 政府]
    answer: B
    explanation: 宪法规定一切权力属于人民。
    cite: 宪法第二条
  - id: q2
    type: multiple
    question: 第一顺序继承人包括（ ）。
    options: [配偶, 兄弟姐妹, 子女, 祖父母]
    answer: AC
    explanation: 第一顺序为配偶、子女、父母。
    cite: 民法典第1127条
  - id: q3
    type: truefalse
    question: 宅基地属于国家所有。
    answer: 错
    explanation: 宅基地属于集体所有。
    cite: 宪法第十条
  - id: q4
    type: single
    question: 离婚冷静期是（ ）日。
    options: [十五, 三十]
    answer: B
    explanation: 三十日内可以撤回离婚登记申请。
    cite: 民法典第一千零七十七条
`

var (
	opens  = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	closes = time.Date(2026, 12, 8, 0, 0, 0, 0, time.UTC)
)

func testQuiz(attempts int) string {
	return fmt.Sprintf(`id: mini-2026
title: 测试答题
bank: mini
questions: 4
order: fixed
attempts: %d
window:
  from: %s
  to: %s
`, attempts, opens.Format(time.RFC3339), closes.Format(time.RFC3339))
}

func catalog(t testing.TB, quizzes ...string) *quiz.Catalog {
	t.Helper()
	corpus, err := knowledge.DefaultCorpus()
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{"banks/mini.yaml": {Data: []byte(testBank)}}
	for i, q := range quizzes {
		fsys[fmt.Sprintf("quizzes/q%d.yaml", i)] = &fstest.MapFile{Data: []byte(q)}
	}
	c, err := quiz.Load(fsys, "test", corpus, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// chat is a router with the quiz in front of a fallback that names itself,
// as in the service, with a clock the test moves.
type chat struct {
	t      *testing.T
	st     *store.Store
	svc    *quiz.Service
	router *bot.Router
	now    atomic.Pointer[time.Time]
}

func newChat(t *testing.T, cat *quiz.Catalog, idle time.Duration) *chat {
	c := &chat{t: t, st: storetest.New(t)}
	start := opens.Add(24 * time.Hour)
	c.now.Store(&start)
	svc, err := quiz.New(quiz.Options{Catalog: cat, Store: c.st, IdleTimeout: idle, RepeatWindow: 2 * time.Second,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return *c.now.Load() }})
	if err != nil {
		t.Fatal(err)
	}
	c.svc = svc
	c.router = bot.NewRouter(bot.HandlerFunc(func(context.Context, *bot.Message) (bot.Reply, error) {
		return bot.Reply{Text: "FALLBACK"}, nil
	}))
	svc.Register(c.router)
	return c
}

// advance moves the clock past the repeat window, as a person reading the
// next question would.
func (c *chat) advance(d time.Duration) {
	next := c.now.Load().Add(d)
	c.now.Store(&next)
}

func (c *chat) send(openid, content string) string {
	c.t.Helper()
	r, err := c.router.Handle(context.Background(), &bot.Message{FromUserName: openid, MsgType: bot.TypeText,
		Content: content, Text: bot.Normalize(content)})
	if err != nil {
		c.t.Fatalf("%q: %v", content, err)
	}
	if len(r.Text) > 2048 {
		c.t.Errorf("%q: reply of %d bytes exceeds WeChat's limit", content, len(r.Text))
	}
	return r.Text
}

func (c *chat) expect(openid, content string, want ...string) string {
	c.t.Helper()
	got := c.send(openid, content)
	for _, w := range want {
		if !strings.Contains(got, w) {
			c.t.Errorf("reply to %q lacks %q:\n%s", content, w, got)
		}
	}
	return got
}

func (c *chat) progress(openid string) store.QuizProgress {
	c.t.Helper()
	p, err := c.st.QuizProgress(context.Background(), "mini-2026", openid)
	if err != nil {
		c.t.Fatal(err)
	}
	return p
}

func TestQuizEndToEndInTheChat(t *testing.T) {
	c := newChat(t, catalog(t, testQuiz(0)), time.Hour)
	c.expect("u1", "A", "FALLBACK") // no quiz session: an ordinary text
	c.expect("u1", "答题", "欢迎参加“测试答题”", "第1/4题（单选题）", "A. 国家机关", "B. 人民", "请回复一个选项字母")
	c.expect("u1", "离婚冷静期是多久", "没有看懂您的回复，未计入答案", "第1/4题")
	if p := c.progress("u1"); p.Pos != 0 {
		t.Fatalf("unrecognised input was counted: %+v", p)
	}
	c.expect("u1", "AC", "未计入答案", "请回复一个选项字母")
	c.expect("u1", "Ｂ", "✅ 回答正确", "依据：《中华人民共和国宪法》第二条", "第2/4题（多选题）")
	c.expect("u1", "b", "您对第1题的回答已记录", "第2/4题") // the same reply again right away repeats answer 1
	c.advance(5 * time.Second)
	c.expect("u1", "a c", "✅ 回答正确", "《中华人民共和国民法典》第一千一百二十七条", "第3/4题（判断题）", "请回复“对”或“错”")
	c.expect("u1", "a c", "您对第2题的回答已记录", "第3/4题") // repeated right away: not the answer to 3
	if p := c.progress("u1"); p.Pos != 2 || p.Correct != 2 {
		t.Fatalf("repeats changed the score: %+v", p)
	}
	c.advance(5 * time.Second)
	c.expect("u1", "√", "❌ 回答错误。正确答案：错", "宅基地属于集体所有", "第4/4题")
	c.advance(5 * time.Second)
	final := c.expect("u1", "b", "✅ 回答正确", "答题完成！您答对3/4题，得分75分", "排名第1（共1人完成）", "【答题证书】", "评定为“合格”", "——街道普法办公室")
	if strings.Contains(final, "第5/4题") {
		t.Errorf("a question after the last:\n%s", final)
	}
	c.expect("u1", "A", "FALLBACK") // the session ended with the attempt
	c.expect("u1", "排行", "【测试答题】排行榜", "1. 居民（尾号1）", "答对3/4题", "← 您", "排名第1")

	stats, err := c.svc.Stats(context.Background(), "mini-2026")
	if err != nil {
		t.Fatal(err)
	}
	if stats.Participants != 1 || stats.Completions != 1 || stats.AverageScore != 75 || len(stats.PerQuestion) != 4 {
		t.Errorf("stats %+v", stats)
	}
	if q := stats.PerQuestion[0]; q.ID != "q3" || q.Accuracy != 0 || q.CommonWrong != quiz.True {
		t.Errorf("the hardest question first, with its common wrong answer: %+v", q)
	}
}

func TestQuizExitAndResume(t *testing.T) {
	c := newChat(t, catalog(t, testQuiz(0)), time.Hour)
	c.send("u1", "答题")
	c.send("u1", "B")
	c.advance(5 * time.Second)
	c.expect("u1", "退出", "已暂停答题", "从第2题继续")
	c.expect("u1", "AC", "FALLBACK") // out of the quiz, texts go to the rest of the bot
	c.expect("u1", "退出", "FALLBACK")
	c.expect("u1", "答题", "欢迎回来", "已答1题，答对1题", "第2/4题")
	c.expect("u1", "AC", "✅ 回答正确", "第3/4题")
}

func TestQuizSessionLapsesWhenIdle(t *testing.T) {
	c := newChat(t, catalog(t, testQuiz(0)), 300*time.Millisecond)
	c.send("u1", "答题")
	time.Sleep(500 * time.Millisecond)
	c.expect("u1", "B", "FALLBACK")
	c.expect("u1", "答题", "欢迎回来", "第1/4题")
	c.expect("u1", "B", "✅ 回答正确")
}

func TestQuizMenuClick(t *testing.T) {
	c := newChat(t, catalog(t, testQuiz(0)), time.Hour)
	r, err := c.router.Handle(context.Background(), &bot.Message{FromUserName: "u1", MsgType: bot.TypeEvent,
		Event: bot.EventClick, EventKey: quiz.MenuKey})
	if err != nil || !strings.Contains(r.Text, "第1/4题") {
		t.Fatalf("click: %q %v", r.Text, err)
	}
	c.expect("u1", "B", "✅ 回答正确")
}

func TestQuizWindow(t *testing.T) {
	c := newChat(t, catalog(t, testQuiz(0)), time.Hour)
	before := opens.Add(-time.Minute)
	c.now.Store(&before)
	c.expect("u1", "答题", "当前没有进行中的答题活动", "下一场“测试答题”")
	c.expect("u1", "B", "FALLBACK")
	if p := c.progress("u1"); p.State != "" {
		t.Errorf("started before the window: %+v", p)
	}

	c.advance(2 * time.Minute)
	c.expect("u1", "答题", "第1/4题")
	c.send("u1", "B")
	after := closes.Add(time.Second)
	c.now.Store(&after)
	c.expect("u1", "AC", "已于", "结束", "不计入成绩")
	if p := c.progress("u1"); p.Pos != 1 {
		t.Errorf("an answer after the window was counted: %+v", p)
	}
	c.expect("u1", "AC", "FALLBACK") // the session is over
	c.expect("u1", "答题", "当前没有进行中的答题活动", "回复“排行”查看最终排名")
	c.expect("u1", "排行", "【测试答题】排行榜") // the latest closed quiz
}

func TestQuizAttemptsLimit(t *testing.T) {
	c := newChat(t, catalog(t, testQuiz(2)), time.Hour)
	take := func(answers ...string) string {
		var last string
		for _, a := range answers {
			c.advance(5 * time.Second)
			last = c.send("u1", a)
		}
		return last
	}
	c.expect("u1", "答题", "每人可答2次（这是第1次）")
	take("A", "B", "对", "A")
	c.advance(5 * time.Second)
	c.expect("u1", "答题", "这是第2次")
	if got := take("B", "AC", "错", "B"); !strings.Contains(got, "答对4/4题") || !strings.Contains(got, "评定为“优秀”") {
		t.Errorf("second attempt: %s", got)
	}
	c.advance(5 * time.Second)
	c.expect("u1", "答题", "已用完本次答题的2次机会", "最好成绩：答对4/4题")
	c.expect("u1", "B", "FALLBACK")
	stats, _ := c.svc.Stats(context.Background(), "mini-2026")
	if stats.Attempts != 2 || stats.FinishedAttempts != 2 || stats.Completions != 1 || stats.AverageScore != 100 || stats.AverageAttempt != 50 {
		t.Errorf("stats %+v", stats)
	}
}

func TestQuizConcurrentMessagesOfOneResidentCountOnce(t *testing.T) {
	c := newChat(t, catalog(t, testQuiz(0)), time.Hour)
	c.send("u1", "答题")
	const n = 32
	var wg sync.WaitGroup
	replies := make([]string, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			replies[i] = c.send("u1", "B")
		}()
	}
	wg.Wait()
	right := 0
	for _, r := range replies {
		if strings.Contains(r, "回答正确") {
			right++
		}
	}
	stats, _ := c.svc.Stats(context.Background(), "mini-2026")
	if right != 1 || c.progress("u1").Pos != 1 || stats.PerQuestion[0].Answered != 1 {
		t.Errorf("%d replies counted the answer, progress %+v, stats %+v; want exactly one", right, c.progress("u1"), stats.PerQuestion)
	}
}

func TestQuizLeaderboardAndAccuracyAcrossResidents(t *testing.T) {
	c := newChat(t, catalog(t, testQuiz(0)), time.Hour)
	ctx := context.Background()
	for _, u := range []struct{ openid, community string }{{"o_alice", "east"}, {"o_bob", "east"}, {"o_carol", "west"}} {
		if err := c.st.Subscribe(ctx, u.openid, u.community, opens); err != nil {
			t.Fatal(err)
		}
	}
	take := func(openid string, answers ...string) {
		c.send(openid, "答题")
		for _, a := range answers {
			c.advance(5 * time.Second)
			c.send(openid, a)
		}
	}
	take("o_alice", "B", "AC", "错", "B") // 4/4
	take("o_bob", "A", "AC", "对", "B")   // 2/4
	take("o_carol", "B", "AC", "错", "A") // 3/4
	c.send("o_dave", "答题")               // started, not finished

	board := c.expect("o_bob", "排行", "1. 居民（尾号ice） 答对4/4题", "2. 居民（尾号rol） 答对3/4题", "3. 居民（尾号ob） 答对2/4题 ", "← 您",
		"排名第3（共3人完成）", "您所在社区（east）已有2人参与，在2个社区中参与人数排第1")
	if strings.Contains(board, "o_alice") {
		t.Errorf("the leaderboard shows an openid:\n%s", board)
	}
	c.expect("o_dave", "排行", "您还没有完成答题（已有3人完成）")

	stats, err := c.svc.Stats(ctx, "mini-2026")
	if err != nil {
		t.Fatal(err)
	}
	acc := map[string]quiz.QuestionStat{}
	for _, q := range stats.PerQuestion {
		acc[q.ID] = q
	}
	if q := acc["q1"]; q.Answered != 3 || q.Right != 2 || q.CommonWrong != "A" || q.WrongCount != 1 {
		t.Errorf("q1 %+v", q)
	}
	if q := acc["q2"]; q.Answered != 3 || q.Accuracy != 1 {
		t.Errorf("q2 %+v", q)
	}
	if stats.Participants != 4 || stats.Completions != 3 || stats.AverageScore != 75 || stats.FullMarks != 1 {
		t.Errorf("stats %+v", stats)
	}
	if len(stats.Communities) != 2 || stats.Communities[0].Community != "east" || stats.Communities[0].Participants != 2 ||
		stats.Communities[0].Followers != 2 || stats.Communities[0].Rate != 1 || stats.Communities[1].Rank != 2 {
		t.Errorf("communities %+v", stats.Communities)
	}
	if len(stats.Top) != 3 || stats.Top[0].Resident != "居民（尾号ice）" {
		t.Errorf("top %+v", stats.Top)
	}
}

func TestQuizErasureOnUnsubscribe(t *testing.T) {
	c := newChat(t, catalog(t, testQuiz(0)), time.Hour)
	ctx := context.Background()
	c.send("o_alice", "答题")
	for _, a := range []string{"B", "AC", "错", "B"} {
		c.advance(5 * time.Second)
		c.send("o_alice", a)
	}
	c.send("o_bob", "答题")
	if err := c.st.EraseUser(ctx, "o_alice"); err != nil {
		t.Fatal(err)
	}
	if err := c.st.EraseUser(ctx, "o_bob"); err != nil {
		t.Fatal(err)
	}
	c.expect("o_carol", "排行", "还没有人完成答题")
	c.expect("o_bob", "B", "FALLBACK") // the session went with the rest
	stats, _ := c.svc.Stats(ctx, "mini-2026")
	if stats.Participants != 2 || stats.Completions != 1 || stats.PerQuestion[0].Answered != 1 || len(stats.Top) != 0 {
		t.Errorf("aggregates must stay and the leaderboard must forget: %+v", stats)
	}
}

// TestQuizAttemptsSurviveUnfollowing: a resident who used the one attempt
// of a quiz, unfollowed and followed again from another community's QR code
// is told the attempt is used, and no community gains a participant.
func TestQuizAttemptsSurviveUnfollowing(t *testing.T) {
	c := newChat(t, catalog(t, testQuiz(1)), time.Hour)
	ctx := context.Background()
	if err := c.st.Subscribe(ctx, "o_alice", "east", opens); err != nil {
		t.Fatal(err)
	}
	c.send("o_alice", "答题")
	for _, a := range []string{"B", "AC", "错", "A"} {
		c.advance(5 * time.Second)
		c.send("o_alice", a)
	}
	if err := c.st.EraseUser(ctx, "o_alice"); err != nil {
		t.Fatal(err)
	}
	if err := c.st.Subscribe(ctx, "o_alice", "west", opens.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	c.expect("o_alice", "答题", "您已用完本次答题的1次机会", "答对3/4题")
	stats, _ := c.svc.Stats(ctx, "mini-2026")
	if stats.Participants != 1 || stats.Completions != 1 {
		t.Errorf("the resident counted twice: %+v", stats)
	}
	for _, cs := range stats.Communities {
		if cs.Community == "west" && cs.Participants != 0 {
			t.Errorf("west credited: %+v", cs)
		}
	}
}

func TestStoreDownKeepsTheBotAnswering(t *testing.T) {
	st := store.New(deadRedis(t), "pufa:")
	svc, err := quiz.New(quiz.Options{Catalog: catalog(t, testQuiz(0)), Store: st,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return opens.Add(time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	m := &bot.Message{FromUserName: "u1", MsgType: bot.TypeText, Content: "你好", Text: "你好"}
	if _, ok, err := svc.HandleText(context.Background(), m); ok || err != nil {
		t.Errorf("an ordinary text must pass on when Redis is down (ok %v, err %v)", ok, err)
	}
	m.Content, m.Text = "答题", "答题"
	if r, ok, _ := svc.HandleText(context.Background(), m); !ok || !strings.Contains(r.Text, "暂时不可用") {
		t.Errorf("答题 without Redis: %q %v", r.Text, ok)
	}
}

// deadRedis is a client of an address where nothing listens.
func deadRedis(t *testing.T) redis.UniversalClient {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialerRetries: 1})
}

type countAnswers struct{ right, wrong atomic.Int64 }

func (c *countAnswers) QuizAnswer(correct bool) {
	if correct {
		c.right.Add(1)
	} else {
		c.wrong.Add(1)
	}
}

func TestQuizReportsRecordedAnswersOnly(t *testing.T) {
	c := newChat(t, catalog(t, testQuiz(0)), time.Hour)
	counter := &countAnswers{}
	c.router = bot.NewRouter(nil)
	c.svc.WithAnswers(counter).Register(c.router)
	c.send("u1", "答题")
	c.send("u1", "B") // right
	c.send("u1", "B") // a repeat: not counted
	c.send("u1", "嗯") // not an answer
	c.advance(5 * time.Second)
	c.send("u1", "A") // wrong
	if counter.right.Load() != 1 || counter.wrong.Load() != 1 {
		t.Errorf("counted %d right, %d wrong; want 1 and 1", counter.right.Load(), counter.wrong.Load())
	}
}

func TestInstantTextLeavesOnlyQuizCommandsToHandling(t *testing.T) {
	var s quiz.Service
	for _, tt := range []struct {
		text string
		want bot.Verdict
	}{
		{"答题", bot.Unsure},
		{"排行榜", bot.Unsure},
		{"退出答题", bot.Unsure},
		{"你好", bot.Pass},
		{"A", bot.Pass}, // an answer only within a session, and the claim checks that
	} {
		if _, v := s.InstantText(&bot.Message{MsgType: bot.TypeText, Text: tt.text}); v != tt.want {
			t.Errorf("%q: verdict %v, want %v", tt.text, v, tt.want)
		}
	}
}
