package communities

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // WeChat serves showqrcode as JPEG, the simulator as PNG
	_ "image/png"
	"time"

	"github.com/pufa-dev/pufa/store"
	"github.com/pufa-dev/pufa/wechat"
)

// QRAPI is the WeChat API for permanent QR codes (*wechat.Client).
type QRAPI interface {
	CreateLimitQRCode(ctx context.Context, scene string) (wechat.QRCode, error)
	QRCodeImage(ctx context.Context, ticket string) ([]byte, error)
}

// TicketCache keeps each community's ticket (*store.Store), so a poster
// does not call qrcode/create again.
type TicketCache interface {
	CommunityQR(ctx context.Context, id string) (store.QRTicket, bool, error)
	SetCommunityQR(ctx context.Context, id string, t store.QRTicket) error
}

// Posters makes the QR codes and print posters of registered communities.
type Posters struct {
	Registry *Registry
	API      QRAPI
	Cache    TicketCache
	FontPath string // "" = DefaultFontPath
	Office   string // printed at the top; "" = no office line
	Now      func() time.Time
}

// ErrInactive refuses a code for a community marked inactive.
var ErrInactive = errors.New("communities: community is inactive")

// Ticket returns the community's permanent QR ticket, creating it through
// the API the first time only.
func (p *Posters) Ticket(ctx context.Context, id string) (store.QRTicket, error) {
	c, err := p.Registry.Get(ctx, id)
	if err != nil {
		return store.QRTicket{}, err
	}
	if !c.Active {
		return store.QRTicket{}, fmt.Errorf("%w: %s", ErrInactive, id)
	}
	t, ok, err := p.Cache.CommunityQR(ctx, id)
	if err != nil || ok {
		return t, err
	}
	// Two staff asking at once both create: WeChat returns the same ticket
	// for the same scene_str, so the second write stores the same value.
	q, err := p.API.CreateLimitQRCode(ctx, id)
	if err != nil {
		return store.QRTicket{}, fmt.Errorf("communities: qr code of %s: %w", id, err)
	}
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	t = store.QRTicket{Ticket: q.Ticket, URL: q.URL, Created: now()}
	if err := p.Cache.SetCommunityQR(ctx, id, t); err != nil {
		return store.QRTicket{}, err
	}
	return t, nil
}

// QRImage returns the community's QR code as WeChat draws it.
func (p *Posters) QRImage(ctx context.Context, id string) ([]byte, error) {
	t, err := p.Ticket(ctx, id)
	if err != nil {
		return nil, err
	}
	b, err := p.API.QRCodeImage(ctx, t.Ticket)
	if err != nil {
		return nil, fmt.Errorf("communities: qr image of %s: %w", id, err)
	}
	return b, nil
}

// Poster returns the community's print poster as PNG. Without its font it
// returns an error wrapping ErrNoFont; the plain code (QRImage) still works.
func (p *Posters) Poster(ctx context.Context, id string) ([]byte, error) {
	path := p.FontPath
	if path == "" {
		path = DefaultFontPath
	}
	f, err := LoadFont(path)
	if err != nil {
		return nil, err
	}
	c, err := p.Registry.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	raw, err := p.QRImage(ctx, id)
	if err != nil {
		return nil, err
	}
	qr, _, err := image.Decode(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("communities: qr image of %s: %w", id, err)
	}
	return RenderPoster(f, PosterContent{QR: qr, Community: DisplayName(c), Office: p.Office})
}
