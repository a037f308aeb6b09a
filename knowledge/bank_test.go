package knowledge

import (
	"math"
	"slices"
	"strings"
	"testing"
)

// Every shipped entry must cite current articles, quote them word for word
// and state no figure the cited articles do not give.
func TestBankEntriesAreValid(t *testing.T) {
	c := defaultCorpus(t)
	entries, err := LoadBank(c)
	if err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			t.Error(line)
		}
	}
	t.Logf("%d bank entries in %d files", len(entries), len(BankFiles()))
}

// A government account addresses residents as 您: an answer read as the
// office's word does not say 你 (residents' own wordings may).
func TestBankAnswersAddressResidentsPolitely(t *testing.T) {
	entries, err := LoadBank(defaultCorpus(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		for _, text := range []string{e.Answer, e.Next} {
			if strings.Contains(strings.ReplaceAll(text, "你们", ""), "你") {
				t.Errorf("%s says 你: %q", e.ID, text)
			}
		}
	}
}

func TestBankValidation(t *testing.T) {
	c := defaultCorpus(t)
	const good = `
- id: x
  topic: 劳动报酬
  question: 老板拖欠工资怎么办
  paraphrases: [欠薪咋办, 不发工资怎么办, 工钱不给]
  answer: 可以要。%s
  next: 拨打%s咨询。
  cites:
    - ref: 劳动争议调解仲裁法第二十七条
      quote: %s
`
	tests := []struct {
		name, answer, phone, quote string
		want                       string // "" = valid
	}{
		{"valid", "仲裁时效一年。", "12333", "劳动争议申请仲裁的时效期间为一年。", ""},
		{"quote not in the text", "仲裁时效一年。", "12333", "劳动争议申请仲裁的时效期间为两年。", "is not in the article's current text"},
		{"invented phone", "仲裁时效一年。", "88886666", "劳动争议申请仲裁的时效期间为一年。", "number 88886666 is not a national hotline"},
		{"invented deadline", "要在30天内申请。", "12333", "劳动争议申请仲裁的时效期间为一年。", `"三十日" is not stated by any cited article`},
		{"Arabic figure found in the article", "时效1年。", "12348", "劳动争议申请仲裁的时效期间为一年。", ""},
	}
	for _, tt := range tests {
		yaml := strings.NewReplacer("%s", "\x00").Replace(good)
		yaml = strings.Replace(yaml, "\x00", tt.answer, 1)
		yaml = strings.Replace(yaml, "\x00", tt.phone, 1)
		yaml = strings.Replace(yaml, "\x00", tt.quote, 1)
		_, err := parseEntries("t.yaml", []byte(yaml), LayerBank, c, nil)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s: error %v, want %q", tt.name, err, tt.want)
		}
	}
}

// Staff edits replace the shipped entry residents get, are validated by the
// bank's rules, and leave the shipped entry as it was for comparison.
func TestApplyEditsLayersOverTheBank(t *testing.T) {
	b, err := New(Options{BankFiles: []string{"labour-pay.yaml"}})
	if err != nil {
		t.Fatal(err)
	}
	shipped := b.Entry("wage-arbitration-time-limit")
	if shipped == nil {
		t.Fatal("shipped entry missing")
	}
	edit := shipped.Record()
	edit.Answer = "有时间限制，一般是一年。"
	edit.ReviewedBy, edit.ReviewedAt = "李律师", "2026-11-28"
	if err := b.ApplyEdits([]EntryRecord{edit}); err != nil {
		t.Fatal(err)
	}
	if got := b.Entry(edit.ID); got.Answer != edit.Answer || got.ReviewedBy != "李律师" {
		t.Errorf("residents get %+v", got)
	}
	if b.ShippedEntry(edit.ID).Answer == edit.Answer {
		t.Error("the shipped entry changed")
	}
	ans := b.Ask("劳动仲裁时效多长", 3)
	if len(ans.Hits) == 0 || ans.Hits[0].Entry == nil || ans.Hits[0].Entry.Answer != edit.Answer {
		t.Errorf("Ask does not give the edited entry: %+v", ans.Hits)
	}

	disabled := edit
	disabled.Disabled = true
	bad := edit
	bad.ID = "another"
	bad.Answer = "要在30天内申请。"
	if err := b.ApplyEdits([]EntryRecord{disabled, bad}); err == nil || !strings.Contains(err.Error(), "三十日") {
		t.Fatalf("an edit with an untraceable deadline was accepted: %v", err)
	}
	if b.Entry(edit.ID).Disabled {
		t.Error("a rejected batch changed the entries")
	}
	if err := b.ApplyEdits([]EntryRecord{disabled}); err != nil {
		t.Fatal(err)
	}
	if ans := b.Ask("劳动仲裁时效多长", 3); len(ans.Hits) > 0 && ans.Hits[0].Entry != nil && ans.Hits[0].Entry.ID == edit.ID {
		t.Error("a disabled entry still answers")
	}
}

// The console shows each problem of a rejected edit beside its field, so
// the error must come apart into one error a problem.
func TestValidateEditListsEachProblem(t *testing.T) {
	b, err := New(Options{NoFAQ: true})
	if err != nil {
		t.Fatal(err)
	}
	r := b.Entry("wage-arbitration-time-limit").Record()
	r.Question, r.Answer = "", "要在30天内申请，电话88886666。"
	_, err = b.ValidateEdit(r)
	multi, ok := err.(interface{ Unwrap() []error })
	if !ok {
		t.Fatalf("error %v does not unwrap into problems", err)
	}
	var got []string
	for _, e := range multi.Unwrap() {
		got = append(got, e.Error())
	}
	want := []string{"missing question", "number 88886666 is not a national hotline", `"三十日" is not stated by any cited article`}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("problems %q, want %q", got, want)
	}
	if err.Error() != strings.Join(want, "; ") {
		t.Errorf("message %q", err)
	}
}

// A wide corpus (knowledge.laws: national) adds laws to look up and
// articles to show; it never changes which entry answers a question or how
// sure the answer is, so loading the national set never makes answers worse.
func TestWideCorpusNeverChangesTheEntryThatAnswers(t *testing.T) {
	base, err := DefaultCorpus()
	if err != nil {
		t.Fatal(err)
	}
	// The default laws and some of the national set's others: what widening
	// does, without indexing all 1,300 laws under -race.
	national, _, err := EmbeddedLaws(LawsNational)
	if err != nil {
		t.Fatal(err)
	}
	laws := slices.Clone(base.Laws())
	for i, l := range national {
		if i%20 == 0 || l.ShortName == "证券法" {
			laws = append(laws, l)
		}
	}
	wide, err := NewCorpus(laws...)
	if err != nil {
		t.Fatal(err)
	}
	narrow, err := New(Options{Corpus: base})
	if err != nil {
		t.Fatal(err)
	}
	widened, err := New(Options{Corpus: base, Wide: wide})
	if err != nil {
		t.Fatal(err)
	}
	var asked int
	for i, e := range narrow.Entries() {
		if i%7 != 0 || len(e.Paraphrases) == 0 {
			continue
		}
		q := e.Paraphrases[len(e.Paraphrases)-1]
		a, b := narrow.Ask(q, 9), widened.Ask(q, 9)
		asked++
		// Sums over Go maps may add in any order: equal up to rounding.
		if a.Confident != b.Confident || math.Abs(a.Confidence-b.Confidence) > 1e-6 || len(a.Choices) != len(b.Choices) {
			t.Errorf("%q: default %v %.3f %d readings, national %v %.3f %d readings",
				q, a.Confident, a.Confidence, len(a.Choices), b.Confident, b.Confidence, len(b.Choices))
			continue
		}
		if len(a.Hits) > 0 && a.Hits[0].Kind == HitEntry && (len(b.Hits) == 0 || b.Hits[0].Entry == nil || b.Hits[0].Entry.ID != a.Hits[0].Entry.ID) {
			t.Errorf("%q: answered by %s by default, not with the national set", q, a.Hits[0].Entry.ID)
		}
	}
	if asked < 50 {
		t.Fatalf("asked only %d questions", asked)
	}
	// What the wide corpus is for: a law outside the default set looks up.
	if res := widened.Lookup(ArticleRef{Law: "证券法", Number: 1}); res.Status != LookupFound {
		t.Errorf("证券法第一条 with the national set: %v", res.Status)
	}
	if res := narrow.Lookup(ArticleRef{Law: "证券法", Number: 1}); res.Status == LookupFound {
		t.Error("证券法 is in the default set; pick a law outside it")
	}
}
