package console

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/pufa-dev/pufa/store"
)

// Roles. An approver may do everything an editor may, and approve, resume
// and cancel campaigns.
const (
	RoleEditor   = "editor"
	RoleApprover = "approver"
)

// Login delays. Failures are counted per account, from whatever address:
// an attacker gains nothing by rotating addresses, and staff behind a
// shared proxy address are not locked out by each other. The first
// MaxFailures attempts are free; then each further attempt waits
// FirstLoginDelay, doubling after every failure up to MaxLoginDelay. It is
// a delay, not a lock: a stranger can slow an account down to one guess
// per MaxLoginDelay but never shut its owner out for good, and
// `pufa console unlock USER` clears it at once. The count is forgotten
// after a success, or a day after the last attempt.
const (
	MaxFailures     = 5
	FirstLoginDelay = 2 * time.Second
	MaxLoginDelay   = 15 * time.Minute
	failuresKept    = 24 * time.Hour
)

// loginPolicy is the delays above for the store.
var loginPolicy = store.LoginPolicy{Free: MaxFailures, Base: FirstLoginDelay, Max: MaxLoginDelay, Keep: failuresKept}

// maxUserName bounds a login name, so a stranger cannot make Redis keep
// huge failure keys.
const maxUserName = 64

const (
	sessionCookie = "pufa_session"
	loginCookie   = "pufa_login_csrf" // double-submit token of the login form
)

// Account is a console user.
type Account struct {
	User string
	Role string
	Hash string // bcrypt
}

// Token is a JSON API token; only its SHA-256 is kept.
type Token struct {
	Name   string
	Role   string
	SHA256 [32]byte
}

// HashPassword returns the bcrypt hash of a password, for console.accounts.
func HashPassword(password string) (string, error) {
	if len(password) < 8 {
		return "", errors.New("console: a password needs at least 8 characters")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return "", fmt.Errorf("console: hash password: %w", err)
	}
	return string(h), nil
}

func validRole(r string) bool { return r == RoleEditor || r == RoleApprover }

// CheckUserName refuses account names the console cannot keep: empty,
// longer than 64 bytes, or holding ':' (the separator of console.accounts
// entries) or white space.
func CheckUserName(name string) error {
	if name == "" || len(name) > maxUserName || strings.ContainsAny(name, ": \t\r\n") {
		return fmt.Errorf("console: user name %q must be 1-%d bytes without ':' or spaces", name, maxUserName)
	}
	return nil
}

// ParseAccounts reads console.accounts entries, "user:role:bcrypt-hash".
func ParseAccounts(entries []string) ([]Account, error) {
	out := make([]Account, 0, len(entries))
	for _, e := range entries {
		f := strings.SplitN(e, ":", 3)
		if len(f) != 3 || f[0] == "" || !validRole(f[1]) || !strings.HasPrefix(f[2], "$2") {
			return nil, fmt.Errorf("console: account %q is not user:editor|approver:bcrypt-hash", f[0])
		}
		out = append(out, Account{User: f[0], Role: f[1], Hash: f[2]})
	}
	return out, nil
}

// ParseTokens reads console.api_tokens entries, "name:role:sha256-hex".
func ParseTokens(entries []string) ([]Token, error) {
	out := make([]Token, 0, len(entries))
	for _, e := range entries {
		f := strings.SplitN(e, ":", 3)
		var t Token
		if len(f) == 3 {
			b, err := hex.DecodeString(f[2])
			if err == nil && len(b) == 32 && f[0] != "" && validRole(f[1]) {
				t = Token{Name: f[0], Role: f[1]}
				copy(t.SHA256[:], b)
				out = append(out, t)
				continue
			}
		}
		return nil, fmt.Errorf("console: api token %q is not name:editor|approver:sha256-hex", f[0])
	}
	return out, nil
}

// TokenEntry returns the console.api_tokens entry for a token.
func TokenEntry(name, role, token string) string {
	sum := sha256.Sum256([]byte(token))
	return name + ":" + role + ":" + hex.EncodeToString(sum[:])
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b)
}

// user is who is acting on a request: a signed-in staff member or an API token.
type user struct {
	Name    string
	Role    string
	CSRF    string // "" for API tokens, which carry no cookie to forge
	Session string
}

func (u user) Approver() bool { return u.Role == RoleApprover }

type ctxKey struct{}

func userFrom(ctx context.Context) user {
	u, _ := ctx.Value(ctxKey{}).(user)
	return u
}

// waitError means the account must wait before its next login attempt.
type waitError struct{ wait time.Duration }

func (e waitError) Error() string { return fmt.Sprintf("console: login must wait %s", e.wait) }

// errBadLogin means the user or password is wrong.
var errBadLogin = errors.New("console: wrong user or password")

// authenticate checks a login. The attempt is admitted (and counted as a
// failure) before the password is checked, so one that must wait learns
// nothing, and concurrent guesses cannot slip in together.
func (s *Server) authenticate(ctx context.Context, name, password string) (Account, error) {
	if len(name) > maxUserName {
		return Account{}, errBadLogin
	}
	wait, err := s.st.LoginAttempt(ctx, name, s.opts.Now(), loginPolicy)
	if err != nil {
		return Account{}, err
	}
	if wait > 0 {
		return Account{}, waitError{wait}
	}
	acct, ok, err := s.account(ctx, name)
	if err != nil {
		return Account{}, err
	}
	// An unknown user is checked against a real hash too, so that it takes
	// as long as a wrong password and does not reveal which users exist.
	hash := s.dummy
	if ok {
		hash = []byte(acct.Hash)
	}
	if bcrypt.CompareHashAndPassword(hash, []byte(password)) != nil || !ok {
		return Account{}, errBadLogin
	}
	if _, err := s.st.ClearLoginFailures(ctx, name); err != nil {
		return Account{}, err
	}
	return acct, nil
}

// account finds a user in the config, then in Redis.
func (s *Server) account(ctx context.Context, name string) (Account, bool, error) {
	for _, a := range s.opts.Accounts {
		if a.User == name {
			return a, true, nil
		}
	}
	hash, role, ok, err := s.st.Account(ctx, name)
	if err != nil || !ok {
		return Account{}, false, err
	}
	return Account{User: name, Role: role, Hash: hash}, true, nil
}

// credential fingerprints what a session was granted on: the account's
// role and password hash. A session is honoured only while its account
// still has the same fingerprint, so a demotion, a new password or a
// removal (in console.accounts after a restart, or in Redis at once) ends
// every session of that account on its next request. A new bcrypt hash of
// the same password counts as a change too.
func credential(a Account) string {
	sum := sha256.Sum256([]byte(a.Role + "\x00" + a.Hash))
	return hex.EncodeToString(sum[:16])
}

func (s *Server) newSession(ctx context.Context, w http.ResponseWriter, r *http.Request, a Account) error {
	id := randomHex(32)
	sess := store.Session{User: a.User, Role: a.Role, CSRF: randomHex(32), Created: s.opts.Now(), Cred: credential(a)}
	if err := s.st.PutSession(ctx, id, sess, s.opts.SessionTTL); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: id, Path: "/console/", HttpOnly: true,
		Secure: s.secureCookie(r), SameSite: http.SameSiteStrictMode, MaxAge: int(s.opts.SessionTTL.Seconds())})
	return nil
}

// sessionUser resolves the session cookie; ok=false without a live session.
func (s *Server) sessionUser(r *http.Request) (user, bool, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || len(c.Value) != 64 {
		return user{}, false, nil
	}
	sess, ok, err := s.st.GetSession(r.Context(), c.Value)
	if err != nil || !ok {
		return user{}, false, err
	}
	acct, ok, err := s.account(r.Context(), sess.User)
	if err != nil {
		return user{}, false, err
	}
	if !ok || subtle.ConstantTimeCompare([]byte(credential(acct)), []byte(sess.Cred)) != 1 {
		s.log.Info("console session ended: account changed or removed", "user", sess.User)
		if err := s.st.DeleteSession(r.Context(), c.Value); err != nil {
			return user{}, false, err
		}
		return user{}, false, nil
	}
	return user{Name: acct.User, Role: acct.Role, CSRF: sess.CSRF, Session: c.Value}, true, nil
}

// tokenUser resolves "Authorization: Bearer <token>".
func (s *Server) tokenUser(r *http.Request) (user, bool) {
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || tok == "" {
		return user{}, false
	}
	sum := sha256.Sum256([]byte(tok))
	for _, t := range s.opts.Tokens {
		if subtle.ConstantTimeCompare(sum[:], t.SHA256[:]) == 1 {
			return user{Name: "token:" + t.Name, Role: t.Role}, true
		}
	}
	return user{}, false
}

// requirePage admits signed-in staff; others go to the login page. Every
// POST must carry the session's CSRF token.
func (s *Server) requirePage(role string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		u, ok, err := s.sessionUser(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if !ok {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/console/login", http.StatusSeeOther)
				return
			}
			http.Error(w, "请先登录", http.StatusUnauthorized)
			return
		}
		if r.Method == http.MethodPost {
			if subtle.ConstantTimeCompare([]byte(r.PostFormValue("csrf")), []byte(u.CSRF)) != 1 || u.CSRF == "" {
				s.log.Warn("csrf token rejected", "user", u.Name, "path", r.URL.Path)
				http.Error(w, "表单已失效（CSRF 校验失败），请刷新页面后重试", http.StatusForbidden)
				return
			}
		}
		if role == RoleApprover && !u.Approver() {
			http.Error(w, "权限不足：需要审核人（approver）角色", http.StatusForbidden)
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, u)))
	}
}

// requireAPI admits API tokens (and signed-in sessions for GETs, so the
// console's own pages may read the API).
func (s *Server) requireAPI(role string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		u, ok := s.tokenUser(r)
		if !ok {
			writeJSONError(w, http.StatusUnauthorized, "a valid Authorization: Bearer token is required")
			return
		}
		if role == RoleApprover && !u.Approver() {
			writeJSONError(w, http.StatusForbidden, "this action needs the approver role")
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, u)))
	}
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	if _, ok, _ := s.sessionUser(r); ok {
		http.Redirect(w, r, "/console/", http.StatusSeeOther)
		return
	}
	s.renderLogin(w, r, http.StatusOK, "")
}

func (s *Server) renderLogin(w http.ResponseWriter, r *http.Request, status int, msg string) {
	tok := randomHex(16)
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: tok, Path: "/console/", HttpOnly: true,
		Secure: s.secureCookie(r), SameSite: http.SameSiteStrictMode, MaxAge: 3600})
	// A Secure cookie forced by config on a plain-HTTP request is dropped
	// by the browser and the login would loop silently: say why instead.
	insecure := s.opts.SecureCookie && !s.isHTTPS(r)
	s.render(w, status, "login", map[string]any{"CSRF": tok, "Error": msg, "Insecure": insecure})
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie(loginCookie)
	if err != nil || c.Value == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(r.PostFormValue("csrf"))) != 1 {
		http.Error(w, "表单已失效（CSRF 校验失败），请刷新页面后重试", http.StatusForbidden)
		return
	}
	name := strings.TrimSpace(r.PostFormValue("user"))
	ip := s.clientIP(r)
	a, err := s.authenticate(r.Context(), name, r.PostFormValue("password"))
	var wait waitError
	switch {
	case errors.As(err, &wait):
		s.log.Warn("console login delayed", "user", name, "ip", ip, "wait", wait.wait)
		w.Header().Set("Retry-After", strconv.Itoa(waitSeconds(wait.wait)))
		s.renderLogin(w, r, http.StatusTooManyRequests, fmt.Sprintf("该账户登录失败次数过多，请 %s后再试。", waitText(wait.wait)))
		return
	case errors.Is(err, errBadLogin):
		s.log.Info("console login failed", "user", name, "ip", ip)
		s.renderLogin(w, r, http.StatusUnauthorized, "用户名或密码错误。")
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	if err := s.newSession(r.Context(), w, r, a); err != nil {
		s.fail(w, r, err)
		return
	}
	s.audit(r.Context(), a.User, "login", "", ip)
	http.Redirect(w, r, "/console/", http.StatusSeeOther)
}

// waitSeconds rounds a wait up to whole seconds.
func waitSeconds(d time.Duration) int { return int((d + time.Second - 1) / time.Second) }

// waitText is a wait for staff: "8 秒", "3 分 20 秒".
func waitText(d time.Duration) string {
	sec := waitSeconds(d)
	if sec < 60 {
		return fmt.Sprintf("%d 秒", sec)
	}
	if sec%60 == 0 {
		return fmt.Sprintf("%d 分钟", sec/60)
	}
	return fmt.Sprintf("%d 分 %d 秒", sec/60, sec%60)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	u := userFrom(r.Context())
	if err := s.st.DeleteSession(r.Context(), u.Session); err != nil {
		s.fail(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/console/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	s.audit(r.Context(), u.Name, "logout", "", "")
	http.Redirect(w, r, "/console/login", http.StatusSeeOther)
}
