package wxsim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits of the material and draft APIs.
const (
	maxUploadImg      = 1 << 20  // media/uploadimg
	maxImageMaterial  = 10 << 20 // material/add_material?type=image
	maxDraftArticles  = 8
	maxArticleContent = 20000 // characters
)

// material is an uploaded image; its bytes are served at /sim/media/{id}.
type material struct {
	data        []byte
	contentType string
	permanent   bool // add_material; uploadimg images have no media_id
}

// draftArticle is one article as draft/add takes and draft/get returns it.
type draftArticle struct {
	Title              string `json:"title"`
	Author             string `json:"author"`
	Digest             string `json:"digest"`
	Content            string `json:"content"`
	ContentSourceURL   string `json:"content_source_url"`
	ThumbMediaID       string `json:"thumb_media_id"`
	NeedOpenComment    int    `json:"need_open_comment"`
	OnlyFansCanComment int    `json:"only_fans_can_comment"`
	URL                string `json:"url"`
	ThumbURL           string `json:"thumb_url"`
}

type publishJob struct {
	id, mediaID, articleID string
	articles               []draftArticle
	finishAt               time.Time
}

// sentArticle is one article of one mpnews mass send; WeChat's data cube
// keys it as "<msg_data_id>_<idx>".
type sentArticle struct {
	key     string
	article draftArticle
	sentAt  time.Time
	target  int
	events  []articleEvent
}

// Reader actions counted in the data cube.
const (
	actionRead  = "read"
	actionShare = "share"
	actionFav   = "fav"
)

type articleEvent struct {
	at     time.Time
	openid string
	action string
}

// articleState is everything the article APIs keep.
type articleState struct {
	materials     map[string]*material
	drafts        map[string][]draftArticle
	publishes     map[string]*publishJob
	published     map[string][]draftArticle // article_id → articles
	sent          map[string]*sentArticle
	sentOrder     []string
	subscriptions map[string]struct{} // openid + "\x00" + template_id
}

func newArticleState() articleState {
	return articleState{
		materials:     map[string]*material{},
		drafts:        map[string][]draftArticle{},
		publishes:     map[string]*publishJob{},
		published:     map[string][]draftArticle{},
		sent:          map[string]*sentArticle{},
		subscriptions: map[string]struct{}{},
	}
}

// Card is how a follower's chat shows one article of an mpnews message.
type Card struct {
	Title  string `json:"title"`
	Digest string `json:"digest"`
	Cover  string `json:"cover"` // path of the cover image on the simulator
	Link   string `json:"link"`  // path of the rendered article; reads count when it carries ?openid=
}

// baseURL is the simulator's own origin as the caller reached it, for the
// URLs WeChat would return on its image host.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// readImage reads the image both upload APIs take in the multipart field
// "media": at most limit bytes, of a type in exts. It returns the bytes and
// their content type.
func readImage(r *http.Request, limit int, exts map[string]string) (data []byte, contentType string, e *apiError) {
	name, data, e := readUpload(r, limit)
	if e != nil {
		return nil, "", e
	}
	ct, e := imageType(name, data, exts)
	if e != nil {
		return nil, "", e
	}
	return data, ct, nil
}

// readUpload reads the multipart field "media".
func readUpload(r *http.Request, limit int) (name string, data []byte, e *apiError) {
	// The whole request may exceed the limit a little (headers, boundary).
	r.Body = http.MaxBytesReader(nil, r.Body, int64(limit)+1<<20)
	f, hdr, err := r.FormFile("media")
	if err != nil {
		if strings.Contains(err.Error(), "too large") {
			e := errResp(45001, "media size out of limit")
			return "", nil, &e
		}
		e := errResp(41005, "media data missing")
		return "", nil, &e
	}
	defer f.Close()
	data, err = io.ReadAll(io.LimitReader(f, int64(limit)+1))
	if err != nil {
		e := errResp(41005, "media data missing")
		return "", nil, &e
	}
	if len(data) == 0 {
		e := errResp(41005, "media data missing")
		return "", nil, &e
	}
	if len(data) > limit {
		e := errResp(45001, "media size out of limit")
		return "", nil, &e
	}
	return hdr.Filename, data, nil
}

// imageType returns the content type of an upload whose extension is in
// exts and whose bytes agree with it.
func imageType(name string, data []byte, exts map[string]string) (string, *apiError) {
	want, ok := exts[strings.ToLower(path.Ext(name))]
	if !ok || http.DetectContentType(data) != want {
		e := errResp(40113, "unsupported file type")
		return "", &e
	}
	return want, nil
}

var (
	uploadImgTypes = map[string]string{".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png"}
	materialTypes  = map[string]string{
		".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".gif": "image/gif", ".bmp": "image/bmp",
	}
)

func (s *Server) handleUploadImg(r *http.Request) any {
	data, ct, e := readImage(r, maxUploadImg, uploadImgTypes)
	if e != nil {
		return *e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id := "img_" + strconv.FormatInt(s.newIDLocked(), 36)
	s.art.materials[id] = &material{data: data, contentType: ct}
	return struct {
		URL string `json:"url"`
	}{baseURL(r) + "/sim/media/" + id}
}

func (s *Server) handleAddMaterial(r *http.Request) any {
	if t := r.URL.Query().Get("type"); t != "image" {
		// The simulator keeps images only, the one type pufa uploads.
		return errResp(40004, "invalid media type")
	}
	data, ct, e := readImage(r, maxImageMaterial, materialTypes)
	if e != nil {
		return *e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id := "MEDIA_" + randomHex(16)
	s.art.materials[id] = &material{data: data, contentType: ct, permanent: true}
	return struct {
		MediaID string `json:"media_id"`
		URL     string `json:"url"`
	}{id, baseURL(r) + "/sim/media/" + id}
}

// checkArticleLocked applies draft/add's checks to one article.
func (s *Server) checkArticleLocked(a *draftArticle, base string) *apiError {
	var e apiError
	switch {
	case a.Title == "":
		e = errResp(44003, "empty news data: title")
	case a.Content == "":
		e = errResp(44003, "empty news data: content")
	case utf8.RuneCountInString(a.Content) >= maxArticleContent:
		e = errResp(45002, "content size out of limit")
	case a.ThumbMediaID == "" || s.art.materials[a.ThumbMediaID] == nil || !s.art.materials[a.ThumbMediaID].permanent:
		e = errResp(40007, "invalid media_id: thumb_media_id")
	default:
		a.ThumbURL = base + "/sim/media/" + a.ThumbMediaID
		return nil
	}
	return &e
}

func (s *Server) handleDraftAdd(r *http.Request) any {
	var req struct {
		Articles []draftArticle `json:"articles"`
	}
	if e := decodeBody(r, &req); e != nil {
		return *e
	}
	if len(req.Articles) == 0 || len(req.Articles) > maxDraftArticles {
		return errResp(45008, "article size out of limit")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range req.Articles {
		if e := s.checkArticleLocked(&req.Articles[i], baseURL(r)); e != nil {
			return *e
		}
	}
	id := "DRAFT_" + randomHex(16)
	for i := range req.Articles {
		req.Articles[i].URL = fmt.Sprintf("%s/sim/draft/%s/%d", baseURL(r), id, i+1)
	}
	s.art.drafts[id] = req.Articles
	return struct {
		MediaID string `json:"media_id"`
	}{id}
}

// decodeMediaID reads the {"media_id": …} body of draft/get, draft/delete
// and freepublish/submit.
func decodeMediaID(r *http.Request) (string, *apiError) {
	var req struct {
		MediaID string `json:"media_id"`
	}
	if e := decodeBody(r, &req); e != nil {
		return "", e
	}
	return req.MediaID, nil
}

// draftLocked is the draft mediaID names, or WeChat's 40007.
func (s *Server) draftLocked(mediaID string) ([]draftArticle, *apiError) {
	d, ok := s.art.drafts[mediaID]
	if !ok {
		e := errResp(40007, "invalid media_id")
		return nil, &e
	}
	return d, nil
}

func (s *Server) handleDraftGet(r *http.Request) any {
	mediaID, e := decodeMediaID(r)
	if e != nil {
		return *e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d, e := s.draftLocked(mediaID)
	if e != nil {
		return *e
	}
	return struct {
		NewsItem []draftArticle `json:"news_item"`
	}{d}
}

func (s *Server) handleDraftUpdate(r *http.Request) any {
	var req struct {
		MediaID  string       `json:"media_id"`
		Index    int          `json:"index"`
		Articles draftArticle `json:"articles"`
	}
	if e := decodeBody(r, &req); e != nil {
		return *e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d, e := s.draftLocked(req.MediaID)
	if e != nil {
		return *e
	}
	if req.Index < 0 || req.Index >= len(d) {
		return errResp(40035, "invalid args: index")
	}
	if e := s.checkArticleLocked(&req.Articles, baseURL(r)); e != nil {
		return *e
	}
	req.Articles.URL = d[req.Index].URL
	d[req.Index] = req.Articles
	return errResp(0, "ok")
}

func (s *Server) handleDraftDelete(r *http.Request) any {
	mediaID, e := decodeMediaID(r)
	if e != nil {
		return *e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, e := s.draftLocked(mediaID); e != nil {
		return *e
	}
	delete(s.art.drafts, mediaID)
	return errResp(0, "ok")
}

func (s *Server) handlePublishSubmit(r *http.Request) any {
	mediaID, e := decodeMediaID(r)
	if e != nil {
		return *e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d, e := s.draftLocked(mediaID)
	if e != nil {
		return *e
	}
	job := &publishJob{
		id:        strconv.FormatInt(s.newIDLocked(), 10),
		mediaID:   mediaID,
		articleID: "ART_" + randomHex(12),
		articles:  append([]draftArticle(nil), d...),
		finishAt:  s.now().Add(s.opts.MassFinishDelay),
	}
	base := baseURL(r)
	for i := range job.articles {
		job.articles[i].URL = fmt.Sprintf("%s/sim/published/%s/%d", base, job.articleID, i+1)
	}
	s.art.publishes[job.id] = job
	s.art.published[job.articleID] = job.articles
	if s.opts.CallbackURL != "" && !s.closed {
		s.wg.Go(func() { s.postPublishFinish(s.ctx, job) })
	}
	return struct {
		apiError
		PublishID string `json:"publish_id"`
	}{errResp(0, "ok"), job.id}
}

type publishedItem struct {
	Idx int    `json:"idx" xml:"idx"`
	URL string `json:"article_url" xml:"article_url"`
}

func (j *publishJob) items() []publishedItem {
	items := make([]publishedItem, len(j.articles))
	for i, a := range j.articles {
		items[i] = publishedItem{Idx: i + 1, URL: a.URL}
	}
	return items
}

func (s *Server) handlePublishGet(r *http.Request) any {
	var req struct {
		PublishID string `json:"publish_id"`
	}
	if e := decodeBody(r, &req); e != nil {
		return *e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	job, ok := s.art.publishes[req.PublishID]
	if !ok {
		return errResp(40035, "invalid args: publish_id")
	}
	type detail struct {
		Count int             `json:"count"`
		Item  []publishedItem `json:"item"`
	}
	resp := struct {
		PublishID     string  `json:"publish_id"`
		PublishStatus int     `json:"publish_status"`
		ArticleID     string  `json:"article_id,omitempty"`
		ArticleDetail *detail `json:"article_detail,omitempty"`
		FailIdx       []int   `json:"fail_idx"`
	}{PublishID: job.id, PublishStatus: 1, FailIdx: []int{}}
	if !s.now().Before(job.finishAt) {
		resp.PublishStatus, resp.ArticleID = 0, job.articleID
		resp.ArticleDetail = &detail{Count: len(job.articles), Item: job.items()}
	}
	return resp
}

// postPublishFinish posts PUBLISHJOBFINISH as WeChat does once the job is
// done: from the account's own openid-less sender, with PublishEventInfo.
func (s *Server) postPublishFinish(ctx context.Context, job *publishJob) {
	s.postJobFinish(ctx, "PUBLISHJOBFINISH", slog.String("publish_id", job.id), func(x *xmlBuilder) {
		x.b.WriteString("<PublishEventInfo>")
		x.num("publish_id", mustInt(job.id))
		x.num("publish_status", 0)
		x.cdata("article_id", job.articleID)
		fmt.Fprintf(&x.b, "<article_detail><count>%d</count>", len(job.articles))
		for _, it := range job.items() {
			fmt.Fprintf(&x.b, "<item><idx>%d</idx>", it.Idx)
			x.cdata("article_url", it.URL)
			x.b.WriteString("</item>")
		}
		x.b.WriteString("</article_detail></PublishEventInfo>")
	})
}

func mustInt(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64) // ids the simulator made itself
	return n
}

// mpnewsMediaID returns the media_id of a send request's mpnews body.
func mpnewsMediaID(raw map[string]json.RawMessage) string {
	var body struct {
		MediaID string `json:"media_id"`
	}
	_ = json.Unmarshal(raw["mpnews"], &body) // messageContent already checked it
	return body.MediaID
}

// cardsLocked returns the cards of a draft's articles, linking to link(i).
func cardsLocked(articles []draftArticle, link func(idx int) string) []Card {
	cards := make([]Card, len(articles))
	for i, a := range articles {
		cards[i] = Card{Title: a.Title, Digest: digestOf(a), Cover: "/sim/media/" + a.ThumbMediaID, Link: link(i + 1)}
	}
	return cards
}

// digestOf is the card's digest: WeChat takes the body's first characters
// when none was given.
func digestOf(a draftArticle) string {
	if a.Digest != "" {
		return a.Digest
	}
	text := htmlText(a.Content)
	if utf8.RuneCountInString(text) > 54 {
		text = string([]rune(text)[:54])
	}
	return text
}

// htmlText strips tags, enough for a digest.
func htmlText(h string) string {
	var b bytes.Buffer
	in := false
	for _, r := range h {
		switch {
		case r == '<':
			in = true
		case r == '>':
			in = false
		case !in:
			b.WriteRune(r)
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// attachCardsLocked puts cards on the last delivery of msgID to each openid.
func (s *Server) attachCardsLocked(msgID int64, cards func(openid string) []Card, openids ...string) {
	for _, o := range openids {
		inbox := s.inbox[o]
		for i := len(inbox) - 1; i >= 0; i-- {
			if inbox[i].MsgID == msgID {
				inbox[i].Cards = cards(o)
				break
			}
		}
	}
}

// recordArticleSendLocked starts the statistics of an mpnews mass send
// and shows it to each recipient as cards.
func (s *Server) recordArticleSendLocked(job massJob, articles []draftArticle, targets []string) {
	for i, a := range articles {
		key := fmt.Sprintf("%d_%d", job.dataID, i+1)
		s.art.sent[key] = &sentArticle{key: key, article: a, sentAt: job.at, target: len(targets)}
		s.art.sentOrder = append(s.art.sentOrder, key)
	}
	s.attachCardsLocked(job.msgID, func(openid string) []Card {
		return cardsLocked(articles, func(idx int) string {
			return fmt.Sprintf("/sim/article/%d_%d?openid=%s", job.dataID, idx, openid)
		})
	}, targets...)
}

// ArticleFigures are one sent article's reads, shares and favourites.
type ArticleFigures struct {
	Reads, ReadUsers, Shares, ShareUsers, Favs, FavUsers int
}

// ArticleStats returns the figures of a sent article ("<msg_data_id>_<idx>")
// so far, and whether it exists.
func (s *Server) ArticleStats(key string) (ArticleFigures, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.art.sent[key]
	if !ok {
		return ArticleFigures{}, false
	}
	return figures(a.events, time.Time{}, s.now().Add(time.Nanosecond)), true
}

// ReadArticle counts one read of a sent article by openid, as opening its
// card does on the /sim/ page.
func (s *Server) ReadArticle(key, openid string) error {
	return s.articleAction(key, openid, actionRead)
}

// ShareArticle counts one share of a sent article by openid.
func (s *Server) ShareArticle(key, openid string) error {
	return s.articleAction(key, openid, actionShare)
}

func (s *Server) articleAction(key, openid, action string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.art.sent[key]
	if !ok {
		return fmt.Errorf("wxsim: no sent article %q", key)
	}
	a.events = append(a.events, articleEvent{at: s.now(), openid: openid, action: action})
	return nil
}

// figures counts the events in [from, to).
func figures(events []articleEvent, from, to time.Time) ArticleFigures {
	var f ArticleFigures
	users := map[string]map[string]struct{}{actionRead: {}, actionShare: {}, actionFav: {}}
	for _, e := range events {
		if e.at.Before(from) || !e.at.Before(to) {
			continue
		}
		users[e.action][e.openid] = struct{}{}
		switch e.action {
		case actionRead:
			f.Reads++
		case actionShare:
			f.Shares++
		case actionFav:
			f.Favs++
		}
	}
	f.ReadUsers, f.ShareUsers, f.FavUsers = len(users[actionRead]), len(users[actionShare]), len(users[actionFav])
	return f
}

// GrantSubscription records that openid accepted subscription notices of
// templateID, which bizsend requires.
func (s *Server) GrantSubscription(openid, templateID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.art.subscriptions[openid+"\x00"+templateID] = struct{}{}
}
