package wxsim

import (
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"
)

// Fault makes API calls fail or slow down, to test pufa's error handling.
type Fault struct {
	API        string        // path suffix to affect, e.g. "/cgi-bin/message/custom/send"; "" = every API except token endpoints
	Errcode    int           // errcode to return, e.g. 45009, -1, 40001; 0 with HTTPStatus>0 means a bare HTTP error
	HTTPStatus int           // e.g. 502
	Rate       float64       // probability 0..1 of injecting; 0 means always
	Count      int           // if >0, inject only this many times, then stop
	Latency    time.Duration // added to every affected request
}

// SetFault replaces the current fault config; the zero Fault means none.
func (s *Server) SetFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fault, s.faultLeft = f, f.Count
}

// injectFault applies the configured fault to r and reports whether it
// wrote the response.
func (s *Server) injectFault(w http.ResponseWriter, r *http.Request, tokenAPI bool) bool {
	s.mu.Lock()
	f := s.fault
	hit := f != (Fault{}) &&
		(f.API == "" && !tokenAPI || f.API != "" && strings.HasSuffix(r.URL.Path, f.API)) &&
		(f.Count <= 0 || s.faultLeft > 0) &&
		(f.Rate <= 0 || f.Rate >= 1 || rand.Float64() < f.Rate)
	if hit && f.Count > 0 {
		s.faultLeft--
	}
	s.mu.Unlock()
	if !hit {
		return false
	}
	s.log.Debug("wxsim: injecting fault", slog.String("path", r.URL.Path), slog.Int("errcode", f.Errcode),
		slog.Int("http_status", f.HTTPStatus), slog.Duration("latency", f.Latency))
	if f.Latency > 0 {
		t := time.NewTimer(f.Latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return true
		}
	}
	status := http.StatusOK
	if f.HTTPStatus > 0 {
		status = f.HTTPStatus
	}
	switch {
	case f.Errcode != 0:
		writeJSON(w, status, errResp(f.Errcode, "wxsim: injected fault"))
	case f.HTTPStatus > 0:
		http.Error(w, http.StatusText(status), status)
	default:
		return false // latency only: carry on normally
	}
	return true
}
