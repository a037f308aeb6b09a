package store_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pufa-dev/pufa/store"
	"github.com/pufa-dev/pufa/store/storetest"
)

func say(t *testing.T, st *store.Store, openid, from, text string, at time.Time) string {
	t.Helper()
	id, err := st.RecordConversation(ctx, openid, store.CaseMessage{At: at, From: from, Text: text})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestConversationJoinsTheOpenCase: a case starts from the resident's
// transcript; their next messages and the replies join it until it is
// closed; a bare request takes the next message as its question; writing
// again after an answer puts the case back in work.
func TestConversationJoinsTheOpenCase(t *testing.T) {
	st := storetest.New(t)
	at := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	const o = "o_case_resident"
	if id := say(t, st, o, store.FromResident, "你好", at); id != "" {
		t.Errorf("message joined case %q before any case", id)
	}
	say(t, st, o, store.FromBot, "您好，我是普法小助手", at)
	say(t, st, o, store.FromResident, "转人工", at)
	tr, err := st.Transcript(ctx, o)
	if err != nil || len(tr) != 3 {
		t.Fatalf("transcript %+v, %v", tr, err)
	}
	if last, ok, _ := st.LastInbound(ctx, o); !ok || !last.Equal(at) {
		t.Errorf("last inbound %v %v, want %v", last, ok, at)
	}
	r, err := st.RequestConsultation(ctx, store.ConsultRequest{OpenID: o, At: at, Community: "xingfu", Transcript: tr})
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		from, text string
		wantJoin   bool
	}{
		{store.FromBot, "已为您登记人工咨询", true},
		{store.FromResident, "邻居家的狗天天半夜叫", true},
		{store.FromBot, "…", true},
	}
	for _, s := range steps {
		if id := say(t, st, o, s.from, s.text, at.Add(time.Minute)); (id == r.ID) != s.wantJoin {
			t.Errorf("%q joined %q, want case %s: %v", s.text, id, r.ID, s.wantJoin)
		}
	}
	c, err := st.Case(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Messages) != 6 || c.Question != "邻居家的狗天天半夜叫" || c.Community != "xingfu" {
		t.Errorf("case %+v, want 6 messages, the next message as question, community xingfu", c)
	}
	must(t, st.MoveCase(ctx, store.CaseMove{ID: r.ID, From: store.CaseNew, To: store.CaseAnswered, At: at}))
	say(t, st, o, store.FromResident, "还是不行", at.Add(time.Hour))
	if c, _ := st.Case(ctx, r.ID); c.Status != store.CaseWorking || c.Question != "邻居家的狗天天半夜叫" {
		t.Errorf("after the resident wrote again: %s %q, want working, question kept", c.Status, c.Question)
	}
	must(t, st.MoveCase(ctx, store.CaseMove{ID: r.ID, To: store.CaseClosed, At: at}))
	if id := say(t, st, o, store.FromResident, "谢谢", at.Add(2*time.Hour)); id != "" {
		t.Errorf("message joined closed case %s", id)
	}
	if c, _ := st.Case(ctx, r.ID); c.Messages[len(c.Messages)-1].Text != "还是不行" {
		t.Errorf("closed case got %+v", c.Messages[len(c.Messages)-1])
	}
}

func TestConversationsAreCapped(t *testing.T) {
	st := storetest.New(t)
	at := time.Now()
	id, err := st.AddConsultation(ctx, "o", "q", at)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		say(t, st, "o", store.FromResident, fmt.Sprint("第", i, "条\n换行"), at)
	}
	tr, _ := st.Transcript(ctx, "o")
	if len(tr) != store.TranscriptMax || tr[len(tr)-1].Text != "第99条\n换行" {
		t.Errorf("transcript of %d, last %+v", len(tr), tr[len(tr)-1])
	}
	if ttl := st.Client().TTL(ctx, st.Prefix()+"user:{o}:transcript").Val(); ttl <= 0 || ttl > 72*time.Hour {
		t.Errorf("transcript TTL %v", ttl)
	}
	c, _ := st.Case(ctx, id)
	if len(c.Messages) != 60 || c.Messages[0].Text != "第40条\n换行" {
		t.Errorf("case keeps %d messages from %q, want the last 60", len(c.Messages), c.Messages[0].Text)
	}
}

func TestMoveCaseOnlyFromTheExpectedStatus(t *testing.T) {
	st := storetest.New(t)
	id, _ := st.AddConsultation(ctx, "o", "q", time.Now())
	err := st.MoveCase(ctx, store.CaseMove{ID: id, From: store.CaseWorking, To: store.CaseClosed, At: time.Now()})
	if !errors.Is(err, store.ErrCaseMoved) {
		t.Errorf("move from a stale status: %v", err)
	}
	if err := st.MoveCase(ctx, store.CaseMove{ID: "404", To: store.CaseClosed}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("move of a missing case: %v", err)
	}
	if err := st.MoveCase(ctx, store.CaseMove{ID: id, To: "lost"}); err == nil {
		t.Error("unknown status accepted")
	}
	if c, _ := st.Case(ctx, id); c.Status != store.CaseNew {
		t.Errorf("status %s after refused moves", c.Status)
	}
}

// TestCasesBeforeCasesStillShow: a consultation hash written before cases
// existed (openid, question, status, created) lists and opens as it was.
func TestCasesBeforeCasesStillShow(t *testing.T) {
	st := storetest.New(t)
	created := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	for id, status := range map[string]string{"1": "new", "2": "answered", "3": "closed"} {
		st.Client().HSet(ctx, st.Prefix()+"consult:"+id, "openid", "o_old", "question", "旧问题"+id, "status", status, "created", created.Unix())
		st.Client().ZAdd(ctx, st.Prefix()+"consult:index", redis.Z{Score: float64(created.Unix()), Member: id})
	}
	list, total, err := st.CasePage(ctx, store.CaseFilter{}, 0, 10)
	if err != nil || total != 3 || len(list) != 3 {
		t.Fatalf("page %+v of %d, %v", list, total, err)
	}
	news, _, _ := st.CasePage(ctx, store.CaseFilter{Status: store.CaseNew}, 0, 10)
	if len(news) != 1 || news[0].Question != "旧问题1" || !news[0].Updated.Equal(created) {
		t.Errorf("new cases %+v", news)
	}
	overdue, _, _ := st.CasePage(ctx, store.CaseFilter{OverdueBefore: created.Add(time.Hour)}, 0, 10)
	if len(overdue) != 1 || overdue[0].ID != "1" {
		t.Errorf("overdue %+v, want the new one only", overdue)
	}
}

func TestErasureTakesTheConversation(t *testing.T) {
	st := storetest.New(t)
	at := time.Now()
	const o = "o_erased"
	say(t, st, o, store.FromResident, "我叫张三，住幸福小区3栋", at)
	tr, _ := st.Transcript(ctx, o)
	r, err := st.RequestConsultation(ctx, store.ConsultRequest{OpenID: o, Question: "离婚", At: at, Community: "xingfu", Transcript: tr})
	if err != nil {
		t.Fatal(err)
	}
	must(t, st.SetCaseFields(ctx, r.ID, ptr("ed"), ptr("婚姻家庭"), at))
	must(t, st.EraseUser(ctx, o))
	c, err := st.Case(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if c.OpenID != "" || len(c.Messages) != 0 || strings.Contains(c.Question, "离婚") {
		t.Errorf("case after erasure %+v", c)
	}
	if c.Community != "xingfu" || c.Category != "婚姻家庭" || c.Status != store.CaseNew {
		t.Errorf("the office's figures lost: %+v", c)
	}
	if tr, _ := st.Transcript(ctx, o); len(tr) != 0 {
		t.Errorf("transcript survived erasure: %+v", tr)
	}
	if _, ok, _ := st.LastInbound(ctx, o); ok {
		t.Error("last inbound survived erasure")
	}
	if id := say(t, st, o, store.FromResident, "又关注了", at); id != "" {
		t.Errorf("a new follower's message joined the erased case %s", id)
	}
}

func ptr(s string) *string { return &s }
