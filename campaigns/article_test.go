package campaigns_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	sdkutil "github.com/silenceper/wechat/v2/util"

	"github.com/pufa-dev/pufa/articles"
	"github.com/pufa-dev/pufa/campaigns"
	"github.com/pufa-dev/pufa/store/storetest"
	"github.com/pufa-dev/pufa/wechat"
	"github.com/pufa-dev/pufa/wechat/wxsim"
)

// articlePublisher is articles.Publisher over the WeChat client, as
// cmd/pufa wires it.
type articlePublisher struct{ wx *wechat.Client }

func (p articlePublisher) UploadImage(ctx context.Context, name string, data []byte) (string, error) {
	return p.wx.UploadImage(ctx, name, data)
}

func (p articlePublisher) AddMaterialImage(ctx context.Context, name string, data []byte) (string, error) {
	m, err := p.wx.AddMaterialImage(ctx, name, data)
	return m.MediaID, err
}

func (p articlePublisher) AddDraft(ctx context.Context, d articles.Draft) (string, error) {
	return p.wx.AddDraft(ctx, draftOf(d))
}

func (p articlePublisher) UpdateDraft(ctx context.Context, mediaID string, d articles.Draft) error {
	return p.wx.UpdateDraft(ctx, mediaID, 0, draftOf(d))
}

func (p articlePublisher) PreviewArticle(ctx context.Context, openid, mediaID string) error {
	return p.wx.PreviewArticle(ctx, openid, mediaID)
}

func draftOf(d articles.Draft) wechat.Article {
	return wechat.Article{Title: d.Title, Author: d.Author, Digest: d.Digest, Content: d.Content,
		ContentSourceURL: d.ContentSourceURL, ThumbMediaID: d.ThumbMediaID}
}

func coverPNG(t testing.TB) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 90, 38))
	for i := range img.Pix {
		img.Pix[i] = 0xb2
	}
	img.Set(1, 1, color.RGBA{178, 34, 34, 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// writeArticle stores a Constitution Week article with a cover and returns
// its id.
func writeArticle(t testing.TB, svc *articles.Service) string {
	t.Helper()
	img, err := svc.AddImage(bg, "封面.png", coverPNG(t), "ed")
	if err != nil {
		t.Fatal(err)
	}
	id, err := svc.Create(bg, articles.Input{Title: "宪法宣传周：公民在法律面前一律平等", Author: "街道司法所",
		Body: "每年12月4日是国家宪法日。\n\n::: 《中华人民共和国宪法》第三十三条", Cover: img.ID}, "ed")
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func articleYAML(channel, article string) string {
	return "id: xfz-article\ntitle: 宪法宣传周图文\nchannel: " + channel + "\naudience: {all: true}\ncontent: {article: \"" + article + "\"}\n"
}

// articleEnv is an env whose manager sends articles, with one article
// written and a campaign on channel naming it.
func articleEnv(t *testing.T, followers int, channel string) (*env, *articles.Service) {
	t.Helper()
	e := newEnv(t, envOpts{followers: followers})
	svc := articles.New(e.st, articlePublisher{e.wx}, nil, quietLogger())
	c, err := campaigns.Parse("a.yaml", []byte(articleYAML(channel, writeArticle(t, svc))))
	if err != nil {
		t.Fatal(err)
	}
	e.defs = append(e.defs, c)
	e.m, err = campaigns.New(campaigns.Options{Store: e.st, Definitions: func() ([]*campaigns.Campaign, error) { return e.defs, nil },
		Sender: e.wx, Audience: e.wx, Previewer: e.wx, Articles: svc, Publisher: e.wx, Logger: quietLogger(), Workers: 8, Lease: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return e, svc
}

func TestArticleCampaignSendsTheArticleOnceAndNotesItForReads(t *testing.T) {
	const followers = 30
	e, _ := articleEnv(t, followers, "article")
	id := e.defs[0].ID
	e.approve(id)
	fire, res, err := e.m.RunNow(bg, id, campaigns.RunOptions{})
	if err != nil || res.State != campaigns.RunEndFinished || res.Counts.Sent != 1 {
		t.Fatalf("RunNow = %+v, %v", res, err)
	}
	k := e.kind(wxsim.KindMass)
	if k.Messages != followers || k.UniqueRecipients != followers || k.Duplicates != 0 {
		t.Errorf("mass deliveries %+v, want every follower once", k)
	}
	calls := e.sim.Stats().APICalls
	if calls["/cgi-bin/draft/add"] != 1 || calls["/cgi-bin/material/add_material"] != 1 {
		t.Errorf("api calls %v: want one cover upload and one draft", calls)
	}
	inbox := e.sim.Inbox("o_sim_000001")
	if len(inbox) != 1 || len(inbox[0].Cards) != 1 || inbox[0].Cards[0].Title != "宪法宣传周：公民在法律面前一律平等" {
		t.Errorf("a follower's inbox: %+v, want the article's card", inbox)
	}
	reads, err := e.st.ArticleSends(bg, id)
	if err != nil || len(reads) != 1 || !reads[0].Fire.Equal(fire) || len(reads[0].MsgDataIDs) != 1 || reads[0].Title != "宪法宣传周：公民在法律面前一律平等" {
		t.Fatalf("ArticleSends = %+v, %v: the send is noted with its msg_data_id", reads, err)
	}
	if used, _ := e.st.ArticleCampaigns(bg, reads[0].ArticleID); len(used) != 1 || used[0] != id {
		t.Errorf("the article's campaigns = %v", used)
	}
	if _, _, err := e.m.RunNow(bg, id, campaigns.RunOptions{}); err == nil {
		t.Error("a finished one-shot article campaign sent again")
	}
	if k := e.kind(wxsim.KindMass); k.Messages != followers {
		t.Errorf("after a second RunNow: %+v", k)
	}
}

// Editing the article after approval sends the campaign back to draft,
// as editing the campaign does: an approval covers what the approver saw.
func TestEditingTheArticleAfterApprovalNeedsANewApproval(t *testing.T) {
	e, svc := articleEnv(t, 5, "article")
	id := e.defs[0].ID
	e.approve(id)
	c, _ := e.m.Get(id)
	st, err := e.m.Status(bg, c)
	if err != nil || st.State != campaigns.Approved {
		t.Fatalf("state %s, %v", st.State, err)
	}
	a, err := svc.Get(bg, c.Content.Article)
	if err != nil {
		t.Fatal(err)
	}
	in := articles.Input{Title: a.Title + "（修订）", Author: a.Author, Body: a.Body, Cover: a.Cover}
	if _, err := svc.Edit(bg, a.ID, in, a.Version, "ed"); err != nil {
		t.Fatal(err)
	}
	if st, _ = e.m.Status(bg, c); st.State != campaigns.Draft {
		t.Errorf("after the article's edit the campaign is %s, want draft", st.State)
	}
	if _, _, err := e.m.RunNow(bg, id, campaigns.RunOptions{}); err == nil {
		t.Error("a campaign whose article changed after approval was sent")
	}
	e.approve(id)
	if _, res, err := e.m.RunNow(bg, id, campaigns.RunOptions{}); err != nil || res.Counts.Sent != 1 {
		t.Errorf("approved again: %+v, %v", res, err)
	}
}

func TestApprovingAnArticleCampaignNeedsTheArticle(t *testing.T) {
	e, _ := articleEnv(t, 2, "article")
	c, err := campaigns.Parse("b.yaml", []byte(strings.Replace(articleYAML("article", "999"), "xfz-article", "gone", 1)))
	if err != nil {
		t.Fatal(err)
	}
	e.defs = append(e.defs, c)
	if err := e.m.Approve(bg, "gone", "测试员"); !errors.Is(err, campaigns.ErrNoArticle) {
		t.Errorf("Approve = %v, want ErrNoArticle", err)
	}
}

// A mass send of the article delivered by WeChat whose answer never came
// back (a timeout after delivery) is sent again under the same clientmsgid:
// WeChat answers 45065 with the original ids and nobody gets it twice.
func TestArticleSendAnsweredTooLateIsNotSentTwice(t *testing.T) {
	const followers = 20
	e, _ := articleEnv(t, followers, "article")
	id := e.defs[0].ID
	var h http.Handler = &answerTooLate{next: e.sim, path: "/cgi-bin/message/mass/sendall", from: 1, count: 1}
	apiTarget.Store(&h)
	old := sdkutil.DefaultHTTPClient
	sdkutil.DefaultHTTPClient = wechat.HTTPClient(300 * time.Millisecond)
	t.Cleanup(func() { sdkutil.DefaultHTTPClient = old })
	e.approve(id)
	_, res, err := e.m.RunNow(bg, id, campaigns.RunOptions{})
	if err != nil || res.Counts.Sent != 1 || res.Counts.Unknown != 0 {
		t.Fatalf("RunNow = %+v, %v", res, err)
	}
	if k := e.kind(wxsim.KindMass); k.Messages != followers || k.Duplicates != 0 {
		t.Errorf("mass deliveries %+v, want every follower once", k)
	}
	if n := e.sim.Stats().APICalls["/cgi-bin/message/mass/sendall"]; n != 2 {
		t.Errorf("%d sendall requests, want the lost one and its repeat", n)
	}
	if reads, _ := e.st.ArticleSends(bg, id); len(reads) != 1 || len(reads[0].MsgDataIDs) != 1 {
		t.Errorf("reads record %+v: the repeat names the same send", reads)
	}
}

// kill -9 between the draft sync and the send: the child has made the
// draft and its mass send is in flight (held by the simulator) when it
// dies. The resumed run makes no second draft and sends once.
func TestKill9BetweenArticleSyncAndSendSendsOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess test")
	}
	const followers = 50
	e, _ := articleEnv(t, followers, "article")
	id := e.defs[0].ID
	e.approve(id)
	doc := articleYAML("article", e.defs[0].Content.Article)
	e.sim.SetFault(wxsim.Fault{API: "/cgi-bin/message/mass/sendall", Latency: 2 * time.Second})
	child := func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), helperEnv+"=1", helperAPIEnv+"="+proxyURL,
			helperRedisEnv+"="+storetest.Addr(t), helperPrefixEnv+"="+e.st.Prefix(),
			helperYAMLEnv+"="+doc, helperArticlesEnv+"=1")
		cmd.Stderr = os.Stderr
		return cmd
	}
	first := child()
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for e.sim.Stats().APICalls["/cgi-bin/message/mass/sendall"] < 1 {
		if time.Now().After(deadline) {
			first.Process.Kill()
			t.Fatalf("the child never sent; api calls %v", e.sim.Stats().APICalls)
		}
		time.Sleep(time.Millisecond)
	}
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	first.Wait()
	if got := e.sim.Stats().APICalls["/cgi-bin/draft/add"]; got != 1 {
		t.Fatalf("draft/add calls before the kill: %d", got)
	}
	// Whether the held request still lands after its client died (as a
	// request already on the wire may) or not, the resumed run sends the
	// batch under the same clientmsgid.
	e.sim.SetFault(wxsim.Fault{})
	out, err := child().Output()
	if err != nil {
		t.Fatalf("resumed run: %v\n%s", err, out)
	}
	t.Logf("resumed: %s", strings.TrimSpace(string(out)))
	k := e.kind(wxsim.KindMass)
	if k.Messages != followers || k.UniqueRecipients != followers || k.Duplicates != 0 {
		t.Errorf("mass deliveries %+v, want every follower once", k)
	}
	if got := e.sim.Stats().APICalls["/cgi-bin/draft/add"]; got != 1 {
		t.Errorf("draft/add calls %d, want 1: the resumed run reuses the draft", got)
	}
	st, err := e.m.Stats(bg, id)
	if err != nil || len(st.Runs) != 1 || st.Runs[0].Sent != 1 {
		t.Errorf("runs %+v, %v: one run, its one batch sent", st.Runs, err)
	}
}

// 发布图文 publishes once and pushes nothing: no mass send, no quota.
func TestPublishChannelPublishesWithoutPushing(t *testing.T) {
	e, _ := articleEnv(t, 10, "publish")
	id := e.defs[0].ID
	e.approve(id)
	_, res, err := e.m.RunNow(bg, id, campaigns.RunOptions{})
	if err != nil || res.Counts.Sent != 1 {
		t.Fatalf("RunNow = %+v, %v", res, err)
	}
	calls := e.sim.Stats().APICalls
	if calls["/cgi-bin/freepublish/submit"] != 1 || calls["/cgi-bin/message/mass/sendall"] != 0 {
		t.Errorf("api calls %v: want one freepublish/submit and no mass send", calls)
	}
	if k := e.kind(wxsim.KindMass); k.Messages != 0 {
		t.Errorf("a published article reached chats: %+v", k)
	}
	if campaigns.ChannelPublish.Online() {
		t.Error("a publish is counted as a push (一期推送)")
	}
}

// Subscription notices reach only residents who subscribed to the
// template; the others are refused by WeChat (43101) and recorded failed,
// never retried.
func TestNoticeChannelReachesSubscribersOnly(t *testing.T) {
	const followers = 40 // more refusals than MaxConsecutiveErrors (20): they do not pause it
	e := newEnv(t, envOpts{followers: followers, files: []string{`
id: notice
title: 订阅通知
channel: notice
audience: {all: true}
content:
  template:
    id: TPL-N
    url: https://example.org/xfz
    fields: {thing1: 宪法宣传周讲座, time2: "2026年12月4日 10:00"}
`}})
	var err error
	e.m, err = campaigns.New(campaigns.Options{Store: e.st, Definitions: func() ([]*campaigns.Campaign, error) { return e.defs, nil },
		Sender: e.wx, Audience: e.wx, Notices: e.wx, Logger: quietLogger(), Workers: 2, Lease: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range simFollowers(followers)[:2] {
		e.sim.GrantSubscription(o, "TPL-N")
	}
	e.approve("notice")
	_, res, err := e.m.RunNow(bg, "notice", campaigns.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Counts.Sent != 2 || res.Counts.Failed != followers-2 || res.Counts.Unknown != 0 {
		t.Errorf("counts %+v, want 2 sent and %d refused", res.Counts, followers-2)
	}
	if k := e.kind(wxsim.KindNotice); k.Messages != 2 || k.Duplicates != 0 {
		t.Errorf("notices delivered %+v", k)
	}
	if n := e.sim.Stats().APICalls["/cgi-bin/message/subscribe/bizsend"]; n != followers {
		t.Errorf("%d bizsend requests, want one per follower (a refusal is not retried)", n)
	}
}
