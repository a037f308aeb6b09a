package articles

import (
	"html"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"
)

// RenderOptions say where the rendered body goes.
type RenderOptions struct {
	// Image returns the address of an uploaded image by its id: WeChat's
	// uploadimg URL for a draft, the console's own address for a preview.
	// An image it does not know is rendered as its caption in brackets.
	Image func(id string) (src string, ok bool)
	// Preview marks elements with classes for the console's phone frame
	// (its Content-Security-Policy forbids inline styles) instead of the
	// inline styles WeChat keeps.
	Preview bool
}

// Render turns an article body in pufa's Markdown subset into the HTML a
// WeChat article may hold: headings (#, ##, ###), paragraphs, **bold**,
// *italic*, lists (- and 1.), quotes (>), rules (---), images from the
// office's uploads (![说明](img:<id>)), links, and the legal-citation
// block:
//
//	::: 《中华人民共和国宪法》第三十三条
//	中华人民共和国公民在法律面前一律平等。
//	:::
//
// Only links to mp.weixin.qq.com are clickable inside a WeChat article,
// so any other link is written out as text with its address. Every piece
// of the author's text is escaped; the only tags and attributes in the
// output are the ones written here (see AllowedTags).
func Render(body string, o RenderOptions) string {
	r := renderer{o: o}
	r.blocks(splitLines(body))
	return r.b.String()
}

// AllowedTags returns the elements Render writes, with the attributes
// each may carry; tests hold the output to this list.
func AllowedTags() map[string][]string {
	styled := []string{"style", "class"}
	return map[string][]string{
		"section": styled, "p": styled, "h2": styled, "h3": styled, "h4": styled, "strong": styled, "em": nil,
		"ul": styled, "ol": styled, "li": styled, "blockquote": styled, "hr": styled, "br": nil, "span": styled,
		"a": {"href"}, "img": {"src", "alt", "style", "class"},
	}
}

// looks are the inline styles (for WeChat) and classes (for the console's
// preview) of each kind of element; console/static/style.css mirrors them.
var looks = map[string]struct{ class, style string }{
	"p":        {"pf-p", "margin:0 0 1em;line-height:1.75;font-size:15px;color:#333;"},
	"h2":       {"pf-h2", "margin:1.4em 0 .7em;font-size:19px;font-weight:bold;color:#b22222;"},
	"h3":       {"pf-h3", "margin:1.2em 0 .6em;font-size:17px;font-weight:bold;color:#333;"},
	"h4":       {"pf-h4", "margin:1em 0 .5em;font-size:15px;font-weight:bold;color:#333;"},
	"strong":   {"pf-strong", "color:#b22222;"},
	"ul":       {"pf-list", "margin:0 0 1em;padding-left:1.5em;"},
	"ol":       {"pf-list", "margin:0 0 1em;padding-left:1.5em;"},
	"li":       {"pf-li", "margin:.2em 0;line-height:1.75;font-size:15px;color:#333;"},
	"quote":    {"pf-quote", "margin:1em 0;padding:.6em 1em;border-left:3px solid #ccc;background:#f7f7f7;color:#666;"},
	"hr":       {"pf-hr", "border:0;border-top:1px solid #ddd;margin:1.5em 0;"},
	"img":      {"pf-img", "display:block;max-width:100%;margin:.8em auto;"},
	"citation": {"pf-citation", "margin:1em 0;padding:.8em 1em;border:1px solid #e6c9a8;border-left:4px solid #b22222;background:#fdf8f0;"},
	"cite-src": {"pf-cite-src", "margin:0 0 .4em;font-size:14px;font-weight:bold;color:#b22222;"},
	"cite-txt": {"pf-cite-txt", "margin:0;line-height:1.75;font-size:15px;color:#333;"},
	"missing":  {"pf-missing", "color:#999;"},
}

type renderer struct {
	b strings.Builder
	o RenderOptions
}

// open writes a start tag with the look of kind.
func (r *renderer) open(tag, kind string) {
	r.b.WriteString("<" + tag)
	r.look(kind)
	r.b.WriteString(">")
}

func (r *renderer) look(kind string) {
	l, ok := looks[kind]
	if !ok {
		return
	}
	if r.o.Preview {
		r.b.WriteString(` class="` + l.class + `"`)
	} else {
		r.b.WriteString(` style="` + l.style + `"`)
	}
}

// splitLines normalises the text: valid UTF-8, no control characters
// but tabs (as spaces), LF line ends.
func splitLines(s string) []string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.Map(func(c rune) rune {
		switch {
		case c == '\n':
			return c
		case c == '\t' || c == '\r':
			return ' '
		case c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || c == 0xFFFE || c == 0xFFFF:
			return -1
		}
		return c
	}, s)
	return strings.Split(s, "\n")
}

var (
	headingRe = regexp.MustCompile(`^(#{1,6})\s+(.*)$`)
	bulletRe  = regexp.MustCompile(`^[-*+]\s+(.*)$`)
	orderedRe = regexp.MustCompile(`^\d{1,3}[.、]\s*(.*)$`)
	ruleRe    = regexp.MustCompile(`^(?:-{3,}|\*{3,}|_{3,})$`)
)

func (r *renderer) blocks(lines []string) {
	var para []string
	flush := func() {
		if len(para) == 0 {
			return
		}
		r.open("p", "p")
		r.lines(para)
		r.b.WriteString("</p>")
		para = nil
	}
	for i := 0; i < len(lines); i++ {
		line := strings.TrimSpace(lines[i])
		switch {
		case line == "":
			flush()
		case strings.HasPrefix(line, ":::"):
			flush()
			src := strings.TrimSpace(strings.TrimPrefix(line, ":::"))
			var text []string
			for i+1 < len(lines) && strings.TrimSpace(lines[i+1]) != ":::" {
				i++
				text = append(text, strings.TrimSpace(lines[i]))
			}
			i++ // the closing :::, if any
			r.citation(src, text)
		case headingRe.MatchString(line):
			flush()
			m := headingRe.FindStringSubmatch(line)
			tag := [...]string{"h2", "h3", "h4"}[min(len(m[1]), 3)-1]
			r.open(tag, tag)
			r.inline(strings.TrimRight(strings.TrimSpace(m[2]), "#"))
			r.b.WriteString("</" + tag + ">")
		case ruleRe.MatchString(line):
			flush()
			r.b.WriteString("<hr")
			r.look("hr")
			r.b.WriteString("/>")
		case strings.HasPrefix(line, ">"):
			flush()
			var q []string
			for ; i < len(lines); i++ {
				l := strings.TrimSpace(lines[i])
				if !strings.HasPrefix(l, ">") {
					break
				}
				q = append(q, strings.TrimSpace(strings.TrimPrefix(l, ">")))
			}
			i--
			r.open("blockquote", "quote")
			r.lines(q)
			r.b.WriteString("</blockquote>")
		case bulletRe.MatchString(line), orderedRe.MatchString(line):
			flush()
			re, tag := bulletRe, "ul"
			if !bulletRe.MatchString(line) {
				re, tag = orderedRe, "ol"
			}
			r.open(tag, tag)
			for ; i < len(lines); i++ {
				m := re.FindStringSubmatch(strings.TrimSpace(lines[i]))
				if m == nil {
					break
				}
				r.open("li", "li")
				r.inline(m[1])
				r.b.WriteString("</li>")
			}
			i--
			r.b.WriteString("</" + tag + ">")
		default:
			para = append(para, line)
		}
	}
	flush()
}

// citation writes a legal-citation block: the source named on its
// opening line, then the quoted text.
func (r *renderer) citation(src string, text []string) {
	r.open("section", "citation")
	if src != "" {
		r.open("p", "cite-src")
		r.inline(src)
		r.b.WriteString("</p>")
	}
	var nonEmpty []string
	for _, t := range text {
		if t != "" {
			nonEmpty = append(nonEmpty, t)
		}
	}
	if len(nonEmpty) > 0 {
		r.open("p", "cite-txt")
		r.lines(nonEmpty)
		r.b.WriteString("</p>")
	}
	r.b.WriteString("</section>")
}

// lines writes lines of one block separated by line breaks.
func (r *renderer) lines(ls []string) {
	for i, l := range ls {
		if i > 0 {
			r.b.WriteString("<br/>")
		}
		r.inline(l)
	}
}

// maxSpan bounds the text one piece of inline markup may span (a link's
// label or address, a bold or italic run), in bytes.
const maxSpan = 2048

// finder finds the first occurrence of tok at or after a position that
// only grows, remembering what earlier searches saw, so that a line full
// of unmatched markup ("[[[[…") is scanned once rather than once per
// opening character.
type finder struct {
	s, tok  string
	pos     int // last occurrence found, -1 none yet
	clearTo int // no occurrence starts before this (from where searches began)
}

func newFinder(s, tok string) finder { return finder{s: s, tok: tok, pos: -1} }

// next returns the first occurrence of tok in s[from:limit], or -1.
func (f *finder) next(from, limit int) int {
	limit = min(limit, len(f.s))
	if f.pos >= from {
		if f.pos+len(f.tok) <= limit {
			return f.pos
		}
		return -1
	}
	start := max(from, f.clearTo)
	if start+len(f.tok) > limit {
		return -1
	}
	i := strings.Index(f.s[start:limit], f.tok)
	if i < 0 {
		f.clearTo = limit - len(f.tok) + 1
		return -1
	}
	f.pos, f.clearTo = start+i, start+i
	return f.pos
}

// inline writes text with bold, italic, images and links.
func (r *renderer) inline(s string) {
	links, parens, bolds, ems := newFinder(s, "]("), newFinder(s, ")"), newFinder(s, "**"), newFinder(s, "*")
	// bracketed parses "[label](target)" at s[i:].
	bracketed := func(i int) (label, target string, next int, ok bool) {
		c := links.next(i+1, i+1+maxSpan)
		if c < 0 {
			return "", "", 0, false
		}
		e := parens.next(c+2, c+2+maxSpan)
		if e < 0 {
			return "", "", 0, false
		}
		label, target = s[i+1:c], strings.TrimSpace(s[c+2:e])
		if strings.ContainsAny(target, " \n") {
			return "", "", 0, false
		}
		return label, target, e + 1, true
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && strings.IndexByte(`\*_[]()!#>-+.:`+"`", s[i+1]) >= 0:
			r.text(s[i+1 : i+2])
			i += 2
			continue
		case c == '!' && i+1 < len(s) && s[i+1] == '[':
			if alt, target, next, ok := bracketed(i + 1); ok {
				r.image(alt, target)
				i = next
				continue
			}
		case c == '[':
			if label, target, next, ok := bracketed(i); ok {
				r.link(label, target)
				i = next
				continue
			}
		case c == '*' && i+1 < len(s) && s[i+1] == '*':
			if e := bolds.next(i+2, i+2+maxSpan); e > i+2 {
				r.open("strong", "strong")
				r.inline(s[i+2 : e])
				r.b.WriteString("</strong>")
				i = e + 2
				continue
			}
		case c == '*':
			if e := ems.next(i+1, i+1+maxSpan); e > i+1 {
				r.b.WriteString("<em>")
				r.inline(s[i+1 : e])
				r.b.WriteString("</em>")
				i = e + 1
				continue
			}
		}
		// Plain text up to the next character that may start markup.
		n := strings.IndexAny(s[i+1:], `\![*`)
		if n < 0 {
			n = len(s) - i - 1
		}
		r.text(s[i : i+1+n])
		i += 1 + n
	}
}

// ImagePrefix starts the target of an uploaded image in a body:
// ![说明](img:<id>).
const ImagePrefix = "img:"

func (r *renderer) image(alt, target string) {
	id, ok := strings.CutPrefix(target, ImagePrefix)
	src := ""
	if ok && r.o.Image != nil {
		src, ok = r.o.Image(id)
	}
	if !ok || !safeImageSrc(src) {
		// An external picture would be dropped by WeChat; say what is
		// missing instead of leaving a hole.
		r.open("span", "missing")
		r.text("［图片：" + alt + "］")
		r.b.WriteString("</span>")
		return
	}
	r.b.WriteString(`<img src="` + html.EscapeString(src) + `" alt="` + html.EscapeString(clean(alt)) + `"`)
	r.look("img")
	r.b.WriteString("/>")
}

// safeImageSrc admits https addresses and the console's own paths.
func safeImageSrc(src string) bool {
	if strings.HasPrefix(src, "/") && !strings.HasPrefix(src, "//") {
		return true
	}
	u, err := url.Parse(src)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

// WeChatArticleHost is the only host whose links WeChat makes clickable in
// an article.
const WeChatArticleHost = "mp.weixin.qq.com"

func (r *renderer) link(label, target string) {
	if strings.TrimSpace(label) == "" {
		label = target
	}
	u, err := url.Parse(target)
	if err == nil && (u.Scheme == "https" || u.Scheme == "http") && strings.EqualFold(u.Host, WeChatArticleHost) && u.User == nil {
		// Rebuilt rather than echoed: one canonical https address.
		href := &url.URL{Scheme: "https", Host: WeChatArticleHost, Path: u.Path, RawQuery: u.RawQuery, Fragment: u.Fragment}
		if href.Path == "" {
			href.Path = "/"
		}
		r.b.WriteString(`<a href="` + html.EscapeString(href.String()) + `">`)
		r.inline(label)
		r.b.WriteString("</a>")
		return
	}
	r.inline(label)
	if label != target {
		r.text("（" + target + "）")
	}
}

// text writes escaped text.
func (r *renderer) text(s string) { r.b.WriteString(html.EscapeString(clean(s))) }

func clean(s string) string {
	if !utf8.ValidString(s) {
		return strings.ToValidUTF8(s, "\uFFFD")
	}
	return s
}
