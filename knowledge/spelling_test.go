package knowledge

import "testing"

// Respelling meets residents' words with the bank's, and leaves alone the
// words that only look like a typo inside a longer, correct word.
func TestResidentSpellings(t *testing.T) {
	sp := newSpelling(residentSpellings)
	for _, c := range []struct{ in, want string }{
		{"离昏冷静期多久", "离婚冷静期多久"},
		{"签和同了吗", "签合同了吗"},
		{"孩子和同学打架", "孩子和同学打架"},
		{"我和同事吵架", "我和同事吵架"},
		{"老公公不让我回家", "公公不让我回家"},
		{"咱们小区", "我们小区"},
		{"被开了罚单", "被开罚单"},
		{"爸妈都走了没留遗瞩", "父母都去世了没留遗嘱"},
		{"老伴走了", "配偶去世了"},
		{"工伤认证要多久", "工伤认定要多久"},
		{"您好，我想咨询一下，老板拖欠工资怎么办 谢谢", "，，老板拖欠工资怎么办 "},
		{"法律咨询去哪", "法律咨询去哪"},
	} {
		if got := sp.fix(c.in); got != c.want {
			t.Errorf("fix(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
