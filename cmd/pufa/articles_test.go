package main

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/pufa-dev/pufa/articles"
	"github.com/pufa-dev/pufa/config"
	"github.com/pufa-dev/pufa/store/storetest"
	"github.com/pufa-dev/pufa/wechat/wxsim"
)

func testPNG(t *testing.T, c color.RGBA) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 8, 4))
	img.Set(1, 1, c)
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestArticleSyncThroughTheSimulator runs the article sync as serve wires
// it: the adapter over wechat.Client against wxsim, which speaks WeChat's
// protocol. The preview reaches the staff member as an article card.
func TestArticleSyncThroughTheSimulator(t *testing.T) {
	st := storetest.New(t)
	sim, err := wxsim.New(wxsim.Options{AppID: "wxart", AppSecret: "art-secret", Followers: 2})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(func() { srv.Close(); sim.Close() })
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	wx, err := newWeChat(config.WeChat{AppID: "wxart", AppSecret: "art-secret", APIBase: srv.URL}, st, logger)
	if err != nil {
		t.Fatal(err)
	}
	svc := articles.New(st, articlePublisher{wx}, nil, logger)
	ctx := context.Background()
	cover, err := svc.AddImage(ctx, "cover.png", testPNG(t, color.RGBA{200, 0, 0, 255}), "ed")
	if err != nil {
		t.Fatal(err)
	}
	pic, err := svc.AddImage(ctx, "pic.png", testPNG(t, color.RGBA{0, 0, 200, 255}), "ed")
	if err != nil {
		t.Fatal(err)
	}
	in := articles.Input{Title: "宪法宣传周", Author: "司法所", Digest: "读宪法第三十三条", Cover: cover.ID,
		Body: "## 平等\n\n::: 《中华人民共和国宪法》第三十三条\n中华人民共和国公民在法律面前一律平等。\n:::\n\n![插图](img:" + pic.ID + ")"}
	id, err := svc.Create(ctx, in, "ed")
	if err != nil {
		t.Fatal(err)
	}
	first, err := svc.Sync(ctx, id)
	if err != nil || !first.Created || first.Uploaded != 2 || first.DraftMediaID == "" {
		t.Fatalf("first sync = %+v, %v", first, err)
	}
	if again, err := svc.Sync(ctx, id); err != nil || again.Created || again.Updated || again.Uploaded != 0 || again.DraftMediaID != first.DraftMediaID {
		t.Errorf("unchanged sync = %+v, %v", again, err)
	}
	drafts, err := wx.DraftArticles(ctx, first.DraftMediaID)
	if err != nil || len(drafts) != 1 || drafts[0].Title != "宪法宣传周" || !strings.Contains(drafts[0].Content, "<img src=\""+srv.URL) ||
		!strings.Contains(drafts[0].Content, "第三十三条") {
		t.Fatalf("draft on WeChat = %+v, %v", drafts, err)
	}
	in.Title = "宪法宣传周（更正）"
	if _, err := svc.Edit(ctx, id, in, 1, "ap"); err != nil {
		t.Fatal(err)
	}
	if upd, err := svc.Sync(ctx, id); err != nil || !upd.Updated || upd.DraftMediaID != first.DraftMediaID {
		t.Errorf("changed sync = %+v, %v", upd, err)
	}
	const staff = "o_sim_000001"
	if _, err := svc.Preview(ctx, id, staff); err != nil {
		t.Fatal(err)
	}
	inbox := sim.Inbox(staff)
	if len(inbox) == 0 || len(inbox[len(inbox)-1].Cards) != 1 || inbox[len(inbox)-1].Cards[0].Title != "宪法宣传周（更正）" {
		t.Errorf("staff inbox = %+v", inbox)
	}
}
