package console

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/pufa-dev/pufa/communities"
	"github.com/pufa-dev/pufa/ledger"
)

// mediationAPIRoutes serve the registry, disputes and legal aid to
// integrations: lists, the period's sums and new records. Editing stays in
// the console pages, where a refusal keeps what was typed.
func (s *Server) mediationAPIRoutes(m *http.ServeMux) {
	m.HandleFunc("GET /console/api/communities", s.requireAPI(RoleEditor, s.apiCommunities))
	m.HandleFunc("GET /console/api/disputes", s.requireAPI(RoleEditor, s.apiDisputes))
	m.HandleFunc("POST /console/api/disputes", s.requireAPI(RoleEditor, s.apiDisputeAdd))
	m.HandleFunc("GET /console/api/legal-aid", s.requireAPI(RoleEditor, s.apiLegalAids))
	m.HandleFunc("POST /console/api/legal-aid", s.requireAPI(RoleEditor, s.apiLegalAidAdd))
	m.HandleFunc("GET /console/api/mediation/sums", s.requireAPI(RoleEditor, s.apiMediationSums))
}

func (s *Server) apiCommunities(w http.ResponseWriter, r *http.Request) {
	if s.opts.Communities == nil {
		writeJSONError(w, http.StatusNotFound, "community registry not enabled")
		return
	}
	list, err := s.opts.Communities.List(r.Context())
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	if list == nil {
		list = []communities.Listed{}
	}
	writeJSON(w, http.StatusOK, list)
}

// apiMediation checks the ledger is on and reads the period; false when
// the response is written.
func (s *Server) apiMediation(w http.ResponseWriter, r *http.Request) (from, to string, ok bool) {
	if s.opts.Mediation == nil {
		writeJSONError(w, http.StatusNotFound, "mediation ledger not enabled")
		return "", "", false
	}
	from, to, err := s.period(r)
	if err != nil {
		writeJSONError(w, http.StatusBadRequest, err.Error())
		return "", "", false
	}
	return from, to, true
}

func (s *Server) apiDisputes(w http.ResponseWriter, r *http.Request) {
	if from, to, ok := s.apiMediation(w, r); ok {
		apiMediationList(s, w, r, from, to, s.opts.Mediation.Disputes)
	}
}

func (s *Server) apiLegalAids(w http.ResponseWriter, r *http.Request) {
	if from, to, ok := s.apiMediation(w, r); ok {
		apiMediationList(s, w, r, from, to, s.opts.Mediation.LegalAids)
	}
}

// apiMediationList writes one page of a book's records in the period, an
// empty list rather than null.
func apiMediationList[T any](s *Server, w http.ResponseWriter, r *http.Request, from, to string, records func(ctx context.Context, from, to string) ([]T, error)) {
	all, err := records(r.Context(), from, to)
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	p := pageOf(r)
	list := pageSlice(&p, all)
	p.setHeaders(w)
	if list == nil {
		list = []T{}
	}
	writeJSON(w, http.StatusOK, list)
}

// mediationSums is the period's figures and the sentence the report writes.
type mediationSums struct {
	From     string               `json:"from"`
	To       string               `json:"to"`
	Sentence string               `json:"sentence"`
	Sums     ledger.MediationSums `json:"sums"`
}

func (s *Server) apiMediationSums(w http.ResponseWriter, r *http.Request) {
	from, to, ok := s.apiMediation(w, r)
	if !ok {
		return
	}
	sums, err := s.opts.Mediation.Sums(r.Context(), from, to)
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, mediationSums{From: from, To: to, Sentence: sums.Total.Sentence(), Sums: sums})
}

func decodeStrict(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeJSONError(w, http.StatusBadRequest, "body: "+err.Error())
		return false
	}
	return true
}

func (s *Server) apiDisputeAdd(w http.ResponseWriter, r *http.Request) {
	if s.opts.Mediation == nil {
		writeJSONError(w, http.StatusNotFound, "mediation ledger not enabled")
		return
	}
	var b struct {
		Date      string `json:"date"`
		Community string `json:"community"`
		Type      string `json:"type"`
		Parties   string `json:"parties"`
		Status    string `json:"status"`
		Amount    string `json:"amount"` // yuan as offices write it: "35000", "3.5万"
		Note      string `json:"note"`
	}
	if !decodeStrict(w, r, &b) {
		return
	}
	apiMediationAdd(s, w, r, ledger.DisputeInput(b), s.opts.Mediation.AddDispute, s.opts.Mediation.Dispute, "dispute.add")
}

func (s *Server) apiLegalAidAdd(w http.ResponseWriter, r *http.Request) {
	if s.opts.Mediation == nil {
		writeJSONError(w, http.StatusNotFound, "mediation ledger not enabled")
		return
	}
	var b struct {
		Date       string `json:"date"`
		Community  string `json:"community"`
		Matter     string `json:"matter"`
		ReferredTo string `json:"referred_to"`
		Note       string `json:"note"`
	}
	if !decodeStrict(w, r, &b) {
		return
	}
	apiMediationAdd(s, w, r, ledger.LegalAidInput(b), s.opts.Mediation.AddLegalAid, s.opts.Mediation.LegalAid, "legal_aid.add")
}

// apiMediationAdd registers in with add and answers the record as stored.
func apiMediationAdd[In, Rec any](s *Server, w http.ResponseWriter, r *http.Request, in In,
	add func(ctx context.Context, in In, by string) (string, error),
	read func(ctx context.Context, id string) (Rec, error), action string) {
	u := userFrom(r.Context())
	id, err := add(r.Context(), in, u.Name)
	if errors.Is(err, ledger.ErrInvalid) {
		writeJSONError(w, http.StatusUnprocessableEntity, err.Error())
		return
	}
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	s.audit(r.Context(), u.Name, action, id, "api")
	rec, err := read(r.Context(), id)
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, rec)
}
