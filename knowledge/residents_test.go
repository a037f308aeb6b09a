package knowledge

import (
	"os"
	"slices"
	"testing"
)

// Both resident sets are held to the same rules: unique ids, a known split,
// gold articles that resolve to current articles, and a named entry (where
// one is named) that exists and cites at least one gold article.
func TestResidentSetsAreConsistent(t *testing.T) {
	b := testBase(t)
	for _, file := range []string{"testdata/residents.jsonl", "testdata/residents-fresh.jsonl"} {
		qs := residentSet(t, file)
		if len(qs) < 60 {
			t.Errorf("%s: only %d questions", file, len(qs))
		}
		seen := make(map[string]bool)
		for _, q := range qs {
			if seen[q.ID] {
				t.Errorf("%s: id %s twice", file, q.ID)
			}
			seen[q.ID] = true
			if q.Split != "tune" && q.Split != "test" {
				t.Errorf("%s %s: split %q", file, q.ID, q.Split)
			}
			var gold []string
			for _, g := range q.Gold {
				a := b.Corpus().ArticleByName(g)
				if a == nil {
					t.Errorf("%s %s: gold %s does not resolve", file, q.ID, g)
					continue
				}
				gold = append(gold, a.Name())
			}
			if q.Entry == "" {
				continue
			}
			e := b.Entry(q.Entry)
			if e == nil {
				t.Errorf("%s %s: entry %s does not exist", file, q.ID, q.Entry)
				continue
			}
			if !slices.ContainsFunc(e.Articles(), func(a *Article) bool { return slices.Contains(gold, a.Name()) }) {
				t.Errorf("%s %s: entry %s cites no gold article", file, q.ID, q.Entry)
			}
		}
	}
}

// residentSet reads one of the resident question sets under testdata.
func residentSet(t *testing.T, file string) []ResidentQuestion {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	qs, err := LoadResidentQuestions(f)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return qs
}
