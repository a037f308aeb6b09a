package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/pufa-dev/pufa/store"
	"github.com/pufa-dev/pufa/store/storetest"
)

// fakeDirectory is a registry of fixed communities; EnsureScene adds an
// unnamed one as the real registry does.
type fakeDirectory struct {
	byID map[string]store.Community
	fail bool
}

func (f *fakeDirectory) EnsureScene(_ context.Context, id string) (store.Community, error) {
	if c, ok := f.byID[id]; ok {
		return c, nil
	}
	f.byID[id] = store.Community{ID: id, Active: true}
	return f.byID[id], nil
}

func (f *fakeDirectory) Get(_ context.Context, id string) (store.Community, error) {
	if f.fail {
		return store.Community{}, errors.New("redis down")
	}
	c, ok := f.byID[id]
	if !ok {
		return store.Community{}, fmt.Errorf("%w: %s", store.ErrNotFound, id)
	}
	return c, nil
}

func TestAdviserReplyHoldsOnlyWhatIsRegistered(t *testing.T) {
	st := storetest.New(t)
	dir := &fakeDirectory{byID: map[string]store.Community{
		"xingfu":   {ID: "xingfu", Name: "幸福社区", Adviser: store.Adviser{Name: "王律师", Phone: "0571-88880000"}},
		"dongyuan": {ID: "dongyuan", Name: "东园社区"},
	}}
	h := &Handlers{Residents: st, Welcome: "欢迎", Fallback: "没听懂", Communities: dir}
	r := NewRouter(HandlerFunc(h.HandleFallback))
	h.Register(r)
	ctx := context.Background()
	for openid, c := range map[string]string{"u_xf": "xingfu", "u_dy": "dongyuan", "u_new": "laojie"} {
		got := send(t, r, Message{FromUserName: openid, MsgType: TypeEvent, Event: EventSubscribe, EventKey: "qrscene_" + c})
		if c == "laojie" && got != "欢迎" {
			t.Errorf("welcome for an unnamed community = %q, want no name and no id", got)
		}
		if c == "xingfu" && !strings.Contains(got, "您所在社区：幸福社区") {
			t.Errorf("welcome = %q", got)
		}
	}
	if c, _ := st.UserCommunity(ctx, "u_new"); c != "laojie" || dir.byID["laojie"].ID != "laojie" {
		t.Errorf("unknown scene not registered and recorded: %q", c)
	}
	tests := []struct {
		openid, text string
		want, never  []string
	}{
		{"u_xf", "法律顾问", []string{"幸福社区的法律顾问", "王律师", "电话：0571-88880000", "转人工"}, []string{"律所", "值班时间"}},
		{"u_xf", "社区律师？", []string{"王律师"}, nil},
		{"u_dy", "法律顾问", []string{"东园社区暂未登记法律顾问", "转人工"}, []string{"电话"}},
		{"u_new", "法律顾问", []string{"您所在社区暂未登记法律顾问"}, []string{"laojie"}},
		{"u_none", "法律顾问", []string{"扫描所在社区", "转人工"}, nil},
	}
	for _, tt := range tests {
		got := send(t, r, Message{FromUserName: tt.openid, MsgType: TypeText, Content: tt.text})
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s asks %q: reply %q lacks %q", tt.openid, tt.text, got, w)
			}
		}
		for _, n := range tt.never {
			if strings.Contains(got, n) {
				t.Errorf("%s asks %q: reply %q shows %q, which is not registered", tt.openid, tt.text, got, n)
			}
		}
	}
	if got := send(t, r, Message{FromUserName: "u_xf", MsgType: TypeEvent, Event: EventClick, EventKey: AdviserMenuKey}); !strings.Contains(got, "王律师") {
		t.Errorf("menu click = %q", got)
	}
	if got := send(t, r, Message{FromUserName: "u_xf", MsgType: TypeText, Content: "法律顾问的职责是什么"}); got != "没听懂" {
		t.Errorf("a question mentioning 法律顾问 was taken by the command: %q", got)
	}
	dir.fail = true
	if got := send(t, r, Message{FromUserName: "u_xf", MsgType: TypeText, Content: "法律顾问"}); !strings.Contains(got, "暂时查不到") {
		t.Errorf("registry down: %q", got)
	}
}
