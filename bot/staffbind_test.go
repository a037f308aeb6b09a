package bot_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/pufa-dev/pufa/bot"
)

// fakeBinder knows one code.
type fakeBinder struct {
	code, name string
	fail       bool
	bound      []string
}

func (f *fakeBinder) BindStaff(_ context.Context, code, openid string) (string, bool, error) {
	if f.fail {
		return "", false, errors.New("redis down")
	}
	if code != f.code {
		return "", false, nil
	}
	f.bound = append(f.bound, openid)
	f.code = "" // one time
	return f.name, true, nil
}

func TestStaffBindMessages(t *testing.T) {
	for _, tt := range []struct {
		name    string
		text    string
		fail    bool
		claimed bool
		says    string
		bound   int
	}{
		{"the code binds", "绑定 123456", false, true, "绑定成功：张三", 1},
		{"without a space", "绑定123456", false, true, "绑定成功", 1},
		{"with a colon", "绑定：123456", false, true, "绑定成功", 1},
		{"a wrong code", "绑定 654321", false, true, "绑定码无效或已过期", 0},
		{"Redis fails", "绑定 123456", true, true, "暂时无法绑定", 0},
		{"other text passes", "绑定银行卡被骗了怎么办", false, false, "", 0},
		{"five digits pass", "绑定 12345", false, false, "", 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeBinder{code: "123456", name: "张三", fail: tt.fail}
			h := bot.StaffBind{Binder: f}
			m := &bot.Message{MsgType: bot.TypeText, Text: tt.text, FromUserName: "o_staff"}
			r, ok, err := h.HandleText(context.Background(), m)
			if err != nil || ok != tt.claimed || !strings.Contains(r.Text, tt.says) || len(f.bound) != tt.bound {
				t.Errorf("%q: %q claimed=%v err=%v bound=%v", tt.text, r.Text, ok, err, f.bound)
			}
			if _, v := h.InstantText(m); (v == bot.Unsure) != tt.claimed {
				t.Errorf("%q: instant verdict %v", tt.text, v)
			}
		})
	}
	// The code works once.
	f := &fakeBinder{code: "123456", name: "张三"}
	h := bot.StaffBind{Binder: f}
	m := &bot.Message{MsgType: bot.TypeText, Text: "绑定 123456", FromUserName: "o_staff"}
	h.HandleText(context.Background(), m)
	if r, _, _ := h.HandleText(context.Background(), m); !strings.Contains(r.Text, "无效") {
		t.Errorf("second use: %q", r.Text)
	}
}
