package bot

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pufa-dev/pufa/store/storetest"
	"github.com/pufa-dev/pufa/wechat/msgcrypt"
)

// BenchmarkKeywordCallback measures the endpoint's own cost per callback
// (signature, parse, keyword reply stored with the claim in a real Redis),
// without HTTP transport: go test -run '^$' -bench KeywordCallback -benchmem ./bot/
func BenchmarkKeywordCallback(b *testing.B) {
	k, err := ParseKeywords(strings.NewReader(rulesYAML))
	if err != nil {
		b.Fatal(err)
	}
	r := NewRouter(HandlerFunc(func(context.Context, *Message) (Reply, error) { return Reply{}, nil }))
	r.HandleText(k)
	st := storetest.New(b)
	ep, err := NewEndpoint(Options{Token: testToken, Handler: r, Dedup: st, Late: &messenger{}, Counter: st})
	if err != nil {
		b.Fatal(err)
	}
	var seq atomic.Int64
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	b.ReportAllocs()
	b.SetParallelism(32) // many residents at once, so Redis round trips overlap and batch
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := seq.Add(1)
			nonce := strconv.FormatInt(i, 10)
			q := url.Values{"timestamp": {ts}, "nonce": {nonce}, "signature": {msgcrypt.Sign(testToken, ts, nonce)}}
			body := textXML("o_bench_"+strconv.FormatInt(i%1000, 10), "你好", i, time.Now().Unix())
			req := httptest.NewRequest(http.MethodPost, "/wechat?"+q.Encode(), strings.NewReader(body))
			w := httptest.NewRecorder()
			ep.ServeHTTP(w, req)
			if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "您好") {
				b.Fatalf("status %d body %q", w.Code, w.Body.String())
			}
		}
	})
}
