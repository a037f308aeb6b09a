package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/crypto/bcrypt"

	"github.com/pufa-dev/pufa/campaigns"
	"github.com/pufa-dev/pufa/communities"
	"github.com/pufa-dev/pufa/console"
	"github.com/pufa-dev/pufa/ledger"
	"github.com/pufa-dev/pufa/report"
	"github.com/pufa-dev/pufa/store"
	"github.com/pufa-dev/pufa/store/storetest"
)

const (
	editorToken   = "editor-token-0123456789"
	approverToken = "approver-token-0123456789"
)

type env struct {
	t       *testing.T
	srv     *httptest.Server
	st      *store.Store
	mgr     *campaigns.Manager
	dir     string
	lib     *campaigns.Library
	opts    console.Options                // what the running console was built with
	handler atomic.Pointer[console.Server] // swapped by restart
	skew    atomic.Int64                   // nanoseconds added to the console's clock
}

// envOptions adjust a test's console and campaign manager.
type envOptions struct {
	console   func(*console.Options)
	campaigns func(*campaigns.Options)
	quizzes   campaigns.QuizCatalog // checks quiz: in the library and the manager; nil = unchecked
	tls       bool                  // serve over HTTPS (httptest's self-signed certificate)
}

func newEnv(t *testing.T) *env { return newEnvWith(t, envOptions{}) }

func testHash(t *testing.T, pw string) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return string(h)
}

func newEnvWith(t *testing.T, o envOptions) *env {
	t.Helper()
	st := storetest.New(t)
	dir := t.TempDir()
	// Definitions live in Redis; dir is campaigns.dir, read as their inbox.
	lib := campaigns.NewLibrary(campaigns.LibraryOptions{Store: st, Dir: dir, Quizzes: o.quizzes, Logger: slog.New(slog.DiscardHandler)})
	mo := campaigns.Options{Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Definitions: lib.Definitions, Quizzes: o.quizzes}
	if o.campaigns != nil {
		o.campaigns(&mo)
	}
	mgr, err := campaigns.New(mo)
	if err != nil {
		t.Fatal(err)
	}
	accounts, err := console.ParseAccounts([]string{"ed:editor:" + testHash(t, "editor-pass"), "ap:approver:" + testHash(t, "approver-pass")})
	if err != nil {
		t.Fatal(err)
	}
	tokens, err := console.ParseTokens([]string{console.TokenEntry("etl", "editor", editorToken), console.TokenEntry("oa", "approver", approverToken)})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, st: st, mgr: mgr, dir: dir, lib: lib}
	reg := communities.New(st, nil)
	e.opts = console.Options{Store: st, Campaigns: mgr, Ledger: ledger.New(st, nil).WithCommunities(reg),
		Communities: reg, Mediation: ledger.NewMediation(st, reg, nil),
		Posters: &communities.Posters{Registry: reg, API: &fakeQRAPI{}, Cache: st, Office: "东湖街道办事处"},
		Report:  report.Sources{Counters: st, Ledger: st, Followers: st, Campaigns: report.CampaignPushes{Campaigns: mgr, Mass: st}},
		Library: lib, Accounts: accounts, Tokens: tokens, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now: func() time.Time { return time.Now().Add(time.Duration(e.skew.Load())) }}
	if o.console != nil {
		o.console(&e.opts)
	}
	e.restart(nil)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { e.handler.Load().ServeHTTP(w, r) })
	if o.tls {
		e.srv = httptest.NewTLSServer(h)
	} else {
		e.srv = httptest.NewServer(h)
	}
	t.Cleanup(e.srv.Close)
	return e
}

// restart replaces the console with one built from the current options
// changed by change, as a restart with an edited config would; the store
// (Redis) and the listener stay.
func (e *env) restart(change func(*console.Options)) {
	e.t.Helper()
	if change != nil {
		change(&e.opts)
	}
	c, err := console.New(e.opts)
	if err != nil {
		e.t.Fatal(err)
	}
	e.handler.Store(c)
}

// advance moves the console's clock forward.
func (e *env) advance(d time.Duration) { e.skew.Add(int64(d)) }

// client is a browser-like client: a cookie jar, redirects not followed.
type client struct {
	e    *env
	http *http.Client
	csrf string
}

func (e *env) client() *client {
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if e.srv.TLS != nil {
		hc.Transport = e.srv.Client().Transport
	}
	return &client{e: e, http: hc}
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`)

func (c *client) get(path string) (*http.Response, string) {
	c.e.t.Helper()
	resp, err := c.http.Get(c.e.srv.URL + path)
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if m := csrfRe.FindStringSubmatch(string(b)); m != nil {
		c.csrf = m[1]
	}
	return resp, string(b)
}

// do sends req with the client's cookies and returns the response and body.
func (c *client) do(req *http.Request) (*http.Response, string) {
	c.e.t.Helper()
	resp, err := c.http.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func (c *client) post(path string, form url.Values) (*http.Response, string) {
	c.e.t.Helper()
	resp, err := c.http.PostForm(c.e.srv.URL+path, form)
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// login signs in and returns the response of the login POST.
func (c *client) login(user, pass string) *http.Response {
	c.e.t.Helper()
	c.get("/console/login")
	resp, _ := c.post("/console/login", url.Values{"csrf": {c.csrf}, "user": {user}, "password": {pass}})
	if resp.StatusCode == http.StatusSeeOther {
		c.get("/console/") // picks up the session's CSRF token
	}
	return resp
}

func (e *env) api(method, path, token string, body any) (int, []byte) {
	e.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = strings.NewReader(string(b))
	}
	req, _ := http.NewRequest(method, e.srv.URL+path, r)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func TestNothingWithoutLogin(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	for _, p := range []string{"/console/", "/console/campaigns", "/console/campaigns/x", "/console/ledger", "/console/ledger/1",
		"/console/consultations", "/console/report", "/console/report/download?from=2026-01-01&to=2026-12-31", "/console/audit"} {
		resp, _ := c.get(p)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console/login" {
			t.Errorf("GET %s without login: %d %s", p, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	for _, p := range []string{"/console/ledger", "/console/campaigns", "/console/campaigns/x/approve", "/console/consultations/1/status", "/console/consultations/1/reply", "/console/logout"} {
		if resp, _ := c.post(p, url.Values{"csrf": {"00"}}); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("POST %s without login: %d", p, resp.StatusCode)
		}
	}
	for _, tok := range []string{"", "wrong-token"} {
		for _, p := range []string{"/console/api/dashboard", "/console/api/campaigns", "/console/api/ledger", "/console/api/consultations", "/console/api/report?from=2026-01-01&to=2026-12-31", "/console/api/audit"} {
			if code, _ := e.api("GET", p, tok, nil); code != http.StatusUnauthorized {
				t.Errorf("GET %s with token %q: %d", p, tok, code)
			}
		}
	}
	// A session cookie is no API token.
	c.login("ed", "editor-pass")
	req, _ := http.NewRequest("GET", e.srv.URL+"/console/api/ledger", nil)
	resp, _ := c.http.Do(req)
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("API with a session cookie: %d", resp.StatusCode)
	}
	resp.Body.Close()
}

func TestLoginWrongPasswordAndLockout(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	if resp := c.login("ed", "nope"); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", resp.StatusCode)
	}
	if resp := c.login("nobody", "whatever"); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("unknown user: %d", resp.StatusCode)
	}
	for i := 2; i <= console.MaxFailures; i++ {
		c.login("ed", "nope")
	}
	// Delayed: even the right password is refused, without being checked.
	c.get("/console/login")
	resp, body := c.post("/console/login", url.Values{"csrf": {c.csrf}, "user": {"ed"}, "password": {"editor-pass"}})
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "秒后再试") || resp.Header.Get("Retry-After") != "2" {
		t.Fatalf("after %d failures: %d %s", console.MaxFailures, resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if n, _ := e.st.LoginFailures(context.Background(), "ed"); n != console.MaxFailures {
		t.Errorf("failures counted = %d", n)
	}
	// Another account from the same address is not delayed.
	if resp := e.client().login("ap", "approver-pass"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("other account: %d", resp.StatusCode)
	}
	// Once unlocked, the right password succeeds.
	if _, err := e.st.ClearLoginFailures(context.Background(), "ed"); err != nil {
		t.Fatal(err)
	}
	c2 := e.client()
	if resp := c2.login("ed", "editor-pass"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("right password: %d", resp.StatusCode)
	}
	for _, ck := range c2.http.Jar.Cookies(mustURL(e.srv.URL + "/console/")) {
		if ck.Name == "pufa_session" && len(ck.Value) != 64 {
			t.Errorf("session id %q is not 32 random bytes", ck.Value)
		}
	}
	// Logging out ends the session server-side.
	c2.post("/console/logout", url.Values{"csrf": {c2.csrf}})
	if resp, _ := c2.get("/console/"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("after logout: %d", resp.StatusCode)
	}
}

func mustURL(s string) *url.URL { u, _ := url.Parse(s); return u }

func TestSessionCookieFlags(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	c.get("/console/login")
	resp, _ := c.post("/console/login", url.Values{"csrf": {c.csrf}, "user": {"ed"}, "password": {"editor-pass"}})
	var found bool
	for _, ck := range resp.Cookies() {
		if ck.Name == "pufa_session" {
			found = true
			if !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/console/" {
				t.Errorf("session cookie flags: %+v", ck)
			}
		}
	}
	if !found {
		t.Fatal("no session cookie set")
	}
}

func TestCSRFRejected(t *testing.T) {
	e := newEnv(t)
	// The login form itself: no token, or a token that is not the cookie's.
	c := e.client()
	if resp, _ := c.post("/console/login", url.Values{"user": {"ed"}, "password": {"editor-pass"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("login without csrf: %d", resp.StatusCode)
	}
	c.get("/console/login")
	if resp, _ := c.post("/console/login", url.Values{"csrf": {"deadbeef"}, "user": {"ed"}, "password": {"editor-pass"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("login with a wrong csrf: %d", resp.StatusCode)
	}
	c.login("ed", "editor-pass")
	form := url.Values{"date": {"2026-03-05"}, "kind": {"lecture"}, "count": {"1"}}
	for _, tok := range []string{"", "00" + c.csrf[2:]} {
		f := url.Values{"csrf": {tok}}
		for k, v := range form {
			f[k] = v
		}
		if resp, _ := c.post("/console/ledger", f); resp.StatusCode != http.StatusForbidden {
			t.Errorf("ledger add with csrf %q: %d", tok, resp.StatusCode)
		}
	}
	if got, _ := e.st.LedgerEntries(context.Background(), "2026-01-01", "2026-12-31"); len(got) != 0 {
		t.Fatalf("a forged form recorded %d entries", len(got))
	}
	form.Set("csrf", c.csrf)
	if resp, _ := c.post("/console/ledger", form); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("ledger add with the csrf token: %d", resp.StatusCode)
	}
	// Another session's token is not accepted.
	other := e.client()
	other.login("ap", "approver-pass")
	form.Set("csrf", other.csrf)
	if resp, _ := c.post("/console/ledger", form); resp.StatusCode != http.StatusForbidden {
		t.Errorf("another session's csrf token: %d", resp.StatusCode)
	}
}

// createCampaign drafts next year's constitution week through the console.
func createCampaign(t *testing.T, c *client) string {
	t.Helper()
	return createCampaignTheme(t, c, "constitution-week")
}

// createCampaignTheme drafts next year's campaign of a calendar theme.
func createCampaignTheme(t *testing.T, c *client, theme string) string {
	t.Helper()
	year := time.Now().Year() + 1
	resp, _ := c.post("/console/campaigns", url.Values{"csrf": {c.csrf}, "theme": {theme}, "year": {fmt.Sprint(year)}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create campaign: %d", resp.StatusCode)
	}
	id := fmt.Sprintf("%s-%d", theme, year)
	if !strings.HasPrefix(resp.Header.Get("Location"), "/console/campaigns/"+id) {
		t.Fatalf("create redirected to %s", resp.Header.Get("Location"))
	}
	return id
}

func TestRoles(t *testing.T) {
	e := newEnv(t)
	ed := e.client()
	ed.login("ed", "editor-pass")
	id := createCampaign(t, ed)
	if resp, _ := ed.post("/console/campaigns/"+id+"/approve", url.Values{"csrf": {ed.csrf}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("editor approves: %d", resp.StatusCode)
	}
	if code, _ := e.api("POST", "/console/api/campaigns/"+id+"/approve", editorToken, nil); code != http.StatusForbidden {
		t.Errorf("editor token approves: %d", code)
	}
	st, _ := e.mgr.Stats(context.Background(), id)
	if st.State != campaigns.Draft {
		t.Fatalf("state after refused approvals = %s", st.State)
	}
	ap := e.client()
	ap.login("ap", "approver-pass")
	resp, _ := ap.post("/console/campaigns/"+id+"/approve", url.Values{"csrf": {ap.csrf}})
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "msg=") {
		t.Fatalf("approver approves: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	st, _ = e.mgr.Stats(context.Background(), id)
	if st.State != campaigns.Approved || st.ApprovedBy != "ap" {
		t.Fatalf("after approval: %s by %q", st.State, st.ApprovedBy)
	}
	// Editors may pause (the safe direction); cancelling needs an approver.
	if resp, _ := ed.post("/console/campaigns/"+id+"/pause", url.Values{"csrf": {ed.csrf}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("editor pauses: %d", resp.StatusCode)
	}
	if code, body := e.api("POST", "/console/api/campaigns/"+id+"/cancel", approverToken, nil); code != http.StatusOK || !strings.Contains(string(body), `"state": "cancelled"`) {
		t.Errorf("approver token cancels: %d %s", code, body)
	}
	log, _ := e.st.AuditLog(context.Background(), 50)
	actions := map[string]string{}
	for _, a := range log { // newest first: keep each action's latest actor
		if _, seen := actions[a.Action]; !seen {
			actions[a.Action] = a.User
		}
	}
	for action, who := range map[string]string{"campaign.create": "ed", "campaign.approve": "ap", "campaign.pause": "ed", "campaign.cancel": "token:oa", "login": "ap"} {
		if actions[action] != who {
			t.Errorf("audit %s by %q, want %q", action, actions[action], who)
		}
	}
}

func TestLedgerEditsWithHistory(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	c.login("ed", "editor-pass")
	resp, _ := c.post("/console/ledger", url.Values{"csrf": {c.csrf}, "date": {"2026-03-05"}, "community": {"幸福社区"},
		"kind": {"banner"}, "count": {"4"}, "participants": {"0"}, "note": {"主干道"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("add: %d", resp.StatusCode)
	}
	resp, _ = c.post("/console/ledger", url.Values{"csrf": {c.csrf}, "date": {"2026-03-05"}, "kind": {"banner"}, "count": {"-1"}})
	if !strings.Contains(resp.Header.Get("Location"), "err=") {
		t.Errorf("negative count not refused: %s", resp.Header.Get("Location"))
	}
	resp, _ = c.post("/console/ledger/1", url.Values{"csrf": {c.csrf}, "version": {"1"}, "date": {"2026-03-06"}, "community": {"幸福社区"},
		"kind": {"banner"}, "count": {"6"}, "participants": {"0"}, "note": {"补挂两条"}})
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "msg=") {
		t.Fatalf("edit: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	// A second save from the stale form is refused, not silently merged.
	resp, _ = c.post("/console/ledger/1", url.Values{"csrf": {c.csrf}, "version": {"1"}, "date": {"2026-03-06"}, "kind": {"banner"}, "count": {"9"}})
	if !strings.Contains(resp.Header.Get("Location"), "err=") {
		t.Errorf("stale edit accepted: %s", resp.Header.Get("Location"))
	}
	_, body := c.get("/console/ledger/1")
	for _, want := range []string{"补挂两条", "主干道", `value="6"`, "第 2 版"} {
		if !strings.Contains(body, want) {
			t.Errorf("entry page lacks %q", want)
		}
	}
	// The API sees the same entry and its history, and edits with a version.
	code, raw := e.api("GET", "/console/api/ledger/1", editorToken, nil)
	var got struct {
		Entry   ledger.Entry   `json:"entry"`
		History []ledger.Entry `json:"history"`
	}
	if err := json.Unmarshal(raw, &got); code != 200 || err != nil || got.Entry.Count != 6 || len(got.History) != 1 || got.History[0].Count != 4 {
		t.Fatalf("api get: %d %s", code, raw)
	}
	code, raw = e.api("PUT", "/console/api/ledger/1", editorToken, map[string]any{"date": "2026-03-06", "kind": "横幅", "count": 7, "version": 2})
	if code != 200 || !strings.Contains(string(raw), `"count": 7`) {
		t.Errorf("api edit: %d %s", code, raw)
	}
	if code, _ = e.api("PUT", "/console/api/ledger/1", editorToken, map[string]any{"date": "2026-03-06", "kind": "横幅", "count": 8, "version": 2}); code != http.StatusConflict {
		t.Errorf("api stale edit: %d", code)
	}
	if code, _ = e.api("POST", "/console/api/ledger", editorToken, map[string]any{"date": "2026-13-01", "kind": "横幅"}); code != http.StatusUnprocessableEntity {
		t.Errorf("api invalid add: %d", code)
	}
}

func TestConsultationsInbox(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	id, _ := e.st.AddConsultation(ctx, "o1", "欠薪怎么办", time.Now())
	c := e.client()
	c.login("ed", "editor-pass")
	_, body := c.get("/console/consultations?status=new")
	if !strings.Contains(body, "欠薪怎么办") || !strings.Contains(body, ">新<") || strings.Contains(body, "o1") {
		t.Fatalf("inbox lacks the request, or shows the openid")
	}
	// 已答复 is no button: only a reply or a recorded call answers a case.
	resp, body := c.post("/console/consultations/"+id+"/status", url.Values{"csrf": {c.csrf}, "from": {"new"}, "status": {"answered"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "只能通过回复居民或记录电话回复") {
		t.Fatalf("marking answered without answering: %d", resp.StatusCode)
	}
	if resp, _ := c.post("/console/consultations/"+id+"/status", url.Values{"csrf": {c.csrf}, "from": {"new"}, "status": {"closed"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("status change: %d", resp.StatusCode)
	}
	code, raw := e.api("GET", "/console/api/consultations?status=closed", editorToken, nil)
	if code != 200 || !strings.Contains(string(raw), "欠薪怎么办") || strings.Contains(string(raw), "o1") {
		t.Errorf("api consultations: %d %s", code, raw)
	}
	if code, _ := e.api("POST", "/console/api/consultations/"+id, editorToken, map[string]string{"status": "bogus"}); code != http.StatusUnprocessableEntity {
		t.Errorf("bogus status: %d", code)
	}
}

func TestDashboardAndReportDownload(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	_ = e.st.SetCommunity(ctx, "o1", "幸福社区")
	_ = e.st.SetCommunity(ctx, "o2", "幸福社区")
	l := ledger.New(e.st, nil)
	if _, err := l.Add(ctx, ledger.Input{Date: "2026-05-01", Community: "幸福社区", Kind: "讲座", Count: 3, Participants: 90}, "ed"); err != nil {
		t.Fatal(err)
	}
	c := e.client()
	c.login("ed", "editor-pass")
	_, body := c.get("/console/")
	for _, want := range []string{"<svg", "各社区关注人数", "幸福社区", `id="followers">2<`} {
		if !strings.Contains(body, want) {
			t.Errorf("dashboard lacks %q", want)
		}
	}
	resp, err := c.http.Get(e.srv.URL + "/console/report/download?from=2026-01-01&to=2026-12-31&format=xlsx")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Disposition"), "pufa-report-2026-01-01-2026-12-31.xlsx") {
		t.Fatalf("download: %d %v", resp.StatusCode, resp.Header)
	}
	f, err := excelize.OpenReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := "今年以来累计开展各种法治宣传活动3场、覆盖群众90人次，举办法治讲座3场。"
	if v, _ := f.GetCellValue(report.SheetSummary, "B2"); v != want {
		t.Errorf("xlsx B2 = %q, want %q", v, want)
	}
	code, raw := e.api("GET", "/console/api/report?from=2026-01-01&to=2026-12-31", editorToken, nil)
	if code != 200 || !strings.Contains(string(raw), want) {
		t.Errorf("api report: %d", code)
	}
	if resp, _ := c.get("/console/report/download?from=2026-01-01&to=2026-12-31&format=pdf"); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("bad format: %d", resp.StatusCode)
	}
}
