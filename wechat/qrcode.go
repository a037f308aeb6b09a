package wechat

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/silenceper/wechat/v2/util"
)

// QRCode is a permanent QR code as WeChat issued it.
type QRCode struct {
	Ticket string `json:"ticket"`
	URL    string `json:"url"` // what the code encodes
}

// maxSceneStr is WeChat's limit on a QR_LIMIT_STR_SCENE scene_str.
const maxSceneStr = 64

// CreateLimitQRCode creates the permanent QR code of scene (qrcode/create,
// QR_LIMIT_STR_SCENE). A follow through it carries EventKey
// "qrscene_"+scene, a scan by a follower "scene". An account has at most
// 100,000 permanent codes, so callers cache the ticket.
func (c *Client) CreateLimitQRCode(ctx context.Context, scene string) (QRCode, error) {
	const api = "create qrcode"
	if scene == "" || len(scene) > maxSceneStr {
		return QRCode{}, fmt.Errorf("wechat: %s: scene_str must be 1..%d bytes: %w", api, maxSceneStr, ErrInvalidRequest)
	}
	body := map[string]any{
		"action_name": "QR_LIMIT_STR_SCENE",
		"action_info": map[string]any{"scene": map[string]string{"scene_str": scene}},
	}
	var out QRCode
	err := c.withToken(ctx, api, func(token string) error {
		raw, err := postJSON(ctx, "/cgi-bin/qrcode/create", token, body)
		if err != nil {
			return err
		}
		if err := decode(api, raw, &out); err != nil {
			return err
		}
		if out.Ticket == "" {
			return fmt.Errorf("wechat: %s: response without ticket", api)
		}
		return nil
	})
	return out, err
}

// QRCodeImage fetches the PNG of a ticket (showqrcode, no access_token).
func (c *Client) QRCodeImage(ctx context.Context, ticket string) ([]byte, error) {
	if ticket == "" {
		return nil, fmt.Errorf("wechat: qrcode image: empty ticket: %w", ErrInvalidRequest)
	}
	raw, err := util.HTTPGetContext(ctx, MPBase+"/cgi-bin/showqrcode?"+url.Values{"ticket": {ticket}}.Encode())
	if err != nil {
		return nil, fmt.Errorf("wechat: qrcode image: %w", err)
	}
	// An unknown ticket gets a JSON error, not an image.
	if !bytes.HasPrefix(raw, []byte("\x89PNG")) && !bytes.HasPrefix(raw, []byte("\xff\xd8")) {
		if err := decode("qrcode image", raw, nil); err != nil {
			return nil, err
		}
		return nil, errors.New("wechat: qrcode image: response is no image")
	}
	return raw, nil
}
