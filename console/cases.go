package console

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"time"

	"github.com/pufa-dev/pufa/cases"
	"github.com/pufa-dev/pufa/chinatime"
	"github.com/pufa-dev/pufa/communities"
	"github.com/pufa-dev/pufa/store"
)

// The 咨询 inbox: every 转人工 is a case a clerk assigns, answers within
// WeChat's 48-hour window (or by a recorded phone call), and closes or
// hands over. The rules are the cases package's; these handlers only read
// forms and render.

// caseRow is one case as the inbox lists it.
type caseRow struct {
	store.Consultation
	Resident  string
	Community string
	Asked     string
	Label     string
	Age       string
	Overdue   bool
}

// statusOption is a status as a filter or a button offers it.
type statusOption struct {
	Value, Label string
}

type caseListData struct {
	Status, Assignee string
	Overdue          bool
	Rows             []caseRow
	Pager            pager
	Statuses         []statusOption
	Staff            []string
	SLA              string
}

func statusOptions(list []string) []statusOption {
	out := make([]statusOption, 0, len(list))
	for _, s := range list {
		out = append(out, statusOption{s, cases.Label(s)})
	}
	return out
}

// communityLabel renders a case's community for staff by its registry name.
func communityLabel(dir communities.Directory, id string) string {
	if id == "" {
		return "—"
	}
	return dir.Name(id)
}

// staff lists the console users a case can be assigned to: the accounts of
// the config, and whoever is signed in (an account kept in Redis).
func (s *Server) staff(signedIn string) []string {
	seen := map[string]bool{}
	var out []string
	for _, a := range s.opts.Accounts {
		if !seen[a.User] {
			seen[a.User] = true
			out = append(out, a.User)
		}
	}
	if signedIn != "" && !seen[signedIn] {
		out = append(out, signedIn)
	}
	sort.Strings(out)
	return out
}

// age is how long ago t was, as a clerk reads it.
func age(d time.Duration) string {
	switch {
	case d < time.Hour:
		return fmt.Sprintf("%d 分钟", max(0, int(d.Minutes())))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d 小时", int(d.Hours()))
	}
	return fmt.Sprintf("%d 天", int(d.Hours()/24))
}

// durationText is a duration in hours and minutes, for the SLA and the
// 48-hour countdown.
func durationText(d time.Duration) string {
	h, m := int(d.Hours()), int(d.Minutes())%60
	switch {
	case h == 0:
		return fmt.Sprintf("%d 分钟", m)
	case m == 0:
		return fmt.Sprintf("%d 小时", h)
	}
	return fmt.Sprintf("%d 小时 %d 分钟", h, m)
}

func (s *Server) caseRow(c store.Consultation, dir communities.Directory, now time.Time) caseRow {
	return caseRow{Consultation: c, Resident: cases.Resident(c), Community: communityLabel(dir, c.Community),
		Asked: cases.Question(c), Label: cases.Label(c.Status), Age: age(now.Sub(c.Created)),
		Overdue: cases.Overdue(c, now, s.sla())}
}

func (s *Server) sla() time.Duration {
	if s.opts.CaseSLA > 0 {
		return s.opts.CaseSLA
	}
	return cases.DefaultSLA
}

// casePage reads the page of cases r asks for, newest first.
func (s *Server) casePage(r *http.Request) (caseListData, error) {
	q := r.URL.Query()
	now := s.opts.Now()
	d := caseListData{Status: q.Get("status"), Assignee: q.Get("assignee"), Overdue: q.Get("overdue") == "1",
		Pager: pageOf(r), Statuses: statusOptions(cases.Statuses), Staff: s.staff(userFrom(r.Context()).Name),
		SLA: durationText(s.sla())}
	if !cases.ValidStatus(d.Status) {
		d.Status = ""
	}
	f := store.CaseFilter{Status: d.Status, Assignee: d.Assignee}
	if d.Overdue {
		f.OverdueBefore = now.Add(-s.sla())
	}
	list, total, err := s.st.CasePage(r.Context(), f, d.Pager.Offset(), d.Pager.PerPage)
	if err != nil {
		return d, err
	}
	d.Pager.Total = total
	dir, err := s.directory(r)
	if err != nil {
		return d, err
	}
	for _, c := range list {
		d.Rows = append(d.Rows, s.caseRow(c, dir, now))
	}
	return d, nil
}

func (s *Server) consultations(w http.ResponseWriter, r *http.Request) {
	d, err := s.casePage(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.page(w, r, http.StatusOK, "consultations", "咨询收件箱", d)
}

// caseData is one case's page.
type caseData struct {
	Row        caseRow
	Messages   []caseMessage
	Next       []statusOption
	Categories []string
	Staff      []string
	CanReply   bool   // answerable and the window is open
	Window     string // what is left of the 48-hour window, or ""
	WindowEnd  time.Time
	Answerable bool
	CanSend    bool // a WeChat client is wired
	Erased     bool // the resident unfollowed: nobody to reply to
	Reply      string
	CallAt     string
	CallText   string
}

// caseMessage is a message of the conversation as the page shows it.
type caseMessage struct {
	store.CaseMessage
	Who string
}

func who(m store.CaseMessage) string {
	switch m.From {
	case store.FromResident:
		return "居民"
	case store.FromBot:
		return "机器人"
	case store.FromStaff:
		return "工作人员 " + m.By
	case store.FromCall:
		return "电话回复（" + m.By + " 记录）"
	}
	return m.From
}

func (s *Server) caseDetail(w http.ResponseWriter, r *http.Request) {
	s.renderCase(w, r, http.StatusOK, "", caseData{})
}

// renderCase shows case id with msg as the error (kept typed in form).
func (s *Server) renderCase(w http.ResponseWriter, r *http.Request, status int, msg string, form caseData) {
	id := r.PathValue("id")
	c, err := s.st.Case(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	dir, err := s.directory(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	now := s.opts.Now()
	d := form
	d.Row = s.caseRow(c, dir, now)
	for _, m := range c.Messages {
		d.Messages = append(d.Messages, caseMessage{m, who(m)})
	}
	d.Next = statusOptions(cases.Next(c.Status))
	d.Categories = cases.Categories
	d.Staff = s.staff(userFrom(r.Context()).Name)
	d.CanSend = s.opts.Sender != nil
	d.Erased = c.OpenID == ""
	d.Answerable = c.Status != store.CaseClosed
	left, err := s.cases.Window(r.Context(), c)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if left > 0 {
		d.Window, d.WindowEnd = durationText(left), now.Add(left)
	}
	d.Answerable = d.Answerable && !d.Erased
	d.CanReply = d.Answerable && left > 0 && d.CanSend
	if d.CallAt == "" {
		d.CallAt = now.In(chinatime.Zone).Format("2006-01-02 15:04")
	}
	s.pageError(w, r, status, "case", "咨询 #"+id, d, msg)
}

// caseResult redirects back to the case after a change, or shows the
// page again with the refusal and what the clerk typed.
func (s *Server) caseResult(w http.ResponseWriter, r *http.Request, err error, done string, form caseData) {
	id := r.PathValue("id")
	var rf *cases.Refused
	switch {
	case errors.As(err, &rf) && errors.Is(err, cases.ErrNotFound):
		http.NotFound(w, r)
	case errors.As(err, &rf):
		s.renderCase(w, r, http.StatusUnprocessableEntity, rf.Message, form)
	case err != nil:
		s.fail(w, r, err)
	default:
		back(w, r, "/console/consultations/"+url.PathEscape(id), "msg", done)
	}
}

func (s *Server) caseReply(w http.ResponseWriter, r *http.Request) {
	text := r.PostFormValue("reply")
	var err error
	if s.opts.Sender == nil {
		err = &cases.Refused{Kind: cases.ErrSend, Message: "本控制台未连接微信接口，无法发送回复；请记录电话回复"}
	} else {
		err = s.cases.Reply(r.Context(), r.PathValue("id"), userFrom(r.Context()).Name, text)
	}
	s.caseResult(w, r, err, "回复已发送给居民", caseData{Reply: text})
}

func (s *Server) caseCall(w http.ResponseWriter, r *http.Request) {
	at, summary := r.PostFormValue("at"), r.PostFormValue("summary")
	form := caseData{CallAt: at, CallText: summary}
	t, perr := time.ParseInLocation("2006-01-02 15:04", at, chinatime.Zone)
	if perr != nil {
		t, perr = time.ParseInLocation("2006-01-02T15:04", at, chinatime.Zone) // <input type=datetime-local>
	}
	if perr != nil {
		s.caseResult(w, r, &cases.Refused{Kind: cases.ErrInvalid, Message: "通话时间：请按 2026-11-28 15:30 的格式填写"}, "", form)
		return
	}
	err := s.cases.RecordCall(r.Context(), r.PathValue("id"), userFrom(r.Context()).Name, cases.Call{At: t, Summary: summary})
	s.caseResult(w, r, err, "电话回复已记录", form)
}

func (s *Server) caseStatus(w http.ResponseWriter, r *http.Request) {
	to := r.PostFormValue("status")
	err := s.cases.SetStatus(r.Context(), r.PathValue("id"), userFrom(r.Context()).Name, r.PostFormValue("from"), to)
	s.caseResult(w, r, err, "状态已改为“"+cases.Label(to)+"”", caseData{})
}

func (s *Server) caseAssign(w http.ResponseWriter, r *http.Request) {
	u := userFrom(r.Context()).Name
	err := s.cases.Assign(r.Context(), r.PathValue("id"), u, r.PostFormValue("assignee"), s.staff(u))
	s.caseResult(w, r, err, "承办人已更新", caseData{})
}

func (s *Server) caseCategory(w http.ResponseWriter, r *http.Request) {
	err := s.cases.SetCategory(r.Context(), r.PathValue("id"), userFrom(r.Context()).Name, r.PostFormValue("category"))
	s.caseResult(w, r, err, "类别已更新", caseData{})
}
