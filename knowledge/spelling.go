package knowledge

import "strings"

// residentSpellings maps what residents type (homophone typos from pinyin
// input, colloquial and regional words) to the one spelling the bank and the
// statutes use. Both the question and every bank wording are rewritten, so a
// question typed 离昏 meets entries written 离婚, and 东家 meets 老板. Keep
// entries unambiguous: a word that is also right in another sense does not
// belong here.
var residentSpellings = map[string]string{
	// Pinyin-input typos seen in residents' messages.
	"离昏": "离婚", "离混": "离婚", "离魂": "离婚", "结昏": "结婚",
	"赔尝": "赔偿", "陪偿": "赔偿", "赔常": "赔偿", "培偿": "赔偿",
	"继成": "继承", "继乘": "继承", "寄承": "继承",
	"遗瞩": "遗嘱", "遗祝": "遗嘱",
	"仲栽": "仲裁", "仲才": "仲裁", "仲材": "仲裁", "忠裁": "仲裁",
	"工上": "工伤", "工商认定": "工伤认定", "工伤认证": "工伤认定", "公伤": "工伤",
	"押经": "押金", "压金": "押金", "鸭金": "押金",
	"抚样": "抚养", "付养": "抚养",
	"瞻养": "赡养", "善养": "赡养", "赡样": "赡养", "膳养": "赡养", "扇养": "赡养",
	"彩里": "彩礼", "财礼": "彩礼",
	"欠调": "欠条", "欠据": "欠条",
	"诉讼时校": "诉讼时效", "诉讼实效": "诉讼时效", "时郊": "时效",
	"起述": "起诉", "上述期": "上诉期",
	"拆签": "拆迁", "征手": "征收",
	"家爆": "家暴", "家庭暴利": "家庭暴力",
	"物业废": "物业费",
	"社宝":  "社保", "五险一经": "五险一金",
	"合桐": "合同", "签和同": "签合同", "劳动和同": "劳动合同", "租房和同": "租房合同", "和同到期": "合同到期",
	"辞褪": "辞退", "辞推": "辞退", "词退": "辞退", "补尝": "补偿",
	"加版": "加班", "加斑": "加班", "加班废": "加班费",
	"试用其": "试用期",
	"诈编":  "诈骗", "炸骗": "诈骗",
	"律帅": "律师",
	// Colloquial and regional words.
	"东家":   "老板",
	"老板娘":  "老板",
	"包工头子": "包工头",
	"娃儿":   "孩子", "娃娃": "孩子", "娃": "孩子", "小孩": "孩子", "小孩子": "孩子", "崽": "孩子", "闺女": "女儿",
	"媳妇": "妻子", "老婆": "妻子", "爱人": "配偶", "婆娘": "妻子",
	"老公": "丈夫", "老公公": "公公",
	"俺": "我", "咱": "我们", "咱们": "我们",
	"咋办": "怎么办", "咋整": "怎么办", "咋弄": "怎么办", "怎办": "怎么办", "肿么办": "怎么办",
	"咋": "怎么",
	"啥": "什么",
	// Question words kept for matching questions: one form of each asking.
	"在哪里": "哪里", "在哪儿": "哪里", "在哪": "哪里", "哪儿": "哪里", "在哪个": "哪个", "在哪家": "哪家",
	"如何": "怎么", "怎样": "怎么", "多长时间": "多久",
	"工钱": "工资", "薪水": "工资", "薪资": "工资", "人工费": "工资",
	"炒鱿鱼": "辞退", "被开了": "被辞退", "被开了罚单": "被开罚单",
	"打白条": "欠条", "白条": "欠条",
	"房东太太": "房东",
	"电驴":   "电动车", "电瓶车": "电动车", "电摩": "电动车",
	"坐牢": "判刑", "蹲监狱": "判刑", "吃牢饭": "判刑",
	"告他": "起诉他", "告她": "起诉她", "打官司": "起诉",
	"网贷": "网络借款",
	// Family words: residents write 爸妈 and 兄妹 where wordings and statutes
	// write 父母 and 兄弟姐妹; one spelling lets the one meet the other.
	"爸妈": "父母", "爹妈": "父母", "爸爸": "父亲", "老爸": "父亲", "妈妈": "母亲", "老妈": "母亲",
	"我爸": "我父亲", "我妈": "我母亲", "他爸": "他父亲", "他妈": "他母亲", "她爸": "她父亲", "她妈": "她母亲",
	"兄妹": "兄弟姐妹", "姐弟": "兄弟姐妹", "过世": "去世",
	"后妈": "继母", "后爸": "继父", "老伴": "配偶",
	// A parent or spouse who "走了" has died; the replacer does not chain, so
	// each spells its whole result.
	"老爸走了": "父亲去世了", "我爸走了": "我父亲去世了", "爸爸走了": "父亲去世了",
	"老妈走了": "母亲去世了", "我妈走了": "我母亲去世了", "妈妈走了": "母亲去世了",
	"爸妈走了": "父母去世了", "爸妈都走了": "父母都去世了", "父母都走了": "父母都去世了",
	"老伴走了": "配偶去世了", "老人走了": "老年人去世了",
	"爷爷走了": "爷爷去世了", "奶奶走了": "奶奶去世了",
	"欺负": "欺凌", "社保断交": "社保断缴",
	"老人家": "老年人", "老人": "老年人",
	// Everyday words for what the statutes name otherwise.
	"房子": "房屋", "取现": "取钱", "五险": "社保", "车祸": "交通事故",
	"酒驾": "饮酒后驾驶", "醉驾": "醉酒驾驶", "跑路": "逃匿", "小三": "第三者",
	// Courtesies carry nothing to match and dilute a short question's
	// terms; they are dropped (a message that is only a courtesy is answered
	// by the keyword rules before it gets here).
	"我想咨询一下": "", "想咨询一下": "", "咨询一下": "", "请问一下": "", "麻烦问一下": "", "麻烦问下": "",
	"问一下": "", "请问": "", "您好": "", "你好": "", "谢谢您": "", "谢谢你": "", "谢谢了": "", "谢谢": "",
	// What residents call the limitation period of a debt.
	"欠条多久过期": "欠条诉讼时效多久", "借条多久过期": "借条诉讼时效多久",
	"欠条过期": "欠条过了诉讼时效", "借条过期": "借条过了诉讼时效",
	"欠条有效期": "欠条诉讼时效", "借条有效期": "借条诉讼时效",
	"欠条作废": "欠条过了诉讼时效", "借条作废": "借条过了诉讼时效",
}

// spelling rewrites text with residentSpellings, longest match first.
type spelling struct{ r *strings.Replacer }

func newSpelling(m map[string]string) *spelling {
	pairs := make([]string, 0, 2*len(m))
	// strings.Replacer compares in argument order at each position, so
	// longer keys go first: 工商认定 before any shorter key it contains.
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sortByLengthDesc(keys)
	for _, k := range keys {
		if k != m[k] {
			pairs = append(pairs, k, m[k])
		}
	}
	return &spelling{strings.NewReplacer(pairs...)}
}

func (s *spelling) fix(text string) string { return s.r.Replace(text) }

func sortByLengthDesc(keys []string) {
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && (len([]rune(keys[j])) > len([]rune(keys[j-1])) ||
			len([]rune(keys[j])) == len([]rune(keys[j-1])) && keys[j] < keys[j-1]); j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
}
