package wxsim

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestNewValidatesOptions(t *testing.T) {
	tests := []struct {
		name string
		opts Options
	}{
		{"no credentials", Options{}},
		{"unknown mode", Options{AppID: "a", AppSecret: "b", Mode: "secret"}},
		{"safe without key", Options{AppID: "a", AppSecret: "b", Mode: ModeSafe}},
		{"bad key", Options{AppID: "a", AppSecret: "b", Mode: ModeCompatible, EncodingAESKey: "short"}},
		{"relative callback", Options{AppID: "a", AppSecret: "b", Token: "t", CallbackURL: "/wechat"}},
		{"callback without token", Options{AppID: "a", AppSecret: "b", CallbackURL: "http://x/wechat"}},
		{"too many followers", Options{AppID: "a", AppSecret: "b", Followers: 1_000_000}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.opts); err == nil {
				t.Error("New succeeded, want an error")
			}
		})
	}
}

func TestTokenEndpoint(t *testing.T) {
	_, ts := newSim(t, Options{TokenTTL: time.Hour})
	tests := []struct {
		name, query string
		code        int
	}{
		{"ok", "grant_type=client_credential&appid=" + testAppID + "&secret=" + testSecret, 0},
		{"wrong secret", "grant_type=client_credential&appid=" + testAppID + "&secret=nope", 40125},
		{"wrong appid", "grant_type=client_credential&appid=wxother&secret=" + testSecret, 40013},
		{"wrong grant", "grant_type=password&appid=" + testAppID + "&secret=" + testSecret, 40002},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := call(t, ts, "/cgi-bin/token?"+tt.query, nil)
			if errcode(res) != tt.code {
				t.Fatalf("errcode = %v, want %d", res, tt.code)
			}
			if tt.code == 0 && (res["access_token"] == "" || num(res, "expires_in") != 3600) {
				t.Errorf("token response = %v", res)
			}
		})
	}
}

func TestTokenValidity(t *testing.T) {
	clock := newClock()
	sim, ts := newSim(t, Options{Now: clock.Now, TokenTTL: 2 * time.Hour})
	list := func(tok string) int { return errcode(call(t, ts, "/cgi-bin/user/get?access_token="+tok, nil)) }

	if c := list(""); c != 41001 {
		t.Errorf("missing token: errcode %d, want 41001", c)
	}
	if c := list("forged"); c != 40001 {
		t.Errorf("forged token: errcode %d, want 40001", c)
	}
	old := getToken(t, ts)
	if c := list(old); c != 0 {
		t.Fatalf("fresh token: errcode %d", c)
	}
	// A new token leaves the old one five minutes of grace.
	fresh := getToken(t, ts)
	clock.Add(4 * time.Minute)
	if c := list(old); c != 0 {
		t.Errorf("old token within grace: errcode %d, want 0", c)
	}
	clock.Add(2 * time.Minute)
	if c := list(old); c != 42001 {
		t.Errorf("old token after grace: errcode %d, want 42001", c)
	}
	if c := list(fresh); c != 0 {
		t.Errorf("new token: errcode %d", c)
	}
	clock.Add(2 * time.Hour)
	if c := list(fresh); c != 42001 {
		t.Errorf("expired token: errcode %d, want 42001", c)
	}
	fresh = getToken(t, ts)
	sim.InvalidateTokens()
	if c := list(fresh); c != 40001 {
		t.Errorf("invalidated token: errcode %d, want 40001", c)
	}
	if n := sim.Stats().TokensIssued; n != 3 {
		t.Errorf("tokens issued = %d, want 3", n)
	}
}

func TestStableToken(t *testing.T) {
	clock := newClock()
	_, ts := newSim(t, Options{Now: clock.Now})
	req := func(force bool, secret string) map[string]any {
		return call(t, ts, "/cgi-bin/stable_token", map[string]any{
			"grant_type": "client_credential", "appid": testAppID, "secret": secret, "force_refresh": force})
	}
	if c := errcode(req(false, "nope")); c != 40125 {
		t.Errorf("wrong secret: errcode %d, want 40125", c)
	}
	first := req(false, testSecret)
	clock.Add(time.Hour)
	again := req(false, testSecret)
	if again["access_token"] != first["access_token"] || num(again, "expires_in") != 3600 {
		t.Errorf("second fetch = %v, want the same token with 3600s left (first %v)", again, first)
	}
	forced := req(true, testSecret)
	if forced["access_token"] == first["access_token"] {
		t.Error("force_refresh returned the same token")
	}
	res := call(t, ts, "/cgi-bin/user/get?access_token="+first["access_token"].(string), nil)
	if errcode(res) != 40001 {
		t.Errorf("token replaced by force_refresh: %v, want 40001", res)
	}
}

func TestMassClientMsgID(t *testing.T) {
	clock := newClock()
	sim, ts := newSim(t, Options{Followers: 3, Now: clock.Now, TokenTTL: 100 * time.Hour})
	path := "/cgi-bin/message/mass/sendall?access_token=" + getToken(t, ts)
	send := func(id string) map[string]any {
		return call(t, ts, path, map[string]any{"filter": map[string]any{"is_to_all": true},
			"msgtype": "text", "text": map[string]any{"content": "停水通知"}, "clientmsgid": id})
	}

	first := send("campaign-42")
	if errcode(first) != 0 || first["errmsg"] != "send job submission success" || num(first, "msg_id") == 0 {
		t.Fatalf("first send = %v", first)
	}
	again := send("campaign-42")
	if errcode(again) != 45065 || num(again, "msg_id") != num(first, "msg_id") || num(again, "msg_data_id") != num(first, "msg_data_id") {
		t.Errorf("repeat = %v, want 45065 with the original ids %v", again, first)
	}
	if n := len(sim.Inbox("o_sim_000001")); n != 1 {
		t.Errorf("repeat delivered again: inbox has %d messages", n)
	}
	if c := errcode(send(strings.Repeat("x", 65))); c != 45067 {
		t.Errorf("65-byte clientmsgid: errcode %d, want 45067", c)
	}
	clock.Add(24 * time.Hour)
	if res := send("campaign-42"); errcode(res) != 0 || num(res, "msg_id") == num(first, "msg_id") {
		t.Errorf("after 24h = %v, want a new job", res)
	}
	if st := sim.Stats().Kinds[KindMass]; st.Duplicates != 3 || st.Messages != 6 {
		t.Errorf("mass stats = %+v, want 6 messages and 3 duplicates", st)
	}
}

func TestMassValidation(t *testing.T) {
	_, ts := newSim(t, Options{Followers: 3, MassRateLimit: -1})
	tok := getToken(t, ts)
	many := make([]string, 10001)
	for i := range many {
		many[i] = fmt.Sprintf("o_%d", i)
	}
	text := map[string]any{"content": "hi"}
	tests := []struct {
		name, path string
		body       map[string]any
		code       int
	}{
		{"one openid", "send", map[string]any{"touser": []string{"o_sim_000001"}, "msgtype": "text", "text": text}, 40130},
		{"10001 openids", "send", map[string]any{"touser": many, "msgtype": "text", "text": text}, 40130},
		{"two openids", "send", map[string]any{"touser": []string{"o_sim_000001", "o_x"}, "msgtype": "text", "text": text}, 0},
		{"empty text", "sendall", map[string]any{"filter": map[string]any{"is_to_all": true}, "msgtype": "text", "text": map[string]any{"content": ""}}, 44004},
		{"mpnews without media", "sendall", map[string]any{"filter": map[string]any{"is_to_all": true}, "msgtype": "mpnews", "mpnews": map[string]any{}}, 40007},
		{"no body for msgtype", "sendall", map[string]any{"filter": map[string]any{"is_to_all": true}, "msgtype": "voice"}, 40008},
		{"unknown tag", "sendall", map[string]any{"filter": map[string]any{"is_to_all": false, "tag_id": 7}, "msgtype": "text", "text": text}, 40050},
		{"no filter", "sendall", map[string]any{"msgtype": "text", "text": text}, 40035},
		{"preview non-follower", "preview", map[string]any{"touser": "o_x", "msgtype": "text", "text": text}, 43004},
		{"preview", "preview", map[string]any{"touser": "o_sim_000002", "msgtype": "text", "text": text}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := call(t, ts, "/cgi-bin/message/mass/"+tt.path+"?access_token="+tok, tt.body)
			if errcode(res) != tt.code {
				t.Errorf("response = %v, want errcode %d", res, tt.code)
			}
		})
	}
}

func TestMassRateLimit(t *testing.T) {
	clock := newClock()
	_, ts := newSim(t, Options{Followers: 2, MassRateLimit: 3, Now: clock.Now})
	path := "/cgi-bin/message/mass/sendall?access_token=" + getToken(t, ts)
	body := map[string]any{"filter": map[string]any{"is_to_all": true}, "msgtype": "text", "text": map[string]any{"content": "x"}}
	for i := range 3 {
		if c := errcode(call(t, ts, path, body)); c != 0 {
			t.Fatalf("send %d: errcode %d", i, c)
		}
	}
	if c := errcode(call(t, ts, path, body)); c != 45011 {
		t.Errorf("4th send in a minute: errcode %d, want 45011", c)
	}
	clock.Add(time.Minute)
	if c := errcode(call(t, ts, path, body)); c != 0 {
		t.Errorf("send a minute later: errcode %d", c)
	}
}

func TestMassFinishCallback(t *testing.T) {
	rc := newReceiver(t, func(int, received) (int, []byte) { return http.StatusOK, []byte("success") })
	sim, ts := newSim(t, Options{Followers: 3, Mode: ModeSafe, CallbackURL: rc.srv.URL, MassFinishDelay: 10 * time.Millisecond})
	tok := getToken(t, ts)
	draft := newDraft(t, ts, tok, "普法讲座")
	res := call(t, ts, "/cgi-bin/message/mass/send?access_token="+tok, map[string]any{
		"touser": []string{"o_sim_000001", "o_sim_000003", "o_gone", "o_sim_000001"}, "msgtype": "mpnews",
		"mpnews": map[string]any{"media_id": draft}, "send_ignore_reprint": 0})
	if errcode(res) != 0 {
		t.Fatalf("mass/send = %v", res)
	}
	waitFor(t, "MASSSENDJOBFINISH", func() bool { return len(rc.all()) == 1 })
	m := rc.all()[0].Msg
	if m.Event != "MASSSENDJOBFINISH" || m.MsgID != num(res, "msg_id") || m.Status != "send success" ||
		m.TotalCount != 3 || m.FilterCount != 2 || m.SentCount != 2 || m.ErrorCount != 0 || m.ToUserName != sim.opts.OriginalID {
		t.Errorf("event = %+v", m)
	}
	if got := sim.Inbox("o_sim_000003"); len(got) != 1 || got[0].Content != "mpnews:"+draft || len(got[0].Cards) != 1 {
		t.Errorf("inbox = %+v", got)
	}
}

func TestCloseCancelsPendingCallbacks(t *testing.T) {
	rc := newReceiver(t, func(int, received) (int, []byte) { return http.StatusOK, nil })
	sim, ts := newSim(t, Options{Followers: 2, CallbackURL: rc.srv.URL, MassFinishDelay: time.Hour})
	call(t, ts, "/cgi-bin/message/mass/sendall?access_token="+getToken(t, ts), map[string]any{
		"filter": map[string]any{"is_to_all": true}, "msgtype": "text", "text": map[string]any{"content": "x"}})
	done := make(chan struct{})
	go func() { sim.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Second):
		t.Fatal("Close did not cancel the pending MASSSENDJOBFINISH")
	}
	if n := len(rc.all()); n != 0 {
		t.Errorf("%d callbacks after Close", n)
	}
}

func TestCustomWindow(t *testing.T) {
	clock := newClock()
	rc := newReceiver(t, func(int, received) (int, []byte) { return http.StatusOK, nil })
	sim, ts := newSim(t, Options{Followers: 1, EnforceCustomWindow: true, CallbackURL: rc.srv.URL, Now: clock.Now, TokenTTL: 100 * time.Hour})
	path := "/cgi-bin/message/custom/send?access_token=" + getToken(t, ts)
	body := map[string]any{"touser": "o_sim_000001", "msgtype": "text", "text": map[string]any{"content": "回复您的咨询"}}
	if c := errcode(call(t, ts, path, body)); c != 45015 {
		t.Errorf("before any message: errcode %d, want 45015", c)
	}
	if _, err := sim.SendText(t.Context(), "o_sim_000001", "请问离婚怎么办"); err != nil {
		t.Fatal(err)
	}
	clock.Add(47 * time.Hour)
	if c := errcode(call(t, ts, path, body)); c != 0 {
		t.Errorf("within 48h: errcode %d", c)
	}
	clock.Add(2 * time.Hour)
	if c := errcode(call(t, ts, path, body)); c != 45015 {
		t.Errorf("after 48h: errcode %d, want 45015", c)
	}
}

func TestStatsDuplicates(t *testing.T) {
	sim, ts := newSim(t, Options{Followers: 3})
	path := "/cgi-bin/message/custom/send?access_token=" + getToken(t, ts)
	for _, m := range []struct{ to, text string }{
		{"o_sim_000001", "A"}, {"o_sim_000001", "A"}, {"o_sim_000001", "B"}, {"o_sim_000002", "A"}, {"o_sim_000001", "A"},
	} {
		call(t, ts, path, map[string]any{"touser": m.to, "msgtype": "text", "text": map[string]any{"content": m.text}})
	}
	st := sim.Stats()
	if got := st.Kinds[KindCustom]; got != (KindStats{Messages: 5, UniqueRecipients: 2, Duplicates: 2}) {
		t.Errorf("custom stats = %+v", got)
	}
	if st.Followers != 3 || st.APICalls["/cgi-bin/message/custom/send"] != 5 {
		t.Errorf("stats = %+v", st)
	}
	res := call(t, ts, "/sim/stats", nil)
	kinds, _ := res["kinds"].(map[string]any)
	custom, _ := kinds["custom"].(map[string]any)
	if num(custom, "duplicates") != 2 || num(res, "followers") != 3 {
		t.Errorf("/sim/stats = %v", res)
	}
}

func TestFaults(t *testing.T) {
	sim, ts := newSim(t, Options{Followers: 1})
	tok := getToken(t, ts)
	custom := func() (int, int, time.Duration) {
		start := time.Now()
		resp, err := http.Post(ts.URL+"/cgi-bin/message/custom/send?access_token="+tok, "application/json",
			strings.NewReader(`{"touser":"o_sim_000001","msgtype":"text","text":{"content":"x"}}`))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var code int
		fmt.Fscanf(resp.Body, `{"errcode":%d`, &code)
		return resp.StatusCode, code, time.Since(start)
	}

	sim.SetFault(Fault{API: "/cgi-bin/message/custom/send", Errcode: 45009, Count: 2})
	for i, want := range []int{45009, 45009, 0} {
		if _, code, _ := custom(); code != want {
			t.Errorf("call %d: errcode %d, want %d", i, code, want)
		}
	}

	sim.SetFault(Fault{HTTPStatus: http.StatusBadGateway})
	if status, _, _ := custom(); status != http.StatusBadGateway {
		t.Errorf("HTTP fault: status %d, want 502", status)
	}
	if res := call(t, ts, "/cgi-bin/token?grant_type=client_credential&appid="+testAppID+"&secret="+testSecret, nil); res["access_token"] == nil {
		t.Errorf("a fault without API must spare the token endpoint: %v", res)
	}

	sim.SetFault(Fault{API: "/cgi-bin/message/mass/sendall", Errcode: -1})
	if status, code, _ := custom(); status != http.StatusOK || code != 0 {
		t.Errorf("fault on another API leaked: status %d errcode %d", status, code)
	}

	sim.SetFault(Fault{API: "/custom/send", Latency: 150 * time.Millisecond})
	if _, code, took := custom(); code != 0 || took < 150*time.Millisecond {
		t.Errorf("latency fault: errcode %d after %v, want success after >=150ms", code, took)
	}

	sim.SetFault(Fault{})
	if _, code, took := custom(); code != 0 || took > 100*time.Millisecond {
		t.Errorf("after clearing: errcode %d after %v", code, took)
	}
	if n := len(sim.Inbox("o_sim_000001")); n != 4 {
		t.Errorf("delivered %d custom messages, want 4 (faulted calls deliver nothing)", n)
	}
}

func TestUnknownAPI(t *testing.T) {
	_, ts := newSim(t, Options{})
	resp, err := http.Get(ts.URL + "/cgi-bin/no/such/api")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("status %d, want 404", resp.StatusCode)
	}
}

func TestConcurrentUse(t *testing.T) {
	rc := newReceiver(t, func(_ int, r received) (int, []byte) {
		if r.Msg.MsgType != "text" {
			return http.StatusOK, []byte("success")
		}
		return http.StatusOK, textReply(r.Msg.FromUserName, "收到")
	})
	sim, ts := newSim(t, Options{Followers: 20, CallbackURL: rc.srv.URL, MassRateLimit: -1})
	tok := getToken(t, ts)
	var wg sync.WaitGroup
	for i := range 20 {
		openid := fmt.Sprintf("o_sim_%06d", i+1)
		wg.Go(func() {
			for j := range 5 {
				call(t, ts, "/cgi-bin/message/custom/send?access_token="+tok, map[string]any{
					"touser": openid, "msgtype": "text", "text": map[string]any{"content": fmt.Sprint(j)}})
				if _, err := sim.SendText(t.Context(), openid, "hi"); err != nil {
					t.Error(err)
				}
				sim.Stats()
			}
		})
		wg.Go(func() {
			call(t, ts, "/cgi-bin/message/mass/sendall?access_token="+tok, map[string]any{
				"filter": map[string]any{"is_to_all": true}, "msgtype": "text", "text": map[string]any{"content": "m"}})
			sim.Unsubscribe(fmt.Sprintf("o_extra_%d", i))
			sim.Subscribe(fmt.Sprintf("o_extra_%d", i))
		})
	}
	wg.Wait()
	st := sim.Stats()
	if st.Kinds[KindCustom].Messages != 100 || st.Replies != 100 || st.Followers != 40 {
		t.Errorf("stats = %+v", st)
	}
}

func TestTemplateClientMsgIDSendsOnce(t *testing.T) {
	s, ts := newSim(t, Options{Followers: 2})
	token := getToken(t, ts)
	send := func(clientMsgID string) map[string]any {
		return call(t, ts, "/cgi-bin/message/template/send?access_token="+token, map[string]any{
			"touser": "o_sim_000001", "template_id": "TPL", "client_msg_id": clientMsgID,
			"data": map[string]any{"first": map[string]string{"value": "民法典宣传月"}},
		})
	}
	first, repeat, other := send("c-1"), send("c-1"), send("c-2")
	if first["msgid"] != repeat["msgid"] || repeat["errcode"] != float64(0) {
		t.Errorf("a repeat must be answered with the first msgid: %v vs %v", first, repeat)
	}
	if other["msgid"] == first["msgid"] {
		t.Error("another client_msg_id must send anew")
	}
	ks := s.Stats().Kinds[KindTemplate]
	if ks.Messages != 2 || ks.Repeats != 1 {
		t.Errorf("template stats %+v, want 2 messages and 1 repeat", ks)
	}
}
