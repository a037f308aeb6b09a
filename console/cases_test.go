package console_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pufa-dev/pufa/chinatime"
	"github.com/pufa-dev/pufa/communities"
	"github.com/pufa-dev/pufa/console"
	"github.com/pufa-dev/pufa/store"
	"github.com/pufa-dev/pufa/wechat"
	"github.com/pufa-dev/pufa/wechat/wxsim"
)

// simCases is a console whose replies go through the WeChat client to the
// simulator, which keeps the 48-hour window by its own clock.
type simCases struct {
	*env
	sim     *wxsim.Server
	simURL  string
	simSkew *atomic.Int64
}

func newSimCases(t *testing.T) *simCases {
	t.Helper()
	// The resident's callbacks need an answer; what pufa's bot does with
	// them is the bot's tests' business.
	cb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "success") }))
	t.Cleanup(cb.Close)
	skew := new(atomic.Int64)
	sim, err := wxsim.New(wxsim.Options{AppID: "wxcasestest00001", AppSecret: "case-secret", Token: "case-token",
		CallbackURL: cb.URL, EnforceCustomWindow: true, TokenTTL: 1000 * time.Hour,
		Now: func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }})
	if err != nil {
		t.Fatal(err)
	}
	api := httptest.NewServer(sim)
	t.Cleanup(func() { api.Close(); sim.Close() })
	// The SDK's API base is a process global; no other console test calls
	// WeChat.
	wechat.UseAPIBase(api.URL)
	var wx *wechat.Client
	e := newEnvWith(t, envOptions{console: func(o *console.Options) {
		st := o.Store
		wx, err = wechat.New(wechat.Config{AppID: "wxcasestest00001", AppSecret: "case-secret"}, st, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		o.Sender = wx
		if _, err := o.Communities.Create(context.Background(), communities.Input{ID: "xingfu", Name: "幸福社区", Active: true}, "admin"); err != nil {
			t.Fatal(err)
		}
	}})
	return &simCases{env: e, sim: sim, simURL: api.URL, simSkew: skew}
}

// ask is a resident writing to the account and asking for a person, as
// the simulator and pufa's bot record it; it returns the case id.
func (s *simCases) ask(openid, question string) string {
	s.t.Helper()
	ctx := context.Background()
	if _, err := s.sim.SendText(ctx, openid, question); err != nil {
		s.t.Fatal(err)
	}
	now := time.Now().Add(time.Duration(s.skew.Load()))
	if _, err := s.st.RecordConversation(ctx, openid, store.CaseMessage{At: now, From: store.FromResident, Text: question}); err != nil {
		s.t.Fatal(err)
	}
	tr, _ := s.st.Transcript(ctx, openid)
	r, err := s.st.RequestConsultation(ctx, store.ConsultRequest{OpenID: openid, Question: question, At: now, Community: "xingfu", Transcript: tr})
	if err != nil {
		s.t.Fatal(err)
	}
	return r.ID
}

func (s *simCases) custom(openid string) []string {
	var out []string
	for _, d := range s.sim.Inbox(openid) {
		if d.Kind == wxsim.KindCustom {
			out = append(out, d.Content)
		}
	}
	return out
}

func (s *simCases) audited(action, id string) []store.AuditEntry {
	s.t.Helper()
	log, err := s.st.AuditLog(context.Background(), 100)
	if err != nil {
		s.t.Fatal(err)
	}
	var out []store.AuditEntry
	for _, e := range log {
		if e.Action == action && e.Target == id {
			out = append(out, e)
		}
	}
	return out
}

// TestReplyReachesTheResidentInTheSimulator: a clerk's reply in the
// console arrives in the resident's WeChat (the simulator's inbox), the
// case is 已答复, and the audit log has the reply and the status change.
func TestReplyReachesTheResidentInTheSimulator(t *testing.T) {
	s := newSimCases(t)
	const o = "oCaseResident000000000000001"
	id := s.ask(o, "公司拖欠三个月工资怎么办")
	c := s.client()
	c.login("ed", "editor-pass")
	_, list := c.get("/console/consultations")
	for _, want := range []string{"oCas****0001", "幸福社区", "公司拖欠三个月工资怎么办", "未指派", ">新<"} {
		if !strings.Contains(list, want) {
			t.Errorf("inbox lacks %q", want)
		}
	}
	if strings.Contains(list, o) {
		t.Error("inbox shows the raw openid")
	}
	_, page := c.get("/console/consultations/" + id)
	if !strings.Contains(page, "48 小时客服消息窗口还剩") || !strings.Contains(page, `id="case-reply"`) {
		t.Fatalf("case page offers no reply with the countdown")
	}
	sent := time.Now()
	resp, _ := c.post("/console/consultations/"+id+"/reply", url.Values{"csrf": {c.csrf}, "reply": {"可以先向劳动保障监察部门投诉。"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("reply: %d", resp.StatusCode)
	}
	if got := s.custom(o); len(got) != 1 || got[0] != "可以先向劳动保障监察部门投诉。" {
		t.Errorf("the resident received %q", got)
	}
	if took := time.Since(sent); took > time.Second {
		t.Errorf("reply took %v to reach the resident", took)
	}
	// The resident simulator's page reads its inbox from /sim/api/inbox.
	resp, err := http.Get(s.simURL + "/sim/api/inbox?openid=" + o)
	if err != nil {
		t.Fatal(err)
	}
	inbox, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(inbox), `"kind":"custom","content":"可以先向劳动保障监察部门投诉。"`) {
		t.Errorf("/sim/ inbox lacks the reply: %s", inbox)
	}
	_, page = c.get("/console/consultations/" + id)
	if !strings.Contains(page, `id="case-status">已答复`) || !strings.Contains(page, "工作人员 ed") {
		t.Errorf("case page after the reply lacks 已答复 or the reply in the conversation")
	}
	if len(s.audited("case.reply", id)) != 1 || len(s.audited("case.status", id)) != 1 {
		t.Error("reply and status change not in the audit log")
	}
	if _, audit := c.get("/console/audit"); !strings.Contains(audit, "回复咨询") || !strings.Contains(audit, "新 → 已答复") {
		t.Error("the audit page does not show the reply and the status change")
	}
}

// TestReplyAfter48HoursIsRefused: past the window the console refuses in
// Chinese, keeps the text typed and changes nothing; where pufa still
// thinks the window open but WeChat (the simulator) does not, its 45015
// is refused alike; a phone call can be recorded instead.
func TestReplyAfter48HoursIsRefused(t *testing.T) {
	s := newSimCases(t)
	const o = "oCaseResident000000000000002"
	id := s.ask(o, "邻居占用楼道")
	c := s.client()
	c.login("ed", "editor-pass")

	s.simSkew.Store(int64(49 * time.Hour)) // WeChat's clock only
	resp, body := c.post("/console/consultations/"+id+"/reply", url.Values{"csrf": {c.csrf}, "reply": {"请联系物业"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "48 小时回复时限") || !strings.Contains(body, "请联系物业</textarea>") {
		t.Errorf("WeChat's 45015: %d, want the refusal with the text kept", resp.StatusCode)
	}

	s.advance(49 * time.Hour) // and now the console's
	_, page := c.get("/console/consultations/" + id)
	if !strings.Contains(page, "已超过 48 小时") || strings.Contains(page, `id="case-reply"`) || !strings.Contains(page, "记录电话回复") {
		t.Error("case page past the window still offers a reply, or no phone call")
	}
	resp, body = c.post("/console/consultations/"+id+"/reply", url.Values{"csrf": {c.csrf}, "reply": {"请联系物业"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "超过 48 小时") {
		t.Errorf("reply after 48 h: %d", resp.StatusCode)
	}
	if got := s.custom(o); len(got) != 0 {
		t.Errorf("the resident received %q past the window", got)
	}
	if cs, _ := s.st.Case(context.Background(), id); cs.Status != store.CaseNew || len(s.audited("case.reply", id)) != 0 {
		t.Errorf("a refused reply changed the case: %s", cs.Status)
	}

	at := time.Now().Add(49 * time.Hour).In(chinatime.Zone).Format("2006-01-02 15:04")
	resp, body = c.post("/console/consultations/"+id+"/call", url.Values{"csrf": {c.csrf}, "at": {at}, "summary": {""}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "通话摘要") {
		t.Errorf("call without summary: %d", resp.StatusCode)
	}
	resp, _ = c.post("/console/consultations/"+id+"/call", url.Values{"csrf": {c.csrf}, "at": {at}, "summary": {"电话告知可先找物业协调"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("call: %d", resp.StatusCode)
	}
	if cs, _ := s.st.Case(context.Background(), id); cs.Status != store.CaseAnswered || len(s.audited("case.call", id)) != 1 {
		t.Errorf("after the call: %s", cs.Status)
	}
}

// TestUnfollowedResidentsCaseOffersNoReply: after erasure the case stays
// for the office's figures, says why it cannot be answered and offers no
// reply or call; it can still be closed.
func TestUnfollowedResidentsCaseOffersNoReply(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	id, err := e.st.AddConsultation(ctx, "oGoneResident0000000000001", "欠薪", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := e.st.EraseUser(ctx, "oGoneResident0000000000001"); err != nil {
		t.Fatal(err)
	}
	c := e.client()
	c.login("ed", "editor-pass")
	_, page := c.get("/console/consultations/" + id)
	if !strings.Contains(page, "已取消关注公众号") || strings.Contains(page, `id="case-reply"`) || strings.Contains(page, `id="case-call"`) {
		t.Error("an erased resident's case offers a reply or a call")
	}
	if !strings.Contains(page, "改为已办结") {
		t.Error("an erased resident's case cannot be closed")
	}
}
