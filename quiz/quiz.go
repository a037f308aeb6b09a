// Package quiz runs legal-knowledge quizzes (网上宪法知识答题, 民法典答题)
// inside the official account's chat, scores them fairly and counts them for
// the annual report.
//
// A question bank (banks/*.yaml) holds single-choice, multiple-choice and
// true/false questions, each with its answer and an explanation that cites
// the article it rests on; citations are resolved against the law corpus
// when the bank loads. A quiz (quizzes/*.yaml) draws N questions from a bank,
// fixed for everyone or shuffled per attempt, and is open within a window,
// with an optional attempts limit and leaderboard. The banks and quizzes
// built into the binary (宪法宣传周 2026, 民法典宣传月 2027) are used unless
// quiz.dir names a directory of the same layout.
//
// # The current quiz
//
// "答题" starts the current quiz: the open quiz whose window started last
// (ties: the smaller id), so a themed quiz opened inside a longer-running one
// takes over for its duration. A resident already in an open quiz keeps
// answering it.
//
// # Fairness
//
// Every answer goes through one Lua script in the quiz's Redis slot that
// records it only if the attempt and question position the handler read are
// still current. A second copy of an answer — WeChat's retry (also caught by
// the callback dedup), two messages processed concurrently, or the same
// reply sent again within the repeat window (quiz.repeat_window) — finds the
// position moved or the repeat and is not counted. Answers after the window
// closes are refused. The leaderboard keeps each resident's best attempt:
// more right answers first, then the earlier finish; equal score and the
// same finishing second share a rank.
//
// # Personal data
//
// A resident's progress and leaderboard entry are erased when they
// unsubscribe (store.EraseUser) and expire store.QuizRetention after the
// quiz closes. Aggregates — participants, completions, score sums,
// per-question and per-community counts — hold no openid and are kept for
// the report.
package quiz

import (
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// JoinHint is how campaign texts invite residents to the quiz.
const JoinHint = "回复“答题”参加"

// Kind is a question's type.
type Kind string

// Question kinds.
const (
	Single    Kind = "single"    // 单选题: one letter
	Multiple  Kind = "multiple"  // 多选题: every right letter, none wrong
	TrueFalse Kind = "truefalse" // 判断题: 对 or 错
)

// Canonical true/false answers.
const (
	True  = "T"
	False = "F"
)

// maxOptions bounds a choice question's options (A-H).
const maxOptions = 8

// Question is one question of a bank.
type Question struct {
	ID          string
	Kind        Kind
	Text        string
	Options     []string // choice questions only
	Answer      string   // canonical: sorted capital letters ("AC"), or True/False
	Explanation string
	Cite        string // as written in the bank, e.g. 宪法第三十三条
	Citation    string // as shown, e.g. 《中华人民共和国宪法》第三十三条
}

// Bank is a named set of questions.
type Bank struct {
	ID        string
	Title     string
	Questions []*Question
	File      string

	byID map[string]*Question
}

// Question returns the question with id, or nil.
func (b *Bank) Question(id string) *Question { return b.byID[id] }

// Order is how a quiz picks its questions.
type Order string

// Orders.
const (
	Shuffled Order = "shuffled" // each attempt draws its own questions in its own order
	Fixed    Order = "fixed"    // the bank's first N questions, in bank order, for everyone
)

// Window is when a quiz accepts answers; both ends are inclusive.
type Window struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// Contains reports whether t lies in the window.
func (w Window) Contains(t time.Time) bool { return !t.Before(w.From) && !t.After(w.To) }

// Quiz is one quiz definition.
type Quiz struct {
	ID          string
	Title       string
	Bank        *Bank
	Questions   int // per attempt
	Order       Order
	Window      Window
	Attempts    int  // per resident; 0 = unlimited
	Leaderboard bool // residents can see the top 10 and their rank
	Issuer      string
	File        string
}

// Draw returns the question ids of a new attempt.
func (q *Quiz) Draw() []string {
	qs := q.Bank.Questions
	ids := make([]string, 0, q.Questions)
	if q.Order == Fixed {
		for _, x := range qs[:q.Questions] {
			ids = append(ids, x.ID)
		}
		return ids
	}
	for _, i := range rand.Perm(len(qs))[:q.Questions] {
		ids = append(ids, qs[i].ID)
	}
	return ids
}

// Catalog is an immutable set of banks and quizzes.
type Catalog struct {
	banks   map[string]*Bank
	quizzes []*Quiz // by window start, then id
}

// Bank returns the bank with id, or nil.
func (c *Catalog) Bank(id string) *Bank { return c.banks[id] }

// Banks lists the banks by id.
func (c *Catalog) Banks() []*Bank {
	out := make([]*Bank, 0, len(c.banks))
	for _, b := range c.banks {
		out = append(out, b)
	}
	slices.SortFunc(out, func(a, b *Bank) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// Quiz returns the quiz with id, or nil.
func (c *Catalog) Quiz(id string) *Quiz {
	for _, q := range c.quizzes {
		if q.ID == id {
			return q
		}
	}
	return nil
}

// Quizzes lists the quizzes by window start.
func (c *Catalog) Quizzes() []*Quiz { return slices.Clone(c.quizzes) }

// Current returns the quiz open at t whose window started last (ties: the
// smaller id), or nil.
func (c *Catalog) Current(t time.Time) *Quiz {
	var cur *Quiz
	for _, q := range c.quizzes {
		if q.Window.Contains(t) && (cur == nil || q.Window.From.After(cur.Window.From)) {
			cur = q
		}
	}
	return cur
}

// Upcoming returns the next quiz to open after t, or nil.
func (c *Catalog) Upcoming(t time.Time) *Quiz {
	for _, q := range c.quizzes {
		if q.Window.From.After(t) {
			return q
		}
	}
	return nil
}

// Latest returns the quiz that closed most recently before t, or nil.
func (c *Catalog) Latest(t time.Time) *Quiz {
	var last *Quiz
	for _, q := range c.quizzes {
		if q.Window.To.Before(t) && (last == nil || q.Window.To.After(last.Window.To)) {
			last = q
		}
	}
	return last
}

// ForCampaign resolves a campaign's quiz reference: a quiz id, or a bank id
// naming the quiz on that bank whose window overlaps the campaign's
// (from/to zero = open). It returns nil when nothing matches.
func (c *Catalog) ForCampaign(ref string, from, to time.Time) *Quiz {
	if q := c.Quiz(ref); q != nil {
		return q
	}
	for _, q := range c.quizzes {
		if q.Bank.ID != ref {
			continue
		}
		if (to.IsZero() || !q.Window.From.After(to)) && (from.IsZero() || !q.Window.To.Before(from)) {
			return q
		}
	}
	return nil
}

// CampaignQuiz is ForCampaign for campaign validation
// (campaigns.QuizCatalog): the id of the quiz ref names, if any.
func (c *Catalog) CampaignQuiz(ref string, from, to time.Time) (string, bool) {
	if q := c.ForCampaign(ref, from, to); q != nil {
		return q.ID, true
	}
	return "", false
}

// WithWindow returns a copy of the catalog in which quiz id has window w;
// the demo uses it to open the 宪法 quiz now.
func (c *Catalog) WithWindow(id string, w Window) (*Catalog, bool) {
	out := &Catalog{banks: c.banks, quizzes: make([]*Quiz, len(c.quizzes))}
	found := false
	for i, q := range c.quizzes {
		if q.ID == id {
			cp := *q
			cp.Window = w
			q, found = &cp, true
		}
		out.quizzes[i] = q
	}
	out.sort()
	return out, found
}

func (c *Catalog) sort() {
	slices.SortFunc(c.quizzes, func(a, b *Quiz) int {
		if d := a.Window.From.Compare(b.Window.From); d != 0 {
			return d
		}
		return strings.Compare(a.ID, b.ID)
	})
}

// WithQuiz returns a copy of the catalogue with q added, or replacing the
// quiz of the same id; its bank must be one of the catalogue's. The demo
// uses it to run a built-in quiz again in the year it seeds.
func (c *Catalog) WithQuiz(q Quiz) (*Catalog, bool) {
	if q.Bank == nil || c.banks[q.Bank.ID] != q.Bank || q.Questions <= 0 || q.Questions > len(q.Bank.Questions) {
		return c, false
	}
	out := &Catalog{banks: c.banks}
	for _, old := range c.quizzes {
		if old.ID != q.ID {
			out.quizzes = append(out.quizzes, old)
		}
	}
	out.quizzes = append(out.quizzes, &q)
	out.sort()
	return out, true
}
