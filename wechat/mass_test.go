package wechat

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pufa-dev/pufa/chinatime"
)

func TestMassSendRequests(t *testing.T) {
	tests := []struct {
		name string
		req  MassRequest
		path string
		body map[string]any
		want MassResult
	}{
		{
			name: "all followers, text",
			req:  MassRequest{ToAll: true, MsgType: MsgTypeText, Text: "宪法宣传周 <活动>", ClientMsgID: "c-all"},
			path: "/cgi-bin/message/mass/sendall",
			body: map[string]any{
				"filter":  map[string]any{"is_to_all": true},
				"msgtype": "text", "text": map[string]any{"content": "宪法宣传周 <活动>"},
				"clientmsgid": "c-all",
			},
			want: MassResult{MsgID: 34182, MsgDataID: 206227730},
		},
		{
			name: "tag, mpnews",
			req:  MassRequest{TagID: 127, MsgType: MsgTypeMPNews, MediaID: "media-9", SendIgnoreReprint: 1, ClientMsgID: "c-tag"},
			path: "/cgi-bin/message/mass/sendall",
			body: map[string]any{
				"filter":  map[string]any{"is_to_all": false, "tag_id": float64(127)},
				"msgtype": "mpnews", "mpnews": map[string]any{"media_id": "media-9"},
				"send_ignore_reprint": float64(1), "clientmsgid": "c-tag",
			},
			want: MassResult{MsgID: 34182, MsgDataID: 206227730},
		},
		{
			name: "openids, mpnews without reprint",
			req:  MassRequest{OpenIDs: []string{"o1", "o2", "o3"}, MsgType: MsgTypeMPNews, MediaID: "media-9", ClientMsgID: "c-ids"},
			path: "/cgi-bin/message/mass/send",
			body: map[string]any{
				"touser":  []any{"o1", "o2", "o3"},
				"msgtype": "mpnews", "mpnews": map[string]any{"media_id": "media-9"},
				"send_ignore_reprint": float64(0), "clientmsgid": "c-ids",
			},
			want: MassResult{MsgID: 34183, MsgDataID: 206227731},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			c, _ := newClient(t, nil)
			res, err := c.MassSend(context.Background(), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if res != tt.want {
				t.Errorf("result = %+v, want %+v", res, tt.want)
			}
			if got := f.paths(); !reflect.DeepEqual(got, []string{tt.path}) {
				t.Fatalf("paths = %v, want [%s]", got, tt.path)
			}
			r := f.requests(tt.path)[0]
			if r.Token != "tok-1" {
				t.Errorf("access_token = %q", r.Token)
			}
			if got := r.json(t); !reflect.DeepEqual(got, tt.body) {
				t.Errorf("body = %v\nwant %v", got, tt.body)
			}
		})
	}
}

func TestMassSendDuplicateIsSuccess(t *testing.T) {
	f := newFake(t)
	c, logs := newClient(t, nil)
	f.script("/cgi-bin/message/mass/sendall",
		`{"errcode":45065,"errmsg":"clientmsgid exist","msg_id":1000001,"msg_data_id":2000002}`)
	res, err := c.MassSend(context.Background(), MassRequest{ToAll: true, MsgType: MsgTypeText, Text: "x", ClientMsgID: "c-1"})
	if err != nil {
		t.Fatalf("45065 must be success, got %v", err)
	}
	if want := (MassResult{MsgID: 1000001, MsgDataID: 2000002, Duplicate: true}); res != want {
		t.Errorf("result = %+v, want %+v", res, want)
	}
	if !strings.Contains(logs.String(), "msg_id=1000001") {
		t.Errorf("duplicate not logged: %s", logs)
	}
}

func TestMassSendErrors(t *testing.T) {
	f := newFake(t)
	c, _ := newClient(t, nil)
	req := MassRequest{ToAll: true, MsgType: MsgTypeText, Text: "x", ClientMsgID: "c-1"}
	ctx := context.Background()
	now := time.Date(2025, 3, 5, 23, 30, 0, 0, chinatime.Zone)

	tests := []struct {
		name          string
		status        int
		body          string
		code          int
		perm, trans   bool
		retryAfter    time.Duration
		errorContains string
	}{
		{"no quota", 0, `{"errcode":45028,"errmsg":"has no masssend quota"}`, 45028, true, false, 0, "errcode=45028"},
		{"agreement", 0, `{"errcode":48003,"errmsg":"user not agree mass-send protocol"}`, 48003, true, false, 0, ""},
		{"too fast", 0, `{"errcode":45066,"errmsg":"same clientmsgid retry too fast"}`, 45066, false, true, time.Minute, ""},
		{"busy", 0, `{"errcode":-1,"errmsg":"system error"}`, -1, false, true, 0, ""},
		{"daily quota", 0, `{"errcode":45009,"errmsg":"reach max api daily quota limit"}`, 45009, false, true, 30 * time.Minute, ""},
		{"bad gateway", http.StatusBadGateway, `<html>bad gateway</html>`, 0, false, true, 0, "http status 502"},
		{"garbage", 0, `<html>`, 0, false, false, 0, "decode response"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.scriptStatus("/cgi-bin/message/mass/sendall", tt.status, tt.body)
			_, err := c.MassSend(ctx, req)
			if err == nil {
				t.Fatal("no error")
			}
			if code, _ := ErrCode(err); code != tt.code {
				t.Errorf("ErrCode = %d, want %d", code, tt.code)
			}
			if IsPermanent(err) != tt.perm || IsTransient(err) != tt.trans {
				t.Errorf("permanent=%v transient=%v, want %v %v (%v)", IsPermanent(err), IsTransient(err), tt.perm, tt.trans, err)
			}
			if got := RetryAfter(err, now); got != tt.retryAfter {
				t.Errorf("RetryAfter = %v, want %v", got, tt.retryAfter)
			}
			if !strings.Contains(err.Error(), tt.errorContains) || strings.Contains(err.Error(), "tok-1") {
				t.Errorf("Error() = %q, want it to contain %q and no token", err, tt.errorContains)
			}
		})
	}
}

func TestMassSendRejectsLocally(t *testing.T) {
	f := newFake(t)
	c, _ := newClient(t, nil)
	ids := func(n int) []string {
		s := make([]string, n)
		for i := range s {
			s[i] = fmt.Sprintf("o%d", i)
		}
		return s
	}
	text := func(r MassRequest) MassRequest {
		r.MsgType, r.Text = MsgTypeText, "x"
		if r.ClientMsgID == "" {
			r.ClientMsgID = "c-1"
		}
		return r
	}
	tests := []struct {
		name string
		req  MassRequest
		code int // 0: ErrInvalidRequest
	}{
		{"clientmsgid 65 bytes", text(MassRequest{ToAll: true, ClientMsgID: strings.Repeat("a", 65)}), 45067},
		{"clientmsgid 22 CJK = 66 bytes", text(MassRequest{ToAll: true, ClientMsgID: strings.Repeat("普", 22)}), 45067},
		{"no clientmsgid", MassRequest{ToAll: true, MsgType: MsgTypeText, Text: "x"}, 0},
		{"one openid", text(MassRequest{OpenIDs: ids(1)}), 0},
		{"10001 openids", text(MassRequest{OpenIDs: ids(10001)}), 0},
		{"empty openid", text(MassRequest{OpenIDs: []string{"o1", ""}}), 0},
		{"no target", text(MassRequest{}), 0},
		{"all and tag", text(MassRequest{ToAll: true, TagID: 2}), 0},
		{"tag and openids", text(MassRequest{TagID: 2, OpenIDs: ids(2)}), 0},
		{"negative tag", text(MassRequest{TagID: -2}), 0},
		{"empty text", MassRequest{ToAll: true, MsgType: MsgTypeText, ClientMsgID: "c"}, 0},
		{"mpnews without media", MassRequest{ToAll: true, MsgType: MsgTypeMPNews, ClientMsgID: "c"}, 0},
		{"reprint 2", MassRequest{ToAll: true, MsgType: MsgTypeMPNews, MediaID: "m", SendIgnoreReprint: 2, ClientMsgID: "c"}, 0},
		{"image", MassRequest{ToAll: true, MsgType: "image", MediaID: "m", ClientMsgID: "c"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.MassSend(context.Background(), tt.req)
			if err == nil {
				t.Fatal("accepted")
			}
			if tt.code == 0 && !errors.Is(err, ErrInvalidRequest) {
				t.Errorf("err = %v, want ErrInvalidRequest", err)
			}
			if code, _ := ErrCode(err); code != tt.code {
				t.Errorf("ErrCode = %d, want %d (%v)", code, tt.code, err)
			}
			if !IsPermanent(err) {
				t.Errorf("IsPermanent(%v) = false", err)
			}
		})
	}
	if n := f.total(); n != 0 {
		t.Errorf("rejected requests made %d HTTP calls (token fetches included), want 0", n)
	}

	// The bounds themselves are accepted.
	for _, r := range []MassRequest{
		text(MassRequest{OpenIDs: ids(2)}),
		text(MassRequest{OpenIDs: ids(10000)}),
		text(MassRequest{ToAll: true, ClientMsgID: strings.Repeat("a", 64)}),
	} {
		if _, err := c.MassSend(context.Background(), r); err != nil {
			t.Errorf("%d openids, clientmsgid %d bytes: %v", len(r.OpenIDs), len(r.ClientMsgID), err)
		}
	}
}

func TestClientMsgID(t *testing.T) {
	fire := time.Date(2025, 3, 5, 9, 0, 0, 0, chinatime.Zone)
	if a, b := ClientMsgID("law-week", fire, 1), ClientMsgID("law-week", fire.UTC(), 1); a != b || a != "law-week-1741136400-1" {
		t.Errorf("ClientMsgID = %q / %q, want equal and readable", a, b)
	}
	seen := map[string]bool{}
	for _, id := range []string{
		ClientMsgID("law-week", fire, 1),
		ClientMsgID("law-week", fire, 2),
		ClientMsgID("law-week", fire.Add(time.Hour), 1),
		ClientMsgID("law-day", fire, 1),
		ClientMsgID(strings.Repeat("x", 80), fire, 1),
		ClientMsgID(strings.Repeat("x", 80), fire, 2),
		ClientMsgID("宪法宣传周", fire, 1),
		ClientMsgID("a b", fire, 1),
	} {
		if len(id) > maxClientMsgID {
			t.Errorf("%q is %d bytes", id, len(id))
		}
		if seen[id] {
			t.Errorf("duplicate id %q", id)
		}
		seen[id] = true
	}
	long := ClientMsgID(strings.Repeat("x", 80), fire, 1)
	if len(long) != 64 || long != ClientMsgID(strings.Repeat("x", 80), fire, 1) {
		t.Errorf("long id %q not a stable 64-byte digest", long)
	}
	if id := ClientMsgID("宪法宣传周", fire, 1); strings.ContainsFunc(id, func(r rune) bool { return r > 127 }) {
		t.Errorf("non-ASCII id %q", id)
	}
}
