package bot

import (
	"bytes"
	"strconv"
	"unicode/utf8"
)

// parseFlat decodes the flat shape every WeChat callback has
// (<xml><Name><![CDATA[v]]></Name><Num>1</Num>…</xml>) without reflection.
// It handles only that shape and reports ok=false for anything else —
// attributes, nesting, comments, entities, carriage returns, control
// characters, bad numbers — so that encoding/xml, strict and slow, decides
// those. A differential fuzz test holds the two to the same answers.
func parseFlat(body []byte) (m Message, ok bool) {
	if !utf8.Valid(body) {
		return m, false
	}
	for _, c := range body {
		if c < 0x20 && c != '\t' && c != '\n' || c == '&' {
			return m, false
		}
	}
	p := bytes.TrimSpace(body)
	if !bytes.HasPrefix(p, []byte("<xml>")) || !bytes.HasSuffix(p, []byte("</xml>")) {
		return m, false
	}
	p = p[len("<xml>") : len(p)-len("</xml>")]
	for {
		p = bytes.TrimLeft(p, " \t\n")
		if len(p) == 0 {
			return m, true
		}
		if p[0] != '<' {
			return m, false
		}
		end := bytes.IndexByte(p, '>')
		if end < 2 {
			return m, false
		}
		name := p[1:end]
		if !isFlatName(name) {
			return m, false
		}
		p = p[end+1:]
		var val []byte
		if rest, found := bytes.CutPrefix(p, []byte("<![CDATA[")); found {
			close := bytes.Index(rest, []byte("]]>"))
			if close < 0 {
				return m, false
			}
			val, p = rest[:close], rest[close+3:]
		} else {
			lt := bytes.IndexByte(p, '<')
			if lt < 0 {
				return m, false
			}
			val, p = p[:lt], p[lt:]
			if bytes.IndexByte(val, '>') >= 0 {
				return m, false
			}
		}
		closing := make([]byte, 0, len(name)+3)
		closing = append(append(append(closing, "</"...), name...), '>')
		if !bytes.HasPrefix(p, closing) {
			return m, false
		}
		p = p[len(closing):]
		if !m.setField(string(name), val) {
			return m, false
		}
	}
}

// isFlatName accepts the plain ASCII element names WeChat uses.
func isFlatName(b []byte) bool {
	for _, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return len(b) > 0 && !(b[0] >= '0' && b[0] <= '9')
}

// setField stores one element; ok=false on a number encoding/xml would refuse.
func (m *Message) setField(name string, v []byte) bool {
	str := func(dst *string) bool { *dst = string(v); return true }
	num64 := func(dst *int64) bool {
		n, err := strconv.ParseInt(string(bytes.TrimSpace(v)), 10, 64)
		*dst = n
		return err == nil
	}
	num := func(dst *int) bool {
		n, err := strconv.ParseInt(string(bytes.TrimSpace(v)), 10, strconv.IntSize)
		*dst = int(n)
		return err == nil
	}
	switch name {
	case "ToUserName":
		return str(&m.ToUserName)
	case "FromUserName":
		return str(&m.FromUserName)
	case "CreateTime":
		return num64(&m.CreateTime)
	case "MsgType":
		return str(&m.MsgType)
	case "Content":
		return str(&m.Content)
	case "MsgId":
		return num64(&m.MsgID)
	case "Event":
		return str(&m.Event)
	case "EventKey":
		return str(&m.EventKey)
	case "Ticket":
		return str(&m.Ticket)
	case "MsgID":
		return num64(&m.JobID)
	case "Status":
		return str(&m.Status)
	case "TotalCount":
		return num(&m.TotalCount)
	case "FilterCount":
		return num(&m.FilterCount)
	case "SentCount":
		return num(&m.SentCount)
	case "ErrorCount":
		return num(&m.ErrorCount)
	}
	return true // unknown elements are ignored, as encoding/xml does
}
