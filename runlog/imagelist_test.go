package runlog_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/reprohq/repro/runlog"
)

// TestImages_UsageKept: the image counts the ledger keeps as runs are
// recorded agree with the runs, across repositories, for a digest run
// from two repositories, and after a run is deleted behind repro's back.
func TestImages_UsageKept(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ledger.db")
	l := mustOpen(t, path)
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	var runs []*runlog.Run
	var results []runlog.Result
	code := 0
	for i := 0; i < 60; i++ {
		r := realisticRun(i%7, t0.Add(time.Duration(i)*time.Hour))
		if i%3 == 0 {
			r.Image, r.ImageRepo = "registry.example.com/ml/other:2", "registry.example.com/ml/other"
		}
		runs, results = append(runs, r), append(results, runlog.Result{Status: runlog.StatusSucceeded, ExitCode: &code})
	}
	if err := l.RecordBatch(ctx, runs, results); err != nil {
		t.Fatal(err)
	}
	checkImageUsage(t, l, path)

	// One more run, one at a time, as repro run records it.
	r := realisticRun(3, t0.Add(100*time.Hour))
	if err := l.Begin(ctx, r); err != nil {
		t.Fatal(err)
	}
	checkImageUsage(t, l, path)

	// Runs deleted by hand leave the counts, and an image all of whose
	// runs are gone leaves the list.
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, id := range []string{runs[5].ID, runs[6].ID} {
		if _, err := db.Exec("DELETE FROM runs WHERE id = ?", id); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec("DELETE FROM runs WHERE image_digest = unhex(?)", "0000000000000000000000000000000000000000000000000000000000000000"); err != nil {
		t.Fatal(err)
	}
	checkImageUsage(t, l, path)
}
