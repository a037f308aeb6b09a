package knowledge

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
)

// ResidentQuestion is one question of pufa's resident test set, written as
// residents type in WeChat, with the articles that rightly answer it first.
type ResidentQuestion struct {
	ID    string   `json:"id"`
	Text  string   `json:"q"`
	Gold  []string `json:"gold"` // empty: no article answers it; a hedge is right
	Topic string   `json:"topic"`
	Split string   `json:"split"` // "tune" or "test"
	// Entry names the bank entry written to answer it, where the set says
	// so (residents-fresh.jsonl does). Grading stays by citation; the name
	// lets a test check that the entry rests on a gold article.
	Entry string `json:"entry,omitempty"`
}

// LoadResidentQuestions reads the set, one JSON object a line.
func LoadResidentQuestions(r io.Reader) ([]ResidentQuestion, error) {
	var out []ResidentQuestion
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var q ResidentQuestion
		if err := json.Unmarshal([]byte(line), &q); err != nil {
			return nil, fmt.Errorf("knowledge: residents line %d: %w", n, err)
		}
		if q.Text == "" {
			return nil, fmt.Errorf("knowledge: residents line %d: empty q", n)
		}
		out = append(out, q)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("knowledge: residents: %w", err)
	}
	return out, nil
}

// Outcome is what a resident's first reply did with a question.
type Outcome string

// Outcomes.
const (
	// ConfidentRight answered with confidence; its first citation is gold
	// (or, for a question with no gold, never happens: see ConfidentWrong).
	ConfidentRight Outcome = "confident_right"
	// ConfidentWrong answered with confidence and a first citation outside
	// gold, or any confident answer to a question no article answers.
	ConfidentWrong Outcome = "confident_wrong"
	// ReadingRight answered on the question's likely reading, said to be
	// one, with any other readings offered; its first citation is gold (or
	// it cites nothing and no article answers the question).
	ReadingRight Outcome = "reading_right"
	// ReadingWrong answered on a likely reading whose first citation is
	// outside gold.
	ReadingWrong Outcome = "reading_wrong"
	// AskedToChoose offered numbered readings.
	AskedToChoose Outcome = "asked_to_choose"
	// Hedged said it was unsure and offered a person.
	Hedged Outcome = "hedged"
	// Intercepted was answered by something before the knowledge base (a
	// keyword rule): right only for a question with no gold.
	Intercepted Outcome = "intercepted"
)

// ResidentResult is the outcome of one question.
type ResidentResult struct {
	Question ResidentQuestion `json:"question"`
	Outcome  Outcome          `json:"outcome"`
	// First is the first citation of the reply, "" when none.
	First string `json:"first,omitempty"`
	// Entry is the answering entry's id, if an entry answered.
	Entry string `json:"entry,omitempty"`
	// Confidence is the first hit's confidence.
	Confidence float64 `json:"confidence"`
	// RightInFirstReply: some article the first reply cites (the answer's
	// citations, or the readings offered) is gold; for a no-gold question,
	// the reply did not answer with confidence.
	RightInFirstReply bool `json:"right_in_first_reply"`
}

// ResidentReport sums the results of a run.
type ResidentReport struct {
	N                 int     `json:"n"`
	ConfidentRight    float64 `json:"confident_right"`
	ConfidentWrong    float64 `json:"confident_wrong"`
	Hedged            float64 `json:"hedged"`
	ReadingRight      float64 `json:"reading_right"`
	ReadingWrong      float64 `json:"reading_wrong"`
	AskedToChoose     float64 `json:"asked_to_choose"`
	Intercepted       float64 `json:"intercepted"`
	RightInFirstReply float64 `json:"right_in_first_reply"`
	Precision         float64 `json:"confident_precision"`
	// ReadingPrecision is the share of answers on a likely reading whose
	// first citation is gold.
	ReadingPrecision float64                 `json:"reading_precision"`
	ByTopic          map[string]TopicFigures `json:"by_topic,omitempty"`
	Results          []ResidentResult        `json:"-"`
	Counts           map[Outcome]int         `json:"counts"`
	CurveEntry       []CalibrationPoint      `json:"curve_entry,omitempty"`
	CurveArticle     []CalibrationPoint      `json:"curve_article,omitempty"`
	CurveReading     []CalibrationPoint      `json:"curve_reading,omitempty"`
}

// TopicFigures are one topic's counts.
type TopicFigures struct {
	N, Right, Wrong int
}

// Asker is what the evaluation asks: Base.Ask, or a wrapper that lets
// keyword rules answer first (intercepted reports true).
type Asker func(q string) (ans Answer, intercepted bool)

// EvaluateResidents runs every question through ask and classifies the
// first reply. Gold labels are compared by canonical article name.
func EvaluateResidents(c *Corpus, qs []ResidentQuestion, ask Asker) ResidentReport {
	rep := ResidentReport{Counts: make(map[Outcome]int), ByTopic: make(map[string]TopicFigures)}
	for _, q := range qs {
		r := classify(c, q, ask)
		rep.Results = append(rep.Results, r)
		rep.Counts[r.Outcome]++
		tf := rep.ByTopic[q.Topic]
		tf.N++
		switch r.Outcome {
		case ConfidentRight:
			tf.Right++
		case ConfidentWrong:
			tf.Wrong++
		}
		rep.ByTopic[q.Topic] = tf
		if r.RightInFirstReply {
			rep.RightInFirstReply++
		}
	}
	rep.N = len(qs)
	if rep.N > 0 {
		n := float64(rep.N)
		rep.ConfidentRight = float64(rep.Counts[ConfidentRight]) / n
		rep.ConfidentWrong = float64(rep.Counts[ConfidentWrong]) / n
		rep.Hedged = float64(rep.Counts[Hedged]) / n
		rep.AskedToChoose = float64(rep.Counts[AskedToChoose]) / n
		rep.ReadingRight = float64(rep.Counts[ReadingRight]) / n
		rep.ReadingWrong = float64(rep.Counts[ReadingWrong]) / n
		rep.Intercepted = float64(rep.Counts[Intercepted]) / n
		rep.RightInFirstReply /= n
	}
	if conf := rep.Counts[ConfidentRight] + rep.Counts[ConfidentWrong]; conf > 0 {
		rep.Precision = float64(rep.Counts[ConfidentRight]) / float64(conf)
	}
	if read := rep.Counts[ReadingRight] + rep.Counts[ReadingWrong]; read > 0 {
		rep.ReadingPrecision = float64(rep.Counts[ReadingRight]) / float64(read)
	}
	return rep
}

func classify(c *Corpus, q ResidentQuestion, ask Asker) ResidentResult {
	gold := goldSet(c, q.Gold)
	r := ResidentResult{Question: q}
	ans, intercepted := ask(q.Text)
	if intercepted {
		r.Outcome = Intercepted
		r.RightInFirstReply = len(gold) == 0
		return r
	}
	r.Confidence = ans.Confidence
	var cited []*Article
	switch {
	case ans.Lookup != nil:
		if ans.Lookup.Article != nil {
			cited = append(cited, ans.Lookup.Article)
		}
	case len(ans.Hits) > 0:
		h := ans.Hits[0]
		if h.Kind == HitEntry {
			r.Entry = h.Entry.ID
			for _, c := range h.Citations() {
				cited = append(cited, c.Article)
			}
		} else {
			cited = append(cited, h.Article)
		}
	}
	if len(cited) > 0 {
		r.First = cited[0].Name()
	}
	// A question no article answers, answered from the office's own
	// information (an FAQ entry that cites nothing), is answered rightly.
	right := len(cited) > 0 && gold[cited[0].Name()] || len(cited) == 0 && len(gold) == 0 && ans.Lookup == nil
	switch {
	case ans.Confident && right:
		r.Outcome = ConfidentRight
	case ans.Confident:
		r.Outcome = ConfidentWrong
	case ans.Reading || len(ans.Choices) > 0:
		r.Outcome = AskedToChoose
		if ans.Reading {
			r.Outcome = ReadingWrong
			if right {
				r.Outcome = ReadingRight
			}
		}
		// The reply names every reading it offers; the answered one's
		// articles are among them.
		cited = cited[:0]
		for _, e := range ans.Choices {
			cited = append(cited, e.Articles()...)
		}
	default:
		r.Outcome = Hedged
		// A hedge shows no article as an answer; it counts as right only
		// for a question no article answers.
		cited = nil
	}
	if len(gold) == 0 {
		r.RightInFirstReply = r.Outcome != ConfidentWrong && r.Outcome != ReadingWrong
	} else {
		r.RightInFirstReply = slices.ContainsFunc(cited, func(a *Article) bool { return gold[a.Name()] })
	}
	return r
}

// CalibrationPoint is the precision and coverage of confident answers when
// the threshold is Threshold.
type CalibrationPoint struct {
	Threshold float64 `json:"threshold"`
	Precision float64 `json:"precision"`
	Coverage  float64 `json:"coverage"`
	Right     int     `json:"right"`
	Wrong     int     `json:"wrong"`
}

// goldSet holds gold labels by the canonical name of the article each
// names, or as written when no article of c has that name.
func goldSet(c *Corpus, names []string) map[string]bool {
	gold := make(map[string]bool, len(names))
	for _, g := range names {
		if a := c.ArticleByName(g); a != nil {
			gold[a.Name()] = true
		} else {
			gold[g] = true
		}
	}
	return gold
}
