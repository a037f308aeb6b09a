package wxsim

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Mass-send limits of the real API.
const (
	maxClientMsgID = 64
	clientMsgIDTTL = 24 * time.Hour
	minMassUsers   = 2
	maxMassUsers   = 10000
)

type massJob struct {
	msgID, dataID                 int64
	total, filter, sent, errCount int
	at, finishAt                  time.Time
}

// flexInt accepts a JSON number or a numeric string: the SDK sends mass/get's
// msg_id as a string while WeChat documents a number.
type flexInt int64

func (f *flexInt) UnmarshalJSON(b []byte) error {
	n, err := strconv.ParseInt(string(bytes.Trim(b, `"`)), 10, 64)
	if err != nil {
		return fmt.Errorf("wxsim: not an integer: %s", b)
	}
	*f = flexInt(n)
	return nil
}

func (s *Server) handleMassSend(r *http.Request) any {
	byOpenID := strings.HasSuffix(r.URL.Path, "/mass/send")
	var req struct {
		Filter *struct {
			IsToAll bool    `json:"is_to_all"`
			TagID   flexInt `json:"tag_id"`
		} `json:"filter"`
		ToUser      []string `json:"touser"`
		MsgType     string   `json:"msgtype"`
		ClientMsgID string   `json:"clientmsgid"`
	}
	raw, e := readMessage(r, &req)
	if e != nil {
		return *e
	}
	if len(req.ClientMsgID) > maxClientMsgID {
		return errResp(45067, "clientmsgid size out of limit")
	}
	content, e := messageContent(req.MsgType, raw)
	if e != nil {
		return *e
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if prev, ok := s.clientMsgIDs[req.ClientMsgID]; ok && now.Sub(prev.at) < clientMsgIDTTL {
		return massResponse(errResp(45065, "clientmsgid exist"), prev)
	}
	var articles []draftArticle
	if req.MsgType == "mpnews" {
		d, e := s.draftLocked(mpnewsMediaID(raw))
		if e != nil {
			return *e
		}
		articles = d
	}
	if e := s.massRateLimitLocked(now); e != nil {
		return *e
	}

	var targets []string
	job := massJob{at: now}
	switch {
	case byOpenID:
		if len(req.ToUser) < minMassUsers || len(req.ToUser) > maxMassUsers {
			return errResp(40130, "invalid openid list size, at least two openid")
		}
		seen := make(map[string]struct{}, len(req.ToUser))
		for _, o := range req.ToUser {
			if _, dup := seen[o]; dup {
				continue
			}
			seen[o] = struct{}{}
			if s.isFollowerLocked(o) {
				targets = append(targets, o)
			}
		}
		job.total = len(seen)
	case req.Filter == nil:
		return errResp(40035, "invalid args: filter missing")
	case req.Filter.IsToAll:
		targets = append(targets, s.order...)
		job.total = len(targets)
	default:
		t := s.tags[int(req.Filter.TagID)]
		if t == nil {
			return errResp(40050, "invalid tag id")
		}
		targets = s.tagMembersLocked(t)
		job.total = len(targets)
	}
	job.msgID, job.dataID = s.newIDLocked(), s.newIDLocked()
	job.filter, job.sent = len(targets), len(targets)
	job.finishAt = now.Add(s.opts.MassFinishDelay)
	s.massJobs[job.msgID] = job
	if req.ClientMsgID != "" {
		s.clientMsgIDs[req.ClientMsgID] = job
	}
	s.deliverLocked(KindMass, content, job.msgID, targets...)
	if articles != nil {
		s.recordArticleSendLocked(job, articles, targets)
	}
	s.log.Info("wxsim: mass send", slog.Int64("msg_id", job.msgID), slog.Int("recipients", len(targets)),
		slog.String("msgtype", req.MsgType))
	if s.opts.CallbackURL != "" && !s.closed {
		s.wg.Go(func() { s.postMassFinish(s.ctx, job) })
	}
	return massResponse(errResp(0, "send job submission success"), job)
}

func massResponse(e apiError, job massJob) any {
	return struct {
		apiError
		MsgID     int64 `json:"msg_id"`
		MsgDataID int64 `json:"msg_data_id"`
	}{e, job.msgID, job.dataID}
}

// massRateLimitLocked enforces the mass APIs' per-minute limit with 45011,
// WeChat's "api minute-quota reach limit".
func (s *Server) massRateLimitLocked(now time.Time) *apiError {
	if s.opts.MassRateLimit < 0 {
		return nil
	}
	i := 0
	for i < len(s.massTimes) && now.Sub(s.massTimes[i]) >= time.Minute {
		i++
	}
	s.massTimes = s.massTimes[i:]
	if len(s.massTimes) >= s.opts.MassRateLimit {
		e := errResp(45011, "api minute-quota reach limit, must slower, retry next minute")
		return &e
	}
	s.massTimes = append(s.massTimes, now)
	return nil
}

// postMassFinish tells pufa the job is done, as WeChat does once the last
// message is out.
func (s *Server) postMassFinish(ctx context.Context, job massJob) {
	s.postJobFinish(ctx, "MASSSENDJOBFINISH", slog.Int64("msg_id", job.msgID), func(x *xmlBuilder) {
		x.num("MsgID", job.msgID)
		x.cdata("Status", "send success")
		x.num("TotalCount", int64(job.total))
		x.num("FilterCount", int64(job.filter))
		x.num("SentCount", int64(job.sent))
		x.num("ErrorCount", int64(job.errCount))
	})
}

// postJobFinish posts the event that ends a mass send or a publish job, as
// WeChat does MassFinishDelay after the job began: from the account's own
// openid-less sender, body written by fields. job names the job in the log.
func (s *Server) postJobFinish(ctx context.Context, event string, job slog.Attr, fields func(*xmlBuilder)) {
	t := time.NewTimer(s.opts.MassFinishDelay)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return
	case <-t.C:
	}
	var x xmlBuilder
	x.begin(s.opts.OriginalID, "mphelper", s.now(), "event")
	x.cdata("Event", event)
	fields(&x)
	if _, err := s.Deliver(ctx, x.end()); err != nil {
		s.log.Warn("wxsim: "+event+" callback failed", job, slog.Any("err", err))
	}
}

func (s *Server) handleMassPreview(r *http.Request) any {
	toUser, content, e := readDirectMessage(r)
	if e != nil {
		return *e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.isFollowerLocked(toUser) {
		return errNotFollower()
	}
	var articles []draftArticle
	if mediaID, ok := strings.CutPrefix(content, "mpnews:"); ok {
		if articles, ok = s.art.drafts[mediaID]; !ok {
			return errResp(40007, "invalid media_id")
		}
	}
	id := s.newIDLocked()
	s.deliverLocked(KindPreview, content, id, toUser)
	if articles != nil {
		// A preview opens the draft itself; its reads are not counted.
		s.attachCardsLocked(id, func(string) []Card {
			return cardsLocked(articles, func(idx int) string {
				return fmt.Sprintf("/sim/draft/%s/%d", strings.TrimPrefix(content, "mpnews:"), idx)
			})
		}, toUser)
	}
	return struct {
		apiError
		MsgID int64 `json:"msg_id"`
	}{errResp(0, "preview success"), id}
}

func (s *Server) handleMassGet(r *http.Request) any {
	var req struct {
		MsgID flexInt `json:"msg_id"`
	}
	if e := decodeBody(r, &req); e != nil {
		return *e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	job, ok := s.massJobs[int64(req.MsgID)]
	if !ok {
		return errResp(40035, "invalid args: unknown msg_id")
	}
	status := "SEND_SUCCESS"
	if s.now().Before(job.finishAt) {
		status = "SENDING"
	}
	return struct {
		MsgID     int64  `json:"msg_id"`
		MsgStatus string `json:"msg_status"`
	}{job.msgID, status}
}
