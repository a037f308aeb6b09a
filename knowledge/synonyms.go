package knowledge

// colloquialTerms maps words residents use to the terms statutes use. When a
// key occurs in a question, the expansion's phrases are searched too (with a
// lower weight than the question's own words). Keep entries precise: a broad
// expansion pulls in unrelated articles.
var colloquialTerms = map[string]string{
	// Marriage and family.
	"离婚冷静期":  "离婚 登记 申请 三十日 撤回",
	"冷静期":    "离婚 申请 三十日 撤回",
	"彩礼":     "彩礼 借婚姻索取财物 返还",
	"结婚":     "结婚 婚姻登记",
	"领证":     "结婚登记 婚姻登记",
	"老公":     "配偶 夫妻",
	"老婆":     "配偶 夫妻",
	"丈夫":     "配偶 夫妻",
	"妻子":     "配偶 夫妻",
	"出轨":     "与他人同居 夫妻 忠实 离婚 损害赔偿",
	"小三":     "有配偶者与他人同居",
	"外遇":     "有配偶者与他人同居",
	"重婚":     "重婚",
	"家暴":     "家庭暴力",
	"打老婆":    "家庭暴力 殴打",
	"抚养费":    "抚养费 子女 负担",
	"抚养权":    "直接抚养 子女 离婚",
	"赡养":     "赡养 赡养费 子女 父母",
	"养老":     "赡养 老年人",
	"遗产":     "遗产 继承",
	"遗嘱":     "遗嘱 继承",
	"分家产":    "遗产 分割 继承",
	"夫妻共同财产": "夫妻 共同财产 分割",
	"婚前财产":   "夫妻一方的个人财产 婚前",
	"私生子":    "非婚生子女",
	"收养":     "收养",
	// Work.
	"欠薪":   "拖欠 劳动报酬 工资",
	"拖欠工资": "拖欠 劳动报酬 工资",
	"欠工资":  "拖欠 劳动报酬 工资",
	"讨薪":   "拖欠 劳动报酬 工资",
	"工资":   "劳动报酬 工资",
	"辞退":   "解除劳动合同 用人单位",
	"开除":   "解除劳动合同 用人单位",
	"炒鱿鱼":  "解除劳动合同 用人单位",
	"被裁":   "解除劳动合同 裁减人员",
	"裁员":   "裁减人员 解除劳动合同",
	"辞职":   "劳动者 解除劳动合同 提前三十日",
	"离职":   "解除劳动合同 劳动者",
	"赔偿金":  "经济补偿 赔偿金",
	"补偿金":  "经济补偿",
	"试用期":  "试用期",
	"加班":   "加班 延长工作时间 加班费",
	"加班费":  "加班费 延长工作时间",
	"五险一金": "社会保险 住房公积金",
	"社保":   "社会保险",
	"没签合同": "未订立书面劳动合同 二倍工资",
	"不签合同": "未订立书面劳动合同 二倍工资",
	"双倍工资": "二倍的工资 未订立书面劳动合同",
	"工伤":   "工伤 职业病",
	"包工头":  "发包 个人承包经营 用工",
	"押金":   "押金 担保 扣押",
	"老板":   "用人单位 雇主 经营者",
	"公司":   "用人单位 公司",
	"劳务派遣": "劳务派遣",
	"仲裁":   "仲裁 劳动争议",
	// Money and contracts.
	"老赖":   "失信 被执行人",
	"借钱":   "借款合同 借款",
	"借钱不还": "借款 逾期 返还 借款人",
	"欠钱":   "债务 借款 清偿",
	"欠钱不还": "债务 清偿 借款 逾期",
	"借条":   "借款合同 借据",
	"欠条":   "债务 借据",
	"高利贷":  "利率 民间借贷 利息",
	"利息":   "利息 利率",
	"定金":   "定金",
	"订金":   "定金 预付款",
	"违约":   "违约责任",
	"毁约":   "违约责任 解除合同",
	"担保":   "保证 担保",
	"担保人":  "保证人 保证",
	"房东":   "出租人 租赁",
	"租客":   "承租人 租赁",
	"租房":   "租赁合同 承租人 出租人",
	"房租":   "租金 租赁",
	"退租":   "解除 租赁合同",
	"二房东":  "转租 承租人",
	"物业费":  "物业费 物业服务",
	"物业":   "物业服务人 业主",
	"装修":   "装饰装修",
	"买房":   "房屋买卖 商品房",
	"二手房":  "房屋买卖",
	"过户":   "不动产登记 转移登记",
	"房产证":  "不动产权属证书 不动产登记",
	"拆迁":   "征收 补偿",
	"宅基地":  "宅基地使用权",
	// Consumers.
	"假货":    "欺诈 假冒 三倍",
	"假一赔三":  "欺诈 增加赔偿 三倍",
	"退一赔三":  "欺诈 增加赔偿 三倍",
	"退货":    "退货 七日 无理由",
	"七天无理由": "七日 无理由退货",
	"网购":    "网络 购买商品 电商平台",
	"快递":    "快递 寄递",
	"预付卡":   "预付款 预收款",
	"办卡":    "预付款 预收款",
	"健身房":   "预收款 服务",
	"投诉":    "投诉 消费者协会",
	"商家":    "经营者",
	"霸王条款":  "格式条款 不公平 不合理",
	// Injury, crime, public order.
	"打人":    "殴打 故意伤害 他人身体",
	"被打":    "殴打 伤害 人身",
	"打架":    "殴打 斗殴 故意伤害",
	"骂人":    "侮辱 公然侮辱",
	"造谣":    "诽谤 捏造事实",
	"诽谤":    "诽谤",
	"偷东西":   "盗窃",
	"小偷":    "盗窃",
	"骗钱":    "诈骗",
	"骗子":    "诈骗",
	"电信诈骗":  "电信网络诈骗",
	"网络诈骗":  "电信网络诈骗",
	"刷单":    "电信网络诈骗 虚假交易",
	"杀猪盘":   "电信网络诈骗",
	"银行卡":   "银行账户 支付账户",
	"出借银行卡": "出租 出借 银行账户",
	"吸毒":    "吸食 注射毒品",
	"毒品":    "毒品",
	"酒驾":    "饮酒 驾驶",
	"醉驾":    "醉酒 驾驶",
	"车祸":    "交通事故 机动车",
	"撞人":    "交通事故 机动车 损害",
	"狗咬":    "饲养的动物 损害",
	"被狗咬":   "饲养的动物 损害",
	"高空抛物":  "建筑物中抛掷物品 坠落",
	"精神损失费": "精神损害赔偿",
	"赔偿":    "赔偿 损害",
	"隐私":    "隐私权 个人信息",
	"肖像":    "肖像权",
	"偷拍":    "隐私 私密活动 偷窥 偷拍",
	"拘留":    "拘留",
	"罚款":    "罚款",
	// Minors and the elderly.
	"小孩":   "未成年人 儿童",
	"孩子":   "未成年人 子女",
	"未成年":  "未成年人",
	"校园欺凌": "学生欺凌",
	"霸凌":   "学生欺凌",
	"沉迷网络": "沉迷网络 网络游戏",
	"打游戏":  "网络游戏",
	"留守儿童": "留守未成年人",
	"老人":   "老年人",
	// Services.
	"打官司":   "诉讼 人民法院 起诉",
	"起诉":    "起诉 人民法院",
	"告他":    "起诉 人民法院",
	"请律师":   "律师 法律援助",
	"没钱请律师": "法律援助 经济困难",
	"免费律师":  "法律援助",
	"法律援助":  "法律援助",
	"调解":    "人民调解 调解",
	"邻居":    "相邻 邻里",
	"噪音":    "噪声 相邻",
	"漏水":    "相邻 排水 损害",
	"保护令":   "人身安全保护令",
	"时效":    "诉讼时效",
	"过期":    "期限 届满",
	"多久":    "期限 日内 小时内",
	"多长时间":  "期限 日内 小时内",
	"收费":    "收取 费用",
	"要钱":    "收取 费用",
	"免费":    "不收取 费用",
}

// synonymTable finds colloquial terms in a question and yields the
// expansion terms to search as well.
type synonymTable struct {
	keys *phraseSet
	exp  map[string][]rune
}

func newSynonymTable(m map[string]string) *synonymTable {
	t := &synonymTable{exp: make(map[string][]rune, len(m))}
	var keys []string
	for k, v := range m {
		keys = append(keys, k)
		t.exp[k] = normalizeRunes(nil, v)
	}
	t.keys = newPhraseSet(keys)
	return t
}

// expand appends the runes of every expansion triggered by rs (normalised
// query runes), each separated by a gap. Longest keys win at a position, so
// 离婚冷静期 expands once, not also as 冷静期.
func (t *synonymTable) expand(dst []rune, rs []rune) []rune {
	for i := 0; i < len(rs); {
		if rs[i] == gap {
			i++
			continue
		}
		n := t.keys.match(rs, i)
		if n == 0 {
			i++
			continue
		}
		dst = append(dst, gap)
		dst = append(dst, t.exp[string(rs[i:i+n])]...)
		i += n
	}
	return dst
}

// replace rewrites rs with every colloquial key replaced by its expansion,
// the question as a statute would word it.
func (t *synonymTable) replace(dst []rune, rs []rune) []rune {
	for i := 0; i < len(rs); {
		if rs[i] == gap {
			dst = append(dst, gap)
			i++
			continue
		}
		n := t.keys.match(rs, i)
		if n == 0 {
			dst = append(dst, rs[i])
			i++
			continue
		}
		dst = append(dst, gap)
		dst = append(dst, t.exp[string(rs[i:i+n])]...)
		dst = append(dst, gap)
		i += n
	}
	return dst
}
