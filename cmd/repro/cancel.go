package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/reprohq/repro/launch"
	"github.com/reprohq/repro/runlog"
)

type cancelOptions struct {
	ref  string        // RUN
	wait time.Duration // for the job to end
}

func newCancelCmd(g *globals) *cobra.Command {
	o := &cancelOptions{}
	cmd := &cobra.Command{
		Use:   "cancel RUN",
		Short: "Cancel a run submitted to Slurm, and record it interrupted",
		Long: `Cancel cancels the Slurm job of a run made with repro run --on slurm (scancel).
Slurm signals the job's script, which stops the run's container by its name
(repro-<run>), so that no container is left running on the node. Cancel then
waits, up to --wait, for the job to end and records the run interrupted,
unless the repro that submitted it is still waiting and records it itself.

RUN is a run ID, a unique prefix of one, or a run name. A run on this
machine's engine is stopped with Ctrl-C in its terminal instead.

Exit status: 0 ok, 1 error (or the job did not end within --wait), 2 usage.`,
		Example: `  repro cancel 4e1d
  repro cancel nightly-sweep --wait 2m`,
		Args: exactArgs(1, "a RUN"),
		// Usage is checked before the ledger is opened.
		PreRunE: func(cmd *cobra.Command, args []string) error {
			if o.wait < 0 {
				return usagef("--wait must not be negative")
			}
			return nil
		},
		RunE: g.withLedger(false, func(ctx context.Context, l *runlog.Ledger, args []string, s streams) error {
			o.ref = args[0]
			return runCancel(ctx, l, o, s)
		}),
	}
	cmd.Flags().DurationVar(&o.wait, "wait", time.Minute, "how long to wait for the job to end and the run to be recorded")
	return cmd
}

// runCancel cancels a run's Slurm job and waits for the run to be recorded.
func runCancel(ctx context.Context, l *runlog.Ledger, o *cancelOptions, s streams) error {
	r, err := l.Get(ctx, o.ref)
	if err != nil {
		return err
	}
	id := r.ID
	job, err := l.JobOf(ctx, id)
	if err != nil {
		return err
	}
	if job == nil {
		return fmt.Errorf("run %s was not submitted to a scheduler; stop a run on this machine's engine with Ctrl-C in its terminal, or %s stop repro-%s", r.ShortID(), orDocker(r.Engine.Name), r.ShortID())
	}
	if r.Status != runlog.StatusRunning {
		return fmt.Errorf("run %s has already ended: %s", r.ShortID(), r.Status)
	}
	if job.ID == "" {
		return fmt.Errorf("run %s has no job ID yet: it is being submitted, or its repro died before; repro reconcile settles it", r.ShortID())
	}
	p, err := slurmPlacement(s)
	if err != nil {
		return err
	}
	if err := p.Client.Cancel(ctx, job.ID); err != nil {
		return err
	}
	fmt.Fprintf(s.err, "repro: cancelled slurm job %s of run %s; waiting for it to end\n", job.ID, r.ShortID())
	deadline := time.Now().Add(o.wait)
	for {
		if _, err := launch.Reconcile(ctx, l, launch.ReconcileOptions{Jobs: p}); err != nil {
			return err
		}
		now, err := l.Get(ctx, id)
		if err != nil {
			return err
		}
		if now.Status != runlog.StatusRunning {
			fmt.Fprintf(s.err, "repro: run %s recorded %s\n", now.ShortID(), now.Status)
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("slurm job %s of run %s did not end within %s; repro reconcile records it once it has", job.ID, r.ShortID(), o.wait)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func orDocker(engine string) string {
	if engine == "" {
		return "docker"
	}
	return engine
}
