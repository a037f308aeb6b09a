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
	"runtime/pprof"
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
	Check       func(status int, body []byte) error // validates each response (Run only)
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

// Target is one handler under test.
type Target struct {
	Name    string
	Handler http.Handler
	Check   func(status int, body []byte) error // validates each response
}

// Compare drives every target in turn, rounds times, each time for
// opts.Duration/rounds, and sums the rounds per target. Interleaving makes
// the comparison fair on a shared, noisy machine: a burst of outside load
// hits every target alike instead of the one that happened to run then.
func Compare(ctx context.Context, targets []Target, next Request, opts Options, rounds int) ([]Result, error) {
	if rounds < 1 {
		rounds = 1
	}
	type live struct {
		base   string
		client *http.Client
		lat    []time.Duration
		res    Result
		took   time.Duration
	}
	lives := make([]*live, len(targets))
	for i, t := range targets {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("bench: listen: %w", err)
		}
		srv := &http.Server{Handler: t.Handler, ReadHeaderTimeout: 5 * time.Second}
		// The label follows the server's goroutines and the client's, so a
		// CPU profile of a comparison splits by target (pprof -tagfocus).
		pprof.Do(ctx, pprof.Labels("target", t.Name), func(context.Context) { go srv.Serve(l) })
		defer srv.Close()
		c := &http.Client{
			Timeout: 10 * time.Second,
			Transport: &http.Transport{
				MaxIdleConns: opts.Concurrency, MaxIdleConnsPerHost: opts.Concurrency,
				MaxConnsPerHost: opts.Concurrency, IdleConnTimeout: time.Minute,
			},
		}
		defer c.CloseIdleConnections()
		lives[i] = &live{base: "http://" + l.Addr().String(), client: c, res: Result{Name: t.Name}}
	}
	var seq atomic.Int64
	for i, t := range targets {
		if opts.Warmup > 0 {
			driveLat(ctx, lives[i].client, lives[i].base, next, &seq, opts.Concurrency, opts.Warmup, t.Check)
		}
	}
	slice := opts.Duration / time.Duration(rounds)
	for range rounds {
		for i, t := range targets {
			lv := lives[i]
			start := time.Now()
			var (
				r   Result
				lat []time.Duration
			)
			pprof.Do(ctx, pprof.Labels("target", t.Name), func(ctx context.Context) {
				r, lat = driveLat(ctx, lv.client, lv.base, next, &seq, opts.Concurrency, slice, t.Check)
			})
			lv.took += time.Since(start)
			lv.lat = append(lv.lat, lat...)
			lv.res.Errors += r.Errors
			if lv.res.FirstErr == "" {
				lv.res.FirstErr = r.FirstErr
			}
		}
	}
	out := make([]Result, len(targets))
	for i, lv := range lives {
		summarize(&lv.res, lv.lat, lv.took)
		out[i] = lv.res
	}
	return out, nil
}

// Run serves h on a loopback listener and drives it with opts.
func Run(ctx context.Context, name string, h http.Handler, next Request, opts Options) (Result, error) {
	res, err := Compare(ctx, []Target{{Name: name, Handler: h, Check: opts.Check}}, next, opts, 1)
	if err != nil {
		return Result{}, err
	}
	return res[0], nil
}

// summarize fills the rate and latency percentiles from raw latencies.
func summarize(r *Result, lat []time.Duration, elapsed time.Duration) {
	slices.Sort(lat)
	r.Requests = int64(len(lat))
	if elapsed > 0 {
		r.PerSec = float64(len(lat)) / elapsed.Seconds()
	}
	if len(lat) > 0 {
		r.P50, r.P99, r.Max = lat[len(lat)*50/100], lat[len(lat)*99/100], lat[len(lat)-1]
	}
}

// driveLat runs workers for d and returns errors and raw latencies.
func driveLat(ctx context.Context, c *http.Client, base string, next Request, seq *atomic.Int64,
	workers int, d time.Duration, check func(int, []byte) error) (Result, []time.Duration) {
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
	r := Result{Errors: errs.Load()}
	if v, ok := firstErr.Load().(string); ok {
		r.FirstErr = v
	}
	return r, all
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
