package console

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/pufa-dev/pufa/campaigns"
	"github.com/pufa-dev/pufa/chinatime"
	"github.com/pufa-dev/pufa/validation"
)

// Choice is one option of a select: the value sent and the label shown.
type Choice struct {
	Value, Label string
}

// channelChoices are the channels the form offers, in order: the article
// channels first, as a clerk used to the MP backend starts there.
var channelChoices = []Choice{
	{string(campaigns.ChannelArticle), "群发图文"},
	{string(campaigns.ChannelPublish), "发布图文（不推送）"},
	{string(campaigns.ChannelMass), "群发消息"},
	{string(campaigns.ChannelTemplate), "模板消息"},
	{string(campaigns.ChannelNotice), "订阅通知"},
	{string(campaigns.ChannelCustom), "客服消息（仅48小时内互动过的关注者）"},
}

// channelHelp says what each channel of the form does, for the clerk
// choosing one.
var channelHelp = []Choice{
	{string(campaigns.ChannelArticle), "群发图文：把所选图文推送到关注者的聊天列表，占用群发次数（服务号每位关注者每月 4 次，订阅号每天 1 次）。发送后次日可在本页看到阅读量。"},
	{string(campaigns.ChannelPublish), "发布图文：发布到公众号的发表记录，可被打开和转发，但不推送到关注者的聊天列表，也不占用群发次数。pufa 只能取到群发图文的阅读数据，发布的图文请在公众平台查看阅读量。接收对象请选“全部关注者”。"},
	{string(campaigns.ChannelMass), "群发消息：群发一段文字，或公众平台里已有图文的素材编号；占用群发次数。"},
	{string(campaigns.ChannelTemplate), "模板消息：逐人发送（已认证服务号）。按微信现行规则只填关键词字段，不再有 first、remark，每个字段有长度限制。"},
	{string(campaigns.ChannelNotice), "订阅通知：只有订阅了该模板的居民能收到，未订阅的会被微信拒绝并记为失败。字段规则同模板消息，“点击跳转链接”为打开的网页。"},
	{string(campaigns.ChannelCustom), "客服消息：只能发给 48 小时内与公众号互动过的关注者。"},
}

// channelLabel names a channel for staff: the channel table's label.
func channelLabel(c campaigns.Channel) string { return c.Label() }

// auditActions name every action string written to the audit log.
var auditActions = map[string]string{
	"login":                    "登录",
	"logout":                   "退出登录",
	"account.put":              "设置账号",
	"account.delete":           "删除账号",
	"account.unlock":           "解除登录限制",
	"campaign.create":          "新建活动",
	"campaign.edit":            "修改活动",
	"campaign.import":          "导入活动",
	"campaign.approve":         "审核通过",
	"campaign.pause":           "暂停活动",
	"campaign.resume":          "恢复活动",
	"campaign.cancel":          "取消活动",
	"campaign.preview":         "发送预览",
	"campaign.send":            "开始推送",
	"ledger.add":               "登记台账",
	"ledger.edit":              "修改台账",
	"consultation.status":      "更新咨询状态",
	"preview_recipient.add":    "登记预览接收人",
	"preview_recipient.remove": "移除预览接收人",
	"preview_recipient.bind":   "微信绑定预览接收人",
	"bank.edit":                "修改问答",
	"bank.create":              "新增问答",
	"bank.review":              "审核问答",
	"bank.disable":             "停用问答",
	"bank.enable":              "启用问答",
	"case.reply":               "回复咨询",
	"case.call":                "记录电话回复",
	"case.status":              "改变咨询状态",
	"case.assign":              "指派咨询",
	"case.category":            "咨询分类",
	"case.handoff":             "咨询转出",
	"article.create":           "新建图文",
	"article.edit":             "修改图文",
	"article.image":            "上传图片",
	"article.sync":             "同步到草稿箱",
	"article.preview":          "图文预览",
	"community.create":         "新建社区",
	"community.edit":           "修改社区",
	"community.import":         "导入社区",
	"community.poster":         "下载二维码海报",
	"dispute.add":              "登记矛盾纠纷",
	"dispute.edit":             "修改矛盾纠纷",
	"legal_aid.add":            "登记法律援助转介",
	"legal_aid.edit":           "修改法律援助转介",
	"quiz.certificates":        "导出答题证书名单",
}

func auditLabel(action string) string {
	if l, ok := auditActions[action]; ok {
		return l
	}
	return "其他操作"
}

// eventLabels say what a state change was, for the timeline.
var eventLabels = map[campaigns.Event]string{
	campaigns.EvApprove:  "审核通过",
	campaigns.EvEdit:     "修改了内容，退回草稿",
	campaigns.EvSchedule: "排入推送计划",
	campaigns.EvStart:    "开始推送",
	campaigns.EvComplete: "本期推送完成",
	campaigns.EvFinish:   "活动结束",
	campaigns.EvPause:    "暂停",
	campaigns.EvResume:   "恢复",
	campaigns.EvCancel:   "取消",
	campaigns.EvMiss:     "错过发送时间",
}

// timeline renders the state log ("unix|from|to|event|by|note") as
// sentences: "11月28日 10:02 张三 审核通过".
func timeline(log []string) []string {
	out := make([]string, 0, len(log))
	for _, l := range log {
		f := strings.SplitN(l, "|", 6)
		if len(f) < 5 {
			continue
		}
		unix, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			continue
		}
		when := time.Unix(unix, 0).In(chinatime.Zone).Format("1月2日 15:04")
		by := f[4]
		switch by {
		case "pufa", "scheduler", "":
			by = "系统"
		}
		what, ok := eventLabels[campaigns.Event(f[3])]
		if !ok {
			what = "状态变为" + campaigns.State(f[2]).Label()
		}
		s := when + " " + by + " " + what
		if len(f) == 6 {
			if note := noteLabel(f[5]); note != "" {
				s += "（" + note + "）"
			}
		}
		out = append(out, s)
	}
	return out
}

// noteLabel keeps a note that is already Chinese (a pause reason typed by
// staff) and drops the machine's English ones (hashes, internal reasons).
func noteLabel(note string) string {
	if note == "" || !hasHan(note) {
		return ""
	}
	return note
}

func hasHan(s string) bool {
	for _, r := range s {
		if r >= 0x4e00 && r <= 0x9fff {
			return true
		}
	}
	return false
}

// Action is a lifecycle button of the campaign page.
type Action struct {
	Name, Label string
	Approver    bool // only approvers may
	Danger      bool
}

// lifecycleActions in the order shown, with the event each asks for.
var lifecycleActions = []struct {
	Action
	ev campaigns.Event
}{
	{Action{"approve", "审核通过", true, false}, campaigns.EvApprove},
	{Action{"resume", "恢复", true, false}, campaigns.EvResume},
	{Action{"pause", "暂停", false, false}, campaigns.EvPause},
	{Action{"cancel", "取消活动", true, true}, campaigns.EvCancel},
}

// allowedActions are the buttons the state machine allows in state st for
// a user who is (or is not) an approver.
func allowedActions(st campaigns.State, approver bool) []Action {
	var out []Action
	for _, a := range lifecycleActions {
		if a.Approver && !approver {
			continue
		}
		// The state machine lets an approved campaign be approved again
		// (recording the newer approver); a clerk sees 审核通过 only where
		// it changes the state.
		if to, err := campaigns.Transition(st, a.ev); err == nil && (to != st || a.ev != campaigns.EvApprove) {
			out = append(out, a.Action)
		}
	}
	return out
}

// wechatErrors say what a clerk should do about WeChat's common errcodes.
var wechatErrors = map[int]string{
	-1:    "微信系统繁忙，请稍后再试",
	40001: "公众号凭证（AppSecret）无效或已过期，请联系技术人员检查配置",
	40003: "接收人 openid 无效：请确认对方关注的是本公众号，或让其重新绑定",
	40007: "图文素材编号（media_id）无效：请在公众平台素材库中核对，或重新选择图文",
	40014: "公众号凭证无效，请联系技术人员检查配置",
	40037: "模板ID无效：请在公众平台“模板消息”中核对模板ID",
	40130: "按 openid 群发至少需要 2 位接收人",
	42001: "公众号凭证已过期，系统会自动更新；如持续出现请联系技术人员",
	43019: "对方已将公众号拉黑，无法发送",
	43101: "对方未订阅该通知模板（或已拒收），订阅通知发不出去",
	44004: "发送内容为空，请填写正文",
	41030: "模板消息的跳转页面无效",
	43004: "对方未关注本公众号，无法发送；请其先关注",
	45009: "今日接口调用次数已超过限制，请明天再试或联系技术人员",
	45011: "发送过于频繁，请稍后再试",
	45015: "对方超过48小时未与公众号互动，客服消息发不出去；请改用群发或模板消息",
	45028: "本月群发配额已用完，请下月再发或改用其他渠道",
	45047: "客服消息下行条数超过上限，请等待对方再次互动",
	45065: "相同内容24小时内已群发过，不会重复发送",
	45066: "重复发送过快，请1分钟后再试",
	45067: "群发编号过长，请联系技术人员",
	47001: "发送内容格式有误，请检查正文或模板字段",
	48003: "公众号尚未同意群发协议：请管理员在公众平台“群发功能”中同意后再发",
	47003: "模板参数不准确：请核对模板字段名和每项内容的长度",
	48001: "公众号未获得该接口权限（如未认证），请联系管理员",
	50005: "对方已取消关注或未关注本公众号",
}

var errcodeRe = regexp.MustCompile(`errcode[=: ]+(-?\d+)`)

// wechatError rewrites a WeChat errcode in an error text as what the clerk
// should do; other text is returned as is.
func wechatError(text string) string {
	m := errcodeRe.FindStringSubmatch(text)
	if m == nil {
		return text
	}
	code, _ := strconv.Atoi(m[1])
	if l, ok := wechatErrors[code]; ok {
		return fmt.Sprintf("%s（微信错误码 %d）", l, code)
	}
	return fmt.Sprintf("微信返回错误（错误码 %d），请联系技术人员", code)
}

// actionError tells staff why a lifecycle action was refused, in Chinese.
func actionError(err error) string {
	switch {
	case errors.Is(err, campaigns.ErrTransition):
		return "当前状态不允许此操作，请刷新页面"
	case errors.Is(err, campaigns.ErrConflict):
		return "活动状态刚刚变化，请刷新页面后重试"
	case errors.Is(err, campaigns.ErrNotFound):
		return "没有这个活动"
	}
	if text := err.Error(); errcodeRe.MatchString(text) {
		return wechatError(text)
	}
	return "请稍后再试；如仍失败，请联系技术人员"
}

// definitionProblems tells staff, in Chinese, which stored definitions or
// files of campaigns.dir are invalid or were not applied; files are named
// by their base name only, never by the server's directories.
func definitionProblems(err error) string {
	var list []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		list = j.Unwrap()
	} else {
		list = []error{err}
	}
	var out []string
	for _, e := range list {
		var fe *validation.Problem
		if !errors.As(e, &fe) {
			out = append(out, "活动文件读取失败")
			continue
		}
		for _, msgs := range campaigns.FieldErrorsZh(fe) {
			for _, m := range msgs {
				out = append(out, filepath.Base(fe.File)+"："+m)
			}
		}
	}
	return strings.Join(out, "；")
}
