package store

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Quiz state kept in Redis; package quiz owns its meaning and this file only
// its storage (see the key layout in keys.go for why a resident's progress
// lives in the quiz's slot).

// QuizRetention is how long a resident's progress and leaderboard entry are
// kept after a quiz closes: long enough for the annual report and for
// residents to look up their result, then they expire. Aggregates never do.
const QuizRetention = 400 * 24 * time.Hour

// attemptsGrace is how long after a quiz closes its attempts records are
// kept: they only matter while attempts can start, and a day covers a
// clock set differently from the quiz service's.
const attemptsGrace = 24 * time.Hour

// boardScale separates the two parts of a leaderboard score: right answers
// times boardScale plus (boardTieBase − finish time in Unix seconds), so a
// higher score ranks first and, among equal scores, the earlier finish.
const (
	boardScale   = 1e10
	boardTieBase = 9999999999
)

// Quiz progress states.
const (
	QuizActive = "active" // answering
	QuizDone   = "done"   // the last attempt is finished
)

// QuizProgress is one resident's progress in one quiz.
type QuizProgress struct {
	State     string   // "" (never started), QuizActive or QuizDone
	Attempt   int      // 1 for the first attempt
	Pos       int      // index in Order of the next question
	Correct   int      // right answers in this attempt so far
	Order     []string // question ids of this attempt
	Answers   []string // answers recorded in this attempt, by position
	Best      int      // best right answers over finished attempts
	HasBest   bool     // at least one attempt finished
	Community string   // counted for this community (fixed at the first start)
	Started   time.Time
	Finished  time.Time // end of the last finished attempt
	LastAt    time.Time // when the last answer was recorded
	LastAns   string    // the last answer recorded
}

// QuizStart asks to start or resume a resident's attempt.
type QuizStart struct {
	Quiz        string
	OpenID      string
	Order       []string      // questions of a new attempt (ignored when resuming)
	MaxAttempts int           // 0 = unlimited
	At          time.Time     // now
	Closes      time.Time     // when the quiz closes; records expire QuizRetention later
	Idle        time.Duration // session pointer TTL
}

// StartStatus is the outcome of StartQuiz.
type StartStatus string

// Start outcomes.
const (
	QuizStarted   StartStatus = "new"    // a new attempt began
	QuizResumed   StartStatus = "resume" // an active attempt continues
	QuizNoAttempt StartStatus = "limit"  // every allowed attempt is used
)

// ActiveQuiz returns the quiz the resident is answering now ("" when none)
// and renews the session for idle: every message of a resident in a quiz
// keeps it open. It runs on every text message, so it is one command on the
// auto-pipelined client.
func (s *Store) ActiveQuiz(ctx context.Context, openid string, idle time.Duration) (string, error) {
	return optional(s.hot.GetEx(ctx, s.keyUserQuiz(openid), idle), "active quiz")
}

// LeaveQuiz ends the resident's session; progress is kept for a resume.
func (s *Store) LeaveQuiz(ctx context.Context, openid string) error {
	if err := s.hot.Del(ctx, s.keyUserQuiz(openid)).Err(); err != nil {
		return fmt.Errorf("store: leave quiz: %w", err)
	}
	return nil
}

// The quiz scripts' keys all share the quiz's hash tag.

// quizStartScript resumes a resident's active attempt or starts a new one
// (within the attempts limit), counting first-time participants once. The
// attempts record (KEYS[4], under a keyed hash of openid and quiz) outlives
// the resident's erasure: attempts started there count against the limit,
// and a resident it knows is no new participant and stays with the
// community first credited, whatever QR code they followed again from.
// KEYS[1] progress hash, KEYS[2] stats hash, KEYS[3] communities hash,
// KEYS[4] attempts record.
// ARGV[1] question order (ids joined by ','), ARGV[2] max attempts (0 = no
// limit), ARGV[3] community, ARGV[4] now (unix s), ARGV[5] expire-at (unix s),
// ARGV[6] attempts record expire-at (unix s).
// Returns {"new"|"resume"|"limit", progress field, value, ...}.
var quizStartScript = redis.NewScript(`
local st = redis.call('HMGET', KEYS[1], 'state', 'attempt', 'pos')
local seen = redis.call('HMGET', KEYS[4], 'n', 'c')
local status = 'resume'
if st[1] ~= 'active' then
  local attempt = math.max(tonumber(st[2] or '0'), tonumber(seen[1] or '0'))
  local max = tonumber(ARGV[2])
  if max > 0 and attempt >= max then
    status = 'limit'
  else
    status = 'new'
    if not st[1] then
      local c = ARGV[3]
      if seen[1] then
        c = seen[2] or ''
      else
        redis.call('HINCRBY', KEYS[2], 'participants', 1)
        if c ~= '' then redis.call('HINCRBY', KEYS[3], c .. ':participants', 1) end
      end
      redis.call('HSET', KEYS[1], 'community', c)
    end
    for i = 0, tonumber(st[3] or '0') - 1 do redis.call('HDEL', KEYS[1], 'a' .. i) end
    redis.call('HINCRBY', KEYS[2], 'attempts', 1)
    redis.call('HSET', KEYS[1], 'state', 'active', 'attempt', attempt + 1, 'pos', 0, 'correct', 0,
      'order', ARGV[1], 'started', ARGV[4], 'last_at', 0, 'last_ans', '')
    redis.call('HDEL', KEYS[1], 'finished')
    redis.call('EXPIREAT', KEYS[1], ARGV[5])
    redis.call('HSET', KEYS[4], 'n', attempt + 1)
    redis.call('HSETNX', KEYS[4], 'c', redis.call('HGET', KEYS[1], 'community') or '')
    redis.call('EXPIREAT', KEYS[4], ARGV[6])
  end
end
local h = redis.call('HGETALL', KEYS[1])
if status == 'limit' and not st[1] then
  -- erased and back: the best the attempts record kept is all there is
  h = {'state', 'done', 'attempt', seen[1]}
  local b = redis.call('HGET', KEYS[4], 'b')
  if b then table.insert(h, 'best'); table.insert(h, b) end
end
table.insert(h, 1, status)
return h
`)

// StartQuiz starts or resumes the resident's attempt and, unless every
// attempt is used, makes it the session's quiz. The quiz is indexed under the
// resident before any record is written in the quiz's slot, so erasure can
// always find it.
func (s *Store) StartQuiz(ctx context.Context, q QuizStart) (StartStatus, QuizProgress, error) {
	community := s.async.HGet(ctx, s.keyUser(q.OpenID), "community")
	index := s.async.SAdd(ctx, s.keyUserQuizzes(q.OpenID), q.Quiz)
	if err := wait(index, community); err != nil { // a missing community is redis.Nil, no error
		return "", QuizProgress{}, fmt.Errorf("store: start quiz: %w", err)
	}
	keys := []string{s.keyQuizProgress(q.Quiz, q.OpenID), s.keyQuizStats(q.Quiz), s.keyQuizCommunities(q.Quiz),
		s.keyQuizAttempts(q.Quiz, q.OpenID)}
	res, err := quizStartScript.Run(ctx, s.hot, keys, strings.Join(q.Order, ","), q.MaxAttempts,
		community.Val(), q.At.Unix(), q.Closes.Add(QuizRetention).Unix(), q.Closes.Add(attemptsGrace).Unix()).StringSlice()
	if err != nil {
		return "", QuizProgress{}, fmt.Errorf("store: start quiz: %w", err)
	}
	if len(res) == 0 {
		return "", QuizProgress{}, errors.New("store: start quiz: empty reply")
	}
	status := StartStatus(res[0])
	h := make(map[string]string, len(res)/2)
	for i := 1; i+1 < len(res); i += 2 {
		h[res[i]] = res[i+1]
	}
	if status != QuizNoAttempt {
		if err := s.hot.Set(ctx, s.keyUserQuiz(q.OpenID), q.Quiz, q.Idle).Err(); err != nil {
			return "", QuizProgress{}, fmt.Errorf("store: start quiz session: %w", err)
		}
	}
	return status, parseProgress(h), nil
}

// QuizProgress returns the resident's progress in a quiz (State "" when
// there is none).
func (s *Store) QuizProgress(ctx context.Context, quiz, openid string) (QuizProgress, error) {
	h, err := s.hot.HGetAll(ctx, s.keyQuizProgress(quiz, openid)).Result()
	if err != nil {
		return QuizProgress{}, fmt.Errorf("store: quiz progress: %w", err)
	}
	return parseProgress(h), nil
}

func parseProgress(h map[string]string) QuizProgress {
	num := func(k string) int { n, _ := strconv.Atoi(h[k]); return n }
	unix := func(k string) time.Time {
		n, err := strconv.ParseInt(h[k], 10, 64)
		if err != nil || n == 0 {
			return time.Time{}
		}
		return time.Unix(n, 0)
	}
	p := QuizProgress{
		State: h["state"], Attempt: num("attempt"), Pos: num("pos"), Correct: num("correct"),
		Best: num("best"), Community: h["community"], Started: unix("started"), Finished: unix("finished"),
	}
	_, p.HasBest = h["best"]
	if ms, err := strconv.ParseInt(h["last_at"], 10, 64); err == nil && ms > 0 {
		p.LastAt = time.UnixMilli(ms)
	}
	p.LastAns = h["last_ans"]
	if o := h["order"]; o != "" {
		p.Order = strings.Split(o, ",")
	}
	for i := 0; i < p.Pos; i++ {
		p.Answers = append(p.Answers, h["a"+strconv.Itoa(i)])
	}
	return p
}

// QuizAnswer is one answer to record.
type QuizAnswer struct {
	Quiz, OpenID string
	Attempt, Pos int    // what the caller read: the answer counts only if both are still current
	Question     string // id of the question at Pos
	Answer       string // canonical answer given, e.g. "AC", "T"
	Correct      string // canonical right answer
	Total        int    // questions in the attempt
	At           time.Time
	RepeatWindow time.Duration // an identical answer this soon after the previous one is a repeat
	Closes       time.Time     // when the quiz closes
}

// AnswerStatus is the outcome of RecordQuizAnswer.
type AnswerStatus string

// Answer outcomes.
const (
	AnswerRecorded AnswerStatus = "recorded" // counted
	AnswerStale    AnswerStatus = "stale"    // the question was already answered (duplicate or retry)
	AnswerRepeat   AnswerStatus = "repeat"   // the previous answer, sent again: not counted
	AnswerInactive AnswerStatus = "inactive" // no active attempt (finished, restarted or erased)
)

// AnswerResult is the state after RecordQuizAnswer.
type AnswerResult struct {
	Status   AnswerStatus
	Right    bool // this answer was right (recorded only)
	Pos      int  // position of the next question
	Correct  int  // right answers in the attempt
	Finished bool // this answer finished the attempt
	Best     int  // best right answers (when finished)
}

// quizAnswerScript records one answer at most once per question and
// attempt: it counts only when the attempt and position the caller read are
// still current, so a concurrent duplicate or a late retry finds the
// position moved ("stale"). An answer equal to the previous one that comes
// within the repeat window is the resident's repeated reply to the previous
// question ("repeat"), not an answer to the next. A recorded answer updates
// the per-question counters; the last one closes the attempt, updates the
// completion counters and, when the attempt beats the resident's best, the
// best-score sums and the leaderboard (more right answers first, then the
// earlier finish).
// The aggregates (completions, best-score sums, full marks) go by the best
// the attempts record remembers across erasures, so a resident who
// unfollowed and came back is not counted again; the progress hash and the
// leaderboard show the attempts since.
// KEYS[1] progress, KEYS[2] stats, KEYS[3] communities, KEYS[4] board,
// KEYS[5] attempts record.
// ARGV[1] attempt, ARGV[2] position, ARGV[3] question id, ARGV[4] answer,
// ARGV[5] correct answer, ARGV[6] questions in the attempt, ARGV[7] now (ms),
// ARGV[8] repeat window (ms), ARGV[9] openid, ARGV[10] board expire-at (unix s),
// ARGV[11] attempts record expire-at (unix s).
// Returns {status, position after, right answers, this one right 0|1,
// finished 0|1, best}; status is recorded, stale, repeat or inactive.
var quizAnswerScript = redis.NewScript(`
local p = redis.call('HMGET', KEYS[1], 'state', 'attempt', 'pos', 'correct', 'last_at', 'last_ans', 'community', 'best')
local pos = tonumber(p[3] or '0')
local correct = tonumber(p[4] or '0')
if p[1] ~= 'active' or p[2] ~= ARGV[1] then return {'inactive', pos, correct, 0, 0, 0} end
if pos ~= tonumber(ARGV[2]) then return {'stale', pos, correct, 0, 0, 0} end
local now = tonumber(ARGV[7])
if pos > 0 and p[6] == ARGV[4] and now - tonumber(p[5] or '0') < tonumber(ARGV[8]) then
  return {'repeat', pos, correct, 0, 0, 0}
end
local right = 0
if ARGV[4] == ARGV[5] then right = 1 end
correct = correct + right
redis.call('HSET', KEYS[1], 'a' .. pos, ARGV[4], 'pos', pos + 1, 'correct', correct,
  'last_at', ARGV[7], 'last_ans', ARGV[4])
pos = pos + 1
local q = 'q:' .. ARGV[3]
redis.call('HINCRBY', KEYS[2], q .. ':n', 1)
redis.call('HINCRBY', KEYS[2], q .. ':ok', right)
redis.call('HINCRBY', KEYS[2], q .. ':a:' .. ARGV[4], 1)
local total = tonumber(ARGV[6])
if pos < total then return {'recorded', pos, correct, right, 0, 0} end
local sec = math.floor(now / 1000)
redis.call('HSET', KEYS[1], 'state', 'done', 'finished', sec)
redis.call('HINCRBY', KEYS[2], 'finished', 1)
redis.call('HINCRBY', KEYS[2], 'score_sum', correct)
local c = p[7] or ''
local prior = p[8]
local sb = redis.call('HGET', KEYS[5], 'b')
if sb and (not prior or tonumber(sb) > tonumber(prior)) then prior = sb end
local first = not prior
local best = tonumber(prior or '0')
if first then
  redis.call('HINCRBY', KEYS[2], 'completions', 1)
  if c ~= '' then redis.call('HINCRBY', KEYS[3], c .. ':completions', 1) end
end
if first or correct > best then
  redis.call('HINCRBY', KEYS[2], 'best_sum', correct - best)
  if c ~= '' then redis.call('HINCRBY', KEYS[3], c .. ':best_sum', correct - best) end
  if correct == total then redis.call('HINCRBY', KEYS[2], 'full_marks', 1) end
  best = correct
end
redis.call('HSET', KEYS[5], 'b', best)
redis.call('HSETNX', KEYS[5], 'n', ARGV[1])
redis.call('HSETNX', KEYS[5], 'c', c)
redis.call('EXPIREAT', KEYS[5], ARGV[11])
local own = tonumber(p[8] or '-1')
if correct > own then
  own = correct
  redis.call('HSET', KEYS[1], 'best', own)
  redis.call('ZADD', KEYS[4], string.format('%.0f', correct * 1e10 + (9999999999 - sec)), ARGV[9])
  redis.call('EXPIREAT', KEYS[4], ARGV[10])
end
return {'recorded', pos, correct, right, 1, own}
`)

// RecordQuizAnswer records an answer, scores it and, at the end of an
// attempt, updates completions and the leaderboard, all in one script.
func (s *Store) RecordQuizAnswer(ctx context.Context, a QuizAnswer) (AnswerResult, error) {
	keys := []string{s.keyQuizProgress(a.Quiz, a.OpenID), s.keyQuizStats(a.Quiz),
		s.keyQuizCommunities(a.Quiz), s.keyQuizBoard(a.Quiz), s.keyQuizAttempts(a.Quiz, a.OpenID)}
	res, err := quizAnswerScript.Run(ctx, s.hot, keys, a.Attempt, a.Pos, a.Question, a.Answer, a.Correct,
		a.Total, a.At.UnixMilli(), a.RepeatWindow.Milliseconds(), a.OpenID,
		a.Closes.Add(QuizRetention).Unix(), a.Closes.Add(attemptsGrace).Unix()).Slice()
	if err != nil {
		return AnswerResult{}, fmt.Errorf("store: record quiz answer: %w", err)
	}
	if len(res) != 6 {
		return AnswerResult{}, fmt.Errorf("store: record quiz answer: unexpected reply %v", res)
	}
	n := func(i int) int { v, _ := res[i].(int64); return int(v) }
	status, _ := res[0].(string)
	return AnswerResult{Status: AnswerStatus(status), Pos: n(1), Correct: n(2), Right: n(3) == 1,
		Finished: n(4) == 1, Best: n(5)}, nil
}

// QuizEntry is one leaderboard entry.
type QuizEntry struct {
	OpenID   string
	Rank     int // 1-based; entries with equal score and finish second share it
	Correct  int
	Finished time.Time
}

func decodeBoard(score float64) (correct int, finished time.Time) {
	v := int64(math.Round(score))
	c := v / boardScale
	return int(c), time.Unix(boardTieBase-(v-c*boardScale), 0)
}

// QuizTop returns the first n leaderboard entries.
func (s *Store) QuizTop(ctx context.Context, quiz string, n int) ([]QuizEntry, error) {
	zs, err := s.hot.ZRevRangeWithScores(ctx, s.keyQuizBoard(quiz), 0, int64(n-1)).Result()
	if err != nil {
		return nil, fmt.Errorf("store: quiz top: %w", err)
	}
	out := make([]QuizEntry, len(zs))
	for i, z := range zs {
		// Every entry ahead of the first equal score is strictly greater, so
		// that entry's index is the shared rank minus one.
		rank := i + 1
		if i > 0 && z.Score == zs[i-1].Score {
			rank = out[i-1].Rank
		}
		c, fin := decodeBoard(z.Score)
		out[i] = QuizEntry{OpenID: fmt.Sprint(z.Member), Rank: rank, Correct: c, Finished: fin}
	}
	return out, nil
}

// quizRankScript reads a resident's leaderboard entry and rank in one step:
// the rank is one more than the entries strictly ahead, so true ties share it.
// KEYS[1] board. ARGV[1] openid. Returns {score or "", entries ahead, entries}.
var quizRankScript = redis.NewScript(`
local n = redis.call('ZCARD', KEYS[1])
local s = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not s then return {'', 0, n} end
return {s, redis.call('ZCOUNT', KEYS[1], '(' .. s, '+inf'), n}
`)

// QuizRank returns the resident's leaderboard entry (ok=false when not on
// the board) and how many are on it.
func (s *Store) QuizRank(ctx context.Context, quiz, openid string) (e QuizEntry, total int, ok bool, err error) {
	res, err := quizRankScript.Run(ctx, s.hot, []string{s.keyQuizBoard(quiz)}, openid).Slice()
	if err != nil {
		return QuizEntry{}, 0, false, fmt.Errorf("store: quiz rank: %w", err)
	}
	if len(res) != 3 {
		return QuizEntry{}, 0, false, fmt.Errorf("store: quiz rank: unexpected reply %v", res)
	}
	ahead, _ := res[1].(int64)
	n, _ := res[2].(int64)
	raw, _ := res[0].(string)
	if raw == "" {
		return QuizEntry{}, int(n), false, nil
	}
	score, err := strconv.ParseFloat(raw, 64)
	if err != nil {
		return QuizEntry{}, 0, false, fmt.Errorf("store: quiz rank: score %q: %w", raw, err)
	}
	c, fin := decodeBoard(score)
	return QuizEntry{OpenID: openid, Rank: int(ahead) + 1, Correct: c, Finished: fin}, int(n), true, nil
}

// QuizStats are a quiz's aggregate counters; they hold no personal data.
type QuizStats struct {
	Participants int64 // residents who started (once, even across unfollowing while the quiz is open)
	Attempts     int64 // attempts started
	Finished     int64 // attempts finished
	Completions  int64 // residents who finished at least once
	ScoreSum     int64 // right answers over finished attempts
	BestSum      int64 // right answers of each completer's best attempt
	FullMarks    int64 // completers with every answer right
	Questions    map[string]QuestionStats
	Communities  map[string]CommunityQuizStats
}

// QuestionStats counts the answers to one question.
type QuestionStats struct {
	Answered int64
	Right    int64
	Answers  map[string]int64 // by canonical answer
}

// CommunityQuizStats counts one community's residents in a quiz.
type CommunityQuizStats struct {
	Participants int64
	Completions  int64
	BestSum      int64
}

// QuizStats reads a quiz's aggregates.
func (s *Store) QuizStats(ctx context.Context, quiz string) (QuizStats, error) {
	var stats, comms *redis.MapStringStringCmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		stats = p.HGetAll(ctx, s.keyQuizStats(quiz))
		comms = p.HGetAll(ctx, s.keyQuizCommunities(quiz))
		return nil
	})
	if err != nil {
		return QuizStats{}, fmt.Errorf("store: quiz stats: %w", err)
	}
	out := QuizStats{Questions: map[string]QuestionStats{}, Communities: map[string]CommunityQuizStats{}}
	for k, v := range stats.Val() {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return QuizStats{}, fmt.Errorf("store: quiz stats %s: %w", k, err)
		}
		switch k {
		case "participants":
			out.Participants = n
		case "attempts":
			out.Attempts = n
		case "finished":
			out.Finished = n
		case "completions":
			out.Completions = n
		case "score_sum":
			out.ScoreSum = n
		case "best_sum":
			out.BestSum = n
		case "full_marks":
			out.FullMarks = n
		default:
			// q:<qid>:n, q:<qid>:ok, q:<qid>:a:<answer>; ids contain no ':'.
			rest, ok := strings.CutPrefix(k, "q:")
			if !ok {
				continue
			}
			id, field, _ := strings.Cut(rest, ":")
			q := out.Questions[id]
			switch {
			case field == "n":
				q.Answered = n
			case field == "ok":
				q.Right = n
			case strings.HasPrefix(field, "a:"):
				if q.Answers == nil {
					q.Answers = map[string]int64{}
				}
				q.Answers[field[2:]] = n
			}
			out.Questions[id] = q
		}
	}
	for k, v := range comms.Val() {
		i := strings.LastIndexByte(k, ':')
		if i < 0 {
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return QuizStats{}, fmt.Errorf("store: quiz communities %s: %w", k, err)
		}
		c := out.Communities[k[:i]]
		switch k[i+1:] {
		case "participants":
			c.Participants = n
		case "completions":
			c.Completions = n
		case "best_sum":
			c.BestSum = n
		}
		out.Communities[k[:i]] = c
	}
	return out, nil
}

// eraseQuizRecords deletes the resident's progress and leaderboard entries
// in every quiz they took (each quiz is its own slot, so one transaction per
// quiz). EraseUser calls it before deleting the index it follows.
func (s *Store) eraseQuizRecords(ctx context.Context, openid string) error {
	ids, err := s.rdb.SMembers(ctx, s.keyUserQuizzes(openid)).Result()
	if err != nil {
		return fmt.Errorf("store: erase quiz records: %w", err)
	}
	for _, id := range ids {
		_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Del(ctx, s.keyQuizProgress(id, openid))
			p.ZRem(ctx, s.keyQuizBoard(id), openid)
			return nil
		})
		if err != nil {
			return fmt.Errorf("store: erase quiz %s records: %w", id, err)
		}
	}
	return nil
}
