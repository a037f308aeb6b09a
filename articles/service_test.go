package articles_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/pufa-dev/pufa/articles"
	"github.com/pufa-dev/pufa/store"
	"github.com/pufa-dev/pufa/store/storetest"
)

// fakePublisher records the WeChat calls a sync makes.
type fakePublisher struct {
	uploads, materials, adds, updates int
	previews                          []string
	last                              articles.Draft
	fail                              error
}

func (f *fakePublisher) UploadImage(_ context.Context, name string, _ []byte) (string, error) {
	f.uploads++
	return "https://mmbiz.qpic.cn/mmbiz_png/" + strings.TrimSuffix(name, ".png") + "/0", f.fail
}
func (f *fakePublisher) AddMaterialImage(context.Context, string, []byte) (string, error) {
	f.materials++
	return fmt.Sprintf("MATERIAL%d", f.materials), f.fail
}
func (f *fakePublisher) AddDraft(_ context.Context, d articles.Draft) (string, error) {
	f.adds++
	f.last = d
	return fmt.Sprintf("DRAFT%d", f.adds), f.fail
}
func (f *fakePublisher) UpdateDraft(_ context.Context, _ string, d articles.Draft) error {
	f.updates++
	f.last = d
	return f.fail
}
func (f *fakePublisher) PreviewArticle(_ context.Context, openid, mediaID string) error {
	f.previews = append(f.previews, openid+" "+mediaID)
	return f.fail
}

func testPNG(t *testing.T, shade uint8) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	img.Set(1, 1, color.RGBA{shade, 0, 0, 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func newService(t *testing.T, pub articles.Publisher) (*articles.Service, *store.Store) {
	t.Helper()
	st := storetest.New(t)
	return articles.New(st, pub, time.Now, nil), st
}

func TestValidateNamesTheFieldInChinese(t *testing.T) {
	svc, _ := newService(t, nil)
	ctx := context.Background()
	cover, err := svc.AddImage(ctx, "cover.png", testPNG(t, 1), "ed")
	if err != nil {
		t.Fatal(err)
	}
	good := articles.Input{Title: "宪法宣传周", Author: "司法所", Digest: "摘要", Body: "正文", Cover: cover.ID}
	tests := []struct {
		name   string
		change func(*articles.Input)
		field  string
		want   string
	}{
		{"no title", func(in *articles.Input) { in.Title = "  " }, "title", "必须填写"},
		{"title over 64", func(in *articles.Input) { in.Title = strings.Repeat("法", 65) }, "title", "最多 64 个字，现在 65 个字"},
		{"author over 8", func(in *articles.Input) { in.Author = "街道司法所普法宣传科" }, "author", "最多 8 个字"},
		{"digest over 120", func(in *articles.Input) { in.Digest = strings.Repeat("摘", 121) }, "digest", "最多 120 个字"},
		{"no cover", func(in *articles.Input) { in.Cover = "" }, "cover", "请上传封面图片"},
		{"cover never uploaded", func(in *articles.Input) { in.Cover = strings.Repeat("ab", 16) }, "cover", "已不存在"},
		{"no body", func(in *articles.Input) { in.Body = "\n \n" }, "body", "必须填写"},
		{"body image not uploaded here", func(in *articles.Input) { in.Body = "![图](img:" + strings.Repeat("cd", 16) + ")" }, "body", "不是在这里上传的"},
		{"body too long once rendered", func(in *articles.Input) { in.Body = strings.Repeat("**法**", 3000) }, "body", "WeChat 要求少于 20000 个"},
		{"source not a web address", func(in *articles.Input) { in.SourceURL = "flk.npc.gov.cn" }, "source_url", "http://"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := good
			tt.change(&in)
			_, err := svc.Create(ctx, in, "ed")
			var fe articles.FieldErrors
			if !errors.As(err, &fe) {
				t.Fatalf("Create = %v, want field errors", err)
			}
			if msg := fe.For(tt.field); !strings.Contains(msg, tt.want) {
				t.Errorf("%s error = %q, want it to say %q (all: %v)", tt.field, msg, tt.want, fe)
			}
		})
	}
	if _, total, _ := svc.Search(ctx, "", 0, 10); total != 0 {
		t.Errorf("refused articles were stored: %d", total)
	}
	if _, err := svc.Create(ctx, good, "ed"); err != nil {
		t.Errorf("a good article is refused: %v", err)
	}
}

func TestCheckImageByMagicBytes(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want string
		bad  string
	}{
		{"png", testPNG(t, 2), "image/png", ""},
		{"jpeg", append([]byte{0xff, 0xd8, 0xff, 0xe0}, make([]byte, 20)...), "image/jpeg", ""},
		{"gif named .png", []byte("GIF89a......"), "", "只能上传 JPG 或 PNG"},
		{"html", []byte("<svg onload=alert(1)>"), "", "只能上传 JPG 或 PNG"},
		{"empty", nil, "", "空的"},
		{"over 1 MB", append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 1<<20)...), "", "1 MB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ct, err := articles.CheckImage(tt.data)
			if tt.bad == "" && (err != nil || ct != tt.want) {
				t.Fatalf("CheckImage = %q, %v; want %q", ct, err, tt.want)
			}
			if tt.bad != "" && (err == nil || !strings.Contains(err.Error(), tt.bad) || !errors.Is(err, articles.ErrImage)) {
				t.Fatalf("CheckImage error = %v; want one saying %q", err, tt.bad)
			}
		})
	}
}

func TestEditKeepsHistoryAndRefusesAStaleVersion(t *testing.T) {
	svc, _ := newService(t, nil)
	ctx := context.Background()
	cover, _ := svc.AddImage(ctx, "c.png", testPNG(t, 3), "ed")
	in := articles.Input{Title: "第一版", Body: "正文", Cover: cover.ID}
	id, err := svc.Create(ctx, in, "ed")
	if err != nil {
		t.Fatal(err)
	}
	in.Title = "第二版"
	v, err := svc.Edit(ctx, id, in, 1, "ap")
	if err != nil || v != 2 {
		t.Fatalf("Edit = %d, %v", v, err)
	}
	in.Title = "基于旧版的修改"
	if _, err := svc.Edit(ctx, id, in, 1, "ed"); !errors.Is(err, store.ErrVersion) {
		t.Errorf("stale edit = %v, want ErrVersion", err)
	}
	a, _ := svc.Get(ctx, id)
	h, _ := svc.History(ctx, id)
	if a.Title != "第二版" || a.UpdatedBy != "ap" || a.CreatedBy != "ed" || len(h) != 1 || h[0].Title != "第一版" {
		t.Errorf("article %+v, history %+v", a, h)
	}
	hits, total, _ := svc.Search(ctx, "第二", 0, 10)
	if total != 1 || hits[0].ID != id {
		t.Errorf("search = %v (%d)", hits, total)
	}
}

func TestSyncIsIdempotent(t *testing.T) {
	pub := &fakePublisher{}
	svc, st := newService(t, pub)
	ctx := context.Background()
	cover, _ := svc.AddImage(ctx, "c.png", testPNG(t, 4), "ed")
	pic, _ := svc.AddImage(ctx, "p.png", testPNG(t, 5), "ed")
	body := "# 标题\n\n![图一](img:" + pic.ID + ")\n\n再看一次：![图一](img:" + pic.ID + ")"
	in := articles.Input{Title: "宪法宣传周", Body: body, Cover: cover.ID, SourceURL: "https://flk.npc.gov.cn/"}
	id, err := svc.Create(ctx, in, "ed")
	if err != nil {
		t.Fatal(err)
	}

	res, err := svc.Sync(ctx, id)
	if err != nil || !res.Created || res.DraftMediaID != "DRAFT1" {
		t.Fatalf("first sync = %+v, %v", res, err)
	}
	if pub.uploads != 1 || pub.materials != 1 || pub.adds != 1 {
		t.Errorf("first sync: %d uploads, %d materials, %d drafts; want 1 each", pub.uploads, pub.materials, pub.adds)
	}
	if !strings.Contains(pub.last.Content, `src="https://mmbiz.qpic.cn/`) || strings.Contains(pub.last.Content, "/console/") ||
		pub.last.ThumbMediaID != "MATERIAL1" || pub.last.ContentSourceURL != "https://flk.npc.gov.cn/" {
		t.Errorf("draft sent = %+v", pub.last)
	}

	if res, err := svc.Sync(ctx, id); err != nil || res.Created || res.Updated || res.DraftMediaID != "DRAFT1" {
		t.Errorf("unchanged sync = %+v, %v", res, err)
	}
	if pub.uploads+pub.materials+pub.adds+pub.updates != 3 {
		t.Errorf("an unchanged article called WeChat again: %+v", pub)
	}

	in.Title = "宪法宣传周（修改）"
	if _, err := svc.Edit(ctx, id, in, 1, "ed"); err != nil {
		t.Fatal(err)
	}
	if res, err := svc.Sync(ctx, id); err != nil || !res.Updated || res.DraftMediaID != "DRAFT1" {
		t.Errorf("changed sync = %+v, %v", res, err)
	}
	if pub.uploads != 1 || pub.materials != 1 || pub.adds != 1 || pub.updates != 1 || pub.last.Title != in.Title {
		t.Errorf("a changed article: %+v; want one draft update and no new uploads", pub)
	}

	// A second article with the same pictures uploads nothing again.
	id2, err := svc.Create(ctx, articles.Input{Title: "另一篇", Body: "![图](img:" + pic.ID + ")", Cover: cover.ID}, "ed")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Sync(ctx, id2); err != nil || pub.uploads != 1 || pub.materials != 1 || pub.adds != 2 {
		t.Errorf("second article: %v, %+v", err, pub)
	}

	if _, err := svc.Preview(ctx, id, "oStaff01"); err != nil || len(pub.previews) != 1 || pub.previews[0] != "oStaff01 DRAFT1" {
		t.Errorf("preview: %v, %v", err, pub.previews)
	}
	a, _ := st.Article(ctx, id)
	if a.WeChat.DraftMediaID != "DRAFT1" || a.WeChat.Version != 2 || a.WeChat.CoverMediaID != "MATERIAL1" {
		t.Errorf("stored sync state = %+v", a.WeChat)
	}
}

func TestSyncRefusesWhileAnotherRuns(t *testing.T) {
	pub := &fakePublisher{}
	svc, st := newService(t, pub)
	ctx := context.Background()
	cover, _ := svc.AddImage(ctx, "c.png", testPNG(t, 6), "ed")
	id, _ := svc.Create(ctx, articles.Input{Title: "标题", Body: "正文", Cover: cover.ID}, "ed")
	token, err := st.LockArticleSync(ctx, id, time.Minute)
	if err != nil || token == "" {
		t.Fatal(token, err)
	}
	if _, err := svc.Sync(ctx, id); !errors.Is(err, articles.ErrSyncBusy) || pub.adds != 0 {
		t.Errorf("sync while locked = %v, %d drafts", err, pub.adds)
	}
	if err := st.UnlockArticleSync(ctx, id, token); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Sync(ctx, id); err != nil || pub.adds != 1 {
		t.Errorf("sync after unlock = %v, %d drafts", err, pub.adds)
	}
}

func TestSyncFailureRecordsNoDraft(t *testing.T) {
	pub := &fakePublisher{fail: errors.New("errcode=40007 invalid media_id")}
	svc, st := newService(t, pub)
	ctx := context.Background()
	cover, _ := svc.AddImage(ctx, "c.png", testPNG(t, 7), "ed")
	id, _ := svc.Create(ctx, articles.Input{Title: "标题", Body: "正文", Cover: cover.ID}, "ed")
	if _, err := svc.Sync(ctx, id); err == nil || !strings.Contains(err.Error(), "40007") {
		t.Errorf("sync = %v", err)
	}
	if a, _ := st.Article(ctx, id); a.WeChat.DraftMediaID != "" {
		t.Errorf("failed sync recorded %+v", a.WeChat)
	}
	if _, err := articles.New(st, nil, nil, nil).Sync(ctx, id); !errors.Is(err, articles.ErrNoPublisher) {
		t.Errorf("sync without a publisher = %v", err)
	}
}
