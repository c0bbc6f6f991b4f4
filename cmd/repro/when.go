package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// dayBound says which end of a bare date a time flag means.
type dayBound int

const (
	startOfDay dayBound = iota // --since: from the start of that day
	endOfDay                   // --until, --at: up to its end, inclusive
)

// parseWhen is the one reading of every time flag: a duration back from
// now (7d, 2w, 36h, 90m), an RFC 3339 time, or a date, in UTC as the
// ledger and scripts' output are, meaning its start or its end.
func parseWhen(s string, now time.Time, bound dayBound) (time.Time, error) {
	if n, unit := strings.TrimRight(s, "dw"), strings.TrimLeft(s, "0123456789"); (unit == "d" || unit == "w") && n != "" {
		days, err := strconv.Atoi(n)
		if err == nil {
			if unit == "w" {
				days *= 7
			}
			return now.AddDate(0, 0, -days), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil {
		return now.Add(-d), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		if bound == endOfDay {
			t = t.Add(24*time.Hour - time.Nanosecond)
		}
		return t, nil
	}
	return time.Time{}, fmt.Errorf("write a duration back from now (7d, 36h, 90m), a date (2026-11-17, UTC) or an RFC 3339 time")
}
