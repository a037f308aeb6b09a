package main

import (
	"context"

	"github.com/pufa-dev/pufa/articles"
	"github.com/pufa-dev/pufa/wechat"
)

// articlePublisher is articles.Publisher over the WeChat client: a draft
// of pufa's holds one article, so updates go to index 0.
type articlePublisher struct{ wx *wechat.Client }

func (p articlePublisher) UploadImage(ctx context.Context, name string, data []byte) (string, error) {
	return p.wx.UploadImage(ctx, name, data)
}

func (p articlePublisher) AddMaterialImage(ctx context.Context, name string, data []byte) (string, error) {
	m, err := p.wx.AddMaterialImage(ctx, name, data)
	return m.MediaID, err
}

func (p articlePublisher) AddDraft(ctx context.Context, d articles.Draft) (string, error) {
	return p.wx.AddDraft(ctx, draftArticle(d))
}

func (p articlePublisher) UpdateDraft(ctx context.Context, mediaID string, d articles.Draft) error {
	return p.wx.UpdateDraft(ctx, mediaID, 0, draftArticle(d))
}

func (p articlePublisher) PreviewArticle(ctx context.Context, openid, mediaID string) error {
	return p.wx.PreviewArticle(ctx, openid, mediaID)
}

func draftArticle(d articles.Draft) wechat.Article {
	return wechat.Article{Title: d.Title, Author: d.Author, Digest: d.Digest, Content: d.Content,
		ContentSourceURL: d.ContentSourceURL, ThumbMediaID: d.ThumbMediaID}
}
