// Package smssim simulates a Chinese SMS gateway (see package sms) for the
// demo and the tests: approved signatures and templates with their
// parameters, per-number limits per minute, hour and day, the gateway's
// error codes, and injectable faults. It keeps every accepted message in
// an inbox per number, so tests can check that nobody got a message twice.
//
// The demo mounts it at /sms/ next to the WeChat simulator (see
// `pufa demo`); `sms.endpoint` then points there.
package smssim

import (
	"crypto/hmac"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pufa-dev/pufa/sms"
)

// Template is a message template the provider approved (or not).
type Template struct {
	Text     string   // with ${name} placeholders, for the inbox
	Params   []string // required parameters
	Approved bool
}

// Limits are the per-number flow controls; 0 = no limit.
type Limits struct {
	PerMinute, PerHour, PerDay int
}

// DefaultLimits are a typical gateway's default per-number flow control.
var DefaultLimits = Limits{PerMinute: 1, PerHour: 5, PerDay: 10}

// Options configure a Server.
type Options struct {
	AccessKeyID, AccessKeySecret string
	SignNames                    []string
	Templates                    map[string]Template
	Limits                       Limits
	Now                          func() time.Time
}

// Fault makes the next requests misbehave.
type Fault struct {
	// Code answers the next Count requests with this code, sending nothing.
	Code  string
	Count int
	// LostAnswers sends the next n messages and then drops the connection
	// without an answer: the client cannot know it was sent.
	LostAnswers int
}

// Delivered is one accepted message.
type Delivered struct {
	BizID  string
	Phone  string
	Text   string
	OutID  string
	At     time.Time
	Params map[string]string
}

// Stats count what the gateway saw.
type Stats struct {
	Requests int
	Sent     int
	Refused  map[string]int // by code
}

// Server is the simulated gateway; it is an http.Handler.
type Server struct {
	opts Options

	mu     sync.Mutex
	inbox  map[string][]Delivered
	recent map[string][]time.Time // accepted sends per number, for the limits
	stats  Stats
	fault  Fault
	seq    int
}

// New returns a gateway with opts.
func New(opts Options) *Server {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Server{opts: opts, inbox: map[string][]Delivered{}, recent: map[string][]time.Time{},
		stats: Stats{Refused: map[string]int{}}}
}

// SetFault arms f, replacing any fault still armed.
func (s *Server) SetFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fault = f
}

// Inbox returns the messages phone received.
func (s *Server) Inbox(phone string) []Delivered {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.inbox[phone])
}

// Stats returns the counts so far.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.stats
	out.Refused = make(map[string]int, len(s.stats.Refused))
	for k, v := range s.stats.Refused {
		out.Refused[k] = v
	}
	return out
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/send") {
		http.NotFound(w, r)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<16))
	if err != nil {
		http.Error(w, "read", http.StatusBadRequest)
		return
	}
	rep, drop := s.handle(r.Header.Get(sms.SignatureHeader), body)
	if drop {
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return
			}
		}
		panic(http.ErrAbortHandler) // net/http drops the connection
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(rep)
}

// handle decides one request under the lock; drop = close the connection
// without an answer (after sending).
func (s *Server) handle(sig string, body []byte) (sms.Reply, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	s.stats.Requests++
	rep := sms.Reply{RequestID: fmt.Sprintf("SIM-REQ-%06d", s.seq)}
	refuse := func(code, msg string) (sms.Reply, bool) {
		s.stats.Refused[code]++
		rep.Code, rep.Message = code, msg
		return rep, false
	}
	if s.fault.Count > 0 && s.fault.Code != "" {
		s.fault.Count--
		return refuse(s.fault.Code, "simulated fault")
	}
	id, mac, _ := strings.Cut(sig, ":")
	if id != s.opts.AccessKeyID {
		return refuse(sms.CodeBadKey, "Specified access key is not found.")
	}
	if !hmac.Equal([]byte(mac), []byte(sms.Sign(s.opts.AccessKeySecret, body))) {
		return refuse(sms.CodeBadSignature, "Specified signature is not matched with our calculation.")
	}
	var m sms.Message
	if err := json.Unmarshal(body, &m); err != nil {
		return refuse("isv.INVALID_PARAMETERS", "body is not JSON")
	}
	if !sms.ValidPhone(m.Phone) {
		return refuse(sms.CodeInvalidNumber, "invalid mobile number")
	}
	if !slices.Contains(s.opts.SignNames, m.SignName) {
		return refuse(sms.CodeSignatureIllegal, "signature not approved")
	}
	t, ok := s.opts.Templates[m.TemplateCode]
	if !ok || !t.Approved {
		return refuse(sms.CodeTemplateIllegal, "template not approved")
	}
	for _, p := range t.Params {
		if m.Params[p] == "" {
			return refuse(sms.CodeMissingParams, "missing parameter "+p)
		}
	}
	now := s.opts.Now()
	if s.overLimit(m.Phone, now) {
		return refuse(sms.CodeNumberLimit, "number reached its flow control limit")
	}
	text := t.Text
	for k, v := range m.Params {
		text = strings.ReplaceAll(text, "${"+k+"}", v)
	}
	rep.Code, rep.Message, rep.BizID = sms.CodeOK, "OK", fmt.Sprintf("SIM%012d", s.seq)
	s.inbox[m.Phone] = append(s.inbox[m.Phone], Delivered{BizID: rep.BizID, Phone: m.Phone,
		Text: "【" + m.SignName + "】" + text, OutID: m.OutID, At: now, Params: m.Params})
	s.recent[m.Phone] = append(s.recent[m.Phone], now)
	s.stats.Sent++
	if s.fault.LostAnswers > 0 {
		s.fault.LostAnswers--
		return rep, true
	}
	return rep, false
}

func (s *Server) overLimit(phone string, now time.Time) bool {
	l := s.opts.Limits
	var minute, hour, day int
	keep := s.recent[phone][:0]
	for _, t := range s.recent[phone] {
		age := now.Sub(t)
		if age >= 24*time.Hour {
			continue
		}
		keep = append(keep, t)
		day++
		if age < time.Hour {
			hour++
		}
		if age < time.Minute {
			minute++
		}
	}
	s.recent[phone] = keep
	return (l.PerMinute > 0 && minute >= l.PerMinute) || (l.PerHour > 0 && hour >= l.PerHour) || (l.PerDay > 0 && day >= l.PerDay)
}
