package wxsim

import (
	"net/http"
	"time"
)

// tokenGrace is how long WeChat keeps the previous access_token valid after
// a new one is issued, so that a central refresher can roll over.
const tokenGrace = 5 * time.Minute

type token struct {
	expires time.Time
	stable  bool
}

type tokenResponse struct {
	AccessToken string `json:"access_token"`
	ExpiresIn   int64  `json:"expires_in"`
}

// InvalidateTokens makes every issued token invalid: the next API call with
// one gets 40001, as after a secret reset or a token fetched elsewhere.
func (s *Server) InvalidateTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.tokens)
	s.stableToken = ""
}

func (s *Server) checkCredentials(appID, secret string) *apiError {
	var e apiError
	switch {
	case appID != s.opts.AppID:
		e = errResp(40013, "invalid appid")
	case secret != s.opts.AppSecret:
		e = errResp(40125, "invalid appsecret")
	default:
		return nil
	}
	return &e
}

// checkToken answers 41001 for a missing token, 42001 for an expired one and
// 40001 for one never issued or invalidated, as WeChat does.
func (s *Server) checkToken(tok string) *apiError {
	if tok == "" {
		e := errResp(41001, "access_token missing")
		return &e
	}
	s.mu.Lock()
	t, ok := s.tokens[tok]
	s.mu.Unlock()
	var e apiError
	switch {
	case !ok:
		e = errResp(40001, "invalid credential, access_token is invalid or not latest")
	case !s.now().Before(t.expires):
		e = errResp(42001, "access_token expired")
	default:
		return nil
	}
	return &e
}

func (s *Server) issueLocked(now time.Time, stable bool) tokenResponse {
	for tok, t := range s.tokens {
		if now.Sub(t.expires) > time.Hour { // keep recent ones to answer 42001
			delete(s.tokens, tok)
		}
	}
	tok := "SIM_" + randomHex(32)
	s.tokens[tok] = token{expires: now.Add(s.opts.TokenTTL), stable: stable}
	s.tokensIssued++
	return tokenResponse{AccessToken: tok, ExpiresIn: ttlSeconds(s.opts.TokenTTL)}
}

func ttlSeconds(d time.Duration) int64 { return max(1, int64(d/time.Second)) }

func (s *Server) handleToken(r *http.Request) any {
	q := r.URL.Query()
	if q.Get("grant_type") != "client_credential" {
		return errResp(40002, "invalid grant_type")
	}
	if e := s.checkCredentials(q.Get("appid"), q.Get("secret")); e != nil {
		return *e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for tok, t := range s.tokens {
		if !t.stable && t.expires.After(now.Add(tokenGrace)) {
			t.expires = now.Add(tokenGrace)
			s.tokens[tok] = t
		}
	}
	return s.issueLocked(now, false)
}

// handleStableToken serves /cgi-bin/stable_token, whose token is isolated
// from /cgi-bin/token and stays the same until it expires unless
// force_refresh asks for a new one.
func (s *Server) handleStableToken(r *http.Request) any {
	var req struct {
		GrantType    string `json:"grant_type"`
		AppID        string `json:"appid"`
		Secret       string `json:"secret"`
		ForceRefresh bool   `json:"force_refresh"`
	}
	if e := decodeBody(r, &req); e != nil {
		return *e
	}
	if req.GrantType != "client_credential" {
		return errResp(40002, "invalid grant_type")
	}
	if e := s.checkCredentials(req.AppID, req.Secret); e != nil {
		return *e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if cur, ok := s.tokens[s.stableToken]; ok && now.Before(cur.expires) && !req.ForceRefresh {
		return tokenResponse{AccessToken: s.stableToken, ExpiresIn: ttlSeconds(cur.expires.Sub(now))}
	}
	if req.ForceRefresh {
		delete(s.tokens, s.stableToken) // force_refresh revokes the previous stable token at once
	}
	res := s.issueLocked(now, true)
	s.stableToken = res.AccessToken
	return res
}
