package demo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/pufa-dev/pufa/store"
)

// CampaignRunner defines, approves and runs campaigns at a given time: the
// campaign manager with a clock the seed sets (cmd/pufa's adapter). Start
// sends for real, through the simulator, and returns how many recipients
// took the message.
type CampaignRunner interface {
	Define(ctx context.Context, yaml string) error
	Approve(ctx context.Context, id string, at time.Time) error
	Start(ctx context.Context, id string, fire time.Time) (sent int64, err error)
}

// SMSLists keeps the residents who agreed to the office's text messages
// (implemented by *store.Store).
type SMSLists interface {
	AddSMSNumbers(ctx context.Context, list string, numbers []string) (int, error)
}

// CampaignPlan is one seeded campaign: a themed push of the year.
type CampaignPlan struct {
	ID, Title, Theme, Channel string
	Month                     time.Month
	Day, Hour                 int
	Text                      string // mass and custom channels; the template's keyword1 otherwise
	Quiz                      string
	// ReadShare is the share of the reach that read it, in percent, spread
	// over the three days after the push (WeChat's data cube).
	ReadShare int
}

// SMSList is the demo's list of residents who agreed to text messages.
const SMSList = "演示短信名单"

// SMSTemplate is the approved template of the demo's SMS gateway.
const SMSTemplate = "SMS_DEMO_001"

// smsNumbers are the demo list's numbers: 199 0000 xxxx, a range no real
// phone has.
func smsNumbers(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("1990000%04d", i+1)
	}
	return out
}

// Campaigns of the seeded year, by the calendar of legal-publicity days.
func Campaigns(year int) []CampaignPlan {
	id := func(s string) string { return fmt.Sprintf("%s-%d", s, year) }
	return []CampaignPlan{
		{ID: id("consumer-day"), Title: fmt.Sprintf("%d年“3·15”国际消费者权益日", year), Theme: "consumer-rights-day", Channel: "template",
			Month: 3, Day: 15, Hour: 9, Text: "网购七日无理由退货，消费纠纷可拨打12315", ReadShare: 0},
		{ID: id("security-day"), Title: fmt.Sprintf("%d年全民国家安全教育日", year), Theme: "national-security-day", Channel: "template",
			Month: 4, Day: 15, Hour: 9, Text: "维护国家安全是每个公民的义务", ReadShare: 0},
		{ID: id("civil-code-month"), Title: fmt.Sprintf("%d年“民法典宣传月”推送", year), Theme: "civil-code-month", Channel: "mass",
			Month: 5, Day: 8, Hour: 10, Text: "【民法典宣传月】民法典是“社会生活的百科全书”。回复“民法典第1077条”了解离婚冷静期。", ReadShare: 62},
		{ID: id("anti-drug-day"), Title: fmt.Sprintf("%d年国际禁毒日", year), Theme: "anti-drug-day", Channel: "mass",
			Month: 6, Day: 26, Hour: 9, Text: "【6·26国际禁毒日】珍爱生命，远离毒品。发现涉毒线索请拨打110举报。", ReadShare: 48},
		{ID: id("fire-day"), Title: fmt.Sprintf("%d年全国消防日", year), Theme: "fire-safety-day", Channel: "template",
			Month: 11, Day: 9, Hour: 9, Text: "楼道不堆物，电动车不进楼", ReadShare: 0},
		{ID: id("constitution-sms"), Title: fmt.Sprintf("%d年“宪法宣传周”短信", year), Theme: "constitution-week", Channel: "sms",
			Month: 12, Day: 2, Hour: 10},
		{ID: id("constitution-week"), Title: fmt.Sprintf("%d年“宪法宣传周”国家宪法日推送", year), Theme: "constitution-week", Channel: "mass",
			Month: 12, Day: 4, Hour: 9, Quiz: ConstitutionQuiz(year),
			Text: "【12·4国家宪法日】本周是“宪法宣传周”。宪法是国家的根本法。回复“宪法第三十三条”查看条文原文，回复“答题”参加宪法知识考核。", ReadShare: 71},
	}
}

// yaml writes a plan as a campaign definition.
func (p CampaignPlan) yaml(year int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "id: %s\ntitle: %q\ntheme: %s\nchannel: %s\n", p.ID, p.Title, p.Theme, p.Channel)
	switch p.Channel {
	case "sms":
		fmt.Fprintf(&b, "audience: {sms_list: %q}\ncontent:\n  sms: {template: %s, params: {theme: 宪法宣传周}}\n", SMSList, SMSTemplate)
	case "template":
		fmt.Fprintf(&b, "audience: {all: true}\ncontent:\n  template:\n    id: TPL-demo-publicity\n    fields: {keyword1: %q, keyword2: \"%d年%d月%d日\"}\n",
			p.Text, year, p.Month, p.Day)
	default:
		fmt.Fprintf(&b, "audience: {all: true}\ncontent: {text: %q}\n", p.Text)
	}
	fmt.Fprintf(&b, "schedule: {at: \"%s\"}\n", p.fire(year).Format(time.RFC3339))
	if p.Quiz != "" {
		fmt.Fprintf(&b, "quiz: %s\n", p.Quiz)
	}
	return b.String()
}

func (p CampaignPlan) fire(year int) time.Time {
	return day(year, p.Month, p.Day).Add(time.Duration(p.Hour) * time.Hour)
}

// seedCampaigns defines, approves and sends the year's campaigns through
// the campaign manager at their fire times, and records what WeChat's data
// cube would report as read in the days after each mass send.
func (s *seeder) seedCampaigns(ctx context.Context, _ Plan) error {
	if s.deps.Campaigns == nil {
		return nil
	}
	if s.deps.SMS != nil {
		if _, err := s.deps.SMS.AddSMSNumbers(ctx, SMSList, smsNumbers(SMSRecipients)); err != nil {
			return err
		}
	}
	for _, p := range Campaigns(s.year) {
		if p.Channel == "sms" && s.deps.SMS == nil {
			continue
		}
		if err := s.deps.Campaigns.Define(ctx, p.yaml(s.year)); err != nil {
			return fmt.Errorf("campaign %s: %w", p.ID, err)
		}
		fire := p.fire(s.year)
		if err := s.deps.Campaigns.Approve(ctx, p.ID, fire.Add(-3*24*time.Hour)); err != nil {
			return fmt.Errorf("campaign %s: approve: %w", p.ID, err)
		}
		if _, err := s.deps.Campaigns.Start(ctx, p.ID, fire); err != nil {
			return fmt.Errorf("campaign %s: %w", p.ID, err)
		}
		if p.ReadShare == 0 {
			continue
		}
		// A mass send to all reaches every follower (WeChat reports it
		// after the run, by callback).
		reads := int64(len(s.followers)) * int64(p.ReadShare) / 100
		for i, share := range []int64{60, 30, 10} {
			d := fire.AddDate(0, 0, i)
			r := store.ArticleRead{Campaign: p.ID, Fire: fire, Day: d.Format("2006-01-02"),
				Reads: reads * share / 100, ReadUsers: reads * share / 100 * 4 / 5, Shares: reads * share / 1000}
			if err := s.deps.Store.RecordArticleRead(ctx, r); err != nil {
				return err
			}
		}
	}
	return nil
}

// SMSRecipients is how many numbers the demo's SMS list holds.
const SMSRecipients = 200
