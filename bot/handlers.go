package bot

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"github.com/pufa-dev/pufa/store"
)

// Residents is the per-resident state the built-in handlers keep (store.Store).
type Residents interface {
	Subscribe(ctx context.Context, openid, community string, at time.Time) error
	SetCommunity(ctx context.Context, openid, community string) error
	UserCommunity(ctx context.Context, openid string) (string, error)
	EraseUser(ctx context.Context, openid string) error
	SetLastQuestion(ctx context.Context, openid, question string) error
	LastQuestion(ctx context.Context, openid string) (string, error)
	RequestConsultation(ctx context.Context, r store.ConsultRequest) (store.ConsultResult, error)
	Transcript(ctx context.Context, openid string) ([]store.CaseMessage, error)
	Incr(ctx context.Context, at time.Time, metric string) error
}

// Handlers are the foundation's built-in behaviours: follow and unfollow,
// QR communities, 转人工, and the fallback reply.
type Handlers struct {
	Residents Residents
	Welcome   string // reply to a follow
	Fallback  string // reply to a text nobody else answers
	// ConsultDailyLimit caps the 转人工 requests recorded per resident and
	// day; later ones are answered politely and recorded nowhere. 0 = none.
	ConsultDailyLimit int
	// Communities names the community of a QR scene and holds its legal
	// adviser (communities.Registry); nil = scenes are recorded unnamed and
	// the adviser command is off.
	Communities CommunityDirectory
	Logger      *slog.Logger
	Now         func() time.Time
}

// Register wires the built-in handlers into r. Texts they claim (转人工) come
// before any text handler added later.
func (h *Handlers) Register(r *Router) {
	r.HandleText(consultCommand{h})
	if h.Communities != nil {
		r.HandleText(adviserCommand{h})
		r.HandleClick(AdviserMenuKey, HandlerFunc(h.adviserClick))
	}
	r.HandleEvent(EventSubscribe, HandlerFunc(h.subscribe))
	r.HandleEvent(EventScan, HandlerFunc(h.scan))
	r.HandleEvent(EventUnsubscribe, HandlerFunc(h.unsubscribe))
}

// TextHandlerFunc adapts a function to TextHandler.
type TextHandlerFunc func(ctx context.Context, m *Message) (Reply, bool, error)

// HandleText calls f.
func (f TextHandlerFunc) HandleText(ctx context.Context, m *Message) (Reply, bool, error) {
	return f(ctx, m)
}

func (h *Handlers) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

func (h *Handlers) logger() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.Default()
}

// communityID accepts scene ids an office would print on QR codes; anything
// else is ignored rather than stored.
var communityID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// Consultation replies.
const (
	consultAccepted = "已为您登记人工咨询（编号 %s），工作人员会在工作时间尽快回复您。\n" +
		"如情况紧急，请拨打公共法律服务热线 12348；遇到人身危险请立即拨打 110。"
	consultFailed = "抱歉，人工咨询暂时无法登记，请稍后再发送“转人工”，或直接拨打公共法律服务热线 12348。"
	// consultLimited answers requests past the day's limit: the earlier
	// ones are registered, and more would only queue the same person again.
	consultLimited = "您的人工咨询已经登记，工作人员会在工作时间尽快回复您，请耐心等待，无需重复发送。\n" +
		"如情况紧急，请拨打公共法律服务热线 12348；遇到人身危险请立即拨打 110。"
	// consultAsk follows consultAccepted when the resident named no
	// question: their next message joins the case as its question.
	consultAsk = "\n请用一条消息写下您想咨询的问题（发生了什么、您想怎么解决），工作人员会一并看到。"
)

// consultCommand is the 转人工 text handler.
type consultCommand struct{ h *Handlers }

func (c consultCommand) HandleText(ctx context.Context, m *Message) (Reply, bool, error) {
	return c.h.consult(ctx, m)
}

// InstantText implements InstantTexter: 转人工 records a consultation, so
// only handling it can answer; other texts pass.
func (consultCommand) InstantText(m *Message) (Reply, Verdict) {
	if _, ok := consultQuestion(m.Text); ok {
		return Reply{}, Unsure
	}
	return Reply{}, Pass
}

// consultQuestion tells whether text asks for a human — "转人工", "人工",
// or "转人工 <question>" — and returns the question given with it.
func consultQuestion(text string) (string, bool) {
	rest, ok := strings.CutPrefix(text, "转人工")
	if !ok {
		if text != "人工" && text != "人工客服" {
			return "", false
		}
		rest = ""
	}
	return strings.TrimLeft(strings.TrimSpace(rest), ":：,，"), true
}

// consult records a request for a human.
func (h *Handlers) consult(ctx context.Context, m *Message) (Reply, bool, error) {
	question, ok := consultQuestion(m.Text)
	if !ok {
		return Reply{}, false, nil
	}
	// Without a known session the dedup claim failed: Redis is down or
	// stalled, so go straight to recording, which fails and says so, rather
	// than spend the reply's time on reads that fail too.
	req := store.ConsultRequest{OpenID: m.FromUserName, Question: question, At: h.now(),
		DailyLimit: h.ConsultDailyLimit}
	if m.SessionKnown {
		if question == "" {
			q, err := h.Residents.LastQuestion(ctx, m.FromUserName)
			if err != nil {
				h.logger().Warn("reading last question", "err", err)
			}
			req.Question = q
		}
		var err error
		if req.Transcript, err = h.Residents.Transcript(ctx, m.FromUserName); err != nil {
			h.logger().Warn("reading transcript", "err", err)
		}
		if req.Community, err = h.Residents.UserCommunity(ctx, m.FromUserName); err != nil {
			h.logger().Warn("reading community", "err", err)
		}
	}
	// The store cuts the text to store.ConsultMaxRunes.
	res, err := h.Residents.RequestConsultation(ctx, req)
	if err != nil {
		h.logger().Error("consultation not recorded", "err", err)
		return Reply{Text: consultFailed}, true, nil
	}
	if res.Limited {
		h.logger().Info("consultation over the daily limit, not recorded")
		return Reply{Text: consultLimited}, true, nil
	}
	h.logger().Info("consultation requested", "consultation", res.ID)
	text := strings.Replace(consultAccepted, "%s", res.ID, 1)
	if req.Question == "" {
		text += consultAsk
	}
	return Reply{Text: text}, true, nil
}

func (h *Handlers) subscribe(ctx context.Context, m *Message) (Reply, error) {
	community := ""
	if scene, ok := strings.CutPrefix(m.EventKey, "qrscene_"); ok {
		if communityID.MatchString(scene) {
			community = scene
		} else {
			h.logger().Warn("ignoring invalid QR scene", "len", len(scene))
		}
	}
	at := h.now()
	name := h.sceneName(ctx, community)
	if err := h.Residents.Subscribe(ctx, m.FromUserName, community, at); err != nil {
		h.logger().Error("subscribe not recorded", "err", err)
	}
	if err := h.Residents.Incr(ctx, at, store.MetricSubscribes); err != nil {
		h.logger().Warn("counting subscribe", "err", err)
	}
	if name != "" {
		return Reply{Text: h.Welcome + "\n您所在社区：" + name + "。回复“法律顾问”可查看本社区的法律顾问。"}, nil
	}
	return Reply{Text: h.Welcome}, nil
}

// scan handles an existing follower scanning a community QR code: the
// EventKey is the bare scene id.
func (h *Handlers) scan(ctx context.Context, m *Message) (Reply, error) {
	if !communityID.MatchString(m.EventKey) {
		return Reply{}, nil
	}
	name := h.sceneName(ctx, m.EventKey)
	if err := h.Residents.SetCommunity(ctx, m.FromUserName, m.EventKey); err != nil {
		h.logger().Error("community not recorded", "err", err)
		return Reply{}, nil
	}
	if name != "" {
		return Reply{Text: "已为您关联所在社区（" + name + "），今后将收到本社区的普法活动通知。回复“法律顾问”可查看本社区的法律顾问。"}, nil
	}
	return Reply{Text: "已为您关联所在社区，今后将收到本社区的普法活动通知。"}, nil
}

// unsubscribe erases the resident's personal data, as the platform requires.
func (h *Handlers) unsubscribe(ctx context.Context, m *Message) (Reply, error) {
	at := h.now()
	if err := h.Residents.EraseUser(ctx, m.FromUserName); err != nil {
		// The error makes the endpoint answer 503, so WeChat retries and
		// the erasure gets another chance.
		return Reply{}, fmt.Errorf("bot: erase on unsubscribe: %w", err)
	}
	if err := h.Residents.Incr(ctx, at, store.MetricUnsubscribes); err != nil {
		h.logger().Warn("counting unsubscribe", "err", err)
	}
	return Reply{}, nil
}

// Fallback answers texts no handler claimed and remembers them as the
// resident's last question, for a later 转人工.
func (h *Handlers) HandleFallback(ctx context.Context, m *Message) (Reply, error) {
	if err := h.Residents.SetLastQuestion(ctx, m.FromUserName, m.Content); err != nil {
		h.logger().Warn("remembering question", "err", err)
	}
	if err := h.Residents.Incr(ctx, h.now(), store.MetricFallbacks); err != nil {
		h.logger().Warn("counting fallback", "err", err)
	}
	return Reply{Text: h.Fallback}, nil
}
