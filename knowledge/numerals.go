package knowledge

import (
	"errors"
	"fmt"
	"strings"
)

var cnDigits = [10]string{"零", "一", "二", "三", "四", "五", "六", "七", "八", "九"}

// maxChineseNumeral bounds FormatChinese and ParseChinese: statute article
// numbers stay far below it, and the bound keeps arithmetic in int range.
const maxChineseNumeral = 99999999

// FormatChinese writes n in Chinese numerals as statutes do (1077 → 一千零七十七,
// 10 → 十, 110 → 一百一十); n must be in 0..99,999,999.
func FormatChinese(n int) string {
	if n < 0 || n > maxChineseNumeral {
		return fmt.Sprint(n)
	}
	if n == 0 {
		return cnDigits[0]
	}
	var b strings.Builder
	if hi := n / 10000; hi > 0 {
		writeBelow10000(&b, hi, true)
		b.WriteString("万")
		if lo := n % 10000; lo > 0 {
			if lo < 1000 {
				b.WriteString(cnDigits[0])
			}
			writeBelow10000(&b, lo, false)
		}
		return b.String()
	}
	writeBelow10000(&b, n, true)
	return b.String()
}

// writeBelow10000 writes 1..9999; leading says whether the group starts the
// number, where 一十 is shortened to 十 (十二 but 一百一十二).
func writeBelow10000(b *strings.Builder, n int, leading bool) {
	units := [4]string{"千", "百", "十", ""}
	divs := [4]int{1000, 100, 10, 1}
	started, zero := false, false
	for i, d := range divs {
		digit := n / d % 10
		if digit == 0 {
			if started {
				zero = true
			}
			continue
		}
		if zero {
			b.WriteString(cnDigits[0])
			zero = false
		}
		if !(digit == 1 && i == 2 && !started && leading) {
			b.WriteString(cnDigits[digit])
		}
		b.WriteString(units[i])
		started = true
	}
}

var errBadNumeral = errors.New("not a Chinese numeral")

// ParseChinese reads a Chinese numeral such as 一千零七十七, 十, 两百, or a
// digit-by-digit form such as 一〇七七; it also accepts Arabic digits.
func ParseChinese(s string) (int, error) {
	if s == "" {
		return 0, errBadNumeral
	}
	if n, ok := parseArabic(s); ok {
		return n, nil
	}
	rs := []rune(s)
	hasUnit := false
	for _, r := range rs {
		if _, ok := cnUnit(r); ok {
			hasUnit = true
			break
		}
	}
	if !hasUnit {
		// Digit-by-digit form, as in years (二〇一二) or 一〇七七.
		n := 0
		for _, r := range rs {
			d, ok := cnDigit(r)
			if !ok {
				return 0, fmt.Errorf("%w: %q", errBadNumeral, s)
			}
			n = n*10 + d
			if n > maxChineseNumeral {
				return 0, fmt.Errorf("%w: %q too large", errBadNumeral, s)
			}
		}
		return n, nil
	}
	total, section, digit := 0, 0, -1
	for _, r := range rs {
		if d, ok := cnDigit(r); ok {
			if digit > 0 {
				// Two digits in a row (一二百) is not a numeral; 零 may repeat.
				if d != 0 {
					return 0, fmt.Errorf("%w: %q", errBadNumeral, s)
				}
				continue
			}
			if d == 0 {
				digit = -1
				continue
			}
			digit = d
			continue
		}
		u, ok := cnUnit(r)
		if !ok {
			return 0, fmt.Errorf("%w: %q", errBadNumeral, s)
		}
		if u == 10000 {
			if digit > 0 {
				section += digit
			}
			if section == 0 {
				return 0, fmt.Errorf("%w: %q", errBadNumeral, s)
			}
			total += section * 10000
			section, digit = 0, -1
			continue
		}
		if digit < 0 {
			// A bare unit means one of it (十二 = 12) but only where nothing
			// of a higher unit is pending in this section (一百十 is accepted
			// loosely as 110, as people write it).
			digit = 1
		}
		section += digit * u
		digit = -1
	}
	if digit > 0 {
		section += digit
	}
	total += section
	if total > maxChineseNumeral {
		return 0, fmt.Errorf("%w: %q too large", errBadNumeral, s)
	}
	return total, nil
}

func parseArabic(s string) (int, bool) {
	n := 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			n = n*10 + int(r-'0')
		case r >= '０' && r <= '９':
			n = n*10 + int(r-'０')
		default:
			return 0, false
		}
		if n > maxChineseNumeral {
			return 0, false
		}
	}
	return n, true
}

func cnDigit(r rune) (int, bool) {
	switch r {
	case '零', '〇', '○':
		return 0, true
	case '一', '壹':
		return 1, true
	case '二', '两', '贰':
		return 2, true
	case '三', '叁':
		return 3, true
	case '四', '肆':
		return 4, true
	case '五', '伍':
		return 5, true
	case '六', '陆':
		return 6, true
	case '七', '柒':
		return 7, true
	case '八', '捌':
		return 8, true
	case '九', '玖':
		return 9, true
	}
	return 0, false
}

func cnUnit(r rune) (int, bool) {
	switch r {
	case '十', '拾':
		return 10, true
	case '百', '佰':
		return 100, true
	case '千', '仟':
		return 1000, true
	case '万':
		return 10000, true
	}
	return 0, false
}
