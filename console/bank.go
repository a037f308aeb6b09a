package console

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/pufa-dev/pufa/chinatime"
	"github.com/pufa-dev/pufa/knowledge"
	"github.com/pufa-dev/pufa/store"
)

// The 问答库 pages: every answer entry residents get (office FAQ, shipped
// bank, staff edits), searched and filtered; an entry page for review with
// the cited articles' current text; edits, new entries, 标记为已审核 and
// 停用/启用, each saved to Redis (store/bank.go), applied to the knowledge
// base at once and written to the audit log.

// bankPageSize is how many entries a list page shows.
const bankPageSize = 50

// Console-side limits on what the bank's own rules leave open, so one form
// cannot bloat the index every question is matched against.
const (
	maxTopicRunes      = 20
	maxQuestionRunes   = 100
	maxParaphraseRunes = 100
	maxParaphrases     = 40
	maxCites           = 10
)

// reservedBankID is the path of the new-entry form, so no entry may have it.
const reservedBankID = "new"

func (s *Server) bankRoutes(m *http.ServeMux) {
	m.HandleFunc("GET /console/bank", s.requirePage(RoleEditor, s.bankList))
	if s.opts.Bank == nil {
		return
	}
	m.HandleFunc("POST /console/bank", s.requirePage(RoleEditor, s.bankCreate))
	m.HandleFunc("GET /console/bank/new", s.requirePage(RoleEditor, s.bankNew))
	m.HandleFunc("GET /console/bank/{id}", s.requirePage(RoleEditor, s.bankEntry))
	m.HandleFunc("POST /console/bank/{id}", s.requirePage(RoleEditor, s.bankSave))
	m.HandleFunc("POST /console/bank/{id}/review", s.requirePage(RoleApprover, s.bankAction(actionReview)))
	m.HandleFunc("POST /console/bank/{id}/disable", s.requirePage(RoleApprover, s.bankAction(actionDisable)))
	m.HandleFunc("POST /console/bank/{id}/enable", s.requirePage(RoleApprover, s.bankAction(actionEnable)))
}

// refreshBank picks up edits saved by other replicas before a page is shown;
// a failure leaves the edits in force as they are, which is still a page.
func (s *Server) refreshBank(ctx context.Context) {
	if err := s.opts.Bank.Refresh(ctx); err != nil {
		s.log.Warn("bank edits not refreshed", "err", err)
	}
}

// The list.

// bankRow is one entry in the list.
type bankRow struct {
	ID, Topic, Question    string
	Office, Edited, Added  bool
	Disabled               bool
	ReviewedBy, ReviewedAt string
	Cite                   string
}

type bankListData struct {
	Enabled                  bool
	Q, Topic, Status, Source string
	Topics                   []string
	Rows                     []bankRow
	Total, Page, Pages       int
	PrevURL, NextURL         string
	Skipped                  int
	Statuses                 []bankStatus
}

type bankStatus struct{ Value, Label string }

// bankStatuses are the status filters of the list.
var bankStatuses = []bankStatus{
	{"", "全部"}, {"pending", "待审核"}, {"reviewed", "已审核"}, {"disabled", "已停用"}, {"edited", "已修改"},
}

func (s *Server) bankList(w http.ResponseWriter, r *http.Request) {
	if s.opts.Bank == nil {
		s.page(w, r, http.StatusOK, "bank", "问答库", bankListData{})
		return
	}
	s.refreshBank(r.Context())
	kb := s.opts.Bank.KB()
	q := r.URL.Query()
	d := bankListData{Enabled: true, Q: strings.TrimSpace(q.Get("q")), Topic: q.Get("topic"), Status: q.Get("status"),
		Source: q.Get("source"), Skipped: s.opts.Bank.SkippedCount(), Statuses: bankStatuses}
	terms := strings.Fields(strings.ToLower(d.Q))
	var rows []bankRow
	for _, e := range kb.Entries() {
		if e.Topic != "" && !slices.Contains(d.Topics, e.Topic) {
			d.Topics = append(d.Topics, e.Topic)
		}
		row := rowOf(kb, e)
		if d.Topic != "" && e.Topic != d.Topic || !matchesSource(row, d.Source) || !matchesStatus(row, d.Status) || !matchesTerms(e, terms) {
			continue
		}
		rows = append(rows, row)
	}
	slices.Sort(d.Topics)
	d.Total = len(rows)
	d.Pages = max(1, (d.Total+bankPageSize-1)/bankPageSize)
	d.Page, _ = strconv.Atoi(q.Get("page"))
	d.Page = min(max(d.Page, 1), d.Pages)
	from := (d.Page - 1) * bankPageSize
	d.Rows = rows[from:min(from+bankPageSize, d.Total)]
	link := func(p int) string {
		v := url.Values{}
		for k, val := range map[string]string{"q": d.Q, "topic": d.Topic, "status": d.Status, "source": d.Source} {
			if val != "" {
				v.Set(k, val)
			}
		}
		v.Set("page", strconv.Itoa(p))
		return "/console/bank?" + v.Encode()
	}
	if d.Page > 1 {
		d.PrevURL = link(d.Page - 1)
	}
	if d.Page < d.Pages {
		d.NextURL = link(d.Page + 1)
	}
	s.page(w, r, http.StatusOK, "bank", "问答库", d)
}

func rowOf(kb KnowledgeBank, e *knowledge.Entry) bankRow {
	row := bankRow{ID: e.ID, Topic: e.Topic, Question: e.Question, Office: e.Layer == knowledge.LayerOffice,
		Disabled: e.Disabled, ReviewedBy: e.ReviewedBy, ReviewedAt: e.ReviewedAt}
	if !row.Office {
		// An edit in force is another *Entry than the shipped one.
		shipped := kb.ShippedEntry(e.ID)
		row.Added, row.Edited = shipped == nil, shipped != nil && shipped != e
	}
	if len(e.Cites) > 0 {
		a := e.Cites[0].Article
		row.Cite = a.Law.ShortName + a.NumberCN()
	}
	return row
}

func matchesSource(row bankRow, source string) bool {
	switch source {
	case "office":
		return row.Office
	case "bank":
		return !row.Office
	}
	return true
}

func matchesStatus(row bankRow, status string) bool {
	switch status {
	case "pending":
		return row.ReviewedBy == ""
	case "reviewed":
		return row.ReviewedBy != ""
	case "disabled":
		return row.Disabled
	case "edited":
		return row.Edited || row.Added
	}
	return true
}

// matchesTerms reports whether every search term is in the entry's id,
// question, paraphrases or answer.
func matchesTerms(e *knowledge.Entry, terms []string) bool {
	if len(terms) == 0 {
		return true
	}
	text := strings.ToLower(e.ID + "\n" + e.Question + "\n" + strings.Join(e.Paraphrases, "\n") + "\n" + e.Answer)
	for _, t := range terms {
		if !strings.Contains(text, t) {
			return false
		}
	}
	return true
}

// The entry page.

// bankForm is the edit form as typed: paraphrases one a line, citations one
// a line as "劳动合同法第三十条 | 引文".
type bankForm struct {
	ID, Topic, Question, Paraphrases, Answer, Next, Cites string
}

// citeView is a citation with the article's current text, the quote marked.
type citeView struct {
	Ref, LawName, Version, Note, Quote string
	Before, Match, After               string // the article text around the quote
}

// bankVersion is one version of an entry's edits in its history.
type bankVersion struct{ store.BankEdit }

var changeLabels = map[string]string{"edit": "修改内容", "create": "新增", actionReview: "审核", actionDisable: "停用", actionEnable: "启用"}

// ChangeLabel names what the version did, in Chinese.
func (v bankVersion) ChangeLabel() string {
	if l, ok := changeLabels[v.Change]; ok {
		return l
	}
	return v.Change
}

// fieldDiff is one field that differs from the shipped entry.
type fieldDiff struct {
	Label, Current, Shipped string
}

type bankEntryData struct {
	New     bool
	ID      string
	Entry   *knowledge.Entry // what residents get; nil for a new entry or an edit not in force
	Office  bool
	Added   bool // staff-added, not in the shipped bank
	Edit    store.BankEdit
	HasEdit bool
	Version int64 // the entry's edit version the form saw
	Skipped string
	Cites   []citeView
	Diffs   []fieldDiff
	History []bankVersion // the current edit first, then the ones it replaced
	Topics  []string

	Form      bankForm
	Problems  []problem
	FieldErrs map[string][]string
}

// Err returns the problems of one form field, for the template.
func (d bankEntryData) Err(field string) []string { return d.FieldErrs[field] }

func (s *Server) bankNew(w http.ResponseWriter, r *http.Request) {
	s.page(w, r, http.StatusOK, "bank_entry", "问答库 · 新增条目", bankEntryData{New: true, Topics: s.bankTopics()})
}

func (s *Server) bankTopics() []string {
	var out []string
	for _, e := range s.opts.Bank.KB().Entries() {
		if e.Topic != "" && !slices.Contains(out, e.Topic) {
			out = append(out, e.Topic)
		}
	}
	slices.Sort(out)
	return out
}

// loadBankEntry gathers what the entry page shows of id; ok=false when no
// entry or stored edit has that id.
func (s *Server) loadBankEntry(ctx context.Context, id string) (bankEntryData, bool, error) {
	kb := s.opts.Bank.KB()
	d := bankEntryData{ID: id, Entry: kb.Entry(id), Topics: s.bankTopics()}
	if d.Entry != nil && d.Entry.Layer == knowledge.LayerOffice {
		d.Office = true
		d.Form = formFromRecord(d.Entry.Record())
		d.Cites = citeViews(d.Entry)
		return d, true, nil
	}
	edit, ok, err := s.st.BankEdit(ctx, id)
	if err != nil {
		return d, false, err
	}
	if d.Entry == nil && !ok {
		return d, false, nil
	}
	d.Edit, d.HasEdit, d.Version = edit, ok, edit.Version
	if ok {
		d.Form = formFromRecord(recordFromEdit(edit))
	} else {
		d.Form = formFromRecord(d.Entry.Record())
	}
	switch why := s.opts.Bank.Skipped(id); {
	case errors.Is(why, errUnreadableEdit):
		d.Skipped = "Redis 中保存的修改无法读取；保存一次修改即可替换它"
	case why != nil:
		d.Skipped = strings.Join(problemLines(translate(why, recordFromEdit(edit), s.validate)), "；")
	}
	shipped := kb.ShippedEntry(id)
	d.Added = shipped == nil
	if d.Entry != nil {
		d.Cites = citeViews(d.Entry)
		if shipped != nil && shipped != d.Entry {
			d.Diffs = diffEntries(d.Entry, shipped)
		}
	}
	older, err := s.st.BankEditHistory(ctx, id)
	if err != nil {
		return d, false, err
	}
	if ok {
		older = append(older, edit)
	}
	for i := len(older) - 1; i >= 0; i-- {
		d.History = append(d.History, bankVersion{older[i]})
	}
	return d, true, nil
}

func (s *Server) bankEntry(w http.ResponseWriter, r *http.Request) {
	s.refreshBank(r.Context())
	id := r.PathValue("id")
	d, ok, err := s.loadBankEntry(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !ok {
		http.NotFound(w, r)
		return
	}
	s.page(w, r, http.StatusOK, "bank_entry", "问答库 · "+id, d)
}

func citeViews(e *knowledge.Entry) []citeView {
	out := make([]citeView, 0, len(e.Cites))
	for _, c := range e.Cites {
		a := c.Article
		v := citeView{Ref: a.Law.ShortName + a.NumberCN(), LawName: "《" + a.Law.Name + "》" + a.NumberCN(),
			Version: a.Law.Version, Note: a.Law.Note, Quote: c.Quote, Before: a.Text}
		// The bank's rule compares white space aside; where the quote is in
		// the text exactly, mark it, otherwise show the text unmarked.
		if i := strings.Index(a.Text, c.Quote); c.Quote != "" && i >= 0 {
			v.Before, v.Match, v.After = a.Text[:i], c.Quote, a.Text[i+len(c.Quote):]
		}
		out = append(out, v)
	}
	return out
}

// diffEntries lists the fields where the entry in force differs from the
// shipped one, for the reviewer to compare.
func diffEntries(cur, shipped *knowledge.Entry) []fieldDiff {
	c, o := formFromRecord(cur.Record()), formFromRecord(shipped.Record())
	var out []fieldDiff
	for _, f := range []struct{ label, cur, old string }{
		{"主题", c.Topic, o.Topic}, {"问题", c.Question, o.Question}, {"其他问法", c.Paraphrases, o.Paraphrases},
		{"回答", c.Answer, o.Answer}, {"下一步", c.Next, o.Next}, {"引用", c.Cites, o.Cites},
	} {
		if f.cur != f.old {
			out = append(out, fieldDiff{Label: f.label, Current: f.cur, Shipped: f.old})
		}
	}
	return out
}

// Forms.

func formFromRecord(r knowledge.EntryRecord) bankForm {
	f := bankForm{ID: r.ID, Topic: r.Topic, Question: r.Question, Paraphrases: strings.Join(r.Paraphrases, "\n"),
		Answer: r.Answer, Next: r.Next}
	cites := make([]string, len(r.Cites))
	for i, c := range r.Cites {
		cites[i] = c.Ref
		if c.Quote != "" {
			cites[i] += " | " + c.Quote
		}
	}
	f.Cites = strings.Join(cites, "\n")
	return f
}

func readBankForm(r *http.Request) bankForm {
	v := func(k string) string { return strings.ReplaceAll(r.PostFormValue(k), "\r\n", "\n") }
	return bankForm{ID: strings.TrimSpace(v("id")), Topic: strings.TrimSpace(v("topic")), Question: strings.TrimSpace(v("question")),
		Paraphrases: v("paraphrases"), Answer: strings.TrimSpace(v("answer")), Next: strings.TrimSpace(v("next")), Cites: v("cites")}
}

// lines are the non-blank lines of a text area, trimmed.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// content is the form's entry content; the caller sets id and metadata.
func (f bankForm) content() knowledge.EntryRecord {
	r := knowledge.EntryRecord{Topic: f.Topic, Question: f.Question, Paraphrases: lines(f.Paraphrases), Answer: f.Answer, Next: f.Next}
	for _, l := range lines(f.Cites) {
		ref, quote, _ := strings.Cut(strings.Replace(l, "｜", "|", 1), "|")
		r.Cites = append(r.Cites, knowledge.CiteRecord{Ref: strings.TrimSpace(ref), Quote: strings.TrimSpace(quote)})
	}
	return r
}

// limits are the console's own checks of a form.
func (f bankForm) limits() []problem {
	var out []problem
	runes := utf8.RuneCountInString
	if n := runes(f.Topic); n > maxTopicRunes {
		out = append(out, problem{fieldTopic, fmt.Sprintf("共 %d 字，最多 %d 字", n, maxTopicRunes)})
	}
	if n := runes(f.Question); n > maxQuestionRunes {
		out = append(out, problem{fieldQuestion, fmt.Sprintf("共 %d 字，最多 %d 字", n, maxQuestionRunes)})
	}
	ps := lines(f.Paraphrases)
	if len(ps) > maxParaphrases {
		out = append(out, problem{fieldParaphrases, fmt.Sprintf("共 %d 条，最多 %d 条", len(ps), maxParaphrases)})
	}
	for i, p := range ps {
		if n := runes(p); n > maxParaphraseRunes {
			out = append(out, problem{fieldParaphrases, fmt.Sprintf("第 %d 行共 %d 字，最多 %d 字", i+1, n, maxParaphraseRunes)})
		}
	}
	if n := len(lines(f.Cites)); n > maxCites {
		out = append(out, problem{fieldCites, fmt.Sprintf("共 %d 条，最多 %d 条", n, maxCites)})
	}
	return out
}

func (s *Server) validate(r knowledge.EntryRecord) error {
	_, err := s.opts.Bank.KB().ValidateEdit(r)
	return err
}

// check validates a record by the bank's rules and the console's limits;
// nil means it may be saved.
func (s *Server) check(f bankForm, r knowledge.EntryRecord) []problem {
	probs := f.limits()
	if err := s.validate(r); err != nil {
		probs = append(probs, translate(err, r, s.validate)...)
	}
	return probs
}

func problemLines(ps []problem) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}

// sameContent reports whether two records say the same to residents.
func sameContent(a, b knowledge.EntryRecord) bool {
	return a.Topic == b.Topic && a.Question == b.Question && slices.Equal(a.Paraphrases, b.Paraphrases) &&
		a.Answer == b.Answer && a.Next == b.Next && slices.Equal(a.Cites, b.Cites)
}

// contentHash is a short hash of what residents read, for the audit log: a
// review's hash equals the hash of the edit it approved.
func contentHash(r knowledge.EntryRecord) string {
	b, _ := json.Marshal([]any{r.Topic, r.Question, r.Paraphrases, r.Answer, r.Next, r.Cites})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:6])
}

// current is the entry's record as it stands: its stored edit, else the
// shipped entry.
func current(d bankEntryData) knowledge.EntryRecord {
	if d.HasEdit {
		return recordFromEdit(d.Edit)
	}
	return d.Entry.Record()
}

// saveBankEdit stores r as the entry's edit, applies the edits and writes
// the audit log. It returns the entry's new edit version.
func (s *Server) saveBankEdit(ctx context.Context, u user, r knowledge.EntryRecord, seen int64, change string) (int64, error) {
	e := editFromRecord(r)
	e.Change, e.EditedBy, e.EditedAt = change, u.Name, s.opts.Now()
	v, err := s.st.SaveBankEdit(ctx, e, seen)
	if err != nil {
		return 0, err
	}
	if err := s.opts.Bank.Load(ctx); err != nil {
		// Saved but not yet in force here: the next refresh applies it.
		s.log.Error("bank edit saved but not applied", "entry", r.ID, "err", err)
	}
	s.audit(ctx, u.Name, "bank."+change, r.ID, fmt.Sprintf("version %d sha256:%s", v, contentHash(r)))
	return v, nil
}

// renderBankForm shows the entry page again with the typed form and its
// problems; nothing was saved.
func (s *Server) renderBankForm(w http.ResponseWriter, r *http.Request, status int, d bankEntryData, f bankForm, probs []problem) {
	d.Form, d.Problems, d.FieldErrs = f, probs, map[string][]string{}
	for _, p := range probs {
		d.FieldErrs[p.Field] = append(d.FieldErrs[p.Field], p.Msg)
	}
	title := "问答库 · " + d.ID
	if d.New {
		title = "问答库 · 新增条目"
	}
	s.page(w, r, status, "bank_entry", title, d)
}

// bankChangeTarget loads the entry a change form posts to and the version
// the form saw. It answers the request itself, and reports false, when the
// entry is unknown, is the office's (edited in its FAQ file; verb says
// what was refused) or the form carries no version.
func (s *Server) bankChangeTarget(w http.ResponseWriter, r *http.Request, id, verb string) (bankEntryData, int64, bool) {
	d, ok, err := s.loadBankEntry(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return d, 0, false
	}
	if !ok {
		http.NotFound(w, r)
		return d, 0, false
	}
	path := "/console/bank/" + id
	if d.Office {
		back(w, r, path, "err", "本办常见问题条目请在常见问题文件（knowledge.faq_file）中"+verb)
		return d, 0, false
	}
	seen, err := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	if err != nil {
		back(w, r, path, "err", "表单已失效，请刷新页面后重试")
		return d, 0, false
	}
	return d, seen, true
}

func (s *Server) bankSave(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	u := userFrom(ctx)
	id := r.PathValue("id")
	d, seen, ok := s.bankChangeTarget(w, r, id, "修改，未保存")
	if !ok {
		return
	}
	f := readBankForm(r)
	f.ID = id
	before := current(d)
	// reviewed_by and reviewed_at stay empty: a changed text is no longer
	// the text that was reviewed.
	rec := f.content()
	rec.ID, rec.Author, rec.Disabled = id, before.Author, before.Disabled
	if sameContent(rec, before) {
		back(w, r, "/console/bank/"+id, "msg", "内容没有变化，未保存")
		return
	}
	if probs := s.check(f, rec); len(probs) > 0 {
		s.renderBankForm(w, r, http.StatusUnprocessableEntity, d, f, probs)
		return
	}
	v, err := s.saveBankEdit(ctx, u, rec, seen, "edit")
	if errors.Is(err, store.ErrVersion) {
		d, _, _ = s.loadBankEntry(ctx, id)
		s.renderBankForm(w, r, http.StatusConflict, d, f, []problem{{fieldOther,
			"保存前该条目已被他人修改，页面上方已是最新内容。您填写的内容仍在表单中；核对后再次保存将以您的内容为准。"}})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	back(w, r, "/console/bank/"+id, "msg", fmt.Sprintf("已保存（第 %d 版），居民即刻可见。内容已修改，需重新审核。", v))
}

func (s *Server) bankCreate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	u := userFrom(ctx)
	f := readBankForm(r)
	d := bankEntryData{New: true, Topics: s.bankTopics()}
	rec := f.content()
	rec.ID, rec.Author = f.ID, u.Name
	probs := s.check(f, rec)
	kb := s.opts.Bank.KB()
	_, edited, err := s.st.BankEdit(ctx, f.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	switch {
	case f.ID == reservedBankID:
		probs = append([]problem{{fieldID, "“new”是保留字，请换一个编号"}}, probs...)
	case f.ID != "" && (kb.Entry(f.ID) != nil || kb.ShippedEntry(f.ID) != nil || edited):
		probs = append([]problem{{fieldID, "已有条目使用编号“" + f.ID + "”，请换一个，或打开该条目修改"}}, probs...)
	}
	if len(probs) > 0 {
		s.renderBankForm(w, r, http.StatusUnprocessableEntity, d, f, probs)
		return
	}
	if _, err := s.saveBankEdit(ctx, u, rec, 0, "create"); errors.Is(err, store.ErrVersion) {
		s.renderBankForm(w, r, http.StatusConflict, d, f, []problem{{fieldID, "刚刚有人用编号“" + f.ID + "”新增了条目，请换一个编号"}})
		return
	} else if err != nil {
		s.fail(w, r, err)
		return
	}
	back(w, r, "/console/bank/"+f.ID, "msg", "已新增条目，居民即刻可见，待审核")
}

// Review and enabling.

const (
	actionReview  = "review"
	actionDisable = "disable"
	actionEnable  = "enable"
)

var bankActionLabels = map[string]string{actionReview: "标记为已审核", actionDisable: "停用", actionEnable: "启用"}

func (s *Server) bankAction(action string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		u := userFrom(ctx)
		id := r.PathValue("id")
		path := "/console/bank/" + id
		label := bankActionLabels[action]
		d, seen, ok := s.bankChangeTarget(w, r, id, label)
		if !ok {
			return
		}
		rec := current(d)
		switch action {
		case actionReview:
			rec.ReviewedBy, rec.ReviewedAt = u.Name, s.opts.Now().In(chinatime.Zone).Format("2006-01-02")
		case actionDisable:
			rec.Disabled = true
		case actionEnable:
			rec.Disabled = false
		}
		if err := s.validate(rec); err != nil {
			back(w, r, path, "err", label+"失败：该条目的内容未通过校验，请先修改："+
				strings.Join(problemLines(translate(err, rec, s.validate)), "；"))
			return
		}
		_, err := s.saveBankEdit(ctx, u, rec, seen, action)
		if errors.Is(err, store.ErrVersion) {
			back(w, r, path, "err", label+"失败：该条目刚被他人修改，请查看最新内容后重试")
			return
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		back(w, r, path, "msg", "已"+label)
	}
}
