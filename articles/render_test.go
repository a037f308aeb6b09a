package articles_test

import (
	"encoding/xml"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/pufa-dev/pufa/articles"
)

func consoleImages(id string) (string, bool) {
	if id == "00112233445566778899aabbccddeeff" {
		return "/console/articles/images/" + id, true
	}
	return "", false
}

func TestRenderWeChatSubset(t *testing.T) {
	preview := articles.RenderOptions{Image: consoleImages, Preview: true}
	tests := []struct {
		name, body string
		want       []string // substrings of the output, in order
		absent     []string
	}{
		{"heading and paragraph", "# 宪法宣传周\n\n宪法是国家的根本法。\n第二行",
			[]string{`<h2 class="pf-h2">宪法宣传周</h2>`, `<p class="pf-p">宪法是国家的根本法。<br/>第二行</p>`}, nil},
		{"deeper headings", "## 一、权利\n### （一）平等", []string{`<h3 class="pf-h3">一、权利</h3>`, `<h4 class="pf-h4">（一）平等</h4>`}, nil},
		{"bold and italic", "**公民**在法律面前*一律平等*", []string{`<strong class="pf-strong">公民</strong>`, `<em>一律平等</em>`}, nil},
		{"bullet list", "- 第一条\n- 第二条\n\n后文", []string{`<ul class="pf-list"><li class="pf-li">第一条</li><li class="pf-li">第二条</li></ul>`, `<p class="pf-p">后文</p>`}, nil},
		{"ordered list", "1. 申请\n2、受理", []string{`<ol class="pf-list"><li class="pf-li">申请</li><li class="pf-li">受理</li></ol>`}, nil},
		{"quote", "> 法律是治国之重器\n> 良法是善治之前提", []string{`<blockquote class="pf-quote">法律是治国之重器<br/>良法是善治之前提</blockquote>`}, nil},
		{"legal citation block", "::: 《中华人民共和国宪法》第三十三条\n中华人民共和国公民在法律面前一律平等。\n:::",
			[]string{`<section class="pf-citation"><p class="pf-cite-src">《中华人民共和国宪法》第三十三条</p><p class="pf-cite-txt">中华人民共和国公民在法律面前一律平等。</p></section>`}, nil},
		{"uploaded image", "![宣传海报](img:00112233445566778899aabbccddeeff)",
			[]string{`<img src="/console/articles/images/00112233445566778899aabbccddeeff" alt="宣传海报" class="pf-img"/>`}, nil},
		{"image not uploaded here is named, not shown", "![外链](https://example.com/a.png)",
			[]string{`［图片：外链］`}, []string{"<img"}},
		{"WeChat article link is clickable", "[往期回顾](https://mp.weixin.qq.com/s/abc)",
			[]string{`<a href="https://mp.weixin.qq.com/s/abc">往期回顾</a>`}, nil},
		{"other links are text with their address", "[国家法律法规数据库](https://flk.npc.gov.cn/)",
			[]string{`国家法律法规数据库（https://flk.npc.gov.cn/）`}, []string{"<a"}},
		{"script link is text", "[点我](javascript:alert(1))", []string{"点我"}, []string{"<a", "href"}},
		{"HTML is escaped", "<script>alert(1)</script><iframe src=x>", []string{"&lt;script&gt;alert(1)&lt;/script&gt;&lt;iframe src=x&gt;"}, []string{"<script", "<iframe"}},
		{"quotes in an alt are escaped", `![a" onerror="x](img:00112233445566778899aabbccddeeff)`, []string{`alt="a&#34; onerror=&#34;x"`}, nil},
		{"rule", "上文\n\n---\n\n下文", []string{`<hr class="pf-hr"/>`}, nil},
		{"escaped markup is literal", `\*不是斜体\*`, []string{`*不是斜体*`}, []string{"<em>"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := articles.Render(tt.body, preview)
			at := 0
			for _, w := range tt.want {
				i := strings.Index(got[at:], w)
				if i < 0 {
					t.Fatalf("output lacks %q after offset %d:\n%s", w, at, got)
				}
				at += i + len(w)
			}
			for _, a := range tt.absent {
				if strings.Contains(got, a) {
					t.Errorf("output has %q:\n%s", a, got)
				}
			}
			if err := checkAllowed(got); err != nil {
				t.Errorf("%v in\n%s", err, got)
			}
		})
	}
}

func TestRenderForWeChatUsesInlineStyles(t *testing.T) {
	got := articles.Render("## 标题\n\n正文", articles.RenderOptions{})
	if !strings.Contains(got, `<h3 style="`) || !strings.Contains(got, `<p style="`) || strings.Contains(got, "class=") {
		t.Errorf("WeChat output = %s", got)
	}
}

func TestImageRefs(t *testing.T) {
	body := "![a](img:00112233445566778899aabbccddeeff) ![b](img:ffeeddccbbaa99887766554433221100)\n![a again](img:00112233445566778899aabbccddeeff) ![x](https://e.com/x.png)"
	got := articles.ImageRefs(body)
	want := []string{"00112233445566778899aabbccddeeff", "ffeeddccbbaa99887766554433221100"}
	if !slices.Equal(got, want) {
		t.Errorf("ImageRefs = %v, want %v", got, want)
	}
}

// checkAllowed parses out as XML (Render writes well-formed markup) and
// holds every element and attribute to articles.AllowedTags; links must go
// to mp.weixin.qq.com and images to the resolver's addresses.
func checkAllowed(out string) error {
	allowed := articles.AllowedTags()
	dec := xml.NewDecoder(strings.NewReader("<root>" + out + "</root>"))
	dec.Strict = true
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local == "root" {
			continue
		}
		attrs, ok := allowed[se.Name.Local]
		if !ok {
			return errors.New("tag " + se.Name.Local + " is not allowed")
		}
		for _, a := range se.Attr {
			if !slices.Contains(attrs, a.Name.Local) || a.Name.Space != "" {
				return errors.New("attribute " + a.Name.Local + " on " + se.Name.Local + " is not allowed")
			}
			switch a.Name.Local {
			case "href":
				if !strings.HasPrefix(a.Value, "https://mp.weixin.qq.com/") {
					return errors.New("link to " + a.Value)
				}
			case "src":
				if !strings.HasPrefix(a.Value, "/console/articles/images/") {
					return errors.New("image from " + a.Value)
				}
			case "style", "class":
				if strings.ContainsAny(a.Value, `"<>`) || strings.Contains(a.Value, "url(") {
					return errors.New("look " + a.Value)
				}
			}
		}
	}
}

func FuzzRender(f *testing.F) {
	for _, s := range []string{"# 标题\n正文 **粗** *斜*", "- a\n1. b\n> c\n::: 法\n条文\n:::", "[x](https://mp.weixin.qq.com/s/1)",
		"![a](img:00112233445566778899aabbccddeeff)", "<b>&amp;</b>\x00\xff", "**[*a*](javascript:x)**", "\\*\\[x](y)", "[a](https://mp.weixin.qq.com/\"onmouseover=x)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		for _, preview := range []bool{true, false} {
			out := articles.Render(body, articles.RenderOptions{Image: consoleImages, Preview: preview})
			if err := checkAllowed(out); err != nil {
				t.Fatalf("%v\nbody %q\nout %s", err, body, out)
			}
		}
	})
}

// BenchmarkRenderUnmatchedMarkup renders 200 KB of markup that never
// closes; the time per byte should not grow with the length (it did, at
// 2.4 s for this input, before the finder remembered its searches).
func BenchmarkRenderUnmatchedMarkup(b *testing.B) {
	for _, p := range []string{"[a", "![[", "[*", "**a*", "*"} {
		body := strings.Repeat(p, 200_000/len(p))
		b.Run(p, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				articles.Render(body, articles.RenderOptions{})
			}
		})
	}
}
