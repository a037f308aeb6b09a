// Package cases is the work on a resident's 转人工: a case a clerk assigns,
// categorises, answers from the console within WeChat's 48-hour window (or
// by a recorded phone call), closes or hands over to mediation or legal aid.
// Every change goes through the transition table here and into the audit
// log; the records are the store's (store.Consultation).
package cases

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pufa-dev/pufa/store"
	"github.com/pufa-dev/pufa/wechat"
)

// ReplyWindow is how long after a resident's last message or event WeChat
// lets the account send them customer-service messages.
const ReplyWindow = 48 * time.Hour

// DefaultSLA is how long a case may wait for an answer before it is
// overdue when console.case_sla is not set.
const DefaultSLA = 24 * time.Hour

// MaxReplyRunes bounds a reply or a call summary, as the store bounds
// every message of a case.
const MaxReplyRunes = store.ConsultMaxRunes

// Categories a clerk files a case under.
var Categories = []string{"婚姻家庭", "劳动用工", "借贷合同", "房屋物业", "交通事故", "邻里纠纷", "消费维权", "其他"}

// ValidCategory reports whether c is one of Categories.
func ValidCategory(c string) bool {
	for _, k := range Categories {
		if k == c {
			return true
		}
	}
	return false
}

// Statuses in the order the console shows them.
var Statuses = []string{store.CaseNew, store.CaseWorking, store.CaseAnswered, store.CaseClosed,
	store.CaseMediation, store.CaseLegalAid}

var labels = map[string]string{
	store.CaseNew: "新", store.CaseWorking: "处理中", store.CaseAnswered: "已答复", store.CaseClosed: "已办结",
	store.CaseMediation: "转调解", store.CaseLegalAid: "转法律援助",
}

// Label is a status as staff read it.
func Label(status string) string {
	if l, ok := labels[status]; ok {
		return l
	}
	return "未知"
}

// ValidStatus reports whether s is a case status.
func ValidStatus(s string) bool { _, ok := labels[s]; return ok }

// transitions are the status changes a clerk may make with a button.
// 已答复 is missing on purpose: only a reply sent or a phone call recorded
// makes a case answered (answerable). A case handed over stays with the
// mediation or legal-aid record; it can come back to work or be closed.
var transitions = map[string][]string{
	store.CaseNew:       {store.CaseWorking, store.CaseClosed, store.CaseMediation, store.CaseLegalAid},
	store.CaseWorking:   {store.CaseClosed, store.CaseMediation, store.CaseLegalAid},
	store.CaseAnswered:  {store.CaseWorking, store.CaseClosed, store.CaseMediation, store.CaseLegalAid},
	store.CaseMediation: {store.CaseWorking, store.CaseClosed},
	store.CaseLegalAid:  {store.CaseWorking, store.CaseClosed},
	store.CaseClosed:    {store.CaseWorking},
}

// Next lists the statuses a clerk may move a case in status to.
func Next(status string) []string { return transitions[status] }

// CanMove reports whether a clerk may move a case from one status to another.
func CanMove(from, to string) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// answerable reports whether a reply or call may be recorded on a case in
// status, and the status it then has.
func answerable(status string) (string, bool) {
	switch status {
	case store.CaseNew, store.CaseWorking, store.CaseAnswered:
		return store.CaseAnswered, true
	case store.CaseMediation, store.CaseLegalAid:
		// Answering does not take it back from the mediator or lawyer.
		return status, true
	}
	return "", false
}

// Store keeps the cases (store.Store).
type Store interface {
	Case(ctx context.Context, id string) (store.Consultation, error)
	MoveCase(ctx context.Context, m store.CaseMove) error
	AddCaseMessage(ctx context.Context, id string, m store.CaseMessage) error
	SetCaseFields(ctx context.Context, id string, assignee, category *string, at time.Time) error
	LastInbound(ctx context.Context, openid string) (time.Time, bool, error)
	Audit(ctx context.Context, e store.AuditEntry) error
}

// Sender sends a customer-service text (wechat.Client).
type Sender interface {
	SendText(ctx context.Context, openid, content string) error
}

// Referral is a case handed over to mediation (转调解) or legal aid
// (转法律援助), for the ledger's records and the report's figures.
type Referral struct {
	CaseID    string // the same case is referred at most once per kind: implementations key on it
	Kind      string // store.CaseMediation or store.CaseLegalAid
	Community string // community id
	Category  string
	Summary   string // the case's question, no name or openid
	At        time.Time
	By        string // console user
}

// Referrer records a referral (the ledger's mediation and legal-aid
// records). Refer must be idempotent by CaseID and Kind: a clerk's retry
// after a failure counts the case once.
type Referrer interface {
	Refer(ctx context.Context, r Referral) error
}

// Refused is a request the service turned down without changing anything;
// Message tells staff why, in Chinese.
type Refused struct {
	Kind    error
	Message string
}

func (r *Refused) Error() string { return r.Message }
func (r *Refused) Unwrap() error { return r.Kind }

// Kinds of Refused.
var (
	ErrInvalid      = errors.New("cases: invalid input")
	ErrTransition   = errors.New("cases: transition not allowed")
	ErrWindowClosed = errors.New("cases: 48-hour window closed")
	ErrSend         = errors.New("cases: customer-service message not sent")
	ErrNotFound     = errors.New("cases: no such case")
)

func refuse(kind error, format string, a ...any) error {
	return &Refused{Kind: kind, Message: fmt.Sprintf(format, a...)}
}

// Service changes cases. Referrer may be nil: a handed-over case then only
// changes status, and nothing reaches the ledger's figures.
type Service struct {
	Store    Store
	Sender   Sender
	Referrer Referrer
	Logger   *slog.Logger
	Now      func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

// get reads a case, turning the store's not-found into a refusal.
func (s *Service) get(ctx context.Context, id string) (store.Consultation, error) {
	c, err := s.Store.Case(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return c, refuse(ErrNotFound, "咨询 #%s 不存在或已过保存期限", id)
	}
	return c, err
}

func (s *Service) audit(ctx context.Context, by, action, id, detail string) {
	if err := s.Store.Audit(ctx, store.AuditEntry{At: s.now(), User: by, Action: action, Target: id, Detail: detail}); err != nil {
		s.logger().Error("audit log", "action", action, "case", id, "err", err)
	}
}

// Window is what is left of a resident's 48-hour window at now; 0 when it
// has closed or the resident's last message is not known.
func (s *Service) Window(ctx context.Context, c store.Consultation) (time.Duration, error) {
	if c.OpenID == "" {
		return 0, nil
	}
	last, ok, err := s.Store.LastInbound(ctx, c.OpenID)
	if err != nil || !ok {
		return 0, err
	}
	return max(0, last.Add(ReplyWindow).Sub(s.now())), nil
}

// Reply sends text to the resident as a customer-service message and
// records it in the case, which becomes 已答复. Refused, changing nothing,
// when the text is empty or too long, the case is closed, the 48-hour
// window has closed, or WeChat does not take the message.
func (s *Service) Reply(ctx context.Context, id, by, text string) error {
	text = strings.TrimSpace(text)
	if text == "" {
		return refuse(ErrInvalid, "回复内容：请填写要发给居民的回复")
	}
	if n := utf8.RuneCountInString(text); n > MaxReplyRunes {
		return refuse(ErrInvalid, "回复内容：最多 %d 字，现有 %d 字", MaxReplyRunes, n)
	}
	c, err := s.get(ctx, id)
	if err != nil {
		return err
	}
	to, ok := answerable(c.Status)
	if !ok {
		return refuse(ErrTransition, "咨询 #%s 已办结，不能再回复；如需继续处理，请先改为处理中", id)
	}
	if c.OpenID == "" {
		return refuse(ErrSend, "该居民已取消关注，个人信息已删除，无法发送回复")
	}
	left, err := s.Window(ctx, c)
	if err != nil {
		return err
	}
	if left <= 0 {
		return refuse(ErrWindowClosed, "无法回复：居民最后一次发消息已超过 48 小时，微信不允许再发送客服消息。请改用电话联系，并在下方“记录电话回复”。")
	}
	if err := s.Sender.SendText(ctx, c.OpenID, text); err != nil {
		s.logger().Warn("case reply not sent", "case", id, "err", err)
		return refuse(ErrSend, "%s", sendFailure(err))
	}
	at := s.now()
	if err := s.Store.AddCaseMessage(ctx, id, store.CaseMessage{At: at, From: store.FromStaff, By: by, Text: text}); err != nil {
		// Sent but not recorded: the audit entry keeps the text.
		s.logger().Error("case reply sent, not recorded", "case", id, "err", err)
	}
	s.audit(ctx, by, "case.reply", id, text)
	if to != c.Status {
		if err := s.Store.MoveCase(ctx, store.CaseMove{ID: id, From: c.Status, To: to, At: at}); err != nil {
			return fmt.Errorf("cases: reply to %s sent, status: %w", id, err)
		}
		s.audit(ctx, by, "case.status", id, Label(c.Status)+" → "+Label(to))
	}
	return nil
}

// sendFailure is a failed customer-service send as staff read it.
func sendFailure(err error) string {
	code, ok := wechat.ErrCode(err)
	if !ok {
		return "回复未发出：暂时无法连接微信服务器，请稍后重试。"
	}
	switch code {
	case 45015:
		return "回复未发出：微信返回已超过 48 小时回复时限（或居民已取消关注）。请改用电话联系，并记录电话回复。"
	case 45047:
		return "回复未发出：居民未再发消息前，客服消息条数已达微信上限。请等居民回复后再发，或改用电话联系。"
	case 43004:
		return "回复未发出：该居民已取消关注公众号。"
	case 43019:
		return "回复未发出：该居民在公众号黑名单中。"
	case 40003:
		return "回复未发出：居民的 openid 无效。"
	case 45002:
		return "回复未发出：内容超过微信允许的长度，请缩短后重试。"
	case 45009, 45011:
		return "回复未发出：微信接口调用太频繁，请稍后重试。"
	case -1:
		return "回复未发出：微信系统繁忙，请稍后重试。"
	}
	return fmt.Sprintf("回复未发出：微信返回错误（代码 %d），请稍后重试。", code)
}

// Call is a phone call a clerk made when WeChat's window had closed.
type Call struct {
	At      time.Time
	Summary string
}

// RecordCall records a phone reply; the case becomes 已答复.
func (s *Service) RecordCall(ctx context.Context, id, by string, call Call) error {
	summary := strings.TrimSpace(call.Summary)
	switch n := utf8.RuneCountInString(summary); {
	case n == 0:
		return refuse(ErrInvalid, "通话摘要：请填写电话里答复了什么")
	case n > MaxReplyRunes:
		return refuse(ErrInvalid, "通话摘要：最多 %d 字，现有 %d 字", MaxReplyRunes, n)
	}
	if call.At.IsZero() {
		return refuse(ErrInvalid, "通话时间：请填写，例如 2026-11-28 15:30")
	}
	if call.At.After(s.now().Add(time.Minute)) {
		return refuse(ErrInvalid, "通话时间：不能晚于现在")
	}
	c, err := s.get(ctx, id)
	if err != nil {
		return err
	}
	if call.At.Before(c.Created.Add(-time.Minute)) {
		return refuse(ErrInvalid, "通话时间：不能早于咨询登记时间")
	}
	to, ok := answerable(c.Status)
	if !ok {
		return refuse(ErrTransition, "咨询 #%s 已办结，不能再记录答复；如需继续处理，请先改为处理中", id)
	}
	msg := store.CaseMessage{At: call.At, From: store.FromCall, By: by, Text: summary}
	if to != c.Status {
		err = s.Store.MoveCase(ctx, store.CaseMove{ID: id, From: c.Status, To: to, At: s.now(), Note: &msg})
	} else {
		err = s.Store.AddCaseMessage(ctx, id, msg)
	}
	if err := s.moved(id, err); err != nil {
		return err
	}
	s.audit(ctx, by, "case.call", id, call.At.Format("2006-01-02 15:04")+" "+summary)
	if to != c.Status {
		s.audit(ctx, by, "case.status", id, Label(c.Status)+" → "+Label(to))
	}
	return nil
}

// moved turns the store's errors of a status change into refusals.
func (s *Service) moved(id string, err error) error {
	switch {
	case errors.Is(err, store.ErrCaseMoved):
		return refuse(ErrTransition, "咨询 #%s 的状态刚被他人修改，请刷新页面后再操作", id)
	case errors.Is(err, store.ErrNotFound):
		return refuse(ErrNotFound, "咨询 #%s 不存在或已过保存期限", id)
	}
	return err
}

// SetStatus moves a case from the status the clerk saw to another the
// transition table allows. 转调解 and 转法律援助 first refer the case
// (Referrer), so that a failed referral changes nothing.
func (s *Service) SetStatus(ctx context.Context, id, by, from, to string) error {
	if !ValidStatus(to) {
		return refuse(ErrInvalid, "状态：没有“%s”这个状态", to)
	}
	if to == store.CaseAnswered {
		return refuse(ErrTransition, "“已答复”只能通过回复居民或记录电话回复设定")
	}
	c, err := s.get(ctx, id)
	if err != nil {
		return err
	}
	if from == "" {
		from = c.Status
	}
	if c.Status != from {
		return refuse(ErrTransition, "咨询 #%s 的状态刚被他人修改，请刷新页面后再操作", id)
	}
	if !CanMove(from, to) {
		return refuse(ErrTransition, "咨询 #%s 是“%s”，不能改为“%s”", id, Label(from), Label(to))
	}
	if (to == store.CaseMediation || to == store.CaseLegalAid) && s.Referrer != nil {
		err := s.Referrer.Refer(ctx, Referral{CaseID: id, Kind: to, Community: c.Community, Category: c.Category,
			Summary: c.Question, At: s.now(), By: by})
		if err != nil {
			return fmt.Errorf("cases: refer %s: %w", id, err)
		}
		s.audit(ctx, by, "case.handoff", id, Label(to))
	}
	if err := s.moved(id, s.Store.MoveCase(ctx, store.CaseMove{ID: id, From: from, To: to, At: s.now()})); err != nil {
		return err
	}
	s.audit(ctx, by, "case.status", id, Label(from)+" → "+Label(to))
	return nil
}

// Assign gives a case to a console user; a new case is then in work.
// staff lists the users a case may go to.
func (s *Service) Assign(ctx context.Context, id, by, assignee string, staff []string) error {
	known := assignee == ""
	for _, u := range staff {
		known = known || u == assignee
	}
	if !known {
		return refuse(ErrInvalid, "承办人：没有“%s”这个控制台账号", assignee)
	}
	c, err := s.get(ctx, id)
	if err != nil {
		return err
	}
	if err := s.moved(id, s.Store.SetCaseFields(ctx, id, &assignee, nil, s.now())); err != nil {
		return err
	}
	detail := assignee
	if detail == "" {
		detail = "（取消指派）"
	}
	s.audit(ctx, by, "case.assign", id, detail)
	if c.Status == store.CaseNew && assignee != "" {
		err := s.Store.MoveCase(ctx, store.CaseMove{ID: id, From: store.CaseNew, To: store.CaseWorking, At: s.now()})
		if errors.Is(err, store.ErrCaseMoved) {
			return nil // someone moved it meanwhile: theirs stands
		}
		if err != nil {
			return fmt.Errorf("cases: assign %s: %w", id, err)
		}
		s.audit(ctx, by, "case.status", id, Label(store.CaseNew)+" → "+Label(store.CaseWorking))
	}
	return nil
}

// SetCategory files a case under one of Categories.
func (s *Service) SetCategory(ctx context.Context, id, by, category string) error {
	if !ValidCategory(category) {
		return refuse(ErrInvalid, "类别：请从 %s 中选择", strings.Join(Categories, "、"))
	}
	if err := s.moved(id, s.Store.SetCaseFields(ctx, id, nil, &category, s.now())); err != nil {
		return err
	}
	s.audit(ctx, by, "case.category", id, category)
	return nil
}

// Overdue reports whether a case has waited for an answer longer than sla.
func Overdue(c store.Consultation, now time.Time, sla time.Duration) bool {
	return store.AwaitsAnswer(c.Status) && now.Sub(c.Created) > sla
}

// MaskOpenID shows enough of an openid to tell residents apart, not to
// address one.
func MaskOpenID(openid string) string {
	if openid == "" {
		return "（已取消关注）"
	}
	r := []rune(openid)
	if len(r) <= 8 {
		return string(r[:min(1, len(r))]) + "****"
	}
	return string(r[:4]) + "****" + string(r[len(r)-4:])
}

// Resident names the resident of a case for staff: the nickname when
// known, else the masked openid.
func Resident(c store.Consultation) string {
	if c.Nickname != "" {
		return c.Nickname + "（" + MaskOpenID(c.OpenID) + "）"
	}
	return MaskOpenID(c.OpenID)
}

// bareCommand tells a 转人工 command from a question.
func bareCommand(text string) bool {
	t := strings.TrimSpace(text)
	return t == "转人工" || t == "人工" || t == "人工客服"
}

// Question is what the resident asked: the question recorded with the
// case, or for a bare 转人工 the resident's last messages before it.
func Question(c store.Consultation) string {
	if c.Question != "" && c.Question != "（未填写问题）" {
		return c.Question
	}
	var said []string
	for _, m := range c.Messages {
		if m.From == store.FromResident && !bareCommand(m.Text) {
			said = append(said, m.Text)
		}
	}
	if len(said) > 3 {
		said = said[len(said)-3:]
	}
	if len(said) == 0 {
		return "（居民只发送了“转人工”，尚未说明问题）"
	}
	return strings.Join(said, " / ")
}
