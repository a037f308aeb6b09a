package knowledge

import (
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"
)

// Speed targets live here, not in timed tests: the machine is shared and
// noisy. Run with
//
//	go test -run XXX -bench . -benchtime 2000x ./knowledge/
//
// The STARD benchmarks need the data in $PUFA_STARD_DIR or ../shared beside
// the repository.

var benchQuestions = []string{
	"离婚冷静期是多久", "法律援助怎么申请", "老板拖欠工资怎么办", "被老公打了怎么办",
	"邻居家漏水到我家谁负责", "网购的东西七天内可以退货吗", "公司没跟我签劳动合同能要双倍工资吗",
	"彩礼可以要回来吗", "孩子在学校被欺负怎么办", "民法典第1077条", "银行卡借给别人用犯法吗",
	"父母去世后房子怎么继承", "借钱不还怎么办", "人民调解收费吗",
}

// reportLatency records per-query percentiles as custom benchmark metrics.
func reportLatency(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	pct := func(p float64) float64 {
		i := min(int(p*float64(len(lat))), len(lat)-1)
		return float64(lat[i]) / float64(time.Millisecond)
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}

func reportHeap(b *testing.B) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "heap-MB")
}

// BenchmarkDefaultStartup is parse + index + FAQ of the embedded laws
// (target: under 300 ms).
func BenchmarkDefaultStartup(b *testing.B) {
	for b.Loop() {
		if _, err := Default(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAskDefault is one Ask on the embedded laws (target: p99 ≤ 2 ms).
func BenchmarkAskDefault(b *testing.B) {
	kb, err := Default()
	if err != nil {
		b.Fatal(err)
	}
	lat := make([]time.Duration, 0, 1024)
	i := 0
	for b.Loop() {
		t0 := time.Now()
		kb.Ask(benchQuestions[i%len(benchQuestions)], 10)
		lat = append(lat, time.Since(t0))
		i++
	}
	reportLatency(b, lat)
}

func loadSTARDBench(b *testing.B) (*Corpus, []LabeledQuery) {
	dir := stardDir(b)
	f, err := os.Open(filepath.Join(dir, "corpus.jsonl"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	laws, err := LoadJSONL(f)
	if err != nil {
		b.Fatal(err)
	}
	c, err := NewCorpus(laws...)
	if err != nil {
		b.Fatal(err)
	}
	qf, err := os.Open(filepath.Join(dir, "train.json"))
	if err != nil {
		b.Fatal(err)
	}
	defer qf.Close()
	qs, err := LoadLabeledQueries(qf)
	if err != nil {
		b.Fatal(err)
	}
	return c, qs
}

// BenchmarkSTARDBuild indexes the 58,580-article corpus and learns from the
// 1,235 training questions (target: ≤ 10 s, peak heap ≤ 500 MB).
func BenchmarkSTARDBuild(b *testing.B) {
	c, qs := loadSTARDBench(b)
	b.ResetTimer()
	for b.Loop() {
		if _, err := New(Options{Corpus: c, Training: qs, NoBank: true}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	reportHeap(b)
}

// BenchmarkSTARDQuery is one Ask against the 58k corpus with training data
// (target: p99 ≤ 20 ms).
func BenchmarkSTARDQuery(b *testing.B) {
	c, qs := loadSTARDBench(b)
	kb, err := New(Options{Corpus: c, Training: qs, NoBank: true})
	if err != nil {
		b.Fatal(err)
	}
	lat := make([]time.Duration, 0, 4096)
	i := 0
	b.ResetTimer()
	for b.Loop() {
		t0 := time.Now()
		kb.Ask(qs[i%len(qs)].Text, 10)
		lat = append(lat, time.Since(t0))
		i++
	}
	b.StopTimer()
	reportLatency(b, lat)
	reportHeap(b)
}

// BenchmarkSTARDQueryParallel measures throughput with concurrent queries
// sharing the pooled accumulators.
func BenchmarkSTARDQueryParallel(b *testing.B) {
	c, qs := loadSTARDBench(b)
	kb, err := New(Options{Corpus: c, Training: qs, NoBank: true})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			kb.Ask(qs[i%len(qs)].Text, 10)
			i++
		}
	})
}

// residentBase builds the base as the bot does for a law set: the bank
// matched on the default laws, the national set (if asked) as the wide
// corpus, the starter FAQ, LeCoQA's questions and the bank's wordings as
// training.
func residentBase(b *testing.B, set LawSet) *Base {
	c, err := DefaultCorpus()
	if err != nil {
		b.Fatal(err)
	}
	qs, _, err := LeCoQA(c)
	if err != nil {
		b.Fatal(err)
	}
	opts := Options{Corpus: c, Training: qs, LearnFromBank: true}
	if set == LawsNational {
		if opts.Wide, err = EmbeddedCorpus(LawsNational); err != nil {
			b.Fatal(err)
		}
		if opts.WideTraining, _, err = LeCoQA(opts.Wide); err != nil {
			b.Fatal(err)
		}
	}
	kb, err := New(opts)
	if err != nil {
		b.Fatal(err)
	}
	return kb
}

// BenchmarkResidentStartup is the bot's whole knowledge start-up per law set:
// parse, index, bank, FAQ and training (targets: default ≤ 1 s, national
// ≤ 5 s with heap ≤ 600 MB). Compare the two in one run.
func BenchmarkResidentStartup(b *testing.B) {
	for _, set := range []LawSet{LawsDefault, LawsNational} {
		b.Run(string(set), func(b *testing.B) {
			var kb *Base
			for b.Loop() {
				kb = residentBase(b, set)
			}
			// The live heap of one base, as a running bot holds it.
			runtime.GC()
			reportHeap(b)
			runtime.KeepAlive(kb)
		})
	}
}

// BenchmarkResidentAsk is one Ask as the bot asks it, per law set (target:
// p99 ≤ 20 ms with the national set).
func BenchmarkResidentAsk(b *testing.B) {
	for _, set := range []LawSet{LawsDefault, LawsNational} {
		b.Run(string(set), func(b *testing.B) {
			kb := residentBase(b, set)
			lat := make([]time.Duration, 0, 4096)
			i := 0
			b.ResetTimer()
			for b.Loop() {
				t0 := time.Now()
				kb.Ask(benchQuestions[i%len(benchQuestions)], 9)
				lat = append(lat, time.Since(t0))
				i++
			}
			b.StopTimer()
			reportLatency(b, lat)
			reportHeap(b)
		})
	}
}
