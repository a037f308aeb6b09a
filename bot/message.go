package bot

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Message is one callback from WeChat: a resident's message or an event.
type Message struct {
	ToUserName   string `xml:"ToUserName"`
	FromUserName string `xml:"FromUserName"` // the resident's openid
	CreateTime   int64  `xml:"CreateTime"`
	MsgType      string `xml:"MsgType"`
	Content      string `xml:"Content"`
	MsgID        int64  `xml:"MsgId"`
	Event        string `xml:"Event"`
	EventKey     string `xml:"EventKey"`
	Ticket       string `xml:"Ticket"`

	// MASSSENDJOBFINISH and TEMPLATESENDJOBFINISH spell the job id MsgID.
	JobID       int64  `xml:"MsgID"`
	Status      string `xml:"Status"`
	TotalCount  int    `xml:"TotalCount"`
	FilterCount int    `xml:"FilterCount"`
	SentCount   int    `xml:"SentCount"`
	ErrorCount  int    `xml:"ErrorCount"`

	// Text is Content normalised for matching (see Normalize).
	Text string `xml:"-"`
	// Session is the resident's multi-step conversation (the quiz being
	// answered), read with the dedup claim; valid only when SessionKnown,
	// i.e. not when Redis failed.
	Session      string `xml:"-"`
	SessionKnown bool   `xml:"-"`
}

// Message types and events the router distinguishes.
const (
	TypeText  = "text"
	TypeEvent = "event"

	EventSubscribe   = "subscribe"
	EventUnsubscribe = "unsubscribe"
	EventScan        = "SCAN"
	EventClick       = "CLICK"
	EventMassFinish  = "MASSSENDJOBFINISH"
	EventTplFinish   = "TEMPLATESENDJOBFINISH"
)

// envelope is the outer XML of an encrypted callback.
type envelope struct {
	ToUserName string `xml:"ToUserName"`
	Encrypt    string `xml:"Encrypt"`
}

// parseMessage decodes a callback body. It requires the fields every
// callback carries, so junk that happens to be XML is refused.
func parseMessage(body []byte) (*Message, error) {
	m, ok := parseFlat(body)
	if !ok {
		m = Message{}
		if err := xml.Unmarshal(body, &m); err != nil {
			return nil, fmt.Errorf("bot: parse callback: %w", err)
		}
	}
	if m.FromUserName == "" || m.MsgType == "" {
		return nil, fmt.Errorf("bot: parse callback: FromUserName and MsgType are required")
	}
	if !utf8.ValidString(m.Content) {
		return nil, fmt.Errorf("bot: parse callback: Content is not valid UTF-8")
	}
	m.Text = Normalize(m.Content)
	return &m, nil
}

// dedupID identifies a callback of its sender across WeChat's retries, as
// WECHAT.md prescribes: messages by MsgId, events by CreateTime + Event +
// EventKey (the sender is part of the key the store builds).
func (m *Message) dedupID() string {
	if m.MsgID != 0 {
		return "m:" + strconv.FormatInt(m.MsgID, 10)
	}
	return "e:" + strconv.FormatInt(m.CreateTime, 10) + ":" + m.MsgType + ":" + m.Event + ":" + m.EventKey
}

// Normalize folds full-width ASCII to half-width, lower-cases letters and
// trims spaces, so "Ａ", "a" and " A " match alike.
func Normalize(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E:
			r -= 0xFEE0
		case r == 0x3000:
			r = ' '
		}
		if r >= 'A' && r <= 'Z' {
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return strings.TrimSpace(b.String())
}

// maxReplyBytes is WeChat's limit for a text reply's Content.
const maxReplyBytes = 2048

// textReply renders a passive text reply.
func textReply(to, from string, created int64, content string) []byte {
	var b bytes.Buffer
	b.Grow(len(content) + 256)
	b.WriteString("<xml><ToUserName>")
	writeCDATA(&b, to)
	b.WriteString("</ToUserName><FromUserName>")
	writeCDATA(&b, from)
	b.WriteString("</FromUserName><CreateTime>")
	b.WriteString(strconv.FormatInt(created, 10))
	b.WriteString("</CreateTime><MsgType><![CDATA[text]]></MsgType><Content>")
	writeCDATA(&b, content)
	b.WriteString("</Content></xml>")
	return b.Bytes()
}

// writeCDATA writes s as CDATA, splitting any "]]>" so text cannot end the
// section early and inject markup.
func writeCDATA(b *bytes.Buffer, s string) {
	b.WriteString("<![CDATA[")
	b.WriteString(strings.ReplaceAll(s, "]]>", "]]]]><![CDATA[>"))
	b.WriteString("]]>")
}
