package knowledge

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

func TestDefaultFAQ(t *testing.T) {
	c := defaultCorpus(t)
	entries, err := ParseFAQ(DefaultFAQ(), c, DefaultFAQVars())
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) < 12 {
		t.Errorf("default FAQ has %d entries, want at least 12", len(entries))
	}
	ids := make(map[string]*Entry)
	for _, e := range entries {
		ids[e.ID] = e
		// Only the office's own arrangements may go without a citation.
		if len(e.Cites) == 0 && !slices.Contains(e.Tags, "服务站") {
			t.Errorf("%s cites no article", e.ID)
		}
		if strings.Contains(e.Answer, "{{") {
			t.Errorf("%s: unrendered placeholder in %q", e.ID, e.Answer)
		}
	}
	for _, id := range []string{"legal-aid-who", "legal-aid-apply", "mediation-apply", "mediation-free", "protection-order",
		"unpaid-wages", "consumer-complaint", "telecom-fraud", "station-info", "hotline-12348"} {
		if ids[id] == nil {
			t.Errorf("default FAQ lacks %s", id)
		}
	}
	// Facts the office relies on, spot-checked against the statutes cited.
	facts := map[string][]string{
		"protection-order":   {"七十二小时", "二十四小时", "人民法院"},
		"mediation-free":     {"不收取任何费用"},
		"legal-aid-who":      {"英雄烈士近亲属", "家庭暴力", "经济困难", "12348"},
		"unpaid-wages":       {"12333", "仲裁"},
		"telecom-fraud":      {"96110", "110"},
		"consumer-complaint": {"12315"},
	}
	for id, words := range facts {
		for _, w := range words {
			if e := ids[id]; e != nil && !strings.Contains(e.Answer, w) {
				t.Errorf("%s answer lacks %q", id, w)
			}
		}
	}
	if e := ids["mediation-free"]; e != nil && e.Cites[0].Article.Citation() != "《中华人民共和国人民调解法》第四条" {
		t.Errorf("mediation-free cites %s", e.Cites[0].Article.Citation())
	}
}

func TestFAQVars(t *testing.T) {
	c := defaultCorpus(t)
	vars := map[string]string{"station_address": "幸福路1号", "station_hours": "周一至周五 9:00-17:00"}
	entries, err := ParseFAQ(DefaultFAQ(), c, vars)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.ID == "station-info" && (!strings.Contains(e.Answer, "幸福路1号") || !strings.Contains(e.Answer, "周一至周五 9:00-17:00")) {
			t.Errorf("station-info answer = %q", e.Answer)
		}
	}
	if _, err := ParseFAQ(DefaultFAQ(), c, map[string]string{"station_hours": "x"}); err == nil || !strings.Contains(err.Error(), "station_address") {
		t.Errorf("missing var: err = %v", err)
	}
}

func TestFAQValidation(t *testing.T) {
	c := defaultCorpus(t)
	tests := []struct {
		name string
		yaml string
		want []string
	}{
		{"bad citation names the entry", `
- id: wages
  question: 欠薪怎么办
  answer: 打12333
  cites: [劳动合同法第三百条]
`, []string{"faq wages", "劳动合同法第三百条", "no_article"}},
		{"unknown law", `
- id: labour
  question: 劳动法
  answer: 见劳动法
  cites: [劳务法第一条]
`, []string{"faq labour", "unknown_law"}},
		{"not a reference", `
- id: x
  question: q
  answer: a
  cites: [见民法典]
`, []string{"faq x", "not an article reference"}},
		{"duplicate id", `
- {id: a, question: q, answer: a}
- {id: a, question: q2, answer: a2}
`, []string{"faq a: duplicate id"}},
		{"missing fields", `
- id: empty
`, []string{"faq empty: missing question", "missing answer"}},
		{"missing id", `
- {question: q, answer: a}
`, []string{"faq #1: missing id"}},
		{"bad id", `
- {id: "Legal Aid", question: q, answer: a}
`, []string{"id must be"}},
		{"unknown field", `
- {id: a, question: q, answer: a, cite: [民法典第一条]}
`, []string{"field cite not found"}},
		{"unknown placeholder", `
- {id: a, question: q, answer: "电话 {{hotline}}"}
`, []string{"faq a: no value for placeholder(s) hotline"}},
		{"not a list", `id: a`, []string{"knowledge: faq"}},
	}
	for _, tt := range tests {
		_, err := ParseFAQ([]byte(tt.yaml), c, DefaultFAQVars())
		if err == nil {
			t.Errorf("%s: no error", tt.name)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q lacks %q", tt.name, err, w)
			}
		}
	}
	if entries, err := ParseFAQ(nil, c, nil); err != nil || len(entries) != 0 {
		t.Errorf("empty FAQ: %v, %v", entries, err)
	}
}

const reloadFAQ = `
- id: one
  question: 第一个问题怎么办
  answer: 第一个答案
  cites: [民法典第一条]
`

const reloadFAQ2 = `
- id: two
  question: 第二个问题怎么办
  answer: 第二个答案
  cites: [宪法第一条]
`

func TestFAQReload(t *testing.T) {
	path := filepath.Join(t.TempDir(), "faq.yaml")
	if err := os.WriteFile(path, []byte(reloadFAQ), 0o600); err != nil {
		t.Fatal(err)
	}
	b, err := New(Options{FAQPath: path, NoBank: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := b.FAQ(); len(got) != 1 || got[0].ID != "one" {
		t.Fatalf("FAQ = %v", got)
	}
	if err := os.WriteFile(path, []byte(reloadFAQ2), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := b.Reload(); err != nil {
		t.Fatal(err)
	}
	if got := b.FAQ(); len(got) != 1 || got[0].ID != "two" {
		t.Fatalf("after reload FAQ = %v", got)
	}
	// A broken file keeps the old FAQ and says why.
	if err := os.WriteFile(path, []byte("- id: bad\n  question: q\n  answer: a\n  cites: [民法典第九千条]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := b.Reload(); err == nil || !strings.Contains(err.Error(), "faq bad") {
		t.Errorf("reload of a bad file: err = %v", err)
	}
	if got := b.FAQ(); len(got) != 1 || got[0].ID != "two" {
		t.Errorf("after failed reload FAQ = %v", got)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := b.Reload(); err == nil {
		t.Error("reload of a missing file succeeded")
	}
	if _, err := New(Options{FAQPath: path, NoBank: true}); err == nil {
		t.Error("New with a missing FAQ file succeeded")
	}
}

// TestFAQReloadConcurrent runs queries while the FAQ is swapped; under
// -race it proves readers never see a half-built snapshot.
func TestFAQReloadConcurrent(t *testing.T) {
	b, err := New(Options{NoBank: true}) // its FAQ is swapped: not the shared base
	if err != nil {
		t.Fatal(err)
	}
	one, two := []byte(reloadFAQ), []byte(reloadFAQ2)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				q := []string{"第一个问题怎么办", "第二个问题怎么办", "法律援助怎么申请"}[i%3]
				ans := b.Ask(q, 3)
				for _, h := range ans.Hits {
					if h.Kind == HitEntry && h.Entry.Answer == "" {
						t.Error("FAQ hit without an answer")
					}
				}
				_ = b.FAQ()
			}
		}()
	}
	for i := 0; i < 40; i++ {
		data := one
		if i%2 == 1 {
			data = two
		}
		if err := b.LoadFAQ(data); err != nil {
			t.Error(err)
		}
	}
	close(stop)
	wg.Wait()
	if got := b.FAQ(); len(got) != 1 || got[0].ID != "two" {
		t.Errorf("final FAQ = %v", got)
	}
	if ans := b.Ask("第二个问题怎么办", 3); len(ans.Hits) == 0 || ans.Hits[0].Kind != HitEntry || ans.Hits[0].Entry.ID != "two" {
		t.Errorf("Ask after reloads = %+v", ans.Hits)
	}
}
