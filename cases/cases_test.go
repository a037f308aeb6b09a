package cases_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pufa-dev/pufa/cases"
	"github.com/pufa-dev/pufa/store"
	"github.com/pufa-dev/pufa/store/storetest"
	"github.com/pufa-dev/pufa/wechat"
)

var ctx = context.Background()

// sender is a WeChat client that records what it sent, or fails with err.
type sender struct {
	sent []string
	err  error
}

func (s *sender) SendText(_ context.Context, openid, content string) error {
	if s.err != nil {
		return s.err
	}
	s.sent = append(s.sent, openid+": "+content)
	return nil
}

// referrer records referrals as the ledger would, once per case and kind.
type referrer struct {
	got map[string]cases.Referral
	err error
}

func (r *referrer) Refer(_ context.Context, ref cases.Referral) error {
	if r.err != nil {
		return r.err
	}
	if r.got == nil {
		r.got = map[string]cases.Referral{}
	}
	r.got[ref.CaseID+" "+ref.Kind] = ref
	return nil
}

// world is a real store with one resident's case opened at now.
type world struct {
	st   *store.Store
	svc  *cases.Service
	wx   *sender
	ref  *referrer
	now  time.Time
	id   string
	user string
}

func newWorld(t *testing.T, lastMessage time.Duration) *world {
	t.Helper()
	st := storetest.New(t)
	now := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	w := &world{st: st, wx: &sender{}, ref: &referrer{}, now: now, user: "o_resident_000001"}
	w.svc = &cases.Service{Store: st, Sender: w.wx, Referrer: w.ref, Now: func() time.Time { return w.now }}
	if _, err := st.RecordConversation(ctx, w.user, store.CaseMessage{At: now.Add(-lastMessage), From: store.FromResident, Text: "房东不退押金怎么办"}); err != nil {
		t.Fatal(err)
	}
	id, err := st.AddConsultation(ctx, w.user, "房东不退押金怎么办", now.Add(-lastMessage))
	if err != nil {
		t.Fatal(err)
	}
	w.id = id
	return w
}

func (w *world) status(t *testing.T) string {
	t.Helper()
	c, err := w.st.Case(ctx, w.id)
	if err != nil {
		t.Fatal(err)
	}
	return c.Status
}

func (w *world) audited(t *testing.T, action string) []store.AuditEntry {
	t.Helper()
	log, err := w.st.AuditLog(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []store.AuditEntry
	for _, e := range log {
		if e.Action == action && e.Target == w.id {
			out = append(out, e)
		}
	}
	return out
}

func TestTransitionTable(t *testing.T) {
	tests := []struct {
		from, to string
		ok       bool
	}{
		{store.CaseNew, store.CaseWorking, true},
		{store.CaseNew, store.CaseAnswered, false}, // only a reply or a call answers
		{store.CaseWorking, store.CaseAnswered, false},
		{store.CaseNew, store.CaseClosed, true},
		{store.CaseNew, store.CaseMediation, true},
		{store.CaseWorking, store.CaseLegalAid, true},
		{store.CaseAnswered, store.CaseClosed, true},
		{store.CaseAnswered, store.CaseNew, false},
		{store.CaseMediation, store.CaseLegalAid, false},
		{store.CaseMediation, store.CaseClosed, true},
		{store.CaseClosed, store.CaseWorking, true}, // reopened
		{store.CaseClosed, store.CaseMediation, false},
	}
	for _, tt := range tests {
		if got := cases.CanMove(tt.from, tt.to); got != tt.ok {
			t.Errorf("%s → %s allowed = %v, want %v", cases.Label(tt.from), cases.Label(tt.to), got, tt.ok)
		}
	}
	for _, from := range cases.Statuses {
		for _, to := range cases.Next(from) {
			if to == store.CaseAnswered || to == from {
				t.Errorf("a button moves %s to %s", from, to)
			}
		}
	}
}

func TestReplyWithinTheWindowAnswersTheCase(t *testing.T) {
	w := newWorld(t, 47*time.Hour)
	if err := w.svc.Reply(ctx, w.id, "ed", "  请先与房东协商，保留租赁合同和付款凭证。 "); err != nil {
		t.Fatal(err)
	}
	if len(w.wx.sent) != 1 || w.wx.sent[0] != w.user+": 请先与房东协商，保留租赁合同和付款凭证。" {
		t.Errorf("sent %q", w.wx.sent)
	}
	if s := w.status(t); s != store.CaseAnswered {
		t.Errorf("status %s, want answered", s)
	}
	c, _ := w.st.Case(ctx, w.id)
	last := c.Messages[len(c.Messages)-1]
	if last.From != store.FromStaff || last.By != "ed" || !strings.HasPrefix(last.Text, "请先与房东协商") {
		t.Errorf("conversation ends with %+v, want the reply", last)
	}
	if tr, _ := w.st.Transcript(ctx, w.user); tr[len(tr)-1].From != store.FromStaff {
		t.Errorf("reply not in the resident's transcript: %+v", tr)
	}
	if len(w.audited(t, "case.reply")) != 1 || len(w.audited(t, "case.status")) != 1 {
		t.Error("reply or status change not audited")
	}
}

// TestRefusedRepliesChangeNothing: every refusal names the reason in
// Chinese, sends nothing (or nothing WeChat took) and leaves the case new.
func TestRefusedRepliesChangeNothing(t *testing.T) {
	tests := []struct {
		name    string
		since   time.Duration // the resident's last message
		sendErr error
		text    string
		kind    error
		says    string
	}{
		{"empty", time.Hour, nil, "  ", cases.ErrInvalid, "回复内容"},
		{"too long", time.Hour, nil, strings.Repeat("字", 501), cases.ErrInvalid, "最多 500 字"},
		{"after 48 hours", 48*time.Hour + time.Minute, nil, "您好", cases.ErrWindowClosed, "超过 48 小时"},
		{"WeChat says out of time", time.Hour, &wechat.APIError{API: "custom send", Code: 45015, Msg: "response out of time limit"}, "您好", cases.ErrSend, "48 小时"},
		{"too many replies", time.Hour, &wechat.APIError{API: "custom send", Code: 45047, Msg: "out of response count limit"}, "您好", cases.ErrSend, "上限"},
		{"unfollowed", time.Hour, &wechat.APIError{API: "custom send", Code: 43004, Msg: "require subscribe"}, "您好", cases.ErrSend, "取消关注"},
		{"network", time.Hour, errors.New("dial tcp: connection refused"), "您好", cases.ErrSend, "无法连接微信"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, tt.since)
			w.wx.err = tt.sendErr
			err := w.svc.Reply(ctx, w.id, "ed", tt.text)
			var rf *cases.Refused
			if !errors.As(err, &rf) || !errors.Is(err, tt.kind) || !strings.Contains(rf.Message, tt.says) {
				t.Fatalf("error %v, want a %v refusal saying %q", err, tt.kind, tt.says)
			}
			if s := w.status(t); s != store.CaseNew {
				t.Errorf("status %s after a refusal", s)
			}
			if c, _ := w.st.Case(ctx, w.id); len(c.Messages) != 0 {
				t.Errorf("refused reply recorded: %+v", c.Messages)
			}
			if len(w.audited(t, "case.reply")) != 0 {
				t.Error("refused reply audited as sent")
			}
		})
	}
}

func TestPhoneCallAnswersAfterTheWindow(t *testing.T) {
	w := newWorld(t, 72*time.Hour)
	bad := []struct {
		call cases.Call
		says string
	}{
		{cases.Call{At: w.now.Add(-time.Hour)}, "通话摘要"},
		{cases.Call{At: w.now.Add(time.Hour), Summary: "已电话答复"}, "不能晚于现在"},
		{cases.Call{At: w.now.Add(-100 * time.Hour), Summary: "已电话答复"}, "不能早于"},
	}
	for _, b := range bad {
		if err := w.svc.RecordCall(ctx, w.id, "ed", b.call); err == nil || !strings.Contains(err.Error(), b.says) {
			t.Errorf("call %+v: %v, want a refusal saying %q", b.call, err, b.says)
		}
	}
	if s := w.status(t); s != store.CaseNew {
		t.Fatalf("status %s after refused calls", s)
	}
	if err := w.svc.RecordCall(ctx, w.id, "ed", cases.Call{At: w.now.Add(-time.Hour), Summary: "电话告知可向法院起诉"}); err != nil {
		t.Fatal(err)
	}
	c, _ := w.st.Case(ctx, w.id)
	if c.Status != store.CaseAnswered || c.Messages[len(c.Messages)-1].From != store.FromCall {
		t.Errorf("case after the call: %s %+v", c.Status, c.Messages)
	}
	if len(w.wx.sent) != 0 {
		t.Errorf("a call sent WeChat messages: %q", w.wx.sent)
	}
	if len(w.audited(t, "case.call")) != 1 {
		t.Error("call not audited")
	}
}

func TestStatusButtonsFollowTheTable(t *testing.T) {
	w := newWorld(t, time.Hour)
	if err := w.svc.SetStatus(ctx, w.id, "ed", store.CaseNew, store.CaseAnswered); !errors.Is(err, cases.ErrTransition) {
		t.Errorf("新 → 已答复 by a button: %v", err)
	}
	if err := w.svc.SetStatus(ctx, w.id, "ed", store.CaseWorking, store.CaseClosed); !errors.Is(err, cases.ErrTransition) {
		t.Errorf("a stale page's change: %v, want refused", err)
	}
	if err := w.svc.SetStatus(ctx, w.id, "ed", store.CaseNew, store.CaseMediation); err != nil {
		t.Fatal(err)
	}
	if len(w.ref.got) != 1 || w.ref.got[w.id+" mediation"].Summary != "房东不退押金怎么办" {
		t.Errorf("referrals %+v, want the case once", w.ref.got)
	}
	if err := w.svc.SetStatus(ctx, w.id, "ed", store.CaseMediation, store.CaseLegalAid); !errors.Is(err, cases.ErrTransition) {
		t.Errorf("转调解 → 转法律援助: %v", err)
	}
	if err := w.svc.SetStatus(ctx, w.id, "ed", store.CaseMediation, store.CaseClosed); err != nil {
		t.Fatal(err)
	}
	if err := w.svc.Reply(ctx, w.id, "ed", "您好"); !errors.Is(err, cases.ErrTransition) {
		t.Errorf("reply to a closed case: %v", err)
	}
	if n := len(w.audited(t, "case.status")); n != 2 {
		t.Errorf("%d status changes audited, want 2", n)
	}
	if len(w.audited(t, "case.handoff")) != 1 {
		t.Error("hand-off not audited")
	}
}

func TestFailedReferralChangesNothing(t *testing.T) {
	w := newWorld(t, time.Hour)
	w.ref.err = errors.New("ledger down")
	if err := w.svc.SetStatus(ctx, w.id, "ed", store.CaseNew, store.CaseLegalAid); err == nil {
		t.Fatal("hand-off succeeded without its record")
	}
	if s := w.status(t); s != store.CaseNew {
		t.Errorf("status %s after a failed referral", s)
	}
}

func TestAssignAndCategory(t *testing.T) {
	w := newWorld(t, time.Hour)
	staff := []string{"ap", "ed"}
	if err := w.svc.Assign(ctx, w.id, "ap", "nobody", staff); !errors.Is(err, cases.ErrInvalid) {
		t.Errorf("assigning an unknown user: %v", err)
	}
	if err := w.svc.Assign(ctx, w.id, "ap", "ed", staff); err != nil {
		t.Fatal(err)
	}
	if err := w.svc.SetCategory(ctx, w.id, "ed", "赌博"); !errors.Is(err, cases.ErrInvalid) {
		t.Errorf("unknown category: %v", err)
	}
	if err := w.svc.SetCategory(ctx, w.id, "ed", "房屋物业"); err != nil {
		t.Fatal(err)
	}
	c, _ := w.st.Case(ctx, w.id)
	if c.Assignee != "ed" || c.Category != "房屋物业" || c.Status != store.CaseWorking {
		t.Errorf("case %+v, want assigned to ed, 房屋物业, in work", c)
	}
	if len(w.audited(t, "case.assign")) != 1 || len(w.audited(t, "case.category")) != 1 {
		t.Error("assignment or category not audited")
	}
}

func TestOverdueAndMasking(t *testing.T) {
	now := time.Now()
	tests := []struct {
		status string
		age    time.Duration
		want   bool
	}{
		{store.CaseNew, 25 * time.Hour, true},
		{store.CaseWorking, 25 * time.Hour, true},
		{store.CaseNew, 23 * time.Hour, false},
		{store.CaseAnswered, 100 * time.Hour, false},
		{store.CaseMediation, 100 * time.Hour, false},
	}
	for _, tt := range tests {
		c := store.Consultation{Status: tt.status, Created: now.Add(-tt.age)}
		if got := cases.Overdue(c, now, 24*time.Hour); got != tt.want {
			t.Errorf("%s after %v: overdue %v, want %v", tt.status, tt.age, got, tt.want)
		}
	}
	if m := cases.MaskOpenID("oAbCdEfGhIjKlMnOpQrStUvWxYz1"); m != "oAbC****xYz1" {
		t.Errorf("masked %q", m)
	}
}

func TestBareRequestShowsTheResidentsLastMessages(t *testing.T) {
	c := store.Consultation{Messages: []store.CaseMessage{
		{From: store.FromResident, Text: "楼上漏水"}, {From: store.FromBot, Text: "…"},
		{From: store.FromResident, Text: "物业不管"}, {From: store.FromResident, Text: "转人工"},
	}}
	if q := cases.Question(c); q != "楼上漏水 / 物业不管" {
		t.Errorf("question %q", q)
	}
	if q := cases.Question(store.Consultation{Question: "（未填写问题）"}); !strings.Contains(q, "尚未说明问题") {
		t.Errorf("old bare request shows %q", q)
	}
}
