package store_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/pufa-dev/pufa/store"
	"github.com/pufa-dev/pufa/store/storetest"
)

var (
	quizOpens  = time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	quizCloses = quizOpens.Add(72 * time.Hour)
)

func startQuiz(t *testing.T, st *store.Store, openid string, order []string, maxAttempts int) (store.StartStatus, store.QuizProgress) {
	t.Helper()
	status, p, err := st.StartQuiz(ctx, store.QuizStart{Quiz: "q1", OpenID: openid, Order: order,
		MaxAttempts: maxAttempts, At: quizOpens, Closes: quizCloses, Idle: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	return status, p
}

func answer(t *testing.T, st *store.Store, openid string, attempt, pos int, given, right string, total int, at time.Time) store.AnswerResult {
	t.Helper()
	r, err := st.RecordQuizAnswer(ctx, store.QuizAnswer{Quiz: "q1", OpenID: openid, Attempt: attempt, Pos: pos,
		Question: fmt.Sprintf("x%d", pos), Answer: given, Correct: right, Total: total, At: at,
		RepeatWindow: 2 * time.Second, Closes: quizCloses})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// finish takes a whole attempt of n questions with the first `right` answers right.
func finish(t *testing.T, st *store.Store, openid string, n, right int, at time.Time) store.AnswerResult {
	t.Helper()
	_, p := startQuiz(t, st, openid, order(n), 0)
	var r store.AnswerResult
	for i := 0; i < n; i++ {
		given := "B"
		if i < right {
			given = "A"
		}
		// Spread answers beyond the repeat window so identical ones count.
		r = answer(t, st, openid, p.Attempt, i, given, "A", n, at.Add(time.Duration(i-n+1)*5*time.Second))
		if r.Status != store.AnswerRecorded {
			t.Fatalf("%s answer %d: %+v", openid, i, r)
		}
	}
	return r
}

func order(n int) []string {
	o := make([]string, n)
	for i := range o {
		o[i] = fmt.Sprintf("x%d", i)
	}
	return o
}

func TestQuizAnswerIsRecordedOncePerQuestionAndAttempt(t *testing.T) {
	st := storetest.New(t)
	at := quizOpens.Add(time.Minute)
	steps := []struct {
		name       string
		pos        int
		given      string
		at         time.Time
		wantStatus store.AnswerStatus
		wantPos    int
		wantScore  int
	}{
		{"first answer counts", 0, "A", at, store.AnswerRecorded, 1, 1},
		{"a retry of the same question is stale", 0, "A", at.Add(time.Second), store.AnswerStale, 1, 1},
		{"a changed mind on an answered question is stale", 0, "B", at.Add(time.Second), store.AnswerStale, 1, 1},
		{"the same reply again right away is a repeat, not the next answer", 1, "A", at.Add(time.Second), store.AnswerRepeat, 1, 1},
		{"a different reply right away answers the next question", 1, "C", at.Add(1500 * time.Millisecond), store.AnswerRecorded, 2, 1},
		{"the same reply after the window counts", 2, "C", at.Add(10 * time.Second), store.AnswerRecorded, 3, 1},
	}
	status, p := startQuiz(t, st, "u1", order(4), 0)
	if status != store.QuizStarted || p.Attempt != 1 || p.Pos != 0 || p.State != store.QuizActive {
		t.Fatalf("start: %s %+v", status, p)
	}
	for _, s := range steps {
		r := answer(t, st, "u1", 1, s.pos, s.given, "A", 4, s.at)
		if r.Status != s.wantStatus || r.Pos != s.wantPos || r.Correct != s.wantScore {
			t.Errorf("%s: got %+v, want %s pos %d score %d", s.name, r, s.wantStatus, s.wantPos, s.wantScore)
		}
	}
	if status, p = startQuiz(t, st, "u1", order(9), 0); status != store.QuizResumed || p.Pos != 3 || len(p.Order) != 4 {
		t.Errorf("resume: %s %+v", status, p)
	}
	if got := p.Answers; len(got) != 3 || got[0] != "A" || got[1] != "C" || got[2] != "C" {
		t.Errorf("answers kept %v", got)
	}
	if r := answer(t, st, "u1", 2, 3, "A", "A", 4, at.Add(time.Minute)); r.Status != store.AnswerInactive {
		t.Errorf("answer for another attempt: %+v", r)
	}
	stats, err := st.QuizStats(ctx, "q1")
	if err != nil {
		t.Fatal(err)
	}
	if q := stats.Questions["x0"]; q.Answered != 1 || q.Right != 1 || q.Answers["A"] != 1 || q.Answers["B"] != 0 {
		t.Errorf("question x0 counted %+v, want exactly one right answer", q)
	}
	if q := stats.Questions["x1"]; q.Answered != 1 || q.Right != 0 || q.Answers["C"] != 1 {
		t.Errorf("question x1 counted %+v", q)
	}
}

func TestConcurrentAnswersOfOneResidentCountOnce(t *testing.T) {
	st := storetest.New(t)
	startQuiz(t, st, "u1", order(3), 0)
	const n = 64
	var wg sync.WaitGroup
	results := make(chan store.AnswerResult, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := st.RecordQuizAnswer(ctx, store.QuizAnswer{Quiz: "q1", OpenID: "u1", Attempt: 1, Pos: 0,
				Question: "x0", Answer: "A", Correct: "A", Total: 3, At: quizOpens, Closes: quizCloses})
			if err != nil {
				t.Error(err)
			}
			results <- r
		}()
	}
	wg.Wait()
	close(results)
	recorded := 0
	for r := range results {
		if r.Status == store.AnswerRecorded {
			recorded++
		}
	}
	stats, _ := st.QuizStats(ctx, "q1")
	p, _ := st.QuizProgress(ctx, "q1", "u1")
	if recorded != 1 || stats.Questions["x0"].Answered != 1 || p.Correct != 1 || p.Pos != 1 {
		t.Errorf("recorded %d times, counters %+v, progress %+v; want exactly once", recorded, stats.Questions["x0"], p)
	}
}

func TestQuizAttemptsLimitAndBestScore(t *testing.T) {
	st := storetest.New(t)
	at := quizOpens.Add(time.Hour)
	if r := finish(t, st, "u1", 3, 2, at); !r.Finished || r.Best != 2 {
		t.Fatalf("first attempt: %+v", r)
	}
	if r := finish(t, st, "u1", 3, 1, at.Add(time.Hour)); !r.Finished || r.Best != 2 || r.Correct != 1 {
		t.Errorf("a worse second attempt must keep the best: %+v", r)
	}
	e, _, ok, _ := st.QuizRank(ctx, "q1", "u1")
	if !ok || e.Correct != 2 || !e.Finished.Equal(at) {
		t.Errorf("board keeps the best attempt and its finish time: %+v", e)
	}
	if status, _ := startQuiz(t, st, "u1", order(3), 2); status != store.QuizNoAttempt {
		t.Errorf("third start with a limit of 2: %s", status)
	}
	if status, p := startQuiz(t, st, "u1", order(3), 3); status != store.QuizStarted || p.Attempt != 3 || len(p.Answers) != 0 {
		t.Errorf("third start with a limit of 3: %s %+v", status, p)
	}
	stats, _ := st.QuizStats(ctx, "q1")
	want := store.QuizStats{Participants: 1, Attempts: 3, Finished: 2, Completions: 1, ScoreSum: 3, BestSum: 2}
	if stats.Participants != want.Participants || stats.Attempts != want.Attempts || stats.Finished != want.Finished ||
		stats.Completions != want.Completions || stats.ScoreSum != want.ScoreSum || stats.BestSum != want.BestSum {
		t.Errorf("stats %+v, want %+v", stats, want)
	}
}

func TestQuizLeaderboardRanksAndTies(t *testing.T) {
	st := storetest.New(t)
	at := quizOpens.Add(time.Hour)
	finish(t, st, "late", 3, 3, at.Add(time.Minute))
	finish(t, st, "early", 3, 3, at)
	finish(t, st, "tied", 3, 3, at) // same score, same second as early
	finish(t, st, "weak", 3, 1, at.Add(-time.Hour))
	finish(t, st, "zero", 3, 0, at)
	top, err := st.QuizTop(ctx, "q1", 10)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		rank, correct int
	}{{1, 3}, {1, 3}, {3, 3}, {4, 1}, {5, 0}}
	if len(top) != len(want) {
		t.Fatalf("top %+v", top)
	}
	for i, w := range want {
		if top[i].Rank != w.rank || top[i].Correct != w.correct {
			t.Errorf("entry %d: %+v, want rank %d with %d right", i, top[i], w.rank, w.correct)
		}
	}
	if top[2].OpenID != "late" || top[3].OpenID != "weak" || !top[2].Finished.Equal(at.Add(time.Minute)) {
		t.Errorf("order %+v: the later finish ranks after the earlier one", top)
	}
	for _, tt := range []struct {
		openid string
		rank   int
	}{{"early", 1}, {"tied", 1}, {"late", 3}, {"weak", 4}, {"zero", 5}} {
		e, total, ok, err := st.QuizRank(ctx, "q1", tt.openid)
		if err != nil || !ok || e.Rank != tt.rank || total != 5 {
			t.Errorf("%s: rank %+v of %d (ok %v, err %v), want %d", tt.openid, e, total, ok, err, tt.rank)
		}
	}
	if _, total, ok, _ := st.QuizRank(ctx, "q1", "nobody"); ok || total != 5 {
		t.Errorf("an absent resident is not ranked (ok %v, total %d)", ok, total)
	}
	if top3, _ := st.QuizTop(ctx, "q1", 3); len(top3) != 3 {
		t.Errorf("QuizTop(3) returned %d", len(top3))
	}
}

func TestQuizCommunitiesAndErasure(t *testing.T) {
	st := storetest.New(t)
	at := quizOpens.Add(time.Hour)
	if err := st.Subscribe(ctx, "u1", "east", at); err != nil {
		t.Fatal(err)
	}
	st.Subscribe(ctx, "u2", "east", at)
	st.Subscribe(ctx, "u3", "west", at)
	finish(t, st, "u1", 4, 4, at)
	finish(t, st, "u2", 4, 2, at)
	startQuiz(t, st, "u3", order(4), 0)
	stats, _ := st.QuizStats(ctx, "q1")
	if c := stats.Communities["east"]; c.Participants != 2 || c.Completions != 2 || c.BestSum != 6 {
		t.Errorf("east %+v", c)
	}
	if c := stats.Communities["west"]; c.Participants != 1 || c.Completions != 0 {
		t.Errorf("west %+v", c)
	}
	if stats.FullMarks != 1 {
		t.Errorf("full marks %d", stats.FullMarks)
	}
	if q, _ := st.ActiveQuiz(ctx, "u3", time.Hour); q != "q1" {
		t.Errorf("active quiz %q", q)
	}

	if err := st.EraseUser(ctx, "u1"); err != nil {
		t.Fatal(err)
	}
	if p, _ := st.QuizProgress(ctx, "q1", "u1"); p.State != "" {
		t.Errorf("progress survived erasure: %+v", p)
	}
	if _, total, ok, _ := st.QuizRank(ctx, "q1", "u1"); ok || total != 1 {
		t.Errorf("leaderboard entry survived erasure (ok %v, total %d)", ok, total)
	}
	if exists, _ := st.UserExists(ctx, "u1"); exists {
		t.Error("per-user quiz keys survived erasure")
	}
	after, _ := st.QuizStats(ctx, "q1")
	if after.Participants != 3 || after.Completions != 2 || after.Questions["x0"].Answered != 2 {
		t.Errorf("aggregates must survive erasure: %+v", after)
	}
	if err := st.LeaveQuiz(ctx, "u3"); err != nil {
		t.Fatal(err)
	}
	if q, _ := st.ActiveQuiz(ctx, "u3", time.Hour); q != "" {
		t.Errorf("left quiz still active: %q", q)
	}
	if p, _ := st.QuizProgress(ctx, "q1", "u3"); p.State != store.QuizActive {
		t.Errorf("leaving must keep progress for a resume: %+v", p)
	}
}

func TestQuizRecordsExpireAfterTheQuiz(t *testing.T) {
	st := storetest.New(t)
	finish(t, st, "u1", 2, 2, time.Now())
	for _, key := range []string{"quiz:{q1}:p:u1", "quiz:{q1}:board"} {
		exp := st.Client().ExpireTime(ctx, st.Prefix()+key).Val()
		want := quizCloses.Add(store.QuizRetention).Unix()
		if int64(exp.Seconds()) != want {
			t.Errorf("%s expires at %v, want %d", key, exp, want)
		}
	}
	if ttl := st.Client().TTL(ctx, st.Prefix()+"quiz:{q1}:stats").Val(); ttl != -1 {
		t.Errorf("aggregates must not expire, TTL %v", ttl)
	}
}

// TestQuizAttemptsSurviveErasure: unfollowing erases the resident's quiz
// records, but not the count of attempts, kept under a keyed hash of openid
// and quiz until the quiz closes. Re-following, even from another
// community's QR code, neither gives an attempts-limited quiz again nor
// counts the resident, or a community, twice (issue 12, item 6).
func TestQuizAttemptsSurviveErasure(t *testing.T) {
	const n = 2 // questions
	tests := []struct {
		name        string
		max         int // attempts allowed
		answered    int // answers given before unfollowing
		wantRestart store.StartStatus
	}{
		{"finished, one attempt", 1, n, store.QuizNoAttempt},
		{"unfollowed mid-attempt, one attempt", 1, 1, store.QuizNoAttempt},
		{"finished, two attempts", 2, n, store.QuizStarted},
		{"finished, no limit", 0, n, store.QuizStarted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := storetest.New(t)
			at := quizOpens.Add(time.Hour)
			must := func(err error) {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
			}
			must(st.Subscribe(ctx, "u1", "east", at))
			status, p := startQuiz(t, st, "u1", order(n), tt.max)
			if status != store.QuizStarted {
				t.Fatalf("first start: %s", status)
			}
			for i := range tt.answered {
				answer(t, st, "u1", p.Attempt, i, "A", "A", n, at.Add(time.Duration(i)*5*time.Second))
			}
			before, _ := st.QuizStats(ctx, "q1")

			must(st.EraseUser(ctx, "u1"))
			keys, err := st.Client().Keys(ctx, st.Prefix()+"*u1*").Result()
			must(err)
			if len(keys) != 0 {
				t.Errorf("keys naming the openid survived erasure: %v", keys)
			}
			must(st.Subscribe(ctx, "u1", "west", at.Add(time.Hour))) // another community's QR code

			status, p = startQuiz(t, st, "u1", order(n), tt.max)
			if status != tt.wantRestart {
				t.Fatalf("start after re-following: %s, want %s", status, tt.wantRestart)
			}
			if status == store.QuizStarted {
				if p.Attempt != 2 || p.Community != "east" {
					t.Errorf("progress %+v: want attempt 2, still credited to east", p)
				}
				for i := range n { // all wrong this time: the best stays 2
					answer(t, st, "u1", p.Attempt, i, "B", "A", n, at.Add(time.Hour+time.Duration(i)*5*time.Second))
				}
				if _, _, ok, _ := st.QuizRank(ctx, "q1", "u1"); !ok {
					t.Error("the new attempt is not on the leaderboard")
				}
			}
			after, _ := st.QuizStats(ctx, "q1")
			if after.Participants != 1 || after.Completions != before.Completions || after.BestSum != before.BestSum ||
				after.FullMarks != before.FullMarks {
				t.Errorf("aggregates counted the resident twice:\nbefore %+v\nafter  %+v", before, after)
			}
			if c := after.Communities["west"]; c.Participants != 0 || c.Completions != 0 || c.BestSum != 0 {
				t.Errorf("the second community was credited: %+v", c)
			}
			if c := after.Communities["east"]; c.Participants != 1 {
				t.Errorf("east %+v", c)
			}
			seen, err := st.Client().Keys(ctx, st.Prefix()+"quiz:{q1}:seen:*").Result()
			must(err)
			if len(seen) != 1 {
				t.Fatalf("attempt records %v, want one", seen)
			}
			if exp := st.Client().ExpireTime(ctx, seen[0]).Val(); exp <= 0 || time.Unix(int64(exp.Seconds()), 0).After(quizCloses.Add(48*time.Hour)) {
				t.Errorf("the attempt record expires at %v, want soon after the quiz closes (%v)", exp, quizCloses)
			}
		})
	}
}
