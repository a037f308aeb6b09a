package metrics_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pufa-dev/pufa/bot"
	"github.com/pufa-dev/pufa/metrics"
	"github.com/pufa-dev/pufa/wechat"
)

func scrape(t *testing.T, h http.Handler, remote, user, pass string) (int, string) {
	t.Helper()
	req := httptest.NewRequest("GET", "/metrics", nil)
	req.RemoteAddr = remote
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	b, _ := io.ReadAll(rec.Body)
	return rec.Code, string(b)
}

func TestAccess(t *testing.T) {
	m := metrics.New()
	sum := sha256.Sum256([]byte("s3cret"))
	tests := []struct {
		name       string
		access     metrics.Access
		remote     string
		user, pass string
		want       int
	}{
		{"default loopback", metrics.Access{}, "127.0.0.1:5000", "", "", 200},
		{"default refuses others", metrics.Access{}, "10.1.2.3:5000", "", "", 403},
		{"allowed network", metrics.Access{Allow: []string{"10.0.0.0/8"}}, "10.1.2.3:5000", "", "", 200},
		{"outside allowed network", metrics.Access{Allow: []string{"10.0.0.0/8"}}, "192.168.1.1:5000", "", "", 403},
		{"basic auth", metrics.Access{User: "prom", PasswordSHA256: hex.EncodeToString(sum[:])}, "192.168.1.1:5000", "prom", "s3cret", 200},
		{"basic auth wrong password", metrics.Access{User: "prom", PasswordSHA256: hex.EncodeToString(sum[:])}, "192.168.1.1:5000", "prom", "nope", 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := m.Handler(tt.access)
			if err != nil {
				t.Fatal(err)
			}
			if code, _ := scrape(t, h, tt.remote, tt.user, tt.pass); code != tt.want {
				t.Errorf("status %d, want %d", code, tt.want)
			}
		})
	}
	if _, err := m.Handler(metrics.Access{Allow: []string{"nonsense"}}); err == nil {
		t.Error("bad CIDR accepted")
	}
}

type fakeSender struct{ fail bool }

func (f fakeSender) MassSend(context.Context, wechat.MassRequest) (wechat.MassResult, error) {
	return wechat.MassResult{}, nil
}
func (f fakeSender) SendTemplate(context.Context, wechat.TemplateMessage) (int64, error) {
	if f.fail {
		return 0, errors.New("43004")
	}
	return 1, nil
}
func (f fakeSender) SendText(context.Context, string, string) error { return nil }

func TestRecording(t *testing.T) {
	m := metrics.New()
	ctx := context.Background()
	for _, c := range []struct {
		msg   *bot.Message
		reply bot.Reply
		err   error
	}{
		{&bot.Message{FromUserName: "oSECRETOPENID", MsgType: "text", Content: "你好"}, bot.Reply{Text: "答复"}, nil},
		{&bot.Message{FromUserName: "oSECRETOPENID", MsgType: "text", Content: "boom"}, bot.Reply{}, errors.New("boom")},
		{&bot.Message{FromUserName: "oSECRETOPENID", MsgType: "event", Event: "MASSSENDJOBFINISH"}, bot.Reply{}, nil},
		{&bot.Message{FromUserName: "oSECRETOPENID", MsgType: "event", Event: "made_up_event"}, bot.Reply{}, nil},
	} {
		m.ObserveCallback(c.msg, c.reply, c.err, time.Millisecond)
	}
	s := metrics.Sender{Next: fakeSender{fail: true}, Metrics: m}
	_, _ = s.SendTemplate(ctx, wechat.TemplateMessage{})
	_, _ = s.MassSend(ctx, wechat.MassRequest{})
	m.QuizAnswer(true)
	m.QuizAnswer(false)
	m.QuizAnswer(true)
	m.Fire("started")
	var nilMetrics *metrics.Metrics
	nilMetrics.Send("mass", "ok") // a nil *Metrics records nothing and does not panic

	hh, _ := m.Handler(metrics.Access{})
	_, body := scrape(t, hh, "127.0.0.1:1", "", "")
	for _, want := range []string{
		`pufa_callbacks_total{outcome="answered",type="text"} 1`,
		`pufa_callbacks_total{outcome="error",type="text"} 1`,
		`pufa_callbacks_total{outcome="silent",type="event:masssendjobfinish"} 1`,
		`pufa_callbacks_total{outcome="silent",type="other"} 1`,
		`pufa_answer_seconds_count{type="text"} 2`,
		`pufa_campaign_sends_total{channel="template",result="error"} 1`,
		`pufa_campaign_sends_total{channel="mass",result="ok"} 1`,
		`pufa_quiz_answers_total{result="correct"} 2`,
		`pufa_scheduler_fires_total{outcome="started"} 1`,
		"go_goroutines",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(body, "oSECRETOPENID") {
		t.Error("an openid leaked into the metrics")
	}
}
