package store

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/pufa-dev/pufa/chinatime"
)

// Daily metrics kept in stats:<yyyymmdd>; the annual report sums them.
const (
	MetricSubscribes    = "subscribes"    // follows
	MetricUnsubscribes  = "unsubscribes"  // unfollows
	MetricConsultations = "consultations" // 转人工 requests
	MetricFallbacks     = "fallbacks"     // texts nobody could answer
	MetricLateReplies   = "late_replies"  // answers sent as customer-service messages after the deadline
	MetricQuestions     = "questions"     // questions put to the knowledge base
	MetricAnswered      = "answered"      // … answered with confidence
	MetricUnanswered    = "unanswered"    // … where the bot was unsure and offered 转人工 / 12348
)

// Day returns t's calendar day in China as yyyymmdd, the unit of all counters.
func Day(t time.Time) string { return t.In(chinatime.Zone).Format("20060102") }

// Incr adds one to a daily metric.
func (s *Store) Incr(ctx context.Context, at time.Time, metric string) error {
	if err := s.hot.HIncrBy(ctx, s.keyStats(Day(at)), metric, 1).Err(); err != nil {
		return fmt.Errorf("store: incr %s: %w", metric, err)
	}
	return nil
}

// DayStats returns all counters of one day.
func (s *Store) DayStats(ctx context.Context, day time.Time) (map[string]int64, error) {
	h, err := s.rdb.HGetAll(ctx, s.keyStats(Day(day))).Result()
	if err != nil {
		return nil, fmt.Errorf("store: day stats: %w", err)
	}
	out := make(map[string]int64, len(h))
	for k, v := range h {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("store: day stats %s: %w", k, err)
		}
		out[k] = n
	}
	return out, nil
}
