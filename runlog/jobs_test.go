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

// ls --user and --host: runs by who launched them and where.
func TestLedger_ListByUserHost(t *testing.T) {
	ctx := context.Background()
	l := mustOpen(t, filepath.Join(t.TempDir(), "ledger.db"))
	for i, h := range []runlog.Host{{User: "ada", Hostname: "login1"}, {User: "bob", Hostname: "login1"}, {User: "ada", Hostname: "laptop"}} {
		r := run(strings.Repeat(string(rune('a'+i)), 32), time.Now().Add(time.Duration(i)*time.Second))
		r.Host = h
		if err := l.Begin(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		f    runlog.Filter
		want int
	}{
		{runlog.Filter{User: "ada"}, 2},
		{runlog.Filter{Host: "login1"}, 2},
		{runlog.Filter{User: "ada", Host: "login1"}, 1},
		{runlog.Filter{User: "carol"}, 0},
		{runlog.Filter{Host: "login1", Status: runlog.StatusRunning}, 2},
	} {
		runs, err := l.List(ctx, tc.f)
		if err != nil || len(runs) != tc.want {
			t.Errorf("List(%+v) = %d runs, %v; want %d", tc.f, len(runs), err, tc.want)
		}
	}
}
