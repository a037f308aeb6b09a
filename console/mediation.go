package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"github.com/pufa-dev/pufa/chinatime"
	"github.com/pufa-dev/pufa/communities"
	"github.com/pufa-dev/pufa/ledger"
	"github.com/pufa-dev/pufa/store"
)

// mediationRoutes serves the 调解与法援 pages: disputes handled (排查调处)
// and legal-aid referrals, with the period's sums as the report writes them.
func (s *Server) mediationRoutes(m *http.ServeMux) {
	m.HandleFunc("GET /console/disputes", s.requirePage(RoleEditor, s.disputeList))
	m.HandleFunc("POST /console/disputes", s.requirePage(RoleEditor, s.disputeAdd))
	m.HandleFunc("GET /console/disputes/{id}", s.requirePage(RoleEditor, s.disputeDetail))
	m.HandleFunc("POST /console/disputes/{id}", s.requirePage(RoleEditor, s.disputeEdit))
	m.HandleFunc("GET /console/legal-aid", s.requirePage(RoleEditor, s.legalAidList))
	m.HandleFunc("POST /console/legal-aid", s.requirePage(RoleEditor, s.legalAidAdd))
	m.HandleFunc("GET /console/legal-aid/{id}", s.requirePage(RoleEditor, s.legalAidDetail))
	m.HandleFunc("POST /console/legal-aid/{id}", s.requirePage(RoleEditor, s.legalAidEdit))
	s.mediationAPIRoutes(m) // mediation_api.go
}

type disputeRow struct {
	ledger.Dispute
	CommunityName string
	Amount        string // yuan, two decimals
}

type legalAidRow struct {
	ledger.LegalAid
	CommunityName string
}

// mediationForm is what every page of the section needs besides its list.
type mediationForm struct {
	From, To    string
	Today       string
	Types       []string
	Statuses    []string
	Matters     []string
	Communities []string // registry names, offered while typing
}

type disputesData struct {
	mediationForm
	Sentence string
	Total    ledger.MediationFigures
	List     []disputeRow
	Pager    pager
	Form     ledger.DisputeInput
}

type disputeData struct {
	mediationForm
	Entry   disputeRow
	History []disputeRow
	Form    ledger.DisputeInput
	Version int64
}

type legalAidsData struct {
	mediationForm
	List  []legalAidRow
	Pager pager
	Form  ledger.LegalAidInput
}

type legalAidData struct {
	mediationForm
	Entry   legalAidRow
	History []legalAidRow
	Form    ledger.LegalAidInput
	Version int64
}

func (s *Server) mediationForm(r *http.Request, from, to string) (mediationForm, communities.Directory, error) {
	f := mediationForm{From: from, To: to, Today: s.opts.Now().In(chinatime.Zone).Format("2006-01-02"),
		Types: ledger.DisputeTypes(), Statuses: ledger.DisputeStatuses(), Matters: ledger.LegalAidMatters()}
	dir, err := s.directory(r)
	if err != nil {
		return f, dir, err
	}
	if s.opts.Communities != nil {
		list, err := s.opts.Communities.List(r.Context())
		if err != nil {
			return f, dir, err
		}
		for _, c := range list {
			if c.Name != "" && c.Active {
				f.Communities = append(f.Communities, c.Name)
			}
		}
	}
	return f, dir, nil
}

func disputeRowOf(dir communities.Directory, d ledger.Dispute) disputeRow {
	return disputeRow{Dispute: d, CommunityName: dir.Name(d.Community), Amount: ledger.FormatYuan(d.AmountFen)}
}

// disputeInputOf is the form of a recorded dispute, community by name.
func disputeInputOf(dir communities.Directory, d ledger.Dispute) ledger.DisputeInput {
	amount := ""
	if d.AmountFen > 0 {
		amount = ledger.FormatYuan(d.AmountFen)
	}
	return ledger.DisputeInput{Date: d.Date, Community: dir.Name(d.Community), Type: d.Type,
		Parties: strconv.FormatInt(d.Parties, 10), Status: d.Status, Amount: amount, Note: d.Note}
}

func disputeForm(r *http.Request) ledger.DisputeInput {
	return ledger.DisputeInput{Date: r.PostFormValue("date"), Community: r.PostFormValue("community"),
		Type: r.PostFormValue("type"), Parties: r.PostFormValue("parties"), Status: r.PostFormValue("status"),
		Amount: r.PostFormValue("amount"), Note: r.PostFormValue("note")}
}

func (s *Server) disputeList(w http.ResponseWriter, r *http.Request) {
	s.renderDisputes(w, r, http.StatusOK, ledger.DisputeInput{Date: s.opts.Now().In(chinatime.Zone).Format("2006-01-02"), Parties: "2"}, "")
}

func (s *Server) renderDisputes(w http.ResponseWriter, r *http.Request, status int, form ledger.DisputeInput, msg string) {
	if s.opts.Mediation == nil {
		http.NotFound(w, r)
		return
	}
	from, to, perr := s.period(r)
	mf, dir, err := s.mediationForm(r, from, to)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := disputesData{mediationForm: mf, Form: form, Pager: pageOf(r)}
	if perr != nil {
		s.pageError(w, r, http.StatusBadRequest, "disputes", "矛盾纠纷调处", d, perr.Error())
		return
	}
	sums, err := s.opts.Mediation.Sums(r.Context(), from, to)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d.Total, d.Sentence = sums.Total, sums.Total.Sentence()
	all, err := s.opts.Mediation.Disputes(r.Context(), from, to)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	slices.Reverse(all) // latest first
	for _, e := range pageSlice(&d.Pager, all) {
		d.List = append(d.List, disputeRowOf(dir, e))
	}
	if msg == "" {
		msg = r.URL.Query().Get("err")
	}
	s.pageError(w, r, status, "disputes", "矛盾纠纷调处", d, msg)
}

func (s *Server) disputeAdd(w http.ResponseWriter, r *http.Request) {
	if s.opts.Mediation == nil {
		http.NotFound(w, r)
		return
	}
	addRecord(s, w, r, recordAdd[ledger.DisputeInput]{
		form: disputeForm, add: s.opts.Mediation.AddDispute, render: s.renderDisputes,
		action: "dispute.add", detail: func(in ledger.DisputeInput) string { return in.Date + " " + in.Type + " " + in.Status },
		list: "/console/disputes", added: "已登记纠纷 #",
	})
}

func (s *Server) disputeDetail(w http.ResponseWriter, r *http.Request) {
	s.renderDispute(w, r, http.StatusOK, nil, 0, "")
}

// renderDispute shows dispute {id}; form, when not nil, is what staff typed
// (kept after an error), else the record as stored.
func (s *Server) renderDispute(w http.ResponseWriter, r *http.Request, status int, form *ledger.DisputeInput, version int64, msg string) {
	if s.opts.Mediation == nil {
		http.NotFound(w, r)
		return
	}
	id := r.PathValue("id")
	e, mf, dir, ok := mediationRecord(s, w, r, id, s.opts.Mediation.Dispute)
	if !ok {
		return
	}
	h, err := s.opts.Mediation.DisputeHistory(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := disputeData{mediationForm: mf, Entry: disputeRowOf(dir, e), Version: e.Version, Form: disputeInputOf(dir, e)}
	if form != nil {
		d.Form, d.Version = *form, version
	}
	for i := len(h) - 1; i >= 0; i-- {
		d.History = append(d.History, disputeRowOf(dir, h[i]))
	}
	if msg == "" {
		msg = r.URL.Query().Get("err")
	}
	s.pageError(w, r, status, "dispute", "纠纷 #"+id, d, msg)
}

// mediationRecord reads record id with read, and what the record's page
// needs besides; false when the response is written (404 for no such
// record).
func mediationRecord[T any](s *Server, w http.ResponseWriter, r *http.Request, id string, read func(context.Context, string) (T, error)) (T, mediationForm, communities.Directory, bool) {
	e, err := read(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		http.NotFound(w, r)
		return e, mediationForm{}, communities.Directory{}, false
	}
	if err != nil {
		s.fail(w, r, err)
		return e, mediationForm{}, communities.Directory{}, false
	}
	mf, dir, err := s.mediationForm(r, "", "")
	if err != nil {
		s.fail(w, r, err)
		return e, mediationForm{}, communities.Directory{}, false
	}
	return e, mf, dir, true
}

func (s *Server) disputeEdit(w http.ResponseWriter, r *http.Request) {
	if s.opts.Mediation == nil {
		http.NotFound(w, r)
		return
	}
	editRecord(s, w, r, recordEdit[ledger.DisputeInput]{
		form: disputeForm, edit: s.opts.Mediation.EditDispute, render: s.renderDispute,
		conflict: "未保存：该纠纷已被他人修改，请查看修改历史后重新保存", action: "dispute.edit", page: "/console/disputes/",
	})
}

// recordAdd is how one book of the mediation ledger registers a record
// from its list page.
type recordAdd[In any] struct {
	form   func(*http.Request) In
	add    func(ctx context.Context, in In, by string) (string, error)
	render func(w http.ResponseWriter, r *http.Request, status int, form In, msg string)
	action string          // audit action
	detail func(In) string // audit detail
	list   string          // the list page, where a registered record goes back to
	added  string          // flash before the new id
}

// addRecord registers a record; a refusal shows the list again with what
// was typed.
func addRecord[In any](s *Server, w http.ResponseWriter, r *http.Request, a recordAdd[In]) {
	u := userFrom(r.Context())
	in := a.form(r)
	id, err := a.add(r.Context(), in, u.Name)
	if errors.Is(err, ledger.ErrInvalid) {
		a.render(w, r, http.StatusBadRequest, in, "未保存："+err.Error())
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.audit(r.Context(), u.Name, a.action, id, a.detail(in))
	back(w, r, a.list, "msg", a.added+id)
}

// recordEdit is how one book of the mediation ledger saves an edit from
// its record page.
type recordEdit[In any] struct {
	form     func(*http.Request) In
	edit     func(ctx context.Context, id string, in In, version int64, by string) (int64, error)
	render   func(w http.ResponseWriter, r *http.Request, status int, form *In, version int64, msg string)
	conflict string // the flash when someone else saved first
	action   string // audit action
	page     string // the record's page, before its id
}

// editRecord saves an edit against the version staff read; a refusal or
// a lost race shows the record again with what was typed.
func editRecord[In any](s *Server, w http.ResponseWriter, r *http.Request, e recordEdit[In]) {
	id := r.PathValue("id")
	u := userFrom(r.Context())
	in := e.form(r)
	version, _ := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	v, err := e.edit(r.Context(), id, in, version, u.Name)
	switch {
	case errors.Is(err, ledger.ErrInvalid):
		e.render(w, r, http.StatusBadRequest, &in, version, "未保存："+err.Error())
		return
	case errors.Is(err, store.ErrVersion):
		e.render(w, r, http.StatusConflict, &in, version, e.conflict)
		return
	case errors.Is(err, store.ErrNotFound):
		http.NotFound(w, r)
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	s.audit(r.Context(), u.Name, e.action, id, fmt.Sprintf("version %d", v))
	back(w, r, e.page+id, "msg", fmt.Sprintf("已保存（第 %d 版）", v))
}

// Legal aid.

func legalAidForm(r *http.Request) ledger.LegalAidInput {
	return ledger.LegalAidInput{Date: r.PostFormValue("date"), Community: r.PostFormValue("community"),
		Matter: r.PostFormValue("matter"), ReferredTo: r.PostFormValue("referred_to"), Note: r.PostFormValue("note")}
}

func (s *Server) legalAidList(w http.ResponseWriter, r *http.Request) {
	s.renderLegalAids(w, r, http.StatusOK, ledger.LegalAidInput{Date: s.opts.Now().In(chinatime.Zone).Format("2006-01-02")}, "")
}

func (s *Server) renderLegalAids(w http.ResponseWriter, r *http.Request, status int, form ledger.LegalAidInput, msg string) {
	if s.opts.Mediation == nil {
		http.NotFound(w, r)
		return
	}
	from, to, perr := s.period(r)
	mf, dir, err := s.mediationForm(r, from, to)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := legalAidsData{mediationForm: mf, Form: form, Pager: pageOf(r)}
	if perr != nil {
		s.pageError(w, r, http.StatusBadRequest, "legal_aid", "法律援助转介", d, perr.Error())
		return
	}
	all, err := s.opts.Mediation.LegalAids(r.Context(), from, to)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	slices.Reverse(all)
	for _, e := range pageSlice(&d.Pager, all) {
		d.List = append(d.List, legalAidRow{LegalAid: e, CommunityName: dir.Name(e.Community)})
	}
	if msg == "" {
		msg = r.URL.Query().Get("err")
	}
	s.pageError(w, r, status, "legal_aid", "法律援助转介", d, msg)
}

func (s *Server) legalAidAdd(w http.ResponseWriter, r *http.Request) {
	if s.opts.Mediation == nil {
		http.NotFound(w, r)
		return
	}
	addRecord(s, w, r, recordAdd[ledger.LegalAidInput]{
		form: legalAidForm, add: s.opts.Mediation.AddLegalAid, render: s.renderLegalAids,
		action: "legal_aid.add", detail: func(in ledger.LegalAidInput) string { return in.Date + " " + in.Matter },
		list: "/console/legal-aid", added: "已登记法律援助转介 #",
	})
}

func (s *Server) legalAidDetail(w http.ResponseWriter, r *http.Request) {
	s.renderLegalAid(w, r, http.StatusOK, nil, 0, "")
}

func (s *Server) renderLegalAid(w http.ResponseWriter, r *http.Request, status int, form *ledger.LegalAidInput, version int64, msg string) {
	if s.opts.Mediation == nil {
		http.NotFound(w, r)
		return
	}
	id := r.PathValue("id")
	e, mf, dir, ok := mediationRecord(s, w, r, id, s.opts.Mediation.LegalAid)
	if !ok {
		return
	}
	d := legalAidData{mediationForm: mf, Entry: legalAidRow{LegalAid: e, CommunityName: dir.Name(e.Community)}, Version: e.Version,
		Form: ledger.LegalAidInput{Date: e.Date, Community: dir.Name(e.Community), Matter: e.Matter, ReferredTo: e.ReferredTo, Note: e.Note}}
	if form != nil {
		d.Form, d.Version = *form, version
	}
	if msg == "" {
		msg = r.URL.Query().Get("err")
	}
	s.pageError(w, r, status, "legal_aid_entry", "法律援助转介 #"+id, d, msg)
}

func (s *Server) legalAidEdit(w http.ResponseWriter, r *http.Request) {
	if s.opts.Mediation == nil {
		http.NotFound(w, r)
		return
	}
	editRecord(s, w, r, recordEdit[ledger.LegalAidInput]{
		form: legalAidForm, edit: s.opts.Mediation.EditLegalAid, render: s.renderLegalAid,
		conflict: "未保存：该记录已被他人修改，请核对后重新保存", action: "legal_aid.edit", page: "/console/legal-aid/",
	})
}
