package main

import (
	"testing"
	"time"
)

// One reading for --since, --until and --at: dates are UTC days, --since
// their start, --until and --at their end (ls used local midnight and
// tags history the UTC end of day, so one date meant two moments).
func TestParseWhen(t *testing.T) {
	now := time.Date(2026, 12, 1, 15, 30, 0, 0, time.UTC)
	tests := []struct {
		in    string
		bound dayBound
		want  time.Time
	}{
		{"2026-11-17", startOfDay, time.Date(2026, 11, 17, 0, 0, 0, 0, time.UTC)},
		{"2026-11-17", endOfDay, time.Date(2026, 11, 17, 23, 59, 59, 999999999, time.UTC)},
		{"7d", startOfDay, now.AddDate(0, 0, -7)},
		{"2w", endOfDay, now.AddDate(0, 0, -14)},
		{"36h", startOfDay, now.Add(-36 * time.Hour)},
		{"2026-11-17T12:00:00+02:00", endOfDay, time.Date(2026, 11, 17, 10, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		got, err := parseWhen(tt.in, now, tt.bound)
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("parseWhen(%q, %v) = %v, %v; want %v", tt.in, tt.bound, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "yesterday", "7x", "2026-13-01", "d"} {
		if _, err := parseWhen(bad, now, startOfDay); err == nil {
			t.Errorf("parseWhen(%q) accepted", bad)
		}
	}
}
