package campaigns

import (
	"fmt"
	"time"

	"github.com/pufa-dev/pufa/validation"
)

// QuizCatalog resolves a campaign's quiz: reference (*quiz.Catalog).
type QuizCatalog interface {
	// CampaignQuiz returns the id of the quiz that ref (a quiz id, or a bank
	// id with a quiz open during from–to) names, and false when none.
	CampaignQuiz(ref string, from, to time.Time) (id string, ok bool)
}

// CheckQuiz reports a campaign whose quiz: names no quiz in quizzes as a
// *validation.Problem on the field "quiz"; a campaign without a quiz, or a
// nil catalogue, passes. Every place that validates or approves a campaign
// calls it, so that residents are never sent to a quiz that does not exist.
func CheckQuiz(c *Campaign, quizzes QuizCatalog) error {
	if c.Quiz == "" || quizzes == nil {
		return nil
	}
	if _, ok := quizzes.CampaignQuiz(c.Quiz, c.Window.From, c.Window.To); ok {
		return nil
	}
	return &validation.Problem{File: c.File, Field: "quiz",
		Msg: fmt.Sprintf("%q names no quiz id, nor a bank with a quiz open during the campaign", c.Quiz)}
}

// CheckQuiz checks c's quiz: against the catalogue the manager was given.
func (m *Manager) CheckQuiz(c *Campaign) error { return CheckQuiz(c, m.opts.Quizzes) }
