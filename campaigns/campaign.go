// Package campaigns plans and delivers themed legal-publicity pushes: the
// campaign model and its YAML files, the calendar of national
// legal-publicity days, the lifecycle state machine, delivery through the
// official-account API with per-recipient checkpoints in Redis, and the
// reach counts reported back by WeChat.
//
// Definitions (what, to whom, when) live in Redis (Library), written by the
// console's form (Form) or imported from YAML files (Parse is the one
// validator of both); everything that happens to a campaign (approval,
// state, fires, runs, per-recipient results, counts) lives in Redis too,
// through package store. An approval stores a hash of the definition, so
// editing an approved campaign sends it back to draft.
//
// # Delivery guarantees
//
// A run is one fire of a campaign. When it starts, its audience is
// snapshotted into Redis (a queue of openids, or of mass batches) together
// with the content, so a restart, a second replica or an edited YAML file
// sends the same thing to the same people. Each item is then claimed by a
// Lua script that marks it in flight ("i:<ms>") with a lease, sent, and
// recorded as sent, failed or unknown by another script. Any number of
// workers in any number of replicas share the queue.
//
// The window between "request sent" and "result recorded" cannot be closed:
// if the process dies there (kill -9), the message may or may not have
// reached WeChat. When the lease lapses, the next claimer decides by
// channel:
//
//   - mass: resent. clientmsgid (campaign, fire time, batch) makes WeChat
//     answer 45065 with the original msg_id for 24 h, so a resend within
//     23 h is safe; after that the batch is recorded unknown.
//   - template: resent with the same client_msg_id, which WeChat
//     deduplicates per openid for 10 minutes; after 9 minutes the recipient
//     is recorded unknown instead.
//   - custom: never resent. Customer-service messages have no idempotency
//     key, so an interrupted recipient is recorded "u" (unknown: possibly
//     sent) and skipped: at most once, because a resident who gets the same
//     message twice is worse than a count that says "unknown".
//   - sms: never resent, like custom: an SMS gateway has no idempotency key.
//   - article: a mass send of an article's draft, resent like mass. The
//     draft is synced when the run is snapshotted, never by a send, so a
//     crash between the sync and the send leaves only a draft.
//   - publish, notice: never resent: freepublish/submit and
//     subscribe/bizsend have no idempotency key.
//
// What differs between channels (these windows, validation, the request,
// how an error is read, previews) is one entry of the table in channel.go.
//
// Errors follow the same rule: an errcode answer (for SMS, the gateway's
// code) means nothing was sent, so transient codes (-1, 45009, 45011,
// 45066, Throttling.User) are retried with backoff and permanent ones
// (43004 unsubscribed, 45015 outside the 48 h window, an invalid number, …)
// are recorded per recipient and never retried; a timeout, a 5xx or a
// connection lost mid-request is "maybe sent" and handled like a crash
// (retried where idempotent, unknown for custom and sms).
//
// A rate limit shared by all replicas (a GCRA in Redis) paces per-recipient
// sends; mass requests are paced at 60 per minute. N consecutive failures
// pause the campaign, and so does any account-level error (no quota, bad
// template id, API not authorised) at once.
package campaigns

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/pufa-dev/pufa/chinatime"
)

// Channel is how a campaign reaches followers.
type Channel string

// Channels.
const (
	// ChannelMass is a mass send (群发): to all, to a tag, or to openid
	// batches of 2..10,000. One request per batch, idempotent by clientmsgid.
	ChannelMass Channel = "mass"
	// ChannelTemplate is one template message per recipient (verified
	// service accounts), idempotent for 10 minutes by client_msg_id.
	ChannelTemplate Channel = "template"
	// ChannelCustom is one customer-service message per recipient; it
	// reaches only followers active in the last 48 h and has no
	// idempotency key.
	ChannelCustom Channel = "custom"
	// ChannelSMS is one templated text message per mobile number of an SMS
	// list, through the gateway of package sms; no idempotency key.
	ChannelSMS Channel = "sms"
	// ChannelArticle mass-sends an article written in the console (群发图文)
	// by its draft's media_id; a mass send in every other respect.
	ChannelArticle Channel = "article"
	// ChannelPublish publishes an article (发布图文, freepublish/submit):
	// not pushed to followers, no mass quota; no idempotency key.
	ChannelPublish Channel = "publish"
	// ChannelNotice is one subscription notice (订阅通知) per follower who
	// subscribed to its template (message/subscribe/bizsend); no
	// idempotency key.
	ChannelNotice Channel = "notice"
)

// CatchUp is what happens to fires missed while no replica was running.
type CatchUp string

// Catch-up policies.
const (
	CatchUpSkip CatchUp = "skip" // count and log missed fires, send none
	CatchUpOnce CatchUp = "once" // send the latest missed fire once if within the grace window
)

// Campaign is one campaign definition, as loaded from its YAML file.
type Campaign struct {
	ID         string     `json:"id"`
	Title      string     `json:"title"`
	Theme      string     `json:"theme,omitempty"`
	Channel    Channel    `json:"channel"`
	Audience   Audience   `json:"audience"`
	Content    Content    `json:"content"`
	Schedule   Schedule   `json:"schedule"`
	Window     Window     `json:"window"`
	QuietHours QuietHours `json:"quiet_hours"`
	Quiz       string     `json:"quiz,omitempty"`

	File string `json:"-"` // where it was loaded from, for messages
}

// Audience selects recipients: All, or the union of the other fields.
type Audience struct {
	All         bool     `json:"all,omitempty"`
	Tags        []int64  `json:"tags,omitempty"`        // WeChat tag ids
	Communities []string `json:"communities,omitempty"` // pufa community ids (from QR scenes)
	OpenIDs     []string `json:"openids,omitempty"`
	SMSList     string   `json:"sms_list,omitempty"` // channel sms: a list of residents' numbers (store/sms.go)
}

// Describe names the audience for staff, e.g. "全部关注者" or
// "标签 101、102 + 社区 幸福社区 + 指定 3 个 openid".
func (a Audience) Describe() string {
	if a.All {
		return "全部关注者"
	}
	var parts []string
	if len(a.Tags) > 0 {
		tags := make([]string, len(a.Tags))
		for i, t := range a.Tags {
			tags[i] = strconv.FormatInt(t, 10)
		}
		parts = append(parts, "标签 "+strings.Join(tags, "、"))
	}
	if len(a.Communities) > 0 {
		parts = append(parts, "社区 "+strings.Join(a.Communities, "、"))
	}
	if len(a.OpenIDs) > 0 {
		parts = append(parts, fmt.Sprintf("指定 %d 个 openid", len(a.OpenIDs)))
	}
	if a.SMSList != "" {
		parts = append(parts, "短信名单 "+a.SMSList)
	}
	if len(parts) == 0 {
		return "无"
	}
	return strings.Join(parts, " + ")
}

// Content is what is sent; which fields apply depends on the channel.
type Content struct {
	Text     string    `json:"text,omitempty"`     // mass text, custom text
	MediaID  string    `json:"media_id,omitempty"` // mass mpnews (a draft-box article)
	Article  string    `json:"article,omitempty"`  // article, publish: id of an article written in the console
	Template *Template `json:"template,omitempty"` // template channel
	SMS      *SMS      `json:"sms,omitempty"`      // sms channel
}

// SMS is a text message: a template the SMS provider approved and its
// parameters (the provider adds the office's signature).
type SMS struct {
	Template string            `json:"template"`
	Params   map[string]string `json:"params,omitempty"`
}

// Template is a template message or a subscription notice (URL is then
// the page opened on tap).
type Template struct {
	ID     string            `json:"id"`
	URL    string            `json:"url,omitempty"`
	Fields map[string]string `json:"fields"`
}

// Schedule says when a campaign fires: once At, or on a Cron spec, or
// (neither) only when run by hand.
type Schedule struct {
	At      time.Time     `json:"at,omitzero"`
	Cron    string        `json:"cron,omitempty"`
	CatchUp CatchUp       `json:"catch_up"`
	Grace   time.Duration `json:"grace,omitempty"` // 0 = the configured default

	spec cron.Schedule
}

// Window bounds when a campaign may fire; zero ends are open.
type Window struct {
	From time.Time `json:"from,omitzero"`
	To   time.Time `json:"to,omitzero"`
}

// Contains reports whether t lies in the window.
func (w Window) Contains(t time.Time) bool {
	return (w.From.IsZero() || !t.Before(w.From)) && (w.To.IsZero() || !t.After(w.To))
}

// QuietHours is a daily period (China time) in which nothing is sent to
// residents; minutes since midnight, From > To wraps past midnight.
type QuietHours struct {
	From, To int  `json:"-"`
	Set      bool `json:"-"`
}

// MarshalJSON writes "HH:MM-HH:MM" or null.
func (q QuietHours) MarshalJSON() ([]byte, error) {
	if !q.Set {
		return []byte("null"), nil
	}
	return json.Marshal(q.String())
}

func (q QuietHours) String() string {
	if !q.Set {
		return ""
	}
	return fmt.Sprintf("%02d:%02d-%02d:%02d", q.From/60, q.From%60, q.To/60, q.To%60)
}

// Quiet reports whether t falls in the quiet hours and, if so, when they end.
func (q QuietHours) Quiet(t time.Time) (bool, time.Time) {
	if !q.Set {
		return false, time.Time{}
	}
	t = t.In(chinatime.Zone)
	m := t.Hour()*60 + t.Minute()
	var in bool
	if q.From < q.To {
		in = m >= q.From && m < q.To
	} else {
		in = m >= q.From || m < q.To
	}
	if !in {
		return false, time.Time{}
	}
	end := time.Date(t.Year(), t.Month(), t.Day(), q.To/60, q.To%60, 0, 0, chinatime.Zone)
	if !end.After(t) {
		end = end.AddDate(0, 0, 1)
	}
	return true, end
}

// Recurring reports whether the campaign fires on a cron schedule.
func (c *Campaign) Recurring() bool { return c.Schedule.Cron != "" }

// Next returns the first fire strictly after t inside the window, or the
// zero time when there is none. Constant-delay schedules (@every) are
// anchored to the Unix epoch rather than to t, so that every replica,
// whenever it started, computes the same fire times.
func (c *Campaign) Next(t time.Time) time.Time {
	s := c.Schedule
	var next time.Time
	switch {
	case !s.At.IsZero():
		if !s.At.After(t) {
			return time.Time{}
		}
		next = s.At
	case s.spec != nil:
		if !c.Window.From.IsZero() && t.Before(c.Window.From) {
			t = c.Window.From.Add(-time.Second)
		}
		if d, ok := s.spec.(cron.ConstantDelaySchedule); ok {
			step := int64(d.Delay / time.Second)
			next = time.Unix((t.Unix()/step+1)*step, 0)
		} else {
			next = s.spec.Next(t.In(chinatime.Zone))
		}
	default:
		return time.Time{}
	}
	if next.IsZero() || !c.Window.Contains(next) {
		return time.Time{}
	}
	return next
}

// hashed is the part of a campaign an approval covers: what is sent, to
// whom and when. Title, theme and quiz are labels and may change freely.
type hashed struct {
	Channel    Channel    `json:"channel"`
	Audience   Audience   `json:"audience"`
	Content    Content    `json:"content"`
	Schedule   Schedule   `json:"schedule"`
	Window     Window     `json:"window"`
	QuietHours QuietHours `json:"quiet_hours"`
}

// ContentHash is a short sha256 (12 hex digits) of what the campaign sends,
// its channel and content alone, for the audit log: staff can match a
// preview, an approval and a send to the same text.
func (c *Campaign) ContentHash() string {
	b, _ := json.Marshal(struct {
		Channel Channel `json:"channel"`
		Content Content `json:"content"`
	}{c.Channel, c.Content}) // plain data: cannot fail
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:6])
}

// Hash identifies the approved substance of the campaign.
func (c *Campaign) Hash() string {
	b, _ := json.Marshal(hashed{c.Channel, c.Audience, c.Content, c.Schedule, c.Window, c.QuietHours}) // plain data: cannot fail
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}
