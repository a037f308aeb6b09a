package knowledge

import (
	"bufio"
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"strconv"
)

// LeCoQA (Su et al. 2025, MIT licence, training/LICENSE.LeCoQA): the 1,235
// real lay questions of STARD's train.json, each with a lawyer's answer and
// the articles it rests on. pufa learns from the questions and their
// articles which law and article lay wording points to; it never shows the
// answers to residents, because they were written before 2025 and are not
// checked sentence by sentence like the bank.
//
//go:embed training/lecoqa.jsonl
var lecoqaJSONL []byte

// lecoqaRecord is one line of LeCoQA.
type lecoqaRecord struct {
	QueryID  json.RawMessage `json:"query_id"`
	Question string          `json:"问题"`
	Keywords string          `json:"关键词"`
	Answer   string          `json:"答案文本"`
	Match    []string        `json:"match_name"`
}

// LeCoQAReport says what loading LeCoQA against a corpus kept.
type LeCoQAReport struct {
	Questions int // in the file
	Kept      int // with every label resolving to a current article
	// Dropped are questions one of whose labels names a text the corpus
	// does not hold: superseded law (合同法, 婚姻法 interpretations …) or a
	// law outside the loaded set. They are left out rather than half-used.
	Dropped int
}

// LeCoQA returns the embedded LeCoQA questions as labelled queries, keeping
// only those whose every label resolves in c, with the lawyer's answer as
// Answer for document expansion.
func LeCoQA(c *Corpus) ([]LabeledQuery, LeCoQAReport, error) {
	var out []LabeledQuery
	var rep LeCoQAReport
	sc := bufio.NewScanner(bytes.NewReader(lecoqaJSONL))
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	for n := 1; sc.Scan(); n++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var r lecoqaRecord
		// The file came out of pandas, which writes a missing 关键词 as NaN.
		line := bytes.ReplaceAll(sc.Bytes(), []byte(`": NaN`), []byte(`": null`))
		if err := json.Unmarshal(line, &r); err != nil {
			return nil, rep, fmt.Errorf("knowledge: lecoqa line %d: %w", n, err)
		}
		rep.Questions++
		ok := len(r.Match) > 0
		for _, m := range r.Match {
			if c.ArticleByName(m) == nil {
				ok = false
				break
			}
		}
		if !ok {
			rep.Dropped++
			continue
		}
		rep.Kept++
		id := string(r.QueryID)
		if s, err := strconv.Unquote(id); err == nil {
			id = s
		}
		out = append(out, LabeledQuery{ID: "lecoqa-" + id, Text: r.Question, Articles: r.Match, Answer: r.Answer})
	}
	if err := sc.Err(); err != nil {
		return nil, rep, fmt.Errorf("knowledge: lecoqa: %w", err)
	}
	return out, rep, nil
}

// BankTraining turns answer entries into labelled queries: each wording of
// an entry labelled with the entry's articles, so article retrieval learns
// the residents' words for them too.
func BankTraining(entries []*Entry) []LabeledQuery {
	var out []LabeledQuery
	for _, e := range entries {
		if e.Disabled || len(e.Cites) == 0 {
			continue
		}
		names := make([]string, len(e.Cites))
		for i, c := range e.Cites {
			names[i] = c.Article.Name()
		}
		for i, t := range append([]string{e.Question}, e.Paraphrases...) {
			out = append(out, LabeledQuery{ID: e.ID + "#" + strconv.Itoa(i), Text: t, Articles: names})
		}
	}
	return out
}

// AttachLeCoQA gives each STARD question that LeCoQA answers (same query_id)
// the lawyer's answer, so training can learn the legal wording of lay
// questions. Only questions a model trains on should carry answers: an
// answer to a held-out question would leak its labels.
func AttachLeCoQA(qs []LabeledQuery) (attached int, err error) {
	answers := make(map[string]string)
	sc := bufio.NewScanner(bytes.NewReader(lecoqaJSONL))
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var r lecoqaRecord
		line := bytes.ReplaceAll(sc.Bytes(), []byte(`": NaN`), []byte(`": null`))
		if err := json.Unmarshal(line, &r); err != nil {
			return 0, fmt.Errorf("knowledge: lecoqa: %w", err)
		}
		id := string(r.QueryID)
		if s, err := strconv.Unquote(id); err == nil {
			id = s
		}
		answers[id] = r.Answer
	}
	for i := range qs {
		if a, ok := answers[qs[i].ID]; ok && a != "" {
			qs[i].Answer = a
			attached++
		}
	}
	return attached, sc.Err()
}
