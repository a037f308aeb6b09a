package bot

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pufa-dev/pufa/knowledge"
	"github.com/pufa-dev/pufa/store"
	"github.com/pufa-dev/pufa/store/storetest"
)

// The embedded knowledge base is immutable once built; tests share one.
var kb = sync.OnceValues(knowledge.Default)

func answerer(t *testing.T) (*Answerer, *store.Store) {
	t.Helper()
	base, err := kb()
	if err != nil {
		t.Fatal(err)
	}
	st := storetest.New(t)
	return &Answerer{KB: base, Log: st}, st
}

func ask(t *testing.T, a *Answerer, openid, text string) string {
	t.Helper()
	r, ok, err := a.HandleText(context.Background(), &Message{FromUserName: openid, MsgType: TypeText, Content: text, Text: Normalize(text)})
	if err != nil || !ok {
		t.Fatalf("%q: ok=%v err=%v", text, ok, err)
	}
	if r.Text == "" || len(r.Text) > maxReplyBytes {
		t.Fatalf("%q: reply of %d bytes (must be 1..%d)", text, len(r.Text), maxReplyBytes)
	}
	return r.Text
}

func TestAnswersCiteTheLaw(t *testing.T) {
	a, _ := answerer(t)
	tests := []struct {
		q    string
		want []string
	}{
		{"民法典第1077条", []string{"《中华人民共和国民法典》第一千零七十七条", "三十日", "2020-05-28"}},
		{"民法典第一千零七十七条", []string{"第一千零七十七条", "三十日"}},
		{"宪法33条", []string{"《中华人民共和国宪法》第三十三条", "公民"}},
		{"民法典第9999条", []string{"1260"}},
		{"治安管理处罚法第一条", []string{"2012", "2026"}}, // stale text is flagged
		{"离婚冷静期是多久", []string{"第一千零七十七条"}},
		{"法律援助怎么申请", []string{"【", "12348", "依据："}},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			got := ask(t, a, "u", tt.q)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("reply lacks %q:\n%s", w, got)
				}
			}
		})
	}
}

func TestUnsureAnswerOffersAPerson(t *testing.T) {
	a, st := answerer(t)
	got := ask(t, a, "u", "啊啊啊啊啊")
	if !strings.Contains(got, "转人工") || !strings.Contains(got, "12348") || !strings.Contains(got, "没有把握") {
		t.Errorf("low-confidence reply:\n%s", got)
	}
	ask(t, a, "u", "民法典第1077条")
	stats, _ := st.DayStats(context.Background(), time.Now())
	if stats[store.MetricQuestions] != 2 || stats[store.MetricUnanswered] != 1 || stats[store.MetricAnswered] != 1 {
		t.Errorf("counters %v", stats)
	}
	if q, _ := st.LastQuestion(context.Background(), "u"); q != "民法典第1077条" {
		t.Errorf("last question %q, kept for 转人工", q)
	}
	top, _ := st.TopTopics(context.Background(), time.Now(), 5)
	if len(top) != 1 || top[0].Topic != "民法典" || top[0].Count != 1 {
		t.Errorf("top topics %+v", top)
	}
}

func TestMorePagesThroughTheRest(t *testing.T) {
	a, _ := answerer(t)
	first := ask(t, a, "u", "用人单位不签劳动合同怎么办")
	if !strings.Contains(first, "1. ") || !strings.Contains(first, moreHint) {
		t.Fatalf("first page lacks numbering or the 更多 hint:\n%s", first)
	}
	second := ask(t, a, "u", "更多")
	if !strings.Contains(second, "4. ") || strings.Contains(second, "\n1. ") {
		t.Errorf("second page should continue at 4:\n%s", second)
	}
	third := ask(t, a, "u", "更多")
	if !strings.Contains(third, "7. ") || strings.Contains(third, moreHint) {
		t.Errorf("third page should be the last (7..9):\n%s", third)
	}
	if got := ask(t, a, "u", "更多"); got != noMore {
		t.Errorf("after the last page: %q", got)
	}
	if got := ask(t, a, "someone-else", "更多"); got != noMore {
		t.Errorf("更多 without a question: %q", got)
	}
}

func TestEveryAnswerFitsWeChatsLimit(t *testing.T) {
	a, _ := answerer(t)
	base, _ := kb()
	questions := []string{"劳动合同到期不续签有补偿吗", "未成年人沉迷网络家长怎么办", "遭遇家暴怎么办", "被电信诈骗了怎么办",
		"房东不退押金", "公司拖欠工资", "买到假货怎么赔偿", "宪法", "第一条", "民法典", "消法第24条", strings.Repeat("法", 500)}
	for _, e := range base.FAQ() {
		questions = append(questions, e.Question)
	}
	for _, q := range questions {
		ask(t, a, "u", q) // ask fails the test on an empty or oversized reply
		ask(t, a, "u", "更多")
	}
}
