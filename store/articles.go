package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Article is one 图文 as stored; the articles package owns validation,
// rendering and the WeChat sync. Images are named by ArticleImage.ID.
type Article struct {
	ID        string    `json:"id"`
	Title     string    `json:"title"`
	Author    string    `json:"author,omitempty"`
	Digest    string    `json:"digest,omitempty"`
	Body      string    `json:"body"` // Markdown, images as ![说明](img:<image id>)
	Cover     string    `json:"cover,omitempty"`
	SourceURL string    `json:"source_url,omitempty"`
	Images    []string  `json:"images,omitempty"` // ids of the images the body shows
	Version   int64     `json:"version"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedBy string    `json:"updated_by,omitempty"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
	// WeChat is the state of the article's draft on WeChat; saving an
	// edit leaves it alone, so the next sync can tell what changed.
	WeChat ArticleSync `json:"-"`
}

// ArticleSync is what pufa last sent to WeChat for an article.
type ArticleSync struct {
	CoverMediaID string    `json:"cover_media_id,omitempty"` // permanent image material of the cover
	DraftMediaID string    `json:"draft_media_id,omitempty"` // the draft box entry
	ContentHash  string    `json:"content_hash,omitempty"`   // sha256 of the draft last added or updated
	Version      int64     `json:"version,omitempty"`        // article version that draft was built from
	SyncedAt     time.Time `json:"synced_at,omitzero"`
}

// ArticleImage is an image uploaded for articles (a cover or in a body),
// named by a hash of its bytes so that the same picture is kept and sent
// to WeChat once.
type ArticleImage struct {
	ID          string    `json:"id"`
	ContentType string    `json:"content_type"` // image/jpeg or image/png
	Data        []byte    `json:"-"`
	Size        int64     `json:"size"`
	Name        string    `json:"name,omitempty"`
	AddedBy     string    `json:"added_by,omitempty"`
	AddedAt     time.Time `json:"added_at,omitzero"`
	WeChatURL   string    `json:"wechat_url,omitempty"` // media/uploadimg result, for bodies
	MediaID     string    `json:"media_id,omitempty"`   // material/add_material result, for covers
}

// articleHistoryKeep bounds an article's kept earlier versions.
const articleHistoryKeep = 200

// AddArticle stores a new article as version 1 and returns its id.
func (s *Store) AddArticle(ctx context.Context, a Article) (string, error) {
	seq, err := s.rdb.Incr(ctx, s.keyArticleSeq()).Result()
	if err != nil {
		return "", fmt.Errorf("store: add article: %w", err)
	}
	a.ID = strconv.FormatInt(seq, 10)
	if _, err := s.saveArticle(ctx, a, 0); err != nil {
		return "", err
	}
	return a.ID, nil
}

// EditArticle replaces article a.ID if it is still at version (the one
// the editor saw), keeping the replaced version in its history. It returns
// the new version; ErrVersion if someone saved in between, ErrNotFound if
// there is no such article.
func (s *Store) EditArticle(ctx context.Context, a Article, version int64) (int64, error) {
	if version < 1 {
		return 0, fmt.Errorf("%w: article %s: no version given", ErrVersion, a.ID)
	}
	return s.saveArticle(ctx, a, version)
}

func (s *Store) saveArticle(ctx context.Context, a Article, version int64) (int64, error) {
	a.Version = version + 1
	b, err := json.Marshal(a)
	if err != nil {
		return 0, fmt.Errorf("store: save article %s: %w", a.ID, err)
	}
	n, err := articleSaveScript.Run(ctx, s.rdb, []string{s.keyArticle(a.ID), s.keyArticleHistory(a.ID)},
		version, b, articleHistoryKeep).Int64()
	if err != nil {
		return 0, fmt.Errorf("store: save article %s: %w", a.ID, err)
	}
	switch n {
	case -1:
		return 0, fmt.Errorf("%w: article %s", ErrNotFound, a.ID)
	case -2:
		return 0, fmt.Errorf("%w: article %s", ErrVersion, a.ID)
	}
	// Indexed after the write: a crash in between leaves an article the
	// list misses until its next save, never a listed id without a record.
	at := a.UpdatedAt
	if at.IsZero() {
		at = a.CreatedAt
	}
	if err := s.rdb.ZAdd(ctx, s.keyArticleIndex(), redis.Z{Score: float64(at.UnixMilli()), Member: a.ID}).Err(); err != nil {
		return 0, fmt.Errorf("store: save article %s: %w", a.ID, err)
	}
	return n, nil
}

// articleSaveScript writes an article only if its version is the one the
// editor saw (0: the article must not exist yet), pushing the replaced
// record onto the history.
// KEYS: article hash, its history. ARGV: expected version, record JSON,
// history length kept. Returns the new version, -1 not found, -2 changed.
var articleSaveScript = redis.NewScript(`
local cur = redis.call('HGET', KEYS[1], 'version')
local want = tonumber(ARGV[1])
if want == 0 then
  if cur then return -2 end
else
  if not cur then return -1 end
  if tonumber(cur) ~= want then return -2 end
  local old = redis.call('HGET', KEYS[1], 'record')
  if old then
    redis.call('RPUSH', KEYS[2], old)
    redis.call('LTRIM', KEYS[2], -tonumber(ARGV[3]), -1)
  end
end
redis.call('HSET', KEYS[1], 'record', ARGV[2], 'version', want + 1)
return want + 1
`)

// Article returns one article with its sync state, or ErrNotFound.
func (s *Store) Article(ctx context.Context, id string) (Article, error) {
	v, err := s.rdb.HMGet(ctx, s.keyArticle(id), "record", "sync").Result()
	if err != nil {
		return Article{}, fmt.Errorf("store: article %s: %w", id, err)
	}
	rec, _ := v[0].(string)
	if rec == "" {
		return Article{}, fmt.Errorf("%w: article %s", ErrNotFound, id)
	}
	var a Article
	if err := json.Unmarshal([]byte(rec), &a); err != nil {
		return Article{}, fmt.Errorf("store: article %s: %w", id, err)
	}
	if sync, _ := v[1].(string); sync != "" {
		if err := json.Unmarshal([]byte(sync), &a.WeChat); err != nil {
			return Article{}, fmt.Errorf("store: article %s sync state: %w", id, err)
		}
	}
	return a, nil
}

// Articles lists every article, most recently saved first. A street
// office keeps hundreds, not millions: the console searches this list.
func (s *Store) Articles(ctx context.Context) ([]Article, error) {
	ids, err := s.rdb.ZRevRange(ctx, s.keyArticleIndex(), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("store: articles: %w", err)
	}
	return readEach(ctx, ids, s.Article)
}

// ArticleHistory returns the versions an article's edits replaced, oldest
// first.
func (s *Store) ArticleHistory(ctx context.Context, id string) ([]Article, error) {
	raw, err := s.rdb.LRange(ctx, s.keyArticleHistory(id), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("store: article %s history: %w", id, err)
	}
	out := make([]Article, 0, len(raw))
	for _, r := range raw {
		var a Article
		if err := json.Unmarshal([]byte(r), &a); err != nil {
			return nil, fmt.Errorf("store: article %s history: %w", id, err)
		}
		out = append(out, a)
	}
	return out, nil
}

// SetArticleSync records what was last sent to WeChat for an article.
func (s *Store) SetArticleSync(ctx context.Context, id string, st ArticleSync) error {
	b, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("store: article %s sync state: %w", id, err)
	}
	if err := s.rdb.HSet(ctx, s.keyArticle(id), "sync", b).Err(); err != nil {
		return fmt.Errorf("store: article %s sync state: %w", id, err)
	}
	return nil
}

// LockArticleSync takes the article's sync lease for ttl, so that two
// clicks or two replicas never create two drafts of one article. It
// returns a token for UnlockArticleSync, or "" when someone holds it.
func (s *Store) LockArticleSync(ctx context.Context, id string, ttl time.Duration) (string, error) {
	token := randomToken()
	ok, err := s.rdb.SetNX(ctx, s.keyArticleSyncLock(id), token, ttl).Result()
	if err != nil {
		return "", fmt.Errorf("store: lock article %s: %w", id, err)
	}
	if !ok {
		return "", nil
	}
	return token, nil
}

// UnlockArticleSync releases the lease if token still holds it.
func (s *Store) UnlockArticleSync(ctx context.Context, id, token string) error {
	if err := articleUnlockScript.Run(ctx, s.rdb, []string{s.keyArticleSyncLock(id)}, token).Err(); err != nil {
		return fmt.Errorf("store: unlock article %s: %w", id, err)
	}
	return nil
}

// articleUnlockScript deletes the lock only if it is still ours: a lease
// that expired and was taken by another sync is not theirs to lose.
// KEYS: lock. ARGV: token. Returns 1 if deleted.
var articleUnlockScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`)

// ArticleCampaigns lists the campaigns that used an article.
func (s *Store) ArticleCampaigns(ctx context.Context, id string) ([]string, error) {
	ids, err := s.rdb.SMembers(ctx, s.keyArticleCampaigns(id)).Result()
	if err != nil {
		return nil, fmt.Errorf("store: article %s campaigns: %w", id, err)
	}
	return ids, nil
}

// AddArticleCampaign records that a campaign uses an article: the hook the
// campaigns' article channel calls when it is merged.
func (s *Store) AddArticleCampaign(ctx context.Context, id, campaign string) error {
	if err := s.rdb.SAdd(ctx, s.keyArticleCampaigns(id), campaign).Err(); err != nil {
		return fmt.Errorf("store: article %s campaigns: %w", id, err)
	}
	return nil
}

// PutArticleImage stores an image under its id unless it is already
// there; the first upload's name and uploader are kept.
func (s *Store) PutArticleImage(ctx context.Context, img ArticleImage) error {
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		k := s.keyArticleImage(img.ID)
		p.HSetNX(ctx, k, "content_type", img.ContentType)
		p.HSetNX(ctx, k, "data", img.Data)
		p.HSetNX(ctx, k, "name", img.Name)
		p.HSetNX(ctx, k, "added_by", img.AddedBy)
		p.HSetNX(ctx, k, "added_at", img.AddedAt.Unix())
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: put article image %s: %w", img.ID, err)
	}
	return nil
}

// ArticleImage returns an image with its bytes, or ErrNotFound.
func (s *Store) ArticleImage(ctx context.Context, id string) (ArticleImage, error) {
	h, err := s.rdb.HGetAll(ctx, s.keyArticleImage(id)).Result()
	if err != nil {
		return ArticleImage{}, fmt.Errorf("store: article image %s: %w", id, err)
	}
	if h["data"] == "" {
		return ArticleImage{}, fmt.Errorf("%w: article image %s", ErrNotFound, id)
	}
	at, _ := strconv.ParseInt(h["added_at"], 10, 64)
	img := ArticleImage{ID: id, ContentType: h["content_type"], Data: []byte(h["data"]), Size: int64(len(h["data"])),
		Name: h["name"], AddedBy: h["added_by"], WeChatURL: h["wechat_url"], MediaID: h["media_id"]}
	if at > 0 {
		img.AddedAt = time.Unix(at, 0)
	}
	return img, nil
}

// HasArticleImage reports whether an image is stored.
func (s *Store) HasArticleImage(ctx context.Context, id string) (bool, error) {
	ok, err := s.rdb.HExists(ctx, s.keyArticleImage(id), "data").Result()
	if err != nil {
		return false, fmt.Errorf("store: article image %s: %w", id, err)
	}
	return ok, nil
}

// SetArticleImageWeChat records an image's WeChat body URL (uploadimg)
// and/or permanent material media_id; an empty value leaves the field.
func (s *Store) SetArticleImageWeChat(ctx context.Context, id, url, mediaID string) error {
	var f []any
	if url != "" {
		f = append(f, "wechat_url", url)
	}
	if mediaID != "" {
		f = append(f, "media_id", mediaID)
	}
	if len(f) == 0 {
		return nil
	}
	if err := s.rdb.HSet(ctx, s.keyArticleImage(id), f...).Err(); err != nil {
		return fmt.Errorf("store: article image %s: %w", id, err)
	}
	return nil
}

// randomToken names one holder of a lease.
func randomToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b)
}
