// Package bench drives HTTP handlers with concurrent simulated residents over
// real loopback connections and reports throughput and latency, so the
// callback path can be compared with a bare handler in the same run.
package bench

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Request builds the i-th request against base; it must be safe for
// concurrent use.
type Request func(base string, i int64) (*http.Request, error)

// Options configures one load run.
type Options struct {
	Concurrency int                                 // simulated residents sending at once
	Duration    time.Duration                       // measured time
	Warmup      time.Duration                       // unmeasured time before, to fill connection pools
	Check       func(status int, body []byte) error // validates each response
}

// Result is the outcome of one run.
type Result struct {
	Name     string        `json:"name"`
	Requests int64         `json:"requests"`
	Errors   int64         `json:"errors"`
	PerSec   float64       `json:"requests_per_sec"`
	P50      time.Duration `json:"p50_ns"`
	P99      time.Duration `json:"p99_ns"`
	Max      time.Duration `json:"max_ns"`
	FirstErr string        `json:"first_error,omitempty"`
}

// Run serves h on a loopback listener and drives it with opts.
func Run(ctx context.Context, name string, h http.Handler, next Request, opts Options) (Result, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return Result{}, fmt.Errorf("bench: listen: %w", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(l)
	defer srv.Close()
	base := "http://" + l.Addr().String()
	client := &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			MaxIdleConns: opts.Concurrency, MaxIdleConnsPerHost: opts.Concurrency,
			MaxConnsPerHost: opts.Concurrency, IdleConnTimeout: time.Minute,
		},
	}
	defer client.CloseIdleConnections()

	var seq atomic.Int64
	if opts.Warmup > 0 {
		drive(ctx, client, base, next, &seq, opts.Concurrency, opts.Warmup, nil)
	}
	res := drive(ctx, client, base, next, &seq, opts.Concurrency, opts.Duration, opts.Check)
	res.Name = name
	return res, nil
}

func drive(ctx context.Context, c *http.Client, base string, next Request, seq *atomic.Int64,
	workers int, d time.Duration, check func(int, []byte) error) Result {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		all      []time.Duration
		errs     atomic.Int64
		firstErr atomic.Value
	)
	fail := func(err error) {
		errs.Add(1)
		firstErr.CompareAndSwap(nil, err.Error())
	}
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat := make([]time.Duration, 0, 4096)
			for ctx.Err() == nil {
				req, err := next(base, seq.Add(1))
				if err != nil {
					fail(err)
					continue
				}
				t0 := time.Now()
				resp, err := c.Do(req.WithContext(ctx))
				if err != nil {
					if ctx.Err() == nil {
						fail(err)
					}
					continue
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				lat = append(lat, time.Since(t0))
				if err == nil && check != nil {
					err = check(resp.StatusCode, body)
				}
				if err != nil {
					fail(err)
				}
			}
			mu.Lock()
			all = append(all, lat...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(all)
	r := Result{Requests: int64(len(all)), Errors: errs.Load(), PerSec: float64(len(all)) / elapsed.Seconds()}
	if len(all) > 0 {
		r.P50, r.P99, r.Max = all[len(all)*50/100], all[len(all)*99/100], all[len(all)-1]
	}
	if v, ok := firstErr.Load().(string); ok {
		r.FirstErr = v
	}
	return r
}

// Table renders results with the ratio of each to the first (the baseline).
func Table(results []Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-22s %10s %12s %9s %9s %9s %7s %8s\n", "handler", "requests", "req/s", "p50", "p99", "max", "errors", "ratio")
	for _, r := range results {
		ratio := 0.0
		if results[0].PerSec > 0 {
			ratio = r.PerSec / results[0].PerSec
		}
		fmt.Fprintf(&b, "%-22s %10d %12.0f %9s %9s %9s %7d %8.2f\n", r.Name, r.Requests, r.PerSec,
			round(r.P50), round(r.P99), round(r.Max), r.Errors, ratio)
	}
	for _, r := range results {
		if r.FirstErr != "" {
			fmt.Fprintf(&b, "first error in %s: %s\n", r.Name, r.FirstErr)
		}
	}
	return b.String()
}

func round(d time.Duration) time.Duration {
	switch {
	case d > time.Second:
		return d.Round(time.Millisecond)
	case d > time.Millisecond:
		return d.Round(10 * time.Microsecond)
	default:
		return d.Round(time.Microsecond)
	}
}
