package bot

import (
	"context"
	"errors"
	"strings"

	"github.com/pufa-dev/pufa/store"
)

// CommunityDirectory is the community registry as the bot uses it
// (communities.Registry).
type CommunityDirectory interface {
	// EnsureScene returns the community of a scanned scene id, registering
	// an unknown one unnamed.
	EnsureScene(ctx context.Context, id string) (store.Community, error)
	// Get returns a registered community; an error wrapping
	// store.ErrNotFound when there is none.
	Get(ctx context.Context, id string) (store.Community, error)
}

// AdviserMenuKey is the CLICK key of a menu button asking for the
// community's legal adviser.
const AdviserMenuKey = "LEGAL_ADVISER"

// adviserTexts are what residents send to ask for their community's legal
// adviser (一社区一法律顾问).
var adviserTexts = map[string]bool{
	"法律顾问": true, "社区法律顾问": true, "社区律师": true, "我的法律顾问": true,
	"法律顾问电话": true, "联系法律顾问": true, "社区律师电话": true,
}

// Adviser replies. They hold only what the registry holds: the office
// registered the adviser; the bot adds no number, hours or office of its own.
const (
	adviserNoCommunity = "暂不知道您所在的社区：扫描所在社区张贴的普法二维码即可关联社区，之后回复“法律顾问”即可查看本社区的法律顾问。\n" +
		"如需法律帮助，请回复“转人工”，工作人员会为您联系。"
	adviserNone = "%s暂未登记法律顾问信息。如需法律帮助，请回复“转人工”，工作人员会为您联系。"
	adviserFail = "抱歉，暂时查不到法律顾问信息，请稍后再试，或回复“转人工”由工作人员为您联系。"
	adviserTail = "以上信息由街道登记。如需工作人员帮助，请回复“转人工”。"
)

// adviserCommand is the 法律顾问 text handler.
type adviserCommand struct{ h *Handlers }

func isAdviserText(text string) bool {
	return adviserTexts[strings.TrimRight(strings.TrimSpace(text), "？?。!！")]
}

func (c adviserCommand) HandleText(ctx context.Context, m *Message) (Reply, bool, error) {
	if !isAdviserText(m.Text) {
		return Reply{}, false, nil
	}
	return Reply{Text: c.h.adviserReply(ctx, m.FromUserName)}, true, nil
}

// InstantText implements InstantTexter: the reply depends on the
// resident's community, so only handling can answer; other texts pass.
func (adviserCommand) InstantText(m *Message) (Reply, Verdict) {
	if isAdviserText(m.Text) {
		return Reply{}, Unsure
	}
	return Reply{}, Pass
}

func (h *Handlers) adviserClick(ctx context.Context, m *Message) (Reply, error) {
	return Reply{Text: h.adviserReply(ctx, m.FromUserName)}, nil
}

// adviserReply tells a resident their community's legal adviser as
// registered, or that none is registered and how to reach a person.
func (h *Handlers) adviserReply(ctx context.Context, openid string) string {
	id, err := h.Residents.UserCommunity(ctx, openid)
	if err != nil {
		h.logger().Error("reading resident community", "err", err)
		return adviserFail
	}
	if id == "" {
		return adviserNoCommunity
	}
	c, err := h.Communities.Get(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return strings.Replace(adviserNone, "%s", "您所在社区", 1)
	}
	if err != nil {
		h.logger().Error("reading community", "community", id, "err", err)
		return adviserFail
	}
	name := c.Name
	if name == "" {
		name = "您所在社区"
	}
	a := c.Adviser
	if a.Name == "" {
		return strings.Replace(adviserNone, "%s", name, 1)
	}
	var b strings.Builder
	b.WriteString(name + "的法律顾问（一社区一法律顾问）：\n姓名：" + a.Name + "\n")
	if a.Firm != "" {
		b.WriteString("律所：" + a.Firm + "\n")
	}
	if a.Phone != "" {
		b.WriteString("电话：" + a.Phone + "\n")
	}
	if a.Hours != "" {
		b.WriteString("值班时间：" + a.Hours + "\n")
	}
	b.WriteString(adviserTail)
	return b.String()
}

// sceneName registers a scanned community (unnamed when new) and returns
// its name for the reply, "" when it has none yet or the registry is off.
func (h *Handlers) sceneName(ctx context.Context, id string) string {
	if id == "" || h.Communities == nil {
		return ""
	}
	c, err := h.Communities.EnsureScene(ctx, id)
	if err != nil {
		h.logger().Warn("registering community of QR scene", "err", err)
		return ""
	}
	return c.Name
}
