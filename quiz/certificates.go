package quiz

import (
	"context"
	"fmt"
	"time"
)

// Certificate is one resident's completion of a quiz, as the office lists
// it when it hands out certificates: the resident masked as on the
// leaderboard, the community credited, the best result and its rank.
type Certificate struct {
	Rank      int       `json:"rank"`
	Resident  string    `json:"resident"` // masked: 居民（尾号…）
	Community string    `json:"community,omitempty"`
	Right     int       `json:"right"`
	Questions int       `json:"questions"`
	Score     float64   `json:"score"` // out of 100
	Finished  time.Time `json:"finished"`
}

// certificatePage is how many leaderboard entries are read at a time.
const certificatePage = 500

// Certificates lists everyone who completed the quiz, best first. A
// resident who unfollowed has been erased from the leaderboard and is not
// listed; the community is empty once the resident's progress has expired
// (QuizRetention after the quiz closed).
func (s *Service) Certificates(ctx context.Context, quizID string) ([]Certificate, error) {
	qz := s.opts.Catalog.Quiz(quizID)
	if qz == nil {
		return nil, fmt.Errorf("quiz: unknown quiz %q", quizID)
	}
	var out []Certificate
	for n := certificatePage; ; n += certificatePage {
		top, err := s.opts.Store.QuizTop(ctx, quizID, n)
		if err != nil {
			return nil, err
		}
		for _, e := range top[len(out):] {
			p, err := s.opts.Store.QuizProgress(ctx, quizID, e.OpenID)
			if err != nil {
				return nil, err
			}
			out = append(out, Certificate{Rank: e.Rank, Resident: residentLabel(e.OpenID), Community: p.Community,
				Right: e.Correct, Questions: qz.Questions, Score: round1(float64(e.Correct) * 100 / float64(qz.Questions)),
				Finished: e.Finished})
		}
		if len(top) < n {
			return out, nil
		}
	}
}
