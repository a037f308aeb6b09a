package campaigns

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"time"

	"github.com/pufa-dev/pufa/sms"
	"github.com/pufa-dev/pufa/store"
)

// SMSSender is what the SMS channel needs from the gateway client
// (*sms.Client).
type SMSSender interface {
	Send(ctx context.Context, m sms.Message) (bizID string, err error)
}

// SMSNumbers lists the numbers of an SMS list (*store.Store).
type SMSNumbers interface {
	SMSNumbers(ctx context.Context, list string) ([]string, error)
}

// smsChannel sends one templated text message per mobile number of the
// campaign's SMS list: residents who agreed to receive the office's
// messages (store/sms.go). A gateway has no idempotency key, so like
// customer-service messages an interrupted number is recorded unknown and
// never sent again. Text messages to phones cost money and interrupt people
// wherever they are: no recurrence more often than weekly.
var smsChannel = &channel{
	name: ChannelSMS, label: "短信", minInterval: 7 * 24 * time.Hour,
	retryWindow: 0,
	limiter:     "sms", rate: func(o *Options) float64 { return o.SMSRate },
	validate: validateSMS,
	recipients: func(ctx context.Context, m *Manager, a Audience) ([]string, error) {
		if m.opts.SMSNumbers == nil {
			return nil, errors.New("campaigns: no SMS lists to read numbers from")
		}
		nums, err := m.opts.SMSNumbers.SMSNumbers(ctx, a.SMSList)
		if err != nil {
			return nil, fmt.Errorf("campaigns: sms list %s: %w", a.SMSList, err)
		}
		slices.Sort(nums) // sets come back in no order
		return dedup(nums), nil
	},
	ready: func(m *Manager) error {
		if m.opts.SMS == nil {
			return errors.New("campaigns: no SMS gateway configured (sms.endpoint)")
		}
		return nil
	},
	send: func(ctx context.Context, d *deliverer, item string) (store.ItemStatus, error) {
		s := d.def.Content.SMS
		_, err := d.m.opts.SMS.Send(ctx, sms.Message{
			Phone: item, TemplateCode: s.Template, Params: s.Params,
			OutID: d.def.ID + "-" + strconv.FormatInt(d.fire.Unix(), 10),
		})
		if err != nil {
			return "", err
		}
		return store.StatusSent, nil
	},
	classify: classifySMS,
	preview: func(context.Context, *Manager, *Campaign, string) error {
		return errors.New("campaigns: preview: 短信渠道不能预览到微信，请核对短信模板编号和参数")
	},
}

func validateSMS(p *parser, c *Campaign) {
	a, ct := c.Audience, c.Content
	if a.SMSList == "" {
		p.bad("audience.sms_list", nil, "is required for channel sms: the list of residents who agreed to receive text messages")
	}
	if a.All || len(a.Tags) > 0 || len(a.Communities) > 0 || len(a.OpenIDs) > 0 {
		p.bad("audience", p.vals["audience"], "channel sms sends to audience.sms_list only (phone numbers, not followers)")
	}
	if ct.SMS == nil {
		p.bad("content.sms", nil, "is required for channel sms (template, params)")
	} else if ct.SMS.Template == "" {
		p.bad("content.sms.template", nil, "is required (the template code the SMS provider approved)")
	}
	if ct.Text != "" || ct.MediaID != "" || ct.Template != nil {
		p.bad("content", p.vals["content"], "channel sms sends content.sms only (an approved template and its parameters)")
	}
}

// classifySMS reads a gateway error: an answer with a code means nothing
// was sent; a timeout, a 5xx or a connection lost mid-request may have
// been sent.
func classifySMS(err error, now time.Time) failure {
	f := failure{status: store.StatusFailedError, permanent: sms.IsPermanent(err)}
	if code, ok := sms.ErrorCode(err); ok {
		f.certain, f.code, f.status = true, code, store.StatusFailedReason(code)
		if sms.IsAccountLevel(err) {
			f.account = "SMS gateway " + code + " affects every number"
		}
		if !f.permanent {
			f.retryAfter = time.Second
		}
		return f
	}
	var op *net.OpError
	f.certain = errors.Is(err, sms.ErrInvalidRequest) || (errors.As(err, &op) && op.Op == "dial")
	if errors.Is(err, sms.ErrInvalidRequest) {
		f.status = store.StatusFailedReason("invalid")
	}
	return f
}
