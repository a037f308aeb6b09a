package quiz

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pufa-dev/pufa/bot"
	"github.com/pufa-dev/pufa/clip"
	"github.com/pufa-dev/pufa/store"
)

// MenuKey is the custom-menu CLICK key that starts or resumes the quiz.
const MenuKey = "QUIZ"

// topN is how many leaderboard entries residents see.
const topN = 10

// Store is the quiz state in Redis (store.Store).
type Store interface {
	ActiveQuiz(ctx context.Context, openid string, idle time.Duration) (string, error)
	LeaveQuiz(ctx context.Context, openid string) error
	StartQuiz(ctx context.Context, q store.QuizStart) (store.StartStatus, store.QuizProgress, error)
	QuizProgress(ctx context.Context, quiz, openid string) (store.QuizProgress, error)
	RecordQuizAnswer(ctx context.Context, a store.QuizAnswer) (store.AnswerResult, error)
	QuizTop(ctx context.Context, quiz string, n int) ([]store.QuizEntry, error)
	QuizRank(ctx context.Context, quiz, openid string) (store.QuizEntry, int, bool, error)
	QuizStats(ctx context.Context, quiz string) (store.QuizStats, error)
	UserCommunity(ctx context.Context, openid string) (string, error)
	CommunityFollowers(ctx context.Context, community string) (int64, error)
}

// Options configures a Service.
type Options struct {
	Catalog *Catalog
	Store   Store
	// IdleTimeout ends a session nobody answers in: the resident's other
	// messages go to the rest of the bot again, and "答题" resumes.
	IdleTimeout time.Duration
	// RepeatWindow: the same reply again this soon after an answer is a
	// repeat of it, not the answer to the next question; 0 = off.
	RepeatWindow time.Duration
	// Answers, if set, counts recorded answers (metrics.Metrics).
	Answers AnswerCounter
	Logger  *slog.Logger
	Now     func() time.Time
}

// AnswerCounter counts recorded answers by correctness, for /metrics.
type AnswerCounter interface {
	QuizAnswer(correct bool)
}

// Service is the quiz in the chat. It is a bot.TextHandler — register it
// before the keyword rules and the knowledge answerer, so that "A" during a
// quiz is an answer and not a question — and the handler of MenuKey.
// It lives in package quiz rather than bot so that bot stays unaware of
// quizzes: quiz depends on bot's message types, never the other way round.
type Service struct {
	opts Options
}

// New returns a Service; IdleTimeout defaults to 30 minutes.
func New(opts Options) (*Service, error) {
	if opts.Catalog == nil || opts.Store == nil {
		return nil, errors.New("quiz: Catalog and Store are required")
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = 30 * time.Minute
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Service{opts: opts}, nil
}

// WithAnswers returns a copy of the service that reports recorded answers
// to c.
func (s *Service) WithAnswers(c AnswerCounter) *Service {
	cp := *s
	cp.opts.Answers = c
	return &cp
}

// Catalog returns the banks and quizzes the service runs.
func (s *Service) Catalog() *Catalog { return s.opts.Catalog }

// Register adds the service to r as a text handler and as the handler of
// the MenuKey click. Call it before adding keyword rules and the answerer.
func (s *Service) Register(r *bot.Router) {
	r.HandleText(s)
	r.HandleClick(MenuKey, bot.HandlerFunc(s.click))
}

type command int

const (
	cmdNone command = iota
	cmdStart
	cmdExit
	cmdRank
)

var commands = map[string]command{
	"答题": cmdStart, "开始答题": cmdStart, "参加答题": cmdStart, "继续答题": cmdStart, "我要答题": cmdStart, "再答一次": cmdStart,
	"退出": cmdExit, "退出答题": cmdExit, "暂停答题": cmdExit, "结束答题": cmdExit,
	"排行": cmdRank, "排行榜": cmdRank, "排名": cmdRank, "答题排行": cmdRank, "答题排名": cmdRank,
}

// HandleText claims "答题", "排行", and — while the resident is in an open
// quiz — every other text: answers, "退出", and anything else, which gets a
// hint and is not counted. Other texts pass to the next handler.
func (s *Service) HandleText(ctx context.Context, m *bot.Message) (bot.Reply, bool, error) {
	openid := m.FromUserName
	cmd := commands[strings.Trim(m.Text, answerNoise)]
	if cmd == cmdRank {
		return reply(s.leaderboard(ctx, openid)), true, nil
	}
	if cmd == cmdNone && m.SessionKnown && m.Session == "" {
		return bot.Reply{}, false, nil // not in a quiz: the bot read that with its dedup claim
	}
	active, err := s.opts.Store.ActiveQuiz(ctx, openid, s.opts.IdleTimeout)
	if err != nil {
		s.opts.Logger.Warn("quiz: reading session", "err", err)
		if cmd != cmdNone {
			return reply(textUnavailable), true, nil
		}
		return bot.Reply{}, false, nil // the rest of the bot may still answer
	}
	if active == "" {
		if cmd == cmdStart {
			return reply(s.start(ctx, openid, "")), true, nil
		}
		return bot.Reply{}, false, nil
	}
	now := s.opts.Now()
	qz := s.opts.Catalog.Quiz(active)
	if qz == nil || !qz.Window.Contains(now) {
		// The quiz closed (or was removed) while the resident was in it.
		s.leave(ctx, openid)
		switch {
		case cmd == cmdStart:
			return reply(s.start(ctx, openid, "")), true, nil
		case cmd == cmdExit:
			return reply(textLeftNone), true, nil
		case qz != nil && looksLikeAnswer(m.Text):
			return reply(fmt.Sprintf(textClosed, qz.Title, fmtWhen(qz.Window.To))), true, nil
		}
		return bot.Reply{}, false, nil
	}
	switch cmd {
	case cmdExit:
		return reply(s.exit(ctx, qz, openid)), true, nil
	case cmdStart:
		return reply(s.start(ctx, openid, qz.ID)), true, nil
	}
	return reply(s.answer(ctx, qz, openid, m.Text, now)), true, nil
}

// InstantText implements bot.InstantTexter: for a resident in no quiz only
// the quiz commands are the quiz's, and those read or write Redis.
func (s *Service) InstantText(m *bot.Message) (bot.Reply, bot.Verdict) {
	if commands[strings.Trim(m.Text, answerNoise)] != cmdNone {
		return bot.Reply{}, bot.Unsure
	}
	return bot.Reply{}, bot.Pass
}

// click handles the menu key like "答题".
func (s *Service) click(ctx context.Context, m *bot.Message) (bot.Reply, error) {
	active, err := s.opts.Store.ActiveQuiz(ctx, m.FromUserName, s.opts.IdleTimeout)
	if err != nil {
		s.opts.Logger.Warn("quiz: reading session", "err", err)
		return reply(textUnavailable), nil
	}
	return reply(s.start(ctx, m.FromUserName, active)), nil
}

func reply(text string) bot.Reply { return bot.Reply{Text: clip.Bytes(text, maxReplyBytes)} }

func (s *Service) leave(ctx context.Context, openid string) {
	if err := s.opts.Store.LeaveQuiz(ctx, openid); err != nil {
		// The session then lapses after the idle timeout instead.
		s.opts.Logger.Warn("quiz: leaving session", "err", err)
	}
}

// start starts or resumes the preferred quiz if it is open, else the
// current one.
func (s *Service) start(ctx context.Context, openid, preferred string) string {
	now := s.opts.Now()
	qz := s.opts.Catalog.Quiz(preferred)
	if qz == nil || !qz.Window.Contains(now) {
		qz = s.opts.Catalog.Current(now)
	}
	if qz == nil {
		return s.noQuiz(now)
	}
	status, p, err := s.opts.Store.StartQuiz(ctx, store.QuizStart{
		Quiz: qz.ID, OpenID: openid, Order: qz.Draw(), MaxAttempts: qz.Attempts,
		At: now, Closes: qz.Window.To, Idle: s.opts.IdleTimeout,
	})
	if err != nil {
		s.opts.Logger.Error("quiz: start", "quiz", qz.ID, "err", err)
		return textUnavailable
	}
	switch status {
	case store.QuizNoAttempt:
		return fmt.Sprintf("您已用完本次答题的%d次机会，最好成绩：答对%d/%d题（%d分）。感谢参与！\n", qz.Attempts, p.Best, qz.Questions, score(p.Best, qz.Questions)) +
			s.rankLine(ctx, qz, openid)
	case store.QuizResumed:
		q, ok := s.question(qz, p)
		if !ok {
			return textBankChanged
		}
		return fmt.Sprintf("欢迎回来，继续答题（已答%d题，答对%d题）。\n\n", p.Pos, p.Correct) + questionAt(qz, q, p.Pos, len(p.Order))
	}
	s.opts.Logger.Info("quiz attempt started", "quiz", qz.ID, "attempt", p.Attempt)
	q, ok := s.question(qz, p)
	if !ok {
		return textBankChanged
	}
	var b strings.Builder
	fmt.Fprintf(&b, "欢迎参加“%s”！共%d题，答题截止%s", qz.Title, len(p.Order), fmtWhen(qz.Window.To))
	if qz.Attempts > 0 {
		fmt.Fprintf(&b, "，每人可答%d次（这是第%d次），取最好成绩", qz.Attempts, p.Attempt)
	} else if p.Attempt > 1 {
		fmt.Fprintf(&b, "（这是您的第%d次答题，取最好成绩）", p.Attempt)
	}
	b.WriteString("。\n\n" + questionAt(qz, q, p.Pos, len(p.Order)))
	return b.String()
}

// question returns the question at the attempt's position; ok=false when the
// bank no longer has it.
func (s *Service) question(qz *Quiz, p store.QuizProgress) (*Question, bool) {
	if p.Pos >= len(p.Order) {
		return nil, false
	}
	q := qz.Bank.Question(p.Order[p.Pos])
	if q == nil {
		s.opts.Logger.Warn("quiz: question missing from bank", "quiz", qz.ID, "question", p.Order[p.Pos])
	}
	return q, q != nil
}

func (s *Service) noQuiz(now time.Time) string {
	text := textNoQuiz
	if next := s.opts.Catalog.Upcoming(now); next != nil {
		text += fmt.Sprintf("下一场“%s”将于%s开始，届时回复“答题”参加。", next.Title, fmtWhen(next.Window.From))
	}
	if last := s.opts.Catalog.Latest(now); last != nil && last.Leaderboard {
		text += fmt.Sprintf("\n“%s”已结束，回复“排行”查看最终排名。", last.Title)
	}
	return text
}

func (s *Service) exit(ctx context.Context, qz *Quiz, openid string) string {
	s.leave(ctx, openid)
	p, err := s.opts.Store.QuizProgress(ctx, qz.ID, openid)
	if err != nil || p.State != store.QuizActive {
		return textLeftNone
	}
	return fmt.Sprintf(textLeft, p.Pos+1)
}

// answer records text as the answer to the resident's current question.
func (s *Service) answer(ctx context.Context, qz *Quiz, openid, text string, now time.Time) string {
	p, err := s.opts.Store.QuizProgress(ctx, qz.ID, openid)
	if err != nil {
		s.opts.Logger.Error("quiz: reading progress", "quiz", qz.ID, "err", err)
		return textUnavailable
	}
	if p.State != store.QuizActive {
		// Finished by a concurrent message, or erased: the session is stale.
		s.leave(ctx, openid)
		return textOver
	}
	q, ok := s.question(qz, p)
	if !ok {
		return textBankChanged
	}
	if s.isRepeat(qz, p, text, now) {
		return s.afterDuplicate(ctx, qz, openid, fmt.Sprintf(textRepeat, p.Pos))
	}
	given, ok := ParseAnswer(q, text)
	if !ok {
		return textNotCounted + kindHint(q.Kind) + "回复“退出”可暂停答题，回复“排行”查看排行榜。\n\n" +
			questionAt(qz, q, p.Pos, len(p.Order))
	}
	res, err := s.opts.Store.RecordQuizAnswer(ctx, store.QuizAnswer{
		Quiz: qz.ID, OpenID: openid, Attempt: p.Attempt, Pos: p.Pos, Question: q.ID,
		Answer: given, Correct: q.Answer, Total: len(p.Order), At: now,
		RepeatWindow: s.opts.RepeatWindow, Closes: qz.Window.To,
	})
	if err != nil {
		s.opts.Logger.Error("quiz: recording answer", "quiz", qz.ID, "err", err)
		return textUnavailable
	}
	switch res.Status {
	case store.AnswerStale:
		return s.afterDuplicate(ctx, qz, openid, fmt.Sprintf(textStale, p.Pos+1))
	case store.AnswerRepeat:
		return s.afterDuplicate(ctx, qz, openid, fmt.Sprintf(textRepeat, p.Pos))
	case store.AnswerInactive:
		s.leave(ctx, openid)
		return textOver
	}
	if s.opts.Answers != nil {
		s.opts.Answers.QuizAnswer(res.Right)
	}
	out := feedback(q, res.Right)
	if !res.Finished {
		p.Pos = res.Pos
		next, ok := s.question(qz, p)
		if !ok {
			return out + "\n\n" + textBankChanged
		}
		return out + "\n\n" + questionAt(qz, next, res.Pos, len(p.Order))
	}
	s.leave(ctx, openid)
	s.opts.Logger.Info("quiz attempt finished", "quiz", qz.ID, "attempt", p.Attempt)
	total := len(p.Order)
	return out + "\n\n" +
		fmt.Sprintf("🎉 答题完成！您答对%d/%d题，得分%d分。", res.Correct, total, score(res.Correct, total)) +
		s.rankLine(ctx, qz, openid) + "\n\n" + certificate(qz, res.Correct, total, now)
}

// isRepeat reports whether text, sent within the repeat window of the
// previous answer, says that answer again: it belongs to the previous
// question even when it would not parse for the current one ("AC" before a
// true/false question). The answer script checks the same atomically.
func (s *Service) isRepeat(qz *Quiz, p store.QuizProgress, text string, now time.Time) bool {
	if p.Pos == 0 || p.LastAns == "" || now.Sub(p.LastAt) >= s.opts.RepeatWindow {
		return false
	}
	prev := qz.Bank.Question(p.Order[p.Pos-1])
	if prev == nil {
		return false
	}
	a, ok := ParseAnswer(prev, text)
	return ok && a == p.LastAns
}

// afterDuplicate explains why an answer was not counted and shows where the
// resident stands now.
func (s *Service) afterDuplicate(ctx context.Context, qz *Quiz, openid, why string) string {
	p, err := s.opts.Store.QuizProgress(ctx, qz.ID, openid)
	if err != nil || p.State != store.QuizActive {
		return why + "\n" + textOver
	}
	q, ok := s.question(qz, p)
	if !ok {
		return why + "\n" + textBankChanged
	}
	return why + "\n\n" + questionAt(qz, q, p.Pos, len(p.Order))
}

// rankLine is the resident's place after finishing, or "" without a
// leaderboard.
func (s *Service) rankLine(ctx context.Context, qz *Quiz, openid string) string {
	if !qz.Leaderboard {
		return ""
	}
	e, total, ok, err := s.opts.Store.QuizRank(ctx, qz.ID, openid)
	if err != nil {
		s.opts.Logger.Warn("quiz: reading rank", "quiz", qz.ID, "err", err)
		return ""
	}
	if !ok {
		return ""
	}
	return fmt.Sprintf("\n您的最好成绩排名第%d（共%d人完成）。", e.Rank, total) + textRankHint
}

// leaderboard answers "排行": the current quiz, else the one that closed last.
func (s *Service) leaderboard(ctx context.Context, openid string) string {
	now := s.opts.Now()
	qz := s.opts.Catalog.Current(now)
	if qz == nil {
		qz = s.opts.Catalog.Latest(now)
	}
	if qz == nil {
		return s.noQuiz(now)
	}
	if !qz.Leaderboard {
		return fmt.Sprintf("“%s”不设排行榜。回复“答题”参加。", qz.Title)
	}
	top, err := s.opts.Store.QuizTop(ctx, qz.ID, topN)
	if err != nil {
		s.opts.Logger.Warn("quiz: reading leaderboard", "quiz", qz.ID, "err", err)
		return textUnavailable
	}
	own, total, ok, err := s.opts.Store.QuizRank(ctx, qz.ID, openid)
	if err != nil {
		s.opts.Logger.Warn("quiz: reading rank", "quiz", qz.ID, "err", err)
		return textUnavailable
	}
	return leaderboardText(qz, top, openid, own, ok, total, s.communityLine(ctx, qz, openid))
}

// communityLine tells the resident's community its place in participation.
func (s *Service) communityLine(ctx context.Context, qz *Quiz, openid string) string {
	c, err := s.opts.Store.UserCommunity(ctx, openid)
	if err != nil || c == "" {
		return ""
	}
	raw, err := s.opts.Store.QuizStats(ctx, qz.ID)
	if err != nil {
		return ""
	}
	ranked := rankCommunities(raw, float64(qz.Questions))
	for _, cs := range ranked {
		if cs.Community == c {
			return fmt.Sprintf("您所在社区（%s）已有%d人参与，在%d个社区中参与人数排第%d。", c, cs.Participants, len(ranked), cs.Rank)
		}
	}
	return ""
}

// rankCommunities orders communities by participants, then average score;
// equal participation shares a rank. Followers are not filled in.
func rankCommunities(raw store.QuizStats, questions float64) []CommunityStat {
	out := make([]CommunityStat, 0, len(raw.Communities))
	for id, c := range raw.Communities {
		out = append(out, CommunityStat{Community: id, Participants: c.Participants, Completions: c.Completions,
			AverageScore: round1(ratio(c.BestSum, c.Completions) * 100 / questions)})
	}
	slices.SortFunc(out, func(a, b CommunityStat) int {
		return cmp.Or(cmp.Compare(b.Participants, a.Participants), cmp.Compare(b.AverageScore, a.AverageScore), strings.Compare(a.Community, b.Community))
	})
	for i := range out {
		out[i].Rank = i + 1
		if i > 0 && out[i].Participants == out[i-1].Participants {
			out[i].Rank = out[i-1].Rank
		}
	}
	return out
}

// Stats is a quiz's figures for staff and the annual report.
type Stats struct {
	Quiz             string          `json:"quiz"`
	Title            string          `json:"title"`
	Window           Window          `json:"window"`
	Questions        int             `json:"questions_per_attempt"`
	Participants     int64           `json:"participants"`
	Attempts         int64           `json:"attempts"`
	FinishedAttempts int64           `json:"finished_attempts"`
	Completions      int64           `json:"completions"`
	CompletionRate   float64         `json:"completion_rate"` // completions / participants
	AverageScore     float64         `json:"average_score"`   // mean best score of completers, out of 100
	AverageAttempt   float64         `json:"average_attempt"` // mean score of finished attempts, out of 100
	FullMarks        int64           `json:"full_marks"`      // completers with every answer right
	PerQuestion      []QuestionStat  `json:"per_question"`    // hardest first
	Communities      []CommunityStat `json:"communities"`     // ranked by participants, then average score
	Top              []Entry         `json:"top"`             // the leaderboard's first 10
}

// QuestionStat is how residents answered one question.
type QuestionStat struct {
	ID          string  `json:"id"`
	Question    string  `json:"question"`
	Answered    int64   `json:"answered"`
	Right       int64   `json:"right"`
	Accuracy    float64 `json:"accuracy"` // right / answered
	Answer      string  `json:"answer"`
	CommonWrong string  `json:"common_wrong,omitempty"` // the most frequent wrong answer
	WrongCount  int64   `json:"common_wrong_count,omitempty"`
}

// CommunityStat is one community's participation.
type CommunityStat struct {
	Community    string  `json:"community"`
	Rank         int     `json:"rank"`
	Participants int64   `json:"participants"`
	Completions  int64   `json:"completions"`
	Followers    int64   `json:"followers"`          // current followers from that community
	Rate         float64 `json:"participation_rate"` // participants / followers (0 when unknown)
	AverageScore float64 `json:"average_score"`      // mean best score of its completers, out of 100
}

// Entry is one leaderboard entry; the openid is masked.
type Entry struct {
	Rank     int       `json:"rank"`
	Resident string    `json:"resident"`
	Right    int       `json:"right"`
	Finished time.Time `json:"finished"`
}

// Stats computes a quiz's figures from its aggregate counters.
func (s *Service) Stats(ctx context.Context, quizID string) (Stats, error) {
	qz := s.opts.Catalog.Quiz(quizID)
	if qz == nil {
		return Stats{}, fmt.Errorf("quiz: unknown quiz %q", quizID)
	}
	raw, err := s.opts.Store.QuizStats(ctx, quizID)
	if err != nil {
		return Stats{}, err
	}
	n := float64(qz.Questions)
	st := Stats{Quiz: qz.ID, Title: qz.Title, Window: qz.Window, Questions: qz.Questions,
		Participants: raw.Participants, Attempts: raw.Attempts, FinishedAttempts: raw.Finished,
		Completions: raw.Completions, FullMarks: raw.FullMarks}
	st.CompletionRate = ratio(raw.Completions, raw.Participants)
	st.AverageScore = round1(ratio(raw.BestSum, raw.Completions) * 100 / n)
	st.AverageAttempt = round1(ratio(raw.ScoreSum, raw.Finished) * 100 / n)
	for id, c := range raw.Questions {
		qs := QuestionStat{ID: id, Answered: c.Answered, Right: c.Right, Accuracy: ratio(c.Right, c.Answered)}
		if q := qz.Bank.Question(id); q != nil {
			qs.Question, qs.Answer = q.Text, q.Answer
		}
		for a, k := range c.Answers {
			if a != qs.Answer && (k > qs.WrongCount || k == qs.WrongCount && a < qs.CommonWrong) {
				qs.CommonWrong, qs.WrongCount = a, k
			}
		}
		st.PerQuestion = append(st.PerQuestion, qs)
	}
	slices.SortFunc(st.PerQuestion, func(a, b QuestionStat) int {
		return cmp.Or(cmp.Compare(a.Accuracy, b.Accuracy), cmp.Compare(b.Answered, a.Answered), strings.Compare(a.ID, b.ID))
	})
	st.Communities = rankCommunities(raw, n)
	for i, c := range st.Communities {
		f, err := s.opts.Store.CommunityFollowers(ctx, c.Community)
		if err != nil {
			return Stats{}, err
		}
		st.Communities[i].Followers, st.Communities[i].Rate = f, ratio(c.Participants, f)
	}
	top, err := s.opts.Store.QuizTop(ctx, quizID, topN)
	if err != nil {
		return Stats{}, err
	}
	for _, e := range top {
		st.Top = append(st.Top, Entry{Rank: e.Rank, Resident: residentLabel(e.OpenID), Right: e.Correct, Finished: e.Finished})
	}
	return st, nil
}

func ratio(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func round1(v float64) float64 {
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'f', 1, 64), 64)
	return r
}
