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
	v, err := s.hot.GetEx(ctx, s.keyUserQuiz(openid), idle).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("store: active quiz: %w", err)
	}
	return v, nil
}

// LeaveQuiz ends the resident's session; progress is kept for a resume.
func (s *Store) LeaveQuiz(ctx context.Context, openid string) error {
	if err := s.hot.Del(ctx, s.keyUserQuiz(openid)).Err(); err != nil {
		return fmt.Errorf("store: leave quiz: %w", err)
	}
	return nil
}

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
