package bot

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/pufa-dev/pufa/knowledge"
	"github.com/pufa-dev/pufa/store"
)

// Asker answers questions from the law corpus and the office FAQ
// (knowledge.Base).
type Asker interface {
	Ask(q string, k int) knowledge.Answer
}

// QuestionLog records questions for the report, for 转人工 and for "更多"
// (store.Store).
type QuestionLog interface {
	RecordQuestion(ctx context.Context, q store.Question) error
	More(ctx context.Context, openid string) (question string, next int, ok bool, err error)
	SetMore(ctx context.Context, openid, question string, next int) error
}

// Answerer is the text handler of last resort: statute lookups and
// plain-language questions go to the knowledge base, and the answer always
// cites the law, fits WeChat's limit and says how to reach a person.
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
)

// moreWords ask for the next page of the previous answer.
var moreWords = map[string]bool{"更多": true, "下一页": true, "more": true}

// HandleText answers any non-empty text.
func (a *Answerer) HandleText(ctx context.Context, m *Message) (Reply, bool, error) {
	if m.Text == "" {
		return Reply{}, false, nil
	}
	if moreWords[m.Text] {
		return a.more(ctx, m), true, nil
	}
	ans := a.KB.Ask(m.Content, answerHits)
	text, next := composeAnswer(ans)
	q := store.Question{OpenID: m.FromUserName, Text: m.Content, At: a.now(), Answered: ans.Confident, Topic: topic(ans), Next: next}
	if err := a.Log.RecordQuestion(ctx, q); err != nil {
		// The answer still goes out; only the count and 转人工's context are lost.
		a.logger().Warn("question not recorded", "err", err)
	}
	return Reply{Text: text}, true, nil
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
	case ans.Hits[0].Kind == knowledge.HitFAQ:
		return "FAQ·" + ans.Hits[0].FAQ.Question
	default:
		art := ans.Hits[0].Article
		if len(art.Headings) > 0 {
			return art.Law.ShortName + "·" + art.Headings[0]
		}
		return art.Law.ShortName
	}
}

// composeAnswer renders an answer and returns the offset of the first hit
// left for "更多" (0 when none is left).
func composeAnswer(ans knowledge.Answer) (string, int) {
	if ans.Lookup != nil {
		return composeLookup(*ans.Lookup), 0
	}
	if len(ans.Hits) == 0 {
		return unsureIntro, 0
	}
	if !ans.Confident {
		// Show the best guess briefly, clearly marked as uncertain.
		var b replyBuilder
		b.add(unsureIntro)
		if h := ans.Hits[0]; h.Kind == knowledge.HitArticle {
			b.add("\n\n可能相关：" + h.Article.Citation() + "\n")
			b.addExcerpt(h.Article.Text, 200)
		}
		return b.String(), 0
	}
	if first := ans.Hits[0]; first.Kind == knowledge.HitFAQ {
		var b replyBuilder
		b.add("【" + first.FAQ.Question + "】\n")
		b.addExcerpt(first.FAQ.Answer, maxReplyBytes-600)
		if cites := citations(first.FAQ.Cites); cites != "" {
			b.add("\n依据：" + cites)
		}
		next := 0
		if len(ans.Hits) > 1 {
			next = 1
			b.add("\n" + moreHint)
		}
		b.add("\n" + disclaimer)
		return b.String(), next
	}
	return composePage(ans.Hits, 0)
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
	b.add("以下法条与您的问题相关：")
	footer := "\n" + disclaimer
	if next > 0 {
		footer = "\n" + moreHint + footer
	}
	for i, h := range page {
		b.add("\n\n" + strconv.Itoa(offset+i+1) + ". ")
		if h.Kind == knowledge.HitFAQ {
			b.add("【" + h.FAQ.Question + "】\n")
			b.addExcerpt(h.FAQ.Answer, b.share(len(page)-i, len(footer)))
			continue
		}
		b.add(h.Article.Citation() + "\n")
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
		return truncate(msg, maxReplyBytes)
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
	cs := make([]string, len(arts))
	for i, a := range arts {
		cs[i] = a.Citation()
	}
	return strings.Join(cs, "、")
}

// replyBuilder assembles a reply within WeChat's byte limit.
type replyBuilder struct{ strings.Builder }

// add appends s if it fits; text that would overflow is cut with a mark.
func (b *replyBuilder) add(s string) {
	room := maxReplyBytes - b.Len()
	if room <= 0 {
		return
	}
	b.WriteString(truncate(s, room))
}

// addExcerpt appends text cut to at most max bytes.
func (b *replyBuilder) addExcerpt(text string, max int) {
	if max < 30 {
		max = 30
	}
	b.add(truncate(strings.TrimSpace(text), max))
}

// share splits the room left, after reserving reserve bytes, among parts.
func (b *replyBuilder) share(parts, reserve int) int {
	room := maxReplyBytes - b.Len() - reserve - 80*parts // headers of the parts to come
	return room / parts
}
