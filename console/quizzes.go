package console

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pufa-dev/pufa/chinatime"
	"github.com/pufa-dev/pufa/communities"
	"github.com/pufa-dev/pufa/quiz"
)

// QuizPages is what the quiz pages read (implemented by *quiz.Service).
type QuizPages interface {
	Catalog() *quiz.Catalog
	Stats(ctx context.Context, quizID string) (quiz.Stats, error)
	Certificates(ctx context.Context, quizID string) ([]quiz.Certificate, error)
}

func (s *Server) quizRoutes(m *http.ServeMux) {
	if s.opts.QuizPages == nil {
		return
	}
	m.HandleFunc("GET /console/quizzes", s.requirePage(RoleEditor, s.quizList))
	m.HandleFunc("GET /console/quizzes/{id}", s.requirePage(RoleEditor, s.quizDetail))
	m.HandleFunc("GET /console/quizzes/{id}/certificates", s.requirePage(RoleEditor, s.quizCertificates))
}

// quizRow is one quiz in the list.
type quizRow struct {
	quiz.Stats
	Status string // 未开始, 进行中, 已结束
}

func quizStatus(w quiz.Window, now time.Time) string {
	switch {
	case now.Before(w.From):
		return "未开始"
	case now.After(w.To):
		return "已结束"
	}
	return "进行中"
}

func (s *Server) quizList(w http.ResponseWriter, r *http.Request) {
	now := s.opts.Now()
	var rows []quizRow
	// Newest window first: the quiz staff ask about is usually the latest.
	qs := s.opts.QuizPages.Catalog().Quizzes()
	for i := len(qs) - 1; i >= 0; i-- {
		st, err := s.opts.QuizPages.Stats(r.Context(), qs[i].ID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		rows = append(rows, quizRow{Stats: st, Status: quizStatus(qs[i].Window, now)})
	}
	s.page(w, r, http.StatusOK, "quizzes", "网上答题", rows)
}

type quizDetailData struct {
	quizRow
	Chart template.HTML
}

// quizPage is the quiz {id} names and the registry's names to show its
// communities by; false when the response is written.
func (s *Server) quizPage(w http.ResponseWriter, r *http.Request) (*quiz.Quiz, communities.Directory, bool) {
	qz := s.opts.QuizPages.Catalog().Quiz(r.PathValue("id"))
	if qz == nil {
		http.Error(w, "没有这个答题", http.StatusNotFound)
		return nil, communities.Directory{}, false
	}
	dir, err := s.directory(r)
	if err != nil {
		s.fail(w, r, err)
		return nil, communities.Directory{}, false
	}
	return qz, dir, true
}

func (s *Server) quizDetail(w http.ResponseWriter, r *http.Request) {
	qz, dir, ok := s.quizPage(w, r)
	if !ok {
		return
	}
	st, err := s.opts.QuizPages.Stats(r.Context(), qz.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	for i := range st.Communities {
		st.Communities[i].Community = dir.Name(st.Communities[i].Community)
	}
	var labels []string
	var values []int64
	for _, c := range st.Communities {
		labels = append(labels, c.Community)
		values = append(values, c.Participants)
	}
	d := quizDetailData{quizRow: quizRow{Stats: st, Status: quizStatus(qz.Window, s.opts.Now())},
		Chart: barChart("各社区参与人数", labels, values)}
	s.page(w, r, http.StatusOK, "quiz", st.Title, d)
}

// quizCertificates exports who completed the quiz with which score, as a
// CSV a spreadsheet opens. Residents appear masked, as everywhere in the
// console; the export is audited, as it lists residents.
func (s *Server) quizCertificates(w http.ResponseWriter, r *http.Request) {
	qz, dir, ok := s.quizPage(w, r)
	if !ok {
		return
	}
	certs, err := s.opts.QuizPages.Certificates(r.Context(), qz.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var b bytes.Buffer
	b.WriteString("\ufeff") // so Excel reads the Chinese as UTF-8
	cw := csv.NewWriter(&b)
	rows := [][]string{{"证书编号", "答题", "名次", "居民", "社区", "答对题数", "题数", "得分", "完成时间"}}
	for i, c := range certs {
		rows = append(rows, []string{
			fmt.Sprintf("%s-%04d", qz.ID, i+1), qz.Title, strconv.Itoa(c.Rank), c.Resident, csvText(communityName(dir, c.Community)),
			strconv.Itoa(c.Right), strconv.Itoa(c.Questions), strconv.FormatFloat(c.Score, 'f', -1, 64),
			c.Finished.In(chinatime.Zone).Format("2006-01-02 15:04"),
		})
	}
	if err := cw.WriteAll(rows); err != nil {
		s.fail(w, r, err)
		return
	}
	u := userFrom(r.Context())
	s.audit(r.Context(), u.Name, "quiz.certificates", qz.ID, fmt.Sprintf("%d 份", len(certs)))
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="certificates-`+qz.ID+`.csv"`)
	w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
	b.WriteTo(w)
}

// csvText keeps a spreadsheet from running typed text as a formula.
func csvText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// communityName is a community id's registry name; "" stays "".
func communityName(dir communities.Directory, id string) string {
	if id == "" {
		return ""
	}
	return dir.Name(id)
}
