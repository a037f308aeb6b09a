package main

import (
	"math"
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
		// An empty band joins the one below it.
		{"a band without answers", curve([2]int{9, 1}, [2]int{0, 0}, [2]int{9, 1}), 0.75},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := readingThreshold(readingBands(tt.curve, entry, 1), entry); got < tt.want-1e-9 || got > tt.want+1e-9 {
				t.Errorf("reading threshold %.2f, want %.2f", got, tt.want)
			}
		})
	}
}

// A band is judged on at least minAnswers answers: a small one joins the
// band below it, so an answer or two cannot decide it.
func TestReadingBandsAreJudgedOnEnoughAnswers(t *testing.T) {
	const entry = 0.9
	// The answers of one fit, from the top band down.
	c := []knowledge.CalibrationPoint{
		{Threshold: 0.70, Right: 1118, Wrong: 80}, {Threshold: 0.75, Right: 1090, Wrong: 65},
		{Threshold: 0.80, Right: 1052, Wrong: 40}, {Threshold: 0.85, Right: 998, Wrong: 20},
		{Threshold: 0.90, Right: 962, Wrong: 0},
	}
	bands := readingBands(c, entry, 100)
	if len(bands) < 2 || math.Abs(bands[0].From-0.80) > 1e-9 || bands[0].Right != 90 || bands[0].Wrong != 40 ||
		bands[1].Right != 66 || bands[1].Wrong != 40 {
		t.Fatalf("bands %+v, want 0.80–0.90 (90 right, 40 wrong), then 0.70–0.80 (66 right, 40 wrong)", bands)
	}
	if got := readingThreshold(bands, entry); got < 0.80-1e-9 || got > 0.80+1e-9 {
		t.Errorf("reading threshold %.2f, want 0.80: the top band alone (36 of 56) is short of two in three, the two top bands are not", got)
	}
	if got := readingThreshold(readingBands(c, entry, 1), entry); got != entry {
		t.Errorf("bands of any size: reading threshold %.2f, want %.2f", got, entry)
	}
}
