package articles

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestConsoleCSSMirrorsInlineStyles holds the console's phone preview to
// what WeChat shows: each class rule in console/static/style.css must
// declare exactly the inline style Render gives WeChat.
func TestConsoleCSSMirrorsInlineStyles(t *testing.T) {
	css, err := os.ReadFile("../console/static/style.css")
	if err != nil {
		t.Fatal(err)
	}
	for kind, l := range looks {
		m := regexp.MustCompile(`(?m)^\.` + regexp.QuoteMeta(l.class) + `\{([^}]*)\}`).FindSubmatch(css)
		if m == nil {
			t.Errorf("%s: style.css has no .%s rule", kind, l.class)
			continue
		}
		if got, want := strings.TrimSuffix(string(m[1]), ";"), strings.TrimSuffix(l.style, ";"); got != want {
			t.Errorf(".%s is %q in style.css, %q for WeChat", l.class, got, want)
		}
	}
}
