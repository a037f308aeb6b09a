package articles

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/pufa-dev/pufa/store"
)

// Publisher is the part of WeChat's API an article's sync needs.
type Publisher interface {
	// UploadImage sends a body image (media/uploadimg) and returns the
	// WeChat URL the article's HTML must use.
	UploadImage(ctx context.Context, name string, data []byte) (string, error)
	// AddMaterialImage adds a permanent image material
	// (material/add_material, type image) and returns its media_id, the
	// cover's thumb_media_id.
	AddMaterialImage(ctx context.Context, name string, data []byte) (string, error)
	// AddDraft creates a draft (draft/add) and returns its media_id.
	AddDraft(ctx context.Context, d Draft) (string, error)
	// UpdateDraft replaces the draft's only article (draft/update, index 0).
	UpdateDraft(ctx context.Context, mediaID string, d Draft) error
	// PreviewArticle sends the draft to one follower (message/mass/preview,
	// mpnews).
	PreviewArticle(ctx context.Context, openid, mediaID string) error
}

// Draft is one article as draft/add takes it.
type Draft struct {
	Title            string `json:"title"`
	Author           string `json:"author"`
	Digest           string `json:"digest"`
	Content          string `json:"content"`
	ContentSourceURL string `json:"content_source_url"`
	ThumbMediaID     string `json:"thumb_media_id"`
}

// Service keeps articles and syncs them to WeChat. It is safe for
// concurrent use.
type Service struct {
	st  Store
	pub Publisher // nil: no WeChat calls (sync and preview refuse)
	now func() time.Time
	log *slog.Logger
}

// New returns a service over st; pub may be nil where pufa has no WeChat
// client yet.
func New(st Store, pub Publisher, now func() time.Time, log *slog.Logger) *Service {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.Default()
	}
	return &Service{st: st, pub: pub, now: now, log: log.With("component", "articles")}
}

// CanPublish reports whether the service talks to WeChat.
func (s *Service) CanPublish() bool { return s.pub != nil }

// validate checks in completely: the fields, then that the cover and
// every body image were uploaded here.
func (s *Service) validate(ctx context.Context, in Input) (Input, []string, error) {
	in = in.normalize()
	errs := check(in)
	refs := ImageRefs(in.Body)
	if errs.For("cover") == "" {
		ok, err := s.st.HasArticleImage(ctx, in.Cover)
		if err != nil {
			return in, nil, err
		}
		if !ok {
			errs.add("cover", "封面图片已不存在，请重新上传")
		}
	}
	var missing []string
	for _, id := range refs {
		ok, err := s.st.HasArticleImage(ctx, id)
		if err != nil {
			return in, nil, err
		}
		if !ok {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		errs.add("body", "有 %d 张图片不是在这里上传的（img:%s），请用“插入图片”重新上传", len(missing), strings.Join(missing, "、img:"))
	}
	if len(errs) > 0 {
		return in, nil, errs
	}
	return in, refs, nil
}

// Create stores a new article written by by. A FieldErrors error means
// nothing was saved.
func (s *Service) Create(ctx context.Context, in Input, by string) (string, error) {
	in, refs, err := s.validate(ctx, in)
	if err != nil {
		return "", err
	}
	a := fromInput(in, refs)
	a.CreatedBy, a.CreatedAt = by, s.now()
	id, err := s.st.AddArticle(ctx, a)
	if err != nil {
		return "", fmt.Errorf("articles: create: %w", err)
	}
	return id, nil
}

// Edit saves a new version of article id over version, the one the
// editor saw; store.ErrVersion if someone saved in between.
func (s *Service) Edit(ctx context.Context, id string, in Input, version int64, by string) (int64, error) {
	old, err := s.st.Article(ctx, id)
	if err != nil {
		return 0, fmt.Errorf("articles: edit %s: %w", id, err)
	}
	in, refs, err := s.validate(ctx, in)
	if err != nil {
		return 0, err
	}
	a := fromInput(in, refs)
	a.ID, a.CreatedBy, a.CreatedAt = id, old.CreatedBy, old.CreatedAt
	a.UpdatedBy, a.UpdatedAt = by, s.now()
	v, err := s.st.EditArticle(ctx, a, version)
	if err != nil {
		return 0, fmt.Errorf("articles: edit %s: %w", id, err)
	}
	return v, nil
}

func fromInput(in Input, refs []string) store.Article {
	return store.Article{Title: in.Title, Author: in.Author, Digest: in.Digest, Body: in.Body, Cover: in.Cover,
		SourceURL: in.SourceURL, Images: refs}
}

// Get returns one article.
func (s *Service) Get(ctx context.Context, id string) (Article, error) {
	a, err := s.st.Article(ctx, id)
	if err != nil {
		return Article{}, fmt.Errorf("articles: %w", err)
	}
	return a, nil
}

// History returns the versions an article's edits replaced, newest first.
func (s *Service) History(ctx context.Context, id string) ([]Article, error) {
	h, err := s.st.ArticleHistory(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("articles: %w", err)
	}
	for i, j := 0, len(h)-1; i < j; i, j = i+1, j-1 {
		h[i], h[j] = h[j], h[i]
	}
	return h, nil
}

// Campaigns lists the campaigns that used an article.
func (s *Service) Campaigns(ctx context.Context, id string) ([]string, error) {
	c, err := s.st.ArticleCampaigns(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("articles: %w", err)
	}
	return c, nil
}

// Search lists the articles whose title, author or digest contains q (all
// when q is empty), most recently saved first, and their total.
func (s *Service) Search(ctx context.Context, q string, offset, limit int) ([]Article, int, error) {
	all, err := s.st.Articles(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("articles: %w", err)
	}
	q = strings.ToLower(strings.TrimSpace(q))
	var hits []Article
	for _, a := range all {
		if q == "" || strings.Contains(strings.ToLower(a.Title+"\n"+a.Author+"\n"+a.Digest), q) {
			hits = append(hits, a)
		}
	}
	total := len(hits)
	if offset >= total {
		return nil, total, nil
	}
	return hits[offset:min(total, offset+limit)], total, nil
}

// AddImage checks and stores an uploaded image and returns it (without
// its bytes). The same picture uploaded twice is stored once.
func (s *Service) AddImage(ctx context.Context, name string, data []byte, by string) (Image, error) {
	ct, err := CheckImage(data)
	if err != nil {
		return Image{}, err
	}
	img := Image{ID: ImageID(data), ContentType: ct, Data: data, Size: int64(len(data)), Name: name, AddedBy: by, AddedAt: s.now()}
	if err := s.st.PutArticleImage(ctx, img); err != nil {
		return Image{}, fmt.Errorf("articles: add image: %w", err)
	}
	img.Data = nil
	return img, nil
}

// Image returns an uploaded image with its bytes.
func (s *Service) Image(ctx context.Context, id string) (Image, error) {
	if !imageIDRe.MatchString(id) {
		return Image{}, fmt.Errorf("articles: image %q: %w", id, store.ErrNotFound)
	}
	img, err := s.st.ArticleImage(ctx, id)
	if err != nil {
		return Image{}, fmt.Errorf("articles: %w", err)
	}
	return img, nil
}

// ErrNoPublisher means pufa was started without WeChat article calls.
var ErrNoPublisher = errors.New("articles: no WeChat publisher configured")

// ErrSyncBusy means another sync of the same article is running.
var ErrSyncBusy = errors.New("articles: a sync of this article is already running")

// syncLease bounds one sync: uploads of a few images and one draft call.
const syncLease = 2 * time.Minute

// SyncResult says what a sync did.
type SyncResult struct {
	DraftMediaID string
	Created      bool // a new draft was added
	Updated      bool // the existing draft was replaced
	Uploaded     int  // images sent to WeChat (cover included)
}

// Sync brings the article's WeChat draft up to date: images not yet on
// WeChat are uploaded (each picture once, by its hash), then the draft is
// added, or updated if what it would hold changed since the last sync; an
// unchanged article makes no WeChat call at all.
func (s *Service) Sync(ctx context.Context, id string) (SyncResult, error) {
	if s.pub == nil {
		return SyncResult{}, ErrNoPublisher
	}
	token, err := s.st.LockArticleSync(ctx, id, syncLease)
	if err != nil {
		return SyncResult{}, fmt.Errorf("articles: sync %s: %w", id, err)
	}
	if token == "" {
		return SyncResult{}, ErrSyncBusy
	}
	defer func() {
		if err := s.st.UnlockArticleSync(context.WithoutCancel(ctx), id, token); err != nil {
			s.log.Error("article sync unlock", "article", id, "err", err)
		}
	}()
	a, err := s.st.Article(ctx, id)
	if err != nil {
		return SyncResult{}, fmt.Errorf("articles: sync %s: %w", id, err)
	}
	var res SyncResult
	urls := map[string]string{}
	for _, ref := range ImageRefs(a.Body) {
		img, err := s.st.ArticleImage(ctx, ref)
		if err != nil {
			return res, fmt.Errorf("articles: sync %s: image %s: %w", id, ref, err)
		}
		if img.WeChatURL == "" {
			u, err := s.pub.UploadImage(ctx, imageName(img), img.Data)
			if err != nil {
				return res, fmt.Errorf("articles: sync %s: upload image %s: %w", id, ref, err)
			}
			if err := s.st.SetArticleImageWeChat(ctx, ref, u, ""); err != nil {
				return res, fmt.Errorf("articles: sync %s: %w", id, err)
			}
			img.WeChatURL = u
			res.Uploaded++
		}
		urls[ref] = img.WeChatURL
	}
	cover, err := s.st.ArticleImage(ctx, a.Cover)
	if err != nil {
		return res, fmt.Errorf("articles: sync %s: cover %s: %w", id, a.Cover, err)
	}
	if cover.MediaID == "" {
		mid, err := s.pub.AddMaterialImage(ctx, imageName(cover), cover.Data)
		if err != nil {
			return res, fmt.Errorf("articles: sync %s: upload cover: %w", id, err)
		}
		if err := s.st.SetArticleImageWeChat(ctx, a.Cover, "", mid); err != nil {
			return res, fmt.Errorf("articles: sync %s: %w", id, err)
		}
		cover.MediaID = mid
		res.Uploaded++
	}
	d := Draft{Title: a.Title, Author: a.Author, Digest: a.Digest, ContentSourceURL: a.SourceURL, ThumbMediaID: cover.MediaID,
		Content: Render(a.Body, RenderOptions{Image: func(ref string) (string, bool) { u, ok := urls[ref]; return u, ok }})}
	hash := draftHash(d)
	sync := a.WeChat
	res.DraftMediaID = sync.DraftMediaID
	if sync.DraftMediaID != "" && sync.ContentHash == hash {
		return res, nil
	}
	if sync.DraftMediaID == "" {
		mid, err := s.pub.AddDraft(ctx, d)
		if err != nil {
			return res, fmt.Errorf("articles: sync %s: add draft: %w", id, err)
		}
		sync.DraftMediaID, res.Created = mid, true
	} else {
		if err := s.pub.UpdateDraft(ctx, sync.DraftMediaID, d); err != nil {
			return res, fmt.Errorf("articles: sync %s: update draft: %w", id, err)
		}
		res.Updated = true
	}
	sync.CoverMediaID, sync.ContentHash, sync.Version, sync.SyncedAt = cover.MediaID, hash, a.Version, s.now()
	res.DraftMediaID = sync.DraftMediaID
	// A draft WeChat made but pufa failed to record would be made again
	// by the next sync; the log names it so that staff can delete it.
	if err := s.st.SetArticleSync(ctx, id, sync); err != nil {
		s.log.Error("article draft not recorded", "article", id, "draft", sync.DraftMediaID, "err", err)
		return res, fmt.Errorf("articles: sync %s: %w", id, err)
	}
	return res, nil
}

// Preview syncs the article and sends its draft to one follower.
func (s *Service) Preview(ctx context.Context, id, openid string) (SyncResult, error) {
	res, err := s.Sync(ctx, id)
	if err != nil {
		return res, err
	}
	if err := s.pub.PreviewArticle(ctx, openid, res.DraftMediaID); err != nil {
		return res, fmt.Errorf("articles: preview %s: %w", id, err)
	}
	return res, nil
}

func imageName(img Image) string {
	ext := ".jpg"
	if img.ContentType == "image/png" {
		ext = ".png"
	}
	return img.ID + ext
}

// draftHash is what a sync compares to tell whether the draft must change.
func draftHash(d Draft) string {
	b, _ := json.Marshal(d) // a struct of strings always marshals
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
