package campaigns

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pufa-dev/pufa/store"
	"github.com/pufa-dev/pufa/wechat"
)

// The WeChat channels. All three reach the same followers again at every
// fire of a recurring campaign, so none may recur more often than daily:
// a subscription account may mass send once a day and a service account's
// follower receives at most 4 mass sends a month; template messages are
// for notices, not chatter; and a customer-service text repeated each
// minute (an accepted `@every 1m`) floods every active follower.

var massChannel = &channel{
	name: ChannelMass, label: "群发消息", minInterval: 24 * time.Hour, batched: true, callbackReach: true, online: true,
	retryWindow: massRetryWindow,
	validate:    validateMass,
	plan:        planMass,
	dryRun:      dryRunMass,
	ready:       needWeChat,
	send:        sendMass,
	classify:    classifyWeChat,
	preview: func(ctx context.Context, m *Manager, c *Campaign, openid string) error {
		if m.opts.Previewer == nil {
			return errors.New("campaigns: preview: no WeChat client")
		}
		if c.Content.MediaID != "" {
			return m.opts.Previewer.PreviewNews(ctx, openid, c.Content.MediaID)
		}
		return m.opts.Previewer.Preview(ctx, openid, c.Content.Text)
	},
}

var templateChannel = &channel{
	name: ChannelTemplate, label: "模板消息", minInterval: 24 * time.Hour, online: true,
	retryWindow: templateRetryWindow,
	limiter:     "campaigns", rate: func(o *Options) float64 { return o.Rate },
	validate:   validateTemplate,
	recipients: followers,
	ready:      needWeChat,
	send:       sendTemplate,
	classify:   classifyWeChat,
	preview: func(ctx context.Context, m *Manager, c *Campaign, openid string) error {
		if m.opts.Sender == nil {
			return errors.New("campaigns: preview: no WeChat client")
		}
		_, err := m.opts.Sender.SendTemplate(ctx, templateMessage(c.Content.Template, openid, ""))
		return err
	},
}

var customChannel = &channel{
	name: ChannelCustom, label: "客服消息", minInterval: 24 * time.Hour, online: true,
	retryWindow: 0, // customer-service messages have no idempotency key
	limiter:     "campaigns", rate: func(o *Options) float64 { return o.Rate },
	validate:   validateCustom,
	recipients: followers,
	ready:      needWeChat,
	send: func(ctx context.Context, d *deliverer, item string) (store.ItemStatus, error) {
		if err := d.m.opts.Sender.SendText(ctx, item, d.def.Content.Text); err != nil {
			return "", err
		}
		return store.StatusSent, nil
	},
	classify: classifyWeChat,
	preview: func(ctx context.Context, m *Manager, c *Campaign, openid string) error {
		if m.opts.Sender == nil {
			return errors.New("campaigns: preview: no WeChat client")
		}
		return m.opts.Sender.SendText(ctx, openid, c.Content.Text)
	},
}

func needWeChat(m *Manager) error {
	if m.opts.Sender == nil {
		return errors.New("campaigns: no WeChat client to send with")
	}
	return nil
}

// maxTextBytes is WeChat's limit for a customer-service text message.
const maxTextBytes = 2048

func validateMass(p *parser, c *Campaign) {
	a, ct := c.Audience, &c.Content
	if !a.All && len(a.Tags) == 0 && len(a.Communities) == 0 && len(a.OpenIDs) == 1 {
		p.bad("audience.openids", p.vals["audience.openids"], "a mass send by openid needs at least 2 recipients")
	}
	if (ct.Text == "") == (ct.MediaID == "") {
		p.bad("content", p.vals["content"], "a mass send needs exactly one of text and media_id (a draft-box article)")
	}
	if ct.Template != nil {
		p.bad("content.template", p.vals["content.template"], "only for channel template")
	}
	p.followersOnly(c)
}

func validateTemplate(p *parser, c *Campaign) {
	ct := &c.Content
	t := ct.Template
	if t == nil {
		p.bad("content.template", nil, "is required for channel template (id, fields, optional url)")
	} else {
		if t.ID == "" {
			p.bad("content.template.id", nil, "is required (the template_id from the MP console)")
		}
		p.templateFields(t)
		if t.URL != "" {
			if u, err := url.Parse(t.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				p.bad("content.template.url", p.vals["content.template.url"], "%q is not an http(s) URL", t.URL)
			}
		}
		if ct.Text != "" || ct.MediaID != "" {
			p.bad("content", p.vals["content"], "channel template sends content.template only; remove text and media_id")
		}
	}
	p.textLimit(c)
	p.followersOnly(c)
}

// templateFields checks a template message's or a subscription notice's
// fields by WeChat's rules since May 2023: no first/remark, each keyword's
// value within its type's limits (wechat.ValidateTemplateData).
func (p *parser) templateFields(t *Template) {
	if len(t.Fields) == 0 {
		p.bad("content.template.fields", nil, "is required: the template's keywords, e.g. thing1, time2")
		return
	}
	err := wechat.ValidateTemplateData(t.Fields)
	if err == nil {
		return
	}
	list := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		list = j.Unwrap()
	}
	for _, e := range list {
		var fe *wechat.TemplateFieldError
		if errors.As(e, &fe) {
			p.bad("content.template.fields."+fe.Key, p.vals["content.template.fields"], "%s", fe.Reason)
		}
	}
}

func validateCustom(p *parser, c *Campaign) {
	ct := &c.Content
	if ct.Text == "" {
		p.bad("content.text", nil, "is required for channel custom")
	}
	if ct.MediaID != "" || ct.Template != nil {
		p.bad("content", p.vals["content"], "channel custom sends text only")
	}
	p.textLimit(c)
	p.followersOnly(c)
}

func (p *parser) textLimit(c *Campaign) {
	if len(c.Content.Text) > maxTextBytes {
		p.bad("content.text", p.vals["content.text"], "%d bytes, WeChat allows %d", len(c.Content.Text), maxTextBytes)
	}
}

// followersOnly refuses the SMS parts of a campaign on a WeChat channel.
func (p *parser) followersOnly(c *Campaign) {
	if c.Audience.SMSList != "" {
		p.bad("audience.sms_list", p.vals["audience.sms_list"], "is for channel sms only")
	}
	if c.Content.SMS != nil {
		p.bad("content.sms", p.vals["content.sms"], "is for channel sms only")
	}
}

// wholeAudience reports whether a mass send goes to WeChat's own selection
// (all followers, or one tag) rather than to a list of openids.
func wholeAudience(a Audience) bool {
	return a.All || (len(a.Tags) == 1 && len(a.Communities) == 0 && len(a.OpenIDs) == 0)
}

func planMass(ctx context.Context, m *Manager, def runDef) (map[string]string, []string, error) {
	a := def.Audience
	switch {
	case a.All:
		return map[string]string{"0": "all"}, []string{"b:0"}, nil
	case wholeAudience(a):
		return map[string]string{"0": "tag:" + strconv.FormatInt(a.Tags[0], 10)}, []string{"b:0"}, nil
	}
	ids, err := followers(ctx, m, a)
	if err != nil {
		return nil, nil, err
	}
	if m.opts.AccountType == AccountSubscription {
		return nil, nil, fmt.Errorf("campaigns: %s: a subscription account can mass send only to all followers or one tag (mass/send by openid is for service accounts)", def.ID)
	}
	batches := map[string]string{}
	var items []string
	for i, b := range splitBatches(ids) {
		k := strconv.Itoa(i)
		batches[k] = "ids:" + strings.Join(b, "\n")
		items = append(items, "b:"+k)
	}
	if len(items) == 0 {
		return nil, nil, fmt.Errorf("campaigns: %s: mass send by openid needs at least 2 recipients, audience has %d", def.ID, len(ids))
	}
	return batches, items, nil
}

func dryRunMass(ctx context.Context, m *Manager, c *Campaign) (DryRun, error) {
	d := DryRun{Channel: c.Channel}
	if wholeAudience(c.Audience) {
		d.Recipients, d.Requests = -1, 1
		return d, nil
	}
	ids, err := followers(ctx, m, c.Audience)
	if err != nil {
		return DryRun{}, err
	}
	d.Recipients = len(ids)
	d.Requests = len(splitBatches(ids))
	d.Estimate = time.Duration(d.Requests) * time.Minute / massPerMinute
	return d, nil
}

// sendMass submits one mass batch of text or of a media_id given in the file.
func sendMass(ctx context.Context, d *deliverer, item string) (store.ItemStatus, error) {
	c := d.def
	status, _, err := massBatch(ctx, d, item, func(r *wechat.MassRequest) {
		if c.Content.MediaID != "" {
			r.MsgType, r.MediaID = wechat.MsgTypeMPNews, c.Content.MediaID
		} else {
			r.MsgType, r.Text = wechat.MsgTypeText, c.Content.Text
		}
	})
	return status, err
}

// massBatch submits one mass batch ("b:<n>") with the content content
// sets, under the batch's deterministic clientmsgid.
func massBatch(ctx context.Context, d *deliverer, item string, content func(*wechat.MassRequest)) (store.ItemStatus, wechat.MassResult, error) {
	c := d.def
	n := strings.TrimPrefix(item, "b:")
	batch, err := strconv.Atoi(n)
	if err != nil {
		return "", wechat.MassResult{}, fmt.Errorf("campaigns: bad mass item %q: %w", item, wechat.ErrInvalidRequest)
	}
	target, err := d.m.opts.Store.RunBatch(ctx, c.ID, d.fire, n)
	if err != nil {
		return "", wechat.MassResult{}, err
	}
	req := wechat.MassRequest{ClientMsgID: wechat.ClientMsgID(c.ID, d.fire, batch)}
	content(&req)
	switch {
	case target == "all":
		req.ToAll = true
	case strings.HasPrefix(target, "tag:"):
		req.TagID, _ = strconv.ParseInt(strings.TrimPrefix(target, "tag:"), 10, 64)
	default:
		req.OpenIDs = strings.Split(strings.TrimPrefix(target, "ids:"), "\n")
	}
	if d.m.opts.AccountType == AccountSubscription {
		if err := d.takeMassQuota(ctx); err != nil {
			return "", wechat.MassResult{}, err
		}
	}
	wait, err := d.m.opts.Store.TakeRate(ctx, "mass", massPerMinute/60.0, 1, 1)
	if err != nil {
		return "", wechat.MassResult{}, err
	}
	if err := sleep(ctx, wait); err != nil {
		return "", wechat.MassResult{}, err
	}
	res, err := d.m.opts.Sender.MassSend(ctx, req)
	if err != nil {
		return "", wechat.MassResult{}, err
	}
	if res.Duplicate {
		d.log.InfoContext(ctx, "campaigns: mass batch was already submitted (45065), keeping its msg_id",
			slog.String("campaign", c.ID), slog.Int("batch", batch), slog.Int64("msg_id", res.MsgID))
	}
	// Bookkeeping for the MASSSENDJOBFINISH callback: the send itself is done,
	// so a failure here is logged, not retried.
	bg := context.WithoutCancel(ctx)
	if err := d.m.opts.Store.IndexMsg(bg, res.MsgID, c.ID, d.fire, string(c.Channel)); err != nil {
		d.log.WarnContext(ctx, "campaigns: index mass msg_id", slog.Any("err", err))
	}
	if err := d.m.opts.Store.SubmitMass(bg, c.ID, res.MsgID, d.fire); err != nil {
		d.log.WarnContext(ctx, "campaigns: record mass msg_id", slog.Any("err", err))
	}
	d.log.InfoContext(ctx, "campaigns: mass batch submitted", slog.String("campaign", c.ID),
		slog.String("item", item), slog.Int64("msg_id", res.MsgID), slog.Int64("msg_data_id", res.MsgDataID))
	return store.StatusSentMass(res.MsgID, res.MsgDataID), res, nil
}

func templateMessage(t *Template, openid, clientMsgID string) wechat.TemplateMessage {
	data := make(map[string]wechat.TemplateField, len(t.Fields))
	for k, v := range t.Fields {
		data[k] = wechat.TemplateField{Value: v}
	}
	return wechat.TemplateMessage{ToUser: openid, TemplateID: t.ID, URL: t.URL, Data: data, ClientMsgID: clientMsgID}
}

func sendTemplate(ctx context.Context, d *deliverer, item string) (store.ItemStatus, error) {
	id, err := d.m.opts.Sender.SendTemplate(ctx,
		templateMessage(d.def.Content.Template, item, wechat.ClientMsgID(d.def.ID, d.fire, 0)))
	if err != nil {
		return "", err
	}
	if err := d.m.opts.Store.IndexMsg(context.WithoutCancel(ctx), id, d.def.ID, d.fire, string(ChannelTemplate)); err != nil {
		d.log.WarnContext(ctx, "campaigns: index template msgid", slog.Any("err", err))
	}
	return store.StatusSentMsg(id), nil
}

// classifyWeChat reads a WeChat API error. An errcode answer means WeChat
// did not send; anything else (timeouts, 5xx, a connection lost
// mid-request) may have been sent.
func classifyWeChat(err error, now time.Time) failure {
	code, isCode := wechat.ErrCode(err)
	f := failure{
		status: store.StatusFailedError, certain: notSent(err),
		permanent: wechat.IsPermanent(err), retryAfter: wechat.RetryAfter(err, now),
	}
	if isCode {
		f.status, f.code = store.StatusFailedCode(code), strconv.Itoa(code)
		if accountLevel(code) {
			f.account = fmt.Sprintf("errcode %d affects every recipient", code)
		}
	}
	if errors.Is(err, errQuotaUsed) {
		f.holdUntil = nextMidnight(now)
	}
	return f
}
