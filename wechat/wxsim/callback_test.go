package wxsim

import (
	"bytes"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestCallbackModes(t *testing.T) {
	for _, mode := range []Mode{ModePlain, ModeCompatible, ModeSafe} {
		t.Run(string(mode), func(t *testing.T) {
			var rc *receiver
			rc = newReceiver(t, func(_ int, r received) (int, []byte) {
				reply := textReply(r.Msg.FromUserName, "您说的是："+r.Msg.Content)
				if mode == ModeSafe {
					reply = rc.seal(reply)
				}
				return http.StatusOK, reply
			})
			sim, _ := newSim(t, Options{Mode: mode, CallbackURL: rc.srv.URL + "/wechat?x=1"})

			rep, err := sim.SendText(t.Context(), "o_alice", "你好 <b>]]>")
			if err != nil {
				t.Fatalf("SendText: %v", err)
			}
			if rep.Attempts != 1 || rep.Status != 200 || rep.MsgType != "text" || rep.Content != "您说的是：你好 <b>]]>" {
				t.Errorf("reply = %+v", rep)
			}
			if mode == ModeSafe && (bytes.Equal(rep.Raw, rep.Body) || !bytes.Contains(rep.Raw, []byte("<Encrypt>"))) {
				t.Errorf("safe reply: raw %q should be the envelope of body %q", rep.Raw, rep.Body)
			}

			got := rc.all()[0]
			q := got.Query
			if q.Get("openid") != "o_alice" || q.Get("x") != "1" {
				t.Errorf("query = %v", q)
			}
			if encrypted := q.Get("encrypt_type") == "aes"; encrypted != (mode != ModePlain) {
				t.Errorf("encrypt_type = %q in %s mode", q.Get("encrypt_type"), mode)
			}
			hasPlain := bytes.Contains(got.Body, []byte("<Content>"))
			hasEnc := bytes.Contains(got.Body, []byte("<Encrypt>"))
			wantPlain, wantEnc := mode != ModeSafe, mode != ModePlain
			if hasPlain != wantPlain || hasEnc != wantEnc {
				t.Errorf("body %q: plaintext %v encrypt %v, want %v %v", got.Body, hasPlain, hasEnc, wantPlain, wantEnc)
			}
			m := got.Msg
			if m.MsgType != "text" || m.Content != "你好 <b>]]>" || m.FromUserName != "o_alice" ||
				m.ToUserName != "gh_wxsim0000001" || m.MsgId == 0 || m.CreateTime == 0 {
				t.Errorf("message = %+v", m)
			}
			if inbox := sim.Inbox("o_alice"); len(inbox) != 1 || inbox[0].Kind != KindReply || inbox[0].Content != rep.Content {
				t.Errorf("inbox = %+v", inbox)
			}
			if !sim.IsFollower("o_alice") {
				t.Error("SendText did not subscribe the sender")
			}
		})
	}
}

func TestCallbackRetriesSameRequest(t *testing.T) {
	var rc *receiver
	rc = newReceiver(t, func(n int, r received) (int, []byte) {
		if n == 1 {
			time.Sleep(300 * time.Millisecond) // past the 100ms timeout
		}
		return http.StatusOK, rc.seal(textReply(r.Msg.FromUserName, "在的"))
	})
	sim, _ := newSim(t, Options{Mode: ModeSafe, CallbackURL: rc.srv.URL, CallbackTimeout: 100 * time.Millisecond})
	rep, err := sim.SendText(t.Context(), "o_bob", "在吗")
	if err != nil || rep.Attempts != 2 || rep.Content != "在的" {
		t.Fatalf("reply = %+v, %v; want the second attempt's reply", rep, err)
	}
	waitFor(t, "both attempts", func() bool { return len(rc.all()) == 2 })
	a, b := rc.all()[0], rc.all()[1]
	if a.Query.Encode() != b.Query.Encode() || !bytes.Equal(a.Body, b.Body) || a.Msg.MsgId != b.Msg.MsgId {
		t.Errorf("retry differs:\n%v %s\n%v %s", a.Query, a.Body, b.Query, b.Body)
	}
}

func TestCallbackGivesUpAfterThreeAttempts(t *testing.T) {
	tests := []struct {
		name   string
		reply  func() (int, []byte)
		status int
	}{
		{"5xx", func() (int, []byte) { return http.StatusInternalServerError, []byte("boom") }, 500},
		{"timeout", func() (int, []byte) { time.Sleep(150 * time.Millisecond); return http.StatusOK, nil }, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := newReceiver(t, func(int, received) (int, []byte) { return tt.reply() })
			sim, _ := newSim(t, Options{CallbackURL: rc.srv.URL, CallbackTimeout: 50 * time.Millisecond})
			rep, err := sim.SendEvent(t.Context(), "o_carol", "CLICK", "MENU_LAW")
			if !errors.Is(err, ErrCallbackFailed) || rep.Attempts != 3 || rep.Status != tt.status {
				t.Errorf("reply = %+v, %v; want 3 attempts, status %d, ErrCallbackFailed", rep, err, tt.status)
			}
			waitFor(t, "three attempts", func() bool { return len(rc.all()) == 3 })
		})
	}
}

func TestCallbackReplyChecks(t *testing.T) {
	tests := []struct {
		name    string
		mode    Mode
		body    func(rc *receiver, to string) []byte
		wantErr error
		msgType string
	}{
		{"success", ModePlain, func(*receiver, string) []byte { return []byte("success") }, nil, ""},
		{"empty body", ModeSafe, func(*receiver, string) []byte { return nil }, nil, ""},
		{"empty text", ModePlain, func(_ *receiver, to string) []byte { return textReply(to, "") }, ErrEmptyReply, "text"},
		{"empty text encrypted", ModeSafe, func(rc *receiver, to string) []byte { return rc.seal(textReply(to, " ")) }, ErrEmptyReply, "text"},
		{"wrong recipient", ModePlain, func(*receiver, string) []byte { return textReply("o_other", "hi") }, ErrBadReply, ""},
		{"not XML", ModePlain, func(*receiver, string) []byte { return []byte("hello") }, ErrBadReply, ""},
		{"bad msg_signature", ModeSafe, func(rc *receiver, to string) []byte {
			return bytes.Replace(rc.seal(textReply(to, "hi")), []byte("<MsgSignature><![CDATA["), []byte("<MsgSignature><![CDATA[0"), 1)
		}, ErrBadReply, ""},
		{"plaintext in compatible mode", ModeCompatible, func(_ *receiver, to string) []byte { return textReply(to, "hi") }, nil, "text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rc *receiver
			rc = newReceiver(t, func(_ int, r received) (int, []byte) { return http.StatusOK, tt.body(rc, r.Msg.FromUserName) })
			sim, _ := newSim(t, Options{Mode: tt.mode, CallbackURL: rc.srv.URL})
			rep, err := sim.SendText(t.Context(), "o_dan", "转人工")
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) || rep.MsgType != tt.msgType {
				t.Errorf("reply = %+v, %v; want type %q, error %v", rep, err, tt.msgType, tt.wantErr)
			}
			if rep.Attempts != 1 {
				t.Errorf("a 200 reply must not be retried: %d attempts", rep.Attempts)
			}
		})
	}
}

func TestEvents(t *testing.T) {
	rc := newReceiver(t, func(int, received) (int, []byte) { return http.StatusOK, []byte("success") })
	sim, _ := newSim(t, Options{Followers: 1, CallbackURL: rc.srv.URL})

	if _, err := sim.SendEvent(t.Context(), "o_erin", "subscribe", "qrscene_donghu"); err != nil {
		t.Fatal(err)
	}
	if !sim.IsFollower("o_erin") {
		t.Error("subscribe event did not add the follower")
	}
	if _, err := sim.Unsubscribe("o_sim_000001"); err != nil {
		t.Fatal(err)
	}
	if sim.IsFollower("o_sim_000001") || sim.Stats().Followers != 1 {
		t.Errorf("Unsubscribe left the follower: %+v", sim.Stats())
	}
	if _, err := sim.SendEvent(t.Context(), "o_erin", "CLICK", "MENU_AID"); err != nil {
		t.Fatal(err)
	}

	got := rc.all()
	if len(got) != 3 {
		t.Fatalf("got %d callbacks", len(got))
	}
	sub, unsub, click := got[0].Msg, got[1].Msg, got[2].Msg
	if sub.MsgType != "event" || sub.Event != "subscribe" || sub.EventKey != "qrscene_donghu" || sub.Ticket == "" {
		t.Errorf("QR subscribe = %+v", sub)
	}
	if unsub.Event != "unsubscribe" || unsub.FromUserName != "o_sim_000001" || strings.Contains(string(got[1].Body), "EventKey") {
		t.Errorf("unsubscribe = %s", got[1].Body)
	}
	if click.Event != "CLICK" || click.EventKey != "MENU_AID" || click.Ticket != "" {
		t.Errorf("click = %+v", click)
	}
}

func TestWithoutCallbackURL(t *testing.T) {
	sim, _ := newSim(t, Options{})
	if _, err := sim.Subscribe("o_frank"); err != nil || !sim.IsFollower("o_frank") {
		t.Errorf("Subscribe without callback: %v, follower %v", err, sim.IsFollower("o_frank"))
	}
	if _, err := sim.SendText(t.Context(), "o_frank", "hi"); !errors.Is(err, ErrNoCallback) {
		t.Errorf("SendText without callback: %v, want ErrNoCallback", err)
	}
}
