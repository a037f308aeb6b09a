package bot

import (
	"cmp"
	"context"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pufa-dev/pufa/clip"
	"github.com/pufa-dev/pufa/knowledge"
	"github.com/pufa-dev/pufa/store"
)

// Asker answers questions from the law corpus, the answer bank and the
// office FAQ (knowledge.Base).
type Asker interface {
	Ask(q string, k int) knowledge.Answer
	AskFollowUp(q, prev string, k int) knowledge.Answer
	Entry(id string) *knowledge.Entry
}

// QuestionLog records questions for the report, for 转人工, for "更多" and
// for the conversation's next message (store.Store).
type QuestionLog interface {
	RecordQuestion(ctx context.Context, q store.Question) error
	Conversation(ctx context.Context, openid string) (store.Conversation, error)
	More(ctx context.Context, openid string) (question string, next int, ok bool, err error)
	SetMore(ctx context.Context, openid, question string, next int) error
}

// Answerer is the text handler of last resort: statute lookups and
// plain-language questions go to the knowledge base. A confident answer
// gives the conclusion, the article it rests on and what to do next; a
// close but unsure one offers numbered readings; otherwise it says so and
// offers a person. Every reply fits WeChat's limit.
type Answerer struct {
	KB     Asker
	Log    QuestionLog
	Logger *slog.Logger
	Now    func() time.Time
}

const (
	// answerHits is how many hits a question keeps for "更多" paging.
	answerHits = 9
	// pageHits is how many articles one reply shows.
	pageHits = 3

	disclaimer  = "以上内容仅供参考，不构成正式法律意见。需要帮助请回复“转人工”或拨打公共法律服务热线 12348。"
	moreHint    = "回复“更多”查看其他相关法条。"
	unsureIntro = "这个问题我暂时没有把握回答准确，建议您：\n· 回复“转人工”，由工作人员为您解答\n· 拨打公共法律服务热线 12348"
	noMore      = "没有更多相关内容了。您可以换个说法提问，或回复“转人工”由工作人员解答。"
	choicesHint = "回复数字即可。都不是？可以换个说法再问，或回复“转人工”由工作人员解答。"
	choiceHint  = "是的话回复 1，我把解答发给您。不是？可以换个说法再问，或回复“转人工”由工作人员解答。"
	readingHint = "理解得不对？可以换个说法再问，或回复“转人工”由工作人员解答。"
	noChoice    = "请直接输入您想问的问题，例如“离婚冷静期是多久”“老板拖欠工资怎么办”；需要人工帮助请回复“转人工”。"
)

// guessFloor is the confidence below which an unsure reply shows no "可能相关"
// article: at 0.2 it shares a word or two with the question and misleads.
const guessFloor = 0.7

// moreWords ask for the next page of the previous answer.
var moreWords = map[string]bool{"更多": true, "下一页": true, "more": true}

// choiceWords pick one of the numbered readings.
var choiceWords = map[string]int{
	"1": 1, "2": 2, "3": 3, "一": 1, "二": 2, "三": 3,
	"第一个": 1, "第二个": 2, "第三个": 3, "第1个": 1, "第2个": 2, "第3个": 3,
}

// yesWords confirm a single reading offered as 您是想问：“…”.
var yesWords = map[string]bool{"是": true, "是的": true, "是啊": true, "对": true, "对的": true, "对呀": true, "嗯": true, "嗯嗯": true}

// HandleText answers any non-empty text.
func (a *Answerer) HandleText(ctx context.Context, m *Message) (Reply, bool, error) {
	if m.Text == "" {
		return Reply{}, false, nil
	}
	if moreWords[m.Text] {
		return a.more(ctx, m), true, nil
	}
	conv, err := a.Log.Conversation(ctx, m.FromUserName)
	if err != nil {
		// Answer without context rather than not at all.
		a.logger().Warn("reading conversation", "err", err)
	}
	if len(conv.Choices) == 1 && yesWords[strings.TrimRight(m.Text, "。！!")] {
		if e := a.KB.Entry(conv.Choices[0]); e != nil {
			return a.answerEntry(ctx, m, e), true, nil
		}
	}
	if n, ok := choiceWords[m.Text]; ok {
		if n <= len(conv.Choices) {
			if e := a.KB.Entry(conv.Choices[n-1]); e != nil {
				return a.answerEntry(ctx, m, e), true, nil
			}
		}
		// A bare number with no readings pending is no question: searching
		// it would match whatever article mentions "1".
		return Reply{Text: noChoice}, true, nil
	}
	var ans knowledge.Answer
	followUp := conv.Question != "" && isFollowUp(m.Text)
	if followUp {
		ans = a.KB.AskFollowUp(m.Content, conv.Question, answerHits)
	} else {
		ans = a.KB.Ask(m.Content, answerHits)
	}
	text, next := composeAnswer(ans)
	// An answer on a reading counts as unsure in the figures (the bot was
	// not sure what was asked).
	q := store.Question{OpenID: m.FromUserName, Text: m.Content, At: a.now(), Answered: ans.Confident, Topic: topic(ans), Next: next,
		FollowUp: followUp}
	if (ans.Confident || ans.Reading) && len(ans.Hits) > 0 && ans.Hits[0].Kind == knowledge.HitEntry {
		q.GotEntry = true
	}
	// An answer on a reading offers the others as 2 and 3; with none to
	// offer, nothing is pending, and a "是的" is not taken to ask again.
	if !ans.Reading || len(ans.Choices) > 1 {
		for _, e := range ans.Choices {
			q.Choices = append(q.Choices, e.ID)
		}
	}
	if err := a.Log.RecordQuestion(ctx, q); err != nil {
		// The answer still goes out; only the count and 转人工's context are lost.
		a.logger().Warn("question not recorded", "err", err)
	}
	return Reply{Text: text}, true, nil
}

// answerEntry answers with the reading a resident picked by number.
func (a *Answerer) answerEntry(ctx context.Context, m *Message, e *knowledge.Entry) Reply {
	ans := knowledge.Answer{Query: e.Question, Confident: true, Confidence: 1,
		Hits: []knowledge.Hit{{Kind: knowledge.HitEntry, Entry: e, Confidence: 1}}}
	text, _ := composeAnswer(ans)
	q := store.Question{OpenID: m.FromUserName, Text: e.Question, At: a.now(), Answered: true, Topic: topic(ans), GotEntry: true, Picked: true}
	if err := a.Log.RecordQuestion(ctx, q); err != nil {
		a.logger().Warn("question not recorded", "err", err)
	}
	return Reply{Text: text}
}

// followUpStarts and followUpEnds mark a short message that leans on the
// previous answer: "那孩子呢", "如果没签合同呢", "还有呢".
var (
	followUpStarts = []string{"那", "那么", "还有", "如果", "要是", "假如", "那要是", "那如果", "另外"}
	followUpEnds   = []string{"呢", "呢?", "呢？"}
)

// maxFollowUpRunes is the longest message read as a follow-up: a longer one
// carries its own context.
const maxFollowUpRunes = 12

func isFollowUp(text string) bool {
	if len([]rune(text)) > maxFollowUpRunes {
		return false
	}
	for _, p := range followUpStarts {
		if strings.HasPrefix(text, p) {
			return true
		}
	}
	for _, s := range followUpEnds {
		if strings.HasSuffix(text, s) {
			return true
		}
	}
	return false
}

func (a *Answerer) more(ctx context.Context, m *Message) Reply {
	q, next, ok, err := a.Log.More(ctx, m.FromUserName)
	if err != nil {
		a.logger().Warn("reading more cursor", "err", err)
		return Reply{Text: "抱歉，暂时无法读取上一个问题，请重新提问。"}
	}
	if !ok {
		return Reply{Text: noMore}
	}
	ans := a.KB.Ask(q, answerHits)
	text, after := composePage(ans.Hits, next)
	if err := a.Log.SetMore(ctx, m.FromUserName, q, after); err != nil {
		a.logger().Warn("moving more cursor", "err", err)
	}
	return Reply{Text: text}
}

func (a *Answerer) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

func (a *Answerer) logger() *slog.Logger {
	if a.Logger != nil {
		return a.Logger
	}
	return slog.Default()
}

// topic names what a question was about, for the daily top topics.
func topic(ans knowledge.Answer) string {
	switch {
	case ans.Lookup != nil && ans.Lookup.Article != nil:
		return ans.Lookup.Article.Law.ShortName
	case len(ans.Hits) == 0 || !ans.Confident:
		return ""
	case ans.Hits[0].Kind == knowledge.HitEntry:
		e := ans.Hits[0].Entry
		if e.Topic != "" {
			return e.Topic + "·" + e.Question
		}
		return "FAQ·" + e.Question
	default:
		art := ans.Hits[0].Article
		if len(art.Headings) > 0 {
			return art.Law.ShortName + "·" + art.Headings[0]
		}
		return art.Law.ShortName
	}
}

// ReplyText is the reply a resident gets for an answer, for staff tools
// that show it (`pufa kb ask --reply`).
func ReplyText(ans knowledge.Answer) string {
	text, _ := composeAnswer(ans)
	return text
}

// composeAnswer renders an answer and returns the offset of the first hit
// left for "更多" (0 when none is left).
func composeAnswer(ans knowledge.Answer) (string, int) {
	switch {
	case ans.Lookup != nil:
		return composeLookup(*ans.Lookup), 0
	case len(ans.Hits) == 0:
		return unsureIntro, 0
	case !ans.Confident && ans.Reading:
		return composeReading(ans.Choices), 0
	case !ans.Confident && len(ans.Choices) > 0:
		return composeChoices(ans.Choices), 0
	case !ans.Confident:
		// Show the best guess briefly, clearly marked as uncertain, unless it
		// is too weak to be worth a resident's reading.
		var b replyBuilder
		b.add(unsureIntro)
		if art := ans.Hits[0].FirstCitation(); art != nil && ans.Hits[0].Confidence >= guessFloor {
			b.add("\n\n可能相关：" + art.Citation() + "\n")
			b.addExcerpt(art.Text, 200)
		}
		return b.String(), 0
	}
	first := ans.Hits[0]
	if first.Kind != knowledge.HitEntry {
		return composePage(ans.Hits, 0)
	}
	next := 0
	if len(ans.Hits) > 1 {
		next = 1
	}
	return composeEntry(first.Entry, first.Citations(), entryFrame{more: next > 0}), next
}

// entryFrame is what surrounds an entry's answer in a reply.
type entryFrame struct {
	// head opens the reply; "" heads it with the entry's question.
	head string
	// offer closes the answer: the other readings, or how to say it is not
	// the question asked.
	offer string
	// more adds the "更多" hint.
	more bool
}

// composeReading answers an unsure question on its likely reading,
// choices[0], saying that it is a reading and offering the others by
// number, so a resident gets the answer at once and one reply corrects a
// misreading.
func composeReading(choices []*knowledge.Entry) string {
	e := choices[0]
	frame := entryFrame{head: "我理解您问的是：“" + e.Question + "”先按这个意思回答您：\n\n", offer: readingHint}
	if len(choices) > 1 {
		var b strings.Builder
		b.WriteString("理解得不对？您也可能想问：")
		for i, c := range choices[1:] {
			b.WriteString("\n" + strconv.Itoa(i+2) + ". " + c.Question)
		}
		b.WriteString("\n" + choicesHint)
		frame.offer = b.String()
	}
	return composeEntry(e, e.Cites, frame)
}

// composeEntry renders an answer entry as a resident reads it: the plain
// answer, the article it rests on with its key sentence and version, what to
// do next, any warning about the text's version, and one line of disclaimer.
//
// cites are the entry's citations in the order this question wants them.
func composeEntry(e *knowledge.Entry, cites []knowledge.Citation, frame entryFrame) string {
	// The question answered heads the reply, so a resident can tell at once
	// when it is not the one they asked.
	head := frame.head
	if head == "" {
		head = "【" + e.Question + "】\n"
	}
	var tail strings.Builder
	if frame.offer != "" {
		tail.WriteString("\n\n" + frame.offer + "\n")
	}
	for _, note := range staleNotes(e) {
		tail.WriteString("\n" + note)
	}
	if frame.more {
		tail.WriteString("\n" + moreHint)
	}
	tail.WriteString("\n" + disclaimer)

	var basis, quote, seeAlso string
	if len(cites) > 0 {
		main := cites[0]
		basis = "\n\n依据：" + main.Article.Citation() + versionNote(main.Article)
		if main.Quote != "" {
			quote = "\n“" + main.Quote + "”"
		}
		// An entry may quote one article twice; each is named once.
		var others []*knowledge.Article
		for _, c := range cites[1:] {
			if c.Article != main.Article && !slices.Contains(others, c.Article) {
				others = append(others, c.Article)
			}
		}
		if len(others) > 0 {
			seeAlso = "\n另见：" + citations(others)
		}
	}
	next, nextHead := strings.TrimSpace(e.Next), ""
	if next != "" {
		nextHead = "\n\n怎么办：\n"
	}
	// The head, the articles' names, the offer and the disclaimer always
	// go out whole. The answer, the quote and the steps share what is left,
	// in that order, each of the later ones keeping a little room.
	room := maxReplyBytes - len(head) - len(basis) - len(seeAlso) - len(nextHead) - tail.Len()
	answer := clipTo(strings.TrimSpace(e.Answer), room-min(len(quote), quoteRoom)-min(len(next), nextRoom))
	room -= len(answer)
	quote = clipTo(quote, room-min(len(next), nextRoom))
	room -= len(quote)
	return head + answer + basis + quote + seeAlso + nextHead + clipTo(next, room) + tail.String()
}

// quoteRoom and nextRoom are the bytes a long answer leaves the key
// sentence and the steps at least: about 80 characters each.
const (
	quoteRoom = 240
	nextRoom  = 240
)

// clipTo cuts s to at most n bytes, to nothing when n leaves no room for
// more than the cut mark.
func clipTo(s string, n int) string {
	if n < 30 {
		if len(s) <= max(n, 0) {
			return s
		}
		return ""
	}
	return clip.Bytes(s, n)
}

// composeChoices offers the likely readings of an unclear question; a
// single reading is asked about, not numbered.
func composeChoices(choices []*knowledge.Entry) string {
	var b replyBuilder
	if len(choices) == 1 {
		b.add("您是想问：“" + choices[0].Question + "”\n" + choiceHint)
		return b.String()
	}
	b.add("您是想问：")
	for i, e := range choices {
		b.add("\n" + strconv.Itoa(i+1) + ". " + e.Question)
	}
	b.add("\n" + choicesHint)
	return b.String()
}

// versionNote is the version date shown after a citation, e.g. （2012-12-28版）.
func versionNote(a *knowledge.Article) string {
	if v := a.Law.Version; v != "" {
		return "（" + v + "版）"
	}
	return ""
}

// staleNotes are the warnings of the cited laws known to be revised since.
func staleNotes(e *knowledge.Entry) []string {
	var out []string
	for _, c := range e.Cites {
		if n := c.Article.Law.Note; n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// composePage renders up to pageHits hits from offset, each with its
// citation, and returns the offset after them (0 when nothing is left).
func composePage(hits []knowledge.Hit, offset int) (string, int) {
	if offset >= len(hits) {
		return noMore, 0
	}
	end := min(offset+pageHits, len(hits))
	page := hits[offset:end]
	next := end
	if end >= len(hits) {
		next = 0
	}
	var b replyBuilder
	b.add("以下内容与您的问题相关：")
	footer := "\n" + disclaimer
	if next > 0 {
		footer = "\n" + moreHint + footer
	}
	for i, h := range page {
		b.add("\n\n" + strconv.Itoa(offset+i+1) + ". ")
		if h.Kind == knowledge.HitEntry {
			b.add("【" + h.Entry.Question + "】\n")
			b.addExcerpt(h.Entry.Answer, b.share(len(page)-i, len(footer)))
			continue
		}
		b.add(h.Article.Citation() + versionNote(h.Article) + "\n")
		b.addExcerpt(h.Article.Text, b.share(len(page)-i, len(footer)))
	}
	b.add(footer)
	return b.String(), next
}

func composeLookup(res knowledge.LookupResult) string {
	if res.Article == nil {
		msg := res.Message
		if len(res.Laws) > 0 {
			msg += "\n目前可查询：" + strings.Join(shortNames(res.Laws), "、")
		}
		return clip.Bytes(msg, maxReplyBytes)
	}
	art := res.Article
	var b replyBuilder
	b.add(art.Citation() + "\n")
	tail := ""
	if v := art.Law.Version; v != "" {
		tail = "\n（文本版本：" + v + "）"
	}
	if art.Law.Note != "" {
		tail += "\n" + art.Law.Note
	}
	b.addExcerpt(art.Text, maxReplyBytes-b.Len()-len(tail))
	b.add(tail)
	return b.String()
}

func shortNames(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = strings.TrimPrefix(n, "中华人民共和国")
	}
	return out
}

func citations(arts []*knowledge.Article) string {
	// Articles of one law are named after it once, in the order the law
	// first comes: 《…婚姻家庭编的解释（一）》第二条、第八十六条 reads, the
	// long name three times does not.
	var laws []*knowledge.Law
	byLaw := make(map[*knowledge.Law][]*knowledge.Article)
	for _, a := range arts {
		if _, ok := byLaw[a.Law]; !ok {
			laws = append(laws, a.Law)
		}
		byLaw[a.Law] = append(byLaw[a.Law], a)
	}
	cs := make([]string, len(laws))
	for i, l := range laws {
		as := byLaw[l]
		slices.SortStableFunc(as, func(x, y *knowledge.Article) int {
			return cmp.Or(cmp.Compare(x.Number, y.Number), cmp.Compare(x.Sub, y.Sub))
		})
		nums := make([]string, len(as))
		for j, a := range as {
			nums[j] = a.NumberCN()
		}
		cs[i] = "《" + l.Name + "》" + strings.Join(nums, "、")
	}
	return strings.Join(cs, "；")
}

// replyBuilder assembles a reply within WeChat's byte limit.
type replyBuilder struct{ strings.Builder }

// add appends s if it fits; text that would overflow is cut with a mark.
func (b *replyBuilder) add(s string) {
	room := maxReplyBytes - b.Len()
	if room <= 0 {
		return
	}
	b.WriteString(clip.Bytes(s, room))
}

// addExcerpt appends text cut to at most max bytes.
func (b *replyBuilder) addExcerpt(text string, max int) {
	if max < 30 {
		max = 30
	}
	b.add(clip.Bytes(strings.TrimSpace(text), max))
}

// share splits the room left, after reserving reserve bytes, among parts.
func (b *replyBuilder) share(parts, reserve int) int {
	room := maxReplyBytes - b.Len() - reserve - 80*parts // headers of the parts to come
	return room / parts
}
