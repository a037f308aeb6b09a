package wxsim

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/silenceper/wechat/v2/officialaccount/broadcast"
	"github.com/silenceper/wechat/v2/officialaccount/menu"
	"github.com/silenceper/wechat/v2/officialaccount/message"
)

// These tests drive the simulator through the real SDK; they share the SDK's
// global URI modifier, so none of them is parallel.

func TestSDKUsersPaging(t *testing.T) {
	sim, ts := newSim(t, Options{Followers: 7, UserPageSize: 3})
	u := newSDK(t, ts, false).GetUser()

	first, err := u.ListUserOpenIDs()
	if err != nil {
		t.Fatal(err)
	}
	if first.Total != 7 || first.Count != 3 || first.NextOpenID != "o_sim_000003" {
		t.Errorf("first page = total %d count %d next %q", first.Total, first.Count, first.NextOpenID)
	}
	all, err := u.ListAllUserOpenIDs()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"o_sim_000001", "o_sim_000002", "o_sim_000003", "o_sim_000004", "o_sim_000005", "o_sim_000006", "o_sim_000007"}
	if !slices.Equal(all, want) {
		t.Errorf("all openids = %v", all)
	}
	if st := sim.Stats(); st.TokensIssued != 1 || st.APICalls["/cgi-bin/user/get"] != 4 {
		t.Errorf("stats = %+v, want 1 token (cached by the SDK) and 4 user/get calls", st)
	}
}

func TestSDKStableToken(t *testing.T) {
	sim, ts := newSim(t, Options{Followers: 2})
	oa := newSDK(t, ts, true)
	tok, err := oa.GetAccessToken()
	if err != nil || !strings.HasPrefix(tok, "SIM_") {
		t.Fatalf("stable token = %q, %v", tok, err)
	}
	if _, err := oa.GetUser().ListUserOpenIDs(); err != nil {
		t.Errorf("API call with stable token: %v", err)
	}
	if n := sim.Stats().APICalls["/cgi-bin/stable_token"]; n != 1 {
		t.Errorf("stable_token calls = %d, want 1", n)
	}
}

func TestSDKTags(t *testing.T) {
	_, ts := newSim(t, Options{Followers: 5})
	u := newSDK(t, ts, false).GetUser()

	tag, err := u.CreateTag("东湖社区")
	if err != nil || tag.ID < 100 || tag.Name != "东湖社区" {
		t.Fatalf("CreateTag = %+v, %v", tag, err)
	}
	if _, err := u.CreateTag("东湖社区"); err == nil || !strings.Contains(err.Error(), "45157") {
		t.Errorf("duplicate tag name: err = %v, want 45157", err)
	}
	if err := u.BatchTag([]string{"o_sim_000004", "o_sim_000002"}, tag.ID); err != nil {
		t.Fatal(err)
	}
	if err := u.BatchTag([]string{"o_nobody"}, tag.ID); err == nil || !strings.Contains(err.Error(), "40003") {
		t.Errorf("tagging a non-follower: err = %v, want 40003", err)
	}
	tags, err := u.GetTag()
	if err != nil || len(tags) != 1 || tags[0].Count != 2 {
		t.Errorf("GetTag = %+v, %v", tags, err)
	}
	list, err := u.OpenIDListByTag(tag.ID)
	if err != nil || !slices.Equal(list.Data.OpenIDs, []string{"o_sim_000002", "o_sim_000004"}) {
		t.Errorf("OpenIDListByTag = %+v, %v", list, err)
	}
	ids, err := u.UserTidList("o_sim_000004")
	if err != nil || !slices.Equal(ids, []int32{tag.ID}) {
		t.Errorf("UserTidList = %v, %v", ids, err)
	}
}

func TestSDKBroadcast(t *testing.T) {
	clock := newClock()
	sim, ts := newSim(t, Options{Followers: 4, Now: clock.Now, MassFinishDelay: time.Minute})
	oa := newSDK(t, ts, false)
	tagID := sim.AddTag("老年人", []string{"o_sim_000001", "o_sim_000003"})
	b := oa.GetBroadcast()
	tok, err := oa.GetAccessToken()
	if err != nil {
		t.Fatal(err)
	}
	draft := newDraft(t, ts, tok, "普法讲座")

	all, err := b.SendText(nil, "普法讲座周六开讲")
	if err != nil || all.MsgID == 0 || all.MsgDataID == 0 {
		t.Fatalf("SendText to all = %+v, %v", all, err)
	}
	if _, err := b.SendText(&broadcast.User{TagID: int64(tagID)}, "防诈骗提醒"); err != nil {
		t.Fatalf("SendText by tag: %v", err)
	}
	if _, err := b.SendNews(&broadcast.User{OpenID: []string{"o_sim_000002", "o_sim_000004"}}, draft, false); err != nil {
		t.Fatalf("SendNews by openid: %v", err)
	}
	// A fresh Broadcast: Preview() would flip the shared one for good.
	if _, err := broadcast.NewBroadcast(oa.GetContext()).Preview().SendText(&broadcast.User{OpenID: []string{"o_sim_000002"}}, "预览"); err != nil {
		t.Fatalf("preview: %v", err)
	}

	status, err := b.GetMassStatus(strconv.FormatInt(all.MsgID, 10))
	if err != nil || status.MsgStatus != "SENDING" {
		t.Errorf("status before finish = %+v, %v", status, err)
	}
	clock.Add(time.Minute)
	if status, _ = b.GetMassStatus(strconv.FormatInt(all.MsgID, 10)); status.MsgStatus != "SEND_SUCCESS" {
		t.Errorf("status after finish = %q", status.MsgStatus)
	}

	want := map[string][]string{
		"o_sim_000001": {"mass:普法讲座周六开讲", "mass:防诈骗提醒"},
		"o_sim_000002": {"mass:普法讲座周六开讲", "mass:mpnews:" + draft, "preview:预览"},
		"o_sim_000003": {"mass:普法讲座周六开讲", "mass:防诈骗提醒"},
		"o_sim_000004": {"mass:普法讲座周六开讲", "mass:mpnews:" + draft},
	}
	for openid, w := range want {
		var got []string
		for _, d := range sim.Inbox(openid) {
			got = append(got, d.Kind+":"+d.Content)
		}
		if !slices.Equal(got, w) {
			t.Errorf("inbox %s = %v, want %v", openid, got, w)
		}
	}
	mass := sim.Stats().Kinds[KindMass]
	if mass != (KindStats{Messages: 8, UniqueRecipients: 4}) {
		t.Errorf("mass stats = %+v", mass)
	}
}

func TestSDKTemplateAndCustom(t *testing.T) {
	sim, ts := newSim(t, Options{Followers: 2})
	oa := newSDK(t, ts, false)

	id, err := oa.GetTemplate().Send(&message.TemplateMessage{
		ToUser: "o_sim_000001", TemplateID: "TPL1",
		Data: map[string]*message.TemplateDataItem{"thing1": {Value: "调解预约"}, "time2": {Value: "3月5日"}},
	})
	if err != nil || id == 0 {
		t.Fatalf("template Send = %d, %v", id, err)
	}
	if _, err := oa.GetTemplate().Send(&message.TemplateMessage{ToUser: "o_stranger", TemplateID: "TPL1"}); err == nil ||
		!strings.Contains(err.Error(), "errcode=43004") {
		t.Errorf("template to non-follower: err = %v, want 43004", err)
	}
	mgr := oa.GetCustomerMessageManager()
	if err := mgr.Send(message.NewCustomerTextMessage("o_sim_000001", "您好，律师已接单")); err != nil {
		t.Fatalf("custom text: %v", err)
	}
	news := &message.CustomerMessage{ToUser: "o_sim_000001", Msgtype: message.MsgTypeNews,
		News: &message.MediaNews{Articles: []message.MediaArticles{{Title: "民法典解读"}}}}
	if err := mgr.Send(news); err != nil {
		t.Fatalf("custom news: %v", err)
	}
	if err := mgr.Send(message.NewCustomerTextMessage("o_stranger", "hi")); err == nil || !strings.Contains(err.Error(), "43004") {
		t.Errorf("custom to non-follower: err = %v", err)
	}

	inbox := sim.Inbox("o_sim_000001")
	if len(inbox) != 3 {
		t.Fatalf("inbox = %+v", inbox)
	}
	if inbox[0].Kind != KindTemplate || inbox[0].MsgID != id || inbox[0].Content != "TPL1\nthing1: 调解预约\ntime2: 3月5日" {
		t.Errorf("template delivery = %+v", inbox[0])
	}
	if inbox[1].Content != "您好，律师已接单" || inbox[2].Content != "news:民法典解读" {
		t.Errorf("custom deliveries = %+v", inbox[1:])
	}
}

func TestSDKMenu(t *testing.T) {
	_, ts := newSim(t, Options{})
	m := newSDK(t, ts, false).GetMenu()
	if _, err := m.GetMenu(); err == nil || !strings.Contains(err.Error(), "46003") {
		t.Errorf("GetMenu before create: err = %v, want 46003", err)
	}
	btn := new(menu.Button).SetClickButton("法律咨询", "CONSULT")
	if err := m.SetMenu([]*menu.Button{btn}); err != nil {
		t.Fatal(err)
	}
	got, err := m.GetMenu()
	if err != nil || len(got.Menu.Button) != 1 || got.Menu.Button[0].Key != "CONSULT" || got.Menu.Button[0].Name != "法律咨询" {
		t.Errorf("GetMenu = %+v, %v", got, err)
	}
}
