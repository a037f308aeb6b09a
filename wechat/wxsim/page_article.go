package wxsim

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/pufa-dev/pufa/chinatime"
)

// articlePageCSP lets the article's own HTML style itself and show the
// simulator's images, but never run script: WeChat strips scripts too.
const articlePageCSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; form-action 'self'"

func (s *Server) articleRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /sim/media/{id}", s.serveMedia)
	mux.HandleFunc("GET /sim/article/{key}", s.serveSentArticle)
	mux.HandleFunc("POST /sim/article/{key}/{action}", s.serveArticleAction)
	mux.HandleFunc("GET /sim/draft/{id}/{idx}", s.serveDraftArticle)
	mux.HandleFunc("GET /sim/published/{id}/{idx}", s.servePublishedArticle)
}

func (s *Server) serveMedia(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	m := s.art.materials[r.PathValue("id")]
	s.mu.Unlock()
	if m == nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", m.contentType)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	_, _ = w.Write(m.data)
}

// serveSentArticle renders an article of a mass send; with ?openid= it
// counts a read by that follower, as WeChat counts an opened card.
func (s *Server) serveSentArticle(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("key")
	openid := r.URL.Query().Get("openid")
	s.mu.Lock()
	a := s.art.sent[key]
	if a != nil && validOpenID.MatchString(openid) && r.URL.Query().Get("after") == "" {
		a.events = append(a.events, articleEvent{at: s.now(), openid: openid, action: actionRead})
	}
	var view articleView
	if a != nil {
		view = articleView{Article: a.article, SentAt: a.sentAt, Key: key, OpenID: openid, Figures: figures(a.events, time.Time{}, s.now().Add(time.Nanosecond))}
	}
	s.mu.Unlock()
	if a == nil {
		http.NotFound(w, r)
		return
	}
	view.Actions = validOpenID.MatchString(openid)
	view.After = r.URL.Query().Get("after")
	renderArticle(w, view)
}

// serveArticleAction counts a share or a favourite, then shows the
// article again without counting another read.
func (s *Server) serveArticleAction(w http.ResponseWriter, r *http.Request) {
	key, action := r.PathValue("key"), r.PathValue("action")
	openid := r.FormValue("openid")
	if (action != actionShare && action != actionFav) || !validOpenID.MatchString(openid) {
		http.Error(w, "need action share|fav and a valid openid", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	a := s.art.sent[key]
	if a != nil {
		a.events = append(a.events, articleEvent{at: s.now(), openid: openid, action: action})
	}
	s.mu.Unlock()
	if a == nil {
		http.NotFound(w, r)
		return
	}
	q := url.Values{"openid": {openid}, "after": {action}}
	http.Redirect(w, r, "/sim/article/"+url.PathEscape(key)+"?"+q.Encode(), http.StatusSeeOther)
}

func (s *Server) serveDraftArticle(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	articles := s.art.drafts[r.PathValue("id")]
	s.mu.Unlock()
	s.serveStored(w, r, articles, "草稿预览")
}

func (s *Server) servePublishedArticle(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	articles := s.art.published[r.PathValue("id")]
	s.mu.Unlock()
	s.serveStored(w, r, articles, "已发布")
}

func (s *Server) serveStored(w http.ResponseWriter, r *http.Request, articles []draftArticle, note string) {
	idx, err := strconv.Atoi(r.PathValue("idx"))
	if err != nil || idx < 1 || idx > len(articles) {
		http.NotFound(w, r)
		return
	}
	renderArticle(w, articleView{Article: articles[idx-1], Note: note})
}

type articleView struct {
	Article draftArticle
	SentAt  time.Time
	Key     string
	OpenID  string
	Note    string
	Actions bool   // show share and favourite buttons
	After   string // share or fav just counted
	Figures ArticleFigures
}

func renderArticle(w http.ResponseWriter, v articleView) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", articlePageCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	if err := articleTmpl.Execute(w, v); err != nil {
		// Headers are gone; the page is cut short, nothing else to do.
		fmt.Fprintf(w, "<!-- %s -->", template.HTMLEscapeString(err.Error()))
	}
}

var articleTmpl = template.Must(template.New("article").Funcs(template.FuncMap{
	// The body is the account's own article HTML, shown as WeChat shows
	// it; the page's CSP keeps any script in it from running.
	"body": func(s string) template.HTML { return template.HTML(s) },
	"day":  func(t time.Time) string { return t.In(chinatime.Zone).Format("2006年1月2日") },
}).Parse(`<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Article.Title}}</title>
<style>
body{margin:0;background:#fff;font-family:-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;color:#333}
main{max-width:677px;margin:0 auto;padding:20px 16px 40px}
h1{font-size:22px;line-height:1.4;margin:0 0 10px}
.meta{color:#888;font-size:14px;margin-bottom:20px}
.meta span{margin-right:10px}
.note{color:#fa5151}
.content{font-size:17px;line-height:1.75;word-wrap:break-word}
.content img{max-width:100%}
.source{display:block;margin-top:24px;color:#576b95;font-size:15px}
.actions{display:flex;gap:10px;margin-top:28px;border-top:1px solid #eee;padding-top:16px;align-items:center}
.actions button{padding:6px 14px;border:1px solid #ccc;border-radius:4px;background:#fff;cursor:pointer}
.counted{color:#07c160;font-size:14px}
.figures{color:#888;font-size:13px;margin-top:10px}
</style></head>
<body><main>
<h1>{{.Article.Title}}</h1>
<div class="meta">{{with .Note}}<span class="note">{{.}}</span>{{end}}{{with .Article.Author}}<span>{{.}}</span>{{end}}{{if not .SentAt.IsZero}}<span>{{day .SentAt}}</span>{{end}}</div>
<div class="content">{{body .Article.Content}}</div>
{{with .Article.ContentSourceURL}}<a class="source" href="{{.}}" rel="noopener noreferrer">阅读原文</a>{{end}}
{{if .Actions}}<div class="actions">
<form method="post" action="/sim/article/{{.Key}}/share"><input type="hidden" name="openid" value="{{.OpenID}}"><button id="share">分享</button></form>
<form method="post" action="/sim/article/{{.Key}}/fav"><input type="hidden" name="openid" value="{{.OpenID}}"><button id="fav">收藏</button></form>
{{if eq .After "share"}}<span class="counted">已分享</span>{{else if eq .After "fav"}}<span class="counted">已收藏</span>{{end}}
</div>
<div class="figures" id="figures">阅读 {{.Figures.Reads}} · 分享 {{.Figures.Shares}} · 收藏 {{.Figures.Favs}}</div>{{end}}
</main></body></html>
`))
