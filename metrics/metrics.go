// Package metrics exposes pufa's operational metrics to Prometheus at
// /metrics: callbacks by type and outcome, answer latency, campaign sends by
// channel and result, scheduler fires and quiz answers.
//
// Metrics live in a registry of their own (never the global default), and
// labels hold only bounded values: no openid, message text or campaign
// content ever becomes a label. The packages that produce the events stay
// free of Prometheus: they are observed through decorators of their own
// interfaces (see wrap.go).
package metrics

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds pufa's collectors and their registry. It is safe for
// concurrent use; a nil *Metrics records nothing.
type Metrics struct {
	reg         *prometheus.Registry
	callbacks   *prometheus.CounterVec
	latency     *prometheus.HistogramVec
	sends       *prometheus.CounterVec
	fires       *prometheus.CounterVec
	quizAnswers *prometheus.CounterVec
}

// New builds the collectors in a fresh registry, with the Go runtime and
// process collectors.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		callbacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pufa_callbacks_total", Help: "WeChat callbacks handled, by message type and outcome.",
		}, []string{"type", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "pufa_answer_seconds", Help: "Time to produce the answer to a callback, by message type.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2, 4, 8},
		}, []string{"type"}),
		sends: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pufa_campaign_sends_total", Help: "Campaign send requests to WeChat, by channel and result.",
		}, []string{"channel", "result"}),
		fires: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pufa_scheduler_fires_total", Help: "Scheduler fires of campaigns, by outcome.",
		}, []string{"outcome"}),
		quizAnswers: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pufa_quiz_answers_total", Help: "Quiz answers given by residents, by correctness.",
		}, []string{"result"}),
	}
	m.reg.MustRegister(m.callbacks, m.latency, m.sends, m.fires, m.quizAnswers,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Registry returns the registry, for tests and extra collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Callback counts one handled callback and how long its answer took.
func (m *Metrics) Callback(msgType, outcome string, took time.Duration) {
	if m == nil {
		return
	}
	m.callbacks.WithLabelValues(msgType, outcome).Inc()
	m.latency.WithLabelValues(msgType).Observe(took.Seconds())
}

// Send counts one campaign send request.
func (m *Metrics) Send(channel, result string) {
	if m != nil {
		m.sends.WithLabelValues(channel, result).Inc()
	}
}

// Fire counts one scheduler fire (started, failed, missed).
func (m *Metrics) Fire(outcome string) {
	if m != nil {
		m.fires.WithLabelValues(outcome).Inc()
	}
}

// QuizAnswer counts one quiz answer; the quiz package calls it through a
// one-method interface of its own.
func (m *Metrics) QuizAnswer(correct bool) {
	if m == nil {
		return
	}
	r := "wrong"
	if correct {
		r = "correct"
	}
	m.quizAnswers.WithLabelValues(r).Inc()
}

// Access restricts who may scrape: clients from Allow, or clients that
// present the basic-auth User and a password whose SHA-256 (hex) is
// PasswordSHA256. With neither configured only loopback may scrape.
type Access struct {
	Allow          []string // CIDRs
	User           string
	PasswordSHA256 string
}

// Handler serves the metrics guarded by a.
func (m *Metrics) Handler(a Access) (http.Handler, error) {
	nets := make([]*net.IPNet, 0, len(a.Allow))
	for _, c := range a.Allow {
		_, n, err := net.ParseCIDR(strings.TrimSpace(c))
		if err != nil {
			return nil, fmt.Errorf("metrics: allow %q is not a CIDR", c)
		}
		nets = append(nets, n)
	}
	if len(nets) == 0 && a.User == "" {
		for _, c := range []string{"127.0.0.0/8", "::1/128"} {
			_, n, _ := net.ParseCIDR(c)
			nets = append(nets, n)
		}
	}
	want, _ := hexBytes(a.PasswordSHA256)
	inner := promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ip := remoteIP(r); ip != nil {
			for _, n := range nets {
				if n.Contains(ip) {
					inner.ServeHTTP(w, r)
					return
				}
			}
		}
		if a.User != "" && want != nil {
			u, p, ok := r.BasicAuth()
			sum := sha256.Sum256([]byte(p))
			if ok && subtle.ConstantTimeCompare([]byte(u), []byte(a.User)) == 1 && subtle.ConstantTimeCompare(sum[:], want) == 1 {
				inner.ServeHTTP(w, r)
				return
			}
			w.Header().Set("WWW-Authenticate", `Basic realm="pufa metrics"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		http.Error(w, "forbidden", http.StatusForbidden)
	}), nil
}

// remoteIP is the TCP peer; X-Forwarded-For is ignored because any client
// can write it.
func remoteIP(r *http.Request) net.IP {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return net.ParseIP(host)
}

func hexBytes(s string) ([]byte, error) {
	if len(s) != 64 {
		return nil, fmt.Errorf("want 64 hex digits")
	}
	out := make([]byte, 32)
	_, err := fmt.Sscanf(s, "%x", &out)
	return out, err
}
