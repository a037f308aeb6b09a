package clip

import "testing"

func TestBytes(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    string
		max  int
		want string
	}{
		{"fits", "离婚冷静期", 15, "离婚冷静期"},
		{"cut on a rune boundary, mark included", "离婚冷静期", 12, "离婚冷…"},
		{"never splits a character", "离婚冷静期", 10, "离婚…"},
		{"ascii", "abcdefgh", 6, "abc…"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Bytes(tc.s, tc.max); got != tc.want || len(got) > tc.max {
				t.Errorf("Bytes(%q, %d) = %q, want %q", tc.s, tc.max, got, tc.want)
			}
		})
	}
}

func TestRunes(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    string
		n    int
		want string
	}{
		{"fits", "法律援助", 4, "法律援助"},
		{"cut, mark included", "法律援助中心", 4, "法律援…"},
		{"one character", "法律", 1, "…"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Runes(tc.s, tc.n); got != tc.want {
				t.Errorf("Runes(%q, %d) = %q, want %q", tc.s, tc.n, got, tc.want)
			}
		})
	}
}

func TestRunesWith(t *testing.T) {
	for _, tc := range []struct {
		name, s, mark string
		n             int
		want          string
	}{
		{"fits", "转人工咨询", "（已截断）", 5, "转人工咨询"},
		{"cut, the mark included", "公司三个月没发工资了", "…（截断）", 8, "公司三…（截断）"},
		{"a mark as long as the limit", "公司三个月没发工资了", "…（截断）", 5, "…（截断）"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := RunesWith(tc.s, tc.n, tc.mark); got != tc.want {
				t.Errorf("RunesWith(%q, %d, %q) = %q, want %q", tc.s, tc.n, tc.mark, got, tc.want)
			}
		})
	}
}
