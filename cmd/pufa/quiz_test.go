package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pufa-dev/pufa/chinatime"
	"github.com/pufa-dev/pufa/knowledge"
	"github.com/pufa-dev/pufa/quiz"
	"github.com/pufa-dev/pufa/store"
	"github.com/pufa-dev/pufa/store/storetest"
)

// questionHeader starts every question in a reply; the question text is the
// next line.
var questionHeader = regexp.MustCompile(`第(\d+)/(\d+)题（(单选题|多选题|判断题)）\n([^\n]+)`)

// constitutionQuestions maps each question of the built-in constitution bank
// by its text, so a test can look up the question a reply asks.
func constitutionQuestions(t *testing.T) map[string]*quiz.Question {
	t.Helper()
	corpus, err := knowledge.DefaultCorpus()
	if err != nil {
		t.Fatal(err)
	}
	cat, err := quiz.Default(corpus)
	if err != nil {
		t.Fatal(err)
	}
	byText := map[string]*quiz.Question{}
	for _, q := range cat.Bank("constitution").Questions {
		byText[q.Text] = q
	}
	return byText
}

// residentForm writes a canonical answer the way residents type it, in turn
// small, full-width and spaced, so the demo exercises the answer forms
// through the real callback path (signature, AES, XML, dedup).
func residentForm(q *quiz.Question, answer string, i int) string {
	if q.Kind == quiz.TrueFalse {
		forms := map[string][]string{quiz.True: {"对", "√", "正确", "T"}, quiz.False: {"错", "×", "错误", "F"}}
		return forms[answer][i%4]
	}
	switch i % 3 {
	case 0:
		return strings.ToLower(answer)
	case 1:
		var b strings.Builder
		for _, r := range answer {
			b.WriteRune(r + 0xFEE0) // full-width Ａ
		}
		return b.String()
	}
	return strings.Join(strings.Split(answer, ""), " ")
}

func TestDemoResidentTakesTheConstitutionQuiz(t *testing.T) {
	urls, done, stop := startCommand(t, "demo", "--addr", "127.0.0.1:0", "--sim-addr", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0", "--followers", "3")
	sim := strings.TrimSuffix(urlWith(t, urls, "/sim/"), "/sim/")
	byText := constitutionQuestions(t)
	send := func(openid, content string) string {
		t.Helper()
		got := postJSON(t, sim+"/sim/api/send", map[string]string{"openid": openid, "content": content})
		c, _ := got["content"].(string)
		if got["error"] != nil || c == "" {
			t.Fatalf("send %q: %v", content, got)
		}
		return c
	}

	reply := send("o_demo_quiz", "答题")
	if !strings.Contains(reply, "宪法宣传周") {
		t.Fatalf("答题: %s", reply)
	}
	prev, right := "", 0
	for i := 0; ; i++ {
		m := questionHeader.FindStringSubmatch(reply)
		if m == nil {
			break
		}
		q := byText[m[4]]
		if q == nil {
			t.Fatalf("question %q not in the bank:\n%s", m[4], reply)
		}
		ans := q.Answer
		if ans == prev {
			// The same reply right after the previous one would be taken as a
			// repeat of it (quiz.repeat_window); answer this one wrong instead.
			ans = map[string]string{quiz.True: quiz.False, quiz.False: quiz.True}[ans]
			if ans == "" {
				ans = string(rune('A' + (int(q.Answer[0]-'A')+1)%len(q.Options)))
			}
		} else {
			right++
		}
		prev = ans
		reply = send("o_demo_quiz", residentForm(q, ans, i))
		if !strings.Contains(reply, "依据：《中华人民共和国宪法》") {
			t.Fatalf("answer %d (%s): no explanation with citation:\n%s", i+1, ans, reply)
		}
		if i > 20 {
			t.Fatal("the quiz never ends")
		}
	}
	for _, want := range []string{fmt.Sprintf("答题完成！您答对%d/10题", right), "排名第1（共1人完成）", "【答题证书】"} {
		if !strings.Contains(reply, want) {
			t.Errorf("final reply lacks %q:\n%s", want, reply)
		}
	}
	board := send("o_demo_quiz", "排行")
	for _, want := range []string{"排行榜", "1. 居民（尾号quiz）", fmt.Sprintf("答对%d/10题", right), "← 您"} {
		if !strings.Contains(board, want) {
			t.Errorf("leaderboard lacks %q:\n%s", want, board)
		}
	}
	// Another resident pauses and resumes; a question in between goes to the
	// knowledge base as usual.
	send("o_demo_other", "答题")
	if got := send("o_demo_other", "退出"); !strings.Contains(got, "已暂停答题") {
		t.Errorf("退出: %s", got)
	}
	if got := send("o_demo_other", "民法典第1077条"); !strings.Contains(got, "三十日") {
		t.Errorf("a lookup after 退出: %s", got)
	}
	if got := send("o_demo_other", "答题"); !strings.Contains(got, "欢迎回来") || !strings.Contains(got, "第1/10题") {
		t.Errorf("resume: %s", got)
	}

	stopCommand(t, stop, done)
}

func runQuizCmd(args ...string) (string, error) {
	var out bytes.Buffer
	err := runQuiz(context.Background(), args, &out)
	return out.String(), err
}

func TestQuizValidateCommand(t *testing.T) {
	dir := t.TempDir()
	campDir := filepath.Join(dir, "campaigns")
	os.Mkdir(campDir, 0o755)
	cfg := filepath.Join(dir, "config.yaml")
	os.WriteFile(cfg, []byte("campaigns:\n  dir: "+campDir+"\n"), 0o600)
	camp := func(name, quizRef, text string) {
		body := fmt.Sprintf("id: %s\ntitle: t\nchannel: mass\naudience: {all: true}\ncontent: {text: %q}\nquiz: %s\n"+
			"window: {from: 2026-12-01, to: 2026-12-07}\n", name, text, quizRef)
		os.WriteFile(filepath.Join(campDir, name+".yaml"), []byte(body), 0o600)
	}
	camp("good", "constitution", "回复“答题”参加宪法知识答题")
	camp("silent", "constitution", "今天是国家宪法日")
	camp("wrong", "criminal-law", "回复“答题”")

	out, err := runQuizCmd("validate", "--config", cfg)
	if err == nil {
		t.Errorf("a campaign naming no quiz must fail validation:\n%s", out)
	}
	for _, want := range []string{
		"ok  bank constitution", "42 questions", "ok  bank civil-code", "ok  quiz constitution-2026", "ok  quiz civil-code-2027",
		`wrong.yaml: quiz: "criminal-law" names no quiz`,
		"warning: " + filepath.Join(campDir, "silent.yaml") + ": content does not tell residents how to join quiz constitution-2026",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("validate output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "good.yaml") {
		t.Errorf("a campaign that announces its quiz is fine:\n%s", out)
	}

	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("id: bad\ntitle: 坏\nquestions:\n  - id: z1\n    type: single\n    question: 问\n    options: [甲, 乙]\n    answer: C\n    explanation: 略\n    cite: 宪法第九百条\n"), 0o600)
	out, err = runQuizCmd("validate", bad, "--config", cfg)
	if err == nil || !strings.Contains(out, bad+`: questions[0] (z1).answer: "C" is not among the 2 options`) ||
		!strings.Contains(out, bad+`: questions[0] (z1).cite: "宪法第九百条" not found`) {
		t.Errorf("validate FILE: %v\n%s", err, out)
	}
	good := filepath.Join(dir, "q.yaml")
	os.WriteFile(good, []byte("id: extra\ntitle: 加赛\nbank: civil-code\nquestions: 5\nwindow: {from: 2027-06-01, to: 2027-06-02}\n"), 0o600)
	if out, err := runQuizCmd("validate", "--config", cfg, good, filepath.Join("..", "..", "quiz", "banks", "constitution.yaml")); err != nil ||
		!strings.Contains(out, "ok  quiz extra") || !strings.Contains(out, "ok  bank constitution") {
		t.Errorf("validate good files: %v\n%s", err, out)
	}
}

func TestQuizStatsAndListCommands(t *testing.T) {
	st := storetest.New(t)
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("redis:\n  addrs: [%s]\n  prefix: %q\n", storetest.Addr(t), st.Prefix())), 0o600)
	ctx := context.Background()
	cst := chinatime.Zone
	at := time.Date(2026, 12, 4, 10, 0, 0, 0, cst)
	closes := time.Date(2026, 12, 7, 23, 59, 59, 0, cst)
	st.Subscribe(ctx, "o_a", "east", at)
	for i, openid := range []string{"o_a", "o_b"} {
		_, p, err := st.StartQuiz(ctx, store.QuizStart{Quiz: "constitution-2026", OpenID: openid, Order: []string{"xf01", "xf02"}, At: at, Closes: closes, Idle: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		for pos, given := range []string{"D", []string{"A", "C"}[i]} {
			if _, err := st.RecordQuizAnswer(ctx, store.QuizAnswer{Quiz: "constitution-2026", OpenID: openid, Attempt: p.Attempt, Pos: pos,
				Question: p.Order[pos], Answer: given, Correct: map[int]string{0: "D", 1: "A"}[pos], Total: 2,
				At: at.Add(time.Duration(pos) * time.Minute), Closes: closes}); err != nil {
				t.Fatal(err)
			}
		}
	}
	out, err := runQuizCmd("stats", "constitution-2026", "--json", "--config", cfg)
	if err != nil {
		t.Fatal(err, out)
	}
	var s quiz.Stats
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if s.Participants != 2 || s.Completions != 2 || len(s.PerQuestion) != 2 || s.PerQuestion[0].ID != "xf02" ||
		s.PerQuestion[0].Accuracy != 0.5 || s.PerQuestion[0].CommonWrong != "C" || len(s.Communities) != 1 || len(s.Top) != 2 {
		t.Errorf("stats %+v", s)
	}
	if strings.Contains(out, "o_a") {
		t.Error("stats show an openid")
	}
	out, err = runQuizCmd("stats", "constitution-2026", "--config", cfg)
	if err != nil || !strings.Contains(out, "participants 2, completions 2") || !strings.Contains(out, "xf02") || !strings.Contains(out, "east") {
		t.Errorf("stats text: %v\n%s", err, out)
	}
	out, err = runQuizCmd("list", "--config", cfg)
	if err != nil || !regexp.MustCompile(`constitution-2026\s+\S+\s+constitution\s+10\s.*\s2\s+2\s`).MatchString(out) {
		t.Errorf("list: %v\n%s", err, out)
	}
	if _, err := runQuizCmd("stats", "no-such-quiz", "--config", cfg); err == nil {
		t.Error("stats of an unknown quiz")
	}
}
