package console

import (
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/pufa-dev/pufa/articles"
	"github.com/pufa-dev/pufa/store"
	"github.com/pufa-dev/pufa/wechat"
)

// Request body limits of the article routes: one image (articles.MaxImage)
// with its form around it, and a form whose body is capped by WeChat's
// content limit long before this.
const (
	maxImageRequest   = articles.MaxImage + 64<<10
	maxArticleRequest = articles.MaxImage + 512<<10
)

// articleRoutes serves the 图文 pages; without Options.Articles there are
// none.
func (s *Server) articleRoutes(m *http.ServeMux) {
	if s.opts.Articles == nil {
		return
	}
	m.HandleFunc("GET /console/articles", s.requirePage(RoleEditor, s.articleList))
	m.HandleFunc("GET /console/articles/new", s.requirePage(RoleEditor, s.articleNew))
	m.HandleFunc("POST /console/articles", limitBody(maxArticleRequest, s.requirePage(RoleEditor, s.articleCreate)))
	m.HandleFunc("GET /console/articles/{id}", s.requirePage(RoleEditor, s.articleEdit))
	m.HandleFunc("POST /console/articles/{id}", limitBody(maxArticleRequest, s.requirePage(RoleEditor, s.articleSave)))
	m.HandleFunc("POST /console/articles/{id}/sync", s.requirePage(RoleEditor, s.articleSync))
	m.HandleFunc("POST /console/articles/{id}/preview", s.requirePage(RoleEditor, s.articlePreview))
	m.HandleFunc("POST /console/articles/images", limitBody(maxImageRequest, s.requirePage(RoleEditor, s.articleImageUpload)))
	m.HandleFunc("GET /console/articles/images/{img}", s.requirePage(RoleEditor, s.articleImage))
	m.HandleFunc("POST /console/articles/render", limitBody(maxArticleRequest, s.requirePage(RoleEditor, s.articleRender)))
}

// limitBody refuses a request body over n bytes before anything reads it,
// in words a clerk understands (an over-long multipart body would
// otherwise surface as a failed CSRF check).
func limitBody(n int64, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > n {
			http.Error(w, fmt.Sprintf("提交的内容太大（上限 %d KB）：图片请压缩到 1 MB 以内", n>>10), http.StatusRequestEntityTooLarge)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, n)
		h(w, r)
	}
}

// articleRow is one article in the list.
type articleRow struct {
	articles.Article
	SyncState string
}

func syncState(a articles.Article) string {
	switch {
	case a.WeChat.DraftMediaID == "":
		return "未同步"
	case a.WeChat.Version != a.Version:
		return "有修改未同步"
	}
	return "已同步到草稿箱"
}

func (s *Server) articleList(w http.ResponseWriter, r *http.Request) {
	p := pageOf(r)
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	list, total, err := s.opts.Articles.Search(r.Context(), q, p.Offset(), p.PerPage)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p.Total = int64(total)
	rows := make([]articleRow, len(list))
	for i, a := range list {
		rows[i] = articleRow{a, syncState(a)}
	}
	s.page(w, r, http.StatusOK, "articles", "图文", struct {
		Q     string
		Rows  []articleRow
		Pager pager
	}{q, rows, p})
}

// articleForm is the new/edit page.
type articleForm struct {
	ID         string
	Version    int64
	In         articles.Input
	Errors     articles.FieldErrors
	Article    *articles.Article // nil for a new one
	SyncState  string
	Preview    template.HTML
	Recipients []previewEntry
	Campaigns  []string
	History    []articles.Article
	CanPublish bool
	Limits     struct{ Title, Author, Digest int }
}

func (s *Server) newArticleForm(r *http.Request, in articles.Input) articleForm {
	f := articleForm{In: in, CanPublish: s.opts.Articles.CanPublish(), Preview: s.previewHTML(in.Body)}
	f.Limits.Title, f.Limits.Author, f.Limits.Digest = articles.MaxTitle, articles.MaxAuthor, articles.MaxDigest
	return f
}

// previewHTML renders a body for the console's phone frame. Render
// escapes every piece of the author's text and writes only its own
// allow-listed tags, which is what makes this conversion safe.
func (s *Server) previewHTML(body string) template.HTML {
	return template.HTML(articles.Render(body, articles.RenderOptions{Preview: true, Image: consoleImageURL}))
}

func consoleImageURL(id string) (string, bool) { return "/console/articles/images/" + id, true }

func inputFrom(r *http.Request) articles.Input {
	return articles.Input{Title: r.PostFormValue("title"), Author: r.PostFormValue("author"), Digest: r.PostFormValue("digest"),
		Body: r.PostFormValue("body"), Cover: r.PostFormValue("cover"), SourceURL: r.PostFormValue("source_url")}
}

func (s *Server) articleNew(w http.ResponseWriter, r *http.Request) {
	s.page(w, r, http.StatusOK, "article", "写新图文", s.newArticleForm(r, articles.Input{}))
}

// coverUpload stores a cover sent with the form itself (a browser without
// script); the returned message is for the clerk.
func (s *Server) coverUpload(r *http.Request, in *articles.Input, by string) (string, error) {
	f, h, err := r.FormFile("cover_file")
	if errors.Is(err, http.ErrMissingFile) || errors.Is(err, http.ErrNotMultipart) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return "", err
	}
	if len(data) == 0 { // an empty file part: no file chosen
		return "", nil
	}
	img, err := s.opts.Articles.AddImage(r.Context(), h.Filename, data, by)
	if ie := (*articles.ImageError)(nil); errors.As(err, &ie) {
		return "封面：" + ie.Reason, nil
	}
	if err != nil {
		return "", err
	}
	in.Cover = img.ID
	s.audit(r.Context(), by, "article.image", img.ID, h.Filename)
	return "", nil
}

func (s *Server) articleCreate(w http.ResponseWriter, r *http.Request) {
	u := userFrom(r.Context())
	in := inputFrom(r)
	if msg, err := s.coverUpload(r, &in, u.Name); err != nil {
		s.fail(w, r, err)
		return
	} else if msg != "" {
		s.pageError(w, r, http.StatusBadRequest, "article", "写新图文", s.newArticleForm(r, in), msg)
		return
	}
	id, err := s.opts.Articles.Create(r.Context(), in, u.Name)
	var fe articles.FieldErrors
	if errors.As(err, &fe) {
		f := s.newArticleForm(r, in)
		f.Errors = fe
		s.pageError(w, r, http.StatusBadRequest, "article", "写新图文", f, "未保存：请按提示修改")
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.audit(r.Context(), u.Name, "article.create", id, strings.TrimSpace(in.Title))
	back(w, r, "/console/articles/"+id, "msg", "已保存图文（第 1 版）")
}

// articleFormFor fills the edit page of a stored article; in is what is
// shown in the fields (the stored version, or what the clerk typed).
func (s *Server) articleFormFor(r *http.Request, a articles.Article, in articles.Input, version int64) (articleForm, error) {
	ctx := r.Context()
	f := s.newArticleForm(r, in)
	f.ID, f.Version, f.Article, f.SyncState = a.ID, version, &a, syncState(a)
	var err error
	if f.Recipients, err = s.previews.all(ctx); err != nil {
		return f, err
	}
	if f.Campaigns, err = s.opts.Articles.Campaigns(ctx, a.ID); err != nil {
		return f, err
	}
	if f.History, err = s.opts.Articles.History(ctx, a.ID); err != nil {
		return f, err
	}
	return f, nil
}

func stored(a articles.Article) articles.Input {
	return articles.Input{Title: a.Title, Author: a.Author, Digest: a.Digest, Body: a.Body, Cover: a.Cover, SourceURL: a.SourceURL}
}

// loadArticle reads the article of the path; ok reports whether to go on
// (an unknown id has been answered 404 by fail).
func (s *Server) loadArticle(w http.ResponseWriter, r *http.Request) (articles.Article, bool) {
	a, err := s.opts.Articles.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return a, false
	}
	return a, true
}

func (s *Server) articleEdit(w http.ResponseWriter, r *http.Request) {
	a, ok := s.loadArticle(w, r)
	if !ok {
		return
	}
	f, err := s.articleFormFor(r, a, stored(a), a.Version)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.page(w, r, http.StatusOK, "article", a.Title, f)
}

func (s *Server) articleSave(w http.ResponseWriter, r *http.Request) {
	a, ok := s.loadArticle(w, r)
	if !ok {
		return
	}
	u := userFrom(r.Context())
	in := inputFrom(r)
	version, _ := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	refuse := func(msg string, fe articles.FieldErrors) {
		f, err := s.articleFormFor(r, a, in, version)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		f.Errors = fe
		s.pageError(w, r, http.StatusBadRequest, "article", a.Title, f, msg)
	}
	if msg, err := s.coverUpload(r, &in, u.Name); err != nil {
		s.fail(w, r, err)
		return
	} else if msg != "" {
		refuse(msg, nil)
		return
	}
	v, err := s.opts.Articles.Edit(r.Context(), a.ID, in, version, u.Name)
	var fe articles.FieldErrors
	switch {
	case errors.As(err, &fe):
		refuse("未保存：请按提示修改", fe)
		return
	case errors.Is(err, store.ErrVersion):
		refuse(fmt.Sprintf("未保存：这篇图文在你编辑期间已被%s改为第 %d 版。你填写的内容仍在下面，请复制保存后刷新页面，在最新版本上重新修改。", a.UpdatedBy, a.Version), nil)
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	s.audit(r.Context(), u.Name, "article.edit", a.ID, fmt.Sprintf("第 %d 版", v))
	back(w, r, "/console/articles/"+a.ID, "msg", fmt.Sprintf("已保存（第 %d 版）", v))
}

// syncError is the clerk's text for a failed sync.
func (s *Server) syncError(err error) string {
	switch {
	case errors.Is(err, articles.ErrNoPublisher):
		return "本系统尚未接通 WeChat 图文接口，无法同步或预览；请联系管理员"
	case errors.Is(err, articles.ErrSyncBusy):
		return "这篇图文正在同步中，请稍等片刻再试"
	}
	code, ok := wechat.ErrCode(err)
	if !ok {
		return "未能连上 WeChat，请稍后再试"
	}
	if hint, known := wechatArticleErrors[code]; known {
		return fmt.Sprintf("WeChat 返回错误码 %d：%s", code, hint)
	}
	return fmt.Sprintf("WeChat 返回错误码 %d，请把此错误码告知管理员", code)
}

// wechatArticleErrors are the errcodes an article's sync or preview meets
// most, with what the clerk can do; WeChat's own text stays in the log.
var wechatArticleErrors = map[int]string{
	-1:    "WeChat 系统繁忙，请稍后再试",
	40007: "WeChat 找不到这篇图文的素材或草稿（可能已在公众号后台删除），请联系管理员",
	40113: "图片格式不被 WeChat 接受，请换一张 JPG 或 PNG 图片",
	43004: "接收预览的工作人员尚未关注本公众号，请先关注",
	45001: "图片超过 WeChat 的大小限制，请压缩后重新上传",
	45009: "今天调用 WeChat 接口的次数已达上限，请明天再试",
	47003: "WeChat 认为内容不符合要求（如标题、作者或摘要过长），请检查后再试",
}

func (s *Server) articleSync(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	u := userFrom(r.Context())
	res, err := s.opts.Articles.Sync(r.Context(), id)
	if statusOf(err) == http.StatusNotFound {
		s.fail(w, r, err)
		return
	}
	if err != nil {
		s.log.Error("article sync failed", "article", id, "err", err)
		back(w, r, "/console/articles/"+id, "err", "同步失败："+s.syncError(err))
		return
	}
	msg := "草稿箱中的版本已是最新，无需同步"
	switch {
	case res.Created:
		msg = "已同步到 WeChat 草稿箱（新建草稿）"
	case res.Updated:
		msg = "已更新 WeChat 草稿箱中的草稿"
	}
	if res.Created || res.Updated {
		s.audit(r.Context(), u.Name, "article.sync", id, res.DraftMediaID)
	}
	back(w, r, "/console/articles/"+id, "msg", msg)
}

func (s *Server) articlePreview(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	u := userFrom(r.Context())
	openid := strings.TrimSpace(r.PostFormValue("openid"))
	name, ok, err := s.previews.PreviewRecipient(r.Context(), openid)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if openid == "" || !ok {
		back(w, r, "/console/articles/"+id, "err", "请从“预览名单”中选择接收预览的工作人员")
		return
	}
	res, err := s.opts.Articles.Preview(r.Context(), id, openid)
	if statusOf(err) == http.StatusNotFound {
		s.fail(w, r, err)
		return
	}
	if err != nil {
		s.log.Error("article preview failed", "article", id, "err", err)
		back(w, r, "/console/articles/"+id, "err", "预览发送失败："+s.syncError(err))
		return
	}
	s.audit(r.Context(), u.Name, "article.preview", id, name+" "+res.DraftMediaID)
	back(w, r, "/console/articles/"+id, "msg", "预览已发送到 "+name+" 的手机")
}

// articleImageUpload takes one image from the editor (cover or body) and
// answers JSON: {id, url, markdown} or {error}.
func (s *Server) articleImageUpload(w http.ResponseWriter, r *http.Request) {
	u := userFrom(r.Context())
	f, h, err := r.FormFile("image")
	if err != nil {
		writeJSONError(w, http.StatusBadRequest, "请选择一张 JPG 或 PNG 图片")
		return
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		writeJSONError(w, http.StatusBadRequest, "图片没有传完整，请重试")
		return
	}
	img, err := s.opts.Articles.AddImage(r.Context(), h.Filename, data, u.Name)
	if ie := (*articles.ImageError)(nil); errors.As(err, &ie) {
		writeJSONError(w, http.StatusBadRequest, ie.Reason)
		return
	}
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	s.audit(r.Context(), u.Name, "article.image", img.ID, h.Filename)
	writeJSON(w, http.StatusOK, map[string]string{"id": img.ID, "url": "/console/articles/images/" + img.ID,
		"markdown": "![图片说明](" + articles.ImagePrefix + img.ID + ")"})
}

func (s *Server) articleImage(w http.ResponseWriter, r *http.Request) {
	img, err := s.opts.Articles.Image(r.Context(), r.PathValue("img"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// Named by their bytes, images never change under one address.
	w.Header().Set("Content-Type", img.ContentType)
	w.Header().Set("Cache-Control", "private, max-age=31536000, immutable")
	w.Write(img.Data)
}

// articleRender answers the live preview: the body as the phone shows it.
func (s *Server) articleRender(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	io.WriteString(w, string(s.previewHTML(r.PostFormValue("body"))))
}
