// Package demo seeds a realistic year of a street office's legal-publicity
// work, so that `pufa demo` opens on a console and a report with figures in
// them instead of zeros: followers in several communities, bot questions
// and consultations, quizzes taken, themed campaigns sent and read, and the
// offline ledger.
//
// Every record goes through pufa's own functions (store and domain
// methods, the quiz conversation, the campaign manager with a fixed clock),
// never through raw Redis writes, so the seeded data obeys the same rules as
// real data. The plan is fixed and the random choices come from a seeded
// generator, so the same year is seeded every time and the annual report of
// it gives the figures of Plan exactly.
package demo

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/pufa-dev/pufa/bot"
	"github.com/pufa-dev/pufa/cases"
	"github.com/pufa-dev/pufa/chinatime"
	"github.com/pufa-dev/pufa/communities"
	"github.com/pufa-dev/pufa/ledger"
	"github.com/pufa-dev/pufa/quiz"
	"github.com/pufa-dev/pufa/store"
)

// Year is the year the demo seeds at now: the last whole calendar year,
// which is the year an office writes its annual report about.
func Year(now time.Time) int { return now.In(chinatime.Zone).Year() - 1 }

// Store is the state the seed writes through (implemented by *store.Store).
type Store interface {
	SetCommunity(ctx context.Context, openid, community string) error
	RecordQuestion(ctx context.Context, q store.Question) error
	RequestConsultation(ctx context.Context, r store.ConsultRequest) (store.ConsultResult, error)
	RecordFollowerDay(ctx context.Context, d store.FollowerDay) error
	RecordArticleRead(ctx context.Context, r store.ArticleRead) error
	quiz.Store
}

// Ledger records offline activities (implemented by *ledger.Ledger).
type Ledger interface {
	Add(ctx context.Context, in ledger.Input, by string) (string, error)
}

// Registry registers communities (implemented by *communities.Registry).
type Registry interface {
	Create(ctx context.Context, in communities.Input, by string) (communities.Community, error)
}

// Mediation records disputes and legal-aid referrals (implemented by
// *ledger.Mediation).
type Mediation interface {
	AddDispute(ctx context.Context, in ledger.DisputeInput, by string) (string, error)
	AddLegalAid(ctx context.Context, in ledger.LegalAidInput, by string) (string, error)
}

// Deps are what the seed writes through.
type Deps struct {
	Store     Store
	Ledger    Ledger
	Registry  Registry
	Mediation Mediation
	Campaigns CampaignRunner // nil = no campaigns seeded
	Cases     cases.Store    // nil = consultations only, no case work
	Referrer  cases.Referrer // cases handed to mediation or legal aid
	SMS       SMSLists       // nil = no SMS campaign
	Quizzes   *quiz.Catalog  // must hold the year's quizzes (Quizzes)
	Logger    *slog.Logger
}

// Community is one seeded community: its id (QR scene string), the name
// staff and residents read, its 网格 and its share of the followers.
type Community struct {
	ID, Name, Grids string
	Weight          int
}

// streets are the seeded street's communities.
var streets = []Community{
	{"xingfu", "幸福社区", "幸福一网格、幸福二网格、幸福三网格", 30},
	{"heping", "和平社区", "和平一网格、和平二网格", 25},
	{"donghu", "东湖社区", "东湖一网格、东湖二网格", 20},
	{"binjiang", "滨江社区", "滨江一网格", 15},
	{"xinhua", "新华社区", "新华一网格", 10},
}

// Communities lists the seeded communities.
func Communities() []Community { return append([]Community(nil), streets...) }

// KindPlan is one ledger kind's total for the year and how many entries
// record it.
type KindPlan struct {
	Kind         ledger.Kind
	Count        int64
	Participants int64
	Entries      int
	Note         string
}

// Plan is the seeded year's figures, the ones the seed report of 东湖街道
// gives: 接待群众法律咨询525人次, 108 activities, 98 banners, 1,200 LED
// slogans, 150,000 SMS, 35,000 materials, 28 trainings with 1,050 people.
type Plan struct {
	Consultations       int64 // 接待群众法律咨询, 人次: online (Online) + offline (the ledger)
	OnlineConsultations int64 // … of which 转人工 in the bot, one resident-day each
	Questions           int64 // put to the bot
	Answered            int64
	Kinds               []KindPlan
	QuizTakers          map[string]QuizPlan // by quiz id
	Disputes            int64               // 排查调处矛盾纠纷, 件
	DisputesResolved    int64               // … 调解成功
	DisputeAmountYuan   int64               // 涉及金额, 元, over every dispute
	LegalAid            int64               // 法律援助 referrals, 件
}

// QuizPlan is how a quiz went: who started, who finished, how many right.
type QuizPlan struct {
	Participants int // distinct residents who started
	Completions  int // … who finished
	// Right is the right answers of each finisher in turn (cycled).
	Right []int
}

// Quiz ids of the seeded year.
func ConstitutionQuiz(year int) string { return fmt.Sprintf("constitution-%d", year) }
func CivilCodeQuiz(year int) string    { return fmt.Sprintf("civil-code-%d", year) }

// DefaultPlan is the plan `pufa demo` seeds.
func DefaultPlan(year int) Plan {
	return Plan{
		Consultations: 525, OnlineConsultations: 125, Questions: 1860, Answered: 1512,
		Disputes: 85, DisputesResolved: 85, DisputeAmountYuan: 643_500, LegalAid: 12,
		Kinds: []KindPlan{
			{Kind: ledger.KindLecture, Count: 30, Participants: 1650, Entries: 30, Note: "社区法治讲座"},
			{Kind: ledger.KindEvent, Count: 26, Participants: 3900, Entries: 26, Note: "法治宣传进社区"},
			{Kind: ledger.KindTraining, Count: 28, Participants: 1050, Entries: 28, Note: "网格员、调解员法律知识培训"},
			{Kind: ledger.KindMingbai, Count: 6, Participants: 240, Entries: 6, Note: "“法律明白人”“法治带头人”培训"},
			{Kind: ledger.KindCadre, Count: 4, Participants: 180, Entries: 4, Note: "街道党工委理论学习中心组学法"},
			{Kind: ledger.KindVolunteer, Count: 14, Participants: 420, Entries: 14, Note: "普法志愿者进小区"},
			{Kind: ledger.KindCulture, Count: 3, Entries: 3, Note: "法治文化长廊、法治书屋"},
			{Kind: ledger.KindBanner, Count: 98, Entries: 20, Note: "主题宣传横幅"},
			{Kind: ledger.KindLED, Count: 1200, Entries: 12, Note: "LED 屏滚动播放"},
			// With the SMS campaign's texts (SMSRecipients), 150,000 in all.
			{Kind: ledger.KindSMS, Count: 150000 - SMSRecipients, Entries: 6, Note: "区普法短信平台"},
			{Kind: ledger.KindMaterial, Count: 35000, Entries: 24, Note: "宣传折页、手册"},
			{Kind: ledger.KindConsult, Count: 400, Entries: 24, Note: "社区法律顾问坐班接待"},
		},
		QuizTakers: map[string]QuizPlan{
			ConstitutionQuiz(year): {Participants: 168, Completions: 152, Right: []int{10, 9, 8, 10, 7, 9, 6, 10, 9, 8}},
			CivilCodeQuiz(year):    {Participants: 96, Completions: 85, Right: []int{9, 8, 10, 7, 8, 9, 6, 10}},
		},
	}
}

// Quizzes returns the catalogue with the year's two quizzes besides the
// built-in ones: the 宪法 quiz of 宪法宣传周 (1–7 December) and a 民法典
// quiz in November, copies of the built-in quizzes with fixed question
// order, so the seeded answers give the same figures every time. Both close
// late in the year on purpose: a resident's progress expires
// store.QuizRetention (400 days) after a quiz closes, and the seed answers
// through the quiz's conversation, which needs that progress; a May quiz of
// last year would be past it by autumn.
func Quizzes(c *quiz.Catalog, year int) (*quiz.Catalog, error) {
	copies := []struct {
		from, id, title string
		w               quiz.Window
	}{
		{"constitution-2026", ConstitutionQuiz(year), fmt.Sprintf("%d年“宪法宣传周”宪法知识考核", year),
			quiz.Window{From: day(year, 12, 1), To: day(year, 12, 8).Add(-time.Second)}},
		{"civil-code-2027", CivilCodeQuiz(year), fmt.Sprintf("%d年民法典知识有奖竞答", year),
			quiz.Window{From: day(year, 11, 1), To: day(year, 12, 1).Add(-time.Second)}},
	}
	for _, cp := range copies {
		src := c.Quiz(cp.from)
		if src == nil {
			return nil, fmt.Errorf("demo: built-in quiz %s missing", cp.from)
		}
		q := *src
		q.ID, q.Title, q.Window, q.Order, q.File = cp.id, cp.title, cp.w, quiz.Fixed, ""
		var ok bool
		if c, ok = c.WithQuiz(q); !ok {
			return nil, fmt.Errorf("demo: quiz %s cannot be added", cp.id)
		}
	}
	return c, nil
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, chinatime.Zone) }

// Followers are the simulator's synthetic followers, o_sim_000001 …
func Followers(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("o_sim_%06d", i+1)
	}
	return out
}

// seeder carries one seeding run.
type seeder struct {
	deps      Deps
	year      int
	rng       *rand.Rand
	followers []string
	log       *slog.Logger
}

// Seed writes the plan's year for the followers (openids the simulator
// knows). It is meant for an empty store: seeding twice counts twice.
func Seed(ctx context.Context, deps Deps, year int, plan Plan, followers []string) error {
	if deps.Logger == nil {
		deps.Logger = slog.Default()
	}
	s := &seeder{deps: deps, year: year, rng: rand.New(rand.NewPCG(uint64(year), 2024)), followers: followers,
		log: deps.Logger.With("component", "demo seed")}
	steps := []struct {
		name string
		run  func(context.Context, Plan) error
	}{
		{"communities", s.seedCommunities},
		{"mediation", s.seedMediation},
		{"campaigns", s.seedCampaigns},
		{"follower summary", s.seedFollowerDays},
		{"questions", s.seedQuestions},
		{"consultations", s.seedCases},
		{"ledger", s.seedLedger},
		{"quizzes", s.seedQuizzes},
	}
	for _, st := range steps {
		start := time.Now()
		if err := st.run(ctx, plan); err != nil {
			return fmt.Errorf("demo: seeding %s: %w", st.name, err)
		}
		s.log.Info("seeded", "step", st.name, "took", time.Since(start).Round(time.Millisecond))
	}
	return nil
}

// communityOf is the community of follower i, by the communities' weights;
// every tenth follower came without a community QR code.
func communityOf(i int) string {
	if i%10 == 9 {
		return ""
	}
	total := 0
	for _, c := range streets {
		total += c.Weight
	}
	slot := (i * 37) % total
	for _, c := range streets {
		if slot < c.Weight {
			return c.ID
		}
		slot -= c.Weight
	}
	return streets[0].ID
}

// advisers are the communities' legal advisers: demo people, with phone
// numbers that cannot be dialled, since the bot shows them to residents.
var advisers = []struct{ name, firm, phone, hours string }{
	{"李律师（演示）", "演示律师事务所", "000-0000-0001", "每周二上午（演示数据）"},
	{"王律师（演示）", "演示律师事务所", "000-0000-0002", "每周三下午（演示数据）"},
	{"赵律师（演示）", "演示律师事务所", "000-0000-0003", "每周四上午（演示数据）"},
	{"陈律师（演示）", "演示律师事务所", "000-0000-0004", "每周五上午（演示数据）"},
	{"刘律师（演示）", "演示律师事务所", "000-0000-0005", "每月第一个周一（演示数据）"},
}

func (s *seeder) seedCommunities(ctx context.Context, _ Plan) error {
	if s.deps.Registry != nil {
		for i, c := range streets {
			a := advisers[i%len(advisers)]
			in := communities.Input{ID: c.ID, Name: c.Name, Grids: c.Grids, AdviserName: a.name, AdviserFirm: a.firm,
				AdviserPhone: a.phone, AdviserHours: a.hours, Active: true}
			if _, err := s.deps.Registry.Create(ctx, in, seedUser); err != nil {
				return err
			}
		}
	}
	for i, o := range s.followers {
		if c := communityOf(i); c != "" {
			if err := s.deps.Store.SetCommunity(ctx, o, c); err != nil {
				return err
			}
		}
	}
	return nil
}

// seedFollowerDays records WeChat's user summary for every day of the
// year: the account grows to the simulator's followers by 31 December.
func (s *seeder) seedFollowerDays(ctx context.Context, _ Plan) error {
	end := int64(len(s.followers))
	start := end * 3 / 5
	days := int(day(s.year+1, 1, 1).Sub(day(s.year, 1, 1)).Hours() / 24)
	total := start
	for i := range days {
		d := day(s.year, 1, 1).AddDate(0, 0, i)
		// Spread the growth evenly, with a little churn on some days.
		want := start + (end-start)*int64(i+1)/int64(days)
		cancelled := int64(0)
		if s.rng.IntN(9) == 0 {
			cancelled = 1
		}
		newF := want - total + cancelled
		total = want
		if err := s.deps.Store.RecordFollowerDay(ctx, store.FollowerDay{Day: d.Format("2006-01-02"), New: newF, Cancelled: cancelled, Total: total}); err != nil {
			return err
		}
	}
	return nil
}

// topics residents asked about, with weights.
var topics = []struct {
	topic, text string
	weight      int
}{
	{"婚姻家庭", "离婚冷静期是多久", 18}, {"劳动争议", "老板拖欠工资怎么办", 16}, {"工伤", "上班路上摔伤算工伤吗", 9},
	{"继承", "父母去世房子怎么继承", 10}, {"民间借贷", "借钱不还怎么起诉", 12}, {"物业", "物业费不交会怎样", 8},
	{"相邻关系", "楼上漏水不修怎么办", 7}, {"交通事故", "电动车撞人谁赔", 8}, {"消费维权", "网购退货商家不同意", 6},
	{"法律援助", "法律援助怎么申请", 6},
}

// moment is a random time on a working day of the year, 8:00–20:00.
func (s *seeder) moment(month time.Month) time.Time {
	d := day(s.year, month, 1+s.rng.IntN(28))
	return d.Add(time.Duration(8*60+s.rng.IntN(12*60)) * time.Minute)
}

func (s *seeder) seedQuestions(ctx context.Context, p Plan) error {
	total := 0
	for _, t := range topics {
		total += t.weight
	}
	for i := range p.Questions {
		slot := s.rng.IntN(total)
		t := topics[0]
		for _, c := range topics {
			if slot < c.weight {
				t = c
				break
			}
			slot -= c.weight
		}
		q := store.Question{OpenID: s.followers[int(i)%len(s.followers)], Text: t.text, At: s.moment(time.Month(1 + int(i)%12)),
			Answered: i < p.Answered, Topic: t.topic}
		if err := s.deps.Store.RecordQuestion(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// seedConsultations asks for 转人工 once per resident and day: the report
// counts a resident once a day however often they ask.
func (s *seeder) seedConsultations(ctx context.Context, p Plan) error {
	for i := range p.OnlineConsultations {
		t := topics[int(i)%len(topics)]
		at := day(s.year, time.Month(1+int(i)%12), 1+int(i/12)%28).Add(time.Duration(9+int(i)%9) * time.Hour)
		r, err := s.deps.Store.RequestConsultation(ctx, store.ConsultRequest{OpenID: s.followers[int(i)%len(s.followers)],
			Question: t.text + "？想请工作人员帮忙看看。", At: at})
		if err != nil {
			return err
		}
		if r.Limited || r.ID == "" {
			return fmt.Errorf("consultation %d was not recorded", i)
		}
	}
	return nil
}

// split divides total into n positive parts (n ≤ total), at random.
func (s *seeder) split(total int64, n int) []int64 {
	if n <= 1 || total < int64(n) {
		return []int64{total}
	}
	parts := make([]int64, n)
	left := total - int64(n)
	for i := range parts {
		parts[i] = 1
	}
	for left > 0 {
		chunk := max(1, left/int64(n))
		parts[s.rng.IntN(n)] += chunk
		left -= chunk
	}
	return parts
}

func (s *seeder) seedLedger(ctx context.Context, p Plan) error {
	for _, k := range p.Kinds {
		counts := s.split(k.Count, k.Entries)
		people := make([]int64, len(counts))
		if k.Participants > 0 {
			people = s.split(k.Participants, len(counts))
		}
		for i := range counts {
			month := time.Month(1 + (i*12)/len(counts))
			d := day(s.year, month, 1+s.rng.IntN(28))
			in := ledger.Input{Date: d.Format("2006-01-02"), Community: streets[i%len(streets)].Name,
				Kind: string(k.Kind), Count: counts[i], Participants: people[i], Note: k.Note}
			if _, err := s.deps.Ledger.Add(ctx, in, seedUser); err != nil {
				return err
			}
		}
	}
	return nil
}

// seedUser is who the seeded records were entered by.
const seedUser = "演示数据"

// disputeTypes are the seeded disputes' types, most common first.
var disputeTypes = []string{"邻里", "婚姻家庭", "物业", "借贷", "劳动", "交通", "其他"}

// seedMediation records the year's disputes, every one mediated
// successfully as in the seed report, with amounts adding up to the plan's,
// and the legal-aid referrals.
func (s *seeder) seedMediation(ctx context.Context, p Plan) error {
	if s.deps.Mediation == nil {
		return nil
	}
	amounts := s.split(p.DisputeAmountYuan, int(p.Disputes))
	for i := range p.Disputes {
		status := ledger.StatusSuccess
		if i >= p.DisputesResolved {
			status = ledger.StatusFailed
		}
		d := day(s.year, time.Month(1+int(i)%12), 1+s.rng.IntN(28))
		in := ledger.DisputeInput{Date: d.Format("2006-01-02"), Community: streets[int(i)%len(streets)].Name,
			Type: disputeTypes[int(i)%len(disputeTypes)], Parties: fmt.Sprint(2 + s.rng.IntN(3)), Status: status,
			Amount: fmt.Sprint(amounts[i]), Note: "人民调解委员会调解"}
		if _, err := s.deps.Mediation.AddDispute(ctx, in, seedUser); err != nil {
			return err
		}
	}
	matters := ledger.LegalAidMatters()
	for i := range p.LegalAid {
		d := day(s.year, time.Month(1+int(i)%12), 1+s.rng.IntN(28))
		in := ledger.LegalAidInput{Date: d.Format("2006-01-02"), Community: streets[int(i)%len(streets)].Name,
			Matter: matters[int(i)%len(matters)], ReferredTo: "区法律援助中心"}
		if _, err := s.deps.Mediation.AddLegalAid(ctx, in, seedUser); err != nil {
			return err
		}
	}
	return nil
}

// seedQuizzes has residents take the year's quizzes in the chat, through
// the quiz's own conversation with the clock inside the quiz's window.
func (s *seeder) seedQuizzes(ctx context.Context, p Plan) error {
	for _, id := range []string{CivilCodeQuiz(s.year), ConstitutionQuiz(s.year)} {
		qp, ok := p.QuizTakers[id]
		if !ok {
			continue
		}
		qz := s.deps.Quizzes.Quiz(id)
		if qz == nil {
			return fmt.Errorf("quiz %s is not in the catalogue", id)
		}
		if qz.Window.To.Add(store.QuizRetention).Before(time.Now()) {
			return fmt.Errorf("quiz %s closed more than %v ago: its progress records would expire as they are written", id, store.QuizRetention)
		}
		// A demo with fewer followers has fewer takers; the plan's figures
		// hold from 200 followers on.
		qp.Participants = min(qp.Participants, len(s.followers))
		qp.Completions = min(qp.Completions, qp.Participants)
		clock := qz.Window.From.Add(10 * time.Hour)
		// The quiz logs every attempt it starts; hundreds of seeded ones would
		// bury the demo's start-up. A failure still shows in the progress read.
		svc, err := quiz.New(quiz.Options{Catalog: s.deps.Quizzes, Store: s.deps.Store, Logger: slog.New(slog.DiscardHandler),
			Now: func() time.Time { return clock }})
		if err != nil {
			return err
		}
		say := func(openid, text string) error {
			_, _, err := svc.HandleText(ctx, &bot.Message{FromUserName: openid, MsgType: bot.TypeText, Content: text, Text: bot.Normalize(text)})
			clock = clock.Add(7 * time.Second) // past the repeat window, as a person reading the next question
			return err
		}
		for i := range qp.Participants {
			openid := s.followers[i]
			if err := say(openid, "答题"); err != nil {
				return err
			}
			answers := qz.Questions
			right := qz.Questions
			if i < qp.Completions {
				right = qp.Right[i%len(qp.Right)]
			} else {
				answers = 1 + i%(qz.Questions-1) // left before the end
			}
			for n := range answers {
				pr, err := s.deps.Store.QuizProgress(ctx, id, openid)
				if err != nil {
					return err
				}
				if pr.Pos >= len(pr.Order) {
					return fmt.Errorf("quiz %s: %s has no question to answer", id, openid)
				}
				q := qz.Bank.Question(pr.Order[pr.Pos])
				reply := q.Answer
				if n >= right {
					reply = wrong(q)
				}
				if err := say(openid, reply); err != nil {
					return err
				}
			}
			if i >= qp.Completions {
				if err := say(openid, "退出"); err != nil {
					return err
				}
			}
			clock = clock.Add(time.Duration(3+s.rng.IntN(40)) * time.Minute)
		}
	}
	return nil
}

// wrong is a reply the quiz reads as a wrong answer to q.
func wrong(q *quiz.Question) string {
	switch q.Kind {
	case quiz.TrueFalse:
		if q.Answer == quiz.True {
			return "错"
		}
		return "对"
	}
	for _, l := range "ABCDEFGH"[:len(q.Options)] {
		if string(l) != q.Answer {
			return string(l)
		}
	}
	return "A"
}
