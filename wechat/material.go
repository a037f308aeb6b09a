package wechat

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/silenceper/wechat/v2/util"
)

// WeChat's limits on images, checked before the upload so that a clerk
// learns at once what to fix instead of reading errcode 40113 or 45001.
const (
	MaxBodyImageBytes     = 1 << 20  // media/uploadimg: jpg/png up to 1 MB
	MaxImageMaterialBytes = 10 << 20 // material/add_material?type=image: up to 10 MB
)

// Errors of images rejected before any call; both also match ErrInvalidRequest.
var (
	ErrImageTooLarge = fmt.Errorf("image too large: %w", ErrInvalidRequest)
	ErrImageType     = fmt.Errorf("image type not accepted: %w", ErrInvalidRequest)
)

// MaterialImage is a permanent image material, usable as an article cover
// (thumb_media_id).
type MaterialImage struct {
	MediaID string
	URL     string
}

// bodyImageTypes and materialImageTypes map the file extensions WeChat
// accepts to the content types the bytes must sniff as.
var (
	bodyImageTypes     = map[string]string{".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png"}
	materialImageTypes = map[string]string{
		".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".gif": "image/gif", ".bmp": "image/bmp",
	}
)

// checkImage rejects an image WeChat would refuse: the name's extension and
// the bytes' sniffed type must agree and be allowed, and size within limit.
func checkImage(api, filename string, data []byte, types map[string]string, limit int) error {
	ext := strings.ToLower(path.Ext(filename))
	want, ok := types[ext]
	if !ok {
		return fmt.Errorf("wechat: %s: %w: file %q: extension %q is not one of %s", api, ErrImageType, filename, ext, extList(types))
	}
	if len(data) == 0 {
		return fmt.Errorf("wechat: %s: %w: file %q is empty", api, ErrInvalidRequest, filename)
	}
	if got := http.DetectContentType(data); got != want {
		return fmt.Errorf("wechat: %s: %w: file %q is %s, its name says %s", api, ErrImageType, filename, got, want)
	}
	if len(data) > limit {
		return fmt.Errorf("wechat: %s: %w: file %q is %d bytes, limit %d", api, ErrImageTooLarge, filename, len(data), limit)
	}
	return nil
}

func extList(types map[string]string) string {
	var exts []string
	for _, e := range []string{".jpg", ".jpeg", ".png", ".gif", ".bmp"} {
		if _, ok := types[e]; ok {
			exts = append(exts, e)
		}
	}
	return strings.Join(exts, " ")
}

// UploadImage uploads an image for use inside an article body
// (media/uploadimg) and returns its WeChat URL; external image URLs in a
// body are dropped by WeChat, so every body image goes through here. It
// does not use the material quota. The upload ignores ctx once started.
func (c *Client) UploadImage(ctx context.Context, filename string, data []byte) (string, error) {
	const api = "upload image"
	if err := checkImage(api, filename, data, bodyImageTypes, MaxBodyImageBytes); err != nil {
		return "", err
	}
	var imageURL string
	err := c.withToken(ctx, api, func(token string) error {
		raw, err := postImage(apiURL("/cgi-bin/media/uploadimg", token, nil), filename, data)
		if err != nil {
			return err
		}
		var resp struct {
			URL string `json:"url"`
		}
		if err := decode(api, raw, &resp); err != nil {
			return err
		}
		if resp.URL == "" {
			return errors.New("response has no url")
		}
		imageURL = resp.URL
		return nil
	})
	return imageURL, err
}

// AddMaterialImage adds a permanent image material
// (material/add_material?type=image), e.g. an article cover. The upload
// ignores ctx once started.
func (c *Client) AddMaterialImage(ctx context.Context, filename string, data []byte) (MaterialImage, error) {
	const api = "add image material"
	if err := checkImage(api, filename, data, materialImageTypes, MaxImageMaterialBytes); err != nil {
		return MaterialImage{}, err
	}
	var img MaterialImage
	err := c.withToken(ctx, api, func(token string) error {
		raw, err := postImage(apiURL("/cgi-bin/material/add_material", token, url.Values{"type": {"image"}}), filename, data)
		if err != nil {
			return err
		}
		var resp struct {
			MediaID string `json:"media_id"`
			URL     string `json:"url"`
		}
		if err := decode(api, raw, &resp); err != nil {
			return err
		}
		if resp.MediaID == "" {
			return errors.New("response has no media_id")
		}
		img = MaterialImage{MediaID: resp.MediaID, URL: resp.URL}
		return nil
	})
	return img, err
}

// postImage sends data as the multipart field "media" both upload APIs
// read. util.PostMultipartForm applies the SDK's URI modifier, which a
// hand-built request would not.
func postImage(uri, filename string, data []byte) ([]byte, error) {
	return util.PostMultipartForm([]util.MultipartFormField{{
		IsFile: true, Fieldname: "media", Filename: filename, FileReader: bytes.NewReader(data),
	}}, uri)
}
