package quiz_test

import (
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/pufa-dev/pufa/chinatime"
	"github.com/pufa-dev/pufa/knowledge"
	"github.com/pufa-dev/pufa/quiz"
)

func corpus(t *testing.T) *knowledge.Corpus {
	t.Helper()
	c, err := knowledge.DefaultCorpus()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestBuiltinBanksAndQuizzes(t *testing.T) {
	c, err := quiz.Default(corpus(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"constitution", "civil-code"} {
		b := c.Bank(id)
		if b == nil || len(b.Questions) < 30 {
			t.Fatalf("bank %s: want at least 30 questions", id)
		}
		kinds := map[quiz.Kind]int{}
		for _, q := range b.Questions {
			kinds[q.Kind]++
			if !strings.HasPrefix(q.Citation, "《中华人民共和国") {
				t.Errorf("%s/%s cites %q", id, q.ID, q.Citation)
			}
		}
		if kinds[quiz.Single] == 0 || kinds[quiz.Multiple] == 0 || kinds[quiz.TrueFalse] == 0 {
			t.Errorf("bank %s lacks a kind: %v", id, kinds)
		}
	}
	cst := chinatime.Zone
	tests := []struct {
		at   time.Time
		want string
	}{
		{time.Date(2026, 12, 4, 9, 0, 0, 0, cst), "constitution-2026"},
		{time.Date(2026, 12, 7, 23, 59, 59, 0, cst), "constitution-2026"},
		{time.Date(2026, 12, 8, 0, 0, 0, 0, cst), ""},
		{time.Date(2027, 5, 10, 12, 0, 0, 0, cst), "civil-code-2027"},
	}
	for _, tt := range tests {
		got := ""
		if q := c.Current(tt.at); q != nil {
			got = q.ID
		}
		if got != tt.want {
			t.Errorf("current at %v: %q, want %q", tt.at, got, tt.want)
		}
	}
	if q := c.Upcoming(time.Date(2026, 12, 20, 0, 0, 0, 0, cst)); q == nil || q.ID != "civil-code-2027" {
		t.Errorf("upcoming after 宪法宣传周: %v", q)
	}
	if q := c.Latest(time.Date(2026, 12, 20, 0, 0, 0, 0, cst)); q == nil || q.ID != "constitution-2026" {
		t.Errorf("latest closed: %v", q)
	}
	// The sample campaigns name banks; each resolves to the quiz open during it.
	if q := c.ForCampaign("constitution", time.Date(2026, 12, 1, 0, 0, 0, 0, cst), time.Date(2026, 12, 7, 0, 0, 0, 0, cst)); q == nil || q.ID != "constitution-2026" {
		t.Errorf("campaign quiz: constitution: %v", q)
	}
	if q := c.ForCampaign("civil-code", time.Date(2027, 5, 1, 0, 0, 0, 0, cst), time.Date(2027, 5, 31, 0, 0, 0, 0, cst)); q == nil || q.ID != "civil-code-2027" {
		t.Errorf("campaign quiz: civil-code: %v", q)
	}
	if q := c.ForCampaign("constitution", time.Date(2030, 12, 1, 0, 0, 0, 0, cst), time.Date(2030, 12, 7, 0, 0, 0, 0, cst)); q != nil {
		t.Errorf("a 2030 campaign must not announce the 2026 quiz: %v", q.ID)
	}
	if q := c.ForCampaign("civil-code-2027", time.Time{}, time.Time{}); q == nil {
		t.Error("a quiz id resolves")
	}
}

func TestCurrentQuizIsTheLatestStartingOpenOne(t *testing.T) {
	long := strings.Replace(testQuiz(0), "mini-2026", "long", 1)
	short := strings.NewReplacer("mini-2026", "short", opens.Format(time.RFC3339), opens.Add(48*time.Hour).Format(time.RFC3339)).Replace(testQuiz(0))
	c := catalog(t, long, short)
	for _, tt := range []struct {
		at   time.Time
		want string
	}{{opens.Add(time.Hour), "long"}, {opens.Add(49 * time.Hour), "short"}, {closes.Add(-time.Hour), "short"}} {
		if q := c.Current(tt.at); q == nil || q.ID != tt.want {
			t.Errorf("at %v: %v, want %s", tt.at, q, tt.want)
		}
	}
	moved, ok := c.WithWindow("long", quiz.Window{From: opens.Add(100 * time.Hour), To: closes})
	if !ok || moved.Current(closes.Add(-time.Hour)).ID != "long" || c.Current(closes.Add(-time.Hour)).ID != "short" {
		t.Error("WithWindow must return a changed copy")
	}
}

func TestDrawShuffledIsASubsetOfTheBank(t *testing.T) {
	c := catalog(t, strings.NewReplacer("order: fixed", "order: shuffled", "questions: 4", "questions: 3").Replace(testQuiz(0)))
	q := c.Quiz("mini-2026")
	seen := map[string]bool{}
	for range 50 {
		ids := q.Draw()
		if len(ids) != 3 {
			t.Fatalf("draw %v", ids)
		}
		uniq := map[string]bool{}
		for _, id := range ids {
			if q.Bank.Question(id) == nil || uniq[id] {
				t.Fatalf("draw %v", ids)
			}
			uniq[id] = true
		}
		seen[strings.Join(ids, ",")] = true
	}
	if len(seen) < 2 {
		t.Error("shuffled draws are all the same")
	}
}

func TestBankProblemsNameFileQuestionAndField(t *testing.T) {
	bad := `id: broken
title: 坏题库
questions:
  - id: b1
    type: single
    question: 一切权力属于（ ）。
    options: [人民, 政府]
    answer: E
    explanation: 略
    cite: 宪法第二条
  - id: b1
    type: single
    question: 另一个问题
    options: [甲, 乙]
    answer: A
    explanation: 略
    cite: 宪法第二条
  - id: b3
    type: single
    question: 一切权力属于（　）？
    options: [人民, 政府]
    answer: A
    explanation: 略
    cite: 宪法第二条
  - id: b4
    type: single
    question: 单选两个答案
    options: [甲, 乙, 丙]
    answer: AC
    explanation: 略
    cite: 宪法第九百条
  - id: b5
    type: multiple
    question: 多选一个答案
    options: [甲, 乙, 甲]
    answer: A
    cite: 劳务法第一条
  - id: b6
    type: truefalse
    question: 判断题
    options: [对, 错]
    answer: 也许
    explanation: 略
    cite: 不是法条
    hint: 多余
  - id: b7
    type: essay
    question: 论述题
    explanation: 略
    cite: 宪法第一条
`
	_, err := quiz.ParseBank("banks/broken.yaml", []byte(bad), corpus(t))
	if err == nil {
		t.Fatal("broken bank accepted")
	}
	for _, want := range []string{
		`banks/broken.yaml: questions[0] (b1).answer: "E" is not among the 2 options (A-B)`,
		`questions[1] (b1).id: duplicate id`,
		`questions[2] (b3).question: duplicate of question b1`,
		`questions[3] (b4).answer: "AC": a single-choice question has exactly one right option`,
		`questions[3] (b4).cite: "宪法第九百条" not found in the knowledge base`,
		`questions[4] (b5).options: "甲" is listed twice`,
		`questions[4] (b5).answer: "A": a multiple-choice question has at least two right options`,
		`questions[4] (b5).explanation: is required`,
		`questions[4] (b5).cite: "劳务法第一条" not found`,
		`questions[5].hint: unknown field`,
		`questions[5] (b6).options: a truefalse question has no options`,
		`questions[5] (b6).answer: "也许" is not 对 or 错`,
		`questions[5] (b6).cite: "不是法条" is not an article reference`,
		`questions[6] (b7).type: "essay" is not single, multiple or truefalse`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing problem %q in:\n%v", want, err)
		}
	}
	for _, line := range strings.Split(err.Error(), "\n") {
		if !strings.HasPrefix(line, "banks/broken.yaml: ") || !strings.Contains(line, "(line ") && !strings.Contains(line, "is required") {
			t.Errorf("problem without file or line: %q", line)
		}
	}
}

func TestQuizProblems(t *testing.T) {
	banks := func(id string) *quiz.Bank { return catalog(t).Bank(id) }
	bad := `id: Bad_ID
bank: mini
questions: 9
order: random
attempts: -1
leaderboard: maybe
window:
  from: 2026-12-07
  to: 2026-12-01
`
	_, err := quiz.ParseQuiz("quizzes/bad.yaml", []byte(bad), banks)
	if err == nil {
		t.Fatal("bad quiz accepted")
	}
	for _, want := range []string{
		`quizzes/bad.yaml: id: "Bad_ID" must be`,
		`title: is required`,
		`questions: 9 is more than the 4 questions of bank mini`,
		`order: "random" is not shuffled or fixed`,
		`attempts: "-1" is not a number`,
		`leaderboard: "maybe" is not true or false`,
		`window: from must be before to`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing problem %q in:\n%v", want, err)
		}
	}
	_, err = quiz.ParseQuiz("quizzes/nobank.yaml", []byte("id: x\ntitle: x\nbank: nope\nquestions: 1\nwindow: {from: 2026-12-01, to: 2026-12-02}\n"), banks)
	if err == nil || !strings.Contains(err.Error(), `bank: "nope" is not a known bank`) {
		t.Errorf("unknown bank: %v", err)
	}
}

func TestLoadReportsDuplicateQuizIDsAcrossFiles(t *testing.T) {
	fsys := fstest.MapFS{
		"banks/mini.yaml":    {Data: []byte(testBank)},
		"quizzes/a.yaml":     {Data: []byte(testQuiz(0))},
		"quizzes/b.yaml":     {Data: []byte(testQuiz(1))},
		"quizzes/notes.txt":  {Data: []byte("ignored")},
		"banks/broken.yaml":  {Data: []byte("id: [")},
		"banks/another.yaml": {Data: []byte(strings.Replace(testBank, "id: mini", "id: mini2", 1))},
	}
	_, err := quiz.Load(fsys, "dir", corpus(t), nil)
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{`dir/quizzes/b.yaml: id: "mini-2026" is also defined in dir/quizzes/a.yaml`, `dir/banks/broken.yaml: not valid YAML`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
}
