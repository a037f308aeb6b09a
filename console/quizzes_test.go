package console_test

import (
	"context"
	"encoding/csv"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pufa-dev/pufa/console"
	"github.com/pufa-dev/pufa/knowledge"
	"github.com/pufa-dev/pufa/quiz"
)

// fakeQuizzes serves the built-in catalogue with figures the test sets.
type fakeQuizzes struct {
	cat   *quiz.Catalog
	stats map[string]quiz.Stats
	certs []quiz.Certificate
}

func (f fakeQuizzes) Catalog() *quiz.Catalog { return f.cat }
func (f fakeQuizzes) Stats(_ context.Context, id string) (quiz.Stats, error) {
	st := f.stats[id]
	qz := f.cat.Quiz(id)
	st.Quiz, st.Title, st.Window, st.Questions = qz.ID, qz.Title, qz.Window, qz.Questions
	return st, nil
}
func (f fakeQuizzes) Certificates(context.Context, string) ([]quiz.Certificate, error) {
	return f.certs, nil
}

func quizEnv(t *testing.T) *env {
	t.Helper()
	corpus, err := knowledge.DefaultCorpus()
	if err != nil {
		t.Fatal(err)
	}
	cat, err := quiz.Default(corpus)
	if err != nil {
		t.Fatal(err)
	}
	finished := time.Date(2026, 12, 4, 10, 30, 0, 0, time.UTC)
	fq := fakeQuizzes{cat: cat, stats: map[string]quiz.Stats{
		"constitution-2026": {Participants: 120, Attempts: 130, Completions: 96, CompletionRate: 0.8, AverageScore: 86.5, FullMarks: 30,
			PerQuestion: []quiz.QuestionStat{
				{ID: "xf07", Question: "最难的一题", Answered: 100, Right: 41, Accuracy: 0.41, Answer: "B", CommonWrong: "C", WrongCount: 40},
				{ID: "xf01", Question: "容易的一题", Answered: 100, Right: 95, Accuracy: 0.95, Answer: "A"},
			},
			Communities: []quiz.CommunityStat{{Community: "幸福社区", Rank: 1, Participants: 70, Completions: 60, Followers: 200, Rate: 0.35, AverageScore: 88}},
			Top:         []quiz.Entry{{Rank: 1, Resident: "居民（尾号2222）", Right: 10, Finished: finished}},
		}},
		certs: []quiz.Certificate{
			{Rank: 1, Resident: "居民（尾号2222）", Community: "幸福社区", Right: 10, Questions: 10, Score: 100, Finished: finished},
			{Rank: 2, Resident: "居民（尾号1111）", Community: "=HYPERLINK(1)", Right: 7, Questions: 10, Score: 70, Finished: finished},
		}}
	return newEnvWith(t, envOptions{console: func(o *console.Options) { o.QuizPages = fq }})
}

func TestQuizPages(t *testing.T) {
	e := quizEnv(t)
	c := e.client()
	if resp, _ := c.get("/console/quizzes"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("quiz list without login: %d", resp.StatusCode)
	}
	c.login("ed", "editor-pass")

	resp, body := c.get("/console/quizzes")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("list: %d %s", resp.StatusCode, body)
	}
	for _, want := range []string{"网上答题", "2026年‘宪法宣传周’宪法知识答题", "2026-12-01", "120", "96", "80%", "86.5", "/console/quizzes/constitution-2026/certificates"} {
		if !strings.Contains(body, want) {
			t.Errorf("list lacks %q", want)
		}
	}

	resp, body = c.get("/console/quizzes/constitution-2026")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("detail: %d %s", resp.StatusCode, body)
	}
	for _, want := range []string{"各题正确率（最难的在前）", "最难的一题", "41%", "C（40 人次）", "幸福社区", "35%", "居民（尾号2222）", "10 / 10", "满分人数"} {
		if !strings.Contains(body, want) {
			t.Errorf("detail lacks %q", want)
		}
	}
	if strings.Index(body, "最难的一题") > strings.Index(body, "容易的一题") {
		t.Error("the hardest question is not first")
	}
	if resp, _ := c.get("/console/quizzes/no-such"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown quiz: %d", resp.StatusCode)
	}
}

func TestQuizCertificatesExport(t *testing.T) {
	e := quizEnv(t)
	c := e.client()
	c.login("ed", "editor-pass")
	resp, body := c.get("/console/quizzes/constitution-2026/certificates")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("export: %d %s", resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("content type %q", ct)
	}
	if !strings.HasPrefix(body, "\ufeff") {
		t.Error("no BOM: Excel would misread the Chinese")
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"证书编号", "答题", "名次", "居民", "社区", "答对题数", "题数", "得分", "完成时间"},
		{"constitution-2026-0001", "2026年‘宪法宣传周’宪法知识答题", "1", "居民（尾号2222）", "幸福社区", "10", "10", "100", "2026-12-04 18:30"},
		{"constitution-2026-0002", "2026年‘宪法宣传周’宪法知识答题", "2", "居民（尾号1111）", "'=HYPERLINK(1)", "7", "10", "70", "2026-12-04 18:30"},
	}
	if len(rows) != len(want) {
		t.Fatalf("rows %q", rows)
	}
	for i := range want {
		if strings.Join(rows[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("row %d\n got %q\nwant %q", i, rows[i], want[i])
		}
	}
	log, err := e.st.AuditLog(context.Background(), 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) == 0 || log[0].Action != "quiz.certificates" || log[0].Target != "constitution-2026" || log[0].User != "ed" {
		t.Errorf("the export was not audited: %+v", log)
	}
}
