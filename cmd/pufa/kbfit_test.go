package main

import (
	"testing"

	"github.com/pufa-dev/pufa/knowledge"
)

// The reading threshold stops at the first band, going down from the entry
// threshold, whose answers are right less than two times in three, however
// well the surer answers above it do together.
func TestReadingThresholdIsWhereEveryBandStillHolds(t *testing.T) {
	const entry = 0.9
	// curve makes the cumulative curve kb fit prints (answers at each
	// threshold and above, 0.05 apart) from the answers in each band, the
	// highest band (0.85–0.90) first, with 100 right answers above entry.
	curve := func(bands ...[2]int) []knowledge.CalibrationPoint {
		c := []knowledge.CalibrationPoint{{Threshold: entry, Right: 100}}
		for i, b := range bands {
			prev := c[0]
			c = append([]knowledge.CalibrationPoint{{
				Threshold: entry - 0.05*float64(i+1), Right: prev.Right + b[0], Wrong: prev.Wrong + b[1],
			}}, c...)
		}
		return c
	}
	tests := []struct {
		name  string
		curve []knowledge.CalibrationPoint
		want  float64
	}{
		// From 0.75, 80 right and 40 wrong together are right two times
		// in three, but the band 0.75–0.80 alone is not.
		{"a weak band below strong ones", curve([2]int{40, 10}, [2]int{20, 10}, [2]int{20, 20}), 0.80},
		{"the first band already weak", curve([2]int{10, 10}, [2]int{40, 0}), 0.90},
		{"every band strong down to 0.5", curve([2]int{9, 1}, [2]int{8, 2}, [2]int{7, 3}, [2]int{7, 3}, [2]int{7, 3}, [2]int{7, 3}, [2]int{7, 3}, [2]int{7, 3}), 0.50},
		{"no answers in a band is not two in three", curve([2]int{9, 1}, [2]int{0, 0}, [2]int{9, 1}), 0.85},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := readingThreshold(readingBands(tt.curve, entry), entry); got < tt.want-1e-9 || got > tt.want+1e-9 {
				t.Errorf("reading threshold %.2f, want %.2f", got, tt.want)
			}
		})
	}
}
