package wxsim

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pufa-dev/pufa/chinatime"
)

// userSourceAll is user_source for "all sources" in getuserread.
const userSourceAll = 99999999

// day is a data-cube day: midnight Beijing time.
func dayOf(t time.Time) time.Time {
	b := t.In(chinatime.Zone)
	return time.Date(b.Year(), b.Month(), b.Day(), 0, 0, 0, 0, chinatime.Zone)
}

// readRange decodes {begin_date, end_date} and applies WeChat's checks:
// 61500 for a bad date, 61501 for a range that is reversed, wider than
// span days, or reaches today (the data cube ends yesterday).
func (s *Server) readRange(r *http.Request, span int) (begin, end time.Time, e *apiError) {
	var req struct {
		Begin string `json:"begin_date"`
		End   string `json:"end_date"`
	}
	if e := decodeBody(r, &req); e != nil {
		return begin, end, e
	}
	var err1, err2 error
	begin, err1 = time.ParseInLocation(time.DateOnly, req.Begin, chinatime.Zone)
	end, err2 = time.ParseInLocation(time.DateOnly, req.End, chinatime.Zone)
	if err1 != nil || err2 != nil {
		err := errResp(61500, "date format error")
		return begin, end, &err
	}
	if end.Before(begin) || end.After(begin.AddDate(0, 0, span-1)) || !end.Before(dayOf(s.now())) {
		err := errResp(61501, "date range error")
		return begin, end, &err
	}
	return begin, end, nil
}

type dataFigures struct {
	IntPageReadUser  int `json:"int_page_read_user"`
	IntPageReadCount int `json:"int_page_read_count"`
	OriPageReadUser  int `json:"ori_page_read_user"`
	OriPageReadCount int `json:"ori_page_read_count"`
	ShareUser        int `json:"share_user"`
	ShareCount       int `json:"share_count"`
	AddToFavUser     int `json:"add_to_fav_user"`
	AddToFavCount    int `json:"add_to_fav_count"`
}

func (f ArticleFigures) wire() dataFigures {
	return dataFigures{
		IntPageReadUser: f.ReadUsers, IntPageReadCount: f.Reads,
		ShareUser: f.ShareUsers, ShareCount: f.Shares, AddToFavUser: f.FavUsers, AddToFavCount: f.Favs,
	}
}

type dataList struct {
	List any `json:"list"`
}

func (s *Server) handleArticleSummary(r *http.Request) any {
	day, _, e := s.readRange(r, 1)
	if e != nil {
		return *e
	}
	type item struct {
		RefDate string `json:"ref_date"`
		MsgID   string `json:"msgid"`
		Title   string `json:"title"`
		dataFigures
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	list := []item{}
	for _, key := range s.art.sentOrder {
		a := s.art.sent[key]
		f := figures(a.events, day, day.AddDate(0, 0, 1))
		if f == (ArticleFigures{}) {
			continue // the API lists the articles read that day
		}
		list = append(list, item{day.Format(time.DateOnly), key, a.article.Title, f.wire()})
	}
	return dataList{list}
}

func (s *Server) handleArticleTotal(r *http.Request) any {
	day, _, e := s.readRange(r, 1)
	if e != nil {
		return *e
	}
	type detail struct {
		StatDate   string `json:"stat_date"`
		TargetUser int    `json:"target_user"`
		dataFigures
	}
	type item struct {
		RefDate string   `json:"ref_date"`
		MsgID   string   `json:"msgid"`
		Title   string   `json:"title"`
		Details []detail `json:"details"`
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	today := dayOf(s.now())
	list := []item{}
	for _, key := range s.art.sentOrder {
		a := s.art.sent[key]
		if !dayOf(a.sentAt).Equal(day) {
			continue
		}
		it := item{RefDate: day.Format(time.DateOnly), MsgID: key, Title: a.article.Title}
		// Cumulative figures for each finished day, for 7 days after the send.
		for d := day; d.Before(today) && d.Before(day.AddDate(0, 0, 7)); d = d.AddDate(0, 0, 1) {
			f := figures(a.events, time.Time{}, d.AddDate(0, 0, 1))
			it.Details = append(it.Details, detail{d.Format(time.DateOnly), a.target, f.wire()})
		}
		list = append(list, it)
	}
	return dataList{list}
}

func (s *Server) handleUserRead(r *http.Request) any {
	begin, end, e := s.readRange(r, 3)
	if e != nil {
		return *e
	}
	type item struct {
		RefDate    string `json:"ref_date"`
		UserSource int    `json:"user_source"`
		dataFigures
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	list := []item{}
	for d := begin; !d.After(end); d = d.AddDate(0, 0, 1) {
		var all []articleEvent
		for _, key := range s.art.sentOrder {
			all = append(all, s.art.sent[key].events...)
		}
		f := figures(all, d, d.AddDate(0, 0, 1))
		list = append(list, item{d.Format(time.DateOnly), userSourceAll, f.wire()})
	}
	return dataList{list}
}

func (s *Server) handleUserSummary(r *http.Request) any {
	begin, end, e := s.readRange(r, 7)
	if e != nil {
		return *e
	}
	type item struct {
		RefDate    string `json:"ref_date"`
		UserSource int    `json:"user_source"`
		NewUser    int    `json:"new_user"`
		CancelUser int    `json:"cancel_user"`
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	byDay := map[time.Time]*item{}
	for _, c := range s.follows {
		d := dayOf(c.at)
		if d.Before(begin) || d.After(end) {
			continue
		}
		it := byDay[d]
		if it == nil {
			// The simulator does not track where followers came from: 0 is "other".
			it = &item{RefDate: d.Format(time.DateOnly)}
			byDay[d] = it
		}
		if c.subscribe {
			it.NewUser++
		} else {
			it.CancelUser++
		}
	}
	list := []item{}
	for _, d := range slices.SortedFunc(maps.Keys(byDay), func(a, b time.Time) int { return a.Compare(b) }) {
		list = append(list, *byDay[d])
	}
	return dataList{list}
}

func (s *Server) handleUserCumulate(r *http.Request) any {
	begin, end, e := s.readRange(r, 7)
	if e != nil {
		return *e
	}
	type item struct {
		RefDate      string `json:"ref_date"`
		CumulateUser int    `json:"cumulate_user"`
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	list := []item{}
	for d := begin; !d.After(end); d = d.AddDate(0, 0, 1) {
		total := s.initialFollowers
		for _, c := range s.follows {
			if !c.at.Before(d.AddDate(0, 0, 1)) {
				break
			}
			if c.subscribe {
				total++
			} else {
				total--
			}
		}
		list = append(list, item{d.Format(time.DateOnly), total})
	}
	return dataList{list}
}

// noticeLimits are the value limits of subscription-notice keyword types
// the simulator checks (characters); WeChat answers 47003 beyond them.
var noticeLimits = map[string]int{
	"thing": 20, "number": 32, "letter": 32, "symbol": 5, "character_string": 32,
	"phone_number": 17, "car_number": 8, "phrase": 5,
}

func (s *Server) handleSubscribeSend(r *http.Request) any {
	var req struct {
		ToUser     string       `json:"touser"`
		TemplateID string       `json:"template_id"`
		Page       string       `json:"page"`
		Data       templateData `json:"data"`
	}
	if e := decodeBody(r, &req); e != nil {
		return *e
	}
	if req.TemplateID == "" {
		return errResp(40037, "invalid template_id")
	}
	for _, k := range slices.Sorted(maps.Keys(req.Data)) {
		v := req.Data[k].Value
		if limit, ok := noticeLimits[strings.TrimRight(k, "0123456789")]; ok && (v == "" || utf8.RuneCountInString(v) > limit) {
			return errResp(47003, fmt.Sprintf("argument invalid! data.%s.value invalid", k))
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// Notices reach non-followers too (in 服务通知), so only the grant counts.
	if _, ok := s.art.subscriptions[req.ToUser+"\x00"+req.TemplateID]; !ok {
		return errResp(43101, "user refuse to accept the msg")
	}
	s.deliverLocked(KindNotice, req.Data.text(req.TemplateID, req.Page), s.newIDLocked(), req.ToUser)
	return errResp(0, "ok")
}
