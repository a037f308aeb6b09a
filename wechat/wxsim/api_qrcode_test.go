package wxsim

import (
	"context"
	"image/png"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestQRCodeCreateAndShow(t *testing.T) {
	sim, ts := newSim(t, Options{})
	tok := getToken(t, ts)
	create := func(body any) map[string]any {
		return call(t, ts, "/cgi-bin/qrcode/create?access_token="+tok, body)
	}
	scene := func(s string) map[string]any {
		return map[string]any{"action_name": "QR_LIMIT_STR_SCENE", "action_info": map[string]any{"scene": map[string]any{"scene_str": s}}}
	}
	res := create(scene("xingfu"))
	ticket, _ := res["ticket"].(string)
	u, _ := res["url"].(string)
	if ticket == "" || u != "http://weixin.qq.com/q/"+ticket {
		t.Fatalf("create = %v", res)
	}
	if again := create(scene("xingfu")); again["ticket"] != ticket {
		t.Errorf("same scene, new ticket: %v", again)
	}
	if other := create(scene("dongyuan")); other["ticket"] == ticket {
		t.Error("two scenes share a ticket")
	}
	tests := []struct {
		name string
		body any
		code int
	}{
		{"temporary codes are not simulated", map[string]any{"action_name": "QR_STR_SCENE"}, 40053},
		{"empty scene", scene(""), 40051},
		{"scene over 64 bytes", scene(strings.Repeat("x", 65)), 40051},
	}
	for _, tt := range tests {
		if got := errcode(create(tt.body)); got != tt.code {
			t.Errorf("%s: errcode %d, want %d", tt.name, got, tt.code)
		}
	}
	if got := errcode(call(t, ts, "/cgi-bin/qrcode/create?access_token=bad", scene("x"))); got != 40001 {
		t.Errorf("bad token: errcode %d", got)
	}

	resp, err := http.Get(ts.URL + "/cgi-bin/showqrcode?" + url.Values{"ticket": {ticket}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("showqrcode content type %q", resp.Header.Get("Content-Type"))
	}
	img, err := png.Decode(resp.Body)
	if err != nil || img.Bounds().Dx() != 430 {
		t.Fatalf("showqrcode image: %v, %v", img.Bounds(), err)
	}
	if got := errcode(call(t, ts, "/cgi-bin/showqrcode?ticket=nosuch", nil)); got != 40097 {
		t.Errorf("unknown ticket: errcode %d", got)
	}
	if s, ok := sim.QRScene(u); !ok || s != "xingfu" {
		t.Errorf("QRScene(url) = %q, %v", s, ok)
	}
	if _, err := sim.ScanQRCode(context.Background(), "o_x", "nosuch"); err == nil {
		t.Error("scanning an unknown code succeeded")
	}
}

// TestChatPageFollowsFromAQRCodeURL: pasting the URL a poster's code
// carries into the chat page's scene field follows with its scene.
func TestChatPageFollowsFromAQRCodeURL(t *testing.T) {
	rc := newReceiver(t, func(_ int, r received) (int, []byte) {
		return http.StatusOK, textReply(r.Msg.FromUserName, "欢迎，场景 "+r.Msg.EventKey)
	})
	_, ts := newSim(t, Options{CallbackURL: rc.srv.URL})
	res := call(t, ts, "/cgi-bin/qrcode/create?access_token="+getToken(t, ts),
		map[string]any{"action_name": "QR_LIMIT_STR_SCENE", "action_info": map[string]any{"scene": map[string]any{"scene_str": "xingfu"}}})
	u, _ := res["url"].(string)
	res = call(t, ts, "/sim/api/event", map[string]any{"openid": "o_page", "event": "subscribe", "scene": u})
	if res["content"] != "欢迎，场景 qrscene_xingfu" {
		t.Errorf("follow from the code's URL = %v", res)
	}
	if got := rc.all(); len(got) != 1 || got[0].Msg.Ticket == "" {
		t.Errorf("the follow carries no Ticket: %+v", got)
	}
}
