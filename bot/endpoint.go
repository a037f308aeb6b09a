// Package bot is the WeChat callback endpoint: it verifies, decrypts and
// deduplicates callbacks, routes them to handlers and replies within WeChat's
// deadline, delivering slow answers later as customer-service messages.
package bot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/pufa-dev/pufa/clip"
	"github.com/pufa-dev/pufa/store"
	"github.com/pufa-dev/pufa/wechat/msgcrypt"
)

// MaxBodyBytes bounds a callback body; WeChat's own messages are a few KiB.
const MaxBodyBytes = 64 << 10

// lateWorkLimit bounds how long a slow handler may run after the passive
// deadline; its answer then goes out as a customer-service message.
const lateWorkLimit = 60 * time.Second

// success is WeChat's "no reply" body.
var success = []byte("success")

// Deduper keeps the dedup record and reply of each callback (store.Store).
type Deduper interface {
	ClaimCallback(ctx context.Context, openid, id string, lease time.Duration) (store.Claim, error)
	CallbackReply(ctx context.Context, openid, id string) ([]byte, bool, error)
	AnswerCallback(ctx context.Context, openid, id string, reply []byte, ttl time.Duration) error
	ReleaseCallback(ctx context.Context, openid, id string) error
	Session(ctx context.Context, openid string) (string, error)
	// BindCallbackURL remembers the body a signed URL carried, for ttl, and
	// reports whether bodySum is that body.
	BindCallbackURL(ctx context.Context, signature, bodySum string, ttl time.Duration) (bool, error)
}

// Mode is the message encryption mode chosen in the MP console (服务器配置 →
// 消息加解密方式); config.WeChat.Mode names it.
type Mode string

// Encryption modes.
const (
	// ModePlain (明文模式): bodies are plaintext and unsigned; only the URL's
	// timestamp and nonce are signed.
	ModePlain Mode = "plain"
	// ModeCompat (兼容模式): WeChat sends plaintext fields and their
	// ciphertext; only the signed ciphertext is used.
	ModeCompat Mode = "compat"
	// ModeSafe (安全模式): ciphertext only.
	ModeSafe Mode = "safe"
)

// Messenger sends a customer-service text to a resident (wechat.Client).
type Messenger interface {
	SendText(ctx context.Context, openid, content string) error
}

// Counter counts daily aggregate metrics (store.Store).
type Counter interface {
	Incr(ctx context.Context, at time.Time, metric string) error
}

// Observer is told how each callback that was handled ended and how long
// handling took (metrics.Metrics). Retries answered from dedup are not
// handled; retries of a keyword message are, as its reply is not stored.
type Observer interface {
	ObserveCallback(m *Message, r Reply, err error, took time.Duration)
}

// Options configures an Endpoint.
type Options struct {
	Token          string        // 令牌, signs every callback
	AppID          string        // checked inside decrypted messages
	EncodingAESKey string        // required in compat and safe mode
	Mode           Mode          // default safe with an EncodingAESKey, else plain
	MaxClockSkew   time.Duration // 0 disables the timestamp check
	Deadline       time.Duration // passive-reply deadline, default 4s
	DedupTTL       time.Duration // how long replies are kept for retries, default 5m
	Handler        Handler       // usually a *Router; as an InstantTexter too, it answers keywords without a dedup record
	Dedup          Deduper
	Late           Messenger // delivers answers that missed the deadline
	Counter        Counter
	Observer       Observer // optional
	Logger         *slog.Logger
	Now            func() time.Time
}

// Endpoint serves WeChat's callback URL (/wechat).
type Endpoint struct {
	opts   Options
	cipher *msgcrypt.Cipher
	log    *slog.Logger
	late   sync.WaitGroup
}

// checker is a handler that can tell at start that it is wired wrongly
// (*Router).
type checker interface{ Check() error }

// NewEndpoint validates opts and returns the endpoint.
func NewEndpoint(opts Options) (*Endpoint, error) {
	if opts.Token == "" {
		return nil, errors.New("bot: token is required")
	}
	if opts.Handler == nil || opts.Dedup == nil || opts.Late == nil || opts.Counter == nil {
		return nil, errors.New("bot: handler, dedup, late messenger and counter are required")
	}
	if c, ok := opts.Handler.(checker); ok {
		if err := c.Check(); err != nil {
			return nil, err
		}
	}
	if opts.Deadline <= 0 {
		opts.Deadline = 4 * time.Second
	}
	if opts.DedupTTL < time.Minute {
		opts.DedupTTL = 5 * time.Minute
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Mode == "" {
		opts.Mode = ModePlain
		if opts.EncodingAESKey != "" {
			opts.Mode = ModeSafe
		}
	}
	switch opts.Mode {
	case ModePlain:
		if opts.EncodingAESKey != "" {
			return nil, errors.New("bot: plain mode does not use an EncodingAESKey")
		}
	case ModeCompat, ModeSafe:
		if opts.EncodingAESKey == "" {
			return nil, fmt.Errorf("bot: %s mode needs the EncodingAESKey", opts.Mode)
		}
	default:
		return nil, fmt.Errorf("bot: unknown mode %q", opts.Mode)
	}
	e := &Endpoint{opts: opts, log: opts.Logger.With("component", "bot")}
	if opts.EncodingAESKey != "" {
		c, err := msgcrypt.NewCipher(opts.EncodingAESKey, opts.AppID)
		if err != nil {
			return nil, fmt.Errorf("bot: %w", err)
		}
		e.cipher = c
	}
	return e, nil
}

// Wait blocks until answers still being produced after their deadline have
// been delivered, or ctx ends; call it on shutdown.
func (e *Endpoint) Wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() { e.late.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("bot: late replies still running: %w", ctx.Err())
	}
}

// ServeHTTP answers URL verification (GET) and callbacks (POST).
func (e *Endpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		e.verifyURL(w, r)
	case http.MethodPost:
		e.callback(w, r)
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

// reject answers with status and logs why; it never touches state.
func (e *Endpoint) reject(w http.ResponseWriter, r *http.Request, status int, reason string, err error) {
	attrs := []any{"status", status, "reason", reason, "remote", r.RemoteAddr}
	if err != nil {
		attrs = append(attrs, "err", err)
	}
	e.log.Warn("callback rejected", attrs...)
	http.Error(w, http.StatusText(status), status)
}

// unboundURLTTL is how long a signed URL's body is remembered when
// MaxClockSkew is 0: such a URL never goes stale, so this only bounds how
// long a reused URL is caught.
const unboundURLTTL = 24 * time.Hour

// authentic checks the signature and the timestamp's freshness. It returns
// how long the URL stays acceptable, which is how long its body must be
// remembered (see bindURL).
func (e *Endpoint) authentic(w http.ResponseWriter, r *http.Request, q url.Values) (time.Duration, bool) {
	ts, nonce := q.Get("timestamp"), q.Get("nonce")
	if !msgcrypt.Verify(q.Get("signature"), e.opts.Token, ts, nonce) {
		e.reject(w, r, http.StatusForbidden, "bad signature", nil)
		return 0, false
	}
	skew := e.opts.MaxClockSkew
	if skew <= 0 {
		return unboundURLTTL, true
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	d := e.opts.Now().Sub(time.Unix(sec, 0))
	if err != nil || d > skew || d < -skew {
		e.reject(w, r, http.StatusForbidden, "timestamp outside max_clock_skew", err)
		return 0, false
	}
	// Accepted until its timestamp is skew old; a second of margin for the
	// clock's granularity.
	return skew - d + time.Second, true
}

func (e *Endpoint) verifyURL(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if _, ok := e.authentic(w, r, q); !ok {
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, q.Get("echostr"))
}

func (e *Endpoint) callback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	urlTTL, ok := e.authentic(w, r, q)
	if !ok {
		return
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			e.reject(w, r, http.StatusRequestEntityTooLarge, "body too large", nil)
		} else {
			e.reject(w, r, http.StatusBadRequest, "reading body", err)
		}
		return
	}
	// The mode is the configuration's, never the request's: a request that
	// drops encrypt_type and msg_signature must not turn a safe-mode
	// endpoint into a plain one whose bodies nobody signed.
	encrypted := e.opts.Mode != ModePlain
	body := raw
	switch {
	case !encrypted && (q.Has("encrypt_type") || q.Has("msg_signature")):
		e.reject(w, r, http.StatusBadRequest, "encrypted callback but wechat.mode is plain", nil)
		return
	case encrypted && (q.Get("encrypt_type") != "aes" || q.Get("msg_signature") == ""):
		e.reject(w, r, http.StatusForbidden, "callback without encrypt_type=aes and msg_signature in "+string(e.opts.Mode)+" mode", nil)
		return
	case encrypted:
		if body, err = e.open(q.Get("timestamp"), q.Get("nonce"), q.Get("msg_signature"), raw); err != nil {
			var rej *rejection
			errors.As(err, &rej)
			e.reject(w, r, rej.status, rej.reason, rej.err)
			return
		}
	}
	m, err := parseMessage(body)
	if err != nil {
		e.reject(w, r, http.StatusBadRequest, "malformed message", err)
		return
	}
	bound := e.bindURL(r.Context(), q.Get("signature"), raw, urlTTL)
	reply, err := e.dispatch(r.Context(), m, encrypted, q.Get("nonce"), bound)
	if errors.Is(err, errURLReused) {
		e.reject(w, r, http.StatusForbidden, "signed URL already carried another body", nil)
		return
	}
	if err != nil {
		// Nothing was stored: WeChat's retry will process the event again.
		e.log.Error("event failed, asking WeChat to retry", "event", m.Event, "err", err)
		http.Error(w, "temporarily unavailable", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.Write(reply)
}

// errURLReused is a signed callback URL that already carried another body.
var errURLReused = errors.New("bot: signed URL already carried another body")

// errUnbound is a signed URL whose binding Redis did not confirm in time.
var errUnbound = errors.New("bot: signed URL not bound")

// bindURL starts recording that the signed URL (timestamp, nonce and
// signature) carried raw, for ttl, and returns a function that waits for
// the outcome: errURLReused when the URL carried another body before,
// errUnbound when Redis did not answer within stateWait.
// Plain mode signs no body, so this record is all that stops one URL, seen
// in a proxy log, from carrying forged messages for the skew window; in
// compat and safe mode msg_signature already binds the body, and the record
// costs one command. It runs while the endpoint reads the resident's
// session, and must be awaited before anything is recorded or replied.
//
// When Redis fails or stalls, the wait gives up after stateWait and the
// callback goes on, as the rest of the endpoint does without Redis: what
// handlers would record then fails too (see the README's Security section
// for what is left of the risk).
func (e *Endpoint) bindURL(ctx context.Context, signature string, raw []byte, ttl time.Duration) func() error {
	sum := sha256.Sum256(raw)
	type result struct {
		ok  bool
		err error
	}
	ch := make(chan result, 1)
	go func() {
		ok, err := e.opts.Dedup.BindCallbackURL(ctx, signature, hex.EncodeToString(sum[:]), ttl)
		ch <- result{ok, err}
	}()
	deadline := time.Now().Add(e.stateWait())
	var once sync.Once
	var verdict error
	return func() error {
		once.Do(func() {
			t := time.NewTimer(time.Until(deadline))
			defer t.Stop()
			var r result
			select {
			case r = <-ch:
			case <-t.C:
				r.err = errStateSlow
			}
			switch {
			case r.err != nil:
				verdict = fmt.Errorf("%w: %w", errUnbound, r.err)
			case !r.ok:
				verdict = errURLReused
			}
		})
		return verdict
	}
}

// rejection carries the HTTP status for a failure to open a safe-mode body.
type rejection struct {
	status int
	reason string
	err    error
}

func (r *rejection) Error() string { return r.reason }

// open verifies msg_signature and decrypts a safe/compatible-mode body.
func (e *Endpoint) open(ts, nonce, msgSig string, body []byte) ([]byte, error) {
	var env envelope
	if err := xml.Unmarshal(body, &env); err != nil || env.Encrypt == "" {
		return nil, &rejection{http.StatusBadRequest, "malformed encrypted envelope", err}
	}
	if !msgcrypt.Verify(msgSig, e.opts.Token, ts, nonce, env.Encrypt) {
		return nil, &rejection{http.StatusForbidden, "bad msg_signature", nil}
	}
	plain, err := e.cipher.Decrypt(env.Encrypt)
	switch {
	case errors.Is(err, msgcrypt.ErrAppID):
		return nil, &rejection{http.StatusForbidden, "appid mismatch after decryption", nil}
	case err != nil:
		return nil, &rejection{http.StatusBadRequest, "undecryptable message", err}
	}
	return plain, nil
}

// dispatch runs dedup and the handler and returns the exact body to send,
// or an error when a failed event should be retried by WeChat, or
// errURLReused from bound, which it awaits before any write or reply.
func (e *Endpoint) dispatch(ctx context.Context, m *Message, encrypted bool, nonce string, bound func() error) ([]byte, error) {
	deadline := time.Now().Add(e.opts.Deadline)
	id := m.dedupID()
	if r, ok := e.instant(m); ok {
		// A reply told without side effects (a keyword rule) keeps no dedup
		// record: it records nothing, so a WeChat retry is simply answered
		// again, and the message costs one Redis read instead of a claim and
		// a stored reply. Only a session (a quiz) can claim the text first.
		start := time.Now()
		session, err := waitAtMost(e.stateWait(), func() (string, error) { return e.opts.Dedup.Session(ctx, m.FromUserName) })
		switch berr := bound(); {
		case errors.Is(berr, errURLReused):
			return nil, berr
		case berr != nil:
			e.log.Error("signed URL not bound, answering the keyword", "err", berr)
		}
		switch {
		case err != nil:
			// Redis is down or stalled, so a quiz could not record an answer
			// anyway: the keyword reply, from memory, is the best answer.
			e.log.Error("session unavailable, answering the keyword", "err", err, "type", m.MsgType)
			fallthrough
		case session == "":
			e.observe(m, r, nil, time.Since(start))
			return e.render(m, outcome{reply: r}, encrypted, nonce), nil
		}
	}
	switch err := bound(); {
	case errors.Is(err, errURLReused):
		return nil, err
	case err != nil:
		// Redis did not take the binding in time, so the claim would wait
		// as long again for the same Redis: go on as when the claim fails.
		e.log.Error("dedup unavailable, processing without it", "err", err, "type", m.MsgType)
		return e.process(ctx, m, id, encrypted, nonce, false, deadline)
	}
	// The lease outlives the deadline by a margin: by then the first
	// delivery has stored its reply, and if its replica died, a later retry
	// may process the message instead of it being lost.
	claim, err := waitAtMost(e.stateWait(), func() (store.Claim, error) {
		return e.opts.Dedup.ClaimCallback(ctx, m.FromUserName, id, e.opts.Deadline+time.Second)
	})
	if err != nil {
		// Redis is down or stalled: answering twice beats not answering;
		// handlers that record things will fail and say so themselves. A
		// claim that lands after all only makes a retry wait for a reply
		// that is never stored, then answer "success".
		e.log.Error("dedup unavailable, processing without it", "err", err, "type", m.MsgType)
		return e.process(ctx, m, id, encrypted, nonce, false, deadline)
	}
	m.Session, m.SessionKnown = claim.Session, true
	switch claim.State {
	case store.Answered:
		e.log.Debug("retry answered from dedup record", "type", m.MsgType)
		return claim.Reply, nil
	case store.Pending:
		return e.awaitReply(ctx, m.FromUserName, id), nil
	default:
		return e.process(ctx, m, id, encrypted, nonce, true, deadline)
	}
}

// stateWait bounds each wait for Redis on the way to a reply (the claim,
// the session, the stored reply), whatever the client's own timeouts and
// retries: a stalled Redis must not hold a reply past WeChat's 5 s. Past
// this wait the endpoint goes on without Redis, as when it is down, and
// the command finishes or fails on its own.
func (e *Endpoint) stateWait() time.Duration { return e.opts.Deadline / 4 }

// errStateSlow is a Redis call that outlasted stateWait.
var errStateSlow = errors.New("bot: redis did not answer in time")

// waitAtMost runs fn and waits at most d for its result; when d passes
// first, fn runs on and its result is dropped.
func waitAtMost[T any](d time.Duration, fn func() (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	go func() {
		v, err := fn()
		ch <- result{v, err}
	}()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-t.C:
		var zero T
		return zero, errStateSlow
	}
}

// instant is the handler's reply to m if it can tell it without I/O or
// side effects, for a resident in no session.
func (e *Endpoint) instant(m *Message) (Reply, bool) {
	in, ok := e.opts.Handler.(InstantTexter)
	if !ok || m.MsgType != TypeText {
		return Reply{}, false
	}
	r, v := in.InstantText(m)
	return r, v == Answer
}

func (e *Endpoint) observe(m *Message, r Reply, err error, took time.Duration) {
	if e.opts.Observer != nil {
		e.opts.Observer.ObserveCallback(m, r, err, took)
	}
}

// awaitReply serves a retry that arrived while the first delivery is still
// being processed: it waits for that delivery's reply instead of processing
// the message again.
func (e *Endpoint) awaitReply(ctx context.Context, openid, id string) []byte {
	deadline := time.NewTimer(e.opts.Deadline)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			reply, ok, err := e.opts.Dedup.CallbackReply(ctx, openid, id)
			if err != nil {
				e.log.Error("await reply", "err", err)
				return success
			}
			if ok {
				return reply
			}
		case <-deadline.C:
			return success
		case <-ctx.Done():
			return success
		}
	}
}

type outcome struct {
	reply Reply
	err   error
}

// process runs the handler under the deadline. A late answer is replaced by
// "success" now and sent as a customer-service message when ready. A failed
// event releases its claim and returns the error, so WeChat retries it; a
// failed text gets an apology instead, as re-running it could repeat what
// it already recorded.
func (e *Endpoint) process(ctx context.Context, m *Message, id string, encrypted bool, nonce string, record bool, deadline time.Time) ([]byte, error) {
	work, cancel := context.WithTimeout(context.WithoutCancel(ctx), lateWorkLimit)
	done := make(chan outcome, 1)
	go func() {
		defer cancel()
		done <- e.handle(work, m)
	}()
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	var body []byte
	select {
	case out := <-done:
		if out.err != nil && m.MsgType != TypeText {
			if record {
				if err := e.opts.Dedup.ReleaseCallback(ctx, m.FromUserName, id); err != nil {
					e.log.Error("releasing claim", "err", err)
				}
			}
			return nil, out.err
		}
		body = e.render(m, out, encrypted, nonce)
	case <-timer.C:
		body = success
		e.late.Add(1)
		go e.deliverLate(m, done)
	}
	if record {
		_, err := waitAtMost(e.stateWait(), func() (struct{}, error) {
			// Not cancelled with the request: should the wait end first, the
			// reply is still stored for WeChat's retries.
			return struct{}{}, e.opts.Dedup.AnswerCallback(context.WithoutCancel(ctx), m.FromUserName, id, body, e.opts.DedupTTL)
		})
		if err != nil {
			e.log.Error("storing reply for retries", "err", err)
		}
	}
	return body, nil
}

// handle calls the handler, turning a panic into an error so one bad
// message cannot take the service down.
func (e *Endpoint) handle(ctx context.Context, m *Message) (out outcome) {
	start := time.Now()
	defer func() {
		if p := recover(); p != nil {
			out = outcome{err: fmt.Errorf("bot: handler panic: %v", p)}
		}
		e.observe(m, out.reply, out.err, time.Since(start))
	}()
	r, err := e.opts.Handler.Handle(ctx, m)
	return outcome{r, err}
}

// apology is sent when a handler fails, so the resident is never left with
// an error screen or silence.
const apology = "抱歉，系统暂时无法处理您的消息，请稍后再试。急需法律帮助请拨打公共法律服务热线 12348。"

func (e *Endpoint) replyText(m *Message, out outcome) string {
	if out.err != nil {
		e.log.Error("handler failed", "type", m.MsgType, "event", m.Event, "err", out.err)
		if m.MsgType == TypeText {
			return apology
		}
		return ""
	}
	return clip.Bytes(out.reply.Text, maxReplyBytes)
}

func (e *Endpoint) render(m *Message, out outcome, encrypted bool, nonce string) []byte {
	text := e.replyText(m, out)
	if text == "" {
		return success
	}
	now := e.opts.Now().Unix()
	body := textReply(m.FromUserName, m.ToUserName, now, text)
	if !encrypted {
		return body
	}
	sealed, err := e.cipher.SealReply(e.opts.Token, body, now, nonce)
	if err != nil {
		e.log.Error("encrypting reply", "err", err)
		return success
	}
	return sealed
}

func (e *Endpoint) deliverLate(m *Message, done <-chan outcome) {
	defer e.late.Done()
	out := <-done
	text := e.replyText(m, out)
	if text == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := e.opts.Late.SendText(ctx, m.FromUserName, text); err != nil {
		e.log.Error("late reply not delivered", "err", err)
		return
	}
	if err := e.opts.Counter.Incr(ctx, e.opts.Now(), store.MetricLateReplies); err != nil {
		e.log.Warn("counting late reply", "err", err)
	}
}
