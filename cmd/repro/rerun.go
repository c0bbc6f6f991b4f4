package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/reprohq/repro/compare"
	"github.com/reprohq/repro/engine"
	"github.com/reprohq/repro/launch"
	"github.com/reprohq/repro/rerun"
	"github.com/reprohq/repro/runlog"
)

type rerunOptions struct {
	ref string // RUN
	registryFlags
	engineFlags
	placeFlags
	output     string
	exec       bool
	allowDirty bool
	out        string
	verify     bool
	// ignoreMetrics may differ under --verify.
	ignoreMetrics []string
	format        string
	gitImage      string
	secretName    string
	namespace     string
	// trustLedger uses a record whose chain links do not match (recorded
	// on the new run as the label repro.trust-ledger).
	trustLedger bool
}

func newRerunCmd(g *globals) *cobra.Command {
	o := &rerunOptions{}
	cmd := &cobra.Command{
		Use:   "rerun RUN",
		Short: "Print a pinned, one-command re-run script for a recorded run",
		Long: `Rerun turns a recorded run into a POSIX sh script that runs it again: the
same image by digest, the same commit checked out into a fresh directory, the
same data (each dataset's digest recomputed and checked), the same command,
environment, mounts and working directory. The script needs only git, the
usual POSIX tools (GNU, busybox or BSD) and the container CLI, not repro.

The script reads, when set: REPRO_CODE (a clone that has the commit; default
the recorded remote, then the recorded local path), REPRO_DATA_<NAME> (where
dataset NAME lives now; characters other than letters, digits and _ become _),
REPRO_OUT (an empty directory for the outputs; default a new directory beside
the script), REPRO_ENGINE (the container CLI). It refuses, naming what
changed, when a dataset's digest differs or a redacted secret is not set.

With --exec, repro performs the re-run itself and records it as a new run
linked to RUN (rerun_of). --on slurm does so on a Slurm cluster, as repro run
--on slurm does (implies --exec; --slurm-arg and --detach as there).

RUN is a run ID or any unique prefix of one.

With --format k8s, the re-run is a Kubernetes Job manifest instead: the image
pinned by digest, the same argv and environment (secret variables as
references to a Secret, never values), each dataset as a read-only volume
from the PersistentVolumeClaim repro-data-<NAME>, the outputs in
repro-out-<RUN>, the commit checked out by an init container running
--git-image, and the run ID, commit and dataset digests as annotations.

With --exec --verify, the new run's outputs are compared with the original's,
file by file: identical, or a table of the files that changed, vanished or
appeared, with both digests; then how many files were identical and the
metrics that differ, with deltas rounded to the decimals the values carry.
Metrics that legitimately change (timings, throughput) are named with
--ignore-metric PATTERN, or for a repository in the commit's .repro.yaml:

  verify:
    ignore_metrics: [train_seconds, "*_per_sec"]

metrics.json then counts as identical when every metric it holds that is
not ignored is equal.

Exit status: 0 ok (and, with --verify, identical outputs); with --exec, the
container's own status when it is not 0; 3 with --verify when the outputs
differ; 1 error; 2 usage.`,
		Example: `  repro rerun 4e1d2a9c0b7f > rerun.sh
  repro rerun 4e1d -o rerun.sh && REPRO_DATA_train=/mnt/archive/train ./rerun.sh
  repro rerun 4e1d --exec --out ./out-again
  repro rerun 4e1d --exec --verify
  repro rerun 4e1d --exec --verify --ignore-metric train_seconds
  repro rerun 4e1d --on slurm --slurm-arg=--partition=gpu --verify
  repro rerun 4e1d --format k8s --git-image registry.example.com/git@sha256:... -o job.yaml`,
		Args: exactArgs(1, "one RUN (an ID or unique prefix; see repro ls)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.ref = args[0]
			if err := o.validate(); err != nil {
				return err
			}
			// A script only reads the ledger; --exec records a new run.
			return g.withLedger(!o.exec, func(ctx context.Context, l *runlog.Ledger, _ []string, s streams) error {
				return runRerun(ctx, l, o, s)
			})(cmd, args)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.trustLedger, "trust-ledger", false, "re-run even a record whose chain links do not match (recorded on the new run)")
	f.StringVarP(&o.output, "output", "o", "", "write the script to FILE (atomically, mode 0755) instead of stdout")
	f.BoolVar(&o.exec, "exec", false, "run the re-run now and record it as a new run linked to RUN")
	f.BoolVar(&o.allowDirty, "allow-dirty", false, "re-run a run from a dirty tree at its commit, without the unrecorded changes")
	f.StringVar(&o.format, "format", "sh", "sh: a POSIX sh script; k8s: a Kubernetes batch/v1 Job manifest")
	f.StringVar(&o.gitImage, "git-image", "", "with --format k8s: an image with git, pinned by digest, to check out the commit")
	f.StringVar(&o.secretName, "k8s-secret", "repro-secrets", "with --format k8s: the Secret whose keys hold the run's secret variables")
	f.StringVar(&o.namespace, "namespace", "", "with --format k8s: the Job's namespace")
	f.BoolVar(&o.verify, "verify", false, "with --exec: compare the outputs and metrics with the original run's; exit 3 when they differ")
	f.StringArrayVar(&o.ignoreMetrics, "ignore-metric", nil, "with --verify: metrics whose names match this pattern (path.Match, as in train_seconds or *_time) may differ; repeatable, added to verify.ignore_metrics of the commit's .repro.yaml")
	f.StringVar(&o.out, "out", "", "with --exec: empty directory for the outputs (default $REPRO_OUT, else a new directory here)")
	o.registryFlags.addFlags(cmd)
	o.engineFlags.addFlags(cmd)
	o.placeFlags.addFlags(cmd)
	return cmd
}

// validate checks the flags against each other, before the ledger is
// opened.
func (o *rerunOptions) validate() error {
	if err := o.engineFlags.validate(); err != nil {
		return err
	}
	if err := o.placeFlags.validate(); err != nil {
		return err
	}
	if o.on != "" && (o.output != "" || o.format != "sh") {
		return usagef("--on %s submits the re-run; -o and --format write a script or manifest: choose one", o.on)
	}
	if o.on != "" {
		o.exec = true // --on slurm runs the re-run, there
	}
	if o.exec && o.output != "" {
		return usagef("--exec runs the re-run; -o writes the script: choose one")
	}
	if !o.exec && o.out != "" {
		return usagef("--out goes with --exec; a script takes REPRO_OUT")
	}
	if o.format != "sh" && o.format != "k8s" {
		return usagef("--format %q: choose sh or k8s", o.format)
	}
	if o.format == "k8s" && o.exec {
		return usagef("--format k8s writes a Job manifest; apply it with kubectl rather than --exec")
	}
	if err := rerun.CheckPatterns(o.ignoreMetrics); err != nil {
		return usagef("--ignore-metric: %v", err)
	}
	if len(o.ignoreMetrics) > 0 && !o.verify {
		return usagef("--ignore-metric goes with --exec --verify")
	}
	if o.verify && !o.exec {
		return usagef("--verify goes with --exec: it compares the new run's outputs with the original's")
	}
	return nil
}

// runRerun turns a recorded run into a script or manifest, or (--exec,
// --on) runs it again and records the new run.
func runRerun(ctx context.Context, l *runlog.Ledger, o *rerunOptions, s streams) error {
	r, err := getChecked(ctx, l, o.ref, o.trustLedger)
	if err != nil {
		return err
	}
	kept, err := l.KeptCopies(ctx, r.ID)
	if err != nil {
		return err
	}
	opts := rerun.Options{AllowDirty: o.allowDirty}
	for _, k := range kept {
		opts.Kept = append(opts.Kept, k.Repository)
	}
	if !o.exec {
		return writeRerun(ctx, l, r, opts, o, s)
	}
	return execRerun(ctx, l, r, opts, o, s)
}

// writeRerun writes run r's re-run script (or Job manifest) to stdout or -o.
func writeRerun(ctx context.Context, l *runlog.Ledger, r *runlog.Run, opts rerun.Options, o *rerunOptions, s streams) error {
	var err error
	if r.PatchDigest != "" {
		if opts.Patch, err = l.Blob(ctx, r.PatchDigest); err != nil {
			return fmt.Errorf("run %s: its uncommitted changes: %w", r.ShortID(), err)
		}
	}
	var script []byte
	if o.format == "k8s" {
		script, err = rerun.K8sJob(r, rerun.K8sOptions{Options: opts, GitImage: o.gitImage, SecretName: o.secretName, Namespace: o.namespace})
	} else {
		script, err = rerun.Script(r, opts)
	}
	if err != nil {
		return err
	}
	if o.output == "" {
		_, err = s.out.Write(script)
		return err
	}
	if err := rerun.WriteFile(o.output, script); err != nil {
		return err
	}
	if o.format == "k8s" {
		fmt.Fprintf(s.err, "repro: wrote %s; apply it with: kubectl apply -f %s\n", o.output, o.output)
		return os.Chmod(o.output, 0o600)
	}
	fmt.Fprintf(s.err, "repro: wrote %s; run it with: sh %s\n", o.output, o.output)
	return nil
}

// execRerun runs run r again (here, or on Slurm) and records the new run
// linked to it; with --verify, compares their outputs and metrics.
func execRerun(ctx context.Context, l *runlog.Ledger, r *runlog.Run, opts rerun.Options, o *rerunOptions, s streams) error {
	interrupts := make(chan os.Signal, 2)
	signal.Notify(interrupts, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(interrupts)
	spec := launch.Spec{
		Registry: o.registryFlags.options(), Engine: o.engineFlags.engine(s),
		Interrupts: interrupts, Log: s.err, Version: version, User: o.engineFlags.user(),
	}
	if o.trustLedger {
		spec.Labels = map[string]string{"repro.trust-ledger": "true"}
	}
	var err error
	if spec.Placement, err = o.placeFlags.placement(s); err != nil {
		return err
	}
	spec.Trace, spec.Started = traceTo(s.err)
	var cfg rerun.Config
	out, err := rerun.Exec(ctx, l, r, rerun.ExecOptions{Options: opts, OutDir: o.out, Launch: spec, Config: &cfg})
	if err != nil {
		if out != nil {
			fmt.Fprintf(s.err, "repro: %v\n", err)
			return &statusError{exitError}
		}
		// --out and --runtime are this command's flags; the datasets
		// came from the record, and launch names them so.
		ie, missing := (*launch.InputError)(nil), (*engine.MissingError)(nil)
		if errors.As(err, &ie) && ie.Input == launch.InputOut || errors.As(err, &missing) {
			return flagError(err)
		}
		return err
	}
	if out.Detached {
		if o.verify {
			fmt.Fprintf(s.err, "repro: not verified: the re-run was left running; compare later with repro verify %s\n", out.Run.ShortID())
		}
		return printDetached(ctx, s, l, out.Run)
	}
	fmt.Fprintf(s.err, "repro: run %s re-ran %s: %s\n", out.Run.ShortID(), r.ShortID(), out.Run.Status)
	if out.ExitCode != 0 {
		return &statusError{out.ExitCode}
	}
	if o.verify {
		ignore := append(append([]string{}, cfg.Verify.IgnoreMetrics...), o.ignoreMetrics...)
		return reportVerification(s.out, r, out.Run, ignore)
	}
	return nil
}

// reportVerification compares a re-run's outputs and metrics with the
// original's: stdout says identical, or shows what differs (exit 3), and
// always how many files were identical. Metrics matching ignore may
// differ.
func reportVerification(w io.Writer, orig, next *runlog.Run, ignore []string) error {
	v := compare.Verify(orig, next, ignore)
	tty := isTerminal(w)
	if v.Same() {
		fmt.Fprintf(w, "outputs of run %s are identical to run %s's (%d files)\n", next.ShortID(), orig.ShortID(), v.Identical)
	} else {
		fmt.Fprintf(w, "outputs of run %s differ from run %s's: %d of %d files identical\n", next.ShortID(), orig.ShortID(), v.Identical, v.Files)
		rows := make([][]string, 0, len(v.Outputs))
		for _, d := range v.Outputs {
			rows = append(rows, []string{d.Path, d.Change, orEmpty(shortDigest(d.Original, tty)), orEmpty(shortDigest(d.New, tty))})
		}
		if len(rows) > 0 {
			if err := printTable(w, []string{"PATH", "CHANGE", "ORIGINAL", "RE-RUN"}, rows); err != nil {
				return err
			}
		}
	}
	var mrows [][]string
	for _, m := range v.Metrics {
		if m.Same() {
			continue
		}
		delta := "-"
		if m.Original != nil && m.New != nil {
			delta = rerun.FormatDelta(*m.Original, *m.New)
		}
		name := m.Name
		if m.Ignored {
			name += " (ignored)"
		}
		mrows = append(mrows, []string{name, formatMetric(m.Original), formatMetric(m.New), delta})
	}
	if len(mrows) > 0 {
		fmt.Fprintln(w, "metrics that differ:")
		if err := printTable(w, []string{"METRIC", "ORIGINAL", "RE-RUN", "DELTA"}, mrows); err != nil {
			return err
		}
	}
	if v.MetricsFileIgnored {
		fmt.Fprintf(w, "%s differs only in ignored metrics\n", compare.MetricsFile)
	}
	if !v.Same() {
		return &statusError{exitDiffers}
	}
	return nil
}
