package campaigns

import (
	"context"
	"errors"
	"time"

	"github.com/pufa-dev/pufa/store"
	"github.com/pufa-dev/pufa/wechat"
)

// NoticeSender sends subscription notices (*wechat.Client).
type NoticeSender interface {
	SendSubscribeMessage(ctx context.Context, m wechat.SubscribeMessage) error
}

// noticeChannel sends one subscription notice (订阅通知) per follower of
// the audience. Only residents who accepted the template receive it;
// WeChat refuses the others with 43101, recorded per recipient and never
// retried. bizsend has no idempotency key, so like customer-service
// messages an interrupted recipient is recorded unknown and not resent.
var noticeChannel = &channel{
	name: ChannelNotice, label: "订阅通知", minInterval: 24 * time.Hour, online: true,
	retryWindow: 0,
	limiter:     "campaigns", rate: func(o *Options) float64 { return o.Rate },
	validate:   validateNotice,
	recipients: followers,
	ready: func(m *Manager) error {
		if m.opts.Notices == nil {
			return errors.New("campaigns: no WeChat client to send subscription notices with")
		}
		return nil
	},
	send: func(ctx context.Context, d *deliverer, item string) (store.ItemStatus, error) {
		if err := d.m.opts.Notices.SendSubscribeMessage(ctx, noticeMessage(d.def.Content.Template, item)); err != nil {
			return "", err
		}
		return store.StatusSent, nil
	},
	classify: classifyWeChat,
	// Most followers of an audience may not have subscribed: 43101 is
	// their answer, not a fault, and must not pause the campaign.
	refusal: func(s store.ItemStatus) bool { return s == store.StatusFailedCode(codeNotSubscribed) },
	preview: func(ctx context.Context, m *Manager, c *Campaign, openid string) error {
		if m.opts.Notices == nil {
			return errors.New("campaigns: preview: no WeChat client")
		}
		return m.opts.Notices.SendSubscribeMessage(ctx, noticeMessage(c.Content.Template, openid))
	},
}

// codeNotSubscribed is bizsend's answer for a resident who has not
// subscribed to the template (or refused it).
const codeNotSubscribed = 43101

func noticeMessage(t *Template, openid string) wechat.SubscribeMessage {
	return wechat.SubscribeMessage{ToUser: openid, TemplateID: t.ID, Page: t.URL, Data: t.Fields}
}

func validateNotice(p *parser, c *Campaign) {
	validateTemplate(p, c)
}
