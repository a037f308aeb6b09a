// Package report aggregates the office's legal-publicity figures for a
// period (usually a year): online pushes and their reach, quizzes, the
// bot's questions and consultations, and the offline activity ledger, by
// month and by community. It renders them as Markdown, CSV, JSON or XLSX,
// with the ready-to-paste Chinese paragraph for the annual
// 法治政府建设情况报告.
//
// Report reads through small source interfaces so that it can be built
// from a real store, a test double, or with a source missing (nil): a
// missing source contributes zero, and zero figures are left out of the
// paragraph.
package report

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/pufa-dev/pufa/chinatime"
	"github.com/pufa-dev/pufa/communities"
	"github.com/pufa-dev/pufa/ledger"
	"github.com/pufa-dev/pufa/store"
)

// Counters are the bot's daily aggregate counters (implemented by *store.Store).
type Counters interface {
	DayStats(ctx context.Context, day time.Time) (map[string]int64, error)
	TopTopics(ctx context.Context, day time.Time, n int) ([]store.TopicCount, error)
}

// Push is one campaign run (一期推送) and how many residents it reached.
type Push struct {
	Campaign string    `json:"campaign"`
	Title    string    `json:"title"`
	Channel  string    `json:"channel"`
	Theme    string    `json:"theme,omitempty"` // the calendar theme, e.g. constitution-week
	Fire     time.Time `json:"fire"`
	Reach    int64     `json:"reach"`
	Reads    int64     `json:"reads"` // 阅读量 WeChat counted for what the run sent, to date
}

// CampaignSource lists the pushes fired in [from, to).
type CampaignSource interface {
	Pushes(ctx context.Context, from, to time.Time) ([]Push, error)
}

// LedgerSource lists offline activities dated from..to (yyyy-mm-dd, inclusive).
type LedgerSource interface {
	LedgerEntries(ctx context.Context, from, to string) ([]store.LedgerEntry, error)
}

// QuizSummary is what one quiz achieved in the period.
type QuizSummary struct {
	ID           string           `json:"id"`
	Title        string           `json:"title"`
	Start        time.Time        `json:"start"`        // when it opened; its month in the report
	Participants int64            `json:"participants"` // 参与人次
	Completions  int64            `json:"completions"`
	Answers      int64            `json:"answers"` // questions answered, over all participants
	Correct      int64            `json:"correct"` // … of which correctly
	AverageScore float64          `json:"average_score"`
	ByCommunity  map[string]int64 `json:"by_community,omitempty"` // participants per community
}

// QuizStats supplies quiz figures (QuizFigures over *quiz.Service); with
// Sources.Quiz nil the report shows no quizzes.
type QuizStats interface {
	QuizSummaries(ctx context.Context, from, to time.Time) ([]QuizSummary, error)
}

// FollowerSource counts a community's current followers (implemented by *store.Store).
type FollowerSource interface {
	CommunityFollowers(ctx context.Context, community string) (int64, error)
}

// Sources are where the figures come from; any may be nil.
type Sources struct {
	Counters  Counters
	Campaigns CampaignSource
	Ledger    LedgerSource
	Quiz      QuizStats
	Followers FollowerSource
	// Communities names communities by the registry, so an id and the name
	// typed for it are one row; nil = as recorded.
	Communities CommunityNames
	// Reads and FollowerSummary are WeChat's data-cube figures as pufa
	// stored them (online.go); nil = none.
	Reads           ReadSource
	FollowerSummary FollowerSummarySource
	// Mediation is the dispute and legal-aid ledger (*ledger.Mediation); nil = none.
	Mediation MediationSource
}

// MediationSource sums the dispute and legal-aid ledger over dates
// from..to (yyyy-mm-dd, inclusive), implemented by *ledger.Mediation.
type MediationSource interface {
	Sums(ctx context.Context, from, to string) (ledger.MediationSums, error)
}

func (f *Figures) addMediation(m ledger.MediationFigures) {
	add(&f.Disputes, m.Disputes)
	add(&f.DisputesResolved, m.Successes)
	add(&f.DisputeAmountFen, m.AmountFen)
	add(&f.LegalAid, m.LegalAid)
}

// CommunityNames reads the community registry (communities.Registry).
type CommunityNames interface {
	Directory(ctx context.Context) (communities.Directory, error)
}

// Figures are the counted quantities of a period, a month or a community.
type Figures struct {
	Activities           int64 `json:"activities"`            // 法治宣传活动 (lectures, events, trainings), 场
	ActivityParticipants int64 `json:"activity_participants"` // their participants, 人次
	Lectures             int64 `json:"lectures"`
	Events               int64 `json:"events"`
	Banners              int64 `json:"banners"`
	LEDSlogans           int64 `json:"led_slogans"`
	SMS                  int64 `json:"sms"`
	Materials            int64 `json:"materials"`
	Trainings            int64 `json:"trainings"`
	TrainingParticipants int64 `json:"training_participants"`
	OfflineConsults      int64 `json:"offline_consultations"` // 法律咨询 recorded in the ledger, 人次
	Mediations           int64 `json:"mediations"`
	LedgerEntries        int64 `json:"ledger_entries"`

	Pushes  int64 `json:"pushes"`   // campaign runs, 期
	Reach   int64 `json:"reach"`    // 人次
	Reads   int64 `json:"reads"`    // 阅读量 of the pushes (counted in the push's month)
	SMSSent int64 `json:"sms_sent"` // texts the SMS channel sent, 条

	NewFollowers       int64 `json:"new_followers"`       // WeChat's user summary
	CancelledFollowers int64 `json:"cancelled_followers"` // …

	Mingbai             int64 `json:"mingbai"` // 法律明白人/法治带头人培训, 场
	MingbaiParticipants int64 `json:"mingbai_participants"`
	CadreStudy          int64 `json:"cadre_study"`          // 领导干部学法, 场
	Volunteer           int64 `json:"volunteer_activities"` // 普法志愿者活动, 场
	CultureSites        int64 `json:"culture_sites"`        // 法治文化阵地建设, 处

	Disputes         int64 `json:"disputes"`          // 排查调处矛盾纠纷, 件 (the mediation ledger)
	DisputesResolved int64 `json:"disputes_resolved"` // 调解成功, 件
	DisputeAmountFen int64 `json:"dispute_amount_fen"`
	LegalAid         int64 `json:"legal_aid"` // 法律援助, 件: referrals plus the activity ledger's 法律援助

	Quizzes          int64   `json:"quizzes"`
	QuizParticipants int64   `json:"quiz_participants"`
	QuizAnswers      int64   `json:"quiz_answers"`
	QuizCorrect      int64   `json:"quiz_correct"`
	QuizAccuracy     float64 `json:"quiz_accuracy_percent"` // QuizCorrect / QuizAnswers × 100
	QuizCompletions  int64   `json:"quiz_completions"`
	QuizScoreSum     float64 `json:"-"`                  // Σ average score × completions, for the mean
	QuizAverageScore float64 `json:"quiz_average_score"` // mean score of completers, out of 100

	Questions     int64 `json:"questions"`     // put to the bot
	Answered      int64 `json:"answered"`      // … answered with confidence
	Consultations int64 `json:"consultations"` // 转人工 requests in the bot
	Subscribes    int64 `json:"subscribes"`
	Unsubscribes  int64 `json:"unsubscribes"`
}

// ConsultationsTotal is every consultation: the bot's 转人工 requests plus
// offline consultations recorded in the ledger.
func (f Figures) ConsultationsTotal() int64 { return sum(f.Consultations, f.OfflineConsults) }

// sum adds without wrapping: a total that would pass the int64 bounds stops
// at them. Ledger input is bounded (ledger.MaxCount), but entries stored
// before the bound existed, or counters fed by WeChat, could still add up
// past int64, and a wrapped total would report zero or a negative figure.
func sum(a, b int64) int64 {
	s := a + b
	switch {
	case b > 0 && s < a:
		return math.MaxInt64
	case b < 0 && s > a:
		return math.MinInt64
	}
	return s
}

// add is sum in place.
func add(p *int64, v int64) { *p = sum(*p, v) }

// SMSTotal is every 普法短信: texts recorded in the ledger plus those the
// SMS channel sent.
func (f Figures) SMSTotal() int64 { return sum(f.SMS, f.SMSSent) }

func (f *Figures) finish() {
	f.QuizAccuracy = 0
	if f.QuizAnswers > 0 {
		f.QuizAccuracy = float64(f.QuizCorrect) * 100 / float64(f.QuizAnswers)
	}
	f.QuizAverageScore = 0
	if f.QuizCompletions > 0 {
		f.QuizAverageScore = round1(f.QuizScoreSum / float64(f.QuizCompletions))
	}
}

func (f *Figures) addEntry(e store.LedgerEntry) {
	add(&f.LedgerEntries, 1)
	k := ledger.Kind(e.Kind)
	if k.IsActivity() {
		add(&f.Activities, e.Count)
		add(&f.ActivityParticipants, e.Participants)
	}
	switch k {
	case ledger.KindLecture:
		add(&f.Lectures, e.Count)
	case ledger.KindEvent:
		add(&f.Events, e.Count)
	case ledger.KindBanner:
		add(&f.Banners, e.Count)
	case ledger.KindLED:
		add(&f.LEDSlogans, e.Count)
	case ledger.KindSMS:
		add(&f.SMS, e.Count)
	case ledger.KindMaterial:
		add(&f.Materials, e.Count)
	case ledger.KindTraining:
		add(&f.Trainings, e.Count)
		add(&f.TrainingParticipants, e.Participants)
	case ledger.KindConsult:
		// A consultation's count is the people received (人次).
		add(&f.OfflineConsults, e.Count)
	case ledger.KindMediation:
		add(&f.Mediations, e.Count)
	case ledger.KindLegalAid:
		add(&f.LegalAid, e.Count)
	case ledger.KindMingbai:
		add(&f.Mingbai, e.Count)
		add(&f.MingbaiParticipants, e.Participants)
	case ledger.KindCadre:
		add(&f.CadreStudy, e.Count)
	case ledger.KindVolunteer:
		add(&f.Volunteer, e.Count)
	case ledger.KindCulture:
		add(&f.CultureSites, e.Count)
	}
}

func (f *Figures) addQuiz(q QuizSummary) {
	add(&f.Quizzes, 1)
	add(&f.QuizParticipants, q.Participants)
	add(&f.QuizAnswers, q.Answers)
	add(&f.QuizCorrect, q.Correct)
	add(&f.QuizCompletions, q.Completions)
	f.QuizScoreSum += q.AverageScore * float64(q.Completions)
}

func (f *Figures) addCounters(m map[string]int64) {
	add(&f.Questions, m[store.MetricQuestions])
	add(&f.Answered, m[store.MetricAnswered])
	add(&f.Consultations, m[store.MetricConsultations])
	add(&f.Subscribes, m[store.MetricSubscribes])
	add(&f.Unsubscribes, m[store.MetricUnsubscribes])
}

// Month is one calendar month of the period.
type Month struct {
	Month string `json:"month"` // yyyy-mm
	Figures
}

// Community is one community's share. Online pushes and bot counters are
// not attributed to communities, so only ledger and quiz figures appear.
type Community struct {
	Community string `json:"community"`
	Followers int64  `json:"followers"` // current followers (not of the period)
	Figures
}

// KindTotal sums the ledger by kind.
type KindTotal struct {
	Kind         string `json:"kind"`
	Label        string `json:"label"`
	Unit         string `json:"unit"`
	Entries      int64  `json:"entries"`
	Count        int64  `json:"count"`
	Participants int64  `json:"participants"`
}

// Report is the aggregated figures of a period.
type Report struct {
	From        string              `json:"from"` // yyyy-mm-dd, inclusive
	To          string              `json:"to"`   // yyyy-mm-dd, inclusive
	Totals      Figures             `json:"totals"`
	Months      []Month             `json:"months"`
	Communities []Community         `json:"communities"`
	Pushes      []Push              `json:"pushes"`
	Quizzes     []QuizSummary       `json:"quizzes"`
	Kinds       []KindTotal         `json:"ledger_by_kind"`
	Entries     []store.LedgerEntry `json:"ledger_entries"`
	TopTopics   []store.TopicCount  `json:"top_topics"`
	Followers   FollowerTotal       `json:"followers"`
	Themes      []Theme             `json:"themes"`
	Paragraph   string              `json:"paragraph"`
	Draft       Draft               `json:"draft"`
}

// topTopicsPerDay bounds the topics read per day; the year's top list is
// built from each day's leaders, exact unless a day has more topics.
const topTopicsPerDay = 100

// topTopicsKept is how many topics the report lists.
const topTopicsKept = 10

// ErrPeriod wraps every problem with a requested period; its messages are
// Chinese, for the staff who typed the dates.
var ErrPeriod = errors.New("统计期间有误")

// MaxYears bounds a report's period. Building reads every day's counters,
// so a century would take seconds per request; five years covers any
// five-year plan's review (五年规划总结).
const MaxYears = 5

// ParseDate reads a yyyy-mm-dd date as China midnight.
func ParseDate(s string) (time.Time, error) {
	t, err := time.ParseInLocation("2006-01-02", s, chinatime.Zone)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w：日期“%s”不是 yyyy-mm-dd 格式的有效日期", ErrPeriod, s)
	}
	return t, nil
}

// CheckPeriod refuses a period that ends before it starts or spans more
// than MaxYears (from and to inclusive, calendar dates in China).
func CheckPeriod(from, to time.Time) error {
	from, to = dayOf(from), dayOf(to)
	if to.Before(from) {
		return fmt.Errorf("%w：结束日期 %s 早于开始日期 %s", ErrPeriod, to.Format("2006-01-02"), from.Format("2006-01-02"))
	}
	if !to.Before(from.AddDate(MaxYears, 0, 0)) {
		return fmt.Errorf("%w：%s 至 %s 超过 %d 年，请分段统计", ErrPeriod, from.Format("2006-01-02"), to.Format("2006-01-02"), MaxYears)
	}
	return nil
}

// Build aggregates the figures of the days from..to (inclusive, China time;
// only the calendar dates of from and to matter). A period CheckPeriod
// refuses is an error wrapping ErrPeriod, before anything is read.
func Build(ctx context.Context, src Sources, from, to time.Time) (Report, error) {
	from = dayOf(from)
	to = dayOf(to)
	if err := CheckPeriod(from, to); err != nil {
		return Report{}, err
	}
	r := Report{From: from.Format("2006-01-02"), To: to.Format("2006-01-02"),
		Pushes: []Push{}, Quizzes: []QuizSummary{}, Entries: []store.LedgerEntry{}, TopTopics: []store.TopicCount{}}
	months := map[string]*Month{}
	for m := time.Date(from.Year(), from.Month(), 1, 0, 0, 0, 0, chinatime.Zone); !m.After(to); m = m.AddDate(0, 1, 0) {
		r.Months = append(r.Months, Month{Month: m.Format("2006-01")})
	}
	for i := range r.Months {
		months[r.Months[i].Month] = &r.Months[i]
	}
	month := func(t time.Time) *Figures {
		if m, ok := months[t.In(chinatime.Zone).Format("2006-01")]; ok {
			return &m.Figures
		}
		return &Figures{} // outside the period: counted nowhere
	}
	dir := communities.NewDirectory(nil)
	if src.Communities != nil {
		var err error
		if dir, err = src.Communities.Directory(ctx); err != nil {
			return Report{}, fmt.Errorf("report: communities: %w", err)
		}
	}
	// Rows are keyed by registry id where the registry knows the community
	// (by id or by name), else by what was recorded.
	comms := map[string]*Community{}
	community := func(recorded string) *Community {
		key := recorded
		if id, ok := dir.Resolve(recorded); ok {
			key = id
		}
		if key == "" {
			key = "（未注明社区）"
		}
		c, ok := comms[key]
		if !ok {
			c = &Community{Community: dir.Name(key)}
			comms[key] = c
		}
		return c
	}
	for _, id := range dir.IDs() {
		community(id)
	}
	end := to.AddDate(0, 0, 1) // exclusive end for time ranges

	if src.Counters != nil {
		topics := map[string]int64{}
		for d := from; d.Before(end); d = d.AddDate(0, 0, 1) {
			m, err := src.Counters.DayStats(ctx, d)
			if err != nil {
				return Report{}, fmt.Errorf("report: counters %s: %w", d.Format("2006-01-02"), err)
			}
			r.Totals.addCounters(m)
			month(d).addCounters(m)
			tops, err := src.Counters.TopTopics(ctx, d, topTopicsPerDay)
			if err != nil {
				return Report{}, fmt.Errorf("report: topics %s: %w", d.Format("2006-01-02"), err)
			}
			for _, t := range tops {
				topics[t.Topic] = sum(topics[t.Topic], t.Count)
			}
		}
		for t, n := range topics {
			r.TopTopics = append(r.TopTopics, store.TopicCount{Topic: t, Count: n})
		}
		sort.Slice(r.TopTopics, func(i, j int) bool {
			a, b := r.TopTopics[i], r.TopTopics[j]
			if a.Count != b.Count {
				return a.Count > b.Count
			}
			return a.Topic < b.Topic
		})
		if len(r.TopTopics) > topTopicsKept {
			r.TopTopics = r.TopTopics[:topTopicsKept]
		}
	}

	if src.Campaigns != nil {
		pushes, err := src.Campaigns.Pushes(ctx, from, end)
		if err != nil {
			return Report{}, fmt.Errorf("report: campaigns: %w", err)
		}
		sort.Slice(pushes, func(i, j int) bool {
			if !pushes[i].Fire.Equal(pushes[j].Fire) {
				return pushes[i].Fire.Before(pushes[j].Fire)
			}
			return pushes[i].Campaign < pushes[j].Campaign
		})
		for _, p := range pushes {
			if p.Fire.Before(from) || !p.Fire.Before(end) {
				continue
			}
			if src.Reads != nil {
				if p.Reads, err = src.Reads.RunReads(ctx, p.Campaign, p.Fire); err != nil {
					return Report{}, fmt.Errorf("report: reads of %s: %w", p.Campaign, err)
				}
			}
			r.Pushes = append(r.Pushes, p)
			for _, f := range []*Figures{&r.Totals, month(p.Fire)} {
				if p.Channel == channelSMS {
					// Texts are counted as 普法短信, not as 线上推送.
					add(&f.SMSSent, p.Reach)
					continue
				}
				add(&f.Pushes, 1)
				add(&f.Reach, p.Reach)
				add(&f.Reads, p.Reads)
			}
		}
	}

	if src.Quiz != nil {
		qs, err := src.Quiz.QuizSummaries(ctx, from, end)
		if err != nil {
			return Report{}, fmt.Errorf("report: quizzes: %w", err)
		}
		for _, q := range qs {
			r.Quizzes = append(r.Quizzes, q)
			r.Totals.addQuiz(q)
			month(q.Start).addQuiz(q)
			for name, n := range q.ByCommunity {
				c := community(name)
				add(&c.QuizParticipants, n)
			}
		}
	}

	if src.Ledger != nil {
		entries, err := src.Ledger.LedgerEntries(ctx, r.From, r.To)
		if err != nil {
			return Report{}, fmt.Errorf("report: ledger: %w", err)
		}
		byKind := map[string]*KindTotal{}
		for _, k := range ledger.Kinds() {
			kt := KindTotal{Kind: string(k), Label: k.Label(), Unit: k.Unit()}
			r.Kinds = append(r.Kinds, kt)
		}
		for i := range r.Kinds {
			byKind[r.Kinds[i].Kind] = &r.Kinds[i]
		}
		for _, e := range entries {
			shown := e
			shown.Community = dir.Name(e.Community)
			r.Entries = append(r.Entries, shown)
			r.Totals.addEntry(e)
			if d, err := ParseDate(e.Date); err == nil {
				month(d).addEntry(e)
			}
			community(e.Community).addEntry(e)
			if kt, ok := byKind[e.Kind]; ok {
				add(&kt.Entries, 1)
				add(&kt.Count, e.Count)
				add(&kt.Participants, e.Participants)
			}
		}
	}

	if src.Mediation != nil {
		ms, err := src.Mediation.Sums(ctx, r.From, r.To)
		if err != nil {
			return Report{}, fmt.Errorf("report: mediation: %w", err)
		}
		r.Totals.addMediation(ms.Total)
		for m, f := range ms.ByMonth {
			if mo, ok := months[m]; ok {
				mo.addMediation(f)
			}
		}
		for c, f := range ms.ByCommunity {
			community(c).addMediation(f)
		}
	}
	names := make([]string, 0, len(comms))
	for n := range comms {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { return comms[names[i]].Community < comms[names[j]].Community })
	r.Communities = []Community{}
	for _, n := range names {
		c := comms[n]
		if src.Followers != nil && n != "（未注明社区）" {
			f, err := src.Followers.CommunityFollowers(ctx, n)
			if err != nil {
				return Report{}, fmt.Errorf("report: followers of %s: %w", n, err)
			}
			c.Followers = f
		}
		c.finish()
		r.Communities = append(r.Communities, *c)
	}
	if src.FollowerSummary != nil {
		days, err := src.FollowerSummary.FollowerDays(ctx, from, to)
		if err != nil {
			return Report{}, fmt.Errorf("report: follower summary: %w", err)
		}
		r.Followers = addFollowerDays(&r.Totals, month, days)
	}
	r.Themes = themes(r, src.Quiz != nil)
	r.Totals.finish()
	for i := range r.Months {
		r.Months[i].finish()
	}
	r.Paragraph = Paragraph(r)
	r.Draft = MakeDraft(r)
	return r, nil
}

func dayOf(t time.Time) time.Time {
	t = t.In(chinatime.Zone)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, chinatime.Zone)
}
