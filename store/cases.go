package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pufa-dev/pufa/clip"
)

// Consultation is a resident's request to talk to a person (转人工): a case
// a clerk answers. Records written before cases existed hold only openid,
// question, status and created, and read as such.
type Consultation struct {
	ID        string
	OpenID    string // "" once the resident is erased
	Nickname  string // when known
	Community string // the resident's community id when the case was opened
	Question  string // "" for a bare 转人工 until the resident writes one
	Status    string // one of the Case* statuses
	Category  string
	Assignee  string // console user
	Created   time.Time
	Updated   time.Time
	// Messages is the conversation: the resident's last messages and the
	// bot's replies before the case, then everything said in it; read by
	// Case only, not by the list pages.
	Messages []CaseMessage
}

// Case statuses as stored. The labels and the transitions a clerk may make
// are the cases package's; records from before cases hold new, answered or
// closed, which keep their meaning.
const (
	CaseNew       = "new"
	CaseWorking   = "working"
	CaseAnswered  = "answered"
	CaseClosed    = "closed"
	CaseMediation = "mediation"
	CaseLegalAid  = "legal_aid"
)

// caseStatuses are the statuses a record may hold.
var caseStatuses = []string{CaseNew, CaseWorking, CaseAnswered, CaseClosed, CaseMediation, CaseLegalAid}

// CaseMessage is one message of a conversation.
type CaseMessage struct {
	At   time.Time `json:"at"`
	From string    `json:"from"`         // one of the From* senders
	By   string    `json:"by,omitempty"` // the console user, for staff and call
	Text string    `json:"text"`
}

// Senders of a CaseMessage.
const (
	FromResident = "resident"
	FromBot      = "bot"
	FromStaff    = "staff" // a reply sent from the console
	FromCall     = "call"  // a phone call a clerk recorded
)

// ConsultMaxRunes bounds the text of a consultation, mark included: a
// question for staff fits in far less, and the inbox shows every one whole.
// Each message of a conversation is bounded alike.
const ConsultMaxRunes = 500

// consultCut ends a consultation text cut at ConsultMaxRunes.
const consultCut = "…（内容过长，已截断）"

// caseLogMax bounds the messages a case keeps; the oldest go first.
const caseLogMax = 60

// TranscriptMax bounds the messages kept per resident for a later case.
const TranscriptMax = 12

// transcriptTTL is how long a resident's recent messages are kept: a case
// needs the minutes before 转人工, not a history.
const transcriptTTL = 72 * time.Hour

// DefaultConsultRetention is how long an answered or closed consultation is
// kept when Options.ConsultRetention is not set: a year covers a follow-up
// question and the annual report's review, whose figures come from the daily
// counters, which stay.
const DefaultConsultRetention = 365 * 24 * time.Hour

// consultDayTTL keeps a China day's per-resident consultation counts until
// that day is surely over.
const consultDayTTL = 48 * time.Hour

// ConsultRequest is a resident's request for a human (转人工).
type ConsultRequest struct {
	OpenID     string
	Question   string // cut to ConsultMaxRunes; "" for a bare 转人工
	At         time.Time
	DailyLimit int // requests recorded per resident and China day; 0 = no limit
	Community  string
	// Transcript is the conversation so far, kept with the case.
	Transcript []CaseMessage
}

// ConsultResult is the outcome of RequestConsultation.
type ConsultResult struct {
	ID      string // the consultation recorded; "" when Limited
	Limited bool   // the resident reached DailyLimit today: nothing was recorded
}

// RequestConsultation records a request for a human unless the resident
// already made DailyLimit of them today. The day's consultation counter (the
// annual report's 转人工 人次) counts a resident once a day however many they
// make. The per-day count is kept under a keyed hash of the openid, so that
// unfollowing and following again neither resets the limit nor counts the
// resident twice, and it holds no openid. The new case becomes the
// resident's open case, which their next messages join; one still open
// stays as it is (the daily limit bounds how many a resident opens).
func (s *Store) RequestConsultation(ctx context.Context, r ConsultRequest) (ConsultResult, error) {
	dayKey := s.keyConsultDay(Day(r.At))
	n := s.async.HIncrBy(ctx, dayKey, s.pseudonym("consult day", r.OpenID), 1)
	exp := s.async.Expire(ctx, dayKey, consultDayTTL)
	if err := wait(n, exp); err != nil {
		return ConsultResult{}, fmt.Errorf("store: add consultation: %w", err)
	}
	if r.DailyLimit > 0 && n.Val() > int64(r.DailyLimit) {
		return ConsultResult{Limited: true}, nil
	}
	seq, err := s.hot.Incr(ctx, s.keyConsultSeq()).Result()
	if err != nil {
		return ConsultResult{}, fmt.Errorf("store: add consultation: %w", err)
	}
	id := strconv.FormatInt(seq, 10)
	fields := []any{"openid", r.OpenID, "question", clip.RunesWith(r.Question, ConsultMaxRunes, consultCut),
		"status", CaseNew, "created", r.At.Unix(), "updated", r.At.Unix()}
	if r.Community != "" {
		fields = append(fields, "community", r.Community)
	}
	if len(r.Transcript) > 0 {
		log, err := caseLog(r.Transcript)
		if err != nil {
			return ConsultResult{}, fmt.Errorf("store: add consultation: %w", err)
		}
		fields = append(fields, "log", log)
	}
	a := s.async
	cmds := []redis.Cmder{
		a.HSet(ctx, s.keyConsult(id), fields...),
		a.ZAdd(ctx, s.keyConsultIndex(), redis.Z{Score: float64(r.At.Unix()), Member: id}),
		a.SAdd(ctx, s.keyUserConsults(r.OpenID), id),
		a.Set(ctx, s.keyUserCase(r.OpenID), id, 0),
	}
	if n.Val() == 1 {
		cmds = append(cmds, a.HIncrBy(ctx, s.keyStats(Day(r.At)), MetricConsultations, 1))
	}
	if err := wait(cmds...); err != nil {
		return ConsultResult{}, fmt.Errorf("store: add consultation: %w", err)
	}
	return ConsultResult{ID: id}, nil
}

// AddConsultation records a request for a human with no daily limit, as
// RequestConsultation does otherwise.
func (s *Store) AddConsultation(ctx context.Context, openid, question string, at time.Time) (string, error) {
	r, err := s.RequestConsultation(ctx, ConsultRequest{OpenID: openid, Question: question, At: at})
	return r.ID, err
}

// caseLog renders messages as the case hash keeps them: one JSON object a
// line (JSON escapes newlines inside texts), so that a script appends and
// trims without decoding.
func caseLog(msgs []CaseMessage) (string, error) {
	var b strings.Builder
	for i, m := range msgs {
		m.Text = clip.RunesWith(m.Text, ConsultMaxRunes, consultCut)
		line, err := json.Marshal(m)
		if err != nil {
			return "", err
		}
		if i > 0 {
			b.WriteByte('\n')
		}
		b.Write(line)
	}
	return b.String(), nil
}

func parseCaseLog(s string) []CaseMessage {
	if s == "" {
		return nil
	}
	lines := strings.Split(s, "\n")
	out := make([]CaseMessage, 0, len(lines))
	for _, l := range lines {
		var m CaseMessage
		if json.Unmarshal([]byte(l), &m) == nil {
			out = append(out, m)
		}
	}
	return out
}

// RecordConversation keeps a message to or from a resident in their recent
// transcript and, when they have an open case, in the case. A message from
// the resident also restarts WeChat's 48-hour customer-service window. It
// returns the open case's id, or "".
func (s *Store) RecordConversation(ctx context.Context, openid string, m CaseMessage) (string, error) {
	m.Text = clip.RunesWith(m.Text, ConsultMaxRunes, consultCut)
	line, err := json.Marshal(m)
	if err != nil {
		return "", fmt.Errorf("store: record conversation: %w", err)
	}
	a := s.async
	cmds := []redis.Cmder{
		a.RPush(ctx, s.keyUserTranscript(openid), line),
		a.LTrim(ctx, s.keyUserTranscript(openid), -TranscriptMax, -1),
		a.Expire(ctx, s.keyUserTranscript(openid), transcriptTTL),
	}
	if m.From == FromResident {
		cmds = append(cmds, a.HSet(ctx, s.keyUser(openid), "last_in", m.At.Unix()))
	}
	open := a.Get(ctx, s.keyUserCase(openid))
	cmds = append(cmds, open)
	if err := wait(cmds[:len(cmds)-1]...); err != nil {
		return "", fmt.Errorf("store: record conversation: %w", err)
	}
	id, err := open.Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("store: record conversation: %w", err)
	}
	ok, err := s.appendCase(ctx, id, m)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", nil
	}
	return id, nil
}

// caseAppendScript appends a message to an open case. A resident writing
// again after a reply moves the case back to working, and a bare 转人工
// takes the resident's first message after it as its question.
// KEYS[1] consultation hash. ARGV[1] message line, ARGV[2] cap,
// ARGV[3] the text as question if the case has none ("" = never),
// ARGV[4] "1" when the resident wrote, ARGV[5] now (unix).
// Returns 1, or 0 when there is no such case or it is closed.
var caseAppendScript = redis.NewScript(`
local st = redis.call('HGET', KEYS[1], 'status')
if not st or st == 'closed' then return 0 end
local log = redis.call('HGET', KEYS[1], 'log')
if log and log ~= '' then log = log .. '\n' .. ARGV[1] else log = ARGV[1] end
local n = 0
for _ in string.gmatch(log, '\n') do n = n + 1 end
local cap = tonumber(ARGV[2])
while n + 1 > cap do
  log = string.sub(log, string.find(log, '\n', 1, true) + 1)
  n = n - 1
end
redis.call('HSET', KEYS[1], 'log', log, 'updated', ARGV[5])
if ARGV[3] ~= '' and (redis.call('HGET', KEYS[1], 'question') or '') == '' then
  redis.call('HSET', KEYS[1], 'question', ARGV[3])
end
if ARGV[4] == '1' and st == 'answered' then
  redis.call('HSET', KEYS[1], 'status', 'working')
  redis.call('PERSIST', KEYS[1])
end
return 1
`)

// appendCase adds m to case id unless it is gone or closed.
func (s *Store) appendCase(ctx context.Context, id string, m CaseMessage) (bool, error) {
	m.Text = clip.RunesWith(m.Text, ConsultMaxRunes, consultCut)
	line, err := json.Marshal(m)
	if err != nil {
		return false, fmt.Errorf("store: case %s: %w", id, err)
	}
	question, resident := "", "0"
	if m.From == FromResident {
		question, resident = m.Text, "1"
	}
	// On the callback path: the fast client, which fails quickly when
	// Redis stalls rather than hold the resident's reply.
	n, err := caseAppendScript.Run(ctx, s.hot, []string{s.keyConsult(id)}, line, caseLogMax, question, resident, m.At.Unix()).Int()
	if err != nil {
		return false, fmt.Errorf("store: case %s: %w", id, err)
	}
	return n == 1, nil
}

// AddCaseMessage adds what staff said or did to a case and to the
// resident's transcript. ErrNotFound when the case is gone or closed.
func (s *Store) AddCaseMessage(ctx context.Context, id string, m CaseMessage) error {
	ok, err := s.appendCase(ctx, id, m)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%w: case %s", ErrNotFound, id)
	}
	openid, err := s.rdb.HGet(ctx, s.keyConsult(id), "openid").Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("store: case %s: %w", id, err)
	}
	if openid == "" {
		return nil
	}
	line, _ := json.Marshal(m)
	a := s.async
	if err := wait(a.RPush(ctx, s.keyUserTranscript(openid), line),
		a.LTrim(ctx, s.keyUserTranscript(openid), -TranscriptMax, -1),
		a.Expire(ctx, s.keyUserTranscript(openid), transcriptTTL)); err != nil {
		return fmt.Errorf("store: case %s transcript: %w", id, err)
	}
	return nil
}

// Transcript returns the resident's recent messages, oldest first.
func (s *Store) Transcript(ctx context.Context, openid string) ([]CaseMessage, error) {
	raw, err := s.hot.LRange(ctx, s.keyUserTranscript(openid), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("store: transcript: %w", err)
	}
	out := make([]CaseMessage, 0, len(raw))
	for _, r := range raw {
		var m CaseMessage
		if json.Unmarshal([]byte(r), &m) == nil {
			out = append(out, m)
		}
	}
	return out, nil
}

// LastInbound returns when the resident last wrote to the account or
// sent an event; ok=false when not known (or erased).
func (s *Store) LastInbound(ctx context.Context, openid string) (at time.Time, ok bool, err error) {
	v, err := s.rdb.HGet(ctx, s.keyUser(openid), "last_in").Int64()
	if errors.Is(err, redis.Nil) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("store: last inbound: %w", err)
	}
	return time.Unix(v, 0), true, nil
}

// NoteInbound restarts the resident's 48-hour window without a message to
// keep (an event: follow, scan, menu click).
func (s *Store) NoteInbound(ctx context.Context, openid string, at time.Time) error {
	if err := s.rdb.HSet(ctx, s.keyUser(openid), "last_in", at.Unix()).Err(); err != nil {
		return fmt.Errorf("store: note inbound: %w", err)
	}
	return nil
}

// Case reads one consultation with its conversation.
func (s *Store) Case(ctx context.Context, id string) (Consultation, error) {
	h, err := s.rdb.HGetAll(ctx, s.keyConsult(id)).Result()
	if err != nil {
		return Consultation{}, fmt.Errorf("store: case %s: %w", id, err)
	}
	if len(h) == 0 {
		return Consultation{}, fmt.Errorf("%w: case %s", ErrNotFound, id)
	}
	c := consultationOf(id, h)
	c.Messages = parseCaseLog(h["log"])
	return c, nil
}

func consultationOf(id string, h map[string]string) Consultation {
	created, _ := strconv.ParseInt(h["created"], 10, 64)
	updated, _ := strconv.ParseInt(h["updated"], 10, 64)
	if updated == 0 {
		updated = created
	}
	return Consultation{ID: id, OpenID: h["openid"], Nickname: h["nickname"], Community: h["community"],
		Question: h["question"], Status: h["status"], Category: h["category"], Assignee: h["assignee"],
		Created: time.Unix(created, 0), Updated: time.Unix(updated, 0)}
}

// caseStatusScript moves a case to a status, only from the expected one
// ("" = any), sets its expiry and appends an optional message, in one
// step, and only while the record exists: a record that expired meanwhile
// must not come back as a stub holding only a status.
// KEYS[1] consultation hash. ARGV[1] expected status or "", ARGV[2] new
// status, ARGV[3] TTL in ms (0 = keep), ARGV[4] now (unix), ARGV[5]
// message line or "", ARGV[6] cap of the log.
// Returns {1, status before, openid}, {0, status before} when it was not
// the expected one, or {-1} when there is no such case.
var caseStatusScript = redis.NewScript(`
local st = redis.call('HGET', KEYS[1], 'status')
if not st then return {-1} end
if ARGV[1] ~= '' and st ~= ARGV[1] then return {0, st} end
redis.call('HSET', KEYS[1], 'status', ARGV[2], 'updated', ARGV[4])
if ARGV[3] == '0' then redis.call('PERSIST', KEYS[1]) else redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
if ARGV[5] ~= '' then
  local log = redis.call('HGET', KEYS[1], 'log')
  if log and log ~= '' then log = log .. '\n' .. ARGV[5] else log = ARGV[5] end
  local n = 0
  for _ in string.gmatch(log, '\n') do n = n + 1 end
  while n + 1 > tonumber(ARGV[6]) do
    log = string.sub(log, string.find(log, '\n', 1, true) + 1)
    n = n - 1
  end
  redis.call('HSET', KEYS[1], 'log', log)
end
return {1, st, redis.call('HGET', KEYS[1], 'openid') or ''}
`)

// ErrCaseMoved is a case whose status changed since the clerk saw it.
var ErrCaseMoved = errors.New("store: case status changed meanwhile")

// CaseMove is a status change of one case.
type CaseMove struct {
	ID   string
	From string // the status the clerk saw; "" = whatever it is
	To   string
	At   time.Time
	Note *CaseMessage // added to the conversation with the change; optional
}

// MoveCase changes a case's status if it is still From: ErrCaseMoved when
// it is not, ErrNotFound when it is gone. A case that is done with (answered,
// closed, handed over) expires after the store's consultation retention;
// one in work is kept until it is done. Closing it ends the resident's open
// case, so that their next messages go to no case.
func (s *Store) MoveCase(ctx context.Context, m CaseMove) error {
	valid := false
	for _, st := range caseStatuses {
		valid = valid || st == m.To
	}
	if !valid {
		return fmt.Errorf("store: case status %q is not one of %s", m.To, strings.Join(caseStatuses, ", "))
	}
	var ttl int64
	if m.To != CaseNew && m.To != CaseWorking {
		ttl = s.consultRetention.Milliseconds()
	}
	note := ""
	if m.Note != nil {
		m.Note.Text = clip.RunesWith(m.Note.Text, ConsultMaxRunes, consultCut)
		b, err := json.Marshal(m.Note)
		if err != nil {
			return fmt.Errorf("store: case %s: %w", m.ID, err)
		}
		note = string(b)
	}
	res, err := caseStatusScript.Run(ctx, s.rdb, []string{s.keyConsult(m.ID)}, m.From, m.To, ttl, m.At.Unix(), note, caseLogMax).Slice()
	if err != nil {
		return fmt.Errorf("store: case %s: %w", m.ID, err)
	}
	switch res[0].(int64) {
	case -1:
		return fmt.Errorf("%w: case %s", ErrNotFound, m.ID)
	case 0:
		return fmt.Errorf("%w: case %s is %v", ErrCaseMoved, m.ID, res[1])
	}
	if openid, _ := res[2].(string); m.To == CaseClosed && openid != "" {
		// A separate command: the resident's pointer sits in their slot.
		if err := compareAndDeleteScript.Run(ctx, s.rdb, []string{s.keyUserCase(openid)}, m.ID).Err(); err != nil {
			return fmt.Errorf("store: case %s: %w", m.ID, err)
		}
	}
	return nil
}

// SetConsultationStatus moves a consultation to status whatever it was
// (MoveCase without an expected status).
func (s *Store) SetConsultationStatus(ctx context.Context, id, status string) error {
	return s.MoveCase(ctx, CaseMove{ID: id, To: status, At: time.Now()})
}

// caseFieldScript sets fields of a case only while it exists.
// KEYS[1] consultation hash. ARGV field/value pairs.
var caseFieldScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
for i = 1, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i+1]) end
return 1
`)

// SetCaseFields records a case's assignee and category; nil leaves one
// as it is. ErrNotFound when the case is gone.
func (s *Store) SetCaseFields(ctx context.Context, id string, assignee, category *string, at time.Time) error {
	args := []any{"updated", at.Unix()}
	if assignee != nil {
		args = append(args, "assignee", *assignee)
	}
	if category != nil {
		args = append(args, "category", *category)
	}
	n, err := caseFieldScript.Run(ctx, s.rdb, []string{s.keyConsult(id)}, args...).Int()
	if err != nil {
		return fmt.Errorf("store: case %s: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("%w: case %s", ErrNotFound, id)
	}
	return nil
}

// Consultations lists requests created in [from, to), oldest first.
func (s *Store) Consultations(ctx context.Context, from, to time.Time) ([]Consultation, error) {
	ids, err := s.rdb.ZRangeByScore(ctx, s.keyConsultIndex(), &redis.ZRangeBy{
		Min: strconv.FormatInt(from.Unix(), 10), Max: "(" + strconv.FormatInt(to.Unix(), 10),
	}).Result()
	if err != nil {
		return nil, fmt.Errorf("store: consultations: %w", err)
	}
	out := make([]Consultation, 0, len(ids))
	for _, id := range ids {
		h, err := s.rdb.HGetAll(ctx, s.keyConsult(id)).Result()
		if err != nil {
			return nil, fmt.Errorf("store: consultation %s: %w", id, err)
		}
		if len(h) == 0 {
			// Past its retention: the index forgets it too.
			if err := s.rdb.ZRem(ctx, s.keyConsultIndex(), id).Err(); err != nil {
				return nil, fmt.Errorf("store: consultation %s: %w", id, err)
			}
			continue
		}
		out = append(out, consultationOf(id, h))
	}
	return out, nil
}

// consultWalk is how many consultation ids one round trip reads while
// walking the index for a filter.
const consultWalk = 500

// CaseFilter selects cases for a page; zero fields select all.
type CaseFilter struct {
	Status   string
	Assignee string
	// OverdueBefore, when set, selects cases still awaiting an answer
	// (new or working) created before it.
	OverdueBefore time.Time
}

func (f CaseFilter) all() bool { return f.Status == "" && f.Assignee == "" && f.OverdueBefore.IsZero() }

// caseHead is what a filter reads of each case.
type caseHead struct {
	id, status, assignee string
	created              int64
}

func (f CaseFilter) match(h caseHead) bool {
	if h.status == "" {
		return false
	}
	if f.Status != "" && h.status != f.Status {
		return false
	}
	if f.Assignee != "" && h.assignee != f.Assignee {
		return false
	}
	if !f.OverdueBefore.IsZero() && !(AwaitsAnswer(h.status) && h.created < f.OverdueBefore.Unix()) {
		return false
	}
	return true
}

// AwaitsAnswer tells whether a case in status still waits for staff: its
// SLA clock runs.
func AwaitsAnswer(status string) bool { return status == CaseNew || status == CaseWorking }

// ConsultationPage returns up to limit consultations, newest first,
// skipping the first offset; status "" means any. total is how many there
// are (with that status).
func (s *Store) ConsultationPage(ctx context.Context, status string, offset, limit int) (list []Consultation, total int64, err error) {
	return s.CasePage(ctx, CaseFilter{Status: status}, offset, limit)
}

// CasePage returns up to limit cases matching f, newest first, skipping
// the first offset, and how many match. The unfiltered page reads only its
// own records; a filter reads status, assignee and creation of every case
// (pipelined, 500 a round trip), as no per-status index is kept: that costs
// about a millisecond per thousand cases and holds only their ids.
func (s *Store) CasePage(ctx context.Context, f CaseFilter, offset, limit int) (list []Consultation, total int64, err error) {
	if offset < 0 || limit <= 0 {
		return nil, 0, nil
	}
	var ids []string
	if f.all() {
		if total, err = s.rdb.ZCard(ctx, s.keyConsultIndex()).Result(); err != nil {
			return nil, 0, fmt.Errorf("store: consultations: %w", err)
		}
		ids, err = s.rdb.ZRevRange(ctx, s.keyConsultIndex(), int64(offset), int64(offset+limit-1)).Result()
		if err != nil {
			return nil, 0, fmt.Errorf("store: consultations: %w", err)
		}
	} else {
		err = s.walkCases(ctx, func(h caseHead) {
			if !f.match(h) {
				return
			}
			if total >= int64(offset) && len(ids) < limit {
				ids = append(ids, h.id)
			}
			total++
		})
		if err != nil {
			return nil, 0, err
		}
	}
	list, err = s.consultations(ctx, ids)
	return list, total, err
}

// ConsultationCounts counts consultations by status, for the dashboard,
// without reading their texts.
func (s *Store) ConsultationCounts(ctx context.Context) (map[string]int64, error) {
	out := map[string]int64{}
	err := s.walkCases(ctx, func(h caseHead) {
		if h.status != "" {
			out[h.status]++
		}
	})
	return out, err
}

// walkCases calls fn with the head of every indexed case, newest first; a
// record gone from under its index entry has status "".
func (s *Store) walkCases(ctx context.Context, fn func(caseHead)) error {
	for start := int64(0); ; start += consultWalk {
		ids, err := s.rdb.ZRevRange(ctx, s.keyConsultIndex(), start, start+consultWalk-1).Result()
		if err != nil {
			return fmt.Errorf("store: consultation statuses: %w", err)
		}
		cmds := make([]*redis.SliceCmd, len(ids))
		// A missing record answers nils; any error is Redis's.
		_, _ = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, id := range ids {
				cmds[i] = p.HMGet(ctx, s.keyConsult(id), "status", "assignee", "created")
			}
			return nil
		})
		for i, id := range ids {
			v, err := cmds[i].Result()
			if err != nil {
				return fmt.Errorf("store: consultation %s status: %w", id, err)
			}
			h := caseHead{id: id}
			h.status, _ = v[0].(string)
			h.assignee, _ = v[1].(string)
			c, _ := v[2].(string)
			h.created, _ = strconv.ParseInt(c, 10, 64)
			fn(h)
		}
		if len(ids) < consultWalk {
			return nil
		}
	}
}

// consultations reads the records of ids in one round trip, in order;
// ids whose record is gone are left out. The conversation is read too, as
// a bare 转人工 shows the resident's last messages in the list.
func (s *Store) consultations(ctx context.Context, ids []string) ([]Consultation, error) {
	cmds := make([]*redis.MapStringStringCmd, len(ids))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.HGetAll(ctx, s.keyConsult(id))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: consultations: %w", err)
	}
	out := make([]Consultation, 0, len(ids))
	for i, id := range ids {
		h := cmds[i].Val()
		if len(h) == 0 {
			continue
		}
		c := consultationOf(id, h)
		c.Messages = parseCaseLog(h["log"])
		out = append(out, c)
	}
	return out, nil
}
