package knowledge

import "testing"

func TestFormatChinese(t *testing.T) {
	tests := []struct {
		n    int
		want string
	}{
		{0, "零"},
		{1, "一"},
		{10, "十"},
		{11, "十一"},
		{20, "二十"},
		{101, "一百零一"},
		{110, "一百一十"},
		{111, "一百一十一"},
		{1000, "一千"},
		{1001, "一千零一"},
		{1010, "一千零一十"},
		{1077, "一千零七十七"},
		{1100, "一千一百"},
		{1260, "一千二百六十"},
		{10000, "一万"},
		{10010, "一万零一十"},
		{100000, "十万"},
		{123456, "十二万三千四百五十六"},
	}
	for _, tt := range tests {
		if got := FormatChinese(tt.n); got != tt.want {
			t.Errorf("FormatChinese(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

func TestParseChinese(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"十", 10},
		{"十一", 11},
		{"一十一", 11},
		{"二十", 20},
		{"一百一十", 110},
		{"一百十", 110},
		{"一百零一", 101},
		{"一千零一", 1001},
		{"一千零七十七", 1077},
		{"一千二百六十", 1260},
		{"两百", 200},
		{"一〇七七", 1077},
		{"1077", 1077},
		{"１０７７", 1077},
		{"十万", 100000},
		{"一万零一十", 10010},
		{"贰拾", 20},
	}
	for _, tt := range tests {
		got, err := ParseChinese(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseChinese(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "abc", "一二百", "第一", "万"} {
		if n, err := ParseChinese(bad); err == nil {
			t.Errorf("ParseChinese(%q) = %d, want an error", bad, n)
		}
	}
}

func TestChineseRoundTrip(t *testing.T) {
	for n := 0; n <= 20000; n++ {
		s := FormatChinese(n)
		got, err := ParseChinese(s)
		if err != nil || got != n {
			t.Fatalf("ParseChinese(FormatChinese(%d) = %q) = %d, %v", n, s, got, err)
		}
	}
}
