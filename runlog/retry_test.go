package runlog

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// retryBusy tries again on SQLite's busy and locked errors only, and
// gives up with a message that says the ledger is busy.
func TestRetryBusy(t *testing.T) {
	busy := sqlite3.Error{Code: sqlite3.ErrBusy}
	locked := sqlite3.Error{Code: sqlite3.ErrLocked}
	other := errors.New("disk I/O error")
	tests := []struct {
		name      string
		answers   []error // what f returns, call by call; nil after the last
		wantCalls int
		wantErr   string // "" for none
	}{
		{"succeeds at once", nil, 1, ""},
		{"busy, then succeeds", []error{busy, busy}, 3, ""},
		{"locked, then succeeds", []error{locked}, 2, ""},
		{"another error is not retried", []error{other}, 1, "disk I/O error"},
		{"busy, then another error", []error{busy, other}, 2, "disk I/O error"},
		{"busy every time", []error{busy, busy, busy, busy, busy, busy, busy, busy, busy}, 8, "ledger is busy"},
	}
	defer func(p func(int) time.Duration) { busyPause = p }(busyPause)
	busyPause = func(int) time.Duration { return time.Millisecond }
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			err := retryBusy(context.Background(), func() error {
				calls++
				if calls <= len(tt.answers) {
					return tt.answers[calls-1]
				}
				return nil
			})
			if calls != tt.wantCalls {
				t.Errorf("f called %d times, want %d", calls, tt.wantCalls)
			}
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("err = %v, want none", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("err = %v, want one saying %q", err, tt.wantErr)
			}
		})
	}
}

// A cancelled context ends the waiting between tries.
func TestRetryBusy_Cancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	err := retryBusy(ctx, func() error {
		calls++
		cancel()
		return sqlite3.Error{Code: sqlite3.ErrBusy}
	})
	if !errors.Is(err, context.Canceled) || calls != 1 {
		t.Fatalf("err = %v after %d calls, want context.Canceled after 1", err, calls)
	}
}
