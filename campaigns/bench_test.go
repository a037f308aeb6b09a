package campaigns_test

import (
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pufa-dev/pufa/campaigns"
	"github.com/pufa-dev/pufa/wechat/wxsim"
)

// BenchmarkDelivery sends one template campaign to every simulated follower
// and reports the achieved rate against the configured one (about a minute
// for 100,000 followers at 2,000/s):
//
//	PUFA_BENCH_RATE=2000 PUFA_BENCH_FOLLOWERS=100000 \
//	    go test -run XXX -bench Delivery -benchtime 1x -timeout 10m ./campaigns/
//
// PUFA_BENCH_RATE=0 measures the ceiling without a limit;
// PUFA_BENCH_WORKERS sets the senders (default 16); PUFA_BENCH_CPUPROFILE
// writes a CPU profile. Besides msgs/s and rate_ratio it reports the CPU
// used by the test process (pufa and the simulator) and by redis-server.
func BenchmarkDelivery(b *testing.B) {
	for b.Loop() {
		benchDelivery(b)
	}
}

func benchDelivery(t *testing.B) {
	env := func(k string, def int) int {
		if v, err := strconv.Atoi(os.Getenv(k)); err == nil {
			return v
		}
		return def
	}
	rate, followers, workers := env("PUFA_BENCH_RATE", 2000), env("PUFA_BENCH_FOLLOWERS", 100000), env("PUFA_BENCH_WORKERS", 16)
	e := newEnv(t, envOpts{followers: followers, files: []string{templateAllYAML}, mgrOpts: func(o *campaigns.Options) {
		o.Rate, o.Workers, o.Lease = float64(rate), workers, 30*time.Second
	}})
	e.approve("tpl-all")
	if p := os.Getenv("PUFA_BENCH_CPUPROFILE"); p != "" {
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		pprof.StartCPUProfile(f)
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	redisPID := e.st.Client().InfoMap(bg, "server").Item("Server", "process_id")
	cpu0, rcpu0 := selfCPU(), procCPU(redisPID)
	start := time.Now()
	_, res := runNow(t, e, "tpl-all")
	elapsed := time.Since(start)
	cpu, rcpu := selfCPU()-cpu0, procCPU(redisPID)-rcpu0
	k := e.kind(wxsim.KindTemplate)
	if res.Counts.Sent != int64(followers) || k.UniqueRecipients != followers || k.Duplicates != 0 {
		t.Errorf("sent %d, simulator %+v", res.Counts.Sent, k)
	}
	got := float64(followers) / elapsed.Seconds()
	limit := "no limit"
	if rate > 0 {
		limit = strconv.Itoa(rate) + "/s"
	}
	t.Logf("%d template messages, %d workers, %s: %v, %.0f/s; CPU: test process (pufa + simulator) %.1fs (%.0f%% of a core), redis-server %.1fs (%.0f%%)",
		followers, workers, limit, elapsed.Round(time.Millisecond), got,
		cpu.Seconds(), 100*cpu.Seconds()/elapsed.Seconds(), rcpu.Seconds(), 100*rcpu.Seconds()/elapsed.Seconds())
	t.ReportMetric(got, "msgs/s")
	if rate > 0 {
		t.ReportMetric(got/float64(rate), "rate_ratio")
	}
	t.ReportMetric(100*cpu.Seconds()/elapsed.Seconds(), "pufa_cpu_%")
	t.ReportMetric(100*rcpu.Seconds()/elapsed.Seconds(), "redis_cpu_%")
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procCPU reads a process's user+system CPU from /proc (Linux; 0 elsewhere).
func procCPU(pid string) time.Duration {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100 // USER_HZ
}
