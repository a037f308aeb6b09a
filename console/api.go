package console

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/pufa-dev/pufa/campaigns"
	"github.com/pufa-dev/pufa/cases"
	"github.com/pufa-dev/pufa/ledger"
	"github.com/pufa-dev/pufa/report"
	"github.com/pufa-dev/pufa/store"
)

// The JSON API mirrors the pages for integration; every route takes
// "Authorization: Bearer <token>". Errors are {"error": "..."}.

// statusOf is the one HTTP status each kind of expected error has in the
// console: a missing thing 404, a stale version or refused change 409,
// invalid input 422, a bad query or period 400; 500 for anything else.
func statusOf(err error) int {
	switch {
	case errors.Is(err, campaigns.ErrNotFound), errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, store.ErrVersion), errors.Is(err, campaigns.ErrTransition), errors.Is(err, campaigns.ErrConflict):
		return http.StatusConflict
	case errors.Is(err, ledger.ErrInvalid):
		return http.StatusUnprocessableEntity
	case errors.Is(err, errBadRequest), errors.Is(err, report.ErrPeriod):
		return http.StatusBadRequest
	}
	return http.StatusInternalServerError
}

// apiError answers a handler's error with its status (statusOf); what
// names the thing a 404 or a stale version is about. A 500 is logged and
// its details withheld.
func (s *Server) apiError(w http.ResponseWriter, r *http.Request, err error, what string) {
	switch code := statusOf(err); {
	case code == http.StatusNotFound:
		writeJSONError(w, code, "no such "+what)
	case errors.Is(err, store.ErrVersion):
		writeJSONError(w, code, "the "+what+" changed since version given")
	case code == http.StatusConflict:
		writeJSONError(w, code, s.userError(err))
	case code == http.StatusInternalServerError:
		s.apiFail(w, r, err)
	default:
		writeJSONError(w, code, err.Error())
	}
}

func (s *Server) apiDashboard(w http.ResponseWriter, r *http.Request) {
	d, err := s.dashboardFigures(r)
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"year": d.Year.Totals, "month": d.Month, "communities": d.Communities, "followers": d.Followers,
		"new_consultations": d.NewConsults, "top_topics": d.Year.TopTopics,
	})
}

func (s *Server) apiCampaigns(w http.ResponseWriter, r *http.Request) {
	list, err := s.opts.Campaigns.List(r.Context())
	if err != nil && list == nil {
		s.apiFail(w, r, err)
		return
	}
	p := pageOf(r)
	page := pageSlice(&p, list)
	if page == nil {
		page = []campaigns.Stats{}
	}
	p.setHeaders(w)
	writeJSON(w, http.StatusOK, page)
}

func (s *Server) apiCampaign(w http.ResponseWriter, r *http.Request) {
	st, err := s.opts.Campaigns.Stats(r.Context(), r.PathValue("id"))
	if err != nil {
		s.apiError(w, r, err, "campaign")
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) apiCampaignAction(action string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		u := userFrom(r.Context())
		if err := s.changeCampaign(r, action, id, u); err != nil {
			s.apiError(w, r, err, "campaign")
			return
		}
		if action != "approve" { // the manager audits approvals, with the content hash
			s.audit(r.Context(), u.Name, "campaign."+action, id, "api")
		}
		st, err := s.opts.Campaigns.Stats(r.Context(), id)
		if err != nil {
			s.apiFail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, st)
	}
}

func (s *Server) apiLedgerList(w http.ResponseWriter, r *http.Request) {
	from, to, err := s.period(r)
	if err != nil {
		s.apiError(w, r, err, "")
		return
	}
	p := pageOf(r)
	entries, total, err := s.opts.Ledger.Page(r.Context(), from, to, p.Offset(), p.PerPage)
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	p.Total = total
	p.setHeaders(w)
	if entries == nil {
		entries = []ledger.Entry{}
	}
	writeJSON(w, http.StatusOK, entries)
}

// ledgerBody is the JSON of an activity; version guards edits.
type ledgerBody struct {
	Date         string `json:"date"`
	Community    string `json:"community"`
	Kind         string `json:"kind"`
	Count        int64  `json:"count"`
	Participants int64  `json:"participants"`
	Note         string `json:"note"`
	Version      int64  `json:"version"`
}

func decodeLedger(w http.ResponseWriter, r *http.Request) (ledgerBody, bool) {
	var b ledgerBody
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		writeJSONError(w, http.StatusBadRequest, "body: "+err.Error())
		return b, false
	}
	return b, true
}

func (b ledgerBody) input() ledger.Input {
	return ledger.Input{Date: b.Date, Community: b.Community, Kind: b.Kind, Count: b.Count, Participants: b.Participants, Note: b.Note}
}

func (s *Server) apiLedgerAdd(w http.ResponseWriter, r *http.Request) {
	b, ok := decodeLedger(w, r)
	if !ok {
		return
	}
	u := userFrom(r.Context())
	id, err := s.opts.Ledger.Add(r.Context(), b.input(), u.Name)
	if err != nil {
		s.apiError(w, r, err, "entry")
		return
	}
	s.audit(r.Context(), u.Name, "ledger.add", id, "api")
	e, err := s.opts.Ledger.Get(r.Context(), id)
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, e)
}

func (s *Server) apiLedgerGet(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	e, err := s.opts.Ledger.Get(r.Context(), id)
	if err != nil {
		s.apiError(w, r, err, "entry")
		return
	}
	h, err := s.opts.Ledger.History(r.Context(), id)
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"entry": e, "history": h})
}

func (s *Server) apiLedgerEdit(w http.ResponseWriter, r *http.Request) {
	b, ok := decodeLedger(w, r)
	if !ok {
		return
	}
	id := r.PathValue("id")
	u := userFrom(r.Context())
	if _, err := s.opts.Ledger.Edit(r.Context(), id, b.input(), b.Version, u.Name); err != nil {
		s.apiError(w, r, err, "entry")
		return
	}
	s.audit(r.Context(), u.Name, "ledger.edit", id, "api")
	e, _ := s.opts.Ledger.Get(r.Context(), id)
	writeJSON(w, http.StatusOK, e)
}

// apiConsultation hides the openid: integrations get the case, a masked
// resident, not the person.
type apiConsultation struct {
	ID        string    `json:"id"`
	Resident  string    `json:"resident"`
	Community string    `json:"community"`
	Question  string    `json:"question"`
	Category  string    `json:"category"`
	Assignee  string    `json:"assignee"`
	Status    string    `json:"status"`
	Overdue   bool      `json:"overdue"`
	Created   time.Time `json:"created"`
}

func (s *Server) apiConsultations(w http.ResponseWriter, r *http.Request) {
	d, err := s.casePage(r)
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	d.Pager.setHeaders(w)
	out := make([]apiConsultation, 0, len(d.Rows))
	for _, c := range d.Rows {
		out = append(out, apiConsultation{ID: c.ID, Resident: c.Resident, Community: c.Community, Question: c.Asked,
			Category: c.Category, Assignee: c.Assignee, Status: c.Status, Overdue: c.Overdue, Created: c.Created})
	}
	writeJSON(w, http.StatusOK, out)
}

// apiConsultationStatus moves a case as the transition table allows;
// answered is set by a reply or a recorded call only.
func (s *Server) apiConsultationStatus(w http.ResponseWriter, r *http.Request) {
	var b struct {
		Status string `json:"status"`
		From   string `json:"from"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4<<10)).Decode(&b); err != nil {
		writeJSONError(w, http.StatusBadRequest, "body: "+err.Error())
		return
	}
	id := r.PathValue("id")
	u := userFrom(r.Context())
	err := s.cases.SetStatus(r.Context(), id, u.Name, b.From, b.Status)
	var rf *cases.Refused
	switch {
	case errors.Is(err, cases.ErrNotFound):
		writeJSONError(w, http.StatusNotFound, "no such consultation")
		return
	case errors.Is(err, cases.ErrTransition):
		writeJSONError(w, http.StatusConflict, refusalText(err))
		return
	case errors.As(err, &rf):
		writeJSONError(w, http.StatusUnprocessableEntity, rf.Message)
		return
	case err != nil:
		s.apiFail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"id": id, "status": b.Status})
}

// refusalText is a refusal's message.
func refusalText(err error) string {
	var rf *cases.Refused
	if errors.As(err, &rf) {
		return rf.Message
	}
	return err.Error()
}

func (s *Server) apiReport(w http.ResponseWriter, r *http.Request) {
	rep, _, err := s.buildReport(r)
	if err != nil {
		s.apiError(w, r, err, "")
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

func (s *Server) apiAudit(w http.ResponseWriter, r *http.Request) {
	p := pageOf(r)
	log, total, err := s.st.AuditPage(r.Context(), p.Offset(), p.PerPage)
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	p.Total = total
	p.setHeaders(w)
	if log == nil {
		log = []store.AuditEntry{}
	}
	writeJSON(w, http.StatusOK, log)
}
