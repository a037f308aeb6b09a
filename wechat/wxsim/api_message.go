package wxsim

import (
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"
)

// customWindow is how long after a follower's last interaction WeChat
// accepts customer-service messages to them.
const customWindow = 48 * time.Hour

// readMessage decodes a send request twice: into v for its fixed fields and
// into a map for the body keyed by msgtype.
func readMessage(r *http.Request, v any) (map[string]json.RawMessage, *apiError) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	var raw map[string]json.RawMessage
	if err == nil {
		err = json.Unmarshal(body, &raw)
	}
	if err == nil {
		err = json.Unmarshal(body, v)
	}
	if err != nil {
		e := errResp(47001, "data format error")
		return nil, &e
	}
	return raw, nil
}

// messageContent renders the msgtype body of a send request as the text a
// follower would see: text as is, news as its titles, media as
// "<msgtype>:<id>" (e.g. "mpnews:<media_id>").
func messageContent(msgType string, raw map[string]json.RawMessage) (string, *apiError) {
	var body struct {
		Content     string `json:"content"`
		MediaID     string `json:"media_id"`
		CardID      string `json:"card_id"`
		ArticleID   string `json:"article_id"`
		Title       string `json:"title"`
		HeadContent string `json:"head_content"`
		Articles    []struct {
			Title string `json:"title"`
		} `json:"articles"`
	}
	part, ok := raw[msgType]
	if msgType == "" || !ok || json.Unmarshal(part, &body) != nil {
		e := errResp(40008, "invalid message type")
		return "", &e
	}
	var content string
	switch msgType {
	case "text":
		content = body.Content
	case "news":
		titles := make([]string, 0, len(body.Articles))
		for _, a := range body.Articles {
			titles = append(titles, a.Title)
		}
		content = strings.Join(titles, "\n")
	case "msgmenu":
		content = body.HeadContent
	default:
		for _, id := range []string{body.MediaID, body.CardID, body.ArticleID, body.Title} {
			if id != "" {
				return msgType + ":" + id, nil
			}
		}
		e := errResp(40007, "invalid media_id")
		return "", &e
	}
	if strings.TrimSpace(content) == "" {
		e := errResp(44004, "empty content")
		return "", &e
	}
	if msgType != "text" {
		content = msgType + ":" + content
	}
	return content, nil
}

// templateData is the "data" of a template message or a subscription
// notice: each keyword's value.
type templateData map[string]struct {
	Value string `json:"value"`
}

// text renders "template_id\nkey: value...\nlink" in key order, so that
// equal messages hash equal and read the same in the simulator.
func (d templateData) text(templateID, link string) string {
	var b strings.Builder
	b.WriteString(templateID)
	for _, k := range slices.Sorted(maps.Keys(d)) {
		b.WriteString("\n" + k + ": " + d[k].Value)
	}
	if link != "" {
		b.WriteString("\n" + link)
	}
	return b.String()
}

func errNotFollower() apiError { return errResp(43004, "require subscribe") }

// templateWindow is how long WeChat drops a repeated template message with
// the same openid and client_msg_id.
const templateWindow = 10 * time.Minute

// templateRequest is the first send of one openid + client_msg_id.
type templateRequest struct {
	msgID int64
	at    time.Time
}

func (s *Server) handleTemplateSend(r *http.Request) any {
	var req struct {
		ToUser      string       `json:"touser"`
		TemplateID  string       `json:"template_id"`
		URL         string       `json:"url"`
		ClientMsgID string       `json:"client_msg_id"`
		Data        templateData `json:"data"`
	}
	if e := decodeBody(r, &req); e != nil {
		return *e
	}
	if req.TemplateID == "" {
		return errResp(40037, "invalid template_id")
	}
	text := req.Data.text(req.TemplateID, req.URL)
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.isFollowerLocked(req.ToUser) {
		return errNotFollower()
	}
	type sent struct {
		apiError
		MsgID int64 `json:"msgid"`
	}
	key := req.ToUser + "\x00" + req.ClientMsgID
	if prev, ok := s.tplRequests[key]; ok && req.ClientMsgID != "" && s.now().Sub(prev.at) < templateWindow {
		s.kindLocked(KindTemplate).Repeats++
		return sent{errResp(0, "ok"), prev.msgID}
	}
	id := s.newIDLocked()
	s.deliverLocked(KindTemplate, text, id, req.ToUser)
	if req.ClientMsgID != "" {
		s.tplRequests[key] = templateRequest{msgID: id, at: s.now()}
	}
	return sent{errResp(0, "ok"), id}
}

func (s *Server) handleCustomSend(r *http.Request) any {
	toUser, content, e := readDirectMessage(r)
	if e != nil {
		return *e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.isFollowerLocked(toUser) {
		return errNotFollower()
	}
	if s.opts.EnforceCustomWindow && s.now().Sub(s.followers[toUser].lastActive) > customWindow {
		return errResp(45015, "response out of time limit or subscription is canceled")
	}
	s.deliverLocked(KindCustom, content, 0, toUser)
	return errResp(0, "ok")
}

func (s *Server) handleMenuCreate(r *http.Request) any {
	var req struct {
		Button []json.RawMessage `json:"button"`
	}
	if e := decodeBody(r, &req); e != nil {
		return *e
	}
	if len(req.Button) == 0 || len(req.Button) > 3 {
		return errResp(40016, "invalid button size")
	}
	buttons, err := json.Marshal(req.Button)
	if err != nil {
		return errResp(47001, "data format error")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.menu, s.menuID = buttons, s.newIDLocked()
	return errResp(0, "ok")
}

func (s *Server) handleMenuGet(*http.Request) any {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.menu == nil {
		return errResp(46003, "menu no exist")
	}
	type menu struct {
		Button json.RawMessage `json:"button"`
		MenuID int64           `json:"menuid"`
	}
	return struct {
		Menu menu `json:"menu"`
	}{menu{s.menu, s.menuID}}
}

func (s *Server) handleMenuDelete(*http.Request) any {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.menu = nil
	return errResp(0, "ok")
}

// readDirectMessage decodes a message to one follower ({touser, msgtype,
// <msgtype>: {...}}), as preview and customer-service sends carry it.
func readDirectMessage(r *http.Request) (toUser, content string, e *apiError) {
	var req struct {
		ToUser  string `json:"touser"`
		MsgType string `json:"msgtype"`
	}
	raw, e := readMessage(r, &req)
	if e != nil {
		return "", "", e
	}
	content, e = messageContent(req.MsgType, raw)
	if e != nil {
		return "", "", e
	}
	return req.ToUser, content, nil
}
