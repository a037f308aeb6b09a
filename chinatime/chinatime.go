// Package chinatime is the one time zone pufa lives in: the office, its
// residents, the report's year and WeChat's platform all keep China
// Standard Time, UTC+8 all year with no daylight saving. It is a fixed
// zone, not Asia/Shanghai from zoneinfo, so that hosts without tzdata agree.
package chinatime

import (
	"fmt"
	"time"
)

// Zone is China Standard Time (UTC+8).
var Zone = time.FixedZone("CST", 8*60*60)

// Parse reads a time that staff wrote in a campaign or quiz file: RFC 3339
// ("2026-12-04T09:00:00+08:00"), or China time without a zone
// ("2026-12-04 09:00", "2026-12-04").
func Parse(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, Zone); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time: use 2026-12-04T09:00:00+08:00 or 2026-12-04 09:00 (China time)", s)
}
