package metrics

import (
	"context"
	"strings"
	"time"

	"github.com/pufa-dev/pufa/bot"
	"github.com/pufa-dev/pufa/campaigns"
	"github.com/pufa-dev/pufa/scheduler"
	"github.com/pufa-dev/pufa/wechat"
)

// knownTypes bounds the callback type label; anything else is "other".
var knownTypes = map[string]bool{
	"text": true, "image": true, "voice": true, "video": true, "shortvideo": true, "location": true, "link": true,
	"event:subscribe": true, "event:unsubscribe": true, "event:scan": true, "event:click": true, "event:view": true,
	"event:masssendjobfinish": true, "event:templatesendjobfinish": true, "event:location": true,
}

func callbackType(m *bot.Message) string {
	t := strings.ToLower(m.MsgType)
	if t == bot.TypeEvent {
		t += ":" + strings.ToLower(m.Event)
	}
	if !knownTypes[t] {
		return "other"
	}
	return t
}

// ObserveCallback implements bot.Observer: every handled callback is
// counted by type and outcome (answered, silent, error) and timed.
func (m *Metrics) ObserveCallback(msg *bot.Message, r bot.Reply, err error, took time.Duration) {
	outcome := "answered"
	switch {
	case err != nil:
		outcome = "error"
	case r.Text == "":
		outcome = "silent"
	}
	m.Callback(callbackType(msg), outcome, took)
}

// Sender observes campaign sends to WeChat by channel and result.
type Sender struct {
	Next    campaigns.Sender
	Metrics *Metrics
}

func result(err error) string {
	if err != nil {
		return "error"
	}
	return "ok"
}

// MassSend implements campaigns.Sender.
func (s Sender) MassSend(ctx context.Context, r wechat.MassRequest) (wechat.MassResult, error) {
	res, err := s.Next.MassSend(ctx, r)
	s.Metrics.Send("mass", result(err))
	return res, err
}

// SendTemplate implements campaigns.Sender.
func (s Sender) SendTemplate(ctx context.Context, msg wechat.TemplateMessage) (int64, error) {
	id, err := s.Next.SendTemplate(ctx, msg)
	s.Metrics.Send("template", result(err))
	return id, err
}

// SendText implements campaigns.Sender.
func (s Sender) SendText(ctx context.Context, openid, content string) error {
	err := s.Next.SendText(ctx, openid, content)
	s.Metrics.Send("custom", result(err))
	return err
}

// Fires observes the scheduler's fires: started runs, failed starts and
// fires recorded as missed.
type Fires struct {
	scheduler.Campaigns
	Metrics *Metrics
}

// Start implements scheduler.Campaigns.
func (f Fires) Start(ctx context.Context, id string, fire time.Time) (campaigns.RunResult, error) {
	r, err := f.Campaigns.Start(ctx, id, fire)
	if err != nil {
		f.Metrics.Fire("failed")
	} else {
		f.Metrics.Fire("started")
	}
	return r, err
}

// MarkMissed implements scheduler.Campaigns.
func (f Fires) MarkMissed(ctx context.Context, id string, fire time.Time, why string) error {
	f.Metrics.Fire("missed")
	return f.Campaigns.MarkMissed(ctx, id, fire, why)
}
