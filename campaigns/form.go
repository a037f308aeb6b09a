package campaigns

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pufa-dev/pufa/chinatime"
	"github.com/pufa-dev/pufa/validation"
)

// Form is a campaign as the console's form holds it: every field as typed,
// so a rejected form comes back unchanged. ToYAML turns it into a campaign
// file and Parse validates it, so the form and the YAML files can never
// disagree about what is valid.
type Form struct {
	ID, Title, Theme, Channel string
	// Audience is "all", "communities" or "tags".
	Audience    string
	Communities []string
	Tags        []string
	OpenIDs     []string // kept from a file; the form shows their count only

	Text, MediaID string
	Article       string // article, publish: the article's id
	TemplateID    string
	TemplateURL   string
	// TemplateFields are "name=value" lines.
	TemplateFields string

	// Repeat is "" (only when run by hand), "once", "daily", "weekly",
	// "monthly" or "cron" (高级).
	Repeat   string
	At       string // once: 2006-01-02T15:04 (China time)
	Clock    string // daily/weekly/monthly: 15:04
	Weekday  string // weekly: 0..6, 0 = Sunday
	MonthDay string // monthly: 1..28
	Cron     string // cron
	CatchUp  string
	Grace    string

	WindowFrom, WindowTo string // 2006-01-02T15:04
	QuietFrom, QuietTo   string // 15:04
	Quiz                 string
}

// formTimeOf writes t as a datetime-local value in China time, with
// seconds only when it has some, so saving a form unchanged keeps the
// definition (and its approval) as it was.
func formTimeOf(t time.Time) string {
	t = t.In(chinatime.Zone)
	if t.Second() != 0 {
		return t.Format("2006-01-02T15:04:05")
	}
	return t.Format("2006-01-02T15:04")
}

// FormOf fills a form from a campaign.
func FormOf(c *Campaign) Form {
	f := Form{ID: c.ID, Title: c.Title, Theme: c.Theme, Channel: string(c.Channel), Quiz: c.Quiz,
		Communities: c.Audience.Communities, OpenIDs: c.Audience.OpenIDs,
		Text: c.Content.Text, MediaID: c.Content.MediaID, Article: c.Content.Article, CatchUp: string(c.Schedule.CatchUp)}
	for _, t := range c.Audience.Tags {
		f.Tags = append(f.Tags, strconv.FormatInt(t, 10))
	}
	switch {
	case c.Audience.All:
		f.Audience = "all"
	case len(c.Audience.Tags) > 0:
		f.Audience = "tags"
	default:
		f.Audience = "communities"
	}
	if t := c.Content.Template; t != nil {
		f.TemplateID, f.TemplateURL = t.ID, t.URL
		keys := make([]string, 0, len(t.Fields))
		for k := range t.Fields {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var lines []string
		for _, k := range keys {
			lines = append(lines, k+"="+t.Fields[k])
		}
		f.TemplateFields = strings.Join(lines, "\n")
	}
	if c.Schedule.Grace != 0 {
		f.Grace = c.Schedule.Grace.String()
	}
	switch {
	case !c.Schedule.At.IsZero():
		f.Repeat, f.At = "once", formTimeOf(c.Schedule.At)
	case c.Schedule.Cron != "":
		f.Repeat, f.Clock, f.Weekday, f.MonthDay = PresetOf(c.Schedule.Cron)
		f.Cron = c.Schedule.Cron
	}
	if !c.Window.From.IsZero() {
		f.WindowFrom = formTimeOf(c.Window.From)
	}
	if !c.Window.To.IsZero() {
		f.WindowTo = formTimeOf(c.Window.To)
	}
	if q := c.QuietHours; q.Set {
		f.QuietFrom = fmt.Sprintf("%02d:%02d", q.From/60, q.From%60)
		f.QuietTo = fmt.Sprintf("%02d:%02d", q.To/60, q.To%60)
	}
	return f
}

var (
	dailyRe   = regexp.MustCompile(`^(\d{1,2}) (\d{1,2}) \* \* \*$`)
	weeklyRe  = regexp.MustCompile(`^(\d{1,2}) (\d{1,2}) \* \* ([0-6])$`)
	monthlyRe = regexp.MustCompile(`^(\d{1,2}) (\d{1,2}) ([1-9]|1\d|2[0-8]) \* \*$`)
)

// PresetOf reads a cron spec as one of the form's presets, or "cron".
func PresetOf(spec string) (repeat, clock, weekday, monthDay string) {
	hm := func(m []string) string {
		h, _ := strconv.Atoi(m[2])
		mi, _ := strconv.Atoi(m[1])
		return fmt.Sprintf("%02d:%02d", h, mi)
	}
	if m := dailyRe.FindStringSubmatch(spec); m != nil {
		return "daily", hm(m), "", ""
	}
	if m := weeklyRe.FindStringSubmatch(spec); m != nil {
		return "weekly", hm(m), m[3], ""
	}
	if m := monthlyRe.FindStringSubmatch(spec); m != nil {
		return "monthly", hm(m), "", m[3]
	}
	return "cron", "", "", ""
}

// CronSpec is the cron spec the form's schedule stands for ("" for a
// one-shot or manual campaign). A preset with a clock that is not HH:MM
// gives the clock as typed, so Parse names the field.
func (f Form) CronSpec() string {
	clock := func() (string, string) {
		t, err := time.Parse("15:04", strings.TrimSpace(f.Clock))
		if err != nil {
			return "?", "?"
		}
		return strconv.Itoa(t.Minute()), strconv.Itoa(t.Hour())
	}
	switch f.Repeat {
	case "daily":
		m, h := clock()
		return m + " " + h + " * * *"
	case "weekly":
		m, h := clock()
		wd := strings.TrimSpace(f.Weekday)
		if wd == "" {
			wd = "1"
		}
		return m + " " + h + " * * " + wd
	case "monthly":
		m, h := clock()
		d := strings.TrimSpace(f.MonthDay)
		if d == "" {
			d = "1"
		}
		return m + " " + h + " " + d + " * *"
	case "cron":
		return strings.TrimSpace(f.Cron)
	}
	return ""
}

// ToYAML writes the form as a campaign file; Parse validates it.
func (f Form) ToYAML() []byte {
	tr := strings.TrimSpace
	doc := mapping()
	doc.add("id", scalar(tr(f.ID)))
	doc.add("title", scalar(tr(f.Title)))
	if tr(f.Theme) != "" {
		doc.add("theme", scalar(tr(f.Theme)))
	}
	doc.add("channel", scalar(tr(f.Channel)))
	a := mapping()
	switch f.Audience {
	case "all":
		a.add("all", plain("true"))
	case "tags":
		if len(f.Tags) > 0 {
			a.add("tags", plainSeq(f.Tags))
		}
	case "communities":
		if len(f.Communities) > 0 {
			a.add("communities", seq(f.Communities))
		}
	}
	if f.Audience != "all" && len(f.OpenIDs) > 0 {
		a.add("openids", seq(f.OpenIDs))
	}
	doc.add("audience", a.Node)
	ct := mapping()
	text := strings.TrimSpace(strings.ReplaceAll(f.Text, "\r\n", "\n"))
	switch Channel(f.Channel) {
	case ChannelArticle, ChannelPublish:
		if tr(f.Article) != "" {
			ct.add("article", scalar(tr(f.Article)))
		}
	case ChannelTemplate, ChannelNotice:
		tm := mapping()
		tm.add("id", scalar(tr(f.TemplateID)))
		if tr(f.TemplateURL) != "" {
			tm.add("url", scalar(tr(f.TemplateURL)))
		}
		fm := mapping()
		for _, line := range strings.Split(strings.ReplaceAll(f.TemplateFields, "\r\n", "\n"), "\n") {
			if tr(line) == "" {
				continue
			}
			k, v, _ := strings.Cut(line, "=")
			fm.add(tr(k), scalar(tr(v)))
		}
		tm.add("fields", fm.Node)
		ct.add("template", tm.Node)
	default:
		if text != "" {
			ct.add("text", scalar(text))
		}
		if tr(f.MediaID) != "" && Channel(f.Channel) == ChannelMass {
			ct.add("media_id", scalar(tr(f.MediaID)))
		}
	}
	doc.add("content", ct.Node)
	sm := mapping()
	switch f.Repeat {
	case "once":
		sm.add("at", scalar(tr(f.At)))
	case "daily", "weekly", "monthly", "cron":
		sm.add("cron", scalar(f.CronSpec()))
	}
	if tr(f.CatchUp) != "" {
		sm.add("catch_up", scalar(tr(f.CatchUp)))
	}
	if tr(f.Grace) != "" {
		sm.add("grace", scalar(tr(f.Grace)))
	}
	doc.add("schedule", sm.Node)
	wm := mapping()
	if tr(f.WindowFrom) != "" {
		wm.add("from", scalar(tr(f.WindowFrom)))
	}
	if tr(f.WindowTo) != "" {
		wm.add("to", scalar(tr(f.WindowTo)))
	}
	doc.add("window", wm.Node)
	if tr(f.QuietFrom) != "" || tr(f.QuietTo) != "" {
		qm := mapping()
		qm.add("from", scalar(tr(f.QuietFrom)))
		qm.add("to", scalar(tr(f.QuietTo)))
		doc.add("quiet_hours", qm.Node)
	}
	if tr(f.Quiz) != "" {
		doc.add("quiz", scalar(tr(f.Quiz)))
	}
	return encodeYAML(doc.Node)
}

// FormErrors are a form's problems in Chinese, by form field (the input's
// name: title, channel, audience, content, schedule, window, quiet, …).
type FormErrors map[string][]string

// Check converts the form through Parse and returns the campaign, its YAML
// and, when invalid, the problems by form field.
func (f Form) Check() (*Campaign, []byte, FormErrors) {
	data := f.ToYAML()
	c, err := Parse(strings.TrimSpace(f.ID)+".yaml", data)
	if err == nil {
		return c, data, nil
	}
	return nil, data, FieldErrorsZh(err)
}

// FieldErrorsZh sorts Parse's errors by form field, in Chinese.
func FieldErrorsZh(err error) FormErrors {
	out := FormErrors{}
	var list []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		list = j.Unwrap()
	} else {
		list = []error{err}
	}
	for _, e := range list {
		var fe *validation.Problem
		if !errors.As(e, &fe) {
			out["form"] = append(out["form"], "内容有误")
			continue
		}
		field, msg := zhFieldError(fe)
		out[field] = append(out[field], msg)
	}
	return out
}

// zhFieldError names the form field of a loader error and says what is
// wrong in Chinese. Every field path the loader reports is listed here
// (TestEveryLoaderErrorHasChineseText).
func zhFieldError(fe *validation.Problem) (field, msg string) {
	m := fe.Msg
	has := func(s string) bool { return strings.Contains(m, s) }
	switch f := fe.Field; {
	case f == "" && m == ErrFileConflict.Error():
		return "form", "文件在导入后被修改，而该活动也已在工作台修改过：文件未采用（如要以文件为准，请在“导入活动文件”中上传它）"
	case f == "" && strings.HasPrefix(m, "not valid YAML"):
		return "form", "不是有效的活动文件（YAML 格式有误）"
	case f == "":
		return "form", "活动定义无法读取"
	case m == "unknown field":
		return "form", "有无法识别的项目“" + f + "”"
	case m == "given twice":
		return "form", "项目“" + f + "”重复出现"
	case strings.HasPrefix(m, "expected ") || m == "list items must be plain values":
		return "form", "项目“" + f + "”的格式不对"
	case f == "id":
		if has("required") {
			return "id", "请填写活动编号"
		}
		if has("also the id") || has("stored under") {
			return "id", "该编号已被其他活动使用"
		}
		return "id", "活动编号只能用小写字母、数字和“-”，以字母或数字开头，最多40位"
	case f == "title":
		return "title", "请填写标题"
	case f == "channel":
		return "channel", "请选择渠道"
	case f == "audience.tags":
		return "audience", "所选微信标签无效"
	case f == "audience.communities":
		return "audience", "所选社区无效"
	case f == "audience.openids":
		if has("at least 2") {
			return "audience", "按 openid 群发至少需要 2 位接收人"
		}
		return "audience", "指定的 openid 有误"
	case strings.HasPrefix(f, "audience"):
		if has("channel publish") {
			return "audience", "发布图文不推送给任何人，接收对象请选“全部关注者”"
		}
		if has("combined") {
			return "audience", "“全部关注者”不能与社区或标签同时选择"
		}
		return "audience", "请选择接收对象：全部关注者，或至少一个社区或微信标签"
	case f == "content.text":
		if has("bytes") {
			return "text", "正文太长：" + strings.SplitN(m, ",", 2)[0] + "，微信客服消息和模板最多 2048 字节"
		}
		return "text", "请填写正文"
	case f == "content.template.id":
		return "template_id", "请填写模板编号（公众平台“模板消息”中的模板ID）"
	case f == "content.template.fields":
		return "template_fields", "请按“字段名=内容”每行一项填写模板字段"
	case f == "content.article":
		if has("only") {
			return "article", "图文只用于“群发图文”和“发布图文”渠道"
		}
		return "article", "请选择要发送的图文（没有合适的可先在“图文”中新写一篇）"
	case strings.HasPrefix(f, "content.template.fields."):
		return "template_fields", "字段 " + strings.TrimPrefix(f, "content.template.fields.") + "：" + m
	case f == "content.template.url":
		return "template_url", "链接须以 http:// 或 https:// 开头"
	case f == "content.template":
		return "template_id", "模板内容只用于“模板消息”渠道"
	case f == "content" || strings.HasPrefix(f, "content"):
		switch {
		case has("exactly one"):
			return "text", "群发请填写正文，或填写图文素材编号，二者选一"
		case has("template only"):
			return "text", "模板消息只发送模板字段，请清空正文"
		case has("text only"):
			return "text", "客服消息只能发送文字"
		case has("content.article only"):
			return "article", "图文渠道只发送所选图文，请清空正文和素材编号"
		}
		return "text", "请填写发送内容"
	case f == "schedule.at":
		if has("quiet hours") {
			return "schedule", "发送时间落在免打扰时段内，请另选时间"
		}
		if has("outside the window") {
			return "schedule", "发送时间不在有效期内"
		}
		return "schedule", "发送时间格式有误，请用日期时间选择器选择"
	case f == "schedule.cron":
		if has("never fires") {
			return "schedule", "按此周期，有效期内一次也不会发送"
		}
		if has("in the quiet hours") {
			at := ""
			if i := strings.Index(m, "fires at "); i >= 0 && len(m) >= i+14 {
				at = "（" + m[i+9:i+14] + "）"
			}
			return "schedule", "发送周期的发送时间" + at + "落在免打扰时段内，请改发送时间或免打扰时段"
		}
		if has("至少相隔") {
			if _, zh, ok := strings.Cut(m, " 每 "); ok {
				return "schedule", "按此周期每 " + zh
			}
			return "schedule", m
		}
		if has("at least 1s") {
			return "schedule", "间隔至少 1 秒"
		}
		return "schedule", "发送周期有误：请选择预设，或在“高级”中填写 5 段式 cron（分 时 日 月 周），如 0 10 * * 1"
	case f == "schedule.catch_up":
		return "schedule", "错过补发只能选“跳过”或“补发一次”"
	case f == "schedule.grace":
		return "schedule", "补发期限须为正的时长，如 2h"
	case f == "schedule":
		return "schedule", "一次性发送与周期发送只能选一种"
	case f == "window.from" || f == "window.to" || f == "window":
		if has("before") {
			return "window", "有效期的开始须早于结束"
		}
		return "window", "有效期时间格式有误"
	case strings.HasPrefix(f, "quiet_hours"):
		if has("equal") {
			return "quiet", "免打扰时段的开始与结束不能相同"
		}
		return "quiet", "免打扰时段须为 时:分，如 21:30，开始和结束都要填写"
	case f == "quiz":
		if has("names no quiz") {
			return "quiz", "关联答题不存在，或在活动期间没有开放的答题：请从列表中选择"
		}
		return "quiz", "关联答题无效"
	}
	return "form", "内容有误，请检查各项"
}
