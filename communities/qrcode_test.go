package communities_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/png"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	sdkutil "github.com/silenceper/wechat/v2/util"

	"github.com/pufa-dev/pufa/bot"
	"github.com/pufa-dev/pufa/communities"
	"github.com/pufa-dev/pufa/store"
	"github.com/pufa-dev/pufa/store/storetest"
	"github.com/pufa-dev/pufa/wechat"
	"github.com/pufa-dev/pufa/wechat/wxsim"
)

const (
	simAppID  = "wxcommunitytest1"
	simSecret = "community-test-secret"
	simToken  = "community-test-token"
)

// world is the simulator, pufa's bot over a real Redis, and the posters.
type world struct {
	sim     *wxsim.Server
	st      *store.Store
	reg     *communities.Registry
	posters *communities.Posters
}

func newWorld(t *testing.T) *world {
	t.Helper()
	st := storetest.New(t)
	reg := communities.New(st, nil)
	quiet := slog.New(slog.DiscardHandler)

	var pufa http.Handler = http.NotFoundHandler()
	botSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { pufa.ServeHTTP(w, r) }))
	t.Cleanup(botSrv.Close)
	sim, err := wxsim.New(wxsim.Options{AppID: simAppID, AppSecret: simSecret, Token: simToken, CallbackURL: botSrv.URL + "/wechat"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	simSrv := httptest.NewServer(sim)
	t.Cleanup(simSrv.Close)
	// The SDK's URL rewriting is a process global; these tests do not run
	// in parallel.
	wechat.UseAPIBase(simSrv.URL)
	sdkutil.DefaultHTTPClient = wechat.HTTPClient(10 * time.Second)
	wx, err := wechat.New(wechat.Config{AppID: simAppID, AppSecret: simSecret}, st, quiet)
	if err != nil {
		t.Fatal(err)
	}
	h := &bot.Handlers{Residents: st, Welcome: "欢迎关注！", Fallback: "没听懂", Communities: reg, Logger: quiet}
	router := bot.NewRouter(bot.HandlerFunc(h.HandleFallback))
	h.Register(router)
	ep, err := bot.NewEndpoint(bot.Options{Token: simToken, AppID: simAppID, Mode: bot.ModePlain, Handler: router,
		Dedup: st, Late: wx, Counter: st, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/wechat", ep)
	pufa = mux
	return &world{sim: sim, st: st, reg: reg,
		posters: &communities.Posters{Registry: reg, API: wx, Cache: st, Office: "东湖街道办事处"}}
}

func decodePNG(t *testing.T, b []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	return img
}

func TestQRCodeIsCreatedOnceAndScanningTagsTheFollower(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	if _, err := w.reg.Create(ctx, xingfu(), "approver"); err != nil {
		t.Fatal(err)
	}
	tk, err := w.posters.Ticket(ctx, "xingfu")
	if err != nil {
		t.Fatalf("Ticket: %v", err)
	}
	if tk.Ticket == "" || !strings.HasPrefix(tk.URL, "http://weixin.qq.com/q/") {
		t.Fatalf("ticket = %+v", tk)
	}
	img, err := w.posters.QRImage(ctx, "xingfu")
	if err != nil {
		t.Fatalf("QRImage: %v", err)
	}
	if b := decodePNG(t, img).Bounds(); b.Dx() < 200 || b.Dx() != b.Dy() {
		t.Errorf("QR image is %v, want a square of 200 px or more", b)
	}
	if again, err := w.posters.Ticket(ctx, "xingfu"); err != nil || again.Ticket != tk.Ticket || !again.Created.Equal(tk.Created) {
		t.Errorf("second Ticket = %+v, %v; want the cached %+v", again, err, tk)
	}
	if n := w.sim.Stats().APICalls["/cgi-bin/qrcode/create"]; n != 1 {
		t.Errorf("qrcode/create called %d times, want once (the ticket is cached)", n)
	}

	// A new resident scans the code: the follow carries the scene and pufa
	// tags the resident with the community and greets them by its name.
	rep, err := w.sim.ScanQRCode(ctx, "o_resident", tk.URL)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(rep.Content, "您所在社区：幸福社区") {
		t.Errorf("welcome = %q, want the community's name", rep.Content)
	}
	if c, err := w.st.UserCommunity(ctx, "o_resident"); err != nil || c != "xingfu" {
		t.Errorf("community of the scanner = %q, %v; want xingfu", c, err)
	}
	if n, _ := w.st.CommunityFollowers(ctx, "xingfu"); n != 1 {
		t.Errorf("followers of xingfu = %d, want 1", n)
	}

	// The resident asks for the legal adviser: exactly what was registered.
	rep, err = w.sim.SendText(ctx, "o_resident", "法律顾问")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"幸福社区的法律顾问", "王律师", "某某律师事务所", "0571-88880000", "每周三下午"} {
		if !strings.Contains(rep.Content, want) {
			t.Errorf("adviser reply %q lacks %q", rep.Content, want)
		}
	}

	// A follower scanning another community's code moves to it (SCAN).
	if _, err := w.reg.Create(ctx, communities.Input{ID: "dongyuan", Name: "东园社区", Active: true}, "approver"); err != nil {
		t.Fatal(err)
	}
	tk2, err := w.posters.Ticket(ctx, "dongyuan")
	if err != nil {
		t.Fatal(err)
	}
	rep, err = w.sim.ScanQRCode(ctx, "o_resident", tk2.Ticket)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(rep.Content, "东园社区") {
		t.Errorf("scan reply = %q", rep.Content)
	}
	if c, _ := w.st.UserCommunity(ctx, "o_resident"); c != "dongyuan" {
		t.Errorf("after SCAN the community is %q, want dongyuan", c)
	}
	// No adviser registered there: the bot says so and offers a person.
	rep, err = w.sim.SendText(ctx, "o_resident", "社区律师")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(rep.Content, "东园社区暂未登记法律顾问") || !strings.Contains(rep.Content, "转人工") {
		t.Errorf("reply without adviser = %q", rep.Content)
	}
}

func TestUnknownSceneIsRegisteredUnnamed(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	rep, err := w.sim.SendEvent(ctx, "o_x", "subscribe", "qrscene_laojie")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(rep.Content, "laojie") {
		t.Errorf("welcome shows the scene id: %q", rep.Content)
	}
	c, err := w.reg.Get(ctx, "laojie")
	if err != nil {
		t.Fatalf("scene not registered: %v", err)
	}
	if communities.DisplayName(c) != "未命名社区（laojie）" {
		t.Errorf("registered as %q", communities.DisplayName(c))
	}
	rep, err = w.sim.SendText(ctx, "o_x", "法律顾问")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(rep.Content, "您所在社区暂未登记法律顾问") {
		t.Errorf("adviser reply of an unnamed community = %q", rep.Content)
	}
	// A resident without a community is told how to get one.
	if _, err := w.sim.SendEvent(ctx, "o_y", "subscribe", ""); err != nil {
		t.Fatal(err)
	}
	rep, err = w.sim.SendText(ctx, "o_y", "法律顾问")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(rep.Content, "扫描所在社区") || !strings.Contains(rep.Content, "转人工") {
		t.Errorf("adviser reply without community = %q", rep.Content)
	}
}

func TestPosterIsA4At300DPI(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	if _, err := os.Stat(communities.DefaultFontPath); err != nil {
		t.Fatalf("poster font missing (%v): install fonts-wqy-microhei, as scripts/test.sh does", err)
	}
	if _, err := w.reg.Create(ctx, xingfu(), "approver"); err != nil {
		t.Fatal(err)
	}
	b, err := w.posters.Poster(ctx, "xingfu")
	if err != nil {
		t.Fatalf("Poster: %v", err)
	}
	img := decodePNG(t, b)
	if got := img.Bounds(); got.Dx() != communities.PosterWidth || got.Dy() != communities.PosterHeight || got.Dx() < 1240 || got.Dy() < 1754 {
		t.Errorf("poster is %v", got)
	}
	// The code's centre area holds both dark and light modules: it was drawn.
	dark, light := 0, 0
	for y := 1100; y < 2700; y += 25 {
		for x := 440; x < 2040; x += 25 {
			r, _, _, _ := img.At(x, y).RGBA()
			if r < 0x4000 {
				dark++
			} else if r > 0xc000 {
				light++
			}
		}
	}
	if dark < 100 || light < 100 {
		t.Errorf("QR area has %d dark and %d light samples: no code drawn", dark, light)
	}
	// Text was drawn in the title area (the name under the red band).
	ink := 0
	for y := 680; y < 880; y += 4 {
		for x := 200; x < 2280; x += 4 {
			if r, _, _, _ := img.At(x, y).RGBA(); r < 0x8000 {
				ink++
			}
		}
	}
	if ink < 200 {
		t.Errorf("community name area has %d dark samples: no text drawn", ink)
	}
	if out := os.Getenv("PUFA_POSTER_OUT"); out != "" {
		if err := os.WriteFile(out, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestPosterRefusals(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	in := xingfu()
	in.Active = false
	if _, err := w.reg.Create(ctx, in, "approver"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.posters.QRImage(ctx, "xingfu"); !errors.Is(err, communities.ErrInactive) {
		t.Errorf("code of an inactive community: %v, want ErrInactive", err)
	}
	if n := w.sim.Stats().APICalls["/cgi-bin/qrcode/create"]; n != 0 {
		t.Errorf("qrcode/create called %d times for an inactive community", n)
	}
	w.posters.FontPath = "/nonexistent/font.ttc"
	if _, err := w.posters.Poster(ctx, "xingfu"); !errors.Is(err, communities.ErrNoFont) {
		t.Errorf("poster without font: %v, want ErrNoFont", err)
	}
	if _, err := w.posters.Ticket(ctx, "nosuch"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ticket of an unregistered community: %v", err)
	}
}
