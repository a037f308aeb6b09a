package console

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pufa-dev/pufa/campaigns"
	"github.com/pufa-dev/pufa/cases"
	"github.com/pufa-dev/pufa/chinatime"
	"github.com/pufa-dev/pufa/communities"
	"github.com/pufa-dev/pufa/ledger"
	"github.com/pufa-dev/pufa/quiz"
	"github.com/pufa-dev/pufa/report"
	"github.com/pufa-dev/pufa/store"
)

var funcs = template.FuncMap{
	"time": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.In(chinatime.Zone).Format("2006-01-02 15:04")
	},
	"kindLabel": func(k string) string {
		if l := ledger.Kind(k).Label(); l != "" {
			return l
		}
		return k
	},
	"percent": report.Percent,
	// answer writes a quiz answer as residents type it: 对/错 for true/false.
	"answer": func(a string) string {
		switch a {
		case quiz.True:
			return "对"
		case quiz.False:
			return "错"
		}
		return a
	},
	// ratio writes a share (0..1) as a percentage.
	"ratio":        func(v float64) string { return report.Percent(v * 100) },
	"channelLabel": channelLabel,
	"auditLabel":   auditLabel,
	"stateLabel":   func(s string) string { return campaigns.State(s).Label() },
	"has":          has,
	"wechatError":  wechatError,
	"weekdays": func() []Choice {
		return []Choice{{"1", "一"}, {"2", "二"}, {"3", "三"}, {"4", "四"}, {"5", "五"}, {"6", "六"}, {"0", "日"}}
	},

	"clock":    func(t time.Time) string { return t.In(chinatime.Zone).Format("15:04") },
	"formArgs": func(d formData, action, csrf string) formArgs { return formArgs{D: d, Action: action, CSRF: csrf} },
	"runStateLabel": func(s string) string {
		switch s {
		case "running":
			return "推送中"
		case "finished":
			return "已完成"
		case "interrupted":
			return "已中断"
		case "paused":
			return "已暂停"
		case "cancelled":
			return "已取消"
		}
		return "处理中"
	},
	// clip shortens a resident's text in a list, so a flood of long
	// messages cannot make a page huge; the API pages carry the full text.
	"clip": func(s string) string {
		const keep = 300
		r := []rune(s)
		if len(r) <= keep {
			return s
		}
		return string(r[:keep]) + fmt.Sprintf("…（共 %d 字，已截断）", len(r))
	},
	"statusLabel": cases.Label,
}

// pageNames are the templates rendered inside layout.html; login stands alone.
var pageNames = []string{"dashboard", "campaigns", "campaign", "campaign_form", "ledger", "ledger_entry", "consultations", "case", "report", "audit", "preview_recipients", "bank", "bank_entry",
	"articles", "article", "communities", "community", "disputes", "dispute", "legal_aid", "legal_aid_entry", "quizzes", "quiz"}

func (s *Server) parseTemplates() error {
	s.pages = map[string]*template.Template{}
	for _, name := range pageNames {
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/campaign_fields.html", "templates/"+name+".html")
		if err != nil {
			return fmt.Errorf("console: template %s: %w", name, err)
		}
		s.pages[name] = t
	}
	t, err := template.New("login").Funcs(funcs).ParseFS(templateFS, "templates/login.html")
	if err != nil {
		return fmt.Errorf("console: template login: %w", err)
	}
	s.pages["login"] = t
	return nil
}

// render executes into a buffer first, so a template error never leaves a
// half-written page.
func (s *Server) render(w http.ResponseWriter, status int, name string, data any) {
	t := s.pages[name]
	root := "layout"
	if name == "login" {
		root = "login.html"
	}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, root, data); err != nil {
		s.log.Error("rendering page", "page", name, "err", err)
		http.Error(w, "服务器内部错误", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	b.WriteTo(w)
}

// page is what every page inside the layout receives.
type page struct {
	Title string
	Nav   string
	User  user
	Flash string
	Error string
	Data  any
}

func (s *Server) page(w http.ResponseWriter, r *http.Request, status int, name, title string, data any) {
	s.pageError(w, r, status, name, title, data, r.URL.Query().Get("err"))
}

// pageError renders a page with an error of this request (a 400 for bad
// parameters) instead of one carried over from a redirect.
func (s *Server) pageError(w http.ResponseWriter, r *http.Request, status int, name, title string, data any, msg string) {
	s.render(w, status, name, page{Title: title, Nav: name, User: userFrom(r.Context()), Flash: r.URL.Query().Get("msg"), Error: msg, Data: data})
}

// back redirects (303) to path with a message for the next page.
func back(w http.ResponseWriter, r *http.Request, path, key, msg string) {
	if msg != "" {
		path += "?" + url.Values{key: {msg}}.Encode()
	}
	http.Redirect(w, r, path, http.StatusSeeOther)
}

func (s *Server) yearRange() (from, to time.Time) {
	y := s.reportYear()
	return time.Date(y, 1, 1, 0, 0, 0, 0, chinatime.Zone), time.Date(y, 12, 31, 0, 0, 0, 0, chinatime.Zone)
}

// reportYear is the year the dashboard and the report open on.
func (s *Server) reportYear() int {
	if s.opts.ReportYear != 0 {
		return s.opts.ReportYear
	}
	return s.opts.Now().In(chinatime.Zone).Year()
}

// dashboardData is the dashboard's figures.
type dashboardData struct {
	Year        report.Report
	Month       report.Month
	MonthName   string
	MonthLabel  string // 本月, or the month shown when the year is not this one
	YearLabel   string // 本年, or the year
	Communities []communityCount
	Followers   int64
	NewConsults int64
	Charts      []template.HTML
}

type communityCount struct {
	Community string `json:"community"`
	Followers int64  `json:"followers"`
}

func (s *Server) dashboardFigures(r *http.Request) (dashboardData, error) {
	ctx := r.Context()
	from, to := s.yearRange()
	year, err := report.Build(ctx, s.opts.Report, from, to)
	if err != nil {
		return dashboardData{}, err
	}
	d := dashboardData{Year: year, MonthName: s.opts.Now().In(chinatime.Zone).Format("2006-01"), MonthLabel: "本月", YearLabel: "本年"}
	if y := s.reportYear(); y != s.opts.Now().In(chinatime.Zone).Year() {
		// Another year than this one (the demo's seeded year): its last month.
		d.MonthName, d.MonthLabel, d.YearLabel = fmt.Sprintf("%d-12", y), "12月", fmt.Sprintf("%d年", y)
	}
	for _, m := range year.Months {
		if m.Month == d.MonthName {
			d.Month = m
		}
	}
	names, err := s.st.Communities(ctx)
	if err != nil {
		return dashboardData{}, err
	}
	dir, err := s.directory(r)
	if err != nil {
		return dashboardData{}, err
	}
	for _, n := range names {
		c, err := s.st.CommunityFollowers(ctx, n)
		if err != nil {
			return dashboardData{}, err
		}
		d.Communities = append(d.Communities, communityCount{dir.Name(n), c})
		d.Followers += c
	}
	counts, err := s.st.ConsultationCounts(ctx)
	if err != nil {
		return dashboardData{}, err
	}
	d.NewConsults = counts[store.CaseNew] + counts[store.CaseWorking]
	return d, nil
}

func (s *Server) dashboard(w http.ResponseWriter, r *http.Request) {
	d, err := s.dashboardFigures(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var months []string
	var pushes, reach, acts, cons, quiz []int64
	for _, m := range d.Year.Months {
		months = append(months, m.Month[5:]+"月")
		pushes = append(pushes, m.Pushes)
		reach = append(reach, m.Reach)
		acts = append(acts, m.Activities)
		cons = append(cons, m.ConsultationsTotal())
		quiz = append(quiz, m.QuizParticipants)
	}
	var comLabels []string
	var comValues []int64
	for _, c := range d.Communities {
		comLabels = append(comLabels, c.Community)
		comValues = append(comValues, c.Followers)
	}
	var topLabels []string
	var topValues []int64
	for _, t := range d.Year.TopTopics {
		topLabels = append(topLabels, t.Topic)
		topValues = append(topValues, t.Count)
	}
	d.Charts = []template.HTML{
		barChart("各社区关注人数", comLabels, comValues),
		barChart("每月线上推送（期）", months, pushes),
		barChart("每月推送触达（人次）", months, reach),
		barChart("每月网上答题参与（人次）", months, quiz),
		barChart("每月线下法治宣传活动（场）", months, acts),
		barChart("每月法律咨询（人次）", months, cons),
		barChart("群众最关心的问题（次）", topLabels, topValues),
	}
	s.page(w, r, http.StatusOK, "dashboard", "工作台", d)
}

// Campaigns.

type campaignsData struct {
	List   []campaigns.Stats
	Pager  pager
	Themes []themeChoice
	Year   int
	Draft  bool // drafting enabled
	Broken string
}

func (s *Server) campaignList(w http.ResponseWriter, r *http.Request) {
	list, err := s.opts.Campaigns.List(r.Context())
	d := campaignsData{Year: s.opts.Now().In(chinatime.Zone).Year(), Draft: true, Pager: pageOf(r)}
	d.List = pageSlice(&d.Pager, list)
	if err != nil {
		if list == nil {
			s.fail(w, r, err)
			return
		}
		d.Broken = definitionProblems(err) // invalid files: show them, keep the valid ones usable
	}
	d.Themes = s.themeChoices()[1:]
	s.page(w, r, http.StatusOK, "campaigns", "宣传活动", d)
}

// campaignPreview sends a preview to a registered staff member; the
// manager refuses any other openid and writes the audit entry (recipient
// and content hash) itself.
func (s *Server) campaignPreview(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	u := userFrom(r.Context())
	openid := strings.TrimSpace(r.PostFormValue("openid"))
	if openid == "" {
		back(w, r, "/console/campaigns/"+id, "err", "请选择接收预览的工作人员")
		return
	}
	res, err := s.opts.Campaigns.Preview(r.Context(), id, openid, u.Name)
	switch {
	case errors.Is(err, campaigns.ErrNotPreviewRecipient):
		s.log.Warn("console preview refused: recipient not registered", "user", u.Name, "campaign", id)
		back(w, r, "/console/campaigns/"+id, "err", "预览只能发给已登记的工作人员；请审核人先在“预览名单”中登记")
		return
	case errors.Is(err, campaigns.ErrNotFound):
		http.NotFound(w, r)
		return
	case err != nil:
		// WeChat's answer (e.g. the recipient does not follow the account)
		// helps staff; the server's own paths do not.
		s.log.Error("console preview failed", "campaign", id, "err", err)
		back(w, r, "/console/campaigns/"+id, "err", "预览发送失败："+actionError(err))
		return
	}
	back(w, r, "/console/campaigns/"+id, "msg", "预览已发送给 "+res.Name+"（内容 sha256:"+res.ContentHash+"）")
}

// changeCampaign applies a lifecycle action by u.
func (s *Server) changeCampaign(r *http.Request, action, id string, u user) error {
	ctx := r.Context()
	switch action {
	case "approve":
		return s.opts.Campaigns.Approve(ctx, id, u.Name)
	case "pause":
		return s.opts.Campaigns.Pause(ctx, id, u.Name, "控制台暂停")
	case "resume":
		return s.opts.Campaigns.Resume(ctx, id, u.Name)
	case "cancel":
		return s.opts.Campaigns.Cancel(ctx, id, u.Name)
	}
	return fmt.Errorf("console: unknown action %q", action)
}

var actionLabels = map[string]string{"approve": "审核通过", "pause": "暂停", "resume": "恢复", "cancel": "取消"}

func (s *Server) campaignAction(action string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		u := userFrom(r.Context())
		if err := s.changeCampaign(r, action, id, u); err != nil {
			back(w, r, "/console/campaigns/"+id, "err", actionLabels[action]+"失败："+actionError(err))
			return
		}
		if action != "approve" { // the manager audits approvals, with the content hash
			s.audit(r.Context(), u.Name, "campaign."+action, id, "")
		}
		back(w, r, "/console/campaigns/"+id, "msg", "已"+actionLabels[action])
	}
}

// Ledger.

type ledgerData struct {
	From, To string
	Entries  []ledger.Entry
	Pager    pager
	Kinds    []ledger.Kind
	Today    string
	Totals   report.Figures
	Names    communities.Directory // shows each entry's community by its registry name
}

// period reads the from and to dates of a list or report, yyyy-mm-dd. A
// date left out is the current year's first or last day; a date given
// must be valid, and the period must pass report.CheckPeriod. The error
// (wrapping report.ErrPeriod) is Chinese, for the page or the API.
func (s *Server) period(r *http.Request) (from, to string, err error) {
	f, t := s.yearRange()
	q := r.URL.Query()
	if v := q.Get("from"); v != "" {
		if f, err = report.ParseDate(v); err != nil {
			return v, q.Get("to"), err
		}
	}
	if v := q.Get("to"); v != "" {
		if t, err = report.ParseDate(v); err != nil {
			return f.Format("2006-01-02"), v, err
		}
	}
	from, to = f.Format("2006-01-02"), t.Format("2006-01-02")
	return from, to, report.CheckPeriod(f, t)
}

func (s *Server) ledgerList(w http.ResponseWriter, r *http.Request) {
	from, to, err := s.period(r)
	if err != nil {
		s.pageError(w, r, http.StatusBadRequest, "ledger", "活动台账", ledgerData{From: from, To: to,
			Kinds: ledger.Kinds(), Today: s.opts.Now().In(chinatime.Zone).Format("2006-01-02")}, err.Error())
		return
	}
	p := pageOf(r)
	entries, total, err := s.opts.Ledger.Page(r.Context(), from, to, p.Offset(), p.PerPage)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p.Total = total
	names, err := s.directory(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.page(w, r, http.StatusOK, "ledger", "活动台账", ledgerData{From: from, To: to, Entries: entries, Pager: p,
		Kinds: ledger.Kinds(), Today: s.opts.Now().In(chinatime.Zone).Format("2006-01-02"), Names: names})
}

func formInput(r *http.Request) (ledger.Input, error) {
	num := func(field, label string, limit int64, empty bool) (int64, error) {
		v := strings.TrimSpace(r.PostFormValue(field))
		if v == "" && empty {
			return 0, nil
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%s须为 0 到 %d 之间的整数", label, limit)
		}
		return n, nil
	}
	count, err := num("count", "数量", ledger.MaxCount, false)
	if err != nil {
		return ledger.Input{}, err
	}
	parts, err := num("participants", "参与人次", ledger.MaxParticipants, true)
	if err != nil {
		return ledger.Input{}, err
	}
	return ledger.Input{Date: r.PostFormValue("date"), Community: r.PostFormValue("community"), Kind: r.PostFormValue("kind"),
		Count: count, Participants: parts, Note: r.PostFormValue("note")}, nil
}

func (s *Server) ledgerAdd(w http.ResponseWriter, r *http.Request) {
	u := userFrom(r.Context())
	in, err := formInput(r)
	if err != nil {
		back(w, r, "/console/ledger", "err", err.Error())
		return
	}
	id, err := s.opts.Ledger.Add(r.Context(), in, u.Name)
	if errors.Is(err, ledger.ErrInvalid) {
		back(w, r, "/console/ledger", "err", "未保存："+err.Error())
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.audit(r.Context(), u.Name, "ledger.add", id, in.Date+" "+in.Kind)
	back(w, r, "/console/ledger", "msg", "已登记活动 #"+id)
}

type entryData struct {
	Names   communities.Directory
	Entry   ledger.Entry
	History []ledger.Entry
	Kinds   []ledger.Kind
	Pager   pager
}

func (s *Server) ledgerDetail(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	e, err := s.opts.Ledger.Get(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	h, err := s.opts.Ledger.History(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// Every edit keeps a version: newest first, a page at a time.
	names, err := s.directory(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := entryData{Entry: e, Kinds: ledger.Kinds(), Pager: pageOf(r), Names: names}
	newest := make([]ledger.Entry, len(h))
	for i, v := range h {
		newest[len(h)-1-i] = v
	}
	d.History = pageSlice(&d.Pager, newest)
	s.page(w, r, http.StatusOK, "ledger_entry", "台账 #"+id, d)
}

func (s *Server) ledgerEdit(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	u := userFrom(r.Context())
	in, err := formInput(r)
	if err != nil {
		back(w, r, "/console/ledger/"+id, "err", err.Error())
		return
	}
	version, _ := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	v, err := s.opts.Ledger.Edit(r.Context(), id, in, version, u.Name)
	switch {
	case errors.Is(err, ledger.ErrInvalid):
		back(w, r, "/console/ledger/"+id, "err", "未保存："+err.Error())
		return
	case errors.Is(err, store.ErrVersion):
		back(w, r, "/console/ledger/"+id, "err", "该条目已被他人修改，请查看最新内容后重新编辑")
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	s.audit(r.Context(), u.Name, "ledger.edit", id, fmt.Sprintf("version %d", v))
	back(w, r, "/console/ledger/"+id, "msg", fmt.Sprintf("已保存（第 %d 版）", v))
}

// Report.

func (s *Server) reportPage(w http.ResponseWriter, r *http.Request) {
	from, to, err := s.period(r)
	if err != nil {
		// The form comes back with the dates as typed; nothing is built.
		s.pageError(w, r, http.StatusBadRequest, "report", "年度报告", report.Report{From: from, To: to}, err.Error())
		return
	}
	f, _ := report.ParseDate(from)
	t, _ := report.ParseDate(to)
	rep, err := report.Build(r.Context(), s.opts.Report, f, t)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.page(w, r, http.StatusOK, "report", "年度报告", rep)
}

// errBadRequest wraps a parameter a staff member or integration got wrong.
var errBadRequest = errors.New("参数有误")

// buildReport reads the period and format of a download or API call and
// builds the report. Bad parameters wrap errBadRequest or
// report.ErrPeriod; anything else is the server's.
func (s *Server) buildReport(r *http.Request) (report.Report, string, error) {
	q := r.URL.Query()
	if q.Get("from") == "" || q.Get("to") == "" {
		return report.Report{}, "", fmt.Errorf("%w：请给出 from 和 to（yyyy-mm-dd）", errBadRequest)
	}
	from, to, err := s.period(r)
	if err != nil {
		return report.Report{}, "", err
	}
	format := q.Get("format")
	switch format {
	case "":
		format = report.FormatXLSX
	case report.FormatMarkdown, report.FormatCSV, report.FormatJSON, report.FormatXLSX, report.FormatDocx:
	default:
		return report.Report{}, "", fmt.Errorf("%w：格式“%s”不是 md、csv、json、xlsx 或 docx", errBadRequest, format)
	}
	f, _ := report.ParseDate(from)
	t, _ := report.ParseDate(to)
	rep, err := report.Build(r.Context(), s.opts.Report, f, t)
	return rep, format, err
}

func (s *Server) reportDownload(w http.ResponseWriter, r *http.Request) {
	rep, format, err := s.buildReport(r)
	if code := statusOf(err); code == http.StatusBadRequest {
		http.Error(w, err.Error(), code)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var b bytes.Buffer
	if err := report.Write(&b, rep, format); err != nil {
		s.fail(w, r, err)
		return
	}
	name := fmt.Sprintf("pufa-report-%s-%s.%s", rep.From, rep.To, format)
	w.Header().Set("Content-Type", report.ContentType(format))
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
	b.WriteTo(w)
}

type auditData struct {
	List  []store.AuditEntry
	Pager pager
}

func (s *Server) auditPage(w http.ResponseWriter, r *http.Request) {
	d := auditData{Pager: pageOf(r)}
	var err error
	if d.List, d.Pager.Total, err = s.st.AuditPage(r.Context(), d.Pager.Offset(), d.Pager.PerPage); err != nil {
		s.fail(w, r, err)
		return
	}
	s.page(w, r, http.StatusOK, "audit", "操作日志", d)
}

// Preview recipients.

type previewData struct {
	List []previewEntry
}

func (s *Server) previewRecipients(w http.ResponseWriter, r *http.Request) {
	list, err := s.previews.all(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.page(w, r, http.StatusOK, "preview_recipients", "预览名单", bindData{previewData: previewData{List: list}})
}

func (s *Server) previewRecipientAdd(w http.ResponseWriter, r *http.Request) {
	u := userFrom(r.Context())
	rec, err := checkRecipient(r.PostFormValue("openid"), r.PostFormValue("name"))
	if err != nil {
		back(w, r, "/console/preview-recipients", "err", "未保存："+err.Error())
		return
	}
	for _, f := range s.opts.PreviewRecipients {
		if f.OpenID == rec.OpenID {
			back(w, r, "/console/preview-recipients", "err", "该 openid 已在配置文件（console.preview_recipients）中登记")
			return
		}
	}
	rec.AddedBy, rec.AddedAt = u.Name, s.opts.Now()
	if err := s.st.PutPreviewRecipient(r.Context(), rec); err != nil {
		s.fail(w, r, err)
		return
	}
	s.audit(r.Context(), u.Name, "preview_recipient.add", rec.OpenID, rec.Name)
	back(w, r, "/console/preview-recipients", "msg", "已登记预览接收人 "+rec.Name)
}

func (s *Server) previewRecipientRemove(w http.ResponseWriter, r *http.Request) {
	u := userFrom(r.Context())
	openid := strings.TrimSpace(r.PostFormValue("openid"))
	for _, f := range s.opts.PreviewRecipients {
		if f.OpenID == openid {
			back(w, r, "/console/preview-recipients", "err", f.Name+" 登记在配置文件（console.preview_recipients）中，请在配置中删除后重启")
			return
		}
	}
	had, err := s.st.DeletePreviewRecipient(r.Context(), openid)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !had {
		back(w, r, "/console/preview-recipients", "err", "名单中没有该接收人")
		return
	}
	s.audit(r.Context(), u.Name, "preview_recipient.remove", openid, "")
	back(w, r, "/console/preview-recipients", "msg", "已移除预览接收人")
}
