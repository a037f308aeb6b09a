package campaigns

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/pufa-dev/pufa/articles"
	"github.com/pufa-dev/pufa/store"
	"github.com/pufa-dev/pufa/wechat"
)

// Articles is what the article channels need from the office's articles
// (*articles.Service): the article as stored, and its WeChat draft brought
// up to date (idempotent: images uploaded once, the draft added once and
// updated only when the article changed).
type Articles interface {
	Get(ctx context.Context, id string) (articles.Article, error)
	Sync(ctx context.Context, id string) (articles.SyncResult, error)
	Preview(ctx context.Context, id, openid string) (articles.SyncResult, error)
}

// FreePublisher publishes a draft without pushing it (*wechat.Client).
type FreePublisher interface {
	SubmitFreePublish(ctx context.Context, mediaID string) (string, error)
}

// articleChannel mass-sends an article (群发图文) by its draft's media_id:
// it is a mass send in every respect (batches, clientmsgid, quota, the
// MASSSENDJOBFINISH reach), with the article synced to WeChat when the run
// is snapshotted. A crash between that sync and the send leaves the draft
// made and nothing sent; the resumed run reads the draft's media_id from
// the article's sync record and sends once, and a resend of a batch whose
// answer was lost gets 45065 and the original msg_id.
var articleChannel = &channel{
	name: ChannelArticle, label: "群发图文", minInterval: 24 * time.Hour, batched: true, callbackReach: true, online: true, article: true,
	retryWindow: massRetryWindow,
	validate:    validateArticle,
	plan:        planArticle,
	dryRun:      dryRunMass,
	ready:       needArticles,
	send:        sendArticle,
	classify:    classifyWeChat,
	preview:     previewArticle,
}

// publishChannel publishes an article (发布图文, freepublish/submit): it
// appears in the account's published list and can be linked to, but is not
// pushed into followers' chats and uses no mass quota. freepublish/submit
// has no idempotency key, so an interrupted submit is recorded unknown
// and never repeated: staff check 发表记录 in the MP backend. It is not a
// push (not online): the annual report does not count it as 一期推送.
var publishChannel = &channel{
	name: ChannelPublish, label: "发布图文", minInterval: 24 * time.Hour, batched: true, article: true,
	retryWindow: 0,
	validate:    validatePublish,
	plan: func(ctx context.Context, m *Manager, def runDef) (map[string]string, []string, error) {
		if err := syncApprovedArticle(ctx, m, def); err != nil {
			return nil, nil, err
		}
		return map[string]string{"0": "publish"}, []string{"b:0"}, nil
	},
	dryRun: func(context.Context, *Manager, *Campaign) (DryRun, error) {
		return DryRun{Channel: ChannelPublish, Recipients: -1, Requests: 1}, nil
	},
	ready: func(m *Manager) error {
		if m.opts.Articles == nil || m.opts.Publisher == nil {
			return errors.New("campaigns: no WeChat client to publish articles with")
		}
		return nil
	},
	send: func(ctx context.Context, d *deliverer, item string) (store.ItemStatus, error) {
		mediaID, _, err := draftOf(ctx, d.m, d.def.Content.Article)
		if err != nil {
			return "", err
		}
		id, err := d.m.opts.Publisher.SubmitFreePublish(ctx, mediaID)
		if err != nil {
			return "", err
		}
		d.log.InfoContext(ctx, "campaigns: article submitted for publishing", slog.String("campaign", d.def.ID),
			slog.String("article", d.def.Content.Article), slog.String("publish_id", id))
		markArticleUsed(ctx, d)
		return store.StatusSent, nil
	},
	classify: classifyWeChat,
	preview:  previewArticle,
}

func needArticles(m *Manager) error {
	if m.opts.Articles == nil || m.opts.Sender == nil {
		return errors.New("campaigns: no WeChat client to send articles with")
	}
	return nil
}

func validateArticle(p *parser, c *Campaign) {
	ct := &c.Content
	if ct.Article == "" {
		p.bad("content.article", nil, "is required for channel %s: the id of an article written in the console", c.Channel)
	}
	if ct.Text != "" || ct.MediaID != "" || ct.Template != nil {
		p.bad("content", p.vals["content"], "channel %s sends content.article only", c.Channel)
	}
	a := c.Audience
	if !a.All && len(a.Tags) == 0 && len(a.Communities) == 0 && len(a.OpenIDs) == 1 {
		p.bad("audience.openids", p.vals["audience.openids"], "a mass send by openid needs at least 2 recipients")
	}
	p.followersOnly(c)
}

func validatePublish(p *parser, c *Campaign) {
	validateArticle(p, c)
	a := c.Audience
	if !a.All || len(a.Tags) > 0 || len(a.Communities) > 0 || len(a.OpenIDs) > 0 {
		p.bad("audience", p.vals["audience"], "channel publish reaches whoever opens the account: set all: true only")
	}
}

// articleVersionMark is what an approval of an article campaign adds to
// its hash: the article version the approver saw.
func articleVersionMark(version int64) string { return "+article-v" + strconv.FormatInt(version, 10) }

// approvalHash is what an approval of c covers: its definition and, for
// an article campaign, the article's current version, so that editing the
// article after approval sends the campaign back to draft like editing the
// campaign does. "" means this process has no articles to look at.
func (m *Manager) approvalHash(ctx context.Context, c *Campaign) (string, error) {
	if c.Content.Article == "" {
		return c.Hash(), nil
	}
	if m.opts.Articles == nil {
		return "", nil // this process cannot tell; Status keeps the state
	}
	a, err := m.opts.Articles.Get(ctx, c.Content.Article)
	if errors.Is(err, store.ErrNotFound) {
		return c.Hash() + "+article-missing", nil
	}
	if err != nil {
		return "", fmt.Errorf("campaigns: %s: article %s: %w", c.ID, c.Content.Article, err)
	}
	return c.Hash() + articleVersionMark(a.Version), nil
}

// ErrArticleChanged stops a run whose article was edited after approval.
var ErrArticleChanged = errors.New("campaigns: the article changed after approval")

// syncApprovedArticle brings the run's article to WeChat, after checking
// it is still the version approved. A sync another process is running
// (a preview) is waited for.
func syncApprovedArticle(ctx context.Context, m *Manager, def runDef) error {
	rec, err := m.opts.Store.Campaign(ctx, def.ID)
	if err != nil {
		return err
	}
	a, err := m.opts.Articles.Get(ctx, def.Content.Article)
	if err != nil {
		return fmt.Errorf("campaigns: %s: article %s: %w", def.ID, def.Content.Article, err)
	}
	if !strings.HasSuffix(rec.ApprovedHash, articleVersionMark(a.Version)) {
		return fmt.Errorf("%w: %s: article %s is at version %d", ErrArticleChanged, def.ID, a.ID, a.Version)
	}
	for tries := 1; ; tries++ {
		res, err := m.opts.Articles.Sync(ctx, def.Content.Article)
		if errors.Is(err, articles.ErrSyncBusy) && tries < 30 {
			if err := sleep(ctx, 2*time.Second); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("campaigns: %s: sync article %s: %w", def.ID, def.Content.Article, err)
		}
		m.log.InfoContext(ctx, "campaigns: article synced for the run", slog.String("campaign", def.ID),
			slog.String("article", def.Content.Article), slog.String("draft", res.DraftMediaID),
			slog.Bool("created", res.Created), slog.Bool("updated", res.Updated), slog.Int("uploaded", res.Uploaded))
		return nil
	}
}

func planArticle(ctx context.Context, m *Manager, def runDef) (map[string]string, []string, error) {
	if err := syncApprovedArticle(ctx, m, def); err != nil {
		return nil, nil, err
	}
	return planMass(ctx, m, def)
}

// draftOf reads the media_id of the article's draft, made by the run's
// snapshot; a send never calls the draft API itself.
func draftOf(ctx context.Context, m *Manager, id string) (mediaID string, a articles.Article, err error) {
	a, err = m.opts.Articles.Get(ctx, id)
	if err != nil {
		return "", a, fmt.Errorf("campaigns: article %s: %w", id, err)
	}
	if a.WeChat.DraftMediaID == "" {
		return "", a, fmt.Errorf("campaigns: article %s has no WeChat draft: %w", id, wechat.ErrInvalidRequest)
	}
	return a.WeChat.DraftMediaID, a, nil
}

func sendArticle(ctx context.Context, d *deliverer, item string) (store.ItemStatus, error) {
	mediaID, a, err := draftOf(ctx, d.m, d.def.Content.Article)
	if err != nil {
		return "", err
	}
	status, res, err := massBatch(ctx, d, item, func(r *wechat.MassRequest) {
		r.MsgType, r.MediaID = wechat.MsgTypeMPNews, mediaID
	})
	if err != nil {
		return "", err
	}
	bg := context.WithoutCancel(ctx)
	// The send is done: a failure to note it for the reading statistics is
	// logged, not retried.
	r := store.ArticleSend{Campaign: d.def.ID, Fire: d.fire, ArticleID: a.ID, Title: a.Title, SentAt: d.m.now()}
	if err := d.m.opts.Store.RecordArticleSend(bg, r, res.MsgDataID); err != nil {
		d.log.WarnContext(ctx, "campaigns: article send not noted for reading statistics", slog.Any("err", err))
	}
	markArticleUsed(ctx, d)
	return status, nil
}

// markArticleUsed lists the campaign on the article's page.
func markArticleUsed(ctx context.Context, d *deliverer) {
	if err := d.m.opts.Store.AddArticleCampaign(context.WithoutCancel(ctx), d.def.Content.Article, d.def.ID); err != nil {
		d.log.WarnContext(ctx, "campaigns: article's campaigns", slog.Any("err", err))
	}
}

func previewArticle(ctx context.Context, m *Manager, c *Campaign, openid string) error {
	if m.opts.Articles == nil {
		return errors.New("campaigns: preview: no WeChat client")
	}
	_, err := m.opts.Articles.Preview(ctx, c.Content.Article, openid)
	return err
}
