package report

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/pufa-dev/pufa/ledger"
)

// Paragraph writes the figures in the style of a street office's annual
// report, ready to paste. Figures that are zero are left out; a period with
// nothing recorded gets a sentence that says so.
func Paragraph(r Report) string {
	t := r.Totals
	var parts []string
	add := func(cond bool, format string, args ...any) {
		if cond {
			parts = append(parts, fmt.Sprintf(format, args...))
		}
	}
	if t.Activities > 0 {
		s := fmt.Sprintf("累计开展各种法治宣传活动%d场", t.Activities)
		if t.ActivityParticipants > 0 {
			s += fmt.Sprintf("、覆盖群众%d人次", t.ActivityParticipants)
		}
		parts = append(parts, s)
	}
	add(t.Lectures > 0, "举办法治讲座%d场", t.Lectures)
	add(t.Banners > 0, "悬挂宣传横幅%d条", t.Banners)
	add(t.LEDSlogans > 0, "LED 屏滚动播放法治标语%d条", t.LEDSlogans)
	add(t.SMSTotal() > 0, "发送普法短信%d条", t.SMSTotal())
	add(t.Materials > 0, "发放宣传资料%d份", t.Materials)
	if t.Trainings > 0 {
		s := fmt.Sprintf("开展法治培训%d场", t.Trainings)
		if t.TrainingParticipants > 0 {
			s += fmt.Sprintf("、培训%d人次", t.TrainingParticipants)
		}
		parts = append(parts, s)
	}
	if t.Pushes > 0 {
		s := fmt.Sprintf("线上推送法治宣传信息%d期", t.Pushes)
		if t.Reach > 0 {
			s += fmt.Sprintf("、触达%d人次", t.Reach)
		}
		parts = append(parts, s)
	}
	if t.Quizzes > 0 {
		s := fmt.Sprintf("组织网上法律知识答题%d场", t.Quizzes)
		if t.QuizParticipants > 0 {
			s += fmt.Sprintf("、参与%d人次", t.QuizParticipants)
		}
		if t.QuizAnswers > 0 {
			s += "、平均正确率" + Percent(t.QuizAccuracy)
		}
		parts = append(parts, s)
	}
	add(t.Answered > 0, "通过公众号智能解答群众法律问题%d个", t.Answered)
	add(t.ConsultationsTotal() > 0, "接待群众法律咨询%d人次", t.ConsultationsTotal())
	if t.Disputes > 0 {
		// As offices write it: 排查调处矛盾纠纷85件、调解成功85件、涉及金额64余万元.
		s := fmt.Sprintf("排查调处矛盾纠纷%d件", t.Disputes)
		if t.DisputesResolved > 0 {
			s += fmt.Sprintf("、调解成功%d件", t.DisputesResolved)
		}
		if t.DisputeAmountFen > 0 {
			s += "、涉及金额" + ledger.FormatAmount(t.DisputeAmountFen)
		}
		parts = append(parts, s)
	}
	add(t.Mediations > 0, "调解矛盾纠纷%d件", t.Mediations)
	add(t.LegalAid > 0, "办理法律援助%d件", t.LegalAid)
	if len(parts) == 0 {
		return periodPhrase(r.From, r.To) + "暂无法治宣传统计数据。"
	}
	return periodPhrase(r.From, r.To) + strings.Join(parts, "，") + "。"
}

// periodPhrase is "今年以来" for a year counted from 1 January, else the dates.
func periodPhrase(from, to string) string {
	if len(from) == 10 && len(to) == 10 && from[:4] == to[:4] && from[5:] == "01-01" {
		return "今年以来"
	}
	return chineseDate(from) + "至" + chineseDate(to) + "，"
}

func chineseDate(d string) string {
	if len(d) != 10 {
		return d
	}
	m, _ := strconv.Atoi(d[5:7])
	day, _ := strconv.Atoi(d[8:10])
	return fmt.Sprintf("%s年%d月%d日", d[:4], m, day)
}

// Percent formats a percentage with one decimal, without a trailing ".0".
func Percent(p float64) string {
	s := strconv.FormatFloat(p, 'f', 1, 64)
	return strings.TrimSuffix(s, ".0") + "%"
}
