// Package console is the staff web console of pufa, served under /console/:
// a dashboard with charts, campaigns (a form in Chinese, draft from the
// calendar, YAML import and export, staff binding for previews, edit,
// preview, approve, pause, cancel, reach), the offline activity ledger, the
// consultations inbox, the answer bank (问答库: review, edit, disable; see
// bank.go), the annual report download and the audit log, plus a JSON API
// under /console/api/ for integration.
//
// Pages are rendered on the server with html/template; CSS is embedded and
// charts are inline SVG, so there is no JavaScript build step. Every list
// (campaigns, ledger, consultations, audit log), on a page or in the API,
// is paged: ?page=N&per_page=M, 50 by default, at most 100; the API says
// X-Total-Count and the next page's Link.
//
// Security: passwords are bcrypt hashes (config or Redis); sessions are
// random 32-byte ids in Redis behind HttpOnly, SameSite=Strict cookies;
// every form POST carries the session's CSRF token (the login form a
// double-submit token); after 5 failed logins of one account, from any
// address, each further attempt waits twice as long as the last (2 s up
// to 15 minutes; `pufa console unlock` clears it); X-Forwarded-For and
// X-Forwarded-Proto count only from TrustedProxies; cookies are Secure and
// HSTS is sent when the request is HTTPS; previews go only to staff on the
// preview list (console.preview_recipients, or kept by approvers in the
// console), and the campaign manager audits previews, approvals and sends
// with their recipients and a content hash; editors draft and record, approvers also
// approve, resume and cancel; every state-changing action is appended to
// the audit log. The API takes "Authorization: Bearer <token>", the config
// holding only each token's SHA-256.
package console

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"regexp"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/pufa-dev/pufa/articles"
	"github.com/pufa-dev/pufa/campaigns"
	"github.com/pufa-dev/pufa/cases"
	"github.com/pufa-dev/pufa/communities"
	"github.com/pufa-dev/pufa/ledger"
	"github.com/pufa-dev/pufa/report"
	"github.com/pufa-dev/pufa/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Options configure the console. Store, Campaigns, Library and Ledger are
// required.
type Options struct {
	Store     *store.Store
	Campaigns *campaigns.Manager
	Ledger    *ledger.Ledger
	Report    report.Sources // figures for the dashboard and the report download
	// Library keeps the campaign definitions the form and imports write.
	Library *campaigns.Library
	// Tags lists WeChat tags for the audience picker; nil = no tag picker.
	Tags TagLister
	// Quizzes are the quizzes a campaign may link to (id and title).
	Quizzes    []Choice
	Accounts   []Account
	Tokens     []Token
	SessionTTL time.Duration // default 12h
	// SecureCookie marks cookies Secure on every request. Without it they
	// are Secure when the request came over HTTPS: TLS here, or a trusted
	// proxy's X-Forwarded-Proto: https.
	SecureCookie bool
	// PreviewRecipients are the staff from console.preview_recipients: they
	// may receive previews besides those approvers register in Redis, and
	// cannot be removed from the console.
	PreviewRecipients []store.PreviewRecipient
	// TrustedProxies are the reverse proxies whose X-Forwarded-For and
	// X-Forwarded-Proto are believed; from any other peer they are ignored.
	TrustedProxies []netip.Prefix
	Logger         *slog.Logger
	Now            func() time.Time
	// Bank is the answer bank under review (the 问答库 page); nil = no page.
	Bank *BankSync
	// Articles are the office's 图文 (articles.go); nil = no pages.
	Articles *articles.Service
	// Communities is the community registry (the 社区 page); nil = records
	// show communities as recorded and the page says it is off.
	Communities *communities.Registry
	// Posters makes communities' QR codes and posters; nil = no downloads.
	Posters *communities.Posters
	// Mediation is the dispute and legal-aid ledger; nil = no pages.
	Mediation *ledger.Mediation
	// Sender sends a clerk's reply to a resident (wechat.Client); nil = the
	// case page offers only a recorded phone call.
	Sender cases.Sender
	// Referrer records a case handed to mediation or legal aid (the
	// ledger); nil = the hand-off only changes the case's status.
	Referrer cases.Referrer
	// CaseSLA is how long a case may wait for an answer before the inbox
	// shows it overdue (console.case_sla); default cases.DefaultSLA.
	CaseSLA time.Duration
	// QuizPages are the quizzes of the 网上答题 pages; nil = no pages.
	QuizPages QuizPages
	// ReportYear is the year the dashboard and the report page open on;
	// 0 = the current year. The demo opens on the year it seeded.
	ReportYear int
}

// Server serves the console. It is safe for concurrent use.
type Server struct {
	opts     Options
	previews PreviewList
	st       *store.Store
	log      *slog.Logger
	pages    map[string]*template.Template
	mux      *http.ServeMux
	dummy    []byte
	cases    *cases.Service
}

// New checks opts, parses the templates and returns the console.
func New(opts Options) (*Server, error) {
	if opts.Store == nil || opts.Campaigns == nil || opts.Ledger == nil || opts.Library == nil {
		return nil, errors.New("console: Store, Campaigns, Library and Ledger are required")
	}
	if opts.SessionTTL <= 0 {
		opts.SessionTTL = 12 * time.Hour
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	dummy, err := bcrypt.GenerateFromPassword([]byte(randomHex(16)), bcrypt.DefaultCost)
	if err != nil {
		return nil, fmt.Errorf("console: %w", err)
	}
	s := &Server{opts: opts, st: opts.Store, log: opts.Logger.With("component", "console"), dummy: dummy,
		previews: PreviewList{Fixed: opts.PreviewRecipients, Store: opts.Store}}
	if err := s.parseTemplates(); err != nil {
		return nil, err
	}
	s.cases = &cases.Service{Store: opts.Store, Sender: opts.Sender, Referrer: opts.Referrer,
		Logger: s.log, Now: opts.Now}
	s.routes()
	return s, nil
}

// ServeHTTP implements http.Handler; mount it at /console/.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'")
	w.Header().Set("Referrer-Policy", "same-origin")
	if s.isHTTPS(r) {
		w.Header().Set("Strict-Transport-Security", hstsValue)
	}
	s.mux.ServeHTTP(w, r)
}

func (s *Server) routes() {
	m := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	m.Handle("GET /console/static/", http.StripPrefix("/console/static/", http.FileServerFS(filesOnly{static})))
	m.HandleFunc("GET /console/login", s.loginPage)
	m.HandleFunc("POST /console/login", s.login)
	m.HandleFunc("POST /console/logout", s.requirePage(RoleEditor, s.logout))

	m.HandleFunc("GET /console/{$}", s.requirePage(RoleEditor, s.dashboard))
	m.HandleFunc("GET /console/campaigns", s.requirePage(RoleEditor, s.campaignList))
	m.HandleFunc("POST /console/campaigns", s.requirePage(RoleEditor, s.campaignCreate))
	m.HandleFunc("GET /console/campaigns/new", s.requirePage(RoleEditor, s.campaignNew))
	m.HandleFunc("POST /console/campaigns/import", s.requirePage(RoleEditor, s.campaignImport))
	m.HandleFunc("GET /console/campaigns/{id}/export", s.requirePage(RoleEditor, s.campaignExport))
	m.HandleFunc("GET /console/campaigns/{id}", s.requirePage(RoleEditor, s.campaignDetail))
	m.HandleFunc("POST /console/campaigns/{id}/edit", s.requirePage(RoleEditor, s.campaignEdit))
	m.HandleFunc("POST /console/campaigns/{id}/preview", s.requirePage(RoleEditor, s.campaignPreview))
	m.HandleFunc("POST /console/campaigns/{id}/pause", s.requirePage(RoleEditor, s.campaignAction("pause")))
	m.HandleFunc("POST /console/campaigns/{id}/approve", s.requirePage(RoleApprover, s.campaignAction("approve")))
	m.HandleFunc("POST /console/campaigns/{id}/resume", s.requirePage(RoleApprover, s.campaignAction("resume")))
	m.HandleFunc("POST /console/campaigns/{id}/cancel", s.requirePage(RoleApprover, s.campaignAction("cancel")))
	m.HandleFunc("GET /console/ledger", s.requirePage(RoleEditor, s.ledgerList))
	m.HandleFunc("POST /console/ledger", s.requirePage(RoleEditor, s.ledgerAdd))
	m.HandleFunc("GET /console/ledger/{id}", s.requirePage(RoleEditor, s.ledgerDetail))
	m.HandleFunc("POST /console/ledger/{id}", s.requirePage(RoleEditor, s.ledgerEdit))
	m.HandleFunc("GET /console/consultations", s.requirePage(RoleEditor, s.consultations))
	m.HandleFunc("GET /console/consultations/{id}", s.requirePage(RoleEditor, s.caseDetail))
	m.HandleFunc("POST /console/consultations/{id}/reply", s.requirePage(RoleEditor, s.caseReply))
	m.HandleFunc("POST /console/consultations/{id}/call", s.requirePage(RoleEditor, s.caseCall))
	m.HandleFunc("POST /console/consultations/{id}/status", s.requirePage(RoleEditor, s.caseStatus))
	m.HandleFunc("POST /console/consultations/{id}/assign", s.requirePage(RoleEditor, s.caseAssign))
	m.HandleFunc("POST /console/consultations/{id}/category", s.requirePage(RoleEditor, s.caseCategory))
	m.HandleFunc("GET /console/report", s.requirePage(RoleEditor, s.reportPage))
	m.HandleFunc("GET /console/report/download", s.requirePage(RoleEditor, s.reportDownload))
	m.HandleFunc("GET /console/audit", s.requirePage(RoleEditor, s.auditPage))
	s.bankRoutes(m)      // bank.go
	s.articleRoutes(m)   // articles.go
	s.communityRoutes(m) // communities.go
	s.mediationRoutes(m) // mediation.go
	s.quizRoutes(m)      // quizzes.go
	m.HandleFunc("GET /console/preview-recipients", s.requirePage(RoleEditor, s.previewRecipients))
	m.HandleFunc("POST /console/preview-recipients", s.requirePage(RoleApprover, s.previewRecipientAdd))
	m.HandleFunc("POST /console/preview-recipients/code", s.requirePage(RoleEditor, s.previewBindCode))
	m.HandleFunc("POST /console/preview-recipients/remove", s.requirePage(RoleApprover, s.previewRecipientRemove))

	m.HandleFunc("GET /console/api/dashboard", s.requireAPI(RoleEditor, s.apiDashboard))
	m.HandleFunc("GET /console/api/campaigns", s.requireAPI(RoleEditor, s.apiCampaigns))
	m.HandleFunc("GET /console/api/campaigns/{id}", s.requireAPI(RoleEditor, s.apiCampaign))
	m.HandleFunc("POST /console/api/campaigns/{id}/pause", s.requireAPI(RoleEditor, s.apiCampaignAction("pause")))
	m.HandleFunc("POST /console/api/campaigns/{id}/approve", s.requireAPI(RoleApprover, s.apiCampaignAction("approve")))
	m.HandleFunc("POST /console/api/campaigns/{id}/resume", s.requireAPI(RoleApprover, s.apiCampaignAction("resume")))
	m.HandleFunc("POST /console/api/campaigns/{id}/cancel", s.requireAPI(RoleApprover, s.apiCampaignAction("cancel")))
	m.HandleFunc("GET /console/api/ledger", s.requireAPI(RoleEditor, s.apiLedgerList))
	m.HandleFunc("POST /console/api/ledger", s.requireAPI(RoleEditor, s.apiLedgerAdd))
	m.HandleFunc("GET /console/api/ledger/{id}", s.requireAPI(RoleEditor, s.apiLedgerGet))
	m.HandleFunc("PUT /console/api/ledger/{id}", s.requireAPI(RoleEditor, s.apiLedgerEdit))
	m.HandleFunc("GET /console/api/consultations", s.requireAPI(RoleEditor, s.apiConsultations))
	m.HandleFunc("POST /console/api/consultations/{id}", s.requireAPI(RoleEditor, s.apiConsultationStatus))
	m.HandleFunc("GET /console/api/report", s.requireAPI(RoleEditor, s.apiReport))
	m.HandleFunc("GET /console/api/audit", s.requireAPI(RoleEditor, s.apiAudit))
	m.HandleFunc("/console/api/", func(w http.ResponseWriter, _ *http.Request) {
		writeJSONError(w, http.StatusNotFound, "no such API endpoint")
	})
	s.mux = m
}

// audit records a state-changing action; a failure to record is logged,
// not shown, as the action itself already happened.
func (s *Server) audit(ctx context.Context, who, action, target, detail string) {
	e := store.AuditEntry{At: s.opts.Now(), User: who, Action: action, Target: target, Detail: detail}
	if err := s.st.Audit(ctx, e); err != nil {
		s.log.Error("audit log", "action", action, "err", err)
	}
	s.log.Info("console action", "user", who, "action", action, "target", target)
}

// internalError is all staff and integrations learn of an unexpected
// failure; Redis's or the file system's own text goes to the log only.
const internalError = "服务器内部错误，请稍后再试"

// fail answers a page's error that has no message of its own: a missing
// thing (statusOf) is a 404, anything else an unexpected error, answered
// without leaking its text.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	if statusOf(err) == http.StatusNotFound {
		http.NotFound(w, r)
		return
	}
	s.log.Error("console request failed", "path", r.URL.Path, "err", err)
	http.Error(w, internalError, http.StatusInternalServerError)
}

// apiFail is fail for the JSON API.
func (s *Server) apiFail(w http.ResponseWriter, r *http.Request, err error) {
	s.log.Error("console api request failed", "path", r.URL.Path, "err", err)
	writeJSONError(w, http.StatusInternalServerError, internalError)
}

// absPath matches the directories of an absolute path, up to its last
// element, after what may precede a path in a message (kept in $1).
var absPath = regexp.MustCompile(`(^|[\s"'“(（:：])(?:/[^/\s:"'“”]+)+/`)

// userError is the text of an expected error (a bad campaign file, a
// refused transition) for staff: campaign files are named by their file
// name alone, so the server's directories never reach a page or the API.
func (s *Server) userError(err error) string {
	return absPath.ReplaceAllString(err.Error(), "$1")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func writeJSONError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// Page sizes of every list (pages and API): PageSize by default, per_page
// up to MaxPageSize.
const (
	PageSize    = 50
	MaxPageSize = 100
)
