package bot

import (
	"context"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/pufa-dev/pufa/store"
	"github.com/pufa-dev/pufa/store/storetest"
)

const rulesYAML = `
rules:
  - name: greet
    keywords: [你好, Hello]
    match: exact
    priority: 10
    reply: 您好
  - name: aid-general
    keywords: [法律援助]
    match: contains
    priority: 5
    reply: 援助概况
  - name: aid-apply
    keywords: [法律援助怎么申请]
    match: exact
    priority: 5
    reply: 申请流程
  - name: aid-hot
    keywords: [援助热线]
    match: contains
    priority: 8
    reply: 12348
`

func TestKeywordMatching(t *testing.T) {
	k, err := ParseKeywords(strings.NewReader(rulesYAML))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		text string
		want string // "" = no rule
	}{
		{"你好", "您好"},
		{"  ＨＥＬＬＯ ", "您好"},          // full-width and case folded
		{"你好呀", ""},                 // exact means exact
		{"法律援助", "援助概况"},            // contains
		{"请问法律援助", "援助概况"},          // the keyword with filler words
		{"请问法律援助需要什么材料", ""},        // a question that contains the keyword is not swallowed
		{"房东不退押金怎么办法律援助热线多少谢谢", ""}, // nor a long one naming a higher rule
		{"法律援助怎么申请", "申请流程"},        // exact beats contains at equal priority
		{"法律援助热线是多少", "12348"},      // the higher-priority contains rule wins
		{"援助 热线", ""},
		{"", ""},
	}
	for _, tt := range tests {
		m := &Message{MsgType: TypeText, Content: tt.text, Text: Normalize(tt.text)}
		r, ok, err := k.HandleText(context.Background(), m)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.Text; (tt.want == "") == ok || got != tt.want {
			t.Errorf("%q: got %q (ok=%v), want %q", tt.text, got, ok, tt.want)
		}
	}
}

func TestKeywordFileErrorsNameTheRule(t *testing.T) {
	tests := []struct{ name, yaml, want string }{
		{"no reply", "rules:\n  - name: a\n    keywords: [x]\n", "rules[0] (a): reply"},
		{"no keywords", "rules:\n  - reply: r\n", "rules[0]: keywords"},
		{"bad match", "rules:\n  - keywords: [x]\n    match: regex\n    reply: r\n", `match "regex"`},
		{"unknown field", "rules:\n  - keyword: [x]\n    reply: r\n", "keyword"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseKeywords(strings.NewReader(tt.yaml))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v does not mention %q", err, tt.want)
			}
		})
	}
}

func TestBuiltInKeywordsLoad(t *testing.T) {
	k, err := LoadKeywordsFile("")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := k.Match("你好"); !ok {
		t.Error("starter rules do not greet")
	}
}

func TestRouterDispatch(t *testing.T) {
	r := NewRouter(echoConst("兜底"))
	r.HandleText(TextHandlerFunc(func(_ context.Context, m *Message) (Reply, bool, error) {
		return Reply{Text: "first"}, m.Text == "a", nil
	}))
	r.HandleText(TextHandlerFunc(func(_ context.Context, m *Message) (Reply, bool, error) {
		return Reply{Text: "second"}, m.Text == "a" || m.Text == "b", nil
	}))
	r.HandleClick("MENU_QUIZ", echoConst("开始答题"))
	r.HandleEvent("MASSSENDJOBFINISH", echoConst("reach"))
	tests := []struct {
		name string
		m    Message
		want string
	}{
		{"first text handler wins", Message{MsgType: TypeText, Text: "a"}, "first"},
		{"next handler when passed", Message{MsgType: TypeText, Text: "b"}, "second"},
		{"fallback", Message{MsgType: TypeText, Text: "c"}, "兜底"},
		{"click by key", Message{MsgType: TypeEvent, Event: "CLICK", EventKey: "MENU_QUIZ"}, "开始答题"},
		{"unknown click", Message{MsgType: TypeEvent, Event: "CLICK", EventKey: "X"}, ""},
		{"event case-insensitive", Message{MsgType: TypeEvent, Event: "masssendjobfinish"}, "reach"},
		{"unknown type", Message{MsgType: "voice"}, ""},
	}
	for _, tt := range tests {
		got, err := r.Handle(context.Background(), &tt.m)
		if err != nil || got.Text != tt.want {
			t.Errorf("%s: got %q, %v; want %q", tt.name, got.Text, err, tt.want)
		}
	}
}

// handlersFixture wires the built-in handlers to a real Redis.
func handlersFixture(t *testing.T) (*Router, *store.Store) {
	st := storetest.New(t)
	h := &Handlers{Residents: st, Welcome: "欢迎", Fallback: "没听懂"}
	r := NewRouter(HandlerFunc(h.HandleFallback))
	h.Register(r)
	return r, st
}

func send(t *testing.T, r *Router, m Message) string {
	t.Helper()
	m.Text = Normalize(m.Content)
	m.SessionKnown = true // as after the endpoint's claim: Redis answered
	reply, err := r.Handle(context.Background(), &m)
	if err != nil {
		t.Fatal(err)
	}
	return reply.Text
}

func TestSubscribeStoresCommunityAndUnsubscribeErases(t *testing.T) {
	r, st := handlersFixture(t)
	ctx := context.Background()
	if got := send(t, r, Message{FromUserName: "u1", MsgType: TypeEvent, Event: EventSubscribe, EventKey: "qrscene_xinhua-1"}); got != "欢迎" {
		t.Errorf("welcome %q", got)
	}
	send(t, r, Message{FromUserName: "u2", MsgType: TypeEvent, Event: EventSubscribe, EventKey: "qrscene_bad scene!"})
	if c, _ := st.UserCommunity(ctx, "u1"); c != "xinhua-1" {
		t.Errorf("community %q, want xinhua-1", c)
	}
	if c, _ := st.UserCommunity(ctx, "u2"); c != "" {
		t.Errorf("invalid scene stored as %q", c)
	}
	send(t, r, Message{FromUserName: "u1", MsgType: TypeEvent, Event: EventScan, EventKey: "chaoyang"})
	if n, _ := st.CommunityFollowers(ctx, "xinhua-1"); n != 0 {
		t.Errorf("old community still counts u1")
	}
	if n, _ := st.CommunityFollowers(ctx, "chaoyang"); n != 1 {
		t.Errorf("scan did not move u1: %d", n)
	}
	send(t, r, Message{FromUserName: "u1", MsgType: TypeText, Content: "邻居噪音扰民怎么办"})
	send(t, r, Message{FromUserName: "u1", MsgType: TypeText, Content: "转人工"})

	send(t, r, Message{FromUserName: "u1", MsgType: TypeEvent, Event: EventUnsubscribe})
	if ok, _ := st.UserExists(ctx, "u1"); ok {
		t.Error("personal data survived unsubscribe")
	}
	if n, _ := st.CommunityFollowers(ctx, "chaoyang"); n != 0 {
		t.Error("unsubscribed user still counted in community")
	}
	cs, _ := st.Consultations(ctx, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	if len(cs) != 1 || cs[0].OpenID != "" || strings.Contains(cs[0].Question, "噪音") {
		t.Errorf("consultation not anonymised: %+v", cs)
	}
	stats, _ := st.DayStats(ctx, time.Now())
	want := map[string]int64{store.MetricSubscribes: 2, store.MetricUnsubscribes: 1, store.MetricConsultations: 1, store.MetricFallbacks: 1}
	for k, v := range want {
		if stats[k] != v {
			t.Errorf("%s = %d, want %d (aggregates must survive erasure)", k, stats[k], v)
		}
	}
}

func TestConsultationRecordsQuestion(t *testing.T) {
	tests := []struct {
		name     string
		before   string
		text     string
		question string
	}{
		{"inline question", "", "转人工：房东不退押金", "房东不退押金"},
		{"previous question", "工伤怎么认定", "转人工", "工伤怎么认定"},
		{"bare 人工: the case waits for the resident's next message", "", "人工", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, st := handlersFixture(t)
			if tt.before != "" {
				if got := send(t, r, Message{FromUserName: "u", MsgType: TypeText, Content: tt.before}); got != "没听懂" {
					t.Fatalf("fallback %q", got)
				}
			}
			reply := send(t, r, Message{FromUserName: "u", MsgType: TypeText, Content: tt.text})
			if !strings.Contains(reply, "已为您登记人工咨询（编号 1）") || !strings.Contains(reply, "12348") {
				t.Errorf("reply %q", reply)
			}
			cs, err := st.Consultations(context.Background(), time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
			if err != nil || len(cs) != 1 || cs[0].Question != tt.question || cs[0].Status != "new" || cs[0].OpenID != "u" {
				t.Errorf("consultations %+v, %v", cs, err)
			}
		})
	}
}

// TestConsultFloodIsAnsweredPolitely: past the day's limit a resident is
// told the request is registered and staff will answer, and nothing more is
// recorded or counted; a long text is stored cut (issue 12, item 5).
func TestConsultFloodIsAnsweredPolitely(t *testing.T) {
	st := storetest.New(t)
	h := &Handlers{Residents: st, Welcome: "欢迎", Fallback: "没听懂", ConsultDailyLimit: 2}
	r := NewRouter(HandlerFunc(h.HandleFallback))
	h.Register(r)
	long := strings.Repeat("房东不退押金", 2000)
	steps := []struct {
		text, want string
	}{
		{"转人工：" + long, "已为您登记人工咨询（编号 1）"},
		{"转人工", "已为您登记人工咨询（编号 2）"},
		{"转人工", "您的人工咨询已经登记"},
		{"转人工：" + long, "您的人工咨询已经登记"},
	}
	for i, s := range steps {
		if got := send(t, r, Message{FromUserName: "u", MsgType: TypeText, Content: s.text}); !strings.Contains(got, s.want) {
			t.Errorf("request %d: reply %q, want %q", i+1, got, s.want)
		}
	}
	cs, _ := st.Consultations(context.Background(), time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	if len(cs) != 2 {
		t.Fatalf("%d consultations recorded, want 2", len(cs))
	}
	if n := utf8.RuneCountInString(cs[0].Question); n > store.ConsultMaxRunes {
		t.Errorf("stored question has %d runes, want at most %d", n, store.ConsultMaxRunes)
	}
	if stats, _ := st.DayStats(context.Background(), time.Now()); stats[store.MetricConsultations] != 1 {
		t.Errorf("counted %d consultations, want 1: one resident, one day", stats[store.MetricConsultations])
	}
}

func TestNormalize(t *testing.T) {
	tests := map[string]string{"Ａ": "a", "　转人工 ": "转人工", "AbC": "abc", "民法典第1077条": "民法典第1077条", "１２３": "123"}
	for in, want := range tests {
		if got := Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

// notInstant is a text handler that can only tell by handling a text, as
// the knowledge base is.
type notInstant struct{}

func (notInstant) HandleText(context.Context, *Message) (Reply, bool, error) {
	return Reply{Text: "检索结果"}, true, nil
}

func TestInstantText(t *testing.T) {
	k, err := ParseKeywords(strings.NewReader(rulesYAML))
	if err != nil {
		t.Fatal(err)
	}
	r := NewRouter(echoConst("兜底"))
	(&Handlers{}).Register(r)
	r.HandleText(k)
	r.HandleText(notInstant{})
	onlyKeywords := NewRouter(echoConst("兜底"))
	onlyKeywords.HandleText(k)
	tests := []struct {
		name    string
		r       *Router
		m       Message
		verdict Verdict
		reply   string
	}{
		{"keyword reply is known at once", r, Message{MsgType: TypeText, Text: "你好"}, Answer, "您好"},
		{"转人工 records a consultation", r, Message{MsgType: TypeText, Text: "转人工 工资"}, Unsure, ""},
		{"a question needs the knowledge base", r, Message{MsgType: TypeText, Text: "离婚冷静期多久"}, Unsure, ""},
		{"the fallback is not instant", onlyKeywords, Message{MsgType: TypeText, Text: "离婚冷静期多久"}, Unsure, ""},
		{"events are handled", r, Message{MsgType: TypeEvent, Event: EventSubscribe}, Unsure, ""},
	}
	for _, tt := range tests {
		reply, v := tt.r.InstantText(&tt.m)
		if v != tt.verdict || reply.Text != tt.reply {
			t.Errorf("%s: got %v %q, want %v %q", tt.name, v, reply.Text, tt.verdict, tt.reply)
		}
	}
}

// A handler that cannot judge a text instantly placed before one that can
// would silently send every text down the slow path: the router refuses
// that order, and the endpoint refuses such a router at start.
func TestRouterCheckRefusesBlindHandlerBeforeInstantOnes(t *testing.T) {
	k, err := ParseKeywords(strings.NewReader(rulesYAML))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		texts []TextHandler
		ok    bool
	}{
		{"instant handlers, then the knowledge base", []TextHandler{consultCommand{&Handlers{}}, k, notInstant{}}, true},
		{"no text handlers", nil, true},
		{"only handlers that cannot judge", []TextHandler{notInstant{}, notInstant{}}, true},
		{"the knowledge base before the keyword rules", []TextHandler{consultCommand{&Handlers{}}, notInstant{}, k}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := NewRouter(echoConst("兜底"))
			for _, h := range tc.texts {
				r.HandleText(h)
			}
			err := r.Check()
			if tc.ok != (err == nil) {
				t.Fatalf("Check() = %v, want ok %v", err, tc.ok)
			}
			if err != nil && (!strings.Contains(err.Error(), "notInstant") || !strings.Contains(err.Error(), "Keywords")) {
				t.Errorf("the error does not name both handlers: %v", err)
			}
			var st *store.Store // never reached: the endpoint is only built
			_, err = NewEndpoint(Options{Token: "t", Handler: r, Dedup: st, Late: &messenger{}, Counter: st})
			if tc.ok != (err == nil) {
				t.Errorf("NewEndpoint: %v, want ok %v", err, tc.ok)
			}
		})
	}
}

// A contains rule answers a message that is essentially its keyword, never a
// question that happens to mention it (issue 11: "…谢谢" got "不客气！").
func TestBuiltInContainsRulesNeverSwallowQuestions(t *testing.T) {
	k, err := LoadKeywordsFile("")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ text, rule string }{
		{"谢谢", "thanks"},
		{"谢谢你的帮助", "thanks"},
		{"好的谢谢", "thanks"},
		{"非常感谢你们", "thanks"},
		{"谢谢你们 好人一生平安", "thanks"},
		{"你们辛苦了", "thanks"},
		{"好的 谢谢啊 说的挺清楚", "thanks"},
		{"谢谢你们啊 上回帮了大忙", "thanks"},
		{"太感谢了 讲得很明白", "thanks"},
		{"谢谢 但我还是不明白离婚要带什么", ""},
		{"上回说的那个赔偿 对方还是不给 谢谢", ""},
		{"干活太辛苦了 老板还不给加班费", ""},
		{"电话多少", "hotline"},
		{"热线电话", "hotline"},
		{"联系方式是什么", "hotline"},
		{"我问下离婚要什么材料谢谢", ""},
		{"物业电话打不通怎么办", ""},
		{"老板不接电话不给工资", ""},
		{"房东不退押金 谢谢", ""},
		// What residents send before or instead of a question.
		{"在吗", "anyone-there"},
		{"在吗 有人没", "anyone-there"},
		{"在不 急事", "anyone-there"},
		{"你是真人还是机器人", "robot"},
		{"在吗 我想问离婚孩子归谁", ""},
		{"机器人送餐撞了我谁赔", ""},
		{"急事 老板跑了工资没发", ""},
	}
	for _, tt := range tests {
		r, ok := k.Match(Normalize(tt.text))
		if got := map[bool]string{true: r.Name}[ok]; got != tt.rule {
			t.Errorf("%q: matched rule %q, want %q", tt.text, got, tt.rule)
		}
	}
}
