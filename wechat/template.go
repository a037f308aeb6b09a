package wechat

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// TemplateFieldError is a template or subscription-notice field whose value
// WeChat would refuse (errcode 47003) or no longer shows. Its message is in
// Chinese because campaign validation shows it to staff as is.
type TemplateFieldError struct {
	Key    string // e.g. "thing1"
	Reason string // Chinese
}

func (e *TemplateFieldError) Error() string {
	return fmt.Sprintf("模板字段 %s：%s", e.Key, e.Reason)
}

// fieldRule is WeChat's rule for one keyword type; the type is the key
// without its trailing digits ("thing1" → "thing").
type fieldRule struct {
	name  string // Chinese name of the type
	check func(v string) string
}

var (
	numberRe       = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?$`)
	letterRe       = regexp.MustCompile(`^[A-Za-z]+$`)
	charStringRe   = regexp.MustCompile(`^[\x21-\x7e]+$`) // digits, letters, ASCII symbols
	amountRe       = regexp.MustCompile(`^[¥￥$€£]?[0-9]{1,10}(\.[0-9]+)?元?$`)
	phoneRe        = regexp.MustCompile(`^[0-9+\-() ]+$`)
	carNumberRe    = regexp.MustCompile(`^\p{Han}?[A-Za-z0-9]+\p{Han}?$`)
	clockRe        = regexp.MustCompile(`[0-9]{1,2}:[0-9]{2}`)
	dateRe         = regexp.MustCompile(`[0-9]{4}(年[0-9]{1,2}月[0-9]{1,2}日|[-/][0-9]{1,2}[-/][0-9]{1,2})`)
	templateFields = map[string]fieldRule{
		"thing": {"事物", maxRunes(20)},
		"number": {"数字", func(v string) string {
			return firstOf(maxRunes(32)(v), match(numberRe, "只能是数字，可带小数")(v))
		}},
		"letter": {"字母", func(v string) string { return firstOf(maxRunes(32)(v), match(letterRe, "只能是字母")(v)) }},
		"symbol": {"符号", func(v string) string {
			if strings.IndexFunc(v, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) >= 0 {
				return "只能是符号"
			}
			return maxRunes(5)(v)
		}},
		"character_string": {"字符串", func(v string) string {
			return firstOf(maxRunes(32)(v), match(charStringRe, "只能是数字、字母或符号")(v))
		}},
		"time":         {"时间", match(clockRe, "须为24小时制时间，如 15:01 或 2019年10月1日 15:01")},
		"date":         {"日期", match(dateRe, "须为年月日，如 2019年10月1日")},
		"amount":       {"金额", match(amountRe, "须为币种符号加10位以内数字，可带小数，结尾可带“元”")},
		"phone_number": {"电话", func(v string) string { return firstOf(maxRunes(17)(v), match(phoneRe, "只能是数字和符号")(v)) }},
		"car_number": {"车牌", func(v string) string {
			return firstOf(maxRunes(8)(v), match(carNumberRe, "首尾可为汉字，其余须为字母或数字")(v))
		}},
		"name": {"姓名", func(v string) string {
			if strings.IndexFunc(v, func(r rune) bool { return unicode.Is(unicode.Han, r) }) >= 0 {
				return maxRunes(10)(v)
			}
			return maxRunes(20)(v)
		}},
		"phrase": {"汉字", func(v string) string {
			if strings.IndexFunc(v, func(r rune) bool { return !unicode.Is(unicode.Han, r) }) >= 0 {
				return "只能是汉字"
			}
			return maxRunes(5)(v)
		}},
	}
)

func maxRunes(n int) func(string) string {
	return func(v string) string {
		if c := utf8.RuneCountInString(v); c > n {
			return fmt.Sprintf("最多 %d 个字符，现有 %d 个", n, c)
		}
		return ""
	}
}

func match(re *regexp.Regexp, reason string) func(string) string {
	return func(v string) string {
		if !re.MatchString(v) {
			return reason
		}
		return ""
	}
}

func firstOf(reasons ...string) string {
	for _, r := range reasons {
		if r != "" {
			return r
		}
	}
	return ""
}

// ValidateTemplateData checks template-message or subscription-notice
// values against WeChat's rules since 2023-05: no first/remark fields
// (no longer shown), and each keyword's value limited by its type, which
// is the key without its digits (thing1 → thing ≤ 20 characters). Keys of
// other types are only checked for being non-empty. All problems are
// returned, joined, in key order.
func ValidateTemplateData(data map[string]string) error {
	var errs []error
	for _, key := range slices.Sorted(maps.Keys(data)) {
		v := data[key]
		kind := strings.TrimRight(key, "0123456789")
		var reason string
		switch {
		case key == "first" || key == "remark":
			reason = "微信自2023年5月起不再显示 first 和 remark 字段，请删除"
		case strings.TrimSpace(v) == "":
			reason = "不能为空"
		default:
			if rule, ok := templateFields[kind]; ok {
				if r := rule.check(v); r != "" {
					reason = rule.name + "类字段" + r
				}
			}
		}
		if reason != "" {
			errs = append(errs, &TemplateFieldError{Key: key, Reason: reason})
		}
	}
	return errors.Join(errs...)
}

// ValidateTemplate checks a template message's fields like
// ValidateTemplateData. SendTemplate does not call it, so that campaigns
// written before the 2023 rules still send while their files are fixed;
// campaign validation should.
func (m TemplateMessage) ValidateTemplate() error {
	data := make(map[string]string, len(m.Data))
	for k, f := range m.Data {
		data[k] = f.Value
	}
	return ValidateTemplateData(data)
}

// SubscribeMessage is a subscription notice (订阅通知) to one follower who
// subscribed to TemplateID.
type SubscribeMessage struct {
	ToUser     string
	TemplateID string
	Page       string            // optional web page opened on tap
	Data       map[string]string // keyword → value; checked by ValidateTemplateData
}

// SendSubscribeMessage sends a subscription notice
// (message/subscribe/bizsend). errcode 43101 means the resident has not
// subscribed or refused: permanent for this resident.
func (c *Client) SendSubscribeMessage(ctx context.Context, m SubscribeMessage) error {
	const api = "subscribe send"
	if m.ToUser == "" || m.TemplateID == "" || len(m.Data) == 0 {
		return fmt.Errorf("wechat: %s: %w: touser, template_id and data are required", api, ErrInvalidRequest)
	}
	if err := ValidateTemplateData(m.Data); err != nil {
		return fmt.Errorf("wechat: %s: %w: %w", api, ErrInvalidRequest, err)
	}
	type value struct {
		Value string `json:"value"`
	}
	body := struct {
		ToUser     string           `json:"touser"`
		TemplateID string           `json:"template_id"`
		Page       string           `json:"page,omitempty"`
		Data       map[string]value `json:"data"`
	}{m.ToUser, m.TemplateID, m.Page, make(map[string]value, len(m.Data))}
	for k, v := range m.Data {
		body.Data[k] = value{v}
	}
	return c.withToken(ctx, api, func(token string) error {
		raw, err := postJSON(ctx, "/cgi-bin/message/subscribe/bizsend", token, body)
		if err != nil {
			return err
		}
		return decode(api, raw, nil)
	})
}
