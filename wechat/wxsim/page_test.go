package wxsim

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestChatPage(t *testing.T) {
	_, ts := newSim(t, Options{})
	resp, err := http.Get(ts.URL + "/sim/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	page := string(body)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /sim/: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{"居民模拟器", "发送", "o_sim_demo", "你好", "转人工", "法律援助怎么申请", "/sim/api/inbox", "取消关注"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	// Content must only ever reach the DOM as text.
	for _, bad := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "http://", "https://"} {
		if strings.Contains(page, bad) {
			t.Errorf("page uses %q", bad)
		}
	}
}

func TestChatAPI(t *testing.T) {
	rc := newReceiver(t, func(_ int, r received) (int, []byte) {
		if r.Msg.MsgType == "event" {
			return http.StatusOK, textReply(r.Msg.FromUserName, "欢迎关注，场景 "+r.Msg.EventKey)
		}
		return http.StatusOK, textReply(r.Msg.FromUserName, "<script>alert(1)</script>")
	})
	sim, ts := newSim(t, Options{Followers: 1, CallbackURL: rc.srv.URL})

	res := call(t, ts, "/sim/api/send", map[string]any{"openid": "o_sim_demo", "content": "你好"})
	if res["content"] != "<script>alert(1)</script>" || res["msg_type"] != "text" || num(res, "attempts") != 1 || res["error"] != nil {
		t.Errorf("send = %v", res)
	}
	res = call(t, ts, "/sim/api/event", map[string]any{"openid": "o_sim_demo", "event": "subscribe", "scene": "c12"})
	if res["content"] != "欢迎关注，场景 qrscene_c12" {
		t.Errorf("event = %v", res)
	}
	call(t, ts, "/cgi-bin/message/custom/send?access_token="+getToken(t, ts),
		map[string]any{"touser": "o_sim_demo", "msgtype": "text", "text": map[string]any{"content": "律师稍后联系您"}})

	inbox := call(t, ts, "/sim/api/inbox?openid=o_sim_demo", nil)
	msgs, _ := inbox["messages"].([]any)
	if len(msgs) != 3 || inbox["follower"] != true {
		t.Fatalf("inbox = %v", inbox)
	}
	if last, _ := msgs[2].(map[string]any); last["kind"] != "custom" || last["content"] != "律师稍后联系您" {
		t.Errorf("last inbox entry = %v", msgs[2])
	}
	if n := len(sim.Inbox("o_sim_demo")); n != 3 {
		t.Errorf("Inbox has %d entries, want 2 replies and 1 custom message", n)
	}

	for _, bad := range []map[string]any{
		{"openid": "<img>", "content": "x"},
		{"openid": "o_ok", "content": ""},
	} {
		resp, err := http.Post(ts.URL+"/sim/api/send", "application/json", strings.NewReader(mustJSON(t, bad)))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("send %v: status %d, want 400", bad, resp.StatusCode)
		}
	}
}

func TestChatAPIReportsBrokenReply(t *testing.T) {
	rc := newReceiver(t, func(_ int, r received) (int, []byte) { return http.StatusOK, textReply(r.Msg.FromUserName, "") })
	_, ts := newSim(t, Options{CallbackURL: rc.srv.URL})
	res := call(t, ts, "/sim/api/send", map[string]any{"openid": "o_g", "content": "hi"})
	if res["broken"] != true || !strings.Contains(res["error"].(string), "empty content") {
		t.Errorf("send = %v, want a broken-service error", res)
	}
}
