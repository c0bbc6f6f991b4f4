package slurm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/reprohq/repro/engine"
	"github.com/reprohq/repro/launch"
	"github.com/reprohq/repro/rerun"
	"github.com/reprohq/repro/runlog"
)

// Placement runs a recorded run as a Slurm batch job whose script is the
// run's pinned script (rerun.Job). It is a launch.Placement, and settles
// runs left running as a launch.JobSettler.
type Placement struct {
	Client *Client
	// SbatchArgs are the user's own sbatch options (--slurm-arg).
	SbatchArgs []string
	// Detach returns once the job is submitted.
	Detach bool
	// JobsDir holds one directory per job (its script, its output, a
	// refusal), on a filesystem the nodes share.
	JobsDir string
	// Stdout and Stderr receive the job's output while repro waits.
	Stdout, Stderr io.Writer
	Log            io.Writer     // repro's own messages; nil: silent
	Poll           time.Duration // how often Slurm is asked (default 200ms)
	Now            func() time.Time
}

var (
	_ launch.Placement  = (*Placement)(nil)
	_ launch.JobSettler = (*Placement)(nil)
)

// Scheduler is "slurm".
func (p *Placement) Scheduler() string { return runlog.SchedulerSlurm }

// Args are the sbatch options recorded with the run.
func (p *Placement) Args() []string { return append([]string{}, p.SbatchArgs...) }

// JobDir is where run id's job keeps its files: derived from the run's
// ID under repro's own directory, never read from a record.
func (p *Placement) JobDir(id string) string { return filepath.Join(p.JobsDir, id) }

// Check refuses, before anything is recorded, what a node could not do:
// an --out or job directory on a filesystem only this machine sees, and
// what sbatch itself would refuse (sbatch --test-only: an unknown
// partition, a resource the cluster does not have).
func (p *Placement) Check(ctx context.Context, r *runlog.Run) error {
	if p.JobsDir == "" || !filepath.IsAbs(p.JobsDir) {
		return fmt.Errorf("the directory for Slurm jobs %q is not an absolute path", p.JobsDir)
	}
	if r.OutDir != "" {
		if err := shared(r.OutDir); err != nil {
			return &launch.InputError{Input: launch.InputOut, Value: r.OutDir, Err: fmt.Errorf("%w; give one on a filesystem the nodes share", err)}
		}
	}
	if err := shared(p.JobsDir); err != nil {
		return fmt.Errorf("repro's job directory %s %w; set XDG_DATA_HOME to a directory on a filesystem the nodes share", p.JobsDir, err)
	}
	for _, d := range r.Data {
		if err := shared(d.Path); err != nil {
			return &launch.InputError{Input: launch.InputData, Name: d.Name, Value: d.Path, Err: fmt.Errorf("%w; a job reads its datasets from a filesystem the nodes share", err)}
		}
	}
	if r.CodeMount && r.CodeDir != "" && r.Remote == "" {
		if err := shared(r.CodeDir); err != nil {
			return fmt.Errorf("the code at %s %w and has no remote to clone from; push it, or keep it on a filesystem the nodes share", r.CodeDir, err)
		}
	}
	return p.Client.Test(ctx, p.SbatchArgs)
}

func (p *Placement) logf(format string, a ...any) {
	if p.Log != nil {
		fmt.Fprintf(p.Log, "repro: "+format+"\n", a...)
	}
}

func (p *Placement) now() time.Time {
	if p.Now == nil {
		return time.Now()
	}
	return p.Now()
}

// Files of a job's directory.
const (
	scriptFile = "job.sh"
	stdoutFile = "job.out"
	stderrFile = "job.err"
	lockFile   = "wait.lock"
)

// Run writes r's job script, submits it and, unless detached, waits for
// the job like srun does: its output streamed, the first interrupt
// cancelling the job, a second leaving it to Reconcile.
func (p *Placement) Run(ctx context.Context, l *runlog.Ledger, r *runlog.Run, interrupts <-chan os.Signal) (*runlog.Result, int, error) {
	dir := p.JobDir(r.ID)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, 0, fmt.Errorf("job directory: %w", err)
	}
	script, err := rerun.Script(r, rerun.Options{Patch: r.Patch, Job: &rerun.Job{Dir: dir}})
	if err != nil {
		return nil, 0, fmt.Errorf("write the job script of run %s: %w", r.ShortID(), err)
	}
	path := filepath.Join(dir, scriptFile)
	if err := rerun.WriteFile(path, script); err != nil {
		return nil, 0, err
	}
	// A waiting repro holds this lock: Reconcile leaves its run alone.
	var lock *os.File
	if !p.Detach {
		if lock, err = tryLock(filepath.Join(dir, lockFile)); err != nil {
			return nil, 0, err
		}
		defer lock.Close()
	}
	id, err := p.Client.Submit(ctx, Submission{Script: path, Name: "repro-" + r.ShortID(), Dir: dir,
		Stdout: filepath.Join(dir, stdoutFile), Stderr: filepath.Join(dir, stderrFile), Args: p.SbatchArgs})
	if err != nil {
		return nil, 0, err
	}
	job := runlog.Job{Scheduler: runlog.SchedulerSlurm, ID: id, Args: p.Args()}
	if err := l.RecordJob(context.WithoutCancel(ctx), r.ID, job); err != nil {
		// The job runs; its run is settled as the job ends, by this
		// repro or by Reconcile, which cannot find it without its ID.
		_ = p.Client.Cancel(context.WithoutCancel(ctx), id)
		return nil, 0, fmt.Errorf("record slurm job %s of run %s: %w; the job was cancelled", id, r.ShortID(), err)
	}
	p.logf("run %s submitted as slurm job %s", r.ShortID(), id)
	if p.Detach {
		return nil, 0, nil
	}
	return p.wait(ctx, l, r, job, dir, interrupts)
}

// wait follows job until it ends, streaming its output.
func (p *Placement) wait(ctx context.Context, l *runlog.Ledger, r *runlog.Run, job runlog.Job, dir string, interrupts <-chan os.Signal) (*runlog.Result, int, error) {
	out := &tail{path: filepath.Join(dir, stdoutFile), w: p.Stdout}
	errw := &tail{path: filepath.Join(dir, stderrFile), w: p.Stderr}
	poll := p.Poll
	if poll <= 0 {
		poll = 200 * time.Millisecond
	}
	tick := time.NewTicker(poll)
	defer tick.Stop()
	var interrupted os.Signal
	failures := 0
	seen := "" // the job's state and reason last seen
	for {
		select {
		case sig := <-interrupts:
			if interrupted != nil {
				p.logf("stopped waiting for slurm job %s; it is being cancelled, and repro reconcile records how run %s ended", job.ID, r.ShortID())
				return nil, 0, nil
			}
			interrupted = sig
			p.logf("%s: cancelling slurm job %s (again to stop waiting)", engine.SignalName(sig), job.ID)
			if err := p.Client.Cancel(context.WithoutCancel(ctx), job.ID); err != nil {
				p.logf("%v", err)
			}
		case <-tick.C:
		}
		out.flush()
		errw.flush()
		st, err := p.Client.Query(context.WithoutCancel(ctx), job.ID)
		if err != nil {
			if failures++; failures == 50 {
				p.logf("cannot ask Slurm about job %s (%v); stopped waiting: repro reconcile records how run %s ends", job.ID, err, r.ShortID())
				return nil, 0, nil
			}
			continue
		}
		failures = 0
		if !st.Ended() {
			// As srun says it: queued, then running where.
			if key := st.State + " " + st.Reason; key != seen {
				seen = key
				switch {
				case st.State == "PENDING" && st.Reason != "" && st.Reason != "None":
					p.logf("slurm job %s is queued (%s)", job.ID, runlog.Visible(st.Reason))
				case st.State == "RUNNING":
					p.logf("slurm job %s is running on %s", job.ID, runlog.Visible(st.Node))
				}
			}
			continue
		}
		out.flush()
		errw.flush()
		settled, res, code := Outcome(job, st, readRefusal(dir))
		if err := l.RecordJob(context.WithoutCancel(ctx), r.ID, settled); err != nil {
			p.logf("record how slurm job %s ended: %v", job.ID, err)
		}
		if interrupted != nil && res.Status == runlog.StatusInterrupted {
			res.Signal = engine.SignalName(interrupted)
			code = 130
			if res.Signal == "SIGTERM" {
				code = 143
			}
		}
		return &res, code, nil
	}
}

// Settle asks Slurm how the job of run r ended, for Reconcile. A run
// whose repro still waits for its job is left to it.
func (p *Placement) Settle(ctx context.Context, r *runlog.Run, job *runlog.Job) (runlog.Job, runlog.Result, string, bool, error) {
	dir := p.JobDir(r.ID)
	if lock, err := tryLock(filepath.Join(dir, lockFile)); err != nil {
		return *job, runlog.Result{}, "its repro is waiting for its slurm job", false, nil
	} else {
		lock.Close()
	}
	if job.ID == "" {
		// Recorded, never submitted: its repro died in between.
		if p.now().Sub(r.StartedAt) < 2*time.Minute {
			return *job, runlog.Result{}, "it may still be being submitted", false, nil
		}
		reason := fmt.Sprintf("it was recorded but never submitted to Slurm; noticed %s", p.now().UTC().Format(time.RFC3339))
		return *job, runlog.Result{Status: runlog.StatusLost, Error: reason}, reason, true, nil
	}
	st, err := p.Client.Query(ctx, job.ID)
	if errors.Is(err, ErrUnknownJob) {
		reason := fmt.Sprintf("Slurm no longer knows its job %s; noticed %s", job.ID, p.now().UTC().Format(time.RFC3339))
		return *job, runlog.Result{Status: runlog.StatusLost, Error: reason}, reason, true, nil
	}
	if err != nil {
		return *job, runlog.Result{}, "", false, err
	}
	if !st.Ended() {
		return *job, runlog.Result{}, fmt.Sprintf("its slurm job %s is %s", job.ID, st.State), false, nil
	}
	settled, res, _ := Outcome(*job, st, readRefusal(dir))
	return settled, res, fmt.Sprintf("its slurm job %s ended %s", job.ID, st.State), true, nil
}

// Observed is job with what Slurm says of it now: its node, state and
// reason, made fit to record (a state that is not a Slurm word is
// UNKNOWN; control characters are made visible).
func Observed(job runlog.Job, st State) runlog.Job {
	job.Node, job.State, job.Reason = runlog.Visible(st.Node), st.State, ""
	if st.Reason != "" && st.Reason != "None" {
		job.Reason = runlog.Visible(st.Reason)
	}
	if job.State == "" || strings.Trim(job.State, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_") != "" {
		job.State = "UNKNOWN"
	}
	return job
}

// Outcome is how a run ended, from its job's final state and the job
// script's refusal ("" : none): what to record of the job and of the
// run, and what repro exits with.
func Outcome(job runlog.Job, st State, refused string) (runlog.Job, runlog.Result, int) {
	job = Observed(job, st)
	exit := st.ExitCode
	if st.Signal != 0 {
		exit = 128 + st.Signal
	}
	because := ""
	if job.Reason != "" {
		because = " (" + job.Reason + ")"
	}
	on := ""
	if job.Node != "" {
		on = " on " + job.Node
	}
	res := runlog.Result{ExitCode: &exit}
	code := exit
	if refused != "" {
		return job, runlog.Result{Status: runlog.StatusFailed, Error: fmt.Sprintf("slurm job %s refused to start the container%s: %s", job.ID, on, refused)}, 1
	}
	switch st.State {
	case "COMPLETED", "FAILED":
		res.Status = runlog.StatusSucceeded
		if exit != 0 {
			res.Status = runlog.StatusFailed
		}
		if st.State == "FAILED" && exit == 0 {
			// Slurm failed the job, not its script (a prolog, say).
			res.Status, res.ExitCode = runlog.StatusFailed, nil
			res.Error = fmt.Sprintf("slurm job %s FAILED%s%s", job.ID, on, because)
			code = 1
		}
	case "CANCELLED", "PREEMPTED":
		res.Status, res.Signal = runlog.StatusInterrupted, "SIGTERM"
		res.Error = fmt.Sprintf("slurm job %s was %s%s%s", job.ID, strings.ToLower(st.State), on, because)
		code = 143
	case "TIMEOUT", "DEADLINE":
		res.Status = runlog.StatusFailed
		res.Error = fmt.Sprintf("slurm job %s reached its time limit (%s)%s", job.ID, st.State, on)
	case "OUT_OF_MEMORY":
		res.Status, res.OOMKilled = runlog.StatusFailed, true
		res.Error = fmt.Sprintf("slurm job %s ran out of memory (OUT_OF_MEMORY)%s", job.ID, on)
	case "NODE_FAIL", "BOOT_FAIL":
		res = runlog.Result{Status: runlog.StatusLost, Error: fmt.Sprintf("slurm job %s: its node failed (%s)%s%s; how the container ended is unknown", job.ID, st.State, on, because)}
		code = 1
	default:
		res.Status = runlog.StatusFailed
		res.Error = fmt.Sprintf("slurm job %s ended %s%s%s", job.ID, job.State, on, because)
	}
	if res.Status != runlog.StatusSucceeded && code == 0 {
		code = 1
	}
	return job, res, code
}

// readRefusal reads why the job script refused to start the container
// ("" : it did not), from the job's own directory: a regular file, at
// most 4 KB, its control characters made visible.
func readRefusal(dir string) string {
	f, err := os.OpenFile(filepath.Join(dir, rerun.RefusedFile), os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return ""
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return ""
	}
	b, _ := io.ReadAll(io.LimitReader(f, 4096))
	return runlog.Visible(strings.TrimSpace(string(b)))
}

// tryLock takes path's exclusive lock without waiting; an error means
// another process holds it.
func tryLock(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// tail copies what a growing file gained since the last flush to w.
type tail struct {
	path string
	off  int64
	w    io.Writer
}

func (t *tail) flush() {
	if t.w == nil {
		return
	}
	f, err := os.Open(t.path)
	if err != nil {
		return
	}
	defer f.Close()
	if _, err := f.Seek(t.off, io.SeekStart); err != nil {
		return
	}
	n, _ := io.Copy(t.w, f)
	t.off += n
}
