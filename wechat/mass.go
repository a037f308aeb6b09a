package wechat

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"time"
)

// Mass-send message types.
const (
	MsgTypeText   = "text"
	MsgTypeMPNews = "mpnews" // a draft-box article, by media_id
)

const (
	maxClientMsgID = 64 // bytes; WeChat answers 45067 beyond
	minMassOpenIDs = 2
	maxMassOpenIDs = 10000

	codeMassDuplicate  = 45065
	codeClientMsgIDLen = 45067
)

// MassRequest is one mass send. Exactly one of ToAll, TagID and OpenIDs
// selects the recipients.
type MassRequest struct {
	ToAll             bool
	TagID             int64
	OpenIDs           []string // 2 to 10,000
	MsgType           string   // MsgTypeText or MsgTypeMPNews
	Text              string   // for MsgTypeText
	MediaID           string   // for MsgTypeMPNews
	ClientMsgID       string   // required: makes the send idempotent for 24 h; see ClientMsgID
	SendIgnoreReprint int      // mpnews only: 1 sends even if WeChat judges the article a reprint
}

// MassResult identifies a submitted mass send; MASSSENDJOBFINISH reports
// its outcome under MsgID.
type MassResult struct {
	MsgID     int64
	MsgDataID int64
	Duplicate bool // ClientMsgID was already sent: the IDs are the original send's
}

type massFilter struct {
	IsToAll bool  `json:"is_to_all"`
	TagID   int64 `json:"tag_id,omitempty"`
}

type massContent struct {
	Content string `json:"content,omitempty"`
	MediaID string `json:"media_id,omitempty"`
}

// massBody is written by hand because the SDK's request has no clientmsgid.
type massBody struct {
	Filter            *massFilter  `json:"filter,omitempty"`
	ToUser            []string     `json:"touser,omitempty"`
	MsgType           string       `json:"msgtype"`
	Text              *massContent `json:"text,omitempty"`
	MPNews            *massContent `json:"mpnews,omitempty"`
	SendIgnoreReprint *int         `json:"send_ignore_reprint,omitempty"`
	ClientMsgID       string       `json:"clientmsgid"`
}

type massResponse struct {
	errResponse
	MsgID     int64 `json:"msg_id"`
	MsgDataID int64 `json:"msg_data_id"`
}

// MassSend submits a mass send to all followers, a tag or a list of openids.
// Repeating a request with the same ClientMsgID within 24 h is safe: WeChat
// answers 45065, reported here as success with Duplicate set.
func (c *Client) MassSend(ctx context.Context, r MassRequest) (MassResult, error) {
	const api = "mass send"
	path, body, err := r.build()
	if err != nil {
		return MassResult{}, err
	}
	var res MassResult
	err = c.withToken(ctx, api, func(token string) error {
		raw, err := postJSON(ctx, path, token, body)
		if err != nil {
			return err
		}
		var resp massResponse
		if err := json.Unmarshal(raw, &resp); err != nil {
			return fmt.Errorf("decode response: %w", err)
		}
		switch resp.ErrCode {
		case 0:
			res = MassResult{MsgID: resp.MsgID, MsgDataID: resp.MsgDataID}
		case codeMassDuplicate:
			// The response still carries the original send's IDs.
			res = MassResult{MsgID: resp.MsgID, MsgDataID: resp.MsgDataID, Duplicate: true}
			c.log.InfoContext(ctx, "wechat: mass send already submitted",
				slog.String("clientmsgid", r.ClientMsgID), slog.Int64("msg_id", resp.MsgID))
		default:
			return &APIError{API: api, Code: resp.ErrCode, Msg: resp.ErrMsg}
		}
		return nil
	})
	return res, err
}

func (r MassRequest) build() (path string, body massBody, err error) {
	invalid := func(format string, args ...any) error {
		return fmt.Errorf("wechat: mass send: %w: %s", ErrInvalidRequest, fmt.Sprintf(format, args...))
	}
	if r.ClientMsgID == "" {
		return "", body, invalid("clientmsgid is required")
	}
	if len(r.ClientMsgID) > maxClientMsgID {
		return "", body, &APIError{API: "mass send", Code: codeClientMsgIDLen,
			Msg: fmt.Sprintf("clientmsgid is %d bytes, limit %d (checked locally)", len(r.ClientMsgID), maxClientMsgID)}
	}
	body = massBody{MsgType: r.MsgType, ClientMsgID: r.ClientMsgID}
	switch r.MsgType {
	case MsgTypeText:
		if r.Text == "" {
			return "", body, invalid("text is empty")
		}
		body.Text = &massContent{Content: r.Text}
	case MsgTypeMPNews:
		if r.MediaID == "" {
			return "", body, invalid("media_id is empty")
		}
		if r.SendIgnoreReprint != 0 && r.SendIgnoreReprint != 1 {
			return "", body, invalid("send_ignore_reprint must be 0 or 1, got %d", r.SendIgnoreReprint)
		}
		body.MPNews = &massContent{MediaID: r.MediaID}
		body.SendIgnoreReprint = &r.SendIgnoreReprint
	default:
		return "", body, invalid("msgtype %q is not %q or %q", r.MsgType, MsgTypeText, MsgTypeMPNews)
	}
	targets := 0
	for _, set := range []bool{r.ToAll, r.TagID != 0, len(r.OpenIDs) > 0} {
		if set {
			targets++
		}
	}
	if targets != 1 {
		return "", body, invalid("set exactly one of ToAll, TagID and OpenIDs")
	}
	switch {
	case r.ToAll:
		body.Filter = &massFilter{IsToAll: true}
		return "/cgi-bin/message/mass/sendall", body, nil
	case r.TagID != 0:
		if r.TagID < 0 {
			return "", body, invalid("tag_id %d is negative", r.TagID)
		}
		body.Filter = &massFilter{TagID: r.TagID}
		return "/cgi-bin/message/mass/sendall", body, nil
	}
	if n := len(r.OpenIDs); n < minMassOpenIDs || n > maxMassOpenIDs {
		return "", body, invalid("%d openids, want %d to %d", n, minMassOpenIDs, maxMassOpenIDs)
	}
	for i, id := range r.OpenIDs {
		if id == "" {
			return "", body, invalid("openid %d is empty", i)
		}
	}
	body.ToUser = r.OpenIDs
	return "/cgi-bin/message/mass/send", body, nil
}

// ClientMsgID derives the idempotency key of one batch of one firing of a
// campaign, so that a retried or re-run batch is recognised by WeChat. It is
// readable when short and plain ASCII, else a SHA-256 hex digest (64 bytes).
func ClientMsgID(campaignID string, fire time.Time, batch int) string {
	id := campaignID + "-" + strconv.FormatInt(fire.Unix(), 10) + "-" + strconv.Itoa(batch)
	if len(id) <= maxClientMsgID && plainASCII(campaignID) {
		return id
	}
	// A digest has no '-', so it never equals a readable id.
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:])
}

func plainASCII(s string) bool {
	for _, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '.' || r == '-'
		if !ok {
			return false
		}
	}
	return true
}
