package report_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"testing/fstest"
	"time"

	"github.com/pufa-dev/pufa/bot"
	"github.com/pufa-dev/pufa/knowledge"
	"github.com/pufa-dev/pufa/quiz"
	"github.com/pufa-dev/pufa/report"
	"github.com/pufa-dev/pufa/store/storetest"
)

const miniBank = `id: mini
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
    type: truefalse
    question: 宅基地属于国家所有。
    answer: 错
    explanation: 宅基地属于集体所有。
    cite: 宪法第十条
`

const miniQuiz = `id: mini-2026
title: 测试答题
bank: mini
questions: 2
order: fixed
window:
  from: 2026-12-01T00:00:00+08:00
  to: 2026-12-08T00:00:00+08:00
`

// TestQuizFigures plays a real quiz through the quiz service and checks the
// figures the report takes from it.
func TestQuizFigures(t *testing.T) {
	corpus, err := knowledge.DefaultCorpus()
	if err != nil {
		t.Fatal(err)
	}
	cat, err := quiz.Load(fstest.MapFS{"banks/mini.yaml": {Data: []byte(miniBank)}, "quizzes/q.yaml": {Data: []byte(miniQuiz)}}, "test", corpus, nil)
	if err != nil {
		t.Fatal(err)
	}
	st := storetest.New(t)
	ctx := context.Background()
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, cst)
	svc, err := quiz.New(quiz.Options{Catalog: cat, Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now: func() time.Time { now = now.Add(time.Minute); return now }})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SetCommunity(ctx, "r1", "幸福社区"); err != nil {
		t.Fatal(err)
	}
	// r1 answers both right, r2 one right of two.
	for _, turn := range []struct{ who, text string }{
		{"r1", "答题"}, {"r1", "B"}, {"r1", "错"},
		{"r2", "答题"}, {"r2", "B"}, {"r2", "对"},
	} {
		if _, ok, err := svc.HandleText(ctx, &bot.Message{FromUserName: turn.who, MsgType: bot.TypeText, Text: turn.text}); err != nil || !ok {
			t.Fatalf("%s %q: ok=%v err=%v", turn.who, turn.text, ok, err)
		}
	}
	from, _ := report.ParseDate("2026-01-01")
	to, _ := report.ParseDate("2026-12-31")
	r, err := report.Build(ctx, report.Sources{Quiz: report.QuizFigures{Service: svc}}, from, to)
	if err != nil {
		t.Fatal(err)
	}
	tt := r.Totals
	if tt.Quizzes != 1 || tt.QuizParticipants != 2 || tt.QuizAnswers != 4 || tt.QuizCorrect != 3 || tt.QuizAccuracy != 75 {
		t.Errorf("quiz totals = %+v", tt)
	}
	if r.Months[11].Quizzes != 1 {
		t.Errorf("December quizzes = %d", r.Months[11].Quizzes)
	}
	if len(r.Communities) == 0 || r.Communities[len(r.Communities)-1].Community != "幸福社区" || r.Communities[len(r.Communities)-1].QuizParticipants != 1 {
		t.Errorf("communities = %+v", r.Communities)
	}
	want := "今年以来组织网上法律知识答题1场、参与2人次、平均正确率75%。"
	if r.Paragraph != want {
		t.Errorf("paragraph = %s, want %s", r.Paragraph, want)
	}
	// A period without the quiz's opening shows none.
	r, _ = report.Build(ctx, report.Sources{Quiz: report.QuizFigures{Service: svc}}, from, time.Date(2026, 11, 30, 0, 0, 0, 0, cst))
	if r.Totals.Quizzes != 0 {
		t.Errorf("quiz counted outside its period: %+v", r.Totals)
	}
}
