// Package wxsim simulates the WeChat official-account platform for tests and
// demos: the JSON APIs pufa calls (tokens, users, tags, mass, template,
// customer-service and menu messages, image materials, drafts, free
// publishing, subscription notices and the data cube), the callbacks WeChat posts to pufa in
// plain, compatible and safe mode with WeChat's timeout and retries, and a
// resident chat page. It speaks the real wire protocol, so the silenceper SDK
// works against it unchanged once its URLs are rewritten to the simulator.
package wxsim

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/pufa-dev/pufa/wechat/msgcrypt"
)

// Mode is the message encryption mode configured in the MP console.
type Mode string

// Encryption modes.
const (
	ModePlain      Mode = "plain"
	ModeCompatible Mode = "compatible"
	ModeSafe       Mode = "safe"
)

// Options configures a Server; zero values get WeChat's defaults.
type Options struct {
	AppID, AppSecret string        // credentials the token endpoints accept
	Token            string        // callback token
	EncodingAESKey   string        // needed for compatible/safe
	Mode             Mode          // default plain
	OriginalID       string        // the account's gh_ id, ToUserName of callbacks; default "gh_wxsim0000001"
	CallbackURL      string        // pufa's /wechat endpoint; empty = no callbacks
	Followers        int           // synthetic followers "o_sim_000001", "o_sim_000002", ...
	UserPageSize     int           // page size of user/get and user/tag/get; default 10000
	TokenTTL         time.Duration // access_token lifetime, default 7200s
	CallbackTimeout  time.Duration // per attempt, default 5s
	RetryDelay       time.Duration // pause before a retry, default 0
	MassFinishDelay  time.Duration // delay before posting MASSSENDJOBFINISH, default 1s
	MassRateLimit    int           // mass send requests per minute; 0 = WeChat's 60, <0 = unlimited

	// EnforceCustomWindow rejects customer-service messages with 45015 unless
	// the follower interacted within the last 48h.
	EnforceCustomWindow bool

	HTTPClient *http.Client     // for callbacks; CallbackTimeout applies per attempt
	Logger     *slog.Logger     // nil = discard
	Now        func() time.Time // default time.Now
}

// Server is a simulated WeChat platform; it is an http.Handler.
type Server struct {
	opts   Options
	cipher *msgcrypt.Cipher // nil in plain mode without a key
	log    *slog.Logger
	routes map[string]route
	page   *http.ServeMux

	ctx    context.Context // cancelled by Close; parents background callbacks
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu           sync.Mutex
	closed       bool
	nextID       int64                // source of MsgId, msg_id and msgid values
	followers    map[string]*follower // every openid seen, subscribed or not
	order        []string             // subscribed openids, ascending seq
	nextSeq      int64
	tags         map[int]*tag
	nextTagID    int
	tokens       map[string]token
	stableToken  string
	tokensIssued int
	apiCalls     map[string]int
	fault        Fault
	faultLeft    int
	massJobs     map[int64]massJob
	clientMsgIDs map[string]massJob
	tplRequests  map[string]templateRequest // openid + "\x00" + client_msg_id
	massTimes    []time.Time                // recent mass requests, for the per-minute limit
	menu         json.RawMessage
	menuID       int64
	inbox        map[string][]Delivery
	kinds        map[string]*kindState
	replies      int
	art          articleState
	qr           qrCodes // api_qrcode.go
	// follows records every change of the follower list after New, for
	// datacube/getusersummary and getusercumulate; initialFollowers
	// followed before it starts.
	follows          []followChange
	initialFollowers int
}

type followChange struct {
	at        time.Time
	subscribe bool
}

type follower struct {
	seq        int64
	subscribed bool
	tags       map[int]struct{}
	lastActive time.Time // last message or interaction event, for the 48h window
}

type tag struct {
	id      int
	name    string
	members map[string]struct{}
}

// route is one JSON API.
type route struct {
	fn    func(r *http.Request) any
	auth  bool // needs access_token
	token bool // a token endpoint, spared by a Fault without API
}

// apiError is WeChat's error body; handlers return it instead of a result.
type apiError struct {
	Code int    `json:"errcode"`
	Msg  string `json:"errmsg"`
}

func errResp(code int, msg string) apiError { return apiError{Code: code, Msg: msg} }

// New validates opts and returns a ready Server.
func New(opts Options) (*Server, error) {
	if opts.AppID == "" || opts.AppSecret == "" {
		return nil, errors.New("wxsim: AppID and AppSecret are required")
	}
	switch opts.Mode {
	case "":
		opts.Mode = ModePlain
	case ModePlain, ModeCompatible, ModeSafe:
	default:
		return nil, fmt.Errorf("wxsim: unknown mode %q", opts.Mode)
	}
	var cipher *msgcrypt.Cipher
	if opts.Mode != ModePlain || opts.EncodingAESKey != "" {
		c, err := msgcrypt.NewCipher(opts.EncodingAESKey, opts.AppID)
		if err != nil {
			return nil, fmt.Errorf("wxsim: %s mode: %w", opts.Mode, err)
		}
		cipher = c
	}
	if opts.CallbackURL != "" {
		u, err := url.Parse(opts.CallbackURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("wxsim: callback URL %q is not an absolute http(s) URL", opts.CallbackURL)
		}
		if opts.Token == "" {
			return nil, errors.New("wxsim: Token is required to sign callbacks")
		}
	}
	if opts.Followers < 0 || opts.Followers > 999999 {
		return nil, fmt.Errorf("wxsim: followers must be 0..999999, got %d", opts.Followers)
	}
	if opts.OriginalID == "" {
		opts.OriginalID = "gh_wxsim0000001"
	}
	if opts.UserPageSize <= 0 {
		opts.UserPageSize = 10000
	}
	if opts.TokenTTL <= 0 {
		opts.TokenTTL = 7200 * time.Second
	}
	if opts.CallbackTimeout <= 0 {
		opts.CallbackTimeout = 5 * time.Second
	}
	if opts.MassFinishDelay <= 0 {
		opts.MassFinishDelay = time.Second
	}
	if opts.MassRateLimit == 0 {
		opts.MassRateLimit = 60
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}

	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		opts:         opts,
		cipher:       cipher,
		log:          opts.Logger,
		ctx:          ctx,
		cancel:       cancel,
		nextID:       opts.Now().UnixMicro(), // ids keep growing across restarts, like WeChat's
		followers:    make(map[string]*follower, opts.Followers),
		tags:         make(map[int]*tag),
		nextTagID:    100, // WeChat reserves 0..99 for system tags
		tokens:       make(map[string]token),
		apiCalls:     make(map[string]int),
		massJobs:     make(map[int64]massJob),
		clientMsgIDs: make(map[string]massJob),
		tplRequests:  make(map[string]templateRequest),
		inbox:        make(map[string][]Delivery),
		kinds:        make(map[string]*kindState),
		art:          newArticleState(),
	}
	for i := 1; i <= opts.Followers; i++ {
		s.subscribeLocked(fmt.Sprintf("o_sim_%06d", i))
	}
	s.initialFollowers, s.follows = len(s.order), nil
	s.routes = s.apiRoutes()
	s.page = s.pageMux()
	return s, nil
}

func (s *Server) apiRoutes() map[string]route {
	api := func(fn func(*http.Request) any) route { return route{fn: fn, auth: true} }
	return map[string]route{
		"/cgi-bin/token":                       {fn: s.handleToken, token: true},
		"/cgi-bin/stable_token":                {fn: s.handleStableToken, token: true},
		"/cgi-bin/user/get":                    api(s.handleUserGet),
		"/cgi-bin/tags/create":                 api(s.handleTagCreate),
		"/cgi-bin/tags/get":                    api(s.handleTagGet),
		"/cgi-bin/tags/members/batchtagging":   api(s.handleBatchTag(true)),
		"/cgi-bin/tags/members/batchuntagging": api(s.handleBatchTag(false)),
		"/cgi-bin/user/tag/get":                api(s.handleTagUsers),
		"/cgi-bin/tags/getidlist":              api(s.handleTagIDList),
		"/cgi-bin/message/mass/sendall":        api(s.handleMassSend),
		"/cgi-bin/message/mass/send":           api(s.handleMassSend),
		"/cgi-bin/message/mass/preview":        api(s.handleMassPreview),
		"/cgi-bin/message/mass/get":            api(s.handleMassGet),
		"/cgi-bin/message/template/send":       api(s.handleTemplateSend),
		"/cgi-bin/message/custom/send":         api(s.handleCustomSend),
		"/cgi-bin/menu/create":                 api(s.handleMenuCreate),
		"/cgi-bin/menu/get":                    api(s.handleMenuGet),
		"/cgi-bin/menu/delete":                 api(s.handleMenuDelete),
		"/cgi-bin/media/uploadimg":             api(s.handleUploadImg),
		"/cgi-bin/material/add_material":       api(s.handleAddMaterial),
		"/cgi-bin/draft/add":                   api(s.handleDraftAdd),
		"/cgi-bin/draft/get":                   api(s.handleDraftGet),
		"/cgi-bin/draft/update":                api(s.handleDraftUpdate),
		"/cgi-bin/draft/delete":                api(s.handleDraftDelete),
		"/cgi-bin/freepublish/submit":          api(s.handlePublishSubmit),
		"/cgi-bin/freepublish/get":             api(s.handlePublishGet),
		"/cgi-bin/message/subscribe/bizsend":   api(s.handleSubscribeSend),
		"/datacube/getarticlesummary":          api(s.handleArticleSummary),
		"/datacube/getarticletotal":            api(s.handleArticleTotal),
		"/datacube/getuserread":                api(s.handleUserRead),
		"/datacube/getusersummary":             api(s.handleUserSummary),
		"/datacube/getusercumulate":            api(s.handleUserCumulate),
		// QR codes (api_qrcode.go); showqrcode is an image, served by ServeHTTP.
		"/cgi-bin/qrcode/create": api(s.handleQRCodeCreate),
	}
}

// ServeHTTP serves the WeChat APIs at their real paths and the simulator's
// own pages under /sim/.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/sim" || strings.HasPrefix(r.URL.Path, "/sim/") {
		s.page.ServeHTTP(w, r)
		return
	}
	if r.URL.Path == showQRCodePath {
		s.serveShowQRCode(w, r) // api_qrcode.go
		return
	}
	rt, ok := s.routes[r.URL.Path]
	if !ok {
		writeJSON(w, http.StatusNotFound, errResp(-1, "wxsim: unknown api "+r.URL.Path))
		return
	}
	s.mu.Lock()
	s.apiCalls[r.URL.Path]++
	s.mu.Unlock()
	if s.injectFault(w, r, rt.token) {
		return
	}
	if rt.auth {
		if e := s.checkToken(r.URL.Query().Get("access_token")); e != nil {
			writeJSON(w, http.StatusOK, *e)
			return
		}
	}
	writeJSON(w, http.StatusOK, rt.fn(r))
}

// Close stops background callbacks and waits for them.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
}

// goAsync runs fn in the background unless the server is closed; Close
// waits for it.
func (s *Server) goAsync(fn func(ctx context.Context)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.wg.Go(func() { fn(s.ctx) })
}

func (s *Server) now() time.Time { return s.opts.Now() }

func (s *Server) newIDLocked() int64 {
	s.nextID++
	return s.nextID
}

// subscribeLocked makes openid a follower and reports whether it was not one.
func (s *Server) subscribeLocked(openid string) bool {
	f := s.followers[openid]
	if f == nil {
		f = &follower{tags: map[int]struct{}{}}
		s.followers[openid] = f
	}
	if f.subscribed {
		return false
	}
	s.nextSeq++
	f.seq, f.subscribed = s.nextSeq, true
	s.order = append(s.order, openid)
	s.follows = append(s.follows, followChange{at: s.now(), subscribe: true})
	return true
}

// unsubscribeLocked removes openid from the followers and from every tag, as
// WeChat forgets tags on unsubscribe.
func (s *Server) unsubscribeLocked(openid string) bool {
	f := s.followers[openid]
	if f == nil || !f.subscribed {
		return false
	}
	if i := sort.Search(len(s.order), func(i int) bool { return s.followers[s.order[i]].seq >= f.seq }); i < len(s.order) && s.order[i] == openid {
		s.order = append(s.order[:i], s.order[i+1:]...)
	}
	f.subscribed = false
	s.follows = append(s.follows, followChange{at: s.now()})
	for id := range f.tags {
		delete(s.tags[id].members, openid)
	}
	clear(f.tags)
	return true
}

func (s *Server) isFollowerLocked(openid string) bool {
	f := s.followers[openid]
	return f != nil && f.subscribed
}

// pageAfterLocked returns up to n openids of list (ascending seq) that
// follow next, or an error when next is not a known openid.
func (s *Server) pageAfterLocked(list []string, next string, n int) ([]string, *apiError) {
	start := 0
	if next != "" {
		f := s.followers[next]
		if f == nil {
			e := errResp(40003, "invalid openid")
			return nil, &e
		}
		start = sort.Search(len(list), func(i int) bool { return s.followers[list[i]].seq > f.seq })
	}
	end := min(start+n, len(list))
	return append([]string{}, list[start:end]...), nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; encoding=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // the client is gone if this fails
}

// decodeBody reads a JSON request body; WeChat answers 47001 to bad JSON.
func decodeBody(r *http.Request, v any) *apiError {
	body, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	if err == nil {
		err = json.Unmarshal(body, v)
	}
	if err != nil {
		e := errResp(47001, "data format error")
		return &e
	}
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}
