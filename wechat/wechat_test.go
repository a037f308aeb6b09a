package wechat

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/silenceper/wechat/v2/officialaccount/broadcast"
	"github.com/silenceper/wechat/v2/officialaccount/menu"
	"github.com/sirupsen/logrus"

	"github.com/pufa-dev/pufa/store/storetest"
)

func TestNewValidatesConfig(t *testing.T) {
	ts := storetest.New(t)
	tests := []struct {
		name string
		cfg  Config
		ts   TokenStore
		want string
	}{
		{"no appid", Config{AppSecret: "s"}, ts, "AppID is empty"},
		{"no secret", Config{AppID: testAppID}, ts, "AppSecret is empty"},
		{"padded appid", Config{AppID: testAppID + " ", AppSecret: "s"}, ts, "AppID has leading or trailing whitespace"},
		{"padded secret", Config{AppID: testAppID, AppSecret: "s\n"}, ts, "AppSecret has leading or trailing whitespace"},
		{"no store", Config{AppID: testAppID, AppSecret: "s"}, nil, "token store is nil"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg, tt.ts, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New() error = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestStableTokenSharedThroughStore(t *testing.T) {
	f := newFake(t)
	ts := storetest.New(t)
	c, _ := newClient(t, ts)
	ctx := context.Background()

	for range 3 {
		if err := c.SendText(ctx, "o1", "hi"); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.count("/cgi-bin/stable_token"); n != 1 {
		t.Errorf("stable_token calls = %d, want 1", n)
	}
	if n := f.count("/cgi-bin/token"); n != 0 {
		t.Errorf("classic /cgi-bin/token calls = %d, want 0 (UseStableAK)", n)
	}
	body := f.requests("/cgi-bin/stable_token")[0].json(t)
	want := map[string]any{"grant_type": "client_credential", "appid": testAppID, "secret": testSecret, "force_refresh": false}
	if !reflect.DeepEqual(body, want) {
		t.Errorf("stable_token body = %v, want %v", body, want)
	}
	// The key the SDK reads is the one Client invalidates.
	if c.tokenKey != "gowechat_officialaccount__stable_access_token_"+testAppID {
		t.Errorf("tokenKey = %q", c.tokenKey)
	}
	if v, ok, err := ts.CacheGet(ctx, c.tokenKey); err != nil || !ok || v != "tok-1" {
		t.Errorf("store[%s] = %q, %v, %v; want tok-1", c.tokenKey, v, ok, err)
	}
	// A second replica over the same store fetches nothing.
	c2, _ := newClient(t, ts)
	if err := c2.SendText(ctx, "o1", "hi"); err != nil {
		t.Fatal(err)
	}
	if n := f.count("/cgi-bin/stable_token"); n != 1 {
		t.Errorf("stable_token calls after second replica = %d, want 1", n)
	}
}

func TestSendText(t *testing.T) {
	f := newFake(t)
	c, _ := newClient(t, nil)
	if err := c.SendText(context.Background(), "oUser1", "您好 <法律> & 咨询"); err != nil {
		t.Fatal(err)
	}
	reqs := f.requests("/cgi-bin/message/custom/send")
	if len(reqs) != 1 {
		t.Fatalf("custom send calls = %d, want 1", len(reqs))
	}
	if reqs[0].Token != "tok-1" {
		t.Errorf("access_token = %q, want tok-1", reqs[0].Token)
	}
	got := reqs[0].json(t)
	want := map[string]any{"touser": "oUser1", "msgtype": "text", "text": map[string]any{"content": "您好 <法律> & 咨询"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("body = %v, want %v", got, want)
	}
	if err := c.SendText(context.Background(), "", "x"); !errors.Is(err, ErrInvalidRequest) {
		t.Errorf("empty openid: err = %v, want ErrInvalidRequest", err)
	}
}

func TestSendTextErrors(t *testing.T) {
	f := newFake(t)
	c, _ := newClient(t, nil)
	f.script("/cgi-bin/message/custom/send",
		`{"errcode":45015,"errmsg":"response out of time limit or subscription is canceled"}`,
		`{"errcode":-1,"errmsg":"system error"}`)

	err := c.SendText(context.Background(), "o1", "x")
	var ae *APIError
	if !errors.As(err, &ae) || ae.Code != 45015 || ae.API != "custom send" || !IsPermanent(err) {
		t.Errorf("err = %#v, want permanent APIError 45015", err)
	}
	err = c.SendText(context.Background(), "o1", "x")
	if code, _ := ErrCode(err); code != -1 || !IsTransient(err) {
		t.Errorf("err = %v, want transient -1", err)
	}
}

func TestSendTemplate(t *testing.T) {
	f := newFake(t)
	c, _ := newClient(t, nil)
	id, err := c.SendTemplate(context.Background(), TemplateMessage{
		ToUser: "oUser1", TemplateID: "tpl-1", URL: "https://example.org/a", ClientMsgID: "c-1",
		Data: map[string]TemplateField{"thing1": {Value: "普法讲座"}, "time2": {Value: "3月5日", Color: "#173177"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if id != 200228332 {
		t.Errorf("msgid = %d", id)
	}
	got := f.requests("/cgi-bin/message/template/send")[0].json(t)
	want := map[string]any{
		"touser": "oUser1", "template_id": "tpl-1", "url": "https://example.org/a", "client_msg_id": "c-1",
		"data": map[string]any{
			"thing1": map[string]any{"value": "普法讲座"},
			"time2":  map[string]any{"value": "3月5日", "color": "#173177"},
		},
		// The SDK always sends an empty miniprogram object (WECHAT.md).
		"miniprogram": map[string]any{"appid": "", "pagepath": ""},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("body = %v\nwant %v", got, want)
	}

	f.script("/cgi-bin/message/template/send", `{"errcode":43004,"errmsg":"require subscribe rid: 6412a3c1"}`)
	_, err = c.SendTemplate(context.Background(), TemplateMessage{ToUser: "o2", TemplateID: "tpl-1"})
	if code, ok := ErrCode(err); !ok || code != 43004 || !IsPermanent(err) {
		t.Errorf("err = %v, want permanent 43004", err)
	}
	if want := "wechat: template send: errcode=43004 require subscribe rid: 6412a3c1"; err.Error() != want {
		t.Errorf("Error() = %q, want %q", err, want)
	}
}

func TestTokenErrorRefreshesAndRetriesOnce(t *testing.T) {
	f := newFake(t)
	f.tokens = []string{"tok-1", "tok-2"}
	f.invalid["tok-1"] = true
	ts := storetest.New(t)
	c, _ := newClient(t, ts)
	ctx := context.Background()

	if err := c.SendText(ctx, "o1", "x"); err != nil {
		t.Fatal(err)
	}
	if n := f.count("/cgi-bin/stable_token"); n != 2 {
		t.Errorf("stable_token calls = %d, want 2 (one refetch)", n)
	}
	var used []string
	for _, r := range f.requests("/cgi-bin/message/custom/send") {
		used = append(used, r.Token)
	}
	if !reflect.DeepEqual(used, []string{"tok-1", "tok-2"}) {
		t.Errorf("tokens used = %v, want [tok-1 tok-2] (one retry)", used)
	}
	if v, _, _ := ts.CacheGet(ctx, c.tokenKey); v != "tok-2" {
		t.Errorf("stored token = %q, want tok-2", v)
	}

	// Calls the package sends itself follow the same path.
	f.mu.Lock()
	f.tokens = append(f.tokens, "tok-3")
	f.invalid["tok-2"] = true
	f.mu.Unlock()
	if _, err := c.Tags(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.MassSend(ctx, MassRequest{ToAll: true, MsgType: MsgTypeText, Text: "x", ClientMsgID: "m1"}); err != nil {
		t.Fatal(err)
	}
	if n := f.count("/cgi-bin/stable_token"); n != 3 {
		t.Errorf("stable_token calls = %d, want 3", n)
	}
}

func TestTokenErrorRetriesOnlyOnce(t *testing.T) {
	f := newFake(t)
	f.tokens = []string{"tok-1", "tok-2", "tok-3"}
	f.invalid["tok-1"], f.invalid["tok-2"], f.invalid["tok-3"] = true, true, true
	c, _ := newClient(t, nil)

	err := c.SendText(context.Background(), "o1", "x")
	if !IsTokenError(err) {
		t.Fatalf("err = %v, want a token error", err)
	}
	if n := f.count("/cgi-bin/message/custom/send"); n != 2 {
		t.Errorf("custom send calls = %d, want 2", n)
	}
	if n := f.count("/cgi-bin/stable_token"); n != 2 {
		t.Errorf("stable_token calls = %d, want 2", n)
	}
}

// A replica that already replaced the failed token must keep its token:
// compare-and-delete only removes the value that failed.
func TestTokenRefreshDoesNotClobberOtherReplica(t *testing.T) {
	f := newFake(t)
	f.tokens = []string{"tok-1", "tok-2"}
	f.invalid["tok-1"] = true
	ts := storetest.New(t)
	a, _ := newClient(t, ts)
	b, _ := newClient(t, ts)
	ctx := context.Background()

	var once sync.Once
	var berr error
	f.hook = func(r fakeReq) {
		if r.Path != "/cgi-bin/message/custom/send" {
			return
		}
		// While a's request with tok-1 is in flight, b meets the same
		// stale token and refreshes it to tok-2.
		once.Do(func() { _, berr = b.Followers(ctx, "") })
	}
	if err := a.SendText(ctx, "o1", "x"); err != nil {
		t.Fatal(err)
	}
	if berr != nil {
		t.Fatalf("replica b: %v", berr)
	}
	if n := f.count("/cgi-bin/stable_token"); n != 2 {
		t.Errorf("stable_token calls = %d, want 2: a must reuse b's tok-2, not delete it", n)
	}
	if v, _, _ := ts.CacheGet(ctx, a.tokenKey); v != "tok-2" {
		t.Errorf("stored token = %q, want tok-2", v)
	}
	var used []string
	for _, r := range f.requests("/cgi-bin/message/custom/send") {
		used = append(used, r.Token)
	}
	if !reflect.DeepEqual(used, []string{"tok-1", "tok-2"}) {
		t.Errorf("a used %v, want [tok-1 tok-2]", used)
	}
}

func TestTokenFetchError(t *testing.T) {
	f := newFake(t)
	c, _ := newClient(t, nil)
	f.srv.Close() // connection refused
	err := c.SendText(context.Background(), "o1", "x")
	if err == nil || !IsTransient(err) {
		t.Fatalf("err = %v, want transient", err)
	}
	if strings.Contains(err.Error(), testSecret) {
		t.Errorf("error leaks the secret: %v", err)
	}
}

func TestCanceledContextMakesNoCall(t *testing.T) {
	f := newFake(t)
	c, _ := newClient(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.SendText(ctx, "o1", "x"); !errors.Is(err, context.Canceled) || IsTransient(err) {
		t.Errorf("err = %v, want context.Canceled, not transient", err)
	}
	if n := f.total(); n != 0 {
		t.Errorf("%d HTTP calls, want 0", n)
	}
}

func TestPreviewDoesNotPoisonMassSend(t *testing.T) {
	f := newFake(t)
	c, _ := newClient(t, nil)
	ctx := context.Background()

	if err := c.Preview(ctx, "oStaff", "预览内容"); err != nil {
		t.Fatal(err)
	}
	if err := c.PreviewNews(ctx, "oStaff", "media-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.MassSend(ctx, MassRequest{ToAll: true, MsgType: MsgTypeText, Text: "正式", ClientMsgID: "a"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.MassSend(ctx, MassRequest{OpenIDs: []string{"o1", "o2"}, MsgType: MsgTypeText, Text: "正式", ClientMsgID: "b"}); err != nil {
		t.Fatal(err)
	}
	// The account's shared Broadcast was never flipped into preview mode:
	// a tag send through it still goes to sendall.
	if _, err := c.oa.GetBroadcast().SendText(&broadcast.User{TagID: 2}, "shared"); err != nil {
		t.Fatalf("shared SDK Broadcast after Preview: %v", err)
	}
	if err := c.Preview(ctx, "oStaff", "again"); err != nil {
		t.Fatal(err)
	}
	if err := c.CreateMenu(ctx, []*menu.Button{new(menu.Button).SetClickButton("咨询", "ASK")}); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"/cgi-bin/message/mass/preview", "/cgi-bin/message/mass/preview",
		"/cgi-bin/message/mass/sendall", "/cgi-bin/message/mass/send",
		"/cgi-bin/message/mass/sendall", "/cgi-bin/message/mass/preview", "/cgi-bin/menu/create",
	}
	if got := f.paths(); !reflect.DeepEqual(got, want) {
		t.Errorf("paths = %v\nwant %v", got, want)
	}
	pv := f.requests("/cgi-bin/message/mass/preview")
	if got, want := pv[0].json(t), map[string]any{"touser": "oStaff", "msgtype": "text", "text": map[string]any{"content": "预览内容"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("preview body = %v, want %v", got, want)
	}
	if got, want := pv[1].json(t), map[string]any{"touser": "oStaff", "msgtype": "mpnews", "mpnews": map[string]any{"media_id": "media-1"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("preview news body = %v, want %v", got, want)
	}

	// Without an openid the SDK would post to an empty URL (or, with a nil
	// user, to every follower): refused before any call.
	before := f.total()
	if err := c.Preview(ctx, "", "x"); !errors.Is(err, ErrInvalidRequest) {
		t.Errorf("empty openid: err = %v", err)
	}
	if f.total() != before {
		t.Error("a rejected preview made HTTP calls")
	}
}

func TestPreviewError(t *testing.T) {
	f := newFake(t)
	c, _ := newClient(t, nil)
	f.script("/cgi-bin/message/mass/preview", `{"errcode":40003,"errmsg":"invalid openid"}`)
	err := c.Preview(context.Background(), "oBad", "x")
	var ae *APIError
	if !errors.As(err, &ae) || ae.Code != 40003 || ae.API != "mass preview" || !IsPermanent(err) {
		t.Errorf("err = %#v, want permanent APIError 40003", err)
	}
}

func TestFollowers(t *testing.T) {
	f := newFake(t)
	c, _ := newClient(t, nil)
	ctx := context.Background()
	f.script("/cgi-bin/user/get",
		`{"total":3,"count":2,"data":{"openid":["o1","o2"]},"next_openid":"o2"}`,
		`{"total":3,"count":1,"data":{"openid":["o3"]},"next_openid":"o3"}`,
		`{"total":3,"count":2,"data":{"openid":["o1","o2"]},"next_openid":"o2"}`,
	)
	all, err := c.AllFollowers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(all, []string{"o1", "o2", "o3"}) {
		t.Errorf("AllFollowers = %v", all)
	}
	reqs := f.requests("/cgi-bin/user/get")
	if len(reqs) != 2 || reqs[0].Query.Has("next_openid") || reqs[1].Query.Get("next_openid") != "o2" {
		t.Errorf("requests = %+v, want 2 with next_openid unset then o2", reqs)
	}

	page, err := c.Followers(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	want := FollowerPage{Total: 3, Count: 2, OpenIDs: []string{"o1", "o2"}, Next: "o2"}
	if !reflect.DeepEqual(page, want) {
		t.Errorf("Followers = %+v, want %+v", page, want)
	}

	f.script("/cgi-bin/user/get", `{"errcode":45009,"errmsg":"reach max api daily quota limit"}`)
	_, err = c.AllFollowers(ctx)
	if code, _ := ErrCode(err); code != 45009 || !IsTransient(err) || IsPermanent(err) {
		t.Errorf("err = %v, want transient 45009", err)
	}
}

func TestTags(t *testing.T) {
	f := newFake(t)
	c, _ := newClient(t, nil)
	ctx := context.Background()

	tags, err := c.Tags(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []Tag{{ID: 2, Name: "星标组"}, {ID: 127, Name: "社区一", Count: 5}}
	if !reflect.DeepEqual(tags, want) {
		t.Errorf("Tags = %+v", tags)
	}
	// The SDK's GetTag would return an empty list here.
	f.script("/cgi-bin/tags/get", `{"errcode":48001,"errmsg":"api unauthorized"}`)
	if _, err := c.Tags(ctx); !IsPermanent(err) {
		t.Errorf("err = %v, want permanent 48001", err)
	}

	f.script("/cgi-bin/user/tag/get",
		`{"count":2,"data":{"openid":["o1","o2"]},"next_openid":"o2"}`,
		`{"count":1,"data":{"openid":["o3"]},"next_openid":"o3"}`,
		`{"count":0,"next_openid":""}`,
	)
	all, err := c.AllTagFollowers(ctx, 3_000_000_000)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(all, []string{"o1", "o2", "o3"}) {
		t.Errorf("AllTagFollowers = %v", all)
	}
	reqs := f.requests("/cgi-bin/user/tag/get")
	if len(reqs) != 3 {
		t.Fatalf("tag/get calls = %d, want 3", len(reqs))
	}
	for i, next := range []string{"", "o2", "o3"} {
		got := reqs[i].json(t)
		// tagid beyond int32: the SDK would have truncated it.
		if got["tagid"] != float64(3_000_000_000) || got["next_openid"] != next {
			t.Errorf("request %d = %v", i, got)
		}
	}

	f.script("/cgi-bin/user/tag/get", `{"errcode":40032,"errmsg":"invalid openid list size"}`)
	if _, err := c.TagFollowers(ctx, 2, ""); err == nil {
		t.Error("TagFollowers ignored errcode")
	}
}

func TestCreateMenu(t *testing.T) {
	f := newFake(t)
	c, _ := newClient(t, nil)
	ctx := context.Background()
	buttons := []*menu.Button{
		new(menu.Button).SetClickButton("法律咨询", "ASK"),
		new(menu.Button).SetSubButton("更多", []*menu.Button{new(menu.Button).SetViewButton("官网", "https://example.org")}),
	}
	if err := c.CreateMenu(ctx, buttons); err != nil {
		t.Fatal(err)
	}
	got := f.requests("/cgi-bin/menu/create")[0].json(t)
	want := map[string]any{"button": []any{
		map[string]any{"type": "click", "name": "法律咨询", "key": "ASK"},
		map[string]any{"name": "更多", "sub_button": []any{map[string]any{"type": "view", "name": "官网", "url": "https://example.org"}}},
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("body = %v\nwant %v", got, want)
	}
	f.script("/cgi-bin/menu/create", `{"errcode":40016,"errmsg":"invalid button size"}`)
	if code, _ := ErrCode(c.CreateMenu(ctx, buttons)); code != 40016 {
		t.Errorf("errcode = %d, want 40016", code)
	}
	if err := c.CreateMenu(ctx, make([]*menu.Button, 4)); !errors.Is(err, ErrInvalidRequest) {
		t.Errorf("4 buttons: err = %v", err)
	}
}

// No resident's message may reach the logs, whatever the logrus level: the
// SDK logs through logrus, pufa through slog.
func TestNoMessageContentInLogs(t *testing.T) {
	level, out := logrus.GetLevel(), logrus.StandardLogger().Out
	t.Cleanup(func() { logrus.SetLevel(level); logrus.SetOutput(out) })

	f := newFake(t)
	levelBefore := logrus.GetLevel()
	c, logs := newClient(t, nil)
	if got := logrus.GetLevel(); got != levelBefore {
		t.Fatalf("New changed the logrus level from %v to %v", levelBefore, got)
	}

	var buf syncBuffer
	logrus.SetOutput(&buf)
	logrus.SetLevel(logrus.TraceLevel)
	f.tokens = []string{"tok-secret-1", "tok-secret-2"}
	f.invalid["tok-secret-1"] = true
	const content = "居民隐私-离婚咨询-7f3a9c"
	ctx := context.Background()
	if err := c.SendText(ctx, "oResident", content); err != nil {
		t.Fatal(err)
	}
	f.script("/cgi-bin/message/custom/send", `{"errcode":45015,"errmsg":"response out of time limit"}`)
	_ = c.SendText(ctx, "oResident", content)
	_ = c.Preview(ctx, "oStaff", content)
	_, _ = c.MassSend(ctx, MassRequest{ToAll: true, MsgType: MsgTypeText, Text: content, ClientMsgID: "m"})

	for name, s := range map[string]string{"logrus": buf.String(), "slog": logs.String()} {
		for _, secret := range []string{content, "tok-secret", testSecret} {
			if strings.Contains(s, secret) {
				t.Errorf("%s output contains %q:\n%s", name, secret, s)
			}
		}
	}
}

func TestAPIBaseModifier(t *testing.T) {
	for _, base := range []string{"", APIBase, APIBase + "/"} {
		if apiBaseModifier(base) != nil {
			t.Errorf("apiBaseModifier(%q) != nil", base)
		}
	}
	m := apiBaseModifier("http://wxsim:8080/")
	tests := map[string]string{
		"https://api.weixin.qq.com/cgi-bin/stable_token":            "http://wxsim:8080/cgi-bin/stable_token",
		"https://api.weixin.qq.com/cgi-bin/user/get?access_token=x": "http://wxsim:8080/cgi-bin/user/get?access_token=x",
		"https://qyapi.weixin.qq.com/cgi-bin/gettoken":              "https://qyapi.weixin.qq.com/cgi-bin/gettoken",
	}
	for in, want := range tests {
		if got := m(in); got != want {
			t.Errorf("modifier(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestHTTPClient(t *testing.T) {
	if c := HTTPClient(7 * time.Second); c.Timeout != 7*time.Second || c.Transport == nil {
		t.Errorf("HTTPClient = %+v", c)
	}
}

func ExampleClientMsgID() {
	fire := time.Date(2025, 3, 5, 9, 0, 0, 0, time.UTC)
	fmt.Println(ClientMsgID("law-week", fire, 3))
	// Output: law-week-1741165200-3
}
