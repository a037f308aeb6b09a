package bot

import (
	"context"
	"fmt"
	"strings"
)

// Reply is what the bot answers; the zero Reply means "nothing to say" and
// is sent as "success", never as an empty text.
type Reply struct {
	Text string
}

// Handler answers one callback.
type Handler interface {
	Handle(ctx context.Context, m *Message) (Reply, error)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, m *Message) (Reply, error)

// Handle calls f.
func (f HandlerFunc) Handle(ctx context.Context, m *Message) (Reply, error) { return f(ctx, m) }

// TextHandler may claim a text message; ok=false passes it to the next one.
type TextHandler interface {
	HandleText(ctx context.Context, m *Message) (r Reply, ok bool, err error)
}

// Verdict is what an InstantTexter can tell about a text without handling it.
type Verdict int

// Verdicts.
const (
	Unsure Verdict = iota // only handling the text can tell
	Pass                  // the handler would not claim the text
	Answer                // the handler would answer with the returned reply, do nothing else, and answer a retry alike
)

// InstantTexter is a text handler that can judge a text from a resident in
// no session without I/O or side effects. The endpoint answers such texts
// without a dedup record: one Redis read (the session) instead of a claim
// and a stored reply.
type InstantTexter interface {
	InstantText(m *Message) (Reply, Verdict)
}

// Router dispatches callbacks to handlers. Configure it before serving; it
// is read-only afterwards and needs no locking.
type Router struct {
	texts    []TextHandler
	events   map[string]Handler
	clicks   map[string]Handler
	fallback Handler
}

// NewRouter returns a router that answers unclaimed texts with fallback.
func NewRouter(fallback Handler) *Router {
	return &Router{events: map[string]Handler{}, clicks: map[string]Handler{}, fallback: fallback}
}

// HandleText appends a text handler; handlers are asked in the order added,
// so add the most specific (commands, quiz answers) first.
func (r *Router) HandleText(h TextHandler) { r.texts = append(r.texts, h) }

// HandleEvent routes an event type (subscribe, SCAN, MASSSENDJOBFINISH, …).
func (r *Router) HandleEvent(event string, h Handler) { r.events[strings.ToLower(event)] = h }

// HandleClick routes a custom-menu CLICK by its key.
func (r *Router) HandleClick(key string, h Handler) { r.clicks[key] = h }

// InstantText asks the text handlers in order, as Handle would; a handler
// that cannot judge, or none claiming the text, makes it Unsure.
func (r *Router) InstantText(m *Message) (Reply, Verdict) {
	if m.MsgType != TypeText {
		return Reply{}, Unsure
	}
	for _, h := range r.texts {
		in, ok := h.(InstantTexter)
		if !ok {
			return Reply{}, Unsure
		}
		switch reply, v := in.InstantText(m); v {
		case Answer:
			return reply, Answer
		case Unsure:
			return Reply{}, Unsure
		}
	}
	return Reply{}, Unsure
}

// Check refuses a text handler order that silently turns off the instant
// path: InstantText stops at the first handler that cannot judge a text,
// so such a handler placed before one that can (keyword rules before the
// knowledge base, say) makes every text take a dedup record. NewEndpoint
// calls it at start.
func (r *Router) Check() error {
	blind := -1
	for i, h := range r.texts {
		_, instant := h.(InstantTexter)
		switch {
		case !instant && blind < 0:
			blind = i
		case instant && blind >= 0:
			return fmt.Errorf("bot: text handler %d (%T) has no InstantText but comes before handler %d (%T), which has: "+
				"register it after every handler with InstantText, or the instant path never reaches them", blind+1, r.texts[blind], i+1, h)
		}
	}
	return nil
}

// Handle dispatches m. Unknown types and events get the zero Reply.
func (r *Router) Handle(ctx context.Context, m *Message) (Reply, error) {
	switch m.MsgType {
	case TypeText:
		for _, h := range r.texts {
			if reply, ok, err := h.HandleText(ctx, m); ok || err != nil {
				return reply, err
			}
		}
		if r.fallback != nil {
			return r.fallback.Handle(ctx, m)
		}
	case TypeEvent:
		if strings.EqualFold(m.Event, EventClick) {
			if h, ok := r.clicks[m.EventKey]; ok {
				return h.Handle(ctx, m)
			}
			return Reply{}, nil
		}
		if h, ok := r.events[strings.ToLower(m.Event)]; ok {
			return h.Handle(ctx, m)
		}
	}
	return Reply{}, nil
}
