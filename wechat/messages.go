package wechat

import (
	"context"
	"fmt"

	"github.com/silenceper/wechat/v2/officialaccount/broadcast"
	"github.com/silenceper/wechat/v2/officialaccount/message"
)

// SendText sends a customer-service text message, allowed within 48 h of the
// user's last interaction. The SDK call ignores ctx once started; bound it
// with util.DefaultHTTPClient's timeout.
func (c *Client) SendText(ctx context.Context, openid, content string) error {
	const api = "custom send"
	if openid == "" || content == "" {
		return fmt.Errorf("wechat: %s: %w: openid and content are required", api, ErrInvalidRequest)
	}
	return c.withToken(ctx, api, func(token string) error {
		return message.NewMessageManager(c.sdk(token)).Send(message.NewCustomerTextMessage(openid, content))
	})
}

// TemplateMessage is a template message to one follower.
type TemplateMessage struct {
	ToUser      string
	TemplateID  string
	URL         string // optional link opened on tap
	Data        map[string]TemplateField
	ClientMsgID string // optional: WeChat drops repeats of openid+id within 10 min
}

// TemplateField is one template variable.
type TemplateField struct {
	Value string
	Color string // optional, e.g. "#173177"
}

// SendTemplate sends a template message and returns WeChat's msgid, which
// the TEMPLATESENDJOBFINISH event reports back. The SDK call ignores ctx
// once started.
func (c *Client) SendTemplate(ctx context.Context, m TemplateMessage) (int64, error) {
	const api = "template send"
	if m.ToUser == "" || m.TemplateID == "" {
		return 0, fmt.Errorf("wechat: %s: %w: touser and template_id are required", api, ErrInvalidRequest)
	}
	msg := &message.TemplateMessage{
		ToUser:      m.ToUser,
		TemplateID:  m.TemplateID,
		URL:         m.URL,
		ClientMsgID: m.ClientMsgID,
		Data:        make(map[string]*message.TemplateDataItem, len(m.Data)),
	}
	for k, f := range m.Data {
		msg.Data[k] = &message.TemplateDataItem{Value: f.Value, Color: f.Color}
	}
	var msgID int64
	err := c.withToken(ctx, api, func(token string) error {
		var err error
		msgID, err = message.NewTemplate(c.sdk(token)).Send(msg)
		return err
	})
	return msgID, err
}

// Preview sends a text mass-message preview to one (staff) follower.
func (c *Client) Preview(ctx context.Context, openid, content string) error {
	if content == "" {
		return fmt.Errorf("wechat: mass preview: %w: content is required", ErrInvalidRequest)
	}
	return c.preview(ctx, openid, func(b *broadcast.Broadcast, u *broadcast.User) error {
		_, err := b.SendText(u, content)
		return err
	})
}

// PreviewNews sends a preview of a draft-box article (mpnews) to one follower.
func (c *Client) PreviewNews(ctx context.Context, openid, mediaID string) error {
	if mediaID == "" {
		return fmt.Errorf("wechat: mass preview: %w: media_id is required", ErrInvalidRequest)
	}
	return c.preview(ctx, openid, func(b *broadcast.Broadcast, u *broadcast.User) error {
		_, err := b.SendNews(u, mediaID, false)
		return err
	})
}

// preview runs send on a fresh Broadcast in preview mode: Preview() flips
// the instance for good, so the shared GetBroadcast() must never see it.
func (c *Client) preview(ctx context.Context, openid string, send func(*broadcast.Broadcast, *broadcast.User) error) error {
	const api = "mass preview"
	// Without an openid the SDK would post to an empty URL; with a nil user
	// it would even switch to sendall to every follower.
	if openid == "" {
		return fmt.Errorf("wechat: %s: %w: openid is required", api, ErrInvalidRequest)
	}
	return c.withToken(ctx, api, func(token string) error {
		return send(broadcast.NewBroadcast(c.sdk(token)).Preview(), &broadcast.User{OpenID: []string{openid}})
	})
}
