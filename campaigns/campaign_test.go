package campaigns_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // CRON_TZ=Asia/Shanghai on hosts without zoneinfo

	"github.com/pufa-dev/pufa/campaigns"
	"github.com/pufa-dev/pufa/chinatime"
	"github.com/pufa-dev/pufa/validation"
)

func TestTransitions(t *testing.T) {
	tests := []struct {
		from campaigns.State
		ev   campaigns.Event
		to   campaigns.State // "" = refused
	}{
		{"", campaigns.EvApprove, campaigns.Approved},
		{campaigns.Draft, campaigns.EvApprove, campaigns.Approved},
		{campaigns.Draft, campaigns.EvStart, ""},
		{campaigns.Draft, campaigns.EvSchedule, ""},
		{campaigns.Approved, campaigns.EvSchedule, campaigns.Scheduled},
		{campaigns.Approved, campaigns.EvStart, campaigns.Running},
		{campaigns.Approved, campaigns.EvEdit, campaigns.Draft},
		{campaigns.Scheduled, campaigns.EvStart, campaigns.Running},
		{campaigns.Scheduled, campaigns.EvEdit, campaigns.Draft},
		{campaigns.Scheduled, campaigns.EvMiss, campaigns.Missed},
		{campaigns.Scheduled, campaigns.EvPause, campaigns.Paused},
		{campaigns.Running, campaigns.EvEdit, ""}, // content is locked once running
		{campaigns.Running, campaigns.EvComplete, campaigns.Scheduled},
		{campaigns.Running, campaigns.EvFinish, campaigns.Finished},
		{campaigns.Running, campaigns.EvPause, campaigns.Paused},
		{campaigns.Running, campaigns.EvCancel, campaigns.Cancelled},
		{campaigns.Running, campaigns.EvStart, ""},
		{campaigns.Running, campaigns.EvApprove, ""},
		{campaigns.Paused, campaigns.EvResume, campaigns.Scheduled},
		{campaigns.Paused, campaigns.EvStart, ""},
		{campaigns.Paused, campaigns.EvEdit, campaigns.Draft},
		{campaigns.Missed, campaigns.EvEdit, campaigns.Draft},
		{campaigns.Missed, campaigns.EvStart, ""},
		{campaigns.Finished, campaigns.EvStart, ""},
		{campaigns.Finished, campaigns.EvEdit, ""},
		{campaigns.Cancelled, campaigns.EvResume, ""},
		{campaigns.Cancelled, campaigns.EvApprove, ""},
	}
	for _, tt := range tests {
		got, err := campaigns.Transition(tt.from, tt.ev)
		switch {
		case tt.to == "" && !errors.Is(err, campaigns.ErrTransition):
			t.Errorf("%s --%s--> %s: want refusal", tt.from, tt.ev, got)
		case tt.to != "" && (err != nil || got != tt.to):
			t.Errorf("%s --%s--> %s, %v; want %s", tt.from, tt.ev, got, err, tt.to)
		}
	}
}

// Every state can be cancelled or ends; nothing but approval leads out of
// draft towards sending.
func TestOnlyApprovalLeavesDraftTowardsSending(t *testing.T) {
	for _, ev := range []campaigns.Event{campaigns.EvEdit, campaigns.EvSchedule, campaigns.EvStart, campaigns.EvComplete,
		campaigns.EvFinish, campaigns.EvPause, campaigns.EvResume, campaigns.EvCancel, campaigns.EvMiss} {
		if to, err := campaigns.Transition(campaigns.Draft, ev); err == nil && to.Sends() {
			t.Errorf("draft --%s--> %s can send without approval", ev, to)
		}
	}
}

// smsGood is a valid SMS campaign: a provider-approved template sent to the
// residents of a list who agreed to receive text messages.
const smsGood = `
id: sms-1
title: 宪法宣传周短信
channel: sms
audience: {sms_list: agreed}
content:
  sms: {template: SMS_100001, params: {theme: 宪法宣传周}}
`

func TestValidationNamesFileAndField(t *testing.T) {
	const good = `
id: ok-1
title: 测试
channel: mass
audience: {all: true}
content: {text: 你好}
`
	tests := []struct {
		name string
		doc  string
		want []string // substrings that must all appear
	}{
		{"valid", good, nil},
		{"valid sms", smsGood, nil},
		{"weekly mass", good + "schedule: {cron: \"0 10 * * 1\"}\n", nil},
		{"weekly sms", smsGood + "schedule: {cron: \"0 10 * * 1\"}\n", nil},
		{"unknown field", good + "colour: red\n", []string{"f.yaml: colour: unknown field (line 7)"}},
		{"nested unknown", strings.Replace(good, "{text: 你好}", "{text: 你好, txt: x}", 1), []string{"content.txt: unknown field"}},
		{"missing id and title", "channel: mass\naudience: {all: true}\ncontent: {text: a}\n", []string{"f.yaml: id: is required", "f.yaml: title: is required"}},
		{"bad id", strings.Replace(good, "ok-1", "Bad_ID", 1), []string{"f.yaml: id:"}},
		{"bad channel", strings.Replace(good, "channel: mass", "channel: fax", 1), []string{"channel: \"fax\" is not article, custom, mass, notice, publish, sms or template"}},
		{"audience all and tags", strings.Replace(good, "{all: true}", "{all: true, tags: [3]}", 1), []string{"audience: all: true cannot be combined"}},
		{"audience nobody", strings.Replace(good, "{all: true}", "{}", 1), []string{"audience: selects nobody"}},
		{"bad tag", strings.Replace(good, "{all: true}", "{tags: [abc]}", 1), []string{"audience.tags: \"abc\" is not a WeChat tag id"}},
		{"duplicate openid", strings.Replace(good, "{all: true}", "{openids: [o1, o1]}", 1), []string{"audience.openids: \"o1\" is listed twice"}},
		{"mass to one openid", strings.Replace(good, "{all: true}", "{openids: [o1]}", 1), []string{"audience.openids: a mass send by openid needs at least 2"}},
		{"mass text and media", strings.Replace(good, "{text: 你好}", "{text: 你好, media_id: M1}", 1), []string{"content: a mass send needs exactly one of text and media_id"}},
		{"template missing", strings.Replace(good, "channel: mass", "channel: template", 1), []string{"content.template: is required"}},
		{"template bad url", `
id: t1
title: t
channel: template
audience: {all: true}
content:
  template: {id: T, url: "ftp://x", fields: {first: a}}
`, []string{"content.template.url: \"ftp://x\" is not an http(s) URL"}},
		{"custom needs text", strings.Replace(strings.Replace(good, "channel: mass", "channel: custom", 1), "{text: 你好}", "{media_id: M}", 1), []string{"content.text: is required for channel custom", "content: channel custom sends text only"}},
		{"bad cron", good + "schedule: {cron: \"0 9 * *\"}\n", []string{"f.yaml: schedule.cron: \"0 9 * *\":"}},
		{"six-field cron", good + "schedule: {cron: \"0 0 9 * * 1\"}\n", []string{"schedule.cron:"}},
		{"bad descriptor", good + "schedule: {cron: \"@fortnightly\"}\n", []string{"schedule.cron:"}},
		{"bad tz", good + "schedule: {cron: \"CRON_TZ=Mars/Olympus 0 9 * * *\"}\n", []string{"schedule.cron:"}},
		{"at and cron", good + "schedule: {at: \"2026-12-04 09:00\", cron: \"@daily\"}\n", []string{"schedule: set either at"}},
		{"bad at", good + "schedule: {at: \"next tuesday\"}\n", []string{"schedule.at: \"next tuesday\" is not a time"}},
		{"bad catch_up", good + "schedule: {at: \"2026-12-04 09:00\", catch_up: always}\n", []string{"schedule.catch_up: \"always\" is not skip or once"}},
		{"bad grace", good + "schedule: {at: \"2026-12-04 09:00\", grace: -1h}\n", []string{"schedule.grace:"}},
		{"at outside window", good + "schedule: {at: \"2026-12-09 09:00\"}\nwindow: {from: \"2026-12-01\", to: \"2026-12-07\"}\n", []string{"schedule.at: 2026-12-09 09:00 is outside the window"}},
		{"window reversed", good + "window: {from: \"2026-12-07\", to: \"2026-12-01\"}\n", []string{"window: from must be before to"}},
		{"cron never in window", good + "schedule: {cron: \"0 9 31 2 *\"}\nwindow: {from: \"2026-12-01\", to: \"2026-12-07\"}\n", []string{"schedule.cron: never fires inside the window"}},
		// A recurring schedule may not reach the same people more often than
		// its channel allows (an accepted @every 1m once sent the same
		// customer-service text to every follower each minute).
		{"custom every minute", strings.Replace(good, "channel: mass", "channel: custom", 1) + "schedule: {cron: \"@every 1m\"}\n",
			[]string{"f.yaml: schedule.cron: \"@every 1m\" 每 1 分钟推送一次，客服消息渠道两次推送至少相隔 1 天"}},
		{"mass hourly", good + "schedule: {cron: \"0 * * * *\"}\n", []string{"schedule.cron: \"0 * * * *\" 每 1 小时推送一次，群发消息渠道两次推送至少相隔 1 天"}},
		{"template twice a day", strings.Replace(strings.Replace(good, "channel: mass", "channel: template", 1), "{text: 你好}", "{template: {id: T, fields: {first: a}}}", 1) + "schedule: {cron: \"0 9,15 * * *\"}\n",
			[]string{"schedule.cron: \"0 9,15 * * *\" 每 6 小时推送一次"}},
		{"sms daily", smsGood + "schedule: {cron: \"@daily\"}\n", []string{"schedule.cron: \"@daily\" 每 1 天推送一次，短信渠道两次推送至少相隔 7 天"}},
		{"sms needs its list and template", strings.Replace(good, "channel: mass", "channel: sms", 1),
			[]string{"audience.sms_list: is required for channel sms", "content.sms: is required for channel sms", "audience: channel sms sends to audience.sms_list only"}},
		{"sms list on a WeChat channel", strings.Replace(good, "{all: true}", "{all: true, sms_list: agreed}", 1), []string{"audience.sms_list: is for channel sms only"}},
		{"at in quiet hours", good + "schedule: {at: \"2026-12-04 23:00\"}\nquiet_hours: {from: \"21:30\", to: \"08:00\"}\n", []string{"schedule.at: 23:00 falls in the quiet hours 21:30-08:00"}},
		{"bad quiet hours", good + "quiet_hours: {from: \"25:00\", to: \"08:00\"}\n", []string{"quiet_hours.from: \"25:00\" is not a time of day"}},
		{"scalar for mapping", strings.Replace(good, "{all: true}", "everyone", 1), []string{"audience: expected a mapping"}},
		{"not yaml", "id: [unclosed", []string{"f.yaml: not valid YAML"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := campaigns.Parse("f.yaml", []byte(tt.doc))
			if tt.want == nil {
				if err != nil || c == nil {
					t.Fatalf("valid file rejected: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error\n%v\ndoes not contain %q", err, w)
				}
			}
			var fe *validation.Problem
			if !errors.As(err, &fe) || fe.File != "f.yaml" {
				t.Errorf("error is not a *validation.Problem naming the file: %v", err)
			}
		})
	}
}

func TestLoadDirReportsEveryProblem(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("a.yaml", "id: same\ntitle: a\nchannel: mass\naudience: {all: true}\ncontent: {text: a}\n")
	write("b.yml", "id: same\ntitle: b\nchannel: mass\naudience: {all: true}\ncontent: {text: b}\n")
	write("c.yaml", "id: c\ntitle: c\nchannel: fax\naudience: {all: true}\ncontent: {text: c}\n")
	write("notes.txt", "ignored")
	defs, err := campaigns.LoadDir(dir)
	if len(defs) != 1 || defs[0].ID != "same" {
		t.Errorf("valid campaigns = %v", defs)
	}
	for _, want := range []string{"b.yml: id: \"same\" is also the id of", "c.yaml: channel:"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not contain %q", err, want)
		}
	}
	if defs, err := campaigns.LoadDir(filepath.Join(dir, "missing")); err != nil || len(defs) != 0 {
		t.Errorf("missing dir: %v %v", defs, err)
	}
}

func TestSamplesAreValid(t *testing.T) {
	defs, err := campaigns.LoadFS(campaigns.Samples(), "campaigns/samples")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]*campaigns.Campaign{}
	for _, c := range defs {
		got[c.ID] = c
	}
	cw, cc := got["constitution-week-2026"], got["civil-code-month-2027"]
	if cw == nil || cc == nil {
		t.Fatalf("samples = %v", got)
	}
	if want := time.Date(2026, 12, 4, 9, 0, 0, 0, chinatime.Zone); !cw.Next(time.Date(2026, 1, 1, 0, 0, 0, 0, chinatime.Zone)).Equal(want) {
		t.Errorf("宪法宣传周 fires at %v, want %v", cw.Next(time.Time{}), want)
	}
	// 民法典宣传月 2027: the four Mondays of May at 10:00.
	var fires []string
	for t0 := time.Date(2027, 1, 1, 0, 0, 0, 0, chinatime.Zone); ; {
		n := cc.Next(t0)
		if n.IsZero() {
			break
		}
		fires = append(fires, n.In(chinatime.Zone).Format("01-02 15:04"))
		t0 = n
	}
	if strings.Join(fires, ",") != "05-03 10:00,05-10 10:00,05-17 10:00,05-24 10:00,05-31 10:00" {
		t.Errorf("民法典宣传月 fires = %v", fires)
	}
	if _, err := fs.Stat(campaigns.Samples(), "constitution-week-2026.yaml"); err != nil {
		t.Error(err)
	}
}

func TestCalendarDraftsAreValid(t *testing.T) {
	for _, theme := range campaigns.Themes() {
		for _, year := range []int{2026, 2027} {
			id, data, err := campaigns.DraftYAML(theme, year)
			if err != nil {
				t.Errorf("%s %d: %v", theme, year, err)
				continue
			}
			c, err := campaigns.Parse(id+".yaml", data)
			if err != nil {
				t.Errorf("%s %d: %v", theme, year, err)
				continue
			}
			if c.Next(time.Date(year, 1, 1, 0, 0, 0, 0, chinatime.Zone)).IsZero() {
				t.Errorf("%s %d never fires", theme, year)
			}
		}
	}
	_, data, _ := campaigns.DraftYAML("constitution-week", 2026)
	for _, want := range []string{"id: constitution-week-2026", "at: 2026-12-04T09:00:00+08:00", "国家宪法日"} {
		if !strings.Contains(string(data), want) {
			t.Errorf("constitution-week draft lacks %q:\n%s", want, data)
		}
	}
	if _, _, err := campaigns.DraftYAML("no-such-day", 2026); err == nil || !strings.Contains(err.Error(), "constitution-week") {
		t.Errorf("unknown theme: %v", err)
	}
}

func TestNextFires(t *testing.T) {
	parse := func(sched string) *campaigns.Campaign {
		c, err := campaigns.Parse("n.yaml", []byte("id: n\ntitle: n\nchannel: mass\naudience: {all: true}\ncontent: {text: a}\n"+sched))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04:05", s, chinatime.Zone)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name, sched, after, want string // want "" = no fire
	}{
		{"plain cron is China time", "schedule: {cron: \"0 9 * * *\"}\n", "2026-12-04 08:00:00", "2026-12-04 09:00:00"},
		{"CRON_TZ", "schedule: {cron: \"CRON_TZ=Asia/Shanghai 30 9 * * *\"}\n", "2026-12-04 09:30:00", "2026-12-05 09:30:00"},
		{"CRON_TZ elsewhere", "schedule: {cron: \"CRON_TZ=UTC 0 1 * * *\"}\n", "2026-12-04 08:00:00", "2026-12-04 09:00:00"},
		{"descriptor", "schedule: {cron: \"@daily\"}\n", "2026-12-04 08:00:00", "2026-12-05 00:00:00"},
		{"every is epoch-anchored", "schedule: {cron: \"@every 24h\"}\n", "2026-12-04 08:00:03", "2026-12-05 08:00:00"},
		{"window start", "schedule: {cron: \"0 9 * * *\"}\nwindow: {from: \"2026-12-10\"}\n", "2026-12-04 08:00:00", "2026-12-10 09:00:00"},
		{"window end", "schedule: {cron: \"0 9 * * *\"}\nwindow: {to: \"2026-12-05 00:00\"}\n", "2026-12-04 09:00:00", ""},
		{"one-shot", "schedule: {at: \"2026-12-04 09:00\"}\n", "2026-12-01 00:00:00", "2026-12-04 09:00:00"},
		{"one-shot passed", "schedule: {at: \"2026-12-04 09:00\"}\n", "2026-12-04 09:00:00", ""},
		{"manual only", "", "2026-12-01 00:00:00", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parse(tt.sched).Next(at(tt.after))
			if tt.want == "" {
				if !got.IsZero() {
					t.Errorf("got %v, want none", got)
				}
				return
			}
			if !got.Equal(at(tt.want)) {
				t.Errorf("got %v, want %s", got.In(chinatime.Zone), tt.want)
			}
		})
	}
}

func TestApprovalCoversContent(t *testing.T) {
	a, _ := campaigns.Parse("a.yaml", []byte(massAllYAML))
	b, _ := campaigns.Parse("a.yaml", []byte(strings.Replace(massAllYAML, "title: 群发测试", "title: 改个标题", 1)))
	c, _ := campaigns.Parse("a.yaml", []byte(strings.Replace(massAllYAML, "尊法学法", "学法", 1)))
	if a.Hash() != b.Hash() {
		t.Error("a title change invalidated the approval")
	}
	if a.Hash() == c.Hash() {
		t.Error("a content change kept the approval")
	}
}

func TestQuietHours(t *testing.T) {
	c, err := campaigns.Parse("q.yaml", []byte("id: q\ntitle: q\nchannel: custom\naudience: {all: true}\ncontent: {text: a}\nquiet_hours: {from: \"21:30\", to: \"08:00\"}\n"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ at, until string }{
		{"2026-12-04 21:29", ""},
		{"2026-12-04 21:30", "2026-12-05 08:00"},
		{"2026-12-05 03:00", "2026-12-05 08:00"},
		{"2026-12-05 08:00", ""},
		{"2026-12-05 12:00", ""},
	}
	for _, tt := range tests {
		at, _ := time.ParseInLocation("2006-01-02 15:04", tt.at, chinatime.Zone)
		quiet, until := c.QuietHours.Quiet(at.UTC())
		if got := ""; quiet {
			got = until.In(chinatime.Zone).Format("2006-01-02 15:04")
			if got != tt.until {
				t.Errorf("%s: quiet until %s, want %q", tt.at, got, tt.until)
			}
		} else if tt.until != "" {
			t.Errorf("%s: not quiet, want until %s", tt.at, tt.until)
		}
	}
}
