package quiz

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/pufa-dev/pufa/chinatime"
	"github.com/pufa-dev/pufa/store"
)

// maxReplyBytes is WeChat's limit for a text reply.
const maxReplyBytes = 2048

// Resident-facing texts.
const (
	textUnavailable = "抱歉，答题服务暂时不可用，请稍后再回复“答题”。"
	textNoQuiz      = "当前没有进行中的答题活动。"
	textLeft        = "已暂停答题，进度已保存。回复“答题”可从第%d题继续。"
	textLeftNone    = "已退出答题。回复“答题”可重新开始。"
	textNotCounted  = "没有看懂您的回复，未计入答案。"
	textStale       = "第%d题已经作答，同一题只记录第一次回答。"
	textRepeat      = "您对第%d题的回答已记录，重复的回复不再计分。"
	textOver        = "本轮答题已结束。回复“答题”查看成绩，回复“排行”查看排行榜。"
	textClosed      = "“%s”已于%s结束，感谢参与！结束后的回答不计入成绩。回复“排行”查看最终排名。"
	textBankChanged = "抱歉，题库已更新，本题已不存在。请回复“退出”后再回复“答题”重新开始。"
	textRankHint    = "回复“排行”查看排行榜。"
)

func kindName(k Kind) string {
	switch k {
	case Multiple:
		return "多选题"
	case TrueFalse:
		return "判断题"
	}
	return "单选题"
}

func kindHint(k Kind) string {
	switch k {
	case Multiple:
		return "请回复全部正确选项的字母，如“AC”。"
	case TrueFalse:
		return "请回复“对”或“错”。"
	}
	return "请回复一个选项字母，如“A”。"
}

// renderQuestion is a question with its options and how to answer.
func renderQuestion(q *Question) string {
	var b strings.Builder
	b.WriteString(q.Text)
	for i, o := range q.Options {
		fmt.Fprintf(&b, "\n%c. %s", 'A'+i, o)
	}
	b.WriteString("\n" + kindHint(q.Kind) + "回复“退出”可暂停答题。")
	return b.String()
}

// questionAt renders question pos of an attempt with its header.
func questionAt(qz *Quiz, q *Question, pos, total int) string {
	return fmt.Sprintf("【%s】第%d/%d题（%s）\n%s", qz.Title, pos+1, total, kindName(q.Kind), renderQuestion(q))
}

// answerText shows an answer as residents see it: "A（人民）", "对".
func answerText(q *Question, ans string) string {
	if q.Kind == TrueFalse {
		if ans == True {
			return "对"
		}
		return "错"
	}
	if q.Kind == Single && len(ans) == 1 {
		if i := int(ans[0] - 'A'); i >= 0 && i < len(q.Options) {
			return ans + "（" + q.Options[i] + "）"
		}
	}
	return ans
}

// feedback tells right or wrong, with the explanation and the citation.
func feedback(q *Question, right bool) string {
	head := "✅ 回答正确！"
	if !right {
		head = "❌ 回答错误。正确答案：" + answerText(q, q.Answer)
	}
	return head + "\n解析：" + q.Explanation + "\n依据：" + q.Citation
}

// score is right answers as points out of 100.
func score(right, total int) int {
	if total <= 0 {
		return 0
	}
	return int(math.Round(float64(right) * 100 / float64(total)))
}

func grade(points int) string {
	switch {
	case points >= 90:
		return "优秀"
	case points >= 60:
		return "合格"
	}
	return "参与"
}

// certificate is the short certificate text at the end of an attempt.
func certificate(qz *Quiz, right, total int, at time.Time) string {
	points := score(right, total)
	g := grade(points)
	var b strings.Builder
	b.WriteString("【答题证书】\n")
	fmt.Fprintf(&b, "兹证明您于%s参加“%s”，答对%d/%d题，成绩%d分，", at.In(chinatime.Zone).Format("2006年1月2日"), qz.Title, right, total, points)
	if g == "参与" {
		b.WriteString("特发此证，感谢您的参与！欢迎继续学法、知法。")
	} else {
		fmt.Fprintf(&b, "评定为“%s”。特发此证，感谢您尊法、学法、守法、用法！", g)
	}
	b.WriteString("\n——" + qz.Issuer)
	return b.String()
}

// residentLabel names a resident on the leaderboard without revealing the
// openid: the last four characters (never more than half of it) are enough
// to find oneself.
func residentLabel(openid string) string {
	r := []rune(openid)
	return "居民（尾号" + string(r[len(r)-min(4, len(r)/2):]) + "）"
}

func fmtWhen(t time.Time) string { return t.In(chinatime.Zone).Format("1月2日 15:04") }

// leaderboardText renders the top entries, the resident's own place and,
// when known, their community's place in participation.
func leaderboardText(qz *Quiz, top []store.QuizEntry, openid string, own store.QuizEntry, ranked bool, total int, community string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "【%s】排行榜\n", qz.Title)
	if len(top) == 0 {
		b.WriteString("还没有人完成答题，快来争当第一名！回复“答题”参加。")
		return b.String()
	}
	for _, e := range top {
		me := ""
		if e.OpenID == openid {
			me = " ← 您"
		}
		fmt.Fprintf(&b, "%d. %s 答对%d/%d题 %s%s\n", e.Rank, residentLabel(e.OpenID), e.Correct, qz.Questions, fmtWhen(e.Finished), me)
	}
	b.WriteString("（同分时先完成者在前）\n")
	if ranked {
		fmt.Fprintf(&b, "您的最好成绩：答对%d/%d题，排名第%d（共%d人完成）。", own.Correct, qz.Questions, own.Rank, total)
	} else {
		fmt.Fprintf(&b, "您还没有完成答题（已有%d人完成），回复“答题”参加。", total)
	}
	if community != "" {
		b.WriteString("\n" + community)
	}
	return b.String()
}
