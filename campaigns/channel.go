package campaigns

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/pufa-dev/pufa/chinatime"
	"github.com/pufa-dev/pufa/store"
)

// channel is everything that differs between ways of reaching people.
// Validation, snapshots, delivery, previews, dry runs and reach statistics
// look a campaign's channel up in channels and never switch on its name: a
// new channel (an article mass send, subscription notices) is one entry
// here plus an adapter to its API.
type channel struct {
	name  Channel
	label string // for staff
	// minInterval is the shortest time allowed between two fires of a
	// recurring schedule, checked when a file is loaded: every fire reaches
	// the same people again.
	minInterval time.Duration
	// batched channels send mass batches ("b:<n>" items, one worker,
	// paced at massPerMinute) and learn their reach from WeChat's
	// MASSSENDJOBFINISH; the others send one item per recipient, paced by
	// the shared rate limit, and count reach from their own records.
	batched bool
	// callbackReach channels learn their reach from MASSSENDJOBFINISH
	// (mass sends); the others count it from their own records.
	callbackReach bool
	// retryWindow: an interrupted item (its lease lapsed) claimed less than
	// this long ago is sent again, safely inside the API's own dedup window.
	// 0 = the API has no idempotency key: an interrupted item is recorded
	// unknown and never resent (at most once).
	retryWindow time.Duration
	// limiter names the rate limit per-recipient sends share across
	// replicas, rate how fast it lets them go; rate 0 = unlimited.
	limiter string
	rate    func(o *Options) float64
	// article channels send content.article; the others refuse it.
	article bool
	// online channels are WeChat pushes (一期推送 in the annual report);
	// SMS is counted apart (发送宣传短信).
	online bool

	// validate checks the content and the audience for this channel.
	validate func(p *parser, c *Campaign)
	// recipients lists a per-recipient channel's audience, deduplicated, in
	// a stable order; plan cuts a batched channel's audience into batches.
	recipients func(ctx context.Context, m *Manager, a Audience) ([]string, error)
	plan       func(ctx context.Context, m *Manager, def runDef) (batches map[string]string, items []string, err error)
	// dryRun answers what a run would send (nil: recipients, one request each).
	dryRun func(ctx context.Context, m *Manager, c *Campaign) (DryRun, error)
	// ready checks that this process can send on the channel (its client
	// is configured).
	ready func(m *Manager) error
	// send makes one request for item and returns the status to record.
	send func(ctx context.Context, d *deliverer, item string) (store.ItemStatus, error)
	// classify reads a send error.
	classify func(err error, now time.Time) failure
	// refusal, when set, tells a failure the channel expects of some
	// recipients (a notice to a resident who did not subscribe) from one
	// that something is wrong: refusals never pause the campaign.
	refusal func(status store.ItemStatus) bool
	// preview sends the content to one registered staff member.
	preview func(ctx context.Context, m *Manager, c *Campaign, openid string) error
}

// failure is how a channel reads an error from its API.
type failure struct {
	status     store.ItemStatus // recorded when the item fails for good
	code       string           // the API's code, for logs
	certain    bool             // the request certainly had no effect
	permanent  bool             // retrying cannot help
	account    string           // non-empty: fails every recipient alike (why), so the campaign pauses
	holdUntil  time.Time        // non-zero: hand the item back and hold the run until then
	retryAfter time.Duration    // the API asks to wait at least this long before retrying
}

// channels is the table of every channel pufa sends on.
var channels = map[Channel]*channel{
	ChannelMass:     massChannel,
	ChannelTemplate: templateChannel,
	ChannelCustom:   customChannel,
	ChannelSMS:      smsChannel,
	ChannelArticle:  articleChannel,
	ChannelPublish:  publishChannel,
	ChannelNotice:   noticeChannel,
}

// channelNames lists the channels for messages, e.g. "custom, mass, sms or template".
func channelNames() string {
	names := slices.Sorted(maps.Keys(channels))
	s := make([]string, len(names))
	for i, n := range names {
		s[i] = string(n)
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}

// Label is the channel's name for staff ("群发消息", "短信", …); an unknown
// channel is shown as it is written.
func (c Channel) Label() string {
	if ch, ok := channels[c]; ok {
		return ch.label
	}
	return string(c)
}

// Online reports whether runs of the channel are WeChat pushes (一期推送),
// as opposed to text messages to phones.
func (c Channel) Online() bool {
	ch, ok := channels[c]
	return !ok || ch.online
}

// ReachByCallback reports whether the channel's reach comes from WeChat's
// MASSSENDJOBFINISH (mass sends) rather than from pufa's own records.
func (c Channel) ReachByCallback() bool {
	ch, ok := channels[c]
	return ok && ch.callbackReach
}

// MinInterval is the shortest time allowed between fires of a recurring
// campaign on the channel (0 for an unknown channel).
func (c Channel) MinInterval() time.Duration {
	if ch, ok := channels[c]; ok {
		return ch.minInterval
	}
	return 0
}

// minGap is the shortest time between consecutive fires of spec, measured
// over its next 1,000 fires (or a year) from a fixed start in China time.
func minGap(spec cron.Schedule) time.Duration {
	if d, ok := spec.(cron.ConstantDelaySchedule); ok {
		return d.Delay
	}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, chinatime.Zone)
	gap := time.Duration(0)
	prev := spec.Next(start)
	for i := 0; i < 1000 && !prev.IsZero() && prev.Before(start.AddDate(1, 0, 0)); i++ {
		next := spec.Next(prev)
		if next.IsZero() {
			break
		}
		if d := next.Sub(prev); gap == 0 || d < gap {
			gap = d
		}
		prev = next
	}
	return gap
}

// formatInterval writes d for staff: "1 天", "12 小时", "30 分钟".
func formatInterval(d time.Duration) string {
	switch {
	case d >= 24*time.Hour && d%(24*time.Hour) == 0:
		return fmt.Sprintf("%d 天", d/(24*time.Hour))
	case d >= time.Hour && d%time.Hour == 0:
		return fmt.Sprintf("%d 小时", d/time.Hour)
	case d >= time.Minute && d%time.Minute == 0:
		return fmt.Sprintf("%d 分钟", d/time.Minute)
	}
	return d.String()
}
