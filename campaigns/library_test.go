package campaigns_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pufa-dev/pufa/campaigns"
	"github.com/pufa-dev/pufa/store/storetest"
)

const libFile = "id: tip\ntitle: 小贴士\nchannel: custom\naudience: {all: true}\ncontent: {text: 防范电信诈骗}\n"

// campaigns.dir is an inbox: new files are imported, a changed file is
// imported again, a file changed after a console edit is reported and not
// applied, and a deleted file leaves the definition in Redis.
func TestLibraryReadsTheDirAsAnInbox(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "tip.yaml")
	lib := campaigns.NewLibrary(campaigns.LibraryOptions{Store: st, Dir: dir, Logger: slog.New(slog.DiscardHandler)})
	os.WriteFile(file, []byte(libFile), 0o644)
	defs, err := lib.Load(ctx)
	if err != nil || len(defs) != 1 || defs[0].Content.Text != "防范电信诈骗" {
		t.Fatalf("first import: %v %v", defs, err)
	}
	os.WriteFile(file, []byte(strings.Replace(libFile, "防范电信诈骗", "谨防养老诈骗", 1)), 0o644)
	// A second replica sees the file's new text, through Redis.
	other := campaigns.NewLibrary(campaigns.LibraryOptions{Store: st, Logger: slog.New(slog.DiscardHandler)})
	if _, err := lib.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if defs, _ := other.Load(ctx); len(defs) != 1 || defs[0].Content.Text != "谨防养老诈骗" {
		t.Fatalf("re-import of a changed file: %+v", defs)
	}
	rec, _, _ := other.Stored(ctx, "tip")
	if _, err := other.Save(ctx, "tip.yaml", []byte(strings.Replace(libFile, "防范电信诈骗", "控制台改过的", 1)), rec.Version, campaigns.SourceConsole, "张三"); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(file, []byte(strings.Replace(libFile, "防范电信诈骗", "文件又改了", 1)), 0o644)
	defs, err = lib.Load(ctx)
	if err == nil || !strings.Contains(err.Error(), "not applied") {
		t.Errorf("conflict not reported: %v", err)
	}
	if len(defs) != 1 || defs[0].Content.Text != "控制台改过的" {
		t.Errorf("a stale file overwrote the console edit: %+v", defs)
	}
	os.Remove(file)
	if defs, err := lib.Load(ctx); err != nil || len(defs) != 1 {
		t.Errorf("after deleting the file: %v %v", defs, err)
	}
}

// Form → definition → form gives back the form, and the YAML loader decides
// what is valid for both.
func TestFormRoundTrip(t *testing.T) {
	for _, f := range []campaigns.Form{
		{ID: "a", Title: "一次", Channel: "mass", Audience: "all", Text: "正文", Repeat: "once", At: "2027-12-04T10:00", CatchUp: "once",
			WindowFrom: "2027-12-01T00:00", WindowTo: "2027-12-07T23:59", QuietFrom: "21:30", QuietTo: "08:00", Quiz: "constitution"},
		{ID: "b", Title: "每周", Theme: "civil-code-month", Channel: "template", Audience: "tags", Tags: []string{"101", "102"},
			TemplateID: "TPL", TemplateURL: "https://example.org/x", TemplateFields: "thing1=民法典\ntime2=2027年5月1日 10:00",
			Repeat: "weekly", Clock: "10:00", Weekday: "1", CatchUp: "skip", Grace: "2h0m0s"},
		{ID: "c", Title: "每月", Channel: "custom", Audience: "communities", Communities: []string{"幸福社区"}, Text: "多行\n正文",
			Repeat: "monthly", Clock: "09:30", MonthDay: "1", CatchUp: "once"},
		{ID: "d", Title: "每天", Channel: "mass", Audience: "all", Text: "x", Repeat: "daily", Clock: "08:05", CatchUp: "once"},
	} {
		t.Run(f.ID, func(t *testing.T) {
			c, _, errs := f.Check()
			if errs != nil {
				t.Fatalf("valid form refused: %v\n%s", errs, f.ToYAML())
			}
			back := campaigns.FormOf(c)
			if f.Repeat != "once" {
				f.Cron = f.CronSpec()
			}
			if got, want := strings.Join(strings.Fields(strings.ReplaceAll(fmtForm(back), "\n", " ")), " "), strings.Join(strings.Fields(strings.ReplaceAll(fmtForm(f), "\n", " ")), " "); got != want {
				t.Errorf("round trip:\n got %s\nwant %s", got, want)
			}
			again, err := campaigns.Parse("x.yaml", c.CanonicalYAML())
			if err != nil || again.Hash() != c.Hash() {
				t.Errorf("canonical YAML changes the campaign: %v", err)
			}
		})
	}
}

func fmtForm(f campaigns.Form) string {
	return strings.Join([]string{f.ID, f.Title, f.Theme, f.Channel, f.Audience, strings.Join(f.Communities, ","), strings.Join(f.Tags, ","),
		f.Text, f.TemplateID, f.TemplateURL, f.TemplateFields, f.Repeat, f.At, f.Clock, f.Weekday, f.MonthDay, f.Cron, f.CatchUp, f.Grace,
		f.WindowFrom, f.WindowTo, f.QuietFrom, f.QuietTo, f.Quiz}, "|")
}

// Every problem the loader finds is told in Chinese beside a form field.
func TestFormErrorsAreChineseByField(t *testing.T) {
	ok := campaigns.Form{ID: "a", Title: "t", Channel: "mass", Audience: "all", Text: "x", Repeat: "once", At: "2027-12-04T10:00"}
	for _, tt := range []struct {
		field  string
		change func(*campaigns.Form)
		says   string
	}{
		{"id", func(f *campaigns.Form) { f.ID = "Bad Id" }, "活动编号"},
		{"title", func(f *campaigns.Form) { f.Title = "" }, "标题"},
		{"channel", func(f *campaigns.Form) { f.Channel = "" }, "渠道"},
		{"audience", func(f *campaigns.Form) { f.Audience = "tags" }, "接收对象"},
		{"text", func(f *campaigns.Form) { f.Text = "" }, "正文"},
		{"schedule", func(f *campaigns.Form) { f.At = "明天" }, "发送时间"},
		{"schedule", func(f *campaigns.Form) { f.Repeat, f.Cron = "cron", "0 9 * *" }, "发送周期"},
		{"window", func(f *campaigns.Form) { f.WindowFrom, f.WindowTo = "2027-12-05T00:00", "2027-12-01T00:00" }, "有效期"},
		{"quiet", func(f *campaigns.Form) { f.QuietFrom = "21:30" }, "免打扰"},
		{"template_id", func(f *campaigns.Form) { f.Channel, f.Text, f.TemplateFields = "template", "", "thing1=x" }, "模板"},
		{"template_fields", func(f *campaigns.Form) {
			f.Channel, f.Text, f.TemplateID, f.TemplateFields = "template", "", "T", "first=宪法宣传周\nthing1=x"
		}, "不再显示"},
		{"template_fields", func(f *campaigns.Form) {
			f.Channel, f.Text, f.TemplateID, f.TemplateFields = "notice", "", "T", "thing1=中华人民共和国宪法宣传周街道普法讲座活动第一场"
		}, "最多 20 个字符"},
		{"article", func(f *campaigns.Form) { f.Channel, f.Text = "article", "" }, "请选择要发送的图文"},
		{"audience", func(f *campaigns.Form) { f.Channel, f.Text, f.Article, f.Audience = "publish", "", "3", "tags" }, "发布图文不推送"},
		{"schedule", func(f *campaigns.Form) {
			f.Repeat, f.Clock, f.QuietFrom, f.QuietTo = "daily", "22:00", "21:30", "08:00"
		}, "发送周期的发送时间（22:00）落在免打扰时段内"},
		{"schedule", func(f *campaigns.Form) { f.Repeat, f.Cron = "cron", "0 * * * *" }, "两次推送至少相隔 1 天"},
	} {
		f := ok
		tt.change(&f)
		_, _, errs := f.Check()
		msgs := strings.Join(errs[tt.field], "；")
		if !strings.Contains(msgs, tt.says) {
			t.Errorf("%s: got %v", tt.field, errs)
		}
		for _, m := range errs {
			for _, s := range m {
				// WeChat's own field names (thing1, first) are shown as WeChat spells them.
				if strings.ContainsAny(s, "abcdefghijklmnopqrstuvwxyz") && !strings.HasPrefix(s, "字段 ") && !strings.Contains(s, "cron") && !strings.Contains(s, "http") && !strings.Contains(s, "openid") && !strings.Contains(s, "2h") {
					t.Errorf("English in %q", s)
				}
			}
		}
	}
}

// Storing a definition in canonical form keeps its approval hash: the
// samples, calendar drafts and times written in UTC or with fractions.
func TestCanonicalYAMLKeepsTheHash(t *testing.T) {
	samples, err := campaigns.LoadFS(campaigns.Samples(), "samples")
	if err != nil {
		t.Fatal(err)
	}
	for _, theme := range campaigns.Themes() {
		_, data, err := campaigns.DraftYAML(theme, 2027)
		if err != nil {
			t.Fatal(err)
		}
		c, err := campaigns.Parse(theme+".yaml", data)
		if err != nil {
			t.Fatal(err)
		}
		samples = append(samples, c)
	}
	utc, err := campaigns.Parse("utc.yaml", []byte("id: utc\ntitle: 协调世界时\nchannel: mass\naudience: {tags: [3, 1], openids: [oA, oB]}\n"+
		"content: {text: \"  首行缩进\\n第二行\"}\nschedule: {at: \"2027-03-15T01:00:00.5Z\", catch_up: skip, grace: 90m}\n"+
		"window: {from: \"2027-03-01\", to: \"2027-03-31T23:59:59+08:00\"}\nquiet_hours: {from: \"22:00\", to: \"07:00\"}\n"))
	if err != nil {
		t.Fatal(err)
	}
	// An SMS campaign keeps its list and template (they were lost once).
	sms, err := campaigns.Parse("sms.yaml", []byte("id: sms\ntitle: 宪法宣传周短信\nchannel: sms\naudience: {sms_list: 演示名单}\n"+
		"content:\n  sms: {template: SMS_1, params: {theme: 宪法宣传周, b: 二}}\nschedule: {at: \"2027-12-02T10:00:00+08:00\"}\n"))
	if err != nil {
		t.Fatal(err)
	}
	art, err := campaigns.Parse("art.yaml", []byte("id: art\ntitle: 图文\nchannel: article\naudience: {all: true}\ncontent: {article: \"7\"}\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range append(samples, utc, sms, art) {
		again, err := campaigns.Parse(c.ID+".yaml", c.CanonicalYAML())
		if err != nil {
			t.Errorf("%s: canonical YAML does not parse: %v\n%s", c.ID, err, c.CanonicalYAML())
			continue
		}
		if again.Hash() != c.Hash() || again.ContentHash() != c.ContentHash() || again.Title != c.Title || again.Quiz != c.Quiz {
			t.Errorf("%s: canonical YAML changes the campaign:\n%s", c.ID, c.CanonicalYAML())
		}
	}
}

// A calendar draft saved through the form unchanged keeps its approval
// hash (its window ends at 23:59:59).
func TestFormOfADraftKeepsTheHash(t *testing.T) {
	for _, theme := range campaigns.Themes() {
		_, data, _ := campaigns.DraftYAML(theme, 2027)
		c, err := campaigns.Parse(theme+".yaml", data)
		if err != nil {
			t.Fatal(err)
		}
		again, _, errs := campaigns.FormOf(c).Check()
		if errs != nil || again.Hash() != c.Hash() {
			t.Errorf("%s: form changes the campaign: %v", theme, errs)
		}
	}
}
