// Package articles holds the office's 图文 (WeChat articles): what a clerk
// writes in the console, its checks against WeChat's limits, the rendering
// of its Markdown body into the HTML WeChat keeps, and its sync to the
// account's draft box through a Publisher.
package articles

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pufa-dev/pufa/store"
)

// Article is an article as stored.
type Article = store.Article

// Image is an uploaded image as stored.
type Image = store.ArticleImage

// WeChat's limits, as its MP backend enforces them (draft/add applies the
// same ones): a title up to 64 characters, an author up to 8, a digest up
// to 120; the content under 20,000 characters of HTML; body images jpg or
// png up to 1 MB (media/uploadimg).
const (
	MaxTitle     = 64
	MaxAuthor    = 8
	MaxDigest    = 120
	MaxContent   = 20000 // characters of rendered HTML, tags included
	MaxSourceURL = 2048
	MaxImage     = 1 << 20 // bytes, body images and covers alike
)

// Input is what a clerk typed into the article form.
type Input struct {
	Title     string
	Author    string
	Digest    string
	Body      string
	Cover     string // image id
	SourceURL string
}

// FieldError is one problem with one field, in Chinese for the clerk.
type FieldError struct {
	Field   string // the form field: title, author, digest, body, cover, source_url
	Label   string // its Chinese name
	Message string
}

// FieldErrors are all the problems of one save; nothing was saved.
type FieldErrors []FieldError

func (e FieldErrors) Error() string {
	parts := make([]string, len(e))
	for i, f := range e {
		parts[i] = f.Label + "：" + f.Message
	}
	return strings.Join(parts, "；")
}

// For returns the message for one field, "" if it has none.
func (e FieldErrors) For(field string) string {
	for _, f := range e {
		if f.Field == field {
			return f.Message
		}
	}
	return ""
}

var labels = map[string]string{"title": "标题", "author": "作者", "digest": "摘要", "body": "正文", "cover": "封面", "source_url": "阅读原文链接"}

func (e *FieldErrors) add(field, format string, args ...any) {
	*e = append(*e, FieldError{Field: field, Label: labels[field], Message: fmt.Sprintf(format, args...)})
}

var imageRefRe = regexp.MustCompile(`!\[[^\]]*\]\(` + ImagePrefix + `([0-9a-f]{1,64})\)`)

// ImageRefs lists the ids of the uploaded images a body shows, each once,
// in order.
func ImageRefs(body string) []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range imageRefRe.FindAllStringSubmatch(body, -1) {
		if !seen[m[1]] {
			seen[m[1]] = true
			out = append(out, m[1])
		}
	}
	return out
}

// normalize trims the single-line fields and unifies line ends.
func (in Input) normalize() Input {
	in.Title = strings.TrimSpace(in.Title)
	in.Author = strings.TrimSpace(in.Author)
	in.Digest = strings.TrimSpace(in.Digest)
	in.Cover = strings.TrimSpace(in.Cover)
	in.SourceURL = strings.TrimSpace(in.SourceURL)
	in.Body = strings.TrimRight(strings.ReplaceAll(in.Body, "\r\n", "\n"), " \n")
	return in
}

// check validates the fields that need nothing but the input.
func check(in Input) FieldErrors {
	var errs FieldErrors
	runes := utf8.RuneCountInString
	single := func(field, v string, max int, required bool) {
		switch {
		case required && v == "":
			errs.add(field, "必须填写")
		case !utf8.ValidString(v):
			errs.add(field, "含有无法识别的字符")
		case strings.ContainsAny(v, "\n\r"):
			errs.add(field, "不能换行")
		case runes(v) > max:
			errs.add(field, "最多 %d 个字，现在 %d 个字", max, runes(v))
		}
	}
	single("title", in.Title, MaxTitle, true)
	single("author", in.Author, MaxAuthor, false)
	single("digest", in.Digest, MaxDigest, false)
	if in.Cover == "" {
		errs.add("cover", "请上传封面图片（WeChat 要求每篇图文有封面）")
	} else if !imageIDRe.MatchString(in.Cover) {
		errs.add("cover", "封面图片无效，请重新上传")
	}
	switch {
	case strings.TrimSpace(in.Body) == "":
		errs.add("body", "必须填写")
	case !utf8.ValidString(in.Body):
		errs.add("body", "含有无法识别的字符")
	default:
		if n := runes(Render(in.Body, RenderOptions{Image: placeholderImage})); n >= MaxContent {
			errs.add("body", "排版后有 %d 个字符（含格式），WeChat 要求少于 %d 个，请删减或拆成两篇", n, MaxContent)
		}
	}
	if in.SourceURL != "" {
		u, err := url.Parse(in.SourceURL)
		switch {
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
			errs.add("source_url", "应为以 http:// 或 https:// 开头的网址")
		case len(in.SourceURL) > MaxSourceURL:
			errs.add("source_url", "网址太长（最多 %d 个字符）", MaxSourceURL)
		}
	}
	return errs
}

// placeholderImage stands for an uploadimg URL when measuring the body:
// WeChat's addresses are about this long.
func placeholderImage(string) (string, bool) {
	return "https://mmbiz.qpic.cn/mmbiz_png/" + strings.Repeat("x", 80) + "/0?wx_fmt=png", true
}

// imageIDRe is an image id: ImageID's output.
var imageIDRe = regexp.MustCompile(`^[0-9a-f]{32}$`)

// ImageID names an image by its bytes.
func ImageID(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:16])
}

// ErrImage is matched (errors.Is) by every refusal of an uploaded file.
var ErrImage = errors.New("articles: image refused")

// ImageError refuses an uploaded file; Reason tells the clerk why, in Chinese.
type ImageError struct{ Reason string }

func (e *ImageError) Error() string        { return ErrImage.Error() + ": " + e.Reason }
func (e *ImageError) Is(target error) bool { return target == ErrImage }

// CheckImage accepts a JPEG or PNG up to MaxImage bytes, judged by its
// first bytes rather than its name, and returns its content type.
func CheckImage(data []byte) (string, error) {
	switch {
	case len(data) == 0:
		return "", &ImageError{"文件是空的"}
	case len(data) > MaxImage:
		return "", &ImageError{fmt.Sprintf("图片有 %.1f MB，WeChat 只接受 1 MB 以内的图片，请压缩后再上传", float64(len(data))/(1<<20))}
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return "image/png", nil
	case bytes.HasPrefix(data, []byte{0xff, 0xd8, 0xff}):
		return "image/jpeg", nil
	}
	return "", &ImageError{"只能上传 JPG 或 PNG 图片"}
}

// Store is the persistence articles need (implemented by *store.Store).
type Store interface {
	AddArticle(ctx context.Context, a store.Article) (string, error)
	EditArticle(ctx context.Context, a store.Article, version int64) (int64, error)
	Article(ctx context.Context, id string) (store.Article, error)
	Articles(ctx context.Context) ([]store.Article, error)
	ArticleHistory(ctx context.Context, id string) ([]store.Article, error)
	ArticleCampaigns(ctx context.Context, id string) ([]string, error)
	SetArticleSync(ctx context.Context, id string, st store.ArticleSync) error
	LockArticleSync(ctx context.Context, id string, ttl time.Duration) (string, error)
	UnlockArticleSync(ctx context.Context, id, token string) error
	PutArticleImage(ctx context.Context, img store.ArticleImage) error
	ArticleImage(ctx context.Context, id string) (store.ArticleImage, error)
	HasArticleImage(ctx context.Context, id string) (bool, error)
	SetArticleImageWeChat(ctx context.Context, id, url, mediaID string) error
}
