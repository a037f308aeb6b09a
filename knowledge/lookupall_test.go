package knowledge

import (
	"strconv"
	"testing"
)

// Every article of every embedded law can be looked up by the forms residents
// type: the law's short name with an Arabic or a Chinese article number, and
// the full name in 《》. The national set is checked too, so switching
// knowledge.laws to national never loses a lookup.
func TestEveryEmbeddedLawLooksUp(t *testing.T) {
	for _, set := range []LawSet{LawsDefault, LawsNational} {
		c, err := EmbeddedCorpus(set)
		if err != nil {
			t.Fatal(err)
		}
		var tried, failed int
		for _, l := range c.Laws() {
			arts := l.Articles
			for _, a := range []*Article{arts[0], arts[len(arts)/2], arts[len(arts)-1]} {
				num := strconv.Itoa(a.Number)
				if a.Sub > 0 {
					num = FormatChinese(a.Number) + "条之" + FormatChinese(a.Sub)
				}
				for _, q := range []string{
					l.ShortName + "第" + num + "条",
					"《" + l.Name + "》" + a.NumberCN(),
					l.ShortName + a.NumberCN(),
				} {
					if a.Sub > 0 && q == l.ShortName+"第"+num+"条" {
						q = l.ShortName + "第" + num
					}
					tried++
					ref, ok := ParseArticleRef(q)
					if !ok {
						failed++
						if failed <= 10 {
							t.Errorf("%s: %q does not parse", set, q)
						}
						continue
					}
					if res := c.Resolve(ref); res.Article != a {
						failed++
						if failed <= 10 {
							t.Errorf("%s: %q resolves to %v (%s), want %s", set, q, res.Article, res.Status, a.Name())
						}
					}
				}
			}
		}
		if failed > 0 {
			t.Errorf("%s: %d of %d lookups failed", set, failed, tried)
		}
	}
}
