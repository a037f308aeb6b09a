package console_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pufa-dev/pufa/articles"
	"github.com/pufa-dev/pufa/console"
	"github.com/pufa-dev/pufa/store"
	"github.com/pufa-dev/pufa/wechat"
)

// fakeArticlePublisher stands in for WeChat's article calls.
type fakeArticlePublisher struct {
	mu                     sync.Mutex
	uploads, drafts, edits int
	previews               []string
	previewErr             error // what PreviewArticle answers
}

func (f *fakeArticlePublisher) UploadImage(_ context.Context, name string, _ []byte) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.uploads++
	return "https://mmbiz.qpic.cn/mmbiz_png/" + name + "/0", nil
}
func (f *fakeArticlePublisher) AddMaterialImage(context.Context, string, []byte) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.uploads++
	return "MATERIAL", nil
}
func (f *fakeArticlePublisher) AddDraft(context.Context, articles.Draft) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.drafts++
	return fmt.Sprintf("DRAFT%d", f.drafts), nil
}
func (f *fakeArticlePublisher) UpdateDraft(context.Context, string, articles.Draft) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.edits++
	return nil
}
func (f *fakeArticlePublisher) PreviewArticle(_ context.Context, openid, mediaID string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.previewErr != nil {
		return f.previewErr
	}
	f.previews = append(f.previews, openid+" "+mediaID)
	return nil
}

func (f *fakeArticlePublisher) sent() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.previews...)
}

func newArticleEnv(t *testing.T, pub articles.Publisher) *env {
	t.Helper()
	return newEnvWith(t, envOptions{console: func(o *console.Options) {
		o.Articles = articles.New(o.Store, pub, time.Now, nil)
	}})
}

func pngBytes(t *testing.T, w, h int, c color.RGBA) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := range w {
		for y := range h {
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// uploadImage posts one file to the editor's image endpoint.
func (c *client) uploadImage(name string, data []byte) (int, map[string]string) {
	c.e.t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	mw.WriteField("csrf", c.csrf)
	fw, _ := mw.CreateFormFile("image", name)
	fw.Write(data)
	mw.Close()
	req, _ := http.NewRequest("POST", c.e.srv.URL+"/console/articles/images", &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, body := c.do(req)
	var out map[string]string
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		c.e.t.Fatalf("upload answer %q: %v", body, err)
	}
	return resp.StatusCode, out
}

func TestArticleWriteValidateSaveAndAudit(t *testing.T) {
	e := newArticleEnv(t, nil)
	c := e.client()
	c.login("ed", "editor-pass")
	c.get("/console/articles/new")

	code, cover := c.uploadImage("cover.png", pngBytes(t, 9, 4, color.RGBA{200, 30, 30, 255}))
	if code != http.StatusOK || cover["id"] == "" {
		t.Fatalf("cover upload: %d %v", code, cover)
	}
	_, pic := c.uploadImage("body.png", pngBytes(t, 4, 4, color.RGBA{30, 30, 200, 255}))
	if code, bad := c.uploadImage("notes.png", []byte("<html>not a picture</html>")); code != http.StatusBadRequest || !strings.Contains(bad["error"], "只能上传 JPG 或 PNG") {
		t.Errorf("a fake picture: %d %v", code, bad)
	}

	body := "## 宪法是根本法\n\n**公民**在法律面前一律平等。\n\n" + pic["markdown"] + "\n\n<script>alert(1)</script>"
	form := url.Values{"csrf": {c.csrf}, "title": {strings.Repeat("宪", 65)}, "author": {"司法所"}, "digest": {"摘要"},
		"body": {body}, "cover": {cover["id"]}, "source_url": {"https://flk.npc.gov.cn/"}}
	resp, page := c.post("/console/articles", form)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "标题：最多 64 个字，现在 65 个字") {
		t.Fatalf("too long a title: %d\n%s", resp.StatusCode, page)
	}
	for _, kept := range []string{"司法所", "https://flk.npc.gov.cn/", "## 宪法是根本法", "&lt;script&gt;alert(1)&lt;/script&gt;", `value="` + cover["id"] + `"`} {
		if !strings.Contains(page, kept) {
			t.Errorf("the refused form lost %q", kept)
		}
	}
	if strings.Contains(page, "<script>alert(1)") {
		t.Error("the preview carries the typed script")
	}
	if list, _ := e.st.Articles(context.Background()); len(list) != 0 {
		t.Fatalf("a refused article was stored: %v", list)
	}

	form.Set("title", "宪法宣传周：公民的基本权利")
	resp, _ = c.post("/console/articles", form)
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(location(resp), "/console/articles/1?") {
		t.Fatalf("save: %d %s", resp.StatusCode, location(resp))
	}
	_, page = c.get("/console/articles/1")
	for _, want := range []string{`<h3 class="pf-h3">宪法是根本法</h3>`, `<strong class="pf-strong">公民</strong>`,
		`<img src="/console/articles/images/` + pic["id"] + `"`, "尚未在宣传活动中使用", "尚未接通 WeChat 图文接口"} {
		if !strings.Contains(page, want) {
			t.Errorf("article page lacks %q", want)
		}
	}
	resp, img := c.get("/console/articles/images/" + cover["id"])
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/png" || !strings.HasPrefix(img, "\x89PNG") {
		t.Errorf("cover image: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}

	// Two clerks edit the same version: the second is told and keeps her text.
	form.Set("version", "1")
	form.Set("digest", "第一位的修改")
	if resp, _ := c.post("/console/articles/1", form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit: %d", resp.StatusCode)
	}
	form.Set("digest", "第二位基于旧版的修改")
	resp, page = c.post("/console/articles/1", form)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "已被ed改为第 2 版") || !strings.Contains(page, "第二位基于旧版的修改") {
		t.Errorf("stale edit: %d\n%s", resp.StatusCode, page)
	}

	_, list := c.get("/console/articles?q=" + url.QueryEscape("宣传周"))
	if !strings.Contains(list, "宪法宣传周：公民的基本权利") || !strings.Contains(list, "共 1 篇") {
		t.Errorf("search list:\n%s", list)
	}
	if _, list := c.get("/console/articles?q=" + url.QueryEscape("民法典")); !strings.Contains(list, "没有找到含“民法典”的图文") {
		t.Errorf("empty search:\n%s", list)
	}

	log, _ := e.st.AuditLog(context.Background(), 20)
	var actions []string
	for _, a := range log {
		actions = append(actions, a.Action)
	}
	got := strings.Join(actions, " ")
	for _, want := range []string{"article.image", "article.create", "article.edit"} {
		if !strings.Contains(got, want) {
			t.Errorf("audit log %q lacks %s", got, want)
		}
	}
}

func TestArticleRenderEndpointEscapes(t *testing.T) {
	e := newArticleEnv(t, nil)
	c := e.client()
	c.login("ed", "editor-pass")
	c.get("/console/articles/new")
	resp, out := c.post("/console/articles/render", url.Values{"csrf": {c.csrf}, "body": {"# 题\n<img src=x onerror=alert(1)>[外链](https://example.com)"}})
	if resp.StatusCode != http.StatusOK || strings.Contains(out, "<img src=x") || !strings.Contains(out, "外链（https://example.com）") {
		t.Errorf("render: %d %s", resp.StatusCode, out)
	}
	if resp, _ := c.post("/console/articles/render", url.Values{"body": {"x"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("render without the CSRF token: %d", resp.StatusCode)
	}
}

func TestArticlePreviewToRegisteredStaff(t *testing.T) {
	pub := &fakeArticlePublisher{}
	e := newArticleEnv(t, pub)
	ctx := context.Background()
	if err := e.st.PutPreviewRecipient(ctx, store.PreviewRecipient{OpenID: "oStaffZhang01", Name: "张三"}); err != nil {
		t.Fatal(err)
	}
	c := e.client()
	c.login("ed", "editor-pass")
	c.get("/console/articles/new")
	_, cover := c.uploadImage("c.png", pngBytes(t, 2, 2, color.RGBA{1, 2, 3, 255}))
	c.post("/console/articles", url.Values{"csrf": {c.csrf}, "title": {"标题"}, "body": {"正文"}, "cover": {cover["id"]}})

	_, page := c.get("/console/articles/1")
	if !strings.Contains(page, `<option value="oStaffZhang01">张三</option>`) {
		t.Fatalf("the preview list does not offer 张三:\n%s", page)
	}
	resp, _ := c.post("/console/articles/1/preview", url.Values{"csrf": {c.csrf}, "openid": {"oStrangerX99"}})
	if !strings.Contains(location(resp), "err=") || len(pub.sent()) != 0 {
		t.Errorf("preview to someone not registered: %s, sent %v", location(resp), pub.sent())
	}
	resp, _ = c.post("/console/articles/1/preview", url.Values{"csrf": {c.csrf}, "openid": {"oStaffZhang01"}})
	_, page = c.get(resp.Header.Get("Location"))
	if !strings.Contains(page, "预览已发送到 张三 的手机") || fmt.Sprint(pub.sent()) != "[oStaffZhang01 DRAFT1]" {
		t.Errorf("preview: %v\n%s", pub.sent(), page)
	}
	// A second preview of the unchanged article reuses the draft.
	c.post("/console/articles/1/preview", url.Values{"csrf": {c.csrf}, "openid": {"oStaffZhang01"}})
	if pub.drafts != 1 || pub.edits != 0 || pub.uploads != 1 || len(pub.sent()) != 2 {
		t.Errorf("second preview: %+v", pub)
	}
	if !strings.Contains(page, "已同步到草稿箱") {
		t.Errorf("sync state not shown")
	}
}

func TestArticleWeChatErrorsInChinese(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"staff not following", &wechat.APIError{API: "mass preview", Code: 43004, Msg: "require subscribe"}, "预览发送失败：WeChat 返回错误码 43004：接收预览的工作人员尚未关注本公众号，请先关注"},
		{"an unlisted code", &wechat.APIError{API: "mass preview", Code: 99999, Msg: "whatever"}, "WeChat 返回错误码 99999，请把此错误码告知管理员"},
		{"no answer", context.DeadlineExceeded, "未能连上 WeChat，请稍后再试"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pub := &fakeArticlePublisher{previewErr: tt.err}
			e := newArticleEnv(t, pub)
			if err := e.st.PutPreviewRecipient(context.Background(), store.PreviewRecipient{OpenID: "oStaffZhang01", Name: "张三"}); err != nil {
				t.Fatal(err)
			}
			c := e.client()
			c.login("ed", "editor-pass")
			c.get("/console/articles/new")
			_, cover := c.uploadImage("c.png", pngBytes(t, 2, 2, color.RGBA{1, 2, 3, 255}))
			c.post("/console/articles", url.Values{"csrf": {c.csrf}, "title": {"标题"}, "body": {"正文"}, "cover": {cover["id"]}})
			resp, _ := c.post("/console/articles/1/preview", url.Values{"csrf": {c.csrf}, "openid": {"oStaffZhang01"}})
			_, page := c.get(resp.Header.Get("Location"))
			if !strings.Contains(page, tt.want) || strings.Contains(page, "errcode") || strings.Contains(page, tt.err.Error()) {
				t.Errorf("page does not say %q in Chinese alone:\n%s", tt.want, page)
			}
		})
	}
}
