package bot

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestResidentsNextMessagesJoinTheCase: through the endpoint's handler, a
// bare 转人工 opens a case holding the conversation before it, asks for the
// question, and the resident's next message (and the bot's reply) join it;
// unfollowing erases the transcript and the window's time.
func TestResidentsNextMessagesJoinTheCase(t *testing.T) {
	r, st := handlersFixture(t)
	h := &Transcribed{Handler: r, Log: st}
	say := func(m Message) string {
		t.Helper()
		m.Text = Normalize(m.Content)
		m.SessionKnown = true
		reply, err := h.Handle(context.Background(), &m)
		if err != nil {
			t.Fatal(err)
		}
		return reply.Text
	}
	const o = "o_joiner"
	say(Message{FromUserName: o, MsgType: TypeEvent, Event: EventSubscribe, EventKey: "qrscene_xingfu"})
	if _, ok, _ := st.LastInbound(context.Background(), o); !ok {
		t.Error("a follow did not open the 48-hour window")
	}
	if reply := say(Message{FromUserName: o, MsgType: TypeText, Content: "转人工"}); !strings.Contains(reply, "请用一条消息写下您想咨询的问题") {
		t.Errorf("bare 转人工 answered %q, want the request for a question", reply)
	}
	say(Message{FromUserName: o, MsgType: TypeText, Content: "楼上装修把我家天花板弄裂了"})
	say(Message{FromUserName: o, MsgType: "image"})
	cs, err := st.Consultations(context.Background(), time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	if err != nil || len(cs) != 1 {
		t.Fatalf("consultations %+v, %v", cs, err)
	}
	c, err := st.Case(context.Background(), cs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if c.Question != "楼上装修把我家天花板弄裂了" || c.Community != "xingfu" {
		t.Errorf("case question %q community %q", c.Question, c.Community)
	}
	var said []string
	for _, m := range c.Messages {
		said = append(said, m.From+":"+m.Text)
	}
	want := []string{"bot:欢迎", "resident:转人工", "bot:已为您登记人工咨询", "resident:楼上装修", "bot:没听懂", "resident:（发送了一条图片）"}
	if len(said) != len(want) {
		t.Fatalf("conversation %q, want %d messages like %q", said, len(want), want)
	}
	for i := range want {
		if !strings.HasPrefix(said[i], want[i]) {
			t.Errorf("message %d is %q, want %q…", i, said[i], want[i])
		}
	}
	say(Message{FromUserName: o, MsgType: TypeEvent, Event: EventUnsubscribe})
	if tr, _ := st.Transcript(context.Background(), o); len(tr) != 0 {
		t.Errorf("transcript survived unfollowing: %+v", tr)
	}
	if c, _ := st.Case(context.Background(), cs[0].ID); c.OpenID != "" || len(c.Messages) != 0 {
		t.Errorf("case keeps the resident's words after unfollowing: %+v", c)
	}
}
