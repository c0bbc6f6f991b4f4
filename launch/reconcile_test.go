package launch_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reprohq/repro/launch"
	"github.com/reprohq/repro/runlog"
)

// settler answers for jobs as a scheduler would, by job ID.
type settler map[string]runlog.Result

func (s settler) Settle(_ context.Context, r *runlog.Run, job *runlog.Job) (runlog.Job, runlog.Result, string, bool, error) {
	res, ok := s[job.ID]
	if !ok {
		return *job, runlog.Result{}, "job " + job.ID + " is RUNNING", false, nil
	}
	done := *job
	done.State, done.Node = "FAILED", "node7"
	return done, res, "job " + job.ID + " ended", true, nil
}

// Reconcile settles runs a scheduler ran through the JobSettler, only
// this host's, records what the scheduler said, and leaves the rest.
func TestReconcile_Jobs(t *testing.T) {
	ctx := context.Background()
	l, err := runlog.Open(ctx, filepath.Join(t.TempDir(), "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	begin := func(id, host, jobID string) {
		r := &runlog.Run{ID: id, Image: "r/x:1", ImageRepo: "r/x", ImageDigest: "sha256:" + strings.Repeat("a", 64),
			Argv: []string{}, StartedAt: time.Now().Add(-time.Hour), Host: runlog.Host{Hostname: host}, Engine: runlog.Engine{Name: "docker"}}
		if err := l.Begin(ctx, r); err != nil {
			t.Fatal(err)
		}
		if err := l.RecordJob(ctx, id, runlog.Job{Scheduler: runlog.SchedulerSlurm, ID: jobID}); err != nil {
			t.Fatal(err)
		}
	}
	ended, running, elsewhere := strings.Repeat("1", 32), strings.Repeat("2", 32), strings.Repeat("3", 32)
	begin(ended, "login1", "10")
	begin(running, "login1", "11")
	begin(elsewhere, "login2", "12")
	three := 3
	jobs := settler{"10": {Status: runlog.StatusFailed, ExitCode: &three}, "12": {Status: runlog.StatusSucceeded}}
	recs, err := launch.Reconcile(ctx, l, launch.ReconcileOptions{Hostname: "login1", Jobs: jobs})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range recs {
		got[r.ID] = r.Status + ": " + r.Reason
	}
	if got[ended] != "failed: job 10 ended" || got[running] != "running: job 11 is RUNNING" || got[elsewhere] != "" {
		t.Errorf("reconciled %v", got)
	}
	r, err := l.Get(ctx, ended)
	if err != nil || r.Status != runlog.StatusFailed || r.ExitCode == nil || *r.ExitCode != 3 {
		t.Fatalf("ended run recorded %+v, %v", r, err)
	}
	if job, err := l.JobOf(ctx, ended); err != nil || job.State != "FAILED" || job.Node != "node7" {
		t.Errorf("job recorded %+v, %v", job, err)
	}
	// Without a settler, a job's run is left running, with the reason.
	recs, err = launch.Reconcile(ctx, l, launch.ReconcileOptions{Hostname: "login1"})
	if err != nil || len(recs) != 1 || recs[0].Status != runlog.StatusRunning || !strings.Contains(recs[0].Reason, "slurm") {
		t.Errorf("no settler: %+v, %v", recs, err)
	}
}
