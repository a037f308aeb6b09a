package wxsim

import (
	"hash/fnv"
	"maps"
	"slices"
	"time"
)

// Delivery kinds.
const (
	KindMass     = "mass"
	KindTemplate = "template"
	KindCustom   = "custom"
	KindPreview  = "preview"
	KindNotice   = "subscribe" // subscription notice (message/subscribe/bizsend)
	KindReply    = "reply"     // a passive reply to a callback; in Inbox, counted in Stats.Replies
)

// Delivery is one message that reached a follower.
type Delivery struct {
	Kind    string    `json:"kind"`
	Content string    `json:"content"`
	At      time.Time `json:"at"`
	MsgID   int64     `json:"msg_id,omitempty"`
	Cards   []Card    `json:"cards,omitempty"` // the articles of an mpnews message
}

// Stats summarises what the simulator delivered and served.
type Stats struct {
	Followers    int                  `json:"followers"`
	Kinds        map[string]KindStats `json:"kinds"` // mass, template, custom, preview
	Replies      int                  `json:"replies"`
	TokensIssued int                  `json:"tokens_issued"`
	APICalls     map[string]int       `json:"api_calls"` // by API path, every request including failed ones
}

// KindStats counts the deliveries of one kind. A duplicate is a recipient
// receiving the same content of that kind once more.
type KindStats struct {
	Messages         int `json:"messages"` // deliveries, one per recipient
	UniqueRecipients int `json:"unique_recipients"`
	Duplicates       int `json:"duplicates"`
	// Repeats are requests WeChat answered from its idempotency record
	// (template client_msg_id) without delivering again.
	Repeats int `json:"repeats"`
}

type kindState struct {
	KindStats
	recipients map[string]struct{}
	seen       map[seenKey]struct{}
}

type seenKey struct {
	openid string
	sum    uint64
}

// Stats returns the same data as GET /sim/stats.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Stats{
		Followers:    len(s.order),
		Kinds:        make(map[string]KindStats, len(s.kinds)),
		Replies:      s.replies,
		TokensIssued: s.tokensIssued,
		APICalls:     maps.Clone(s.apiCalls),
	}
	for k, ks := range s.kinds {
		st.Kinds[k] = ks.KindStats
	}
	return st
}

// Inbox returns everything delivered to one follower, in order.
func (s *Server) Inbox(openid string) []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.inbox[openid])
}

// deliverLocked records content of kind reaching each openid.
func (s *Server) deliverLocked(kind, content string, msgID int64, openids ...string) {
	at := s.now()
	if kind == KindReply {
		s.replies += len(openids)
		for _, o := range openids {
			s.inbox[o] = append(s.inbox[o], Delivery{Kind: kind, Content: content, At: at, MsgID: msgID})
		}
		return
	}
	ks := s.kindLocked(kind)
	h := fnv.New64a()
	h.Write([]byte(content))
	sum := h.Sum64()
	for _, o := range openids {
		s.inbox[o] = append(s.inbox[o], Delivery{Kind: kind, Content: content, At: at, MsgID: msgID})
		ks.Messages++
		ks.recipients[o] = struct{}{}
		k := seenKey{o, sum}
		if _, dup := ks.seen[k]; dup {
			ks.Duplicates++
		}
		ks.seen[k] = struct{}{}
	}
	ks.UniqueRecipients = len(ks.recipients)
}

// kindLocked returns the statistics of one kind, creating them on first use.
func (s *Server) kindLocked(kind string) *kindState {
	ks := s.kinds[kind]
	if ks == nil {
		ks = &kindState{recipients: map[string]struct{}{}, seen: map[seenKey]struct{}{}}
		s.kinds[kind] = ks
	}
	return ks
}
