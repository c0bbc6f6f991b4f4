package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/reprohq/repro/launch"
	"github.com/reprohq/repro/runlog"
)

type reconcileOptions struct {
	json     bool
	grace    time.Duration
	graceSet bool // --grace given: 0 means no grace, not the default
}

func newReconcileCmd(g *globals) *cobra.Command {
	o := &reconcileOptions{}
	cmd := &cobra.Command{
		Use:   "reconcile",
		Short: "Settle runs left running by a repro that was killed",
		Long: `Reconcile finds runs of this host still recorded as running although the repro
that supervised them is gone (killed, or the machine rebooted), and asks the
container engine, by the run's container: a container that finished has its
real exit status recorded and its outputs hashed; a container that is gone,
or was created and never started, makes the run lost, with the time it was
noticed. A container still running is left alone, to be settled once it
ends; so is one that has not started yet, or has just ended, within the
grace (another repro may be starting or finishing it).

A run submitted with --on slurm is settled by asking Slurm (scontrol while
the controller holds the job, then sacct, then sacct -c): COMPLETED and
FAILED record the container's exit status, CANCELLED and PREEMPTED make it
interrupted, TIMEOUT, DEADLINE and OUT_OF_MEMORY failed with the state,
NODE_FAIL lost; a job the node refused (changed data) is failed with the
refusal. A job still queued or running, or one whose repro still waits for
it, is left alone.

Every repro command that reads the ledger does this first when it finds a
run of this host still running; this command does only this, and lists what
it decided.

Exit status: 0 ok, 1 error, 2 usage.`,
		Example: `  repro reconcile
  repro reconcile --json`,
		Args: exactArgs(0, "no arguments"),
		// Usage is checked before the ledger is opened.
		PreRunE: func(cmd *cobra.Command, args []string) error {
			if o.grace < 0 {
				return usagef("--grace must not be negative")
			}
			o.graceSet = cmd.Flags().Changed("grace")
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			// Not settled on opening: settling is this command's work,
			// and it lists what it decided.
			l, err := g.openLedger(ctx, false, false)
			if err != nil {
				return err
			}
			defer l.Close()
			return runReconcile(ctx, l, jobSettler(), o, streamsOf(cmd))
		},
	}
	jsonFlag(cmd, &o.json, "a JSON array of {id, status, reason}")
	cmd.Flags().DurationVar(&o.grace, "grace", 0, "settle only runs whose container ended (or should have started) this long ago (default 30s and 2m)")
	return cmd
}

// runReconcile settles the runs of this host left running (those on a
// scheduler through jobs) and lists what it decided.
func runReconcile(ctx context.Context, l *runlog.Ledger, jobs launch.JobSettler, o *reconcileOptions, s streams) error {
	ro := launch.ReconcileOptions{Jobs: jobs}
	if o.graceSet {
		ro.FinishedGrace, ro.StartGrace = max(o.grace, time.Nanosecond), max(o.grace, time.Nanosecond)
	}
	recs, err := launch.Reconcile(ctx, l, ro)
	if err != nil {
		return err
	}
	if o.json {
		if recs == nil {
			recs = []launch.Reconciled{}
		}
		return printJSON(s.out, recs)
	}
	rows := make([][]string, 0, len(recs))
	for _, r := range recs {
		rows = append(rows, []string{runlog.Short(r.ID), r.Status, r.Reason})
	}
	if len(rows) == 0 {
		fmt.Fprintln(s.err, "repro: no run of this host is left running")
		return nil
	}
	return printTable(s.out, []string{"ID", "STATUS", "REASON"}, rows)
}

// jobSettler asks Slurm about runs it ran (nil: no data directory).
func jobSettler() launch.JobSettler {
	p, err := slurmJobs()
	if err != nil {
		return nil
	}
	return p
}

// settleLeftovers reconciles, through l, when l records a run of this
// host as running (a read-only l gets a writable handle for it, only
// then). Problems are reported, not fatal: the command itself still runs.
func (g *globals) settleLeftovers(ctx context.Context, l *runlog.Ledger, readOnly bool, stderr io.Writer) {
	running, err := l.Running(ctx)
	if err != nil {
		return
	}
	host, _ := os.Hostname()
	mine := false
	for _, r := range running {
		mine = mine || r.Host.Hostname == host
	}
	if !mine {
		return
	}
	w := l
	if readOnly {
		path, err := g.path()
		if err != nil {
			return
		}
		if w, err = runlog.Open(ctx, path, g.options(false)...); err != nil {
			return
		}
		defer w.Close()
	}
	if _, err := launch.Reconcile(ctx, w, launch.ReconcileOptions{Log: stderr, Jobs: jobSettler()}); err != nil {
		fmt.Fprintf(stderr, "repro: reconcile: %v\n", err)
	}
}
