package communities

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"strings"

	"golang.org/x/image/draw"
	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// DefaultFontPath is where Debian's fonts-wqy-microhei puts its CJK font.
const DefaultFontPath = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"

// Poster size: A4 at 300 dpi, print-ready without scaling.
const (
	PosterWidth  = 2480
	PosterHeight = 3508
)

// PosterSlogan is the line under the code.
const PosterSlogan = "扫码关注 学法懂法"

// ErrNoFont means the poster font is missing or unreadable: a poster
// without its Chinese lines would be useless, so none is made.
var ErrNoFont = errors.New("communities: poster font unavailable")

// LoadFont reads a TrueType/OpenType font, or the first font of a
// collection (.ttc, as wqy-microhei is). The font's tables are copied into
// a font file of their own on 4-byte boundaries first: wqy-microhei has a
// table off that boundary, which x/image's parser refuses, while every
// renderer (FreeType, browsers) accepts it.
func LoadFont(path string) (*opentype.Font, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNoFont, err)
	}
	aligned, err := alignedFont(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrNoFont, path, err)
	}
	f, err := opentype.Parse(aligned)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrNoFont, path, err)
	}
	return f, nil
}

// alignedFont returns the first font of b (a font or a collection) as a
// single font file whose tables each start on a 4-byte boundary. Table
// checksums are left as they were: the parser ignores them.
func alignedFont(b []byte) ([]byte, error) {
	u16 := func(o int) int { return int(binary.BigEndian.Uint16(b[o:])) }
	u32 := func(o int) int { return int(binary.BigEndian.Uint32(b[o:])) }
	if len(b) < 12 {
		return nil, errors.New("file too short for a font")
	}
	dir := 0
	if string(b[:4]) == "ttcf" {
		if len(b) < 16 || u32(8) < 1 {
			return nil, errors.New("empty font collection")
		}
		dir = u32(12)
	}
	if dir+12 > len(b) {
		return nil, errors.New("font directory outside the file")
	}
	n := u16(dir + 4)
	if n == 0 || dir+12+16*n > len(b) {
		return nil, errors.New("bad table directory")
	}
	head := 12 + 16*n
	out := make([]byte, head, len(b))
	copy(out, b[dir:dir+12])
	for i := range n {
		rec := dir + 12 + 16*i
		off, length := u32(rec+8), u32(rec+12)
		if off < 0 || length < 0 || off+length > len(b) {
			return nil, errors.New("table outside the file")
		}
		copy(out[12+16*i:], b[rec:rec+8]) // tag, checksum
		binary.BigEndian.PutUint32(out[12+16*i+8:], uint32(len(out)))
		binary.BigEndian.PutUint32(out[12+16*i+12:], uint32(length))
		out = append(out, b[off:off+length]...)
		for len(out)%4 != 0 {
			out = append(out, 0)
		}
	}
	return out, nil
}

// PosterContent is what a poster shows.
type PosterContent struct {
	QR        image.Image // the community's code as WeChat drew it
	Community string      // display name
	Office    string      // the office's name; "" = no office line
}

var (
	posterRed  = color.RGBA{0xb7, 0x1c, 0x1c, 0xff} // the red of government posters
	posterInk  = color.RGBA{0x21, 0x21, 0x21, 0xff}
	posterGrey = color.RGBA{0x61, 0x61, 0x61, 0xff}
)

// RenderPoster draws an A4 portrait poster at 300 dpi: a red band with the
// office, the community's name, the code as large as the page allows and
// the slogan, and returns it as PNG.
func RenderPoster(f *opentype.Font, c PosterContent) ([]byte, error) {
	if f == nil {
		return nil, ErrNoFont
	}
	if c.QR == nil {
		return nil, errors.New("communities: poster without QR code")
	}
	img := image.NewRGBA(image.Rect(0, 0, PosterWidth, PosterHeight))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	draw.Draw(img, image.Rect(0, 0, PosterWidth, 560), image.NewUniform(posterRed), image.Point{}, draw.Src)

	if c.Office != "" {
		if err := centred(img, f, c.Office, 120, 260, image.White); err != nil {
			return nil, err
		}
	}
	if err := centred(img, f, "法治宣传 · 普法服务号", 84, 440, image.White); err != nil {
		return nil, err
	}
	if err := centred(img, f, c.Community, 180, 840, image.NewUniform(posterInk)); err != nil {
		return nil, err
	}
	// The code fills 1800 px (15 cm at 300 dpi); nearest-neighbour keeps
	// its modules sharp-edged for any printer.
	const side = 1800
	qr := image.Rect((PosterWidth-side)/2, 1000, (PosterWidth+side)/2, 1000+side)
	draw.NearestNeighbor.Scale(img, qr, c.QR, c.QR.Bounds(), draw.Over, nil)
	if err := centred(img, f, PosterSlogan, 150, 3100, image.NewUniform(posterRed)); err != nil {
		return nil, err
	}
	if err := centred(img, f, "微信扫一扫，关注后可随时咨询法律问题", 70, 3300, image.NewUniform(posterGrey)); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return nil, fmt.Errorf("communities: encoding poster: %w", err)
	}
	return b.Bytes(), nil
}

// centred writes one line centred horizontally with its baseline at y,
// shrinking the size until it fits the page with margins.
func centred(img *image.RGBA, f *opentype.Font, text string, size float64, y int, ink image.Image) error {
	text = strings.TrimSpace(text)
	const margin = 160
	for {
		face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingFull})
		if err != nil {
			return fmt.Errorf("communities: poster font: %w", err)
		}
		d := font.Drawer{Dst: img, Src: ink, Face: face}
		w := d.MeasureString(text).Ceil()
		if w <= PosterWidth-2*margin || size <= 24 {
			d.Dot = fixed.P((PosterWidth-w)/2, y)
			d.DrawString(text)
			face.Close()
			return nil
		}
		face.Close()
		size *= 0.9
	}
}
