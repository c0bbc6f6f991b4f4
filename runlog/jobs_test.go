package runlog_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reprohq/repro/runlog"
)

func TestLedger_Jobs(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ledger.db")
	l := mustOpen(t, path)
	id := strings.Repeat("a", 32)
	if err := l.Begin(ctx, run(id, time.Now())); err != nil {
		t.Fatal(err)
	}
	if j, err := l.JobOf(ctx, id); err != nil || j != nil {
		t.Fatalf("a run without a job has job %v, %v", j, err)
	}
	want := runlog.Job{Scheduler: runlog.SchedulerSlurm, Args: []string{"--partition=gpu", "--time=1:00:00"}}
	if err := l.RecordJob(ctx, id, want); err != nil {
		t.Fatal(err)
	}
	want.ID, want.Node, want.State, want.Reason = "123", "node[1-2]", "TIMEOUT", "TimeLimit"
	if err := l.RecordJob(ctx, id, want); err != nil {
		t.Fatal(err)
	}
	got, err := l.JobOf(ctx, id)
	if err != nil || got == nil || got.ID != "123" || got.State != "TIMEOUT" || strings.Join(got.Args, " ") != "--partition=gpu --time=1:00:00" {
		t.Fatalf("JobOf = %+v, %v", got, err)
	}
	for _, bad := range []runlog.Job{
		{Scheduler: "pbs"},
		{Scheduler: runlog.SchedulerSlurm, ID: "12; rm -rf /"},
		{Scheduler: runlog.SchedulerSlurm, State: "done"},
		{Scheduler: runlog.SchedulerSlurm, Node: "a\x1b[2Jb"},
	} {
		if err := l.RecordJob(ctx, id, bad); err == nil {
			t.Errorf("RecordJob(%+v) accepted", bad)
		}
	}
	if err := l.RecordJob(ctx, "nope", want); err == nil {
		t.Error("RecordJob accepted a bad run ID")
	}
}

// Rows edited by hand are refused when read back, naming the field: a
// job ID reaches scontrol and scancel.
func TestLedger_JobsHostile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ledger.db")
	l := mustOpen(t, path)
	id := strings.Repeat("b", 32)
	if err := l.Begin(ctx, run(id, time.Now())); err != nil {
		t.Fatal(err)
	}
	if err := l.RecordJob(ctx, id, runlog.Job{Scheduler: runlog.SchedulerSlurm, ID: "7"}); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, tc := range []struct{ set, field string }{
		{"job_id = '--signal=KILL'", "run_jobs.job_id"},
		{"scheduler = 'sh'", "run_jobs.scheduler"},
		{"args = 'not json'", "run_jobs.args"},
		{"args = '[\"a\nb\"]'", "run_jobs.args"},
		{"reason = char(27) || '[2J'", "run_jobs.reason"},
		{"state = 'x y'", "run_jobs.state"},
	} {
		if _, err := db.Exec("UPDATE run_jobs SET scheduler = 'slurm', job_id = '7', args = '[]', reason = '', state = ''"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec("UPDATE run_jobs SET " + tc.set); err != nil {
			t.Fatal(err)
		}
		_, err := l.JobOf(ctx, id)
		var inv *runlog.InvalidRunError
		if !errors.As(err, &inv) || inv.Field != tc.field {
			t.Errorf("%s: JobOf = %v, want an invalid %s", tc.set, err, tc.field)
		}
	}
}
