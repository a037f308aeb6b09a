package wechat

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/gif"
	"image/png"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pufa-dev/pufa/chinatime"
	"github.com/pufa-dev/pufa/wechat/wxsim"
)

// simClock is a settable clock shared by the simulator and the Client.
type simClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *simClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *simClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// newSimClient points the SDK at a fresh simulator and returns it with a
// Client on the same clock (2025-12-01 10:00 Beijing time).
func newSimClient(t *testing.T, opts wxsim.Options) (*wxsim.Server, *Client, *simClock) {
	t.Helper()
	clock := &simClock{t: time.Date(2025, 12, 1, 10, 0, 0, 0, chinatime.Zone)}
	opts.AppID, opts.AppSecret, opts.Now = testAppID, testSecret, clock.Now
	sim, err := wxsim.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(func() { srv.Close(); sim.Close() })
	testBase.Lock()
	testBase.url = srv.URL
	testBase.Unlock()
	t.Cleanup(func() {
		testBase.Lock()
		testBase.url = ""
		testBase.Unlock()
	})
	c, _ := newClient(t, nil)
	c.now = clock.Now
	return sim, c, clock
}

func encodeImage(t *testing.T, format string, pad int) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 4, 4))
	var b bytes.Buffer
	var err error
	if format == "gif" {
		err = gif.Encode(&b, img, nil)
	} else {
		err = png.Encode(&b, img)
	}
	if err != nil {
		t.Fatal(err)
	}
	b.Write(make([]byte, pad))
	return b.Bytes()
}

func TestImagesRejectedBeforeUpload(t *testing.T) {
	c, _ := newClient(t, nil) // no API reachable: every case must fail locally
	pngData, gifData := encodeImage(t, "png", 0), encodeImage(t, "gif", 0)
	tests := []struct {
		name     string
		material bool
		file     string
		data     []byte
		want     error
	}{
		{"body gif", false, "a.gif", gifData, ErrImageType},
		{"body png named jpg", false, "a.jpg", pngData, ErrImageType},
		{"body without extension", false, "a", pngData, ErrImageType},
		{"body over 1 MB", false, "a.png", encodeImage(t, "png", MaxBodyImageBytes), ErrImageTooLarge},
		{"body empty", false, "a.png", nil, ErrInvalidRequest},
		{"cover pdf", true, "c.pdf", []byte("%PDF-1.4"), ErrImageType},
		{"cover over 10 MB", true, "c.PNG", encodeImage(t, "png", MaxImageMaterialBytes), ErrImageTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			if tt.material {
				_, err = c.AddMaterialImage(context.Background(), tt.file, tt.data)
			} else {
				_, err = c.UploadImage(context.Background(), tt.file, tt.data)
			}
			if !errors.Is(err, tt.want) || !errors.Is(err, ErrInvalidRequest) || !IsPermanent(err) {
				t.Errorf("err = %v, want %v (an ErrInvalidRequest)", err, tt.want)
			}
		})
	}
}

func TestArticleLifecycleAgainstSimulator(t *testing.T) {
	sim, c, clock := newSimClient(t, wxsim.Options{Followers: 3, MassRateLimit: -1})
	ctx := context.Background()

	bodyURL, err := c.UploadImage(ctx, "fig.png", encodeImage(t, "png", 0))
	if err != nil || !strings.Contains(bodyURL, "/sim/media/") {
		t.Fatalf("UploadImage = %q, %v", bodyURL, err)
	}
	cover, err := c.AddMaterialImage(ctx, "cover.gif", encodeImage(t, "gif", 0))
	if err != nil || cover.MediaID == "" || cover.URL == "" {
		t.Fatalf("AddMaterialImage = %+v, %v", cover, err)
	}
	a := Article{
		Title: "宪法宣传周", Author: "东湖街道", Digest: "12月4日国家宪法日",
		Content: `<p>宪法是国家的根本法。</p><img src="` + bodyURL + `">`, ContentSourceURL: "https://example.org/law",
		ThumbMediaID: cover.MediaID, NeedOpenComment: true,
	}
	if _, err := c.AddDraft(ctx, Article{Title: "x", Content: "y", ThumbMediaID: "NOPE"}); !isCode(err, 40007) || !IsPermanent(err) {
		t.Errorf("draft with an unknown cover: err = %v, want permanent 40007", err)
	}
	mediaID, err := c.AddDraft(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.DraftArticles(ctx, mediaID)
	if err != nil || len(got) != 1 || got[0].Title != a.Title || !got[0].NeedOpenComment || got[0].OnlyFansCanComment || got[0].URL == "" {
		t.Fatalf("DraftArticles = %+v, %v", got, err)
	}
	a.Title = "宪法宣传周：学宪法 讲宪法"
	if err := c.UpdateDraft(ctx, mediaID, 0, a); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.DraftArticles(ctx, mediaID); got[0].Title != a.Title {
		t.Errorf("title after UpdateDraft = %q", got[0].Title)
	}

	if err := c.PreviewArticle(ctx, "o_sim_000001", mediaID); err != nil {
		t.Fatal(err)
	}
	res, err := c.MassSend(ctx, MassRequest{ToAll: true, MsgType: MsgTypeMPNews, MediaID: mediaID, ClientMsgID: "article-1"})
	if err != nil || res.MsgDataID == 0 {
		t.Fatalf("MassSend = %+v, %v", res, err)
	}
	inbox := sim.Inbox("o_sim_000001")
	if len(inbox) != 2 || inbox[0].Kind != wxsim.KindPreview || len(inbox[1].Cards) != 1 || inbox[1].Cards[0].Title != a.Title {
		t.Fatalf("inbox = %+v, want the preview and the send, each as a card", inbox)
	}
	key := strings.TrimPrefix(strings.Split(inbox[1].Cards[0].Link, "?")[0], "/sim/article/")
	for _, o := range []string{"o_sim_000001", "o_sim_000002", "o_sim_000001"} {
		if err := sim.ReadArticle(key, o); err != nil {
			t.Fatal(err)
		}
	}
	if err := sim.ShareArticle(key, "o_sim_000002"); err != nil {
		t.Fatal(err)
	}

	sendDay := DayOf(clock.Now())
	if _, err := c.ArticleTotal(ctx, sendDay); !errors.Is(err, ErrDataNotReady) {
		t.Errorf("ArticleTotal for today: err = %v, want ErrDataNotReady", err)
	}
	clock.Add(24 * time.Hour) // 10:00 the next day: yesterday is ready (and the token expired)
	totals, err := c.ArticleTotal(ctx, sendDay)
	if err != nil {
		t.Fatal(err)
	}
	want := ArticleFigures{IntPageReadUser: 2, IntPageReadCount: 3, ShareUser: 1, ShareCount: 1}
	if len(totals) != 1 || totals[0].MsgID != key || len(totals[0].Details) != 1 ||
		totals[0].Details[0].ArticleFigures != want || totals[0].Details[0].TargetUser != 3 {
		t.Errorf("ArticleTotal = %+v, want %s with %+v to 3 followers", totals, key, want)
	}
	summary, err := c.ArticleSummary(ctx, sendDay)
	if err != nil || len(summary) != 1 || summary[0].ArticleFigures != want || summary[0].Title != a.Title {
		t.Errorf("ArticleSummary = %+v, %v", summary, err)
	}
	stats, err := c.ArticleStats(ctx, sendDay, res.MsgDataID)
	if err != nil || len(stats) != 1 || stats[0].Index != 1 || stats[0].ArticleFigures != want || stats[0].AsOf != sendDay.String() {
		t.Errorf("ArticleStats = %+v, %v", stats, err)
	}
	if other, err := c.ArticleStats(ctx, sendDay, res.MsgDataID+1); err != nil || len(other) != 0 {
		t.Errorf("ArticleStats of another send = %+v, %v", other, err)
	}
	reads, err := c.UserRead(ctx, sendDay, sendDay)
	if err != nil || len(reads) != 1 || reads[0].IntPageReadCount != 3 || reads[0].UserSource != 99999999 {
		t.Errorf("UserRead = %+v, %v", reads, err)
	}

	publishID, err := c.SubmitFreePublish(ctx, mediaID)
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.FreePublishStatus(ctx, publishID)
	if err != nil || st.Status != PublishPublishing || st.Status.Done() {
		t.Errorf("status right after submit = %+v, %v", st, err)
	}
	clock.Add(2 * time.Second) // the simulator's default job time is 1 s
	st, err = c.FreePublishStatus(ctx, publishID)
	if err != nil || st.Status != PublishSucceeded || st.ArticleID == "" || len(st.Articles) != 1 || st.Articles[0].Idx != 1 {
		t.Errorf("status after the job = %+v, %v", st, err)
	}

	if err := c.DeleteDraft(ctx, mediaID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DraftArticles(ctx, mediaID); !isCode(err, 40007) {
		t.Errorf("DraftArticles after delete: err = %v, want 40007", err)
	}
}

func isCode(err error, code int) bool {
	c, ok := ErrCode(err)
	return ok && c == code
}

func TestDraftRejectedLocally(t *testing.T) {
	c, _ := newClient(t, nil)
	ok := Article{Title: "t", Content: "c", ThumbMediaID: "m"}
	long := ok
	long.Content = strings.Repeat("法", MaxArticleContent)
	fansOnly := ok
	fansOnly.OnlyFansCanComment = true
	nine := make([]Article, MaxDraftArticles+1)
	for i := range nine {
		nine[i] = ok
	}
	for name, articles := range map[string][]Article{
		"none":                            nil,
		"nine":                            nine,
		"no title":                        {{Content: "c", ThumbMediaID: "m"}},
		"no cover":                        {{Title: "t", Content: "c"}},
		"20,000 characters":               {long},
		"fans-only comments, no comments": {fansOnly},
	} {
		if _, err := c.AddDraft(context.Background(), articles...); !errors.Is(err, ErrInvalidRequest) {
			t.Errorf("%s: err = %v, want ErrInvalidRequest", name, err)
		}
	}
}

func TestDataCubeRanges(t *testing.T) {
	c, _ := newClient(t, nil) // no API reachable: every case must fail locally
	c.now = func() time.Time { return time.Date(2025, 12, 10, 7, 59, 0, 0, chinatime.Zone) }
	day := func(s string) Day {
		d, err := ParseDay(s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	ctx := context.Background()
	tests := []struct {
		name string
		call func() error
		want error
	}{
		{"article total for yesterday before 08:00", func() error { _, err := c.ArticleTotal(ctx, day("2025-12-09")); return err }, ErrDataNotReady},
		{"user summary over 8 days", func() error { _, err := c.UserSummary(ctx, day("2025-12-01"), day("2025-12-08")); return err }, ErrInvalidRequest},
		{"user cumulate reversed", func() error { _, err := c.UserCumulate(ctx, day("2025-12-05"), day("2025-12-04")); return err }, ErrInvalidRequest},
		{"user read over 3 days", func() error { _, err := c.UserRead(ctx, day("2025-12-01"), day("2025-12-04")); return err }, ErrInvalidRequest},
		{"zero day", func() error { _, err := c.ArticleSummary(ctx, Day{}); return err }, ErrInvalidRequest},
	}
	for _, tt := range tests {
		if err := tt.call(); !errors.Is(err, tt.want) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
	}
	for _, tt := range []struct {
		now  time.Time
		want string
	}{
		{time.Date(2025, 12, 10, 7, 59, 0, 0, chinatime.Zone), "2025-12-08"},
		{time.Date(2025, 12, 10, 8, 0, 0, 0, chinatime.Zone), "2025-12-09"},
		{time.Date(2025, 12, 10, 0, 30, 0, 0, time.UTC), "2025-12-09"}, // 08:30 in Beijing
	} {
		if got := LatestDataCubeDay(tt.now).String(); got != tt.want {
			t.Errorf("LatestDataCubeDay(%v) = %s, want %s", tt.now, got, tt.want)
		}
	}
}

func TestFollowerFiguresAgainstSimulator(t *testing.T) {
	sim, c, clock := newSimClient(t, wxsim.Options{Followers: 10})
	first := DayOf(clock.Now())
	sim.Subscribe("o_new_1")
	sim.Subscribe("o_new_2")
	sim.Unsubscribe("o_sim_000004")
	clock.Add(24 * time.Hour)
	sim.Unsubscribe("o_new_2")
	clock.Add(24 * time.Hour)

	ctx := context.Background()
	summary, err := c.UserSummary(ctx, first, first.AddDays(1))
	if err != nil {
		t.Fatal(err)
	}
	if len(summary) != 2 || summary[0].NewUser != 2 || summary[0].CancelUser != 1 || summary[1].NewUser != 0 || summary[1].CancelUser != 1 {
		t.Errorf("UserSummary = %+v", summary)
	}
	cumulate, err := c.UserCumulate(ctx, first.AddDays(-1), first.AddDays(1))
	if err != nil {
		t.Fatal(err)
	}
	var totals []int
	for _, d := range cumulate {
		totals = append(totals, d.CumulateUser)
	}
	if len(totals) != 3 || totals[0] != 10 || totals[1] != 11 || totals[2] != 10 {
		t.Errorf("UserCumulate totals = %v, want [10 11 10]", totals)
	}
}

func TestFreePublishIDAsNumber(t *testing.T) {
	f := newFake(t)
	c, _ := newClient(t, nil)
	// WeChat documents a string; the SDK decodes an int64. Accept both.
	f.script("/cgi-bin/freepublish/submit", `{"errcode":0,"errmsg":"ok","publish_id":2247483678}`, `{"errcode":0,"errmsg":"ok","publish_id":"100000001"}`)
	for _, want := range []string{"2247483678", "100000001"} {
		if id, err := c.SubmitFreePublish(context.Background(), "M"); err != nil || id != want {
			t.Errorf("SubmitFreePublish = %q, %v, want %s", id, err, want)
		}
	}
}

func TestValidateTemplateData(t *testing.T) {
	tests := []struct {
		name string
		data map[string]string
		bad  []string // keys reported
	}{
		{"today's fields", map[string]string{"thing1": "宪法知识竞答", "time2": "2025年12月4日 10:00", "phrase3": "已开始",
			"number4": "12.5", "character_string5": "NO-2025-001", "amount6": "¥100元", "phone_number7": "+86-027-8888",
			"car_number8": "鄂A12345", "name9": "张三", "date10": "2025-12-04", "letter11": "ABC", "symbol12": "%"}, nil},
		{"first and remark", map[string]string{"first": "您好", "keyword1": "x", "remark": "谢谢"}, []string{"first", "remark"}},
		{"thing of 21 characters", map[string]string{"thing1": strings.Repeat("法", 21)}, []string{"thing1"}},
		{"thing of 20 characters", map[string]string{"thing1": strings.Repeat("法", 20)}, nil},
		{"phrase with digits", map[string]string{"phrase1": "第1名"}, []string{"phrase1"}},
		{"phrase of 6", map[string]string{"phrase1": "六个汉字太长"}, []string{"phrase1"}},
		{"number with letters", map[string]string{"number1": "12a"}, []string{"number1"}},
		{"character_string with Chinese", map[string]string{"character_string1": "编号1"}, []string{"character_string1"}},
		{"time without a clock", map[string]string{"time1": "明天上午"}, []string{"time1"}},
		{"name of 11 Chinese", map[string]string{"name1": strings.Repeat("张", 11)}, []string{"name1"}},
		{"phone of 18", map[string]string{"phone_number1": strings.Repeat("1", 18)}, []string{"phone_number1"}},
		{"empty value", map[string]string{"thing1": " "}, []string{"thing1"}},
		{"symbol with a letter", map[string]string{"symbol1": "a%"}, []string{"symbol1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateTemplateData(tt.data)
			var got []string
			for _, e := range unwrapAll(err) {
				var fe *TemplateFieldError
				if errors.As(e, &fe) {
					got = append(got, fe.Key)
				}
			}
			if strings.Join(got, ",") != strings.Join(tt.bad, ",") {
				t.Errorf("reported %v (%v), want %v", got, err, tt.bad)
			}
		})
	}
	m := TemplateMessage{ToUser: "o", TemplateID: "T", Data: map[string]TemplateField{"first": {Value: "您好"}, "thing1": {Value: "讲座"}}}
	if err := m.ValidateTemplate(); err == nil || !strings.Contains(err.Error(), "first") {
		t.Errorf("ValidateTemplate with first = %v, want it named", err)
	}
	err := ValidateTemplateData(map[string]string{"thing1": strings.Repeat("法", 21)})
	if want := "模板字段 thing1：事物类字段最多 20 个字符，现有 21 个"; err == nil || err.Error() != want {
		t.Errorf("message = %v, want %q", err, want)
	}
}

func unwrapAll(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	if err == nil {
		return nil
	}
	return []error{err}
}

func TestSendSubscribeMessageAgainstSimulator(t *testing.T) {
	sim, c, _ := newSimClient(t, wxsim.Options{Followers: 1})
	ctx := context.Background()
	m := SubscribeMessage{ToUser: "o_sim_000001", TemplateID: "TPL_QUIZ", Page: "https://example.org/quiz",
		Data: map[string]string{"thing1": "宪法知识竞答", "time2": "2025年12月4日 10:00"}}
	err := c.SendSubscribeMessage(ctx, m)
	if !isCode(err, 43101) || !IsPermanent(err) {
		t.Errorf("not subscribed: err = %v, want permanent 43101", err)
	}
	sim.GrantSubscription("o_sim_000001", "TPL_QUIZ")
	if err := c.SendSubscribeMessage(ctx, m); err != nil {
		t.Fatal(err)
	}
	if got := sim.Inbox("o_sim_000001"); len(got) != 1 || got[0].Kind != wxsim.KindNotice {
		t.Errorf("inbox = %+v", got)
	}
	m.Data = map[string]string{"first": "您好", "thing1": "x"}
	if err := c.SendSubscribeMessage(ctx, m); !errors.Is(err, ErrInvalidRequest) {
		t.Errorf("first field: err = %v, want ErrInvalidRequest", err)
	}
}

func TestArticleErrcodesAreClassified(t *testing.T) {
	sim, c, clock := newSimClient(t, wxsim.Options{Followers: 1})
	ctx := context.Background()
	yesterday := DayOf(clock.Now()).AddDays(-1)
	png := encodeImage(t, "png", 0)
	tests := []struct {
		api       string
		code      int
		call      func() error
		transient bool
	}{
		{"/cgi-bin/draft/add", 45009, func() error {
			_, err := c.AddDraft(ctx, Article{Title: "t", Content: "c", ThumbMediaID: "m"})
			return err
		}, true},
		{"/cgi-bin/freepublish/submit", -1, func() error { _, err := c.SubmitFreePublish(ctx, "m"); return err }, true},
		{"/cgi-bin/media/uploadimg", 40113, func() error { _, err := c.UploadImage(ctx, "a.png", png); return err }, false},
		{"/cgi-bin/material/add_material", 45001, func() error { _, err := c.AddMaterialImage(ctx, "a.png", png); return err }, false},
		{"/datacube/getusersummary", 61501, func() error { _, err := c.UserSummary(ctx, yesterday, yesterday); return err }, false},
		{"/cgi-bin/message/subscribe/bizsend", 47003, func() error {
			return c.SendSubscribeMessage(ctx, SubscribeMessage{ToUser: "o", TemplateID: "T", Data: map[string]string{"thing1": "x"}})
		}, false},
	}
	for _, tt := range tests {
		sim.SetFault(wxsim.Fault{API: tt.api, Errcode: tt.code, Count: 1})
		err := tt.call()
		if !isCode(err, tt.code) || IsTransient(err) != tt.transient || IsPermanent(err) == tt.transient {
			t.Errorf("%s errcode %d: err = %v, transient %v permanent %v; want transient %v",
				tt.api, tt.code, err, IsTransient(err), IsPermanent(err), tt.transient)
		}
	}
}
