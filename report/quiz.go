package report

import (
	"context"
	"fmt"
	"time"

	"github.com/pufa-dev/pufa/quiz"
)

// QuizService is what QuizFigures reads (implemented by *quiz.Service).
type QuizService interface {
	Catalog() *quiz.Catalog
	Stats(ctx context.Context, quizID string) (quiz.Stats, error)
}

// QuizFigures implements QuizStats over the quiz package. A quiz counts in
// the period its window opens in, with all its figures: quiz counters are
// kept per quiz, not per day. Answers and right answers are summed over the
// questions, so the period's accuracy weighs every answer equally.
type QuizFigures struct {
	Service QuizService
}

// QuizSummaries implements QuizStats.
func (q QuizFigures) QuizSummaries(ctx context.Context, from, to time.Time) ([]QuizSummary, error) {
	if q.Service == nil {
		return nil, nil
	}
	var out []QuizSummary
	for _, qz := range q.Service.Catalog().Quizzes() {
		if qz.Window.From.Before(from) || !qz.Window.From.Before(to) {
			continue
		}
		st, err := q.Service.Stats(ctx, qz.ID)
		if err != nil {
			return nil, fmt.Errorf("quiz %s: %w", qz.ID, err)
		}
		if st.Participants == 0 {
			continue // a quiz nobody took was not run
		}
		s := QuizSummary{ID: st.Quiz, Title: st.Title, Start: qz.Window.From, Participants: st.Participants,
			Completions: st.Completions, AverageScore: st.AverageScore, ByCommunity: map[string]int64{}}
		for _, pq := range st.PerQuestion {
			add(&s.Answers, pq.Answered)
			add(&s.Correct, pq.Right)
		}
		for _, c := range st.Communities {
			s.ByCommunity[c.Community] = sum(s.ByCommunity[c.Community], c.Participants)
		}
		out = append(out, s)
	}
	return out, nil
}
