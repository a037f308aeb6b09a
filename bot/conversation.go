package bot

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/pufa-dev/pufa/store"
)

// Conversations keeps what residents say and are told (store.Store): a
// short transcript a case starts from, the open case's conversation, and
// the time of the resident's last message, from which WeChat's 48-hour
// customer-service window runs.
type Conversations interface {
	RecordConversation(ctx context.Context, openid string, m store.CaseMessage) (string, error)
	NoteInbound(ctx context.Context, openid string, at time.Time) error
}

// Transcribed is a Handler that keeps the conversation around another
// one (usually the Router): the resident's message before it is handled,
// so that it joins an open case and a 转人工 finds it in the transcript,
// and the reply after. Keyword rules answered without handling (see
// InstantTexter) are not kept: they record nothing by design, and a
// resident's question is never one of them.
type Transcribed struct {
	Handler Handler
	Log     Conversations
	Logger  *slog.Logger
	Now     func() time.Time
}

// interactions are the events WeChat counts as the resident's interaction,
// opening the 48-hour window.
var interactions = map[string]bool{"subscribe": true, "scan": true, "click": true, "view": true}

// Handle records m, handles it and records the reply. Without a known
// session the endpoint could not reach Redis: nothing could be kept, and
// trying would only hold the reply, so m is just handled.
func (t *Transcribed) Handle(ctx context.Context, m *Message) (Reply, error) {
	if !m.SessionKnown {
		return t.Handler.Handle(ctx, m)
	}
	at := time.Now()
	if t.Now != nil {
		at = t.Now()
	}
	log := t.Logger
	if log == nil {
		log = slog.Default()
	}
	keep := true
	switch m.MsgType {
	case TypeText:
		if _, err := t.Log.RecordConversation(ctx, m.FromUserName, store.CaseMessage{At: at, From: store.FromResident, Text: m.Content}); err != nil {
			log.Warn("conversation not kept", "err", err)
		}
	case TypeEvent:
		keep = interactions[strings.ToLower(m.Event)]
		if keep {
			if err := t.Log.NoteInbound(ctx, m.FromUserName, at); err != nil {
				log.Warn("last interaction not kept", "err", err)
			}
		}
	default:
		text := "（发送了一条" + mediaLabel(m.MsgType) + "）"
		if _, err := t.Log.RecordConversation(ctx, m.FromUserName, store.CaseMessage{At: at, From: store.FromResident, Text: text}); err != nil {
			log.Warn("conversation not kept", "err", err)
		}
	}
	r, err := t.Handler.Handle(ctx, m)
	if err == nil && keep && r.Text != "" {
		if _, err := t.Log.RecordConversation(ctx, m.FromUserName, store.CaseMessage{At: at, From: store.FromBot, Text: r.Text}); err != nil {
			log.Warn("reply not kept in the conversation", "err", err)
		}
	}
	return r, err
}

// InstantText lets the wrapped handler answer keywords without a record.
func (t *Transcribed) InstantText(m *Message) (Reply, Verdict) {
	if in, ok := t.Handler.(InstantTexter); ok {
		return in.InstantText(m)
	}
	return Reply{}, Unsure
}

func mediaLabel(msgType string) string {
	switch msgType {
	case "image":
		return "图片"
	case "voice":
		return "语音"
	case "video", "shortvideo":
		return "视频"
	case "location":
		return "位置"
	case "link":
		return "链接"
	}
	return "非文字消息"
}
