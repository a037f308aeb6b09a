package wechat

import (
	"context"
	"fmt"

	"github.com/silenceper/wechat/v2/officialaccount/menu"
	"github.com/silenceper/wechat/v2/officialaccount/user"
	"github.com/silenceper/wechat/v2/util"
)

// FollowerPage is one page (up to 10,000) of follower openids.
type FollowerPage struct {
	Total   int // all followers of the account; 0 for tag pages, which do not report it
	Count   int
	OpenIDs []string
	Next    string // next_openid to pass for the following page
}

// Tag is a follower tag.
type Tag struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Count int64  `json:"count"`
}

// Followers returns the page of followers after nextOpenID ("" for the
// first page). The SDK call ignores ctx once started.
func (c *Client) Followers(ctx context.Context, nextOpenID string) (FollowerPage, error) {
	var page FollowerPage
	err := c.withToken(ctx, "list followers", func(token string) error {
		l, err := user.NewUser(c.sdk(token)).ListUserOpenIDs(nextOpenID)
		if err != nil {
			return err
		}
		page = FollowerPage{Total: l.Total, Count: l.Count, OpenIDs: l.Data.OpenIDs, Next: l.NextOpenID}
		return nil
	})
	return page, err
}

// AllFollowers pages through every follower.
func (c *Client) AllFollowers(ctx context.Context) ([]string, error) {
	return collect(ctx, c.Followers)
}

// Tags lists the account's tags. The SDK's GetTag ignores errcode, which
// would turn a stale token into an empty list, so pufa sends this itself.
func (c *Client) Tags(ctx context.Context) ([]Tag, error) {
	const api = "list tags"
	var tags []Tag
	err := c.withToken(ctx, api, func(token string) error {
		raw, err := util.HTTPGetContext(ctx, apiURL("/cgi-bin/tags/get", token, nil))
		if err != nil {
			return err
		}
		var resp struct {
			Tags []Tag `json:"tags"`
		}
		if err := decode(api, raw, &resp); err != nil {
			return err
		}
		tags = resp.Tags
		return nil
	})
	return tags, err
}

// TagFollowers returns the page of a tag's followers after next ("" for the
// first page). Sent by pufa itself: the SDK's OpenIDListByTag ignores
// errcode and truncates tag IDs to int32.
func (c *Client) TagFollowers(ctx context.Context, tagID int64, next string) (FollowerPage, error) {
	const api = "list tag followers"
	var page FollowerPage
	err := c.withToken(ctx, api, func(token string) error {
		body := struct {
			TagID int64  `json:"tagid"`
			Next  string `json:"next_openid"`
		}{tagID, next}
		raw, err := postJSON(ctx, "/cgi-bin/user/tag/get", token, body)
		if err != nil {
			return err
		}
		var resp struct {
			Count int `json:"count"`
			Data  struct {
				OpenIDs []string `json:"openid"`
			} `json:"data"`
			Next string `json:"next_openid"`
		}
		if err := decode(api, raw, &resp); err != nil {
			return err
		}
		page = FollowerPage{Count: resp.Count, OpenIDs: resp.Data.OpenIDs, Next: resp.Next}
		return nil
	})
	return page, err
}

// AllTagFollowers pages through every follower carrying tagID.
func (c *Client) AllTagFollowers(ctx context.Context, tagID int64) ([]string, error) {
	return collect(ctx, func(ctx context.Context, next string) (FollowerPage, error) {
		return c.TagFollowers(ctx, tagID, next)
	})
}

// collect follows next_openid until a page is empty. WeChat returns the last
// openid as next_openid even on the final page, so an empty page, an empty
// or repeated cursor, or reaching Total all end the walk.
func collect(ctx context.Context, page func(context.Context, string) (FollowerPage, error)) ([]string, error) {
	var all []string
	next := ""
	for {
		p, err := page(ctx, next)
		if err != nil {
			return nil, err
		}
		if all == nil {
			all = make([]string, 0, max(p.Total, p.Count))
		}
		all = append(all, p.OpenIDs...)
		if p.Count == 0 || len(p.OpenIDs) == 0 || p.Next == "" || p.Next == next ||
			(p.Total > 0 && len(all) >= p.Total) {
			return all, nil
		}
		next = p.Next
	}
}

// CreateMenu replaces the custom menu (1 to 3 top-level buttons).
func (c *Client) CreateMenu(ctx context.Context, buttons []*menu.Button) error {
	const api = "create menu"
	if len(buttons) == 0 || len(buttons) > 3 {
		return fmt.Errorf("wechat: %s: %w: %d top-level buttons, want 1 to 3", api, ErrInvalidRequest, len(buttons))
	}
	return c.withToken(ctx, api, func(token string) error {
		return menu.NewMenu(c.sdk(token)).SetMenu(buttons)
	})
}
