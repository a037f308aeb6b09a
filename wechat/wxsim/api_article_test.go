package wxsim

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/silenceper/wechat/v2/officialaccount/message"
)

// testImage encodes a small picture in one of png, jpeg or gif, padded
// to at least size bytes where the format allows trailing data.
func testImage(t *testing.T, format string, size int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	img.Set(1, 1, color.RGBA{200, 0, 0, 255})
	var b bytes.Buffer
	var err error
	switch format {
	case "png":
		err = png.Encode(&b, img)
	case "jpeg":
		err = jpeg.Encode(&b, img, nil)
	case "gif":
		err = gif.Encode(&b, img, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	if pad := size - b.Len(); pad > 0 {
		b.Write(make([]byte, pad)) // decoders ignore bytes after the image
	}
	return b.Bytes()
}

// upload posts data as the multipart field "media" and decodes the answer.
func upload(t *testing.T, ts *httptest.Server, path, filename string, data []byte) map[string]any {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	fw, err := w.CreateFormFile("media", filename)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(data)
	w.Close()
	resp, err := http.Post(ts.URL+path, w.FormDataContentType(), &body)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

// newDraft uploads a cover and creates a one-article draft.
func newDraft(t *testing.T, ts *httptest.Server, token, title string) string {
	t.Helper()
	cover := upload(t, ts, "/cgi-bin/material/add_material?type=image&access_token="+token, "cover.png", testImage(t, "png", 0))
	res := call(t, ts, "/cgi-bin/draft/add?access_token="+token, map[string]any{"articles": []map[string]any{{
		"title": title, "author": "街道办", "digest": "宪法宣传周", "content": "<p>宪法是国家的根本法。</p>",
		"thumb_media_id": cover["media_id"], "need_open_comment": 0, "only_fans_can_comment": 0,
	}}})
	id, _ := res["media_id"].(string)
	if id == "" {
		t.Fatalf("draft/add = %v", res)
	}
	return id
}

func TestImageUploads(t *testing.T) {
	_, ts := newSim(t, Options{})
	tok := getToken(t, ts)
	tests := []struct {
		name, path, file string
		data             []byte
		code             int
	}{
		{"body png", "/cgi-bin/media/uploadimg", "a.png", testImage(t, "png", 0), 0},
		{"body jpeg", "/cgi-bin/media/uploadimg", "a.jpg", testImage(t, "jpeg", 0), 0},
		{"body gif is not accepted", "/cgi-bin/media/uploadimg", "a.gif", testImage(t, "gif", 0), 40113},
		{"body png named jpg", "/cgi-bin/media/uploadimg", "a.jpg", testImage(t, "png", 0), 40113},
		{"body over 1 MB", "/cgi-bin/media/uploadimg", "a.png", testImage(t, "png", 1<<20+1), 45001},
		{"body exactly 1 MB", "/cgi-bin/media/uploadimg", "a.png", testImage(t, "png", 1<<20), 0},
		{"cover gif", "/cgi-bin/material/add_material?type=image", "c.gif", testImage(t, "gif", 0), 0},
		{"cover 2 MB", "/cgi-bin/material/add_material?type=image", "c.jpeg", testImage(t, "jpeg", 2<<20), 0},
		{"cover text file", "/cgi-bin/material/add_material?type=image", "c.txt", []byte("hello"), 40113},
		{"cover over 10 MB", "/cgi-bin/material/add_material?type=image", "c.png", testImage(t, "png", 10<<20+1), 45001},
		{"voice material", "/cgi-bin/material/add_material?type=voice", "v.png", testImage(t, "png", 0), 40004},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sep := "?"
			if strings.Contains(tt.path, "?") {
				sep = "&"
			}
			res := upload(t, ts, tt.path+sep+"access_token="+tok, tt.file, tt.data)
			if c := errcode(res); c != tt.code {
				t.Fatalf("errcode = %d (%v), want %d", c, res, tt.code)
			}
			if tt.code != 0 {
				return
			}
			// The URL serves the very bytes uploaded.
			u, _ := res["url"].(string)
			resp, err := http.Get(u)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if !bytes.Equal(got, tt.data) {
				t.Errorf("GET %s returned %d bytes, want the %d uploaded", u, len(got), len(tt.data))
			}
			if strings.Contains(tt.path, "add_material") && res["media_id"] == "" {
				t.Errorf("no media_id: %v", res)
			}
		})
	}
}

func TestDraftLifecycle(t *testing.T) {
	_, ts := newSim(t, Options{})
	tok := getToken(t, ts)
	q := "?access_token=" + tok

	bodyImg := upload(t, ts, "/cgi-bin/media/uploadimg"+q, "b.png", testImage(t, "png", 0))
	res := call(t, ts, "/cgi-bin/draft/add"+q, map[string]any{"articles": []map[string]any{{
		"title": "t", "content": "c", "thumb_media_id": "NOPE"}}})
	if c := errcode(res); c != 40007 {
		t.Errorf("unknown cover: errcode %d, want 40007", c)
	}
	// An uploadimg URL is no material: it cannot be a cover.
	res = call(t, ts, "/cgi-bin/draft/add"+q, map[string]any{"articles": []map[string]any{{
		"title": "t", "content": "c", "thumb_media_id": bodyImg["url"]}}})
	if c := errcode(res); c != 40007 {
		t.Errorf("uploadimg url as cover: errcode %d, want 40007", c)
	}
	if c := errcode(call(t, ts, "/cgi-bin/draft/add"+q, map[string]any{"articles": []any{}})); c != 45008 {
		t.Errorf("no articles: errcode %d, want 45008", c)
	}

	id := newDraft(t, ts, tok, "宪法宣传周")
	got := call(t, ts, "/cgi-bin/draft/get"+q, map[string]any{"media_id": id})
	items, _ := got["news_item"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["title"] != "宪法宣传周" {
		t.Fatalf("draft/get = %v", got)
	}
	thumb := items[0].(map[string]any)["thumb_media_id"]
	if c := errcode(call(t, ts, "/cgi-bin/draft/update"+q, map[string]any{"media_id": id, "index": 0, "articles": map[string]any{
		"title": "宪法宣传周（修订）", "content": "<p>新</p>", "thumb_media_id": thumb}})); c != 0 {
		t.Fatalf("draft/update errcode %d", c)
	}
	if c := errcode(call(t, ts, "/cgi-bin/draft/update"+q, map[string]any{"media_id": id, "index": 1, "articles": map[string]any{
		"title": "x", "content": "x", "thumb_media_id": thumb}})); c != 40035 {
		t.Errorf("update of index 1 in a one-article draft: errcode %d, want 40035", c)
	}
	got = call(t, ts, "/cgi-bin/draft/get"+q, map[string]any{"media_id": id})
	if title := got["news_item"].([]any)[0].(map[string]any)["title"]; title != "宪法宣传周（修订）" {
		t.Errorf("title after update = %v", title)
	}
	if c := errcode(call(t, ts, "/cgi-bin/draft/delete"+q, map[string]any{"media_id": id})); c != 0 {
		t.Fatalf("draft/delete errcode %d", c)
	}
	for _, path := range []string{"/cgi-bin/draft/get", "/cgi-bin/draft/delete", "/cgi-bin/freepublish/submit"} {
		if c := errcode(call(t, ts, path+q, map[string]any{"media_id": id})); c != 40007 {
			t.Errorf("%s of a deleted draft: errcode %d, want 40007", path, c)
		}
	}
}

func TestMpnewsUnknownMediaID(t *testing.T) {
	_, ts := newSim(t, Options{Followers: 2})
	q := "?access_token=" + getToken(t, ts)
	for path, body := range map[string]map[string]any{
		"/cgi-bin/message/mass/sendall": {"filter": map[string]any{"is_to_all": true}, "msgtype": "mpnews", "mpnews": map[string]any{"media_id": "NOPE"}},
		"/cgi-bin/message/mass/preview": {"touser": "o_sim_000001", "msgtype": "mpnews", "mpnews": map[string]any{"media_id": "NOPE"}},
	} {
		if c := errcode(call(t, ts, path+q, body)); c != 40007 {
			t.Errorf("%s: errcode %d, want 40007", path, c)
		}
	}
}

// get fetches a simulator page and returns its body.
func get(t *testing.T, rawURL string) string {
	t.Helper()
	resp, err := http.Get(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", rawURL, resp.StatusCode, b)
	}
	return string(b)
}

func TestArticleReadsReachTheDataCube(t *testing.T) {
	clock := newClock() // 2025-03-01 09:00 local
	sim, ts := newSim(t, Options{Followers: 3, Now: clock.Now, MassRateLimit: -1})
	tok := getToken(t, ts)
	q := "?access_token=" + tok
	id := newDraft(t, ts, tok, "宪法宣传周")
	res := call(t, ts, "/cgi-bin/message/mass/sendall"+q, map[string]any{
		"filter": map[string]any{"is_to_all": true}, "msgtype": "mpnews", "mpnews": map[string]any{"media_id": id},
		"send_ignore_reprint": 0, "clientmsgid": "c1"})
	if errcode(res) != 0 {
		t.Fatalf("sendall = %v", res)
	}
	key := fmt.Sprintf("%d_1", num(res, "msg_data_id"))
	sendDay := dayOf(clock.Now()).Format(time.DateOnly)

	inbox := sim.Inbox("o_sim_000002")
	if len(inbox) != 1 || len(inbox[0].Cards) != 1 {
		t.Fatalf("inbox = %+v, want one mpnews with a card", inbox)
	}
	card := inbox[0].Cards[0]
	if card.Title != "宪法宣传周" || card.Digest != "宪法宣传周" || !strings.HasPrefix(card.Cover, "/sim/media/") ||
		card.Link != "/sim/article/"+key+"?openid=o_sim_000002" {
		t.Errorf("card = %+v", card)
	}
	page := get(t, ts.URL+card.Link)
	if !strings.Contains(page, "<p>宪法是国家的根本法。</p>") || !strings.Contains(page, "分享") {
		t.Errorf("article page lacks the body or the share button:\n%s", page)
	}
	get(t, ts.URL+card.Link)                                  // o_sim_000002 reads again
	get(t, ts.URL+"/sim/article/"+key+"?openid=o_sim_000001") // another reader
	get(t, ts.URL+"/sim/article/"+key)                        // no reader: not counted
	resp, err := http.PostForm(ts.URL+"/sim/article/"+key+"/share", url.Values{"openid": {"o_sim_000001"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close() // followed the redirect to the page, which does not count a read
	if f, _ := sim.ArticleStats(key); f != (ArticleFigures{Reads: 3, ReadUsers: 2, Shares: 1, ShareUsers: 1}) {
		t.Errorf("figures = %+v", f)
	}

	// Today is not in the data cube yet.
	if c := errcode(call(t, ts, "/datacube/getarticletotal"+q, map[string]any{"begin_date": sendDay, "end_date": sendDay})); c != 61501 {
		t.Errorf("getarticletotal for today: errcode %d, want 61501", c)
	}
	clock.Add(24 * time.Hour)
	if err := sim.ReadArticle(key, "o_sim_000003"); err != nil { // a read on the second day
		t.Fatal(err)
	}
	clock.Add(24 * time.Hour)
	q = "?access_token=" + getToken(t, ts) // the first one expired meanwhile

	total := call(t, ts, "/datacube/getarticletotal"+q, map[string]any{"begin_date": sendDay, "end_date": sendDay})
	list, _ := total["list"].([]any)
	if len(list) != 1 {
		t.Fatalf("getarticletotal = %v", total)
	}
	art := list[0].(map[string]any)
	details, _ := art["details"].([]any)
	if art["msgid"] != key || art["title"] != "宪法宣传周" || len(details) != 2 {
		t.Fatalf("article total = %v", art)
	}
	day1, day2 := details[0].(map[string]any), details[1].(map[string]any)
	if day1["int_page_read_count"] != 3.0 || day1["int_page_read_user"] != 2.0 || day1["share_count"] != 1.0 || day1["target_user"] != 3.0 {
		t.Errorf("day 1 = %v", day1)
	}
	if day2["int_page_read_count"] != 4.0 || day2["int_page_read_user"] != 3.0 {
		t.Errorf("day 2 (cumulative) = %v", day2)
	}

	summary := call(t, ts, "/datacube/getarticlesummary"+q, map[string]any{"begin_date": day2["stat_date"], "end_date": day2["stat_date"]})
	if l, _ := summary["list"].([]any); len(l) != 1 || l[0].(map[string]any)["int_page_read_count"] != 1.0 {
		t.Errorf("getarticlesummary of day 2 = %v", summary)
	}
	read := call(t, ts, "/datacube/getuserread"+q, map[string]any{"begin_date": sendDay, "end_date": day2["stat_date"]})
	if l, _ := read["list"].([]any); len(l) != 2 || l[0].(map[string]any)["int_page_read_count"] != 3.0 ||
		l[0].(map[string]any)["user_source"] != float64(userSourceAll) {
		t.Errorf("getuserread = %v", read)
	}
	for _, tt := range []struct {
		path, begin, end string
		code             int
	}{
		{"/datacube/getarticletotal", "2025-02-20", "2025-02-21", 61501},
		{"/datacube/getusersummary", "2025-02-01", "2025-02-08", 61501},
		{"/datacube/getusersummary", "2025-02-02", "2025-02-08", 0},
		{"/datacube/getuserread", "2025-02-02", "2025-02-05", 61501},
		{"/datacube/getusercumulate", "2025-02-03", "2025-02-02", 61501},
		{"/datacube/getusercumulate", "2025/02/03", "2025-02-03", 61500},
	} {
		if c := errcode(call(t, ts, tt.path+q, map[string]any{"begin_date": tt.begin, "end_date": tt.end})); c != tt.code {
			t.Errorf("%s %s..%s: errcode %d, want %d", tt.path, tt.begin, tt.end, c, tt.code)
		}
	}
}

func TestUserSummaryFromFollowHistory(t *testing.T) {
	clock := newClock()
	sim, ts := newSim(t, Options{Followers: 5, Now: clock.Now})
	day0 := dayOf(clock.Now())
	sim.Subscribe("o_new_1")
	sim.Subscribe("o_new_2")
	sim.Unsubscribe("o_sim_000001")
	clock.Add(24 * time.Hour)
	sim.Unsubscribe("o_new_1")
	clock.Add(24 * time.Hour)

	q := "?access_token=" + getToken(t, ts)
	from, to := day0.AddDate(0, 0, -1).Format(time.DateOnly), day0.AddDate(0, 0, 1).Format(time.DateOnly)
	summary := call(t, ts, "/datacube/getusersummary"+q, map[string]any{"begin_date": from, "end_date": to})
	want := fmt.Sprintf(`[{"cancel_user":1,"new_user":2,"ref_date":%q,"user_source":0},{"cancel_user":1,"new_user":0,"ref_date":%q,"user_source":0}]`,
		day0.Format(time.DateOnly), to)
	if got := mustJSON(t, summary["list"]); got != want {
		t.Errorf("getusersummary = %s\nwant %s", got, want)
	}
	cumulate := call(t, ts, "/datacube/getusercumulate"+q, map[string]any{"begin_date": from, "end_date": to})
	want = fmt.Sprintf(`[{"cumulate_user":5,"ref_date":%q},{"cumulate_user":6,"ref_date":%q},{"cumulate_user":5,"ref_date":%q}]`,
		from, day0.Format(time.DateOnly), to)
	if got := mustJSON(t, cumulate["list"]); got != want {
		t.Errorf("getusercumulate = %s\nwant %s", got, want)
	}
}

func TestFreePublish(t *testing.T) {
	rc := newReceiver(t, func(int, received) (int, []byte) { return http.StatusOK, []byte("success") })
	clock := newClock()
	_, ts := newSim(t, Options{Now: clock.Now, CallbackURL: rc.srv.URL, MassFinishDelay: 10 * time.Millisecond})
	tok := getToken(t, ts)
	q := "?access_token=" + tok
	id := newDraft(t, ts, tok, "民法典宣传月")
	res := call(t, ts, "/cgi-bin/freepublish/submit"+q, map[string]any{"media_id": id})
	pid, ok := res["publish_id"].(string)
	if errcode(res) != 0 || !ok || pid == "" {
		t.Fatalf("freepublish/submit = %v, want a string publish_id", res)
	}
	if st := call(t, ts, "/cgi-bin/freepublish/get"+q, map[string]any{"publish_id": pid}); st["publish_status"] != 1.0 {
		t.Errorf("status before the job is done = %v", st)
	}
	waitFor(t, "PUBLISHJOBFINISH", func() bool { return len(rc.all()) == 1 })
	var ev message.MixMessage
	if err := xml.Unmarshal(rc.all()[0].Plain, &ev); err != nil {
		t.Fatal(err)
	}
	info := ev.PublishEventInfo
	if ev.Event != "PUBLISHJOBFINISH" || fmt.Sprint(info.PublishID) != pid || info.PublishStatus != 0 || info.ArticleID == "" ||
		info.ArticleDetail.Count != 1 || len(info.ArticleDetail.Item) != 1 || info.ArticleDetail.Item[0].ArticleURL == "" {
		t.Fatalf("event as the SDK reads it = %+v\n%s", ev, rc.all()[0].Plain)
	}
	clock.Add(time.Second)
	st := call(t, ts, "/cgi-bin/freepublish/get"+q, map[string]any{"publish_id": pid})
	items, _ := st["article_detail"].(map[string]any)["item"].([]any)
	if st["publish_status"] != 0.0 || st["article_id"] != info.ArticleID || len(items) != 1 {
		t.Fatalf("status after = %v", st)
	}
	if page := get(t, items[0].(map[string]any)["article_url"].(string)); !strings.Contains(page, "民法典宣传月") {
		t.Errorf("published page:\n%s", page)
	}
	if c := errcode(call(t, ts, "/cgi-bin/freepublish/get"+q, map[string]any{"publish_id": "1"})); c != 40035 {
		t.Errorf("unknown publish_id: errcode %d", c)
	}
}

func TestSubscribeNotice(t *testing.T) {
	sim, ts := newSim(t, Options{Followers: 1})
	q := "?access_token=" + getToken(t, ts)
	send := func(data map[string]any) int {
		return errcode(call(t, ts, "/cgi-bin/message/subscribe/bizsend"+q, map[string]any{
			"touser": "o_sim_000001", "template_id": "TPL", "page": "https://example.org/q", "data": data}))
	}
	ok := map[string]any{"thing1": map[string]any{"value": "宪法知识竞答开始了"}, "time2": map[string]any{"value": "2025年12月4日 10:00"}}
	if c := send(ok); c != 43101 {
		t.Errorf("before subscribing: errcode %d, want 43101", c)
	}
	sim.GrantSubscription("o_sim_000001", "TPL")
	if c := send(ok); c != 0 {
		t.Errorf("after subscribing: errcode %d", c)
	}
	if c := send(map[string]any{"thing1": map[string]any{"value": strings.Repeat("长", 21)}}); c != 47003 {
		t.Errorf("thing of 21 characters: errcode %d, want 47003", c)
	}
	if got := sim.Inbox("o_sim_000001"); len(got) != 1 || got[0].Kind != KindNotice ||
		got[0].Content != "TPL\nthing1: 宪法知识竞答开始了\ntime2: 2025年12月4日 10:00\nhttps://example.org/q" {
		t.Errorf("inbox = %+v", got)
	}
}

func TestArticlePages(t *testing.T) {
	sim, ts := newSim(t, Options{Followers: 2, MassRateLimit: -1})
	tok := getToken(t, ts)
	id := newDraft(t, ts, tok, "普法")
	res := call(t, ts, "/cgi-bin/message/mass/preview?access_token="+tok, map[string]any{
		"touser": "o_sim_000001", "msgtype": "mpnews", "mpnews": map[string]any{"media_id": id}})
	if errcode(res) != 0 {
		t.Fatalf("preview = %v", res)
	}
	preview := sim.Inbox("o_sim_000001")[0]
	if len(preview.Cards) != 1 || preview.Cards[0].Link != "/sim/draft/"+id+"/1" {
		t.Fatalf("preview card = %+v", preview.Cards)
	}
	resp, err := http.Get(ts.URL + preview.Cards[0].Link)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if csp := resp.Header.Get("Content-Security-Policy"); resp.StatusCode != http.StatusOK || strings.Contains(csp, "script-src") {
		t.Errorf("draft page: status %d, CSP %q: want 200 and no script allowed", resp.StatusCode, csp)
	}
	for _, tt := range []struct {
		method, path string
		form         url.Values
		status       int
	}{
		{"GET", "/sim/article/1_1", nil, http.StatusNotFound},
		{"GET", "/sim/draft/" + id + "/2", nil, http.StatusNotFound},
		{"GET", "/sim/media/NOPE", nil, http.StatusNotFound},
		{"POST", "/sim/article/1_1/share", url.Values{"openid": {"bad openid!"}}, http.StatusBadRequest},
		{"POST", "/sim/article/1_1/like", url.Values{"openid": {"o_sim_000001"}}, http.StatusBadRequest},
		{"POST", "/sim/article/1_1/fav", url.Values{"openid": {"o_sim_000001"}}, http.StatusNotFound},
	} {
		var resp *http.Response
		if tt.method == "GET" {
			resp, err = http.Get(ts.URL + tt.path)
		} else {
			resp, err = http.PostForm(ts.URL+tt.path, tt.form)
		}
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.status {
			t.Errorf("%s %s = %d, want %d", tt.method, tt.path, resp.StatusCode, tt.status)
		}
	}
}
