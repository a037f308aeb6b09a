package chinatime_test

import (
	"strings"
	"testing"
	"time"

	"github.com/pufa-dev/pufa/chinatime"
)

func TestParse(t *testing.T) {
	nine := time.Date(2026, 12, 4, 9, 0, 0, 0, chinatime.Zone)
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{"2026-12-04T09:00:00+08:00", nine},
		{"2026-12-04T01:00:00Z", nine},
		{"2026-12-04 09:00:00", nine},
		{"2026-12-04 09:00", nine},
		{"2026-12-04T09:00:00", nine},
		{"2026-12-04T09:00", nine},
		{"2026-12-04", time.Date(2026, 12, 4, 0, 0, 0, 0, chinatime.Zone)},
	} {
		got, err := chinatime.Parse(tc.in)
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("Parse(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "next tuesday", "2026-13-01", "04.12.2026"} {
		if _, err := chinatime.Parse(bad); err == nil || !strings.Contains(err.Error(), "is not a time") {
			t.Errorf("Parse(%q) = %v, want an error saying it is not a time", bad, err)
		}
	}
}
