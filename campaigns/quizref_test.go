package campaigns_test

import (
	"errors"
	"testing"
	"time"

	"github.com/pufa-dev/pufa/campaigns"
	"github.com/pufa-dev/pufa/chinatime"
	"github.com/pufa-dev/pufa/validation"
)

// quizzes knows quiz ids and the banks of quizzes open from open to close.
type quizzes struct {
	ids         map[string]bool
	bank        string
	open, close time.Time
}

func (q quizzes) CampaignQuiz(ref string, from, to time.Time) (string, bool) {
	if q.ids[ref] {
		return ref, true
	}
	if ref == q.bank && (to.IsZero() || !q.open.After(to)) && (from.IsZero() || !q.close.Before(from)) {
		return ref + "-quiz", true
	}
	return "", false
}

func TestCheckQuiz(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2026, 12, d, 0, 0, 0, 0, chinatime.Zone) }
	cat := quizzes{ids: map[string]bool{"constitution-2026": true}, bank: "constitution", open: day(1), close: day(7)}
	for _, tc := range []struct {
		name    string
		quiz    string
		from    time.Time
		to      time.Time
		catalog campaigns.QuizCatalog
		ok      bool
	}{
		{"no quiz named", "", time.Time{}, time.Time{}, cat, true},
		{"a quiz id", "constitution-2026", time.Time{}, time.Time{}, cat, true},
		{"a bank with a quiz open during the campaign", "constitution", day(5), day(10), cat, true},
		{"a bank whose quiz closed before the campaign", "constitution", day(8), day(10), cat, false},
		{"an unknown name", "criminal-law", time.Time{}, time.Time{}, cat, false},
		{"no catalogue to check against", "criminal-law", time.Time{}, time.Time{}, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &campaigns.Campaign{ID: "x", File: "x.yaml", Quiz: tc.quiz, Window: campaigns.Window{From: tc.from, To: tc.to}}
			err := campaigns.CheckQuiz(c, tc.catalog)
			if tc.ok {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var p *validation.Problem
			if !errors.As(err, &p) || p.File != "x.yaml" || p.Field != "quiz" {
				t.Fatalf("want a problem naming x.yaml and the field quiz, got %v", err)
			}
		})
	}
}
