package campaigns

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/pufa-dev/pufa/chinatime"
)

// Observance is a national legal-publicity day or period that a campaign
// can be drafted from.
type Observance struct {
	Theme   string // short key, e.g. "constitution-week"
	Name    string // staff-facing name, e.g. "宪法宣传周"
	Summary string // when it is, for staff
	// Dates returns the period in year (China time, inclusive days) and the
	// suggested fire time.
	Dates func(year int) (from, to, fire time.Time)
	Text  string // a starter text; staff edit it before approving
	Quiz  string // suggested quiz bank, if any
	// Weekly sends on every Monday of the period instead of once.
	Weekly bool
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, chinatime.Zone) }

func fixed(m time.Month, d, days, hour int) func(int) (time.Time, time.Time, time.Time) {
	return func(y int) (time.Time, time.Time, time.Time) {
		from := day(y, m, d)
		return from, from.AddDate(0, 0, days-1), from.Add(time.Duration(hour) * time.Hour)
	}
}

// Calendar lists the observances pufa knows, by theme.
func Calendar() map[string]Observance {
	list := []Observance{
		{
			Theme: "constitution-week", Name: "宪法宣传周", Summary: "12月1日至7日，12月4日为国家宪法日",
			Dates: func(y int) (time.Time, time.Time, time.Time) {
				return day(y, 12, 1), day(y, 12, 7), day(y, 12, 4).Add(9 * time.Hour)
			},
			Text: "12月4日是国家宪法日，本周是“宪法宣传周”。宪法是国家的根本法，是治国安邦的总章程。" +
				"尊崇宪法、学习宪法、遵守宪法、维护宪法、运用宪法，从你我做起。回复“宪法”学习宪法条文，回复“答题”参加宪法知识答题。",
			Quiz: "constitution",
		},
		{
			Theme: "civil-code-month", Name: "民法典宣传月", Summary: "每年5月",
			Dates: func(y int) (time.Time, time.Time, time.Time) {
				return day(y, 5, 1), day(y, 5, 31), day(y, 5, 1).Add(10 * time.Hour)
			},
			Text: "5月是“民法典宣传月”。民法典被称为“社会生活的百科全书”，婚姻家庭、继承、合同、物权、侵权……" +
				"都与您息息相关。回复“民法典第1077条”等条文号可直接查询，回复“转人工”咨询工作人员。",
			Quiz:   "civil-code",
			Weekly: true,
		},
		{
			Theme: "consumer-rights-day", Name: "国际消费者权益日", Summary: "3月15日",
			Dates: fixed(3, 15, 1, 9),
			Text: "3月15日是国际消费者权益日。网购七日无理由退货、经营者欺诈“退一赔三”……" +
				"遇到消费纠纷可拨打12315投诉，回复“消费者权益保护法”了解更多。",
		},
		{
			Theme: "national-security-day", Name: "全民国家安全教育日", Summary: "4月15日",
			Dates: fixed(4, 15, 1, 9),
			Text: "4月15日是全民国家安全教育日。维护国家安全是每个公民的义务，发现危害国家安全的线索，" +
				"请拨打国家安全机关举报电话12339。",
		},
		{
			Theme: "anti-drug-day", Name: "国际禁毒日", Summary: "6月26日",
			Dates: fixed(6, 26, 1, 9),
			Text:  "6月26日是国际禁毒日。珍爱生命，远离毒品。警惕“网红”新型毒品的伪装，发现涉毒线索请拨打110举报。",
		},
		{
			Theme: "cybersecurity-week", Name: "国家网络安全宣传周", Summary: "9月（具体日期每年公布，请核对）",
			Dates: func(y int) (time.Time, time.Time, time.Time) {
				// Usually the week starting on the second Monday of September;
				// staff should check the year's announcement.
				d := day(y, 9, 1)
				for d.Weekday() != time.Monday {
					d = d.AddDate(0, 0, 1)
				}
				d = d.AddDate(0, 0, 7)
				return d, d.AddDate(0, 0, 6), d.Add(9 * time.Hour)
			},
			Text: "国家网络安全宣传周：网络安全为人民，网络安全靠人民。不点陌生链接、不透露验证码、" +
				"不轻信“刷单返利”，遇到电信网络诈骗请拨打96110。",
		},
		{
			Theme: "fire-safety-day", Name: "全国消防日", Summary: "11月9日",
			Dates: fixed(11, 9, 1, 9),
			Text:  "11月9日是全国消防日。楼道不堆物、电动车不进楼、不私拉电线充电。发现火情请立即拨打119。",
		},
		{
			Theme: "traffic-safety-day", Name: "全国交通安全日", Summary: "12月2日",
			Dates: fixed(12, 2, 1, 9),
			Text:  "12月2日是全国交通安全日。文明交通，安全出行：不酒驾、不超速、骑电动车戴头盔。",
		},
		{
			Theme: "minors-protection", Name: "未成年人保护宣传（六一）", Summary: "6月1日",
			Dates: fixed(6, 1, 1, 9),
			Text:  "六一儿童节，关注未成年人保护。发现侵害未成年人权益的情况，请拨打12355或110。回复“未成年人保护法”了解更多。",
		},
		{
			Theme: "women-rights-week", Name: "妇女维权周", Summary: "3月8日前后",
			Dates: fixed(3, 1, 8, 9),
			Text:  "三八妇女维权周：反家庭暴力法规定，遭受家庭暴力可以申请人身安全保护令。妇女维权热线12338。",
		},
	}
	out := make(map[string]Observance, len(list))
	for _, o := range list {
		out[o.Theme] = o
	}
	return out
}

// Themes lists the calendar's themes in a stable order.
func Themes() []string {
	cal := Calendar()
	out := make([]string, 0, len(cal))
	for t := range cal {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// DraftYAML writes a ready-to-edit campaign file for theme in year: a mass
// text to all followers at the observance's fire time (weekly themes fire
// every Monday of the period), with quiet hours and the starter text.
// The result still needs a person's approval.
func DraftYAML(theme string, year int) (id string, data []byte, err error) {
	o, ok := Calendar()[theme]
	if !ok {
		return "", nil, fmt.Errorf("campaigns: unknown theme %q (known: %s)", theme, strings.Join(Themes(), ", "))
	}
	if year < 2000 || year > 2100 {
		return "", nil, fmt.Errorf("campaigns: year %d out of range", year)
	}
	from, to, fire := o.Dates(year)
	id = fmt.Sprintf("%s-%d", theme, year)
	var sched string
	if o.Weekly {
		sched = fmt.Sprintf("  # Every Monday 10:00 (China time) inside the window.\n  cron: \"CRON_TZ=Asia/Shanghai 0 %d * * 1\"\n", fire.Hour())
	} else {
		sched = fmt.Sprintf("  # One-shot fire (China time).\n  at: %s\n", fire.Format(time.RFC3339))
	}
	quiz := ""
	if o.Quiz != "" {
		quiz = fmt.Sprintf("# Quiz bank residents are invited to (回复“答题”).\nquiz: %s\n", o.Quiz)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `# %[1]s %[2]d — drafted by "pufa campaign new --theme %[3]s --year %[2]d".
# %[1]s: %[4]s. Edit the text, then: pufa campaign validate; pufa campaign
# preview %[5]s --to <staff openid>; pufa campaign approve %[5]s --by <name>.
id: %[5]s
title: %[2]d年%[1]s主题推送
theme: %[3]s
# mass (群发), template (模板消息) or custom (客服消息).
channel: mass
audience:
  # all: true, or any of tags: [WeChat tag ids], communities: [ids], openids: [...]
  all: true
content:
  text: |
    %[6]s
schedule:
%[7]s  # Fires missed while pufa was down: skip, or once within the grace window.
  catch_up: once
  grace: 2h
window:
  from: %[8]s
  to: %[9]s
# Nothing is sent to residents in these hours (China time).
quiet_hours:
  from: "21:30"
  to: "08:00"
%[10]s`, o.Name, year, theme, o.Summary, id, o.Text, sched,
		from.Format(time.RFC3339), to.Add(24*time.Hour-time.Second).Format(time.RFC3339), quiz)
	data = []byte(b.String())
	if _, err := Parse(id+".yaml", data); err != nil {
		return "", nil, fmt.Errorf("campaigns: draft for %s %d is invalid: %w", theme, year, err)
	}
	return id, data, nil
}
