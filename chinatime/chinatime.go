// Package chinatime is the one time zone pufa lives in: the office, its
// residents, the report's year and WeChat's platform all keep China
// Standard Time, UTC+8 all year with no daylight saving. It is a fixed
// zone, not Asia/Shanghai from zoneinfo, so that hosts without tzdata agree.
package chinatime

import "time"

// Zone is China Standard Time (UTC+8).
var Zone = time.FixedZone("CST", 8*60*60)
