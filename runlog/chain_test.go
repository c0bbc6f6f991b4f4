package runlog_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reprohq/repro/runlog"
)

// ledgerWithRuns records n finished runs (and one still running) and
// returns the ledger's path and the IDs in the order they finished.
func ledgerWithRuns(t *testing.T, n int, opts ...runlog.Option) (string, []string) {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "l.db")
	l := mustOpen(t, path, opts...)
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	var ids []string
	for i := 0; i < n; i++ {
		r := run(runlog.NewID(), t0.Add(time.Duration(i)*time.Hour))
		if err := l.Begin(ctx, r); err != nil {
			t.Fatal(err)
		}
		code := i
		if err := l.Finish(ctx, r.ID, runlog.Result{Status: runlog.StatusSucceeded, ExitCode: &code,
			Outputs: []runlog.Output{{Path: "m.bin", Digest: "sha256:" + strings.Repeat("e", 64), Bytes: 1}}}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	// One still running: chained as recorded, and not a problem.
	if err := l.Begin(ctx, run(runlog.NewID(), t0.Add(time.Duration(n)*time.Hour))); err != nil {
		t.Fatal(err)
	}
	l.Close()
	return path, ids
}

// tamper changes the file behind repro's back, as the sqlite3 shell does
// (foreign keys off).
func tamper(t *testing.T, path, stmt string, args ...any) {
	t.Helper()
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(stmt, args...); err != nil {
		t.Fatalf("%s: %v", stmt, err)
	}
}

func TestLedger_VerifyChain(t *testing.T) {
	tests := []struct {
		name     string
		change   func(t *testing.T, path string, ids []string)
		wantKind string
		wantRun  int // index into ids; -1: the inserted run
	}{
		{"intact", func(t *testing.T, path string, ids []string) {}, "", 0},
		{"exit code edited", func(t *testing.T, path string, ids []string) {
			tamper(t, path, "UPDATE runs SET exit_code = 0 WHERE id = ?", ids[2])
		}, "edited", 2},
		{"output digest edited", func(t *testing.T, path string, ids []string) {
			tamper(t, path, "UPDATE outputs SET digest = 'sha256:0' WHERE run = (SELECT seq FROM runs WHERE id = ?)", ids[1])
		}, "edited", 1},
		{"dataset dropped", func(t *testing.T, path string, ids []string) {
			tamper(t, path, "DELETE FROM datasets WHERE run = (SELECT seq FROM runs WHERE id = ?)", ids[3])
		}, "edited", 3},
		{"run deleted", func(t *testing.T, path string, ids []string) {
			tamper(t, path, "DELETE FROM datasets WHERE run = (SELECT seq FROM runs WHERE id = ?); DELETE FROM outputs WHERE run = (SELECT seq FROM runs WHERE id = ?); DELETE FROM runs WHERE id = ?", ids[1], ids[1], ids[1])
		}, "deleted", 1},
		{"run and its link deleted", func(t *testing.T, path string, ids []string) {
			tamper(t, path, "DELETE FROM chain WHERE run_id = unhex(?)", ids[2])
		}, "inserted out of order", 3},
		{"run inserted", func(t *testing.T, path string, ids []string) {
			tamper(t, path, `INSERT INTO runs (id, status, context, image_digest, argv, started_at) SELECT 'ffff0000000000000000000000000000', 'succeeded', context, image_digest, '[]', '2026-03-01T00:30:00.000000000Z' FROM runs LIMIT 1`)
		}, "inserted", -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, ids := ledgerWithRuns(t, 5)
			tt.change(t, path, ids)
			l := mustOpen(t, path, runlog.ReadOnly())
			rep, err := l.VerifyChain(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantKind == "" {
				if rep.Problem != nil || rep.Records != 5 {
					t.Fatalf("intact ledger: %+v, %d records", rep.Problem, rep.Records)
				}
				return
			}
			if rep.Problem == nil {
				t.Fatalf("tampering went unnoticed (%d records checked)", rep.Records)
			}
			want := "ffff0000000000000000000000000000"
			if tt.wantRun >= 0 {
				want = ids[tt.wantRun]
			}
			if rep.Problem.Kind != tt.wantKind || rep.Problem.RunID != want {
				t.Errorf("problem %+v, want %s of %s", rep.Problem, tt.wantKind, runlog.Short(want))
			}
		})
	}
}
