package launch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/reprohq/repro/engine"
	"github.com/reprohq/repro/runlog"
)

// ReconcileOptions tune Reconcile. The grace periods keep it from racing
// a live repro: a container that has just ended is being finished by its
// own supervisor, and one that does not exist yet may still be starting.
type ReconcileOptions struct {
	Now           func() time.Time
	FinishedGrace time.Duration // default 30s
	StartGrace    time.Duration // default 2m
	Log           io.Writer     // one line per run settled; nil: silent
	Hostname      string        // this machine's name ("" : os.Hostname)
	// Jobs settles runs that a scheduler ran (nil: they are left
	// running, with the reason).
	Jobs JobSettler
}

// JobSettler asks a scheduler how a run it ran has ended.
type JobSettler interface {
	// Settle says how run r, scheduled as job, ended: done false leaves
	// it running, for the reason given. The job returned is what the
	// scheduler said, to record; outputs are hashed by the caller.
	Settle(ctx context.Context, r *runlog.Run, job *runlog.Job) (settled runlog.Job, res runlog.Result, reason string, done bool, err error)
}

// Reconciled is what Reconcile decided for one run.
type Reconciled struct {
	ID     string `json:"id"`
	Status string `json:"status"` // the recorded status, or "running" when left alone
	Reason string `json:"reason"`
}

// Reconcile looks for runs of this host that are still recorded as
// running although no repro supervises them any more (repro was killed,
// the machine rebooted), and asks the engine, by the run's container, how
// they ended: a finished container's real exit status is recorded (and
// its outputs hashed), a vanished container makes the run lost. A
// container still running is left alone. now is the clock.
//
// A ledger with no running run of this host costs one indexed query.
func Reconcile(ctx context.Context, l *runlog.Ledger, o ReconcileOptions) ([]Reconciled, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.FinishedGrace == 0 {
		o.FinishedGrace = 30 * time.Second
	}
	if o.StartGrace == 0 {
		o.StartGrace = 2 * time.Minute
	}
	runs, err := l.Running(ctx)
	if err != nil {
		return nil, err
	}
	host := o.Hostname
	if host == "" {
		host, _ = os.Hostname()
	}
	var out []Reconciled
	for i := range runs {
		r := &runs[i]
		if r.Host.Hostname != host {
			continue // another machine's run: only its engine knows
		}
		// A record repro did not write is left as it is, named.
		leave := func(err error) {
			if o.Log != nil {
				fmt.Fprintf(o.Log, "repro: not settling a run left running: %v\n", err)
			}
			out = append(out, Reconciled{ID: r.ID, Status: runlog.StatusRunning, Reason: err.Error()})
		}
		// The record names the engine; only a valid record is asked
		// about, and only through docker or podman found on PATH.
		if err := r.Validate(); err != nil {
			leave(err)
			continue
		}
		job, err := l.JobOf(ctx, r.ID)
		if err != nil {
			leave(err)
			continue
		}
		var (
			rec  Reconciled
			res  runlog.Result
			done bool
		)
		if job != nil {
			rec, res, done, err = reconcileJob(ctx, l, r, job, o)
		} else {
			rec, res, done, err = reconcileOne(ctx, &engine.Engine{Bin: r.Engine.Name}, r, o)
		}
		if err != nil {
			return out, err
		}
		if done {
			if err := l.Finish(context.WithoutCancel(ctx), r.ID, res); err != nil {
				var p *runlog.ChainProblem
				if !errors.As(err, &p) {
					return out, err
				}
				leave(err)
				continue
			}
			if o.Log != nil && job != nil {
				fmt.Fprintf(o.Log, "repro: run %s: recorded %s (%s)\n", r.ShortID(), rec.Status, rec.Reason)
			} else if o.Log != nil {
				fmt.Fprintf(o.Log, "repro: run %s was left running by a repro that is gone: recorded %s (%s)\n", r.ShortID(), rec.Status, rec.Reason)
			}
		}
		out = append(out, rec)
	}
	return out, nil
}

// reconcileJob settles a run that a scheduler ran, through o.Jobs.
func reconcileJob(ctx context.Context, l *runlog.Ledger, r *runlog.Run, job *runlog.Job, o ReconcileOptions) (Reconciled, runlog.Result, bool, error) {
	rec := Reconciled{ID: r.ID, Status: runlog.StatusRunning}
	if o.Jobs == nil {
		rec.Reason = fmt.Sprintf("it was run by %s, which this command does not ask", job.Scheduler)
		return rec, runlog.Result{}, false, nil
	}
	settled, res, reason, done, err := o.Jobs.Settle(ctx, r, job)
	rec.Reason = reason
	if err != nil || !done {
		if err != nil {
			rec.Reason = err.Error()
		}
		return rec, runlog.Result{}, false, nil
	}
	if err := l.RecordJob(ctx, r.ID, settled); err != nil {
		return rec, runlog.Result{}, false, err
	}
	ranOutputs(ctx, r, &res, func(string, ...any) {})
	rec.Status = res.Status
	return rec, res, true, nil
}

func reconcileOne(ctx context.Context, eng *engine.Engine, r *runlog.Run, o ReconcileOptions) (Reconciled, runlog.Result, bool, error) {
	now := o.Now()
	rec := Reconciled{ID: r.ID, Status: runlog.StatusRunning}
	name := "repro-" + r.ShortID()
	info, found, err := eng.Inspect(ctx, name)
	if err != nil {
		return rec, runlog.Result{}, false, fmt.Errorf("ask %s about run %s: %w", eng.Name(), r.ShortID(), err)
	}
	if !found {
		if now.Sub(r.StartedAt) < o.StartGrace {
			rec.Reason = "its container may still be starting"
			return rec, runlog.Result{}, false, nil
		}
		rec.Status = runlog.StatusLost
		rec.Reason = fmt.Sprintf("its container %s is gone; noticed %s", name, now.UTC().Format(time.RFC3339))
		return rec, runlog.Result{Status: runlog.StatusLost, Error: rec.Reason}, true, nil
	}
	if label := info.Config.Labels["repro.run"]; label != r.ID {
		rec.Reason = fmt.Sprintf("container %s belongs to another run", name)
		return rec, runlog.Result{}, false, nil
	}
	st := info.State
	if st.Running || st.Restarting {
		rec.Reason = "its container is still running"
		return rec, runlog.Result{}, false, nil
	}
	if st.NeverRan() {
		// Created and never started: its repro may be starting it now
		// (the engine creates the container, then starts it), which is
		// no exit status to record, nor a container to remove.
		if now.Sub(r.StartedAt) < o.StartGrace {
			rec.Reason = "its container has not started yet"
			return rec, runlog.Result{}, false, nil
		}
		eng.Remove(ctx, name)
		rec.Status = runlog.StatusLost
		rec.Reason = fmt.Sprintf("its container %s was created but never started; noticed %s", name, now.UTC().Format(time.RFC3339))
		if st.Error != "" {
			rec.Reason += " (the engine: " + st.Error + ")"
		}
		return rec, runlog.Result{Status: runlog.StatusLost, Error: rec.Reason}, true, nil
	}
	if now.Sub(st.FinishedAt) < o.FinishedGrace {
		rec.Reason = "its container just ended; its repro may be recording it"
		return rec, runlog.Result{}, false, nil
	}
	code := st.ExitCode
	res := runlog.Result{Status: runlog.StatusSucceeded, ExitCode: &code, OOMKilled: st.OOMKilled,
		Error: fmt.Sprintf("finished while no repro supervised it; noticed %s", now.UTC().Format(time.RFC3339))}
	if code != 0 {
		res.Status = runlog.StatusFailed
	}
	if r.OutDir != "" {
		recordOutputs(ctx, r.OutDir, &res, func(string, ...any) {})
	}
	eng.Remove(ctx, name)
	rec.Status = res.Status
	rec.Reason = fmt.Sprintf("its container exited with status %d", code)
	return rec, res, true, nil
}
