package wxsim

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pufa-dev/pufa/wechat/msgcrypt"
)

// callbackAttempts is how many times WeChat posts one message.
const callbackAttempts = 3

// Errors of the callback driver.
var (
	ErrNoCallback     = errors.New("wxsim: no callback URL configured")
	ErrCallbackFailed = errors.New("wxsim: callback failed")
	ErrBadReply       = errors.New("wxsim: malformed passive reply")
	// ErrEmptyReply is a text reply without content, which WeChat shows the
	// resident as "该公众号提供的服务出现故障".
	ErrEmptyReply = errors.New("wxsim: text reply with empty content")
)

// Reply is the outcome of one callback delivery.
type Reply struct {
	Attempts int    // how many POSTs were made (1..3)
	Status   int    // HTTP status of the last attempt; 0 when it got no response
	Raw      []byte // body of the last attempt as received
	Body     []byte // decrypted reply XML when encrypted, else == Raw
	MsgType  string // "text", ...; "" when success/empty
	Content  string // text reply content
}

// SendText posts a text message from openid, with a new MsgId, subscribing
// openid silently first if needed so any name can chat.
func (s *Server) SendText(ctx context.Context, openid, content string) (Reply, error) {
	s.mu.Lock()
	s.subscribeLocked(openid)
	id := s.newIDLocked()
	s.mu.Unlock()
	var x xmlBuilder
	x.begin(s.opts.OriginalID, openid, s.now(), "text")
	x.cdata("Content", content)
	x.num("MsgId", id)
	return s.Deliver(ctx, x.end())
}

// SendEvent posts an event from openid (subscribe, unsubscribe, CLICK,
// SCAN, ...). subscribe and unsubscribe change the follower list first; a
// subscribe or SCAN eventKey ("qrscene_12", "12") comes with a QR Ticket.
func (s *Server) SendEvent(ctx context.Context, openid, event, eventKey string) (Reply, error) {
	s.mu.Lock()
	switch event {
	case "subscribe":
		s.subscribeLocked(openid)
	case "unsubscribe":
		s.unsubscribeLocked(openid)
	}
	s.mu.Unlock()
	var x xmlBuilder
	x.begin(s.opts.OriginalID, openid, s.now(), "event")
	x.cdata("Event", event)
	if eventKey != "" {
		x.cdata("EventKey", eventKey)
		if event == "SCAN" || event == "subscribe" && strings.HasPrefix(eventKey, "qrscene_") {
			x.cdata("Ticket", "gQsim"+randomHex(12))
		}
	}
	return s.Deliver(ctx, x.end())
}

// Subscribe makes openid a follower and, when a callback URL is set, posts
// the subscribe event.
func (s *Server) Subscribe(openid string) (Reply, error) {
	return s.changeFollow(openid, "subscribe")
}

// Unsubscribe removes openid from the followers and, when a callback URL is
// set, posts the unsubscribe event.
func (s *Server) Unsubscribe(openid string) (Reply, error) {
	return s.changeFollow(openid, "unsubscribe")
}

func (s *Server) changeFollow(openid, event string) (Reply, error) {
	if s.opts.CallbackURL == "" {
		s.mu.Lock()
		defer s.mu.Unlock()
		if event == "subscribe" {
			s.subscribeLocked(openid)
		} else {
			s.unsubscribeLocked(openid)
		}
		return Reply{}, nil
	}
	return s.SendEvent(s.ctx, openid, event, "")
}

// inbound is what the driver needs to know of a message it posts.
type inbound struct {
	ToUserName   string
	FromUserName string
	MsgType      string
	Event        string
}

// Deliver posts an arbitrary message body to the callback URL the way
// WeChat does: signed, encrypted per mode, with a timeout per attempt and up
// to three attempts of the very same request. It then checks and decodes
// the passive reply and records it in the sender's inbox.
func (s *Server) Deliver(ctx context.Context, msgXML []byte) (Reply, error) {
	if s.opts.CallbackURL == "" {
		return Reply{}, ErrNoCallback
	}
	var in inbound
	_ = xml.Unmarshal(msgXML, &in) // raw test bodies may be malformed on purpose
	s.noteActivity(in)

	target, body, err := s.sealCallback(msgXML, in.FromUserName)
	if err != nil {
		return Reply{}, err
	}
	rep, err := s.post(ctx, target, body)
	if err != nil {
		return rep, err
	}
	if err := s.openReply(&rep, in); err != nil {
		return rep, err
	}
	if rep.MsgType != "" && rep.MsgType != "transfer_customer_service" && in.FromUserName != "" {
		content := rep.Content
		if rep.MsgType != "text" {
			content = "[" + rep.MsgType + "]"
		}
		s.mu.Lock()
		s.deliverLocked(KindReply, content, 0, in.FromUserName)
		s.mu.Unlock()
	}
	return rep, nil
}

// noteActivity opens the 48h customer-service window, which messages and
// interaction events do but unsubscribing and job reports do not.
func (s *Server) noteActivity(in inbound) {
	if in.MsgType == "event" && in.Event != "subscribe" && in.Event != "CLICK" && in.Event != "SCAN" && in.Event != "VIEW" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if f := s.followers[in.FromUserName]; f != nil {
		f.lastActive = s.now()
	}
}

// sealCallback builds the signed URL and body of a callback.
func (s *Server) sealCallback(msgXML []byte, openid string) (string, []byte, error) {
	u, err := url.Parse(s.opts.CallbackURL)
	if err != nil {
		return "", nil, fmt.Errorf("wxsim: callback URL: %w", err)
	}
	ts := strconv.FormatInt(s.now().Unix(), 10)
	nonce := strconv.FormatUint(rand.Uint64N(9e9)+1e9, 10)
	q := u.Query()
	q.Set("signature", msgcrypt.Sign(s.opts.Token, ts, nonce))
	q.Set("timestamp", ts)
	q.Set("nonce", nonce)
	q.Set("openid", openid)
	body := msgXML
	if s.opts.Mode != ModePlain {
		enc, err := s.cipher.Encrypt(nil, msgXML)
		if err != nil {
			return "", nil, fmt.Errorf("wxsim: encrypt callback: %w", err)
		}
		q.Set("encrypt_type", "aes")
		q.Set("msg_signature", msgcrypt.Sign(s.opts.Token, ts, nonce, enc))
		field := "<Encrypt><![CDATA[" + enc + "]]></Encrypt>"
		if s.opts.Mode == ModeSafe {
			var x xmlBuilder
			x.b.WriteString("<xml>")
			x.cdata("ToUserName", s.opts.OriginalID)
			x.b.WriteString(field)
			body = x.end()
		} else if i := bytes.LastIndex(msgXML, []byte("</xml>")); i >= 0 {
			body = append(append(bytes.Clone(msgXML[:i]), field...), msgXML[i:]...)
		} else {
			body = append(bytes.Clone(msgXML), field...)
		}
	}
	u.RawQuery = q.Encode()
	return u.String(), body, nil
}

// post makes up to three attempts; WeChat retries on a timeout, a
// connection error or a non-200 status.
func (s *Server) post(ctx context.Context, target string, body []byte) (Reply, error) {
	var rep Reply
	var lastErr error
	for rep.Attempts < callbackAttempts {
		if rep.Attempts > 0 && s.opts.RetryDelay > 0 {
			t := time.NewTimer(s.opts.RetryDelay)
			select {
			case <-ctx.Done():
				t.Stop()
				return rep, fmt.Errorf("%w: %w", ErrCallbackFailed, ctx.Err())
			case <-t.C:
			}
		}
		rep.Attempts++
		rep.Status, rep.Raw, lastErr = s.postOnce(ctx, target, body)
		if lastErr == nil {
			rep.Body = rep.Raw
			return rep, nil
		}
		s.log.Warn("wxsim: callback attempt failed", slog.Int("attempt", rep.Attempts),
			slog.Int("status", rep.Status), slog.Any("err", lastErr))
		if ctx.Err() != nil {
			break
		}
	}
	return rep, fmt.Errorf("%w after %d attempts: %w", ErrCallbackFailed, rep.Attempts, lastErr)
}

func (s *Server) postOnce(ctx context.Context, target string, body []byte) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, s.opts.CallbackTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0, nil, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "text/xml")
	req.Header.Set("User-Agent", "Mozilla/4.0 (wxsim)")
	resp, err := s.opts.HTTPClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return resp.StatusCode, raw, fmt.Errorf("read reply: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, raw, fmt.Errorf("HTTP status %d", resp.StatusCode)
	}
	return resp.StatusCode, raw, nil
}

// openReply checks a passive reply as WeChat would: "success" or empty
// means none; in safe mode it must be a signed encrypted envelope; a reply
// must go back to the sender, and a text reply must say something.
func (s *Server) openReply(rep *Reply, in inbound) error {
	if isNoReply(rep.Raw) {
		return nil
	}
	var env struct {
		Encrypt, MsgSignature, TimeStamp, Nonce string
	}
	if err := xml.Unmarshal(rep.Raw, &env); err != nil {
		return fmt.Errorf("%w: %w", ErrBadReply, err)
	}
	switch {
	case env.Encrypt != "" && s.opts.Mode != ModePlain:
		if !msgcrypt.Verify(env.MsgSignature, s.opts.Token, env.TimeStamp, env.Nonce, env.Encrypt) {
			return fmt.Errorf("%w: bad MsgSignature", ErrBadReply)
		}
		body, err := s.cipher.Decrypt(env.Encrypt)
		if err != nil {
			return fmt.Errorf("%w: decrypt: %w", ErrBadReply, err)
		}
		rep.Body = body
		if isNoReply(body) {
			return nil
		}
	case s.opts.Mode == ModeSafe:
		return fmt.Errorf("%w: safe mode reply is not encrypted", ErrBadReply)
	}
	var msg struct {
		ToUserName string
		MsgType    string
		Content    string
	}
	if err := xml.Unmarshal(rep.Body, &msg); err != nil {
		return fmt.Errorf("%w: %w", ErrBadReply, err)
	}
	switch {
	case msg.MsgType == "":
		return fmt.Errorf("%w: no MsgType", ErrBadReply)
	case in.FromUserName != "" && msg.ToUserName != in.FromUserName:
		return fmt.Errorf("%w: ToUserName %q is not the sender %q", ErrBadReply, msg.ToUserName, in.FromUserName)
	}
	rep.MsgType, rep.Content = msg.MsgType, msg.Content
	if msg.MsgType == "text" && strings.TrimSpace(msg.Content) == "" {
		return ErrEmptyReply
	}
	return nil
}

func isNoReply(b []byte) bool {
	b = bytes.TrimSpace(b)
	return len(b) == 0 || string(b) == "success"
}

// xmlBuilder writes messages the way WeChat does: strings in CDATA,
// numbers bare.
type xmlBuilder struct{ b bytes.Buffer }

func (x *xmlBuilder) begin(to, from string, at time.Time, msgType string) {
	x.b.WriteString("<xml>")
	x.cdata("ToUserName", to)
	x.cdata("FromUserName", from)
	x.num("CreateTime", at.Unix())
	x.cdata("MsgType", msgType)
}

func (x *xmlBuilder) cdata(name, v string) {
	// "]]>" cannot appear inside CDATA: close and reopen around it.
	v = strings.ReplaceAll(v, "]]>", "]]]]><![CDATA[>")
	fmt.Fprintf(&x.b, "<%s><![CDATA[%s]]></%s>", name, v, name)
}

func (x *xmlBuilder) num(name string, v int64) {
	fmt.Fprintf(&x.b, "<%s>%d</%s>", name, v, name)
}

func (x *xmlBuilder) end() []byte {
	x.b.WriteString("</xml>")
	return x.b.Bytes()
}
