package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestKBAskPrintsRankedCitations(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"kb", "ask", "离婚冷静期是多久", "--k", "3"}, &out, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"第一千零七十七条", "2020-05-28", "置信度"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("kb ask output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestKBEvalReportsTheRequiredMetrics(t *testing.T) {
	dir := t.TempDir()
	corpus := filepath.Join(dir, "corpus.jsonl")
	queries := filepath.Join(dir, "queries.json")
	os.WriteFile(corpus, []byte(
		`{"id":0,"name":"测试法第一条","content":"拖欠劳动者工资的，由劳动行政部门责令限期支付。","source":"t"}`+"\n"+
			`{"id":1,"name":"测试法第二条","content":"离婚登记申请三十日内可以撤回。","source":"t"}`+"\n"+
			`{"id":2,"name":"测试法第三条","content":"消费者购买商品受到损害的，可以要求赔偿。","source":"t"}`+"\n"), 0o600)
	os.WriteFile(queries, []byte(`[
		{"query_id":1,"问题":"公司拖欠工资怎么办","match_name":["测试法第一条"]},
		{"query_id":2,"问题":"离婚申请能撤回吗","match_name":["测试法第二条"]}]`), 0o600)
	var out bytes.Buffer
	err := run(context.Background(), []string{"kb", "eval", "--corpus", corpus, "--queries", queries, "--json"}, &out, &out)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("not one JSON object: %v\n%s", err, out.String())
	}
	for _, key := range []string{"recall@1", "recall@5", "recall@10", "recall@20", "recall@100", "mrr@10", "queries", "p50_ms", "p99_ms", "build_ms", "heap_mb"} {
		if _, ok := got[key]; !ok {
			t.Errorf("missing key %s in %s", key, out.String())
		}
	}
	if got["queries"] != float64(2) || got["recall@1"] != float64(1) {
		t.Errorf("two easy queries should both be found first: %s", out.String())
	}
}

// The scorer is never fitted on a test part, and needs folds to hold
// wordings out.
func TestKBFitRefusesTheTestPart(t *testing.T) {
	for _, args := range [][]string{
		{"kb", "fit", "--residents", "x.jsonl", "--split", "test"},
		{"kb", "fit", "--folds", "1"},
	} {
		var out bytes.Buffer
		if err := run(context.Background(), args, &out, &out); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}
