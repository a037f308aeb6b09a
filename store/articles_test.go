package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/pufa-dev/pufa/store"
	"github.com/pufa-dev/pufa/store/storetest"
)

func TestArticleStorage(t *testing.T) { articleStorage(t, storetest.New(t)) }

func articleStorage(t *testing.T, st *store.Store) {
	ctx := context.Background()
	at := time.Unix(1770000000, 0)
	id, err := st.AddArticle(ctx, store.Article{Title: "第一版", Body: "正文\n含\"引号\"", Cover: "c", CreatedBy: "ed", CreatedAt: at})
	if err != nil || id != "1" {
		t.Fatalf("AddArticle = %q, %v", id, err)
	}
	if err := st.SetArticleSync(ctx, id, store.ArticleSync{DraftMediaID: "D1", Version: 1}); err != nil {
		t.Fatal(err)
	}
	v, err := st.EditArticle(ctx, store.Article{ID: id, Title: "第二版", Body: "新正文", CreatedBy: "ed", CreatedAt: at, UpdatedBy: "ap", UpdatedAt: at.Add(time.Hour)}, 1)
	if err != nil || v != 2 {
		t.Fatalf("EditArticle = %d, %v", v, err)
	}
	tests := []struct {
		name    string
		id      string
		version int64
		want    error
	}{
		{"stale version", id, 1, store.ErrVersion},
		{"no version", id, 0, store.ErrVersion},
		{"no such article", "99", 1, store.ErrNotFound},
	}
	for _, tt := range tests {
		if _, err := st.EditArticle(ctx, store.Article{ID: tt.id, Title: "x"}, tt.version); !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
	a, err := st.Article(ctx, id)
	if err != nil || a.Title != "第二版" || a.Version != 2 || a.WeChat.DraftMediaID != "D1" || a.WeChat.Version != 1 {
		t.Errorf("Article = %+v, %v; an edit must leave the sync state", a, err)
	}
	h, _ := st.ArticleHistory(ctx, id)
	if len(h) != 1 || h[0].Title != "第一版" || h[0].Body != "正文\n含\"引号\"" || h[0].Version != 1 {
		t.Errorf("history = %+v", h)
	}
	if _, err := st.Article(ctx, "99"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing article: %v", err)
	}
}

func TestArticleImagesAreKeptOnce(t *testing.T) { articleImagesOnce(t, storetest.New(t)) }

func articleImagesOnce(t *testing.T, st *store.Store) {
	ctx := context.Background()
	img := store.ArticleImage{ID: "0123456789abcdef0123456789abcdef", ContentType: "image/png", Data: []byte("\x89PNG\r\n\x1a\n\x00bytes"), Name: "a.png", AddedBy: "ed", AddedAt: time.Unix(1770000000, 0)}
	if err := st.PutArticleImage(ctx, img); err != nil {
		t.Fatal(err)
	}
	again := img
	again.AddedBy, again.Name = "ap", "copy.png"
	if err := st.PutArticleImage(ctx, again); err != nil {
		t.Fatal(err)
	}
	if err := st.SetArticleImageWeChat(ctx, img.ID, "https://mmbiz.qpic.cn/x/0", ""); err != nil {
		t.Fatal(err)
	}
	got, err := st.ArticleImage(ctx, img.ID)
	if err != nil || got.AddedBy != "ed" || got.Name != "a.png" || string(got.Data) != string(img.Data) || got.WeChatURL != "https://mmbiz.qpic.cn/x/0" || got.MediaID != "" {
		t.Errorf("image = %+v, %v", got, err)
	}
	if ok, _ := st.HasArticleImage(ctx, "ffffffffffffffffffffffffffffffff"); ok {
		t.Error("an image never stored is there")
	}
}

func TestArticleSyncLease(t *testing.T) { articleSyncLease(t, storetest.New(t)) }

func articleSyncLease(t *testing.T, st *store.Store) {
	ctx := context.Background()
	first, err := st.LockArticleSync(ctx, "1", time.Minute)
	if err != nil || first == "" {
		t.Fatalf("first lock = %q, %v", first, err)
	}
	if second, _ := st.LockArticleSync(ctx, "1", time.Minute); second != "" {
		t.Error("a second sync took a held lease")
	}
	if err := st.UnlockArticleSync(ctx, "1", "not-the-token"); err != nil {
		t.Fatal(err)
	}
	if again, _ := st.LockArticleSync(ctx, "1", time.Minute); again != "" {
		t.Error("a wrong token released the lease")
	}
	if err := st.UnlockArticleSync(ctx, "1", first); err != nil {
		t.Fatal(err)
	}
	if again, _ := st.LockArticleSync(ctx, "1", time.Minute); again == "" {
		t.Error("the lease was not released")
	}
}
