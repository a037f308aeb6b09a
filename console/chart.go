package console

import (
	"fmt"
	"html"
	"html/template"
	"strings"
)

// barChart renders a horizontal bar chart as inline SVG. Labels are
// escaped here, which is what makes returning template.HTML safe.
func barChart(title string, labels []string, values []int64) template.HTML {
	const width, labelW, rowH, top = 640, 150, 22, 30
	var maxV int64 = 1
	for _, v := range values {
		maxV = max(maxV, v)
	}
	h := top + rowH*max(len(values), 1) + 10
	var b strings.Builder
	fmt.Fprintf(&b, `<figure class="chart"><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" role="img" aria-label="%s">`,
		width, h, html.EscapeString(title))
	fmt.Fprintf(&b, `<text x="0" y="18" class="t">%s</text>`, html.EscapeString(title))
	if len(values) == 0 {
		fmt.Fprintf(&b, `<text x="0" y="%d" class="l">暂无数据</text>`, top+15)
	}
	barMax := width - labelW - 70
	for i, v := range values {
		y := top + i*rowH
		w := int(int64(barMax) * v / maxV)
		if v > 0 && w < 2 {
			w = 2
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="l" text-anchor="end">%s</text>`, labelW-8, y+15, html.EscapeString(labels[i]))
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" class="b"/>`, labelW, y+3, w, rowH-6)
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="v">%d</text>`, labelW+w+6, y+15, v)
	}
	b.WriteString(`</svg></figure>`)
	return template.HTML(b.String()) //nolint:gosec // every interpolated string is escaped above
}
