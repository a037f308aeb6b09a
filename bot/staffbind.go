package bot

import (
	"context"
	"log/slog"
	"regexp"
	"strings"
)

// StaffBinder registers the sender of a one-time code as a staff preview
// recipient (console.StaffBinder implements it).
type StaffBinder interface {
	// BindStaff binds openid to the staff member who asked for code; ok is
	// false for an unknown, used or expired code.
	BindStaff(ctx context.Context, code, openid string) (name string, ok bool, err error)
}

// StaffBind is the text handler of "绑定 123456": staff send the code the
// console showed them, from their own WeChat, to receive previews.
type StaffBind struct {
	Binder StaffBinder
	Logger *slog.Logger
}

var bindRe = regexp.MustCompile(`^绑定\s*[:：]?\s*(\d{6})$`)

// bindCode returns the code of a 绑定 message.
func bindCode(text string) (string, bool) {
	m := bindRe.FindStringSubmatch(strings.TrimSpace(text))
	if m == nil {
		return "", false
	}
	return m[1], true
}

// Replies to 绑定.
const (
	bindDone    = "绑定成功：%s，您的微信已登记为预览接收人，今后可在工作台选择您的名字接收活动预览。"
	bindUnknown = "绑定码无效或已过期（有效期10分钟）。请在工作台“预览名单”页面重新生成绑定码后再发送。"
	bindFailed  = "抱歉，暂时无法绑定，请稍后再发送一次。"
)

// HandleText claims "绑定 <6 digits>".
func (b StaffBind) HandleText(ctx context.Context, m *Message) (Reply, bool, error) {
	code, ok := bindCode(m.Text)
	if !ok {
		return Reply{}, false, nil
	}
	name, ok, err := b.Binder.BindStaff(ctx, code, m.FromUserName)
	if err != nil {
		b.logger().ErrorContext(ctx, "bot: staff bind", "err", err)
		return Reply{Text: bindFailed}, true, nil
	}
	if !ok {
		return Reply{Text: bindUnknown}, true, nil
	}
	return Reply{Text: strings.Replace(bindDone, "%s", name, 1)}, true, nil
}

// InstantText implements InstantTexter: a bind changes state, so only
// handling it can answer; other texts pass.
func (StaffBind) InstantText(m *Message) (Reply, Verdict) {
	if _, ok := bindCode(m.Text); ok {
		return Reply{}, Unsure
	}
	return Reply{}, Pass
}

func (b StaffBind) logger() *slog.Logger {
	if b.Logger != nil {
		return b.Logger
	}
	return slog.Default()
}
