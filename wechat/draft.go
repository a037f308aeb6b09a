package wechat

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// Limits of the draft box as WeChat documents them.
const (
	MaxDraftArticles   = 8       // articles in one draft (one mass send)
	MaxArticleContent  = 20000   // characters of HTML body, "少于2万字符"
	maxArticleBodySize = 1 << 20 // bytes, "小于1M"
)

// Article is one article (图文) of a draft. Content is WeChat-allowed HTML:
// scripts are removed and external images dropped by WeChat, so body images
// must come from UploadImage.
type Article struct {
	Title              string
	Author             string
	Digest             string // shown under the title on the card; WeChat takes the body's start when empty
	Content            string
	ContentSourceURL   string // "阅读原文" link
	ThumbMediaID       string // cover: a permanent image material (AddMaterialImage)
	NeedOpenComment    bool
	OnlyFansCanComment bool
	URL                string // set by DraftArticles: WeChat's preview URL of the draft article
}

// draftArticle is the wire form; the flags are 0/1 numbers.
type draftArticle struct {
	Title              string `json:"title"`
	Author             string `json:"author,omitempty"`
	Digest             string `json:"digest,omitempty"`
	Content            string `json:"content"`
	ContentSourceURL   string `json:"content_source_url,omitempty"`
	ThumbMediaID       string `json:"thumb_media_id"`
	NeedOpenComment    int    `json:"need_open_comment"`
	OnlyFansCanComment int    `json:"only_fans_can_comment"`
	URL                string `json:"url,omitempty"`
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (a Article) wire() draftArticle {
	return draftArticle{
		Title: a.Title, Author: a.Author, Digest: a.Digest, Content: a.Content,
		ContentSourceURL: a.ContentSourceURL, ThumbMediaID: a.ThumbMediaID,
		NeedOpenComment: boolInt(a.NeedOpenComment), OnlyFansCanComment: boolInt(a.OnlyFansCanComment),
	}
}

func (d draftArticle) article() Article {
	return Article{
		Title: d.Title, Author: d.Author, Digest: d.Digest, Content: d.Content,
		ContentSourceURL: d.ContentSourceURL, ThumbMediaID: d.ThumbMediaID,
		NeedOpenComment: d.NeedOpenComment == 1, OnlyFansCanComment: d.OnlyFansCanComment == 1, URL: d.URL,
	}
}

// validate checks what WeChat would refuse or silently truncate.
func (a Article) validate(api string, i int) error {
	invalid := func(format string, args ...any) error {
		return fmt.Errorf("wechat: %s: %w: article %d: %s", api, ErrInvalidRequest, i, fmt.Sprintf(format, args...))
	}
	switch {
	case a.Title == "":
		return invalid("title is empty")
	case a.Content == "":
		return invalid("content is empty")
	case a.ThumbMediaID == "":
		return invalid("thumb_media_id (cover) is empty")
	case utf8.RuneCountInString(a.Content) >= MaxArticleContent:
		return invalid("content is %d characters, limit %d", utf8.RuneCountInString(a.Content), MaxArticleContent-1)
	case len(a.Content) >= maxArticleBodySize:
		return invalid("content is %d bytes, limit 1 MB", len(a.Content))
	case !a.NeedOpenComment && a.OnlyFansCanComment:
		return invalid("only_fans_can_comment needs need_open_comment")
	}
	return nil
}

// AddDraft creates a draft of 1 to 8 articles and returns its media_id, the
// id mass sends, previews and free publishing take.
func (c *Client) AddDraft(ctx context.Context, articles ...Article) (string, error) {
	const api = "add draft"
	if n := len(articles); n == 0 || n > MaxDraftArticles {
		return "", fmt.Errorf("wechat: %s: %w: %d articles, want 1 to %d", api, ErrInvalidRequest, n, MaxDraftArticles)
	}
	body := struct {
		Articles []draftArticle `json:"articles"`
	}{make([]draftArticle, len(articles))}
	for i, a := range articles {
		if err := a.validate(api, i); err != nil {
			return "", err
		}
		body.Articles[i] = a.wire()
	}
	var mediaID string
	err := c.withToken(ctx, api, func(token string) error {
		raw, err := postJSON(ctx, "/cgi-bin/draft/add", token, body)
		if err != nil {
			return err
		}
		var resp struct {
			MediaID string `json:"media_id"`
		}
		if err := decode(api, raw, &resp); err != nil {
			return err
		}
		if resp.MediaID == "" {
			return errors.New("response has no media_id")
		}
		mediaID = resp.MediaID
		return nil
	})
	return mediaID, err
}

// DraftArticles returns the articles of a draft (draft/get).
func (c *Client) DraftArticles(ctx context.Context, mediaID string) ([]Article, error) {
	const api = "get draft"
	if mediaID == "" {
		return nil, fmt.Errorf("wechat: %s: %w: media_id is empty", api, ErrInvalidRequest)
	}
	var articles []Article
	err := c.withToken(ctx, api, func(token string) error {
		raw, err := postJSON(ctx, "/cgi-bin/draft/get", token, map[string]string{"media_id": mediaID})
		if err != nil {
			return err
		}
		var resp struct {
			NewsItem []draftArticle `json:"news_item"`
		}
		if err := decode(api, raw, &resp); err != nil {
			return err
		}
		articles = make([]Article, len(resp.NewsItem))
		for i, d := range resp.NewsItem {
			articles[i] = d.article()
		}
		return nil
	})
	return articles, err
}

// UpdateDraft replaces article index (0-based) of a draft (draft/update).
// The media_id stays the same.
func (c *Client) UpdateDraft(ctx context.Context, mediaID string, index int, a Article) error {
	const api = "update draft"
	if mediaID == "" || index < 0 || index >= MaxDraftArticles {
		return fmt.Errorf("wechat: %s: %w: media_id %q index %d", api, ErrInvalidRequest, mediaID, index)
	}
	if err := a.validate(api, index); err != nil {
		return err
	}
	body := struct {
		MediaID  string       `json:"media_id"`
		Index    int          `json:"index"`
		Articles draftArticle `json:"articles"`
	}{mediaID, index, a.wire()}
	return c.withToken(ctx, api, func(token string) error {
		raw, err := postJSON(ctx, "/cgi-bin/draft/update", token, body)
		if err != nil {
			return err
		}
		return decode(api, raw, nil)
	})
}

// DeleteDraft deletes a draft (draft/delete). Deleting a draft does not
// withdraw what was already sent or published from it.
func (c *Client) DeleteDraft(ctx context.Context, mediaID string) error {
	const api = "delete draft"
	if mediaID == "" {
		return fmt.Errorf("wechat: %s: %w: media_id is empty", api, ErrInvalidRequest)
	}
	return c.withToken(ctx, api, func(token string) error {
		raw, err := postJSON(ctx, "/cgi-bin/draft/delete", token, map[string]string{"media_id": mediaID})
		if err != nil {
			return err
		}
		return decode(api, raw, nil)
	})
}

// PublishStatus is freepublish/get's publish_status.
type PublishStatus int

// Publish states as WeChat numbers them.
const (
	PublishSucceeded    PublishStatus = 0
	PublishPublishing   PublishStatus = 1
	PublishOriginalFail PublishStatus = 2 // 原创失败
	PublishFailed       PublishStatus = 3
	PublishAuditRefused PublishStatus = 4
	PublishUserDeleted  PublishStatus = 5 // all articles deleted after success
	PublishSystemBanned PublishStatus = 6 // all articles banned after success
)

// Done reports whether the job will not change any more by itself.
func (s PublishStatus) Done() bool { return s != PublishPublishing }

// PublishedArticle is one article of a successful publish.
type PublishedArticle struct {
	Idx int    `json:"idx"` // 1-based position in the draft
	URL string `json:"article_url"`
}

// PublishResult is the state of a free-publish job (freepublish/get, and
// the same fields in the PUBLISHJOBFINISH event).
type PublishResult struct {
	PublishID string
	Status    PublishStatus
	ArticleID string             // set on success
	Articles  []PublishedArticle // set on success
	FailIdx   []int              // articles that failed, 1-based
}

// flexID decodes an id WeChat documents as a string but has been seen to
// send as a number (the SDK's freepublish decodes publish_id as int64 and
// fails on the documented string).
type flexID string

func (f *flexID) UnmarshalJSON(b []byte) error {
	if s, err := strconv.Unquote(string(b)); err == nil {
		*f = flexID(s)
		return nil
	}
	if _, err := strconv.ParseInt(string(b), 10, 64); err != nil {
		return fmt.Errorf("id %s is neither a string nor an integer", b)
	}
	*f = flexID(b)
	return nil
}

// SubmitFreePublish publishes a draft without pushing it to followers
// (freepublish/submit); it uses no mass-send quota. The result arrives as
// PUBLISHJOBFINISH or through FreePublishStatus. Not idempotent: callers
// must record the publish_id before retrying anything.
func (c *Client) SubmitFreePublish(ctx context.Context, mediaID string) (string, error) {
	const api = "free publish"
	if mediaID == "" {
		return "", fmt.Errorf("wechat: %s: %w: media_id is empty", api, ErrInvalidRequest)
	}
	var id string
	err := c.withToken(ctx, api, func(token string) error {
		raw, err := postJSON(ctx, "/cgi-bin/freepublish/submit", token, map[string]string{"media_id": mediaID})
		if err != nil {
			return err
		}
		var resp struct {
			PublishID flexID `json:"publish_id"`
		}
		if err := decode(api, raw, &resp); err != nil {
			return err
		}
		if resp.PublishID == "" {
			return errors.New("response has no publish_id")
		}
		id = string(resp.PublishID)
		return nil
	})
	return id, err
}

// FreePublishStatus polls a free-publish job (freepublish/get).
func (c *Client) FreePublishStatus(ctx context.Context, publishID string) (PublishResult, error) {
	const api = "free publish status"
	if publishID == "" {
		return PublishResult{}, fmt.Errorf("wechat: %s: %w: publish_id is empty", api, ErrInvalidRequest)
	}
	var res PublishResult
	err := c.withToken(ctx, api, func(token string) error {
		raw, err := postJSON(ctx, "/cgi-bin/freepublish/get", token, map[string]string{"publish_id": publishID})
		if err != nil {
			return err
		}
		var resp struct {
			PublishID     flexID        `json:"publish_id"`
			PublishStatus PublishStatus `json:"publish_status"`
			ArticleID     string        `json:"article_id"`
			ArticleDetail struct {
				Item []PublishedArticle `json:"item"`
			} `json:"article_detail"`
			FailIdx []int `json:"fail_idx"`
		}
		if err := decode(api, raw, &resp); err != nil {
			return err
		}
		res = PublishResult{
			PublishID: string(resp.PublishID), Status: resp.PublishStatus, ArticleID: resp.ArticleID,
			Articles: resp.ArticleDetail.Item, FailIdx: resp.FailIdx,
		}
		return nil
	})
	return res, err
}

// PreviewArticle sends a preview of a draft (mpnews by media_id) to one
// staff follower; an alias of PreviewNews named like the other article calls.
func (c *Client) PreviewArticle(ctx context.Context, openid, mediaID string) error {
	return c.PreviewNews(ctx, openid, mediaID)
}
